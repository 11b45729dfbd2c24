package dev.hearth.guest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;

/**
 * Opens a channel on a pooled session, and opens it again when the server rejects it for want of
 * room. OpenSSH's sshd rejects a session channel beyond {@code MaxSessions} with the message
 * "open failed", and has done so here for opens that closely followed other channels' closes
 * although the pool never had more than its bound open. A rejected channel never ran anything,
 * so opening it again is safe.
 */
final class ChannelOpening {

    /** Opens one channel. A rejected open must leave nothing behind. */
    @FunctionalInterface
    interface Opener<T> {
        T open() throws IOException;
    }

    static final int ATTEMPTS = 10;
    private static final long FIRST_PAUSE_MILLIS = 25;
    private static final long MAX_PAUSE_MILLIS = 1000;

    private static final Logger LOG = Logger.getLogger(ChannelOpening.class.getName());

    private ChannelOpening() {
    }

    /**
     * Returns {@code opener}'s channel, trying up to {@value #ATTEMPTS} times while the server
     * rejects it for any reason but an unknown channel type, with pauses growing from 25 ms to
     * 1 s (about 4.6 s in all).
     * {@code guest} names the guest in the log.
     */
    static <T> T open(String guest, Opener<T> opener) throws IOException {
        long pause = FIRST_PAUSE_MILLIS;
        for (int attempt = 1; ; attempt++) {
            try {
                T channel = opener.open();
                if (attempt > 1) {
                    LOG.log(Level.INFO, "{0} accepted a new SSH channel at attempt {1} after rejecting it for room",
                            new Object[] {guest, attempt});
                }
                return channel;
            } catch (IOException e) {
                if (!isRejectedForRoom(e) || attempt == ATTEMPTS) {
                    throw e;
                }
                LOG.log(Level.FINE, "{0} rejected a new SSH channel (attempt {1} of {2}), trying again in {3} ms",
                        new Object[] {guest, attempt, ATTEMPTS, pause});
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting to open an SSH channel to " + guest);
            }
            pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
        }
    }

    static boolean isRejectedForRoom(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SshChannelOpenException rejected) {
                // OpenSSH's sshd sends "connect failed" (2) when it cannot start a session; other
                // servers send "administratively prohibited" (1) or "resource shortage" (4).
                return rejected.getReasonCode() != SshConstants.SSH_OPEN_UNKNOWN_CHANNEL_TYPE;
            }
        }
        return false;
    }
}
