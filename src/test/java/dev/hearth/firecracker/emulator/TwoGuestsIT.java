package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.disks.Debugfs;
import dev.hearth.lab.GuestImage;
import dev.hearth.lab.GuestSsh;
import dev.hearth.lab.GuestVm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Two guests from two copies of one image run at once and never see each other's files. */
class TwoGuestsIT {

    private static final Path WORK = Path.of("target", "guest-lab", "two");

    @Test
    void eachGuestSeesOnlyItsOwnFiles() throws Exception {
        GuestImage image = GuestImage.forTests();
        ExecutorService boots = Executors.newFixedThreadPool(2);
        try {
            Future<GuestVm> first = boots.submit(() -> GuestVm.boot(image, WORK.toAbsolutePath(), "guest-a", 2, 1, 256));
            Future<GuestVm> second = boots.submit(() -> GuestVm.boot(image, WORK.toAbsolutePath(), "guest-b", 3, 1, 256));
            try (GuestVm a = first.get(); GuestVm b = second.get();
                 GuestSsh sshA = a.ssh(Duration.ofSeconds(240)); GuestSsh sshB = b.ssh(Duration.ofSeconds(240))) {
                assertThat(a.emulator().isAlive()).isTrue();
                assertThat(b.emulator().isAlive()).isTrue();

                writeOwnerFile(sshA, "guest-a");
                writeOwnerFile(sshB, "guest-b");

                assertThat(listRoot(sshA)).contains("owner-guest-a").doesNotContain("owner-guest-b");
                assertThat(listRoot(sshB)).contains("owner-guest-b").doesNotContain("owner-guest-a");
                assertThat(sshA.exec("cat /root/owner-guest-a", Duration.ofSeconds(20)).stdout().trim())
                        .isEqualTo("guest-a");
                assertThat(sshB.exec("hostname", Duration.ofSeconds(20)).stdout().trim()).isEqualTo("guest-b");
            }
        } finally {
            boots.shutdownNow();
        }

        // The base image itself never received either file.
        byte[] inBase = new Debugfs().readFile(image.rootfs(), "/root/owner-guest-a");
        assertThat(inBase).isEmpty();
    }

    private static void writeOwnerFile(GuestSsh ssh, String name) throws Exception {
        GuestSsh.Result write = ssh.exec("echo " + name + " > /root/owner-" + name + " && sync", Duration.ofSeconds(30));
        assertThat(write.exitStatus()).as("write in %s: %s", name, write.stderr()).isZero();
    }

    private static String listRoot(GuestSsh ssh) throws Exception {
        GuestSsh.Result list = ssh.exec("ls -1 /root", Duration.ofSeconds(20));
        assertThat(list.exitStatus()).isZero();
        return list.stdout();
    }
}
