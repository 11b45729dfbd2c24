package dev.hearth.vms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.lab.GuestImage;
import dev.hearth.lab.HearthApi;
import dev.hearth.lab.HearthApi.Reply;
import dev.hearth.lab.HostState;
import dev.hearth.lab.TestNetwork;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The VM lifecycle through Hearth's REST API: the WAR on Payara Micro started by Arquillian,
 * MariaDB, and real guests booted by the Firecracker emulator inside the test network.
 */
@ExtendWith(ArquillianExtension.class)
class VmLifecycleIT {

    private static final Path STATE_DIR = Path.of(System.getProperty("hearth.it.state.dir", "/tmp/hearth-it/state"));
    private static final Path IMAGES_DIR = Path.of(System.getProperty("hearth.it.images.dir", "/tmp/hearth-it/images"));
    private static final int BOOT_TIMEOUT_SECONDS = 300;

    @ArquillianResource
    URL base;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File("target/hearth.war"));
    }

    /**
     * Lays out the images Hearth under test sees: the real base image, one whose kernel is
     * missing, and one whose root disk is not a filesystem at all.
     */
    @BeforeAll
    static void prepareImages() throws Exception {
        TestNetwork.requireIsolated();
        GuestImage image = GuestImage.forTests();
        Files.createDirectories(IMAGES_DIR);
        Path link = IMAGES_DIR.resolve(image.name());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, image.rootfs().getParent());

        writeImage("no-kernel", image.rootfs(), IMAGES_DIR.resolve("no-kernel/vmlinuz-missing"), image.initrd(), image.bootArgs());

        Path garbage = IMAGES_DIR.resolve("garbage-rootfs/rootfs.ext4");
        Files.createDirectories(garbage.getParent());
        try (var file = new java.io.RandomAccessFile(garbage.toFile(), "rw")) {
            file.setLength(64L * 1024 * 1024);
            file.write("this is not an ext4 filesystem".getBytes());
        }
        writeImage("garbage-rootfs", garbage, image.kernel(), image.initrd(), image.bootArgs());

        // A valid ext4 filesystem with the directories Hearth writes into, but no init to run.
        Path tree = Files.createDirectories(IMAGES_DIR.resolve("no-init/tree"));
        Files.createDirectories(tree.resolve("etc/ssh"));
        Files.createDirectories(tree.resolve("root/.ssh"));
        Path noInit = IMAGES_DIR.resolve("no-init/rootfs.ext4");
        Files.deleteIfExists(noInit);
        Process mkfs = new ProcessBuilder("mkfs.ext4", "-q", "-d", tree.toString(), noInit.toString(), "32M")
                .redirectErrorStream(true).start();
        String mkfsOutput = new String(mkfs.getInputStream().readAllBytes());
        assertThat(mkfs.waitFor()).as("mkfs.ext4: %s", mkfsOutput).isZero();
        writeImage("no-init", noInit, image.kernel(), image.initrd(), image.bootArgs());
    }

    private static void writeImage(String name, Path rootfs, Path kernel, Path initrd, String bootArgs) throws IOException {
        Path directory = Files.createDirectories(IMAGES_DIR.resolve(name));
        Files.writeString(directory.resolve("manifest.json"), """
                {"name": "%s", "rootfs": {"path": "%s", "sizeBytes": %d, "allocatedBytes": %d},
                 "kernel": {"path": "%s"}, "initrd": {"path": "%s"}, "bootArgs": "%s"}
                """.formatted(name, rootfs, Files.size(rootfs), Files.size(rootfs) / 8, kernel, initrd, bootArgs));
    }

    @Test
    void createRunDeleteLeavesNothing() {
        HearthApi api = new HearthApi(base);
        Reply created = api.post("/vms", "{\"name\":\"first\",\"vcpus\":1,\"memoryMib\":256,\"metadata\":{\"team\":\"qa\"}}");
        assertThat(created.status()).as(created.body()).isEqualTo(202);
        assertThat(created.location()).endsWith("/api/v1/vms/" + created.json().get("id").asText());
        assertThat(created.json().get("state").asText()).isEqualTo("PROVISIONING");
        String id = created.json().get("id").asText();

        Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(running.status()).as(running.body()).isEqualTo(200);
        JsonNode vm = api.get("/vms/" + id).json();
        assertThat(vm.get("state").asText()).isEqualTo("RUNNING");
        assertThat(vm.get("name").asText()).isEqualTo("first");
        assertThat(vm.get("metadata").get("team").asText()).isEqualTo("qa");
        assertThat(vm.get("rootfsPath").asText()).isEqualTo(STATE_DIR.resolve("vms/" + id + "/rootfs.ext4").toString());
        assertThat(vm.get("timings").fieldNames()).toIterable()
                .containsExactly("allocate-slot", "copy-disk", "inject-files", "create-tap", "start-firecracker", "wait-for-ssh");
        String tap = vm.get("tapName").asText();
        long pid = vm.get("firecrackerPid").asLong();
        assertThat(HostState.tapExists(tap)).isTrue();
        assertThat(ProcessHandle.of(pid)).isPresent();
        assertThat(api.get("/vms").json().findValuesAsText("id")).contains(id);

        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);

        assertLeftNothing(id, tap, pid);
        assertThat(api.get("/vms/" + id).status()).isEqualTo(404);
        assertThat(api.get("/vms?state=DELETED").json().findValuesAsText("id")).contains(id);
        assertThat(api.delete("/vms/" + id).status()).as("second delete").isEqualTo(404);
    }

    @Test
    void threeAtOnceGetDistinctResources() throws Exception {
        HearthApi api = new HearthApi(base);
        ExecutorService creators = Executors.newFixedThreadPool(3);
        List<Future<String>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = "trio-" + i;
            futures.add(creators.submit(() -> api.create("{\"name\":\"" + name + "\"}")));
        }
        List<String> ids = new ArrayList<>();
        for (Future<String> future : futures) {
            ids.add(future.get());
        }
        creators.shutdown();

        Set<String> addresses = new HashSet<>();
        Set<String> taps = new HashSet<>();
        Set<String> disks = new HashSet<>();
        Set<String> macs = new HashSet<>();
        for (String id : ids) {
            Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
            assertThat(running.status()).as("VM %s: %s", id, running.body()).isEqualTo(200);
            JsonNode vm = running.json();
            addresses.add(vm.get("guestAddress").asText());
            taps.add(vm.get("tapName").asText());
            disks.add(vm.get("rootfsPath").asText());
            macs.add(vm.get("mac").asText());
        }
        assertThat(addresses).hasSize(3);
        assertThat(taps).hasSize(3);
        assertThat(disks).hasSize(3);
        assertThat(macs).hasSize(3);

        for (String id : ids) {
            JsonNode vm = api.get("/vms/" + id).json();
            assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
            assertLeftNothing(id, vm.get("tapName").asText(), vm.get("firecrackerPid").asLong());
        }
    }

    @Test
    void createAndDeleteFiveTimesInARow() {
        HearthApi api = new HearthApi(base);
        for (int round = 0; round < 5; round++) {
            String id = api.create("{\"name\":\"round-" + round + "\"}");
            Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
            assertThat(running.status()).as("round %d: %s", round, running.body()).isEqualTo(200);
            String tap = running.json().get("tapName").asText();
            long pid = running.json().get("firecrackerPid").asLong();

            assertThat(api.delete("/vms/" + id).status()).as("round %d delete", round).isEqualTo(204);
            assertLeftNothing(id, tap, pid);
        }
    }

    @Test
    void missingKernelEndsFailed() {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"no-kernel\",\"image\":\"no-kernel\"}");

        Reply failed = api.await(id, "FAILED", 120);

        assertThat(failed.status()).as(failed.body()).isEqualTo(200);
        assertThat(failed.json().get("stateReason").asText())
                .startsWith("start-firecracker failed")
                .contains("The kernel file cannot be opened");
        assertReleasedButRow(api, id);
        Reply running = api.await(id, "RUNNING", 5);
        assertThat(running.status()).as("waiting for RUNNING on a FAILED VM").isEqualTo(409);
        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
    }

    @Test
    void unbootableRootDiskEndsFailed() {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"no-init\",\"image\":\"no-init\"}");

        Reply failed = api.await(id, "FAILED", BOOT_TIMEOUT_SECONDS);

        assertThat(failed.status()).as(failed.body()).isEqualTo(200);
        assertThat(failed.json().get("stateReason").asText())
                .startsWith("wait-for-ssh failed")
                .contains("the guest stopped while booting")
                .contains("exited with status");
        assertReleasedButRow(api, id);
        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
    }

    @Test
    void rootDiskWithoutFilesystemEndsFailed() {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"garbage\",\"image\":\"garbage-rootfs\"}");

        Reply failed = api.await(id, "FAILED", 120);

        assertThat(failed.status()).as(failed.body()).isEqualTo(200);
        assertThat(failed.json().get("stateReason").asText())
                .startsWith("inject-files failed")
                .contains("Bad magic number in super-block");
        assertReleasedButRow(api, id);
        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
    }

    @Test
    void deleteWhileProvisioningCleansUp() throws Exception {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"short-lived\"}");

        Reply deleted = api.delete("/vms/" + id);

        assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
        assertThat(api.get("/vms/" + id).status()).isEqualTo(404);
        // The provisioning thread must notice the delete and take nothing more afterwards.
        Thread.sleep(5_000);
        assertThat(Files.exists(STATE_DIR.resolve("vms").resolve(id))).isFalse();
        assertThat(HostState.processesMentioning(id)).isEmpty();
        assertThat(api.get("/vms?state=DELETED").json().findValuesAsText("id")).contains(id);
    }

    @Test
    void pauseStopsTheGuestAndResumeContinues() throws Exception {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"pausable\"}");
        Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(running.status()).as(running.body()).isEqualTo(200);
        String address = running.json().get("guestAddress").asText();
        assertThat(sshPortAnswers(address)).as("sshd answers while running").isTrue();

        Reply paused = api.post("/vms/" + id + "/pause", null);
        assertThat(paused.status()).as(paused.body()).isEqualTo(200);
        assertThat(paused.json().get("state").asText()).isEqualTo("PAUSED");
        assertThat(sshPortAnswers(address)).as("sshd answers while paused").isFalse();
        Reply pausedAgain = api.post("/vms/" + id + "/pause", null);
        assertThat(pausedAgain.status()).isEqualTo(409);
        assertThat(pausedAgain.json().get("detail").asText()).contains("is PAUSED");

        Reply resumed = api.post("/vms/" + id + "/resume", null);
        assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
        assertThat(resumed.json().get("state").asText()).isEqualTo("RUNNING");
        assertThat(sshPortAnswers(address)).as("sshd answers after resume").isTrue();

        // A VM can be deleted while paused.
        assertThat(api.post("/vms/" + id + "/pause", null).status()).isEqualTo(200);
        JsonNode vm = api.get("/vms/" + id).json();
        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
        assertLeftNothing(id, vm.get("tapName").asText(), vm.get("firecrackerPid").asLong());
    }

    @Test
    void killedFirecrackerMarksVmFailed() {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"doomed\"}");
        Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(running.status()).as(running.body()).isEqualTo(200);
        long pid = running.json().get("firecrackerPid").asLong();
        String tap = running.json().get("tapName").asText();

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        Reply failed = api.await(id, "FAILED", 10);
        assertThat(failed.status()).as("FAILED within 10 s: %s", failed.body()).isEqualTo(200);
        assertThat(failed.json().get("stateReason").asText())
                .contains("stopped while RUNNING")
                .contains("pid " + pid)
                .contains("exited with status 137");
        Reply command = api.post("/vms/" + id + "/commands", "{\"command\":\"true\"}");
        assertThat(command.status()).as("a command on a FAILED VM").isEqualTo(409);

        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
        assertLeftNothing(id, tap, pid);
    }

    @Test
    void imagesListTheBaseImage() {
        Reply images = new HearthApi(base).get("/images");

        assertThat(images.status()).isEqualTo(200);
        assertThat(images.json().findValuesAsText("name")).contains("debian-bookworm", "no-kernel", "no-init", "garbage-rootfs");
    }

    @Test
    void readinessReportsUp() throws Exception {
        URL health = new URL(base.getProtocol(), base.getHost(), base.getPort(), "/health/ready");
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(health.toURI()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("\"hearth\"").contains("\"status\":\"UP\"").contains("\"database\":\"true\"");
    }

    @Test
    void missingOrWrongTokenIsRejected() {
        HearthApi api = new HearthApi(base);
        int before = api.get("/vms").json().size();
        for (HearthApi stranger : List.of(new HearthApi(base, null), new HearthApi(base, "wrong-token"),
                new HearthApi(base, HearthApi.testToken() + "x"))) {
            Reply create = stranger.post("/vms", "{\"name\":\"intruder\"}");
            assertThat(create.status()).as(create.body()).isEqualTo(401);
            assertThat(create.contentType()).startsWith("application/problem+json");
            assertThat(create.json().get("status").asInt()).isEqualTo(401);
            assertThat(stranger.get("/vms").status()).isEqualTo(401);
            assertThat(stranger.get("/images").status()).isEqualTo(401);
        }
        assertThat(api.get("/vms").json().size()).as("live VMs after rejected requests").isEqualTo(before);
    }

    @Test
    void badRequestsGetProblemDetailsAndCreateNothing() {
        HearthApi api = new HearthApi(base);
        int before = api.get("/vms").json().size();
        String[][] cases = {
                // method, path, body, expected status, text the detail must contain
                {"POST", "/vms", "{\"vcpus\":99}", "400", "vcpus: must be at most 32"},
                {"POST", "/vms", "{\"vcpus\":8}", "400", "hearth.limits.max-vcpus"},
                {"POST", "/vms", "{\"memoryMib\":64}", "400", "hearth.limits.min-memory-mib"},
                {"POST", "/vms", "{\"name\":\"Bad Name!\"}", "400", "name: must match"},
                {"POST", "/vms", "{\"image\":\"no-such-image\"}", "400", "unknown image 'no-such-image'"},
                {"POST", "/vms", "{\"image\":\"../etc\"}", "400", "image"},
                {"POST", "/vms", "{\"bogus\":1}", "400", "unknown field 'bogus'"},
                {"POST", "/vms", "{", "400", ""},
                {"GET", "/vms/not-a-vm-id", null, "404", "no VM with id not-a-vm-id"},
                {"GET", "/vms/0b7c2d1e-aaaa-bbbb-cccc-0123456789ab", null, "404", "no VM with id"},
                {"DELETE", "/vms/0b7c2d1e-aaaa-bbbb-cccc-0123456789ab", null, "404", "no VM with id"},
                {"POST", "/vms/0b7c2d1e-aaaa-bbbb-cccc-0123456789ab/pause", null, "404", "no VM with id"},
                {"GET", "/vms?state=SLEEPING", null, "400", "unknown state 'SLEEPING'"},
                {"GET", "/vms/0b7c2d1e-aaaa-bbbb-cccc-0123456789ab/wait?timeoutSeconds=0", null, "400", "timeoutSeconds: must be at least 1"},
        };
        for (String[] request : cases) {
            Reply reply = api.send(request[0], request[1], request[2] == null ? null : "application/json", request[2]);

            assertThat(reply.status()).as("%s %s %s: %s", request[0], request[1], request[2], reply.body())
                    .isEqualTo(Integer.parseInt(request[3]));
            assertThat(reply.contentType()).as("%s %s", request[0], request[1]).startsWith("application/problem+json");
            assertThat(reply.json().get("status").asInt()).isEqualTo(Integer.parseInt(request[3]));
            assertThat(reply.json().get("detail").asText()).as("%s %s", request[0], request[1]).contains(request[4]);
        }
        assertThat(api.get("/vms").json().size()).as("live VMs after the bad requests").isEqualTo(before);
    }

    /** Reads the SSH banner within 3 s: a paused guest's TCP stack does not answer. */
    private static boolean sshPortAnswers(String address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, 22), 3_000);
            socket.setSoTimeout(3_000);
            return socket.getInputStream().read() != -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static void assertReleasedButRow(HearthApi api, String id) {
        JsonNode vm = api.get("/vms/" + id).json();
        assertThat(vm.get("state").asText()).isEqualTo("FAILED");
        assertThat(vm.has("tapName")).as("TAP released").isFalse();
        assertThat(vm.has("firecrackerPid")).as("process released").isFalse();
        assertThat(Files.exists(STATE_DIR.resolve("vms").resolve(id))).as("VM directory removed").isFalse();
        assertThat(HostState.processesMentioning(id)).as("processes of VM %s", id).isEmpty();
    }

    private static void assertLeftNothing(String id, String tap, long pid) {
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("Firecracker pid %d", pid).isEmpty();
        assertThat(HostState.processesMentioning(STATE_DIR.resolve("vms").resolve(id).toString()))
                .as("processes using VM %s's directory (QEMU included)", id).isEmpty();
        assertThat(HostState.tapExists(tap)).as("TAP device %s", tap).isFalse();
        assertThat(Files.exists(STATE_DIR.resolve("vms").resolve(id))).as("directory of VM %s", id).isFalse();
    }
}
