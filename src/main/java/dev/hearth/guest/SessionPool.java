package dev.hearth.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * One SSH session per VM, keyed by the VM's address. An entry also records the VM's id and its
 * pinned host key, so that a new VM on an old VM's address never gets the old session: a
 * different id or key replaces the entry, and so does a closed or broken session. Each session
 * carries at most {@value #CHANNELS_PER_SESSION} channels at once, below OpenSSH's default
 * {@code MaxSessions} of 10; further callers wait in line for a free channel.
 */
public final class SessionPool implements AutoCloseable {

    /**
     * Channels one session carries at once. With 8, sshd's limit of 10 still rejected opens here
     * under 30 concurrent commands, probably because sshd counts a channel for a moment after it
     * closed. The margin of 4 has held since.
     */
    public static final int CHANNELS_PER_SESSION = 6;

    static final AttributeRepository.AttributeKey<PublicKey> PINNED_HOST_KEY = new AttributeRepository.AttributeKey<>();

    private static final Logger LOG = Logger.getLogger(SessionPool.class.getName());

    /** The VM to reach: its id, address and the host key pinned for it. */
    public record Target(String vmId, String host, PublicKey hostKey) {
    }

    private static final class Entry {
        final String vmId;
        final PublicKey hostKey;
        final ClientSession session;
        final Semaphore channels = new Semaphore(CHANNELS_PER_SESSION, true);

        Entry(Target target, ClientSession session) {
            this.vmId = target.vmId();
            this.hostKey = target.hostKey();
            this.session = session;
        }

        boolean serves(Target target) {
            return vmId.equals(target.vmId()) && KeyUtils.compareKeys(hostKey, target.hostKey())
                    && session.isOpen() && !session.isClosing();
        }
    }

    /** A session with one channel reserved; closing the lease frees the channel, not the session. */
    public static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        public ClientSession session() {
            return entry.session;
        }

        @Override
        public synchronized void close() {
            if (!released) {
                released = true;
                entry.channels.release();
            }
        }
    }

    private final SshClient client;
    private final KeyPair identity;
    private final String user;
    private final int port;
    private final Duration connectTimeout;
    private final Duration authTimeout;
    private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>();

    /**
     * Uses {@code client}, which this pool configures to accept only the host key pinned for
     * each connection; the caller starts and stops the client.
     */
    public SessionPool(SshClient client, KeyPair identity, String user, int port, Duration connectTimeout, Duration authTimeout) {
        this.client = client;
        this.identity = identity;
        this.user = user;
        this.port = port;
        this.connectTimeout = connectTimeout;
        this.authTimeout = authTimeout;
        client.setServerKeyVerifier(SessionPool::verifyPinnedKey);
    }

    /**
     * Returns the VM's session with a channel reserved, connecting first when there is no usable
     * session. Waits up to {@code queueTimeout} for a free channel.
     *
     * @throws IOException when connecting, authenticating or waiting fails, naming the VM and address
     */
    public Lease acquire(Target target, Duration queueTimeout) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 2; attempt++) {
            Entry entry = entryFor(target);
            if (!entry.channels.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("all " + CHANNELS_PER_SESSION + " SSH channels to VM " + target.vmId() + " at "
                        + target.host() + " stayed busy for " + queueTimeout.toMillis() + " ms");
            }
            if (entry.serves(target)) {
                return new Lease(entry);
            }
            // The session broke while this caller waited; the next round replaces it.
            entry.channels.release();
        }
        throw new IOException("the SSH session to VM " + target.vmId() + " at " + target.host() + " broke twice in a row");
    }

    private Entry entryFor(Target target) throws IOException {
        try {
            return sessions.compute(target.host(), (host, old) -> {
                if (old != null && old.serves(target)) {
                    return old;
                }
                if (old != null) {
                    LOG.log(Level.INFO, "Replacing the SSH session to {0} (VM {1}) for VM {2}",
                            new Object[] {host, old.vmId, target.vmId()});
                    old.session.close(true);
                }
                return new Entry(target, connect(target));
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private ClientSession connect(Target target) {
        ClientSession session = null;
        try {
            session = client.connect(user, target.host(), port, AttributeRepository.ofKeyValuePair(PINNED_HOST_KEY, target.hostKey()))
                    .verify(connectTimeout).getSession();
            session.addPublicKeyIdentity(identity);
            session.auth().verify(authTimeout);
            LOG.log(Level.FINE, "Opened an SSH session to VM {0} at {1}", new Object[] {target.vmId(), target.host()});
            return session;
        } catch (IOException | RuntimeException e) {
            if (session != null) {
                session.close(true);
            }
            IOException failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            throw new UncheckedIOException(new IOException("SSH to VM " + target.vmId() + " at " + target.host()
                    + " failed: " + failure.getMessage(), failure));
        }
    }

    /** Closes and removes every session of {@code vmId}; returns how many there were. */
    public int evict(String vmId) {
        int[] closed = {0};
        sessions.values().removeIf(entry -> {
            if (!entry.vmId.equals(vmId)) {
                return false;
            }
            entry.session.close(true);
            closed[0]++;
            return true;
        });
        if (closed[0] > 0) {
            LOG.log(Level.INFO, "Closed the SSH session of VM {0}", vmId);
        }
        return closed[0];
    }

    /** Returns whether a session to {@code host} is pooled for {@code vmId}. */
    public boolean hasSession(String host, String vmId) {
        Entry entry = sessions.get(host);
        return entry != null && entry.vmId.equals(vmId);
    }

    public int size() {
        return sessions.size();
    }

    /** Closes every session. */
    @Override
    public void close() {
        sessions.values().forEach(entry -> entry.session.close(true));
        sessions.clear();
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
}
