package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.GuestImage;
import dev.hearth.lab.GuestSsh;
import dev.hearth.lab.GuestVm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Boots the base image through the emulator's API alone and checks the guest from inside. */
class GuestBootIT {

    private static final Path WORK = Path.of("target", "guest-lab", "boot");

    @Test
    void bootsLogsInAndPowersOffOnCtrlAltDel() throws Exception {
        GuestImage image = GuestImage.forTests();
        try (GuestVm vm = GuestVm.boot(image, WORK.toAbsolutePath(), "boot-check", 1, 2, 384)) {
            try (GuestSsh ssh = vm.ssh(Duration.ofSeconds(180))) {
                System.out.printf("GuestBootIT: InstanceStart to SSH login took %d ms%n",
                        vm.sinceInstanceStart().toMillis());

                GuestSsh.Result address = ssh.exec("ip -4 -o addr show dev eth0", Duration.ofSeconds(20));
                assertThat(address.exitStatus()).isZero();
                assertThat(address.stdout()).contains("inet " + vm.guestAddress() + "/30");

                GuestSsh.Result mac = ssh.exec("cat /sys/class/net/eth0/address", Duration.ofSeconds(20));
                assertThat(mac.stdout().trim()).isEqualToIgnoringCase(vm.guestMac());

                GuestSsh.Result cpus = ssh.exec("nproc", Duration.ofSeconds(20));
                assertThat(cpus.stdout().trim()).isEqualTo("2");

                GuestSsh.Result memory = ssh.exec("awk '/^MemTotal:/ {print $2}' /proc/meminfo", Duration.ofSeconds(20));
                long totalKib = Long.parseLong(memory.stdout().trim());
                // The kernel reserves part of the configured memory for itself, so MemTotal is a bit lower.
                assertThat(totalKib).isBetween(300L * 1024, 384L * 1024);

                GuestSsh.Result hostname = ssh.exec("hostname", Duration.ofSeconds(20));
                assertThat(hostname.stdout().trim()).isEqualTo("boot-check");

                GuestSsh.Result root = ssh.exec("findmnt -n -o SOURCE,OPTIONS /", Duration.ofSeconds(20));
                assertThat(root.stdout()).startsWith("/dev/vda").contains("rw");
            }

            assertThat(vm.api().put("/actions", "{\"action_type\":\"SendCtrlAltDel\"}").status()).isEqualTo(204);
            OptionalInt exit = vm.emulator().awaitExit(Duration.ofSeconds(90));
            assertThat(exit).as("emulator exit status after SendCtrlAltDel; console:%n%s", vm.emulator().console())
                    .hasValue(0);
            assertThat(vm.emulator().console()).contains("reboot: Restarting system");
        }
    }
}
