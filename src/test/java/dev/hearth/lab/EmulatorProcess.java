package dev.hearth.lab;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Firecracker emulator process, started through its launcher script exactly as a
 * {@code firecracker} binary would be. Standard output (the guest console) and standard error
 * go to files in {@code directory}.
 */
public final class EmulatorProcess implements AutoCloseable {

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private EmulatorProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Returns the launcher script, set by the build in the system property {@code hearth.emulator}. */
    public static Path launcher() {
        String path = System.getProperty("hearth.emulator");
        if (path == null) {
            throw new IllegalStateException("system property hearth.emulator is not set; run the tests through Maven");
        }
        return Path.of(path);
    }

    public static EmulatorProcess start(Path directory, List<String> arguments) throws IOException {
        Files.createDirectories(directory);
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(arguments);
        Path stdout = directory.resolve("emulator.stdout");
        Path stderr = directory.resolve("emulator.stderr");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        return new EmulatorProcess(process, stdout, stderr);
    }

    /**
     * Starts the emulator with an API socket and waits until the socket accepts connections: the
     * socket file appears at bind time, a moment before the server listens.
     */
    public static EmulatorProcess startWithApi(Path directory, Path socket, String id) throws IOException {
        EmulatorProcess emulator = start(directory, List.of("--api-sock", socket.toString(), "--id", id));
        emulator.awaitFile(socket, Duration.ofSeconds(20));
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(socket));
                return emulator;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IOException(socket + " did not accept connections within 10 s; stderr: " + emulator.stderr(), e);
                }
                sleep(Duration.ofMillis(20));
            }
        }
    }

    public void awaitFile(Path file, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (!Files.exists(file)) {
            if (!process.isAlive()) {
                throw new IOException("the emulator exited with status " + process.exitValue()
                        + " before creating " + file + "; stderr: " + stderr());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException(file + " did not appear within " + timeout.toSeconds() + " s; stderr: " + stderr());
            }
            sleep(Duration.ofMillis(50));
        }
    }

    /** Waits for the console to print {@code text}; returns false after {@code timeout}. */
    public boolean awaitConsole(String text, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (console().contains(text)) {
                return true;
            }
            sleep(Duration.ofMillis(200));
        }
        return false;
    }

    /** Waits for the process to exit; returns its status, or empty after {@code timeout}. */
    public java.util.OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return java.util.OptionalInt.of(process.exitValue());
        }
        return java.util.OptionalInt.empty();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's own descendants: the QEMU process once the guest runs. */
    public List<ProcessHandle> descendants() {
        return process.descendants().toList();
    }

    public String console() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    public String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Ends the emulator with SIGTERM, then SIGKILL after 5 s; QEMU ends with it. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = descendants();
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle child : children) {
            child.onExit().completeOnTimeout(child, 5, TimeUnit.SECONDS).join();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
