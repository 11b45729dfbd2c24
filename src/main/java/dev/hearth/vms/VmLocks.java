package dev.hearth.vms;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per VM, held while a provisioning step, a delete, a pause or a resume changes what
 * the VM holds, so that a delete never runs in the middle of a step and sees every resource the
 * step recorded.
 */
@ApplicationScoped
public class VmLocks {

    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** An action under a VM's lock that may throw. */
    @FunctionalInterface
    public interface Action<T, E extends Exception> {
        T run() throws E;
    }

    public <T, E extends Exception> T withLock(String vmId, Action<T, E> action) throws E {
        ReentrantLock lock = locks.computeIfAbsent(vmId, id -> new ReentrantLock());
        lock.lock();
        try {
            return action.run();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets a deleted VM's lock. */
    public void forget(String vmId) {
        locks.remove(vmId);
    }
}
