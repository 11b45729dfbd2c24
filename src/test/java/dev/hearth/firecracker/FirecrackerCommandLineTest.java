package dev.hearth.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FirecrackerCommandLineTest {

    @Test
    void startsInOwnSessionWithSocketAndId() {
        FirecrackerCommandLine cut = new FirecrackerCommandLine(Path.of("/usr/local/bin/firecracker"),
                Path.of("/var/lib/hearth/state/vms/a/firecracker.sock"), "0b7c2d1e-aaaa-bbbb-cccc-0123456789ab");

        assertThat(cut.arguments()).containsExactly("setsid", "/usr/local/bin/firecracker",
                "--api-sock", "/var/lib/hearth/state/vms/a/firecracker.sock",
                "--id", "0b7c2d1e-aaaa-bbbb-cccc-0123456789ab");
    }

    @Test
    void invalidInstanceIdIsRejected() {
        for (String id : new String[] {"", "has space", "semi;colon", "x".repeat(65)}) {
            assertThatThrownBy(() -> new FirecrackerCommandLine(Path.of("/fc"), Path.of("/s.sock"), id))
                    .as(id)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid Firecracker instance id");
        }
    }

    @Test
    void socketPathLongerThanSunPathIsRejected() {
        Path longPath = Path.of("/" + "d".repeat(100) + "/firecracker.sock");

        assertThatThrownBy(() -> new FirecrackerCommandLine(Path.of("/fc"), longPath, "vm1"))
                .hasMessageContaining("longer than 107 bytes");
    }
}
