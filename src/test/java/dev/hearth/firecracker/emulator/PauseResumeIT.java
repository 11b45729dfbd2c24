package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.GuestImage;
import dev.hearth.lab.GuestSsh;
import dev.hearth.lab.GuestVm;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code PATCH /vm} really stops the guest's vCPUs and lets them go on. */
class PauseResumeIT {

    private static final Path WORK = Path.of("target", "guest-lab", "pause");

    @Test
    void pausedGuestRunsNothingUntilResumed() throws Exception {
        GuestImage image = GuestImage.forTests();
        try (GuestVm vm = GuestVm.boot(image, WORK.toAbsolutePath(), "pause-check", 4, 1, 256);
             GuestSsh ssh = vm.ssh(Duration.ofSeconds(180))) {
            assertThat(ssh.exec("true", Duration.ofSeconds(20)).exitStatus()).isZero();

            assertThat(vm.api().patch("/vm", "{\"state\":\"Paused\"}").status()).isEqualTo(204);
            assertThat(vm.api().get("/").json().get("state").asText()).isEqualTo("Paused");

            try (GuestSsh.Running command = ssh.start("echo finished")) {
                GuestSsh.Result whilePaused = command.await(Duration.ofSeconds(8));
                assertThat(whilePaused.exitStatus()).as("exit status while paused").isNull();
                assertThat(whilePaused.stdout()).isEmpty();

                assertThat(vm.api().patch("/vm", "{\"state\":\"Resumed\"}").status()).isEqualTo(204);
                assertThat(vm.api().get("/").json().get("state").asText()).isEqualTo("Running");

                GuestSsh.Result afterResume = command.await(Duration.ofSeconds(60));
                assertThat(afterResume.exitStatus()).isZero();
                assertThat(afterResume.stdout().trim()).isEqualTo("finished");
            }
        }
    }
}
