package dev.hearth.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.firecracker.ApiRecords.BootSource;
import dev.hearth.firecracker.ApiRecords.Drive;
import dev.hearth.firecracker.ApiRecords.MachineConfiguration;
import dev.hearth.firecracker.ApiRecords.NetworkInterface;
import dev.hearth.lab.EmulatorProcess;
import dev.hearth.lab.FirecrackerApiClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hearth's Firecracker client against the emulator's API socket. */
class FirecrackerClientTest {

    @TempDir
    Path directory;

    @Test
    void configuresAndReadsBack() throws Exception {
        Path socket = directory.resolve("fc.sock");
        Path kernel = Files.writeString(directory.resolve("vmlinux"), "kernel");
        Path rootfs = Files.writeString(directory.resolve("rootfs.ext4"), "disk");
        try (EmulatorProcess emulator = EmulatorProcess.startWithApi(directory, socket, "client-test");
             FirecrackerApiClient raw = new FirecrackerApiClient(socket)) {
            FirecrackerClient cut = new FirecrackerClient(socket, Duration.ofSeconds(5));

            cut.putMachineConfig(new MachineConfiguration(2, 300));
            cut.putBootSource(new BootSource(kernel.toString(), null, "console=ttyS0"));
            cut.putDrive(new Drive("rootfs", rootfs.toString(), true, false));

            assertThat(cut.describeInstance().id()).isEqualTo("client-test");
            assertThat(cut.describeInstance().state()).isEqualTo("Not started");
            assertThat(cut.describeInstance().vmmVersion()).isNotBlank();
            var config = raw.get("/vm/config").json();
            assertThat(config.at("/machine-config/vcpu_count").asInt()).isEqualTo(2);
            assertThat(config.at("/machine-config/mem_size_mib").asInt()).isEqualTo(300);
            assertThat(config.at("/boot-source/kernel_image_path").asText()).isEqualTo(kernel.toString());
            assertThat(config.at("/boot-source").has("initrd_path")).as("null fields are left out").isFalse();
            assertThat(config.at("/drives/0/is_root_device").asBoolean()).isTrue();
        }
    }

    @Test
    void faultMessageBecomesTheError() throws Exception {
        Path socket = directory.resolve("fc.sock");
        try (EmulatorProcess emulator = EmulatorProcess.startWithApi(directory, socket, "client-fault")) {
            FirecrackerClient cut = new FirecrackerClient(socket, Duration.ofSeconds(5));

            assertThatThrownBy(() -> cut.putNetworkInterface(new NetworkInterface("eth0", "06:00:AC:10:00:02", "notap0")))
                    .isInstanceOf(FirecrackerApiException.class)
                    .hasMessageContaining("PUT /network-interfaces/eth0 on " + socket)
                    .hasMessageContaining("status 400")
                    .hasMessageContaining("Invalid TUN/TAP Backend provided by notap0")
                    .satisfies(e -> assertThat(((FirecrackerApiException) e).status()).isEqualTo(400));
            assertThatThrownBy(cut::pause)
                    .hasMessageContaining("not supported before starting the microVM");
        }
    }

    @Test
    void missingSocketFailsWithThePath() {
        FirecrackerClient cut = new FirecrackerClient(directory.resolve("none.sock"), Duration.ofSeconds(1));

        assertThatThrownBy(cut::describeInstance)
                .isInstanceOf(FirecrackerApiException.class)
                .hasMessageContaining("GET / on " + directory.resolve("none.sock"));
    }
}
