package dev.hearth.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CappedOutputTest {

    @Test
    void keepsUpToCapAndCountsTheRest() {
        CappedOutput cut = new CappedOutput(4);

        cut.write("abcdef".getBytes(StandardCharsets.UTF_8), 0, 6);

        assertThat(cut.text()).isEqualTo("abcd");
        assertThat(cut.truncated()).isTrue();
    }

    @Test
    void listenerGetsWholeCharactersAcrossSplitWrites() {
        List<String> chunks = new ArrayList<>();
        CappedOutput cut = new CappedOutput(100, chunks::add);
        byte[] euro = "x€y".getBytes(StandardCharsets.UTF_8);

        cut.write(euro, 0, 2);
        cut.write(euro, 2, euro.length - 2);

        assertThat(String.join("", chunks)).isEqualTo("x€y");
        assertThat(chunks.get(0)).isEqualTo("x");
        assertThat(cut.text()).isEqualTo("x€y");
        assertThat(cut.truncated()).isFalse();
    }
}
