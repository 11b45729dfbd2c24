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

    /**
     * Processes whose command line mentions {@code text}, such as a VM's directory. It is read from
     * {@code /proc/<pid>/cmdline}: JDK 17's {@code ProcessHandle.Info} left out the emulator's
     * 11 KB command line with its class path.
     */
    public static List<ProcessHandle> processesMentioning(String text) {
        return ProcessHandle.allProcesses()
                .filter(process -> commandLine(process.pid()).contains(text))
                .toList();
    }

    /** Returns the process's arguments joined with spaces, or an empty string when it is gone. */
    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** TAP devices whose name starts with {@code prefix}. */
    public static List<String> tapsStartingWith(String prefix) throws java.io.IOException {
        try (var links = Files.list(Path.of("/sys/class/net"))) {
            return links.map(path -> path.getFileName().toString()).filter(name -> name.startsWith(prefix)).toList();
        }
    }
}
