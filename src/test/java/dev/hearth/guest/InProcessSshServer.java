package dev.hearth.guest;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.shell.ProcessShellCommandFactory;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A MINA SSH server on 127.0.0.1 and 127.0.0.2 for client tests: a fixed host key, one authorized client key,
 * exec commands run by the local shell, and SFTP. It can reject the next few channel opens the
 * way OpenSSH's sshd does when {@code MaxSessions} is reached.
 */
final class InProcessSshServer implements AutoCloseable {

    final KeyPair hostKey;
    final KeyPair clientKey;
    final SshServer server;
    /** Number of upcoming session channel opens that the server rejects. */
    final AtomicInteger rejectNext = new AtomicInteger();
    /** Number of session channel opens rejected so far. */
    final AtomicInteger rejected = new AtomicInteger();

    InProcessSshServer() throws IOException, GeneralSecurityException {
        hostKey = SshKeys.generate();
        clientKey = SshKeys.generate();
        server = SshServer.setUpDefaultServer();
        // Two loopback addresses, so that tests can pool sessions to two "hosts".
        server.setHost("127.0.0.1,127.0.0.2");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, clientKey.getPublic()));
        server.setCommandFactory(new ProcessShellCommandFactory());
        server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        server.setChannelFactories(List.of(new RejectingSessionFactory()));
        server.start();
    }

    int port() {
        return server.getPort();
    }

    /** Drops every connection from the server's side, as a rebooted guest would. */
    void dropConnections() {
        server.getActiveSessions().forEach(session -> session.close(true));
    }

    /** Session channels, of which the next {@link #rejectNext} are rejected the way OpenSSH's sshd does. */
    private final class RejectingSessionFactory implements ChannelFactory {
        @Override
        public String getName() {
            return "session";
        }

        @Override
        public ChannelSession createChannel(Session session) {
            return new ChannelSession() {
                @Override
                public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
                    if (rejectNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        rejected.incrementAndGet();
                        DefaultOpenFuture rejection = new DefaultOpenFuture(this, this);
                        rejection.setException(new SshChannelOpenException(getChannelId(),
                                SshConstants.SSH_OPEN_CONNECT_FAILED, "open failed"));
                        return rejection;
                    }
                    return super.open(recipient, rwSize, packetSize, buffer);
                }
            };
        }
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
