package dev.hearth.vms;

import dev.hearth.guest.SshConnections;
import dev.hearth.platform.HearthConfig;
import jakarta.ejb.Asynchronous;
import jakarta.ejb.EJB;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Runs the provisioning steps of a new VM on a container thread, after {@code POST /vms} has returned. */
@Stateless
public class Provisioner {

    private static final Logger LOG = Logger.getLogger(Provisioner.class.getName());

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

    /** Runs outside a transaction: each step writes its own results as it finishes. */
    @Asynchronous
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public void provision(String vmId) {
        try {
            new ProvisioningRun(vmId, config, store, locks, processes, ssh).run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "Provisioning of VM " + vmId + " ended with an unexpected error", e);
            locks.withLock(vmId, () -> store.find(vmId)
                    .filter(vm -> !vm.getState().isFinal() && vm.getState() != VmState.STOPPING)
                    .map(vm -> store.update(vmId, row -> row.transition(VmState.FAILED,
                            "provisioning failed unexpectedly: " + e.getMessage()))));
        }
    }
}
