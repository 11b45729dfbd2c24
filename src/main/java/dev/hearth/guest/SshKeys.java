package dev.hearth.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;

/**
 * SSH key pairs in the formats OpenSSH reads: ECDSA P-256, which the JDK implements without an
 * extra provider. Hearth makes one such pair per VM for the guest's host key.
 */
public final class SshKeys {

    public static final String KEY_TYPE = KeyUtils.EC_ALGORITHM;
    private static final int KEY_SIZE = 256;

    private SshKeys() {
    }

    public static KeyPair generate() throws GeneralSecurityException {
        return KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", KEY_SIZE);
    }

    /** Encodes the private key as OpenSSH's unencrypted private key file, as sshd reads it. */
    public static byte[] openSshPrivateKey(KeyPair keyPair) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new OpenSSHKeyPairResourceWriter().writePrivateKey(keyPair, "", null, out);
        return out.toByteArray();
    }

    /** Returns a public key line as in {@code authorized_keys} and {@code *.pub} files. */
    public static String publicKeyLine(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }

    /** Parses a line written by {@link #publicKeyLine}. */
    public static PublicKey parsePublicKey(String line) throws IOException, GeneralSecurityException {
        return PublicKeyEntry.parsePublicKeyEntry(line.trim()).resolvePublicKey(null, null, null);
    }
}
