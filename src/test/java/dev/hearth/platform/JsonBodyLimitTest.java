package dev.hearth.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class JsonBodyLimitTest {

    @Test
    void streamWithinLimitReadsWhole() throws Exception {
        InputStream in = new JsonBodyLimit.BoundedStream(new ByteArrayInputStream(new byte[100]), 100);

        assertThat(in.readAllBytes()).hasSize(100);
    }

    @Test
    void streamBeyondLimitFailsWith413() {
        InputStream in = new JsonBodyLimit.BoundedStream(new ByteArrayInputStream(new byte[101]), 100);

        assertThatThrownBy(in::readAllBytes)
                .isInstanceOfSatisfying(HearthException.class, e -> assertThat(e.status()).isEqualTo(413))
                .hasMessageContaining("at most 100 bytes");
    }

    @Test
    void singleByteReadsCountToo() throws Exception {
        InputStream in = new JsonBodyLimit.BoundedStream(new ByteArrayInputStream(new byte[3]), 2);
        in.read();
        in.read();

        assertThatThrownBy(in::read).isInstanceOf(HearthException.class);
    }
}
