package dev.hearth.vms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.lab.HearthApi;
import dev.hearth.lab.HearthApi.Reply;
import dev.hearth.lab.HostState;
import dev.hearth.lab.StandaloneHearth;
import dev.hearth.lab.TestNetwork;
import dev.hearth.platform.HostCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Hearth on a Payara Micro process of its own, with real guests in the test network: the WAR is
 * redeployed, then the server is killed with SIGKILL and started again. Running VMs must be
 * adopted both times. After the restart, what the crash interrupted or orphaned must be failed,
 * finished or removed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerRestartIT {

    private static final int BOOT_TIMEOUT_SECONDS = 300;
    private static final String TAP_PREFIX = "hrst";

    private static StandaloneHearth hearth;
    private static String first;
    private static String second;

    @BeforeAll
    static void startServer() throws Exception {
        TestNetwork.requireIsolated();
        hearth = new StandaloneHearth("restart", "172.18.0.0/16", TAP_PREFIX, Map.of());
        hearth.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (hearth == null) {
            return;
        }
        HearthApi api = hearth.api();
        for (JsonNode vm : api.get("/vms").json()) {
            api.delete("/vms/" + vm.get("id").asText());
        }
        hearth.close();
    }

    @Test
    @Order(1)
    void redeployAdoptsRunningVms() throws Exception {
        HearthApi api = hearth.api();
        first = api.create("{\"name\":\"first\"}");
        second = api.create("{\"name\":\"second\"}");
        for (String id : List.of(first, second)) {
            Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
            assertThat(running.status()).as(running.body()).isEqualTo(200);
            assertThat(command(api, id, "echo " + id + " > /root/marker").status()).isEqualTo(200);
        }
        long firstPid = api.get("/vms/" + first).json().get("firecrackerPid").asLong();

        hearth.redeploy();

        assertThat(hearth.logLines("Adopted VM " + first)).as("adoption logged").isNotEmpty();
        for (String id : List.of(first, second)) {
            JsonNode vm = api.get("/vms/" + id).json();
            assertThat(vm.get("state").asText()).as("VM %s after the redeploy", id).isEqualTo("RUNNING");
            Reply marker = command(api, id, "cat /root/marker");
            assertThat(marker.status()).as(marker.body()).isEqualTo(200);
            assertThat(marker.json().get("stdout").asText()).isEqualTo(id + "\n");
        }
        assertThat(api.get("/vms/" + first).json().get("firecrackerPid").asLong()).isEqualTo(firstPid);
        // Pause and resume call Firecracker's API through the Unix-socket library and its native part.
        Reply paused = api.post("/vms/" + second + "/pause", null);
        assertThat(paused.status()).as(paused.body()).isEqualTo(200);
        Reply resumed = api.post("/vms/" + second + "/resume", null);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
        assertThat(command(api, second, "true").json().get("exitCode").asInt()).isZero();
    }

    @Test
    @Order(2)
    void killedServerAdoptsRunningVmsAndReleasesTheRest() throws Exception {
        HearthApi api = hearth.api();
        String gone = api.create("{\"name\":\"gone\"}");
        String halfDeleted = api.create("{\"name\":\"half-deleted\"}");
        Reply halfDeletedRunning = api.await(halfDeleted, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(halfDeletedRunning.status()).as(halfDeletedRunning.body()).isEqualTo(200);
        String halfDeletedTap = halfDeletedRunning.json().get("tapName").asText();
        Reply goneRunning = api.await(gone, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(goneRunning.status()).as(goneRunning.body()).isEqualTo(200);
        long gonePid = goneRunning.json().get("firecrackerPid").asLong();
        String goneRootfs = goneRunning.json().get("rootfsPath").asText();
        String interrupted = api.create("{\"name\":\"interrupted\"}");
        Reply booting = api.await(interrupted, "BOOTING", 60);
        assertThat(booting.status()).as(booting.body()).isEqualTo(200);
        String interruptedTap = booting.json().get("tapName").asText();
        long firstPid = api.get("/vms/" + first).json().get("firecrackerPid").asLong();

        hearth.kill();

        assertThat(ProcessHandle.of(firstPid).filter(ProcessHandle::isAlive)).as("Firecracker outlives the server").isPresent();
        ProcessHandle goneProcess = ProcessHandle.of(gonePid).orElseThrow();
        goneProcess.destroyForcibly();
        goneProcess.onExit().get();
        String orphanTap = TAP_PREFIX + "900";
        HostCommand.runChecked(List.of("ip", "tuntap", "add", "dev", orphanTap, "mode", "tap"), Duration.ofSeconds(10));
        Path orphanDirectory = hearth.stateDir().resolve("vms").resolve(UUID.randomUUID().toString());
        Files.createDirectories(orphanDirectory);
        Files.writeString(orphanDirectory.resolve("rootfs.ext4"), "left behind");
        Path goneSocket = hearth.stateDir().resolve("vms").resolve(gone).resolve("firecracker.sock");
        assertThat(goneSocket).as("socket of the killed Firecracker").exists();
        // A Firecracker process without a row, as a crash between its start and its row update leaves it.
        Path orphanSocketDirectory = Files.createDirectories(hearth.stateDir().resolve("vms").resolve(UUID.randomUUID().toString()));
        Process orphanProcess = new ProcessBuilder(System.getProperty("hearth.emulator"), "--api-sock",
                orphanSocketDirectory.resolve("firecracker.sock").toString(), "--id", "orphan").inheritIO().start();
        // A delete that the crash interrupted.
        hearth.sql("UPDATE vms SET state = 'STOPPING' WHERE id = '" + halfDeleted + "'");

        hearth.start();

        for (String id : List.of(first, second)) {
            assertThat(api.get("/vms/" + id).json().get("state").asText()).as("VM %s after the restart", id).isEqualTo("RUNNING");
            Reply marker = command(api, id, "cat /root/marker");
            assertThat(marker.status()).as(marker.body()).isEqualTo(200);
            assertThat(marker.json().get("stdout").asText()).isEqualTo(id + "\n");
        }

        assertThat(api.get("/vms/" + halfDeleted).status()).as("the interrupted delete is finished").isEqualTo(404);
        assertThat(HostState.tapExists(halfDeletedTap)).as("TAP of the deleted VM").isFalse();
        assertThat(HostState.processesMentioning(halfDeleted)).as("processes of the deleted VM").isEmpty();
        assertThat(orphanProcess.waitFor(10, TimeUnit.SECONDS)).as("Firecracker process that no VM owns stopped").isTrue();
        assertThat(orphanSocketDirectory).as("its directory").doesNotExist();
        JsonNode goneVm = api.get("/vms/" + gone).json();
        assertThat(goneVm.get("state").asText()).isEqualTo("FAILED");
        assertThat(goneVm.get("stateReason").asText()).contains("pid " + gonePid).contains("was gone when Hearth started");
        assertThat(Path.of(goneRootfs)).as("a FAILED VM keeps its disk").exists();
        assertThat(goneSocket).as("stale socket").doesNotExist();

        JsonNode interruptedVm = api.get("/vms/" + interrupted).json();
        assertThat(interruptedVm.get("state").asText()).isEqualTo("FAILED");
        assertThat(interruptedVm.get("stateReason").asText()).contains("Hearth restarted while the VM was BOOTING");
        assertThat(HostState.tapExists(interruptedTap)).as("TAP of the interrupted VM").isFalse();
        assertThat(hearth.stateDir().resolve("vms").resolve(interrupted)).as("directory of the interrupted VM").doesNotExist();
        assertThat(HostState.processesMentioning(hearth.stateDir().resolve("vms").resolve(interrupted).toString()))
                .as("processes of the interrupted VM").isEmpty();

        assertThat(HostState.tapExists(orphanTap)).as("TAP device no VM owns").isFalse();
        assertThat(orphanDirectory).as("directory no VM owns").doesNotExist();
        assertThat(hearth.logLines("Removed TAP device " + orphanTap)).isNotEmpty();

        for (String id : List.of(first, second, gone, interrupted)) {
            assertThat(api.delete("/vms/" + id).status()).as("DELETE %s", id).isEqualTo(204);
        }
        assertThat(HostState.tapsStartingWith(TAP_PREFIX)).as("TAP devices left").isEmpty();
        try (var left = Files.list(hearth.stateDir().resolve("vms"))) {
            assertThat(left.toList()).as("VM directories left").isEmpty();
        }
        assertThat(HostState.processesMentioning(hearth.stateDir().resolve("vms").toString())).as("processes left").isEmpty();
    }

    private static Reply command(HearthApi api, String id, String command) {
        return api.post("/vms/" + id + "/commands", "{\"command\":\"" + command + "\"}");
    }
}
