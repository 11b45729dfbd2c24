package dev.hearth.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host command with its arguments passed as they are, never through a shell, and with a
 * time-out that holds even when the command keeps its output open: the output goes to a
 * temporary file, not to a pipe this thread would have to read to the end first.
 */
public final class HostCommand {

    /** The exit status and the combined standard output and error, trimmed. */
    public record Result(int exitStatus, String output) {
    }

    private HostCommand() {
    }

    public static Result run(List<String> command, Duration timeout) throws IOException {
        Path output = Files.createTempFile("hearth-command-", ".out");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " timed out after " + timeout.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", command), e);
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8).trim());
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Runs the command and fails with its output unless it exits with status 0. */
    public static String runChecked(List<String> command, Duration timeout) throws IOException {
        Result result = run(command, timeout);
        if (result.exitStatus() != 0) {
            throw new IOException(String.join(" ", command) + " failed with status " + result.exitStatus() + ": "
                    + result.output());
        }
        return result.output();
    }
}
