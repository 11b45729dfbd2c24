package dev.hearth.guest;

import dev.hearth.platform.HearthConfig;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Owns Hearth's one SSH client, started in {@code @PostConstruct} and stopped in
 * {@code @PreDestroy}, and Hearth's SSH key pair, created on first start. Every connection
 * checks the server's host key against the key pinned for that VM, and no other.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class SshConnections {

    private static final Logger LOG = Logger.getLogger(SshConnections.class.getName());
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(500);
    static final AttributeRepository.AttributeKey<PublicKey> PINNED_HOST_KEY = new AttributeRepository.AttributeKey<>();

    @Inject
    HearthConfig config;

    private SshClient client;
    private KeyPair identity;

    @PostConstruct
    void start() {
        try {
            identity = loadOrCreateIdentity(config.sshKeyFile());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot load or create Hearth's SSH key " + config.sshKeyFile(), e);
        }
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(SshConnections::verifyPinnedKey);
        client.start();
        LOG.log(Level.INFO, "SSH client started; Hearth''s public key is in {0}.pub", config.sshKeyFile());
    }

    @PreDestroy
    void stop() {
        if (client != null) {
            client.stop();
            LOG.info("SSH client stopped");
        }
    }

    /** The {@code authorized_keys} line that lets Hearth log in to a VM. */
    public String authorizedKeyLine() {
        return SshKeys.publicKeyLine(identity.getPublic()) + " hearth";
    }

    /**
     * Waits until the guest at {@code host} accepts an SSH login with Hearth's key and presents
     * exactly {@code hostKey}. Retries until {@code timeout}, and stops early when
     * {@code keepWaiting} turns false (for example when the VM's process has died).
     *
     * @throws IOException naming the VM, the host and the last connection error
     */
    public void awaitLogin(String vmId, String host, PublicKey hostKey, Duration timeout, BooleanSupplier keepWaiting)
            throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!keepWaiting.getAsBoolean()) {
                throw new IOException("stopped waiting for SSH on VM " + vmId + " at " + host);
            }
            try (ClientSession session = connect(host, hostKey)) {
                return;
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(RETRY_PAUSE.toMillis());
        }
        throw new IOException("no SSH login to VM " + vmId + " at " + host + " within " + timeout.toSeconds()
                + " s; last error: " + (last == null ? "none" : last.getMessage()), last);
    }

    /**
     * Accepts the server's key only if it equals the key pinned for the connection. The pin
     * travels with the connection request, so it is in place before the key exchange starts.
     */
    static boolean verifyPinnedKey(ClientSession session, SocketAddress remote, PublicKey serverKey) {
        AttributeRepository context = session.getConnectionContext();
        PublicKey pinned = context == null ? null : context.getAttribute(PINNED_HOST_KEY);
        boolean matches = pinned != null && KeyUtils.compareKeys(pinned, serverKey);
        if (!matches) {
            LOG.log(Level.WARNING, "Rejected SSH host key {0} from {1}: it is not the key pinned for this VM",
                    new Object[] {KeyUtils.getFingerPrint(serverKey), remote});
        }
        return matches;
    }

    private ClientSession connect(String host, PublicKey hostKey) throws IOException {
        ClientSession session = client.connect(config.sshUser(), host, 22,
                        AttributeRepository.ofKeyValuePair(PINNED_HOST_KEY, hostKey))
                .verify(CONNECT_TIMEOUT).getSession();
        try {
            session.addPublicKeyIdentity(identity);
            session.auth().verify(AUTH_TIMEOUT);
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            throw e;
        }
    }

    static KeyPair loadOrCreateIdentity(Path file) throws IOException, GeneralSecurityException {
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                Iterator<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()),
                        in, null).iterator();
                if (!pairs.hasNext()) {
                    throw new IOException("no key pair in " + file);
                }
                return pairs.next();
            }
        }
        Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        KeyPair pair = SshKeys.generate();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(temporary)) {
            out.write(SshKeys.openSshPrivateKey(pair));
        }
        Files.move(temporary, file);
        Files.writeString(file.resolveSibling(file.getFileName() + ".pub"), SshKeys.publicKeyLine(pair.getPublic()) + " hearth\n");
        LOG.log(Level.INFO, "Created Hearth''s SSH key pair {0}", file);
        return pair;
    }
}
