package dev.hearth.vms;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether this deployment's start-up reconciliation has finished. The process watcher's timer can
 * fire while the reconciliation still runs, and must leave the VMs to it until then.
 */
@ApplicationScoped
public class StartupState {

    private volatile boolean reconciled;

    void markReconciled() {
        reconciled = true;
    }

    public boolean isReconciled() {
        return reconciled;
    }
}
