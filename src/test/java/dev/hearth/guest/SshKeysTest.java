package dev.hearth.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.util.Iterator;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.Test;

class SshKeysTest {

    @Test
    void privateKeyReadsBackAsTheSamePair() throws Exception {
        KeyPair pair = SshKeys.generate();

        byte[] encoded = SshKeys.openSshPrivateKey(pair);

        assertThat(new String(encoded)).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
        Iterator<KeyPair> loaded = SecurityUtils.loadKeyPairIdentities(null, () -> "test",
                new ByteArrayInputStream(encoded), null).iterator();
        assertThat(loaded.next().getPublic()).isEqualTo(pair.getPublic());
    }

    @Test
    void publicKeyLineRoundTrips() throws Exception {
        KeyPair pair = SshKeys.generate();

        String line = SshKeys.publicKeyLine(pair.getPublic());

        assertThat(line).startsWith("ecdsa-sha2-nistp256 AAAA");
        assertThat(SshKeys.parsePublicKey(line)).isEqualTo(pair.getPublic());
    }
}
