package dev.hearth.firecracker.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A QEMU Machine Protocol connection: one JSON object per line each way. Asynchronous events
 * that arrive between a command and its return are skipped.
 */
final class QmpClient implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader reader;
    private final OutputStream writer;

    private QmpClient(SocketChannel channel) {
        this.channel = channel;
        this.reader = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
        this.writer = Channels.newOutputStream(channel);
    }

    /**
     * Connects to QEMU's QMP socket and leaves capabilities negotiation mode, retrying until
     * the socket accepts or {@code timeout} passes, or {@code qemu} exits.
     */
    static QmpClient connect(Path socket, Duration timeout, Process qemu) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        IOException last = null;
        while (Instant.now().isBefore(deadline) && qemu.isAlive()) {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    channel.close();
                    throw e;
                }
                QmpClient client = new QmpClient(channel);
                client.readLine(); // the greeting
                client.execute("qmp_capabilities", null);
                return client;
            } catch (IOException e) {
                last = e;
                Thread.sleep(50);
            }
        }
        if (!qemu.isAlive()) {
            throw new IOException("QEMU exited with status " + qemu.exitValue() + " before its QMP socket opened");
        }
        throw new IOException("QEMU's QMP socket " + socket + " did not accept within " + timeout.toMillis() + " ms", last);
    }

    /** Runs one command and returns its {@code return} value; a QMP error becomes an {@link IOException}. */
    synchronized JsonNode execute(String command, ObjectNode arguments) throws IOException {
        ObjectNode request = MAPPER.createObjectNode().put("execute", command);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        writer.write((MAPPER.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        writer.flush();
        while (true) {
            JsonNode reply = readLine();
            if (reply.has("return")) {
                return reply.get("return");
            }
            if (reply.has("error")) {
                throw new IOException("QMP " + command + " failed: " + reply.get("error").path("desc").asText());
            }
        }
    }

    private JsonNode readLine() throws IOException {
        String line = reader.readLine();
        if (line == null) {
            throw new IOException("QMP connection closed by QEMU");
        }
        return MAPPER.readTree(line);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
