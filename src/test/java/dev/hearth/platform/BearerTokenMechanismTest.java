package dev.hearth.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class BearerTokenMechanismTest {

    private static final String HASH_OF_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void sha256MatchesKnownVector() {
        assertThat(HexFormat.of().formatHex(BearerTokenMechanism.sha256("abc"))).isEqualTo(HASH_OF_ABC);
    }

    @Test
    void hashListIsParsed() {
        List<byte[]> hashes = BearerTokenMechanism.parseHashes(" " + HASH_OF_ABC.toUpperCase() + " , " + "0".repeat(64) + ",");

        assertThat(hashes).hasSize(2);
        assertThat(HexFormat.of().formatHex(hashes.get(0))).isEqualTo(HASH_OF_ABC);
    }

    @Test
    void invalidHashIsAnErrorThatHidesMostOfIt() {
        assertThatThrownBy(() -> BearerTokenMechanism.parseHashes("my-plain-secret-token"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a hex SHA-256 hash")
                .hasMessageNotContaining("secret-token");
    }
}
