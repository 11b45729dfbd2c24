package dev.hearth.firecracker;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

/**
 * One Firecracker process. Its standard output (the guest console) and standard error go
 * straight to a per-VM log file, so that nothing in the application server has to drain them
 * and the process keeps running when the server restarts.
 */
public final class FirecrackerProcess {

    private static final Logger LOG = Logger.getLogger(FirecrackerProcess.class.getName());
    private static final int LOG_TAIL_LINES = 20;

    private final ProcessHandle handle;
    /** The child process when this server started it; only then is the exit status known. */
    private final Process child;
    private final Path apiSocket;
    private final Path logFile;

    private FirecrackerProcess(ProcessHandle handle, Process child, Path apiSocket, Path logFile) {
        this.handle = handle;
        this.child = child;
        this.apiSocket = apiSocket;
        this.logFile = logFile;
    }

    /** Removes a stale socket at the API path, then starts Firecracker with its output appended to {@code logFile}. */
    public static FirecrackerProcess start(FirecrackerCommandLine commandLine, Path logFile) throws IOException {
        if (Files.deleteIfExists(commandLine.apiSocket())) {
            LOG.log(Level.INFO, "Removed stale Firecracker socket {0}", commandLine.apiSocket());
        }
        Process process = new ProcessBuilder(commandLine.arguments())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        return new FirecrackerProcess(process.toHandle(), process, commandLine.apiSocket(), logFile);
    }

    /**
     * Finds the Firecracker process {@code pid} again, for example after a restart; empty when
     * that process is gone or is not the one serving {@code apiSocket}.
     */
    public static Optional<FirecrackerProcess> find(long pid, Path apiSocket, Path logFile) {
        Path socket = apiSocket.toAbsolutePath().normalize();
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> apiSocketOf(handle.pid()).map(socket::equals).orElse(false))
                .map(handle -> new FirecrackerProcess(handle, null, apiSocket, logFile));
    }

    /**
     * Returns the processes whose {@code --api-sock} argument is a path inside {@code directory}:
     * Firecracker processes of this Hearth instance, whether or not a VM row records them.
     */
    public static List<ProcessHandle> withApiSocketIn(Path directory) {
        Path parent = directory.toAbsolutePath().normalize();
        return ProcessHandle.allProcesses()
                .filter(handle -> apiSocketOf(handle.pid()).map(socket -> socket.startsWith(parent)).orElse(false))
                .toList();
    }

    /**
     * Returns the absolute, normalised {@code --api-sock} argument of process {@code pid}, read from
     * {@code /proc/<pid>/cmdline}. {@link ProcessHandle.Info#arguments()} is no use here: JDK 17
     * left it empty for the emulator's 11 KB command line with its class path.
     */
    public static Optional<Path> apiSocketOf(long pid) {
        byte[] cmdline;
        try {
            cmdline = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
        } catch (IOException e) {
            return Optional.empty();
        }
        List<String> arguments = Arrays.asList(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
        int option = arguments.indexOf("--api-sock");
        if (option < 0 || option + 1 >= arguments.size()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(arguments.get(option + 1)).toAbsolutePath().normalize());
    }

    /**
     * Waits until the API socket accepts a connection: the socket file appears at bind time, a
     * moment before the server listens. Fails at once if the process exits first, with its exit
     * status when this server started it and the tail of its log.
     */
    public void awaitSocket(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        IOException lastAttempt = null;
        while (true) {
            if (!handle.isAlive()) {
                throw new IOException("Firecracker (pid " + pid() + ") exited" + exitStatusText()
                        + " before opening its API socket " + apiSocket + "; last log lines: " + logTail());
            }
            if (Files.exists(apiSocket)) {
                try (UnixSocketChannel channel = UnixSocketChannel.open(new UnixSocketAddress(apiSocket.toFile()))) {
                    return;
                } catch (IOException e) {
                    lastAttempt = e;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("Firecracker (pid " + pid() + ") did not accept connections on " + apiSocket
                        + " within " + timeout.toMillis() + " ms" + (lastAttempt == null ? "" : " (" + lastAttempt.getMessage() + ")")
                        + "; last log lines: " + logTail());
            }
            sleep(20);
        }
    }

    public long pid() {
        return handle.pid();
    }

    public boolean isAlive() {
        return handle.isAlive();
    }

    /** The exit status, known only for a process this server started and that has exited. */
    public Optional<Integer> exitStatus() {
        if (child != null && !child.isAlive()) {
            return Optional.of(child.exitValue());
        }
        return Optional.empty();
    }

    private String exitStatusText() {
        return exitStatus().map(status -> " with status " + status).orElse("");
    }

    /** A description of how the process ended, for a VM's state reason. */
    public String exitDescription() {
        return "Firecracker (pid " + pid() + ") exited" + exitStatusText() + "; last log lines: " + logTail();
    }

    /** The last lines of the process's log, joined with " | ". */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(log " + logFile + " unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Stops the process: requests a guest shutdown with Ctrl-Alt-Del, waits up to {@code grace},
     * then sends SIGTERM and after three seconds SIGKILL. A process that is already gone is fine.
     */
    public void stop(FirecrackerClient client, Duration grace) {
        if (!handle.isAlive()) {
            return;
        }
        try {
            client.sendCtrlAltDel();
            if (awaitExit(grace)) {
                return;
            }
            LOG.log(Level.INFO, "Firecracker pid {0} still runs {1} ms after SendCtrlAltDel; sending SIGTERM",
                    new Object[] {String.valueOf(pid()), grace.toMillis()});
        } catch (FirecrackerApiException e) {
            LOG.log(Level.INFO, "SendCtrlAltDel to Firecracker pid {0} failed, sending SIGTERM: {1}",
                    new Object[] {String.valueOf(pid()), e.getMessage()});
        }
        handle.destroy();
        if (awaitExit(Duration.ofSeconds(3))) {
            return;
        }
        LOG.log(Level.WARNING, "Firecracker pid {0} ignored SIGTERM; sending SIGKILL", String.valueOf(pid()));
        handle.destroyForcibly();
        awaitExit(Duration.ofSeconds(5));
    }

    private boolean awaitExit(Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for Firecracker", e);
        }
    }
}
