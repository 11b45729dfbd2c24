package dev.hearth.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.RequiredServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/** An SSH login to one guest as root, trusting only the host key written into its disk. */
public final class GuestSsh implements AutoCloseable {

    /** The outcome of a command; {@code exitStatus} is null when it did not finish in time. */
    public record Result(Integer exitStatus, String stdout, String stderr) {
    }

    private final SshClient client;
    private final ClientSession session;

    private GuestSsh(SshClient client, ClientSession session) {
        this.client = client;
        this.session = session;
    }

    /**
     * Connects and authenticates, retrying until {@code timeout} passes: the guest's sshd starts
     * some seconds after the kernel. A host key other than {@code hostKey} is rejected.
     */
    public static GuestSsh connect(String host, PublicKey hostKey, KeyPair identity, Duration timeout)
            throws IOException, InterruptedException {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new RequiredServerKeyVerifier(hostKey));
        client.addPublicKeyIdentity(identity);
        client.start();
        Instant deadline = Instant.now().plus(timeout);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            ClientSession session = null;
            try {
                session = client.connect("root", host, 22).verify(Duration.ofSeconds(3)).getSession();
                session.auth().verify(Duration.ofSeconds(10));
                return new GuestSsh(client, session);
            } catch (IOException e) {
                last = e;
                if (session != null) {
                    session.close(true);
                }
                Thread.sleep(500);
            }
        }
        client.stop();
        throw new IOException("no SSH login to " + host + " within " + timeout.toSeconds() + " s", last);
    }

    /** Runs {@code command} and waits up to {@code timeout} for it to finish. */
    public Result exec(String command, Duration timeout) throws IOException {
        try (Running running = start(command)) {
            return running.await(timeout);
        }
    }

    /**
     * Starts {@code command} without waiting for the server, not even for the channel to open,
     * so that a command can be sent to a guest that is paused.
     */
    public Running start(String command) throws IOException {
        ChannelExec channel = session.createExecChannel(command);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        channel.setOut(out);
        channel.setErr(err);
        channel.open();
        return new Running(channel, out, err);
    }

    /** A command in progress on its own channel. */
    public static final class Running implements AutoCloseable {

        private final ChannelExec channel;
        private final ByteArrayOutputStream out;
        private final ByteArrayOutputStream err;

        private Running(ChannelExec channel, ByteArrayOutputStream out, ByteArrayOutputStream err) {
            this.channel = channel;
            this.out = out;
            this.err = err;
        }

        /** Waits up to {@code timeout}; the result has a null exit status if the command is still running. */
        public Result await(Duration timeout) {
            Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
            Integer status = events.contains(ClientChannelEvent.CLOSED) ? channel.getExitStatus() : null;
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException {
            channel.close(true);
        }
    }

    @Override
    public void close() throws IOException {
        session.close(true);
        client.stop();
    }
}
