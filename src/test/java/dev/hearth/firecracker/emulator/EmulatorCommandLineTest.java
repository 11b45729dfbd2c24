package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.EmulatorProcess;
import dev.hearth.lab.GuestImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firecracker's command line and process behaviour, seen from outside the emulator process. */
class EmulatorCommandLineTest {

    @TempDir
    Path directory;

    @Test
    void versionPrintsFirecrackersVersion() throws Exception {
        try (EmulatorProcess emulator = EmulatorProcess.start(directory, List.of("--version"))) {
            assertThat(emulator.awaitExit(Duration.ofSeconds(30))).hasValue(0);
            assertThat(emulator.console()).startsWith("Firecracker v" + Vmm.VERSION);
        }
    }

    @Test
    void unknownArgumentExitsWithParsingError() throws Exception {
        try (EmulatorProcess emulator = EmulatorProcess.start(directory, List.of("--no-such-flag"))) {
            assertThat(emulator.awaitExit(Duration.ofSeconds(30))).hasValue(153);
            assertThat(emulator.stderr()).contains("Found argument '--no-such-flag' which wasn't expected");
        }
    }

    @Test
    void noApiWithoutConfigFileIsRejected() throws Exception {
        try (EmulatorProcess emulator = EmulatorProcess.start(directory, List.of("--no-api"))) {
            assertThat(emulator.awaitExit(Duration.ofSeconds(30))).hasValue(153);
            assertThat(emulator.stderr()).contains("'--no-api' requires '--config-file'");
        }
    }

    @Test
    void existingSocketPathIsRejected() throws Exception {
        Path socket = Files.createFile(directory.resolve("stale.sock"));
        try (EmulatorProcess emulator = EmulatorProcess.start(directory, List.of("--api-sock", socket.toString()))) {
            assertThat(emulator.awaitExit(Duration.ofSeconds(30))).hasValue(1);
            assertThat(emulator.stderr()).contains("Failed to open the API socket at: " + socket);
        }
    }

    @Test
    void missingLogPathIsRejected() throws Exception {
        Path log = directory.resolve("missing.log");
        try (EmulatorProcess emulator = EmulatorProcess.start(directory,
                List.of("--api-sock", directory.resolve("api.sock").toString(), "--log-path", log.toString()))) {
            assertThat(emulator.awaitExit(Duration.ofSeconds(30))).hasValue(1);
            assertThat(emulator.stderr()).contains("Failed to open target file");
        }
    }

    @Test
    void eleventhConnectionGets503() throws Exception {
        Path socket = directory.resolve("api.sock");
        List<SocketChannel> open = new ArrayList<>();
        try (EmulatorProcess emulator = EmulatorProcess.startWithApi(directory, socket, "limits")) {
            // startWithApi's probe connection must be closed on the server's side too before counting.
            Thread.sleep(500);
            for (int i = 0; i < 10; i++) {
                SocketChannel channel = connect(socket);
                open.add(channel);
                assertThat(statusLine(channel)).as("connection %d", i + 1).isEqualTo("HTTP/1.1 200 OK");
            }
            try (SocketChannel eleventh = connect(socket)) {
                assertThat(statusLine(eleventh)).isEqualTo("HTTP/1.1 503 Service Unavailable");
            }
            open.remove(0).close();
            Thread.sleep(200);
            try (SocketChannel again = connect(socket)) {
                assertThat(statusLine(again)).as("a connection after one closed").isEqualTo("HTTP/1.1 200 OK");
            }
        } finally {
            for (SocketChannel channel : open) {
                channel.close();
            }
        }
    }

    @Test
    void configFileWithoutApiBootsAtOnce() throws Exception {
        GuestImage image = GuestImage.forTests();
        Path config = directory.resolve("vm.json");
        Files.writeString(config, """
                {
                  "boot-source": {"kernel_image_path": "%s", "initrd_path": "%s", "boot_args": "%s"},
                  "drives": [{"drive_id": "rootfs", "path_on_host": "%s", "is_root_device": true, "is_read_only": true}],
                  "machine-config": {"vcpu_count": 1, "mem_size_mib": 256}
                }
                """.formatted(image.kernel(), image.initrd(), image.bootArgs(), image.rootfs()));
        try (EmulatorProcess emulator = EmulatorProcess.start(directory,
                List.of("--no-api", "--config-file", config.toString(), "--id", "from-file"))) {
            assertThat(emulator.awaitConsole("Linux version", Duration.ofSeconds(60)))
                    .as("guest kernel output; stderr:%n%s", emulator.stderr()).isTrue();
            assertThat(emulator.isAlive()).isTrue();
        }
    }

    @Test
    void invalidConfigFileExitsWithItsFault() throws Exception {
        Path config = directory.resolve("vm.json");
        Files.writeString(config, "{\"machine-config\": {\"vcpu_count\": 1}}");
        try (EmulatorProcess emulator = EmulatorProcess.start(directory,
                List.of("--no-api", "--config-file", config.toString()))) {
            OptionalInt status = emulator.awaitExit(Duration.ofSeconds(30));
            assertThat(status).hasValue(1);
            assertThat(emulator.stderr()).contains("missing field `mem_size_mib`");
        }
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    /** Sends {@code GET /} on a kept-alive connection and returns the response's status line. */
    private static String statusLine(SocketChannel channel) throws IOException {
        OutputStream out = Channels.newOutputStream(channel);
        out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = Channels.newInputStream(channel);
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
            line.append((char) c);
        }
        return line.toString();
    }
}
