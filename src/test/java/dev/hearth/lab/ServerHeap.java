package dev.hearth.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap of the application server under test, read with the JDK's {@code jcmd}: a full GC
 * first, so that what remains is what the server still holds, not garbage.
 */
public final class ServerHeap {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private final long pid;

    private ServerHeap(long pid) {
        this.pid = pid;
    }

    /** Finds the Payara Micro process whose environment contains {@code marker}, such as its database URL. */
    public static ServerHeap ofPayaraWith(String marker) throws IOException {
        List<ProcessHandle> candidates = ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().map(line -> line.contains("payara-micro")).orElse(false))
                .filter(process -> environmentContains(process.pid(), marker))
                .toList();
        if (candidates.size() != 1) {
            throw new IOException("expected one Payara Micro process with " + marker + " in its environment, found "
                    + candidates.size());
        }
        return new ServerHeap(candidates.get(0).pid());
    }

    private static boolean environmentContains(long pid, String marker) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ")), StandardCharsets.UTF_8)
                    .contains(marker);
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a full GC in the server and returns the heap still used afterwards, in bytes. */
    public long usedAfterFullGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        Matcher used = USED.matcher(jcmd("GC.heap_info"));
        if (!used.find()) {
            throw new IOException("jcmd GC.heap_info printed no used size for pid " + pid);
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed: " + output);
        }
        return output;
    }
}
