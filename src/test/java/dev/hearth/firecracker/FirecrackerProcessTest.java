package dev.hearth.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Finding a running process again by its API socket, as after a restart of the server. */
class FirecrackerProcessTest {

    private static final Path SOCKET = Path.of("/tmp/hearth-process-test/vms/vm-1/firecracker.sock");

    Process process;

    /** Starts a stand-in whose command line is longer than the JDK reports, like the emulator's. */
    @BeforeEach
    void start() throws Exception {
        process = new ProcessBuilder(List.of("sh", "-c", "sleep 60; exit 0", "sh", "--padding", "p".repeat(12_000),
                "--api-sock", SOCKET.toString(), "--id", "vm-1")).start();
    }

    @AfterEach
    void stop() throws Exception {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void findsProcessByPidAndSocket() {
        assertThat(FirecrackerProcess.find(process.pid(), SOCKET, Path.of("/nonexistent.log")))
                .hasValueSatisfying(found -> assertThat(found.pid()).isEqualTo(process.pid()));
    }

    @Test
    void otherSocketIsNotThisProcess() {
        assertThat(FirecrackerProcess.find(process.pid(), SOCKET.resolveSibling("other.sock"), Path.of("/nonexistent.log")))
                .isEmpty();
    }

    @Test
    void goneProcessIsNotFound() throws Exception {
        long pid = process.pid();
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);

        assertThat(FirecrackerProcess.find(pid, SOCKET, Path.of("/nonexistent.log"))).isEmpty();
    }

    @Test
    void listsProcessesWithSocketInDirectory() {
        assertThat(FirecrackerProcess.withApiSocketIn(Path.of("/tmp/hearth-process-test/vms")))
                .extracting(ProcessHandle::pid).contains(process.pid());
        assertThat(FirecrackerProcess.withApiSocketIn(Path.of("/tmp/hearth-process-test/other")))
                .extracting(ProcessHandle::pid).doesNotContain(process.pid());
    }

    @Test
    void readsSocketArgument() {
        assertThat(FirecrackerProcess.apiSocketOf(process.pid())).hasValue(SOCKET);
        assertThat(FirecrackerProcess.apiSocketOf(ProcessHandle.current().pid())).isEmpty();
    }
}
