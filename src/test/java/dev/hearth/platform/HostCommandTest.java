package dev.hearth.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostCommandTest {

    @Test
    void returnsStatusAndCombinedOutput() throws Exception {
        HostCommand.Result result = HostCommand.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"),
                Duration.ofSeconds(10));

        assertThat(result.exitStatus()).isEqualTo(3);
        assertThat(result.output()).contains("out").contains("err");
    }

    @Test
    void argumentsAreNotInterpretedByAShell() throws Exception {
        assertThat(HostCommand.runChecked(List.of("echo", "$HOME; rm -rf /nonexistent"), Duration.ofSeconds(10)))
                .isEqualTo("$HOME; rm -rf /nonexistent");
    }

    @Test
    void timeoutHoldsWhileOutputStaysOpen() {
        long started = System.nanoTime();

        // The background sleep keeps the output open after the shell has printed.
        assertThatThrownBy(() -> HostCommand.run(List.of("sh", "-c", "echo started; sleep 30 & sleep 30"), Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("timed out after 1 s");
        assertThat((System.nanoTime() - started) / 1_000_000).as("ms until the time-out fired").isLessThan(10_000);
    }

    @Test
    void failureNamesCommandStatusAndOutput() {
        assertThatThrownBy(() -> HostCommand.runChecked(List.of("sh", "-c", "echo broken >&2; exit 2"), Duration.ofSeconds(10)))
                .hasMessage("sh -c echo broken >&2; exit 2 failed with status 2: broken");
    }
}
