package dev.hearth.guest;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.shell.ProcessShellCommandFactory;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A MINA SSH server on 127.0.0.1 and 127.0.0.2 for client tests: a fixed host key, one authorized client key,
 * exec commands run by the local shell, and SFTP.
 */
final class InProcessSshServer implements AutoCloseable {

    final KeyPair hostKey;
    final KeyPair clientKey;
    final SshServer server;

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
        server.start();
    }

    int port() {
        return server.getPort();
    }

    /** Drops every connection from the server's side, as a rebooted guest would. */
    void dropConnections() {
        server.getActiveSessions().forEach(session -> session.close(true));
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
