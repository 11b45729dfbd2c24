package dev.hearth.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session pool against an in-process SSH server on loopback. */
class SessionPoolTest {

    InProcessSshServer server;
    SshClient client;
    SessionPool cut;
    SessionPool.Target target;

    @BeforeEach
    void start() throws Exception {
        server = new InProcessSshServer();
        client = SshClient.setUpDefaultClient();
        cut = new SessionPool(client, server.clientKey, "root", server.port(), Duration.ofSeconds(5), Duration.ofSeconds(5));
        client.start();
        target = new SessionPool.Target("vm-1", "127.0.0.1", server.hostKey.getPublic());
    }

    @AfterEach
    void stop() throws Exception {
        cut.close();
        client.stop();
        server.close();
    }

    @Test
    void sessionIsReusedWhileOpen() throws Exception {
        ClientSession first;
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            first = lease.session();
        }
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            assertThat(lease.session()).isSameAs(first);
        }
        assertThat(cut.size()).isEqualTo(1);
    }

    @Test
    void reconnectsAfterServerDropsConnection() throws Exception {
        ClientSession first;
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            first = lease.session();
        }
        server.dropConnections();
        awaitClosed(first);

        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            assertThat(lease.session()).isNotSameAs(first);
            assertThat(lease.session().isOpen()).isTrue();
        }
    }

    @Test
    void newVmOnSameAddressGetsNewSession() throws Exception {
        ClientSession first;
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            first = lease.session();
        }
        SessionPool.Target successor = new SessionPool.Target("vm-2", "127.0.0.1", server.hostKey.getPublic());

        try (SessionPool.Lease lease = cut.acquire(successor, Duration.ofSeconds(5))) {
            assertThat(lease.session()).isNotSameAs(first);
        }
        assertThat(first.isOpen()).as("old VM's session closed").isFalse();
        assertThat(cut.hasSession("127.0.0.1", "vm-2")).isTrue();
        assertThat(cut.hasSession("127.0.0.1", "vm-1")).isFalse();
    }

    @Test
    void otherHostKeyIsRejected() throws Exception {
        SessionPool.Target wrongKey = new SessionPool.Target("vm-1", "127.0.0.1", SshKeys.generate().getPublic());

        assertThatThrownBy(() -> cut.acquire(wrongKey, Duration.ofSeconds(5)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("SSH to VM vm-1 at 127.0.0.1 failed");
        assertThat(cut.size()).isZero();
    }

    @Test
    void evictClosesTheVmsSession() throws Exception {
        ClientSession session;
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(5))) {
            session = lease.session();
        }

        assertThat(cut.evict("vm-1")).isEqualTo(1);

        assertThat(cut.size()).isZero();
        awaitClosed(session);
        assertThat(session.isOpen()).isFalse();
    }

    @Test
    void closeEndsEverySession() throws Exception {
        List<ClientSession> sessions = new ArrayList<>();
        for (String vm : List.of("vm-a", "vm-b")) {
            String host = vm.equals("vm-a") ? "127.0.0.1" : "127.0.0.2";
            try (SessionPool.Lease lease = cut.acquire(new SessionPool.Target(vm, host, server.hostKey.getPublic()),
                    Duration.ofSeconds(5))) {
                sessions.add(lease.session());
            }
        }

        cut.close();

        assertThat(cut.size()).isZero();
        for (ClientSession session : sessions) {
            awaitClosed(session);
            assertThat(session.isOpen()).isFalse();
        }
    }

    @Test
    void channelsPerSessionAreBounded() throws Exception {
        List<SessionPool.Lease> held = new ArrayList<>();
        for (int i = 0; i < SessionPool.CHANNELS_PER_SESSION; i++) {
            held.add(cut.acquire(target, Duration.ofSeconds(5)));
        }

        assertThatThrownBy(() -> cut.acquire(target, Duration.ofMillis(300)))
                .hasMessageContaining("all 6 SSH channels to VM vm-1 at 127.0.0.1 stayed busy");

        held.remove(0).close();
        try (SessionPool.Lease lease = cut.acquire(target, Duration.ofSeconds(1))) {
            assertThat(lease.session().isOpen()).isTrue();
        }
        held.forEach(SessionPool.Lease::close);
    }

    private static void awaitClosed(ClientSession session) throws InterruptedException {
        for (int i = 0; i < 50 && session.isOpen(); i++) {
            Thread.sleep(100);
        }
    }
}
