package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.EmulatorProcess;
import dev.hearth.lab.FirecrackerApiClient;
import dev.hearth.lab.FirecrackerApiClient.Reply;
import dev.hearth.lab.GuestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API after {@code InstanceStart}: pre-boot resources are rejected, pause and resume work,
 * and QEMU ends with the emulator. The guest boots the base image read-only and has no network
 * interface, so this runs outside the test network namespace.
 */
class EmulatorStartedContractTest {

    private static final String AFTER_START = "The requested operation is not supported after starting the microVM.";

    @TempDir
    Path directory;

    @Test
    void startedMicroVmRejectsPreBootResources() throws Exception {
        GuestImage image = GuestImage.forTests();
        Path socket = directory.resolve("api.sock");
        try (EmulatorProcess emulator = EmulatorProcess.startWithApi(directory, socket, "started-vm");
             FirecrackerApiClient api = new FirecrackerApiClient(socket)) {
            configure(api, image);
            assertThat(api.put("/actions", "{\"action_type\":\"InstanceStart\"}").status()).isEqualTo(204);
            assertThat(api.get("/").json().get("state").asText()).isEqualTo("Running");
            assertThat(emulator.awaitConsole("Linux version", Duration.ofSeconds(60)))
                    .as("guest kernel output on the emulator's stdout; stderr:%n%s", emulator.stderr()).isTrue();

            for (List<String> request : List.of(
                    List.of("/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":128}"),
                    List.of("/boot-source", "{\"kernel_image_path\":\"" + image.kernel() + "\"}"),
                    List.of("/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + image.rootfs()
                            + "\",\"is_root_device\":true,\"is_read_only\":true}"),
                    List.of("/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\"}"),
                    List.of("/actions", "{\"action_type\":\"InstanceStart\"}"))) {
                Reply reply = api.put(request.get(0), request.get(1));
                assertThat(reply.status()).as("PUT %s after start", request.get(0)).isEqualTo(400);
                assertThat(reply.faultMessage()).as("PUT %s after start", request.get(0)).isEqualTo(AFTER_START);
            }
            assertThat(api.patch("/machine-config", "{\"mem_size_mib\":256}").faultMessage()).isEqualTo(AFTER_START);

            Reply swap = api.patch("/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + image.rootfs() + "\"}");
            assertThat(swap.status()).isEqualTo(400);
            assertThat(swap.faultMessage()).contains("does not emulate changing a drive's backing file");

            assertThat(api.patch("/vm", "{\"state\":\"Paused\"}").status()).isEqualTo(204);
            assertThat(api.get("/").json().get("state").asText()).isEqualTo("Paused");
            assertThat(api.patch("/vm", "{\"state\":\"Resumed\"}").status()).isEqualTo(204);
            assertThat(api.get("/").json().get("state").asText()).isEqualTo("Running");

            assertThat(api.get("/machine-config").json().get("mem_size_mib").asInt()).isEqualTo(256);

            List<ProcessHandle> qemu = emulator.descendants().stream()
                    .filter(process -> process.info().command().orElse("").contains("qemu-system"))
                    .toList();
            assertThat(qemu).as("QEMU among the emulator's child processes").hasSize(1);

            // Firecracker's guest dies with its process, even on SIGKILL; so must QEMU.
            ProcessHandle.of(emulator.pid()).orElseThrow().destroyForcibly();
            assertThat(qemu.get(0).onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join())
                    .as("QEMU exit after the emulator was killed").isNotNull();
            assertThat(qemu.get(0).isAlive()).isFalse();
        }
    }

    private static void configure(FirecrackerApiClient api, GuestImage image) {
        assertThat(api.put("/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":256}").status()).isEqualTo(204);
        assertThat(api.put("/boot-source", "{\"kernel_image_path\":\"" + image.kernel() + "\",\"initrd_path\":\""
                + image.initrd() + "\",\"boot_args\":\"" + image.bootArgs() + " pci=off\"}").status()).isEqualTo(204);
        assertThat(api.put("/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + image.rootfs()
                + "\",\"is_root_device\":true,\"is_read_only\":true}").status()).isEqualTo(204);
    }
}
