package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmulatorOptionsTest {

    @Test
    void defaultsAreFirecrackers() {
        EmulatorOptions options = EmulatorOptions.parse(List.of());

        assertThat(options.apiSocket()).isEqualTo(Path.of("/run/firecracker.socket"));
        assertThat(options.id()).isEqualTo("anonymous-instance");
        assertThat(options.level()).isEqualTo(LogLevel.INFO);
        assertThat(options.noApi()).isFalse();
    }

    @Test
    void allOptionsAreRead() {
        EmulatorOptions options = EmulatorOptions.parse(List.of("--api-sock", "/tmp/a.sock", "--id", "vm-1",
                "--log-path", "/tmp/fc.log", "--level", "debug", "--config-file", "/tmp/c.json", "--no-api"));

        assertThat(options.apiSocket()).isEqualTo(Path.of("/tmp/a.sock"));
        assertThat(options.id()).isEqualTo("vm-1");
        assertThat(options.logPath()).contains(Path.of("/tmp/fc.log"));
        assertThat(options.level()).isEqualTo(LogLevel.DEBUG);
        assertThat(options.configFile()).contains(Path.of("/tmp/c.json"));
        assertThat(options.noApi()).isTrue();
    }

    @Test
    void missingValueIsRejected() {
        assertThatThrownBy(() -> EmulatorOptions.parse(List.of("--api-sock")))
                .hasMessageContaining("'--api-sock' requires a value");
    }

    @Test
    void invalidIdIsRejected() {
        assertThatThrownBy(() -> EmulatorOptions.parse(List.of("--id", "has space")))
                .hasMessageContaining("Invalid instance ID");
    }

    @Test
    void invalidLevelIsRejected() {
        assertThatThrownBy(() -> EmulatorOptions.parse(List.of("--level", "loud")))
                .hasMessageContaining("Invalid log level: 'loud'");
    }
}
