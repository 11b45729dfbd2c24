package dev.hearth.firecracker.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Log lines in Firecracker's shape: {@code <timestamp> [<id>:<thread>] <message>}. They go to
 * standard error until a log path is configured, because standard output carries the guest console.
 */
final class EmulatorLog {

    private final String instanceId;
    private volatile LogLevel level;
    private volatile boolean showLevel;
    private volatile PrintStream target = System.err;

    EmulatorLog(String instanceId, LogLevel level) {
        this.instanceId = instanceId;
        this.level = level;
    }

    /**
     * Sends further lines to {@code path}, which must exist: Firecracker opens it without creating
     * it, so that the path may be a named pipe.
     */
    synchronized void configure(Path path, LogLevel newLevel, boolean newShowLevel) throws IOException {
        OutputStream stream;
        try {
            stream = Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (NoSuchFileException e) {
            throw new IOException("Failed to open target file: No such file or directory (os error 2)", e);
        }
        target = new PrintStream(stream, true, StandardCharsets.UTF_8);
        level = newLevel;
        showLevel = newShowLevel;
    }

    void error(String message) {
        write(LogLevel.ERROR, message);
    }

    void warn(String message) {
        write(LogLevel.WARNING, message);
    }

    void info(String message) {
        write(LogLevel.INFO, message);
    }

    void debug(String message) {
        write(LogLevel.DEBUG, message);
    }

    private void write(LogLevel messageLevel, String message) {
        if (!level.includes(messageLevel)) {
            return;
        }
        String thread = Thread.currentThread().getName();
        String prefix = showLevel ? instanceId + ":" + thread + ":" + messageLevel : instanceId + ":" + thread;
        target.println(Instant.now() + " [" + prefix + "] " + message);
    }
}
