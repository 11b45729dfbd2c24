package dev.hearth.guest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;

/**
 * Runs one command in a guest over an SSH exec channel. The remote command line is
 * {@code cd DIR && exec env NAME=VALUE... timeout -k 2 SECONDS /bin/sh -c COMMAND}, every part
 * quoted as one shell word. coreutils' {@code timeout} runs the shell in a process group of its
 * own and, at the time-out, signals the whole group, so background children die with it.
 */
public final class CommandRunner {

    /** {@code timeout}'s exit status when it ended the command, and when SIGKILL was needed. */
    private static final int TIMED_OUT = 124;
    private static final int KILLED = 137;
    /** How long to wait for the channel after the time-out, for {@code timeout} to report. */
    private static final Duration GRACE = Duration.ofSeconds(10);
    /** After the shell exits, how long to wait for its last output before closing the channel. */
    private static final Duration OUTPUT_DRAIN = Duration.ofMillis(500);

    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final int outputCap;

    /** @param outputCap bytes kept per stream; the rest is counted as truncated */
    public CommandRunner(int outputCap) {
        this.outputCap = outputCap;
    }

    /** Builds the remote command line; names and values are checked and quoted here. */
    static String remoteCommand(String command, Map<String, String> env, String workingDirectory, long timeoutSeconds) {
        StringBuilder line = new StringBuilder();
        if (workingDirectory != null) {
            line.append("cd ").append(ShellQuoting.quote(workingDirectory)).append(" && ");
        }
        line.append("exec env");
        if (env != null) {
            for (Map.Entry<String, String> variable : new TreeMap<>(env).entrySet()) {
                if (!ShellQuoting.isEnvName(variable.getKey())) {
                    throw new IllegalArgumentException("env: invalid variable name '" + variable.getKey() + "'");
                }
                line.append(' ').append(ShellQuoting.quote(variable.getKey() + "=" + variable.getValue()));
            }
        }
        line.append(" timeout -k 2 ").append(timeoutSeconds).append(" /bin/sh -c ").append(ShellQuoting.quote(command));
        return line.toString();
    }

    /** Receives output as it arrives: the stream ({@code stdout} or {@code stderr}) and the text. */
    @FunctionalInterface
    public interface OutputListener {
        void output(String stream, String text);
    }

    public CommandResult run(ClientSession session, String command, Map<String, String> env, String workingDirectory,
                             String stdin, Duration timeout) throws IOException {
        return run(session, command, env, workingDirectory, stdin, timeout, null);
    }

    /** Runs the command; {@code listener}, when given, receives the output as it arrives, up to the cap. */
    public CommandResult run(ClientSession session, String command, Map<String, String> env, String workingDirectory,
                             String stdin, Duration timeout, OutputListener listener) throws IOException {
        String remote = remoteCommand(command, env, workingDirectory, Math.max(1, timeout.toSeconds()));
        CappedOutput out = new CappedOutput(outputCap, listener == null ? null : text -> listener.output("stdout", text));
        CappedOutput err = new CappedOutput(outputCap, listener == null ? null : text -> listener.output("stderr", text));
        long started = System.nanoTime();
        ChannelExec channel = ChannelOpening.open(String.valueOf(session.getRemoteAddress()), () -> {
            ChannelExec exec = session.createExecChannel(remote);
            try {
                exec.setIn(new ByteArrayInputStream(stdin == null ? new byte[0] : stdin.getBytes(StandardCharsets.UTF_8)));
                exec.setOut(out);
                exec.setErr(err);
                exec.open().verify(OPEN_TIMEOUT);
                return exec;
            } catch (IOException | RuntimeException e) {
                exec.close(true);
                throw e;
            }
        });
        try {
            // The exit status arrives when the shell exits, even while a background child still
            // keeps the output open; the command is done then.
            Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.EXIT_STATUS, ClientChannelEvent.CLOSED),
                    timeout.plus(GRACE));
            if (events.contains(ClientChannelEvent.EXIT_STATUS)) {
                channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), OUTPUT_DRAIN);
            }
            long durationMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
            Integer exit = channel.getExitStatus();
            boolean timedOut = exit == null
                    || ((exit == TIMED_OUT || exit == KILLED) && durationMs >= timeout.toMillis());
            return new CommandResult(timedOut ? null : exit, out.text(), err.text(), out.truncated(), err.truncated(),
                    timedOut, durationMs);
        } finally {
            // Wait until the server has closed the channel too: sshd counts a half-closed channel
            // against MaxSessions, and the caller's lease frees the slot for the next channel.
            channel.close(false).await(CLOSE_TIMEOUT);
        }
    }
}
