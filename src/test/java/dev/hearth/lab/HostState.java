package dev.hearth.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the host holds for a VM, as the tests check it after a delete or a failure. */
public final class HostState {

    private HostState() {
    }

    public static boolean tapExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /** Processes whose command line mentions {@code text}, such as a VM's directory. */
    public static List<ProcessHandle> processesMentioning(String text) {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().map(line -> line.contains(text)).orElse(false))
                .toList();
    }

    /** TAP devices whose name starts with {@code prefix}. */
    public static List<String> tapsStartingWith(String prefix) throws java.io.IOException {
        try (var links = Files.list(Path.of("/sys/class/net"))) {
            return links.map(path -> path.getFileName().toString()).filter(name -> name.startsWith(prefix)).toList();
        }
    }
}
