package dev.hearth.vms;

import dev.hearth.firecracker.FirecrackerProcess;
import dev.hearth.guest.SshConnections;
import dev.hearth.platform.HearthConfig;
import jakarta.ejb.EJB;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Notices, every two seconds, a Firecracker process that died while its VM was RUNNING or
 * PAUSED: the VM becomes FAILED with the exit status and the tail of its log, and its SSH
 * session is evicted. The VM keeps its disk and the rest of its resources until it is deleted.
 */
@Singleton
@Startup
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class VmWatcher {

    private static final Logger LOG = Logger.getLogger(VmWatcher.class.getName());

    @Inject
    HearthConfig config;

    @EJB
    VmStore store;

    @Inject
    VmLocks locks;

    @Inject
    FirecrackerProcesses processes;

    @EJB
    SshConnections ssh;

    @Inject
    StartupState startup;

    @Schedule(second = "*/2", minute = "*", hour = "*", persistent = false)
    void checkProcesses() {
        if (!startup.isReconciled()) {
            // The start-up reconciliation decides about these VMs first.
            return;
        }
        for (VmState state : List.of(VmState.RUNNING, VmState.PAUSED)) {
            for (MicroVm vm : store.list(state)) {
                try {
                    check(vm);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Checking the Firecracker process of VM " + vm.getId() + " failed", e);
                }
            }
        }
    }

    private void check(MicroVm vm) {
        Path logFile = config.vmsDir().resolve(vm.getId()).resolve("firecracker.log");
        Optional<FirecrackerProcess> process = processes.find(vm, logFile);
        if (process.isPresent() && process.get().isAlive()) {
            return;
        }
        locks.withLock(vm.getId(), () -> {
            MicroVm current = store.find(vm.getId()).orElse(null);
            if (current == null || (current.getState() != VmState.RUNNING && current.getState() != VmState.PAUSED)) {
                return null;
            }
            VmState was = current.getState();
            String reason = process.map(FirecrackerProcess::exitDescription)
                    .orElse("Firecracker (pid " + current.getFirecrackerPid() + ") is gone");
            ssh.evict(current.getId());
            store.update(current.getId(), row -> row.transition(VmState.FAILED, "the VM stopped while " + was + ": " + reason));
            LOG.log(Level.WARNING, "VM {0} is FAILED: its Firecracker process stopped while it was {1}: {2}",
                    new Object[] {current.getId(), was, reason});
            return null;
        });
    }
}
