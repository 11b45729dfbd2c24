package dev.hearth.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.sshd.client.SshClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFTP channels through an in-process SSH server that serves the local filesystem. */
class GuestFilesTest {

    @TempDir
    Path directory;

    InProcessSshServer server;
    SshClient client;
    SessionPool pool;
    SessionPool.Lease lease;

    @BeforeEach
    void connect() throws Exception {
        server = new InProcessSshServer();
        client = SshClient.setUpDefaultClient();
        pool = new SessionPool(client, server.clientKey, "root", server.port(), Duration.ofSeconds(5), Duration.ofSeconds(5));
        client.start();
        lease = pool.acquire(new SessionPool.Target("vm", "127.0.0.1", server.hostKey.getPublic()), Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws Exception {
        lease.close();
        pool.close();
        client.stop();
        server.close();
    }

    @Test
    void rejectedSftpChannelIsOpenedAgain() throws Exception {
        server.rejectNext.set(2);
        String path = directory.resolve("a/b/note.txt").toString();

        try (GuestFiles.Channel channel = GuestFiles.open(lease.session())) {
            GuestFiles.write(channel.sftp(), "vm", path, new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)), 0640);
            try (InputStream in = GuestFiles.read(channel.sftp(), "vm", path)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
            }
        }

        assertThat(server.rejected).hasValue(2);
        assertThat(Files.readString(Path.of(path))).isEqualTo("hello");
    }
}
