package dev.hearth.guest;

/**
 * The outcome of a command. {@code exitCode} is null, and left out of the JSON, when the command
 * was killed at its time-out ({@code timedOut}). {@code stdoutTruncated} and
 * {@code stderrTruncated} mark output dropped past the configured cap.
 */
public record CommandResult(Integer exitCode, String stdout, String stderr, boolean stdoutTruncated,
                            boolean stderrTruncated, boolean timedOut, long durationMs) {
}
