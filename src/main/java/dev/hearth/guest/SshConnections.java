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
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Owns Hearth's one SSH client, started in {@code @PostConstruct} and stopped in
 * {@code @PreDestroy}, the pool of one session per VM ({@link SessionPool}), and Hearth's SSH
 * key pair, created on first start. Every connection checks the server's host key against the
 * key pinned for that VM, and no other.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class SshConnections {

    private static final Logger LOG = Logger.getLogger(SshConnections.class.getName());
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(500);
    /** How long a caller waits for one of a session's channels before giving up. */
    private static final Duration CHANNEL_QUEUE_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    HearthConfig config;

    private SshClient client;
    private KeyPair identity;
    private SessionPool pool;

    @PostConstruct
    void start() {
        try {
            identity = loadOrCreateIdentity(config.sshKeyFile());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot load or create Hearth's SSH key " + config.sshKeyFile(), e);
        }
        client = SshClient.setUpDefaultClient();
        pool = new SessionPool(client, identity, config.sshUser(), 22, CONNECT_TIMEOUT, AUTH_TIMEOUT);
        client.start();
        LOG.log(Level.INFO, "SSH client started; Hearth''s public key is in {0}.pub", config.sshKeyFile());
    }

    @PreDestroy
    void stop() {
        if (pool != null) {
            LOG.log(Level.INFO, "Closing {0} pooled SSH sessions", pool.size());
            pool.close();
        }
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
     * Returns the VM's pooled session with one channel reserved, connecting when needed; the
     * caller closes the lease when its channel is done.
     */
    public SessionPool.Lease lease(String vmId, String host, PublicKey hostKey) throws IOException, InterruptedException {
        return pool.acquire(new SessionPool.Target(vmId, host, hostKey), CHANNEL_QUEUE_TIMEOUT);
    }

    /** Closes and removes the VM's session, as a delete does before it stops the VM. */
    public void evict(String vmId) {
        pool.evict(vmId);
    }

    /**
     * Waits until the guest at {@code host} accepts an SSH login with Hearth's key and presents
     * exactly {@code hostKey}, and keeps that session in the pool. Retries until {@code timeout},
     * and stops early when {@code keepWaiting} turns false (for example when the VM's process has died).
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
            try (SessionPool.Lease lease = lease(vmId, host, hostKey)) {
                return;
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(RETRY_PAUSE.toMillis());
        }
        throw new IOException("no SSH login to VM " + vmId + " at " + host + " within " + timeout.toSeconds()
                + " s; last error: " + (last == null ? "none" : last.getMessage()), last);
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
