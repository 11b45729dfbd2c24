package dev.hearth.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.SshClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands through an in-process SSH server whose exec channel runs the local shell. */
class CommandRunnerTest {

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
    void rejectedChannelIsOpenedAgain() throws Exception {
        server.rejectNext.set(3);

        CommandResult result = new CommandRunner(1024).run(lease.session(), "echo after rejections", null, null, null,
                Duration.ofSeconds(10));

        assertThat(server.rejected).hasValue(3);
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo("after rejections\n");
    }

    @Test
    void alwaysRejectedChannelFails() {
        server.rejectNext.set(ChannelOpening.ATTEMPTS);

        assertThatThrownBy(() -> new CommandRunner(1024).run(lease.session(), "echo never", null, null, null,
                Duration.ofSeconds(10)))
                .hasRootCauseInstanceOf(org.apache.sshd.common.channel.exception.SshChannelOpenException.class);
        assertThat(server.rejected).hasValue(ChannelOpening.ATTEMPTS);
    }

    @Test
    void exitCodeAndBothStreams() throws Exception {
        CommandResult result = new CommandRunner(1024).run(lease.session(), "echo out; echo err >&2; exit 3",
                null, null, null, Duration.ofSeconds(10));

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThat(result.timedOut()).isFalse();
    }

    @Test
    void envAndWorkingDirectoryKeepShellCharactersLiteral() throws Exception {
        String tricky = "a'b \"c\" $HOME `id` ; rm -rf /nonexistent\nnext";
        CommandResult result = new CommandRunner(4096).run(lease.session(), "printf '%s|' \"$TRICKY\"; pwd",
                Map.of("TRICKY", tricky), directory.toString(), null, Duration.ofSeconds(10));

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo(tricky + "|" + directory + "\n");
    }

    @Test
    void listenerReceivesOutputAsItArrives() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        CommandResult result = new CommandRunner(1024).run(lease.session(), "echo one; sleep 1; echo two >&2",
                null, null, null, Duration.ofSeconds(10), (stream, text) -> events.add(stream + ":" + text));

        assertThat(result.exitCode()).isZero();
        assertThat(events).containsExactly("stdout:one\n", "stderr:two\n");
    }

    @Test
    void stdinReachesTheCommand() throws Exception {
        CommandResult result = new CommandRunner(1024).run(lease.session(), "tr a-z A-Z", null, null, "hello\n",
                Duration.ofSeconds(10));

        assertThat(result.stdout()).isEqualTo("HELLO\n");
    }

    @Test
    void outputBeyondCapIsTruncated() throws Exception {
        CommandResult result = new CommandRunner(100).run(lease.session(), "head -c 5000 /dev/zero | tr '\\0' x",
                null, null, null, Duration.ofSeconds(10));

        assertThat(result.stdout()).hasSize(100);
        assertThat(result.stdoutTruncated()).isTrue();
        assertThat(result.stderrTruncated()).isFalse();
    }

    @Test
    void timeoutKillsTheProcessGroup() throws Exception {
        Path pidFile = directory.resolve("child.pid");
        CommandResult result = new CommandRunner(1024).run(lease.session(),
                "sleep 100 & echo $! > " + pidFile + "; sleep 100", null, null, null, Duration.ofSeconds(2));

        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isNull();
        long child = Long.parseLong(Files.readString(pidFile).trim());
        for (int i = 0; i < 50 && ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(100);
        }
        assertThat(ProcessHandle.of(child).filter(ProcessHandle::isAlive)).as("background child %d", child).isEmpty();
    }

    @Test
    void invalidEnvNameIsRejected() {
        assertThatThrownBy(() -> CommandRunner.remoteCommand("true", Map.of("BAD NAME", "x"), null, 5))
                .hasMessageContaining("invalid variable name 'BAD NAME'");
    }

    @Test
    void remoteCommandQuotesEveryPart() {
        assertThat(CommandRunner.remoteCommand("echo 'hi'", Map.of("B", "2", "A", "1 2"), "/tmp/my dir", 30))
                .isEqualTo("cd '/tmp/my dir' && exec env 'A=1 2' 'B=2' timeout -k 2 30 /bin/sh -c 'echo '\\''hi'\\'''");
    }
}
