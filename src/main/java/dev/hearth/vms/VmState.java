package dev.hearth.vms;

/**
 * A VM's state. {@code PROVISIONING} (disk and network being prepared) leads to {@code BOOTING}
 * (Firecracker configured and started), then {@code RUNNING} (SSH answered with the pinned host
 * key), which {@code PAUSED} can interrupt. {@code STOPPING} leads to {@code DELETED}, and any
 * step can end in {@code FAILED}.
 */
public enum VmState {
    PROVISIONING, BOOTING, RUNNING, PAUSED, STOPPING, FAILED, DELETED;

    /** States a VM can no longer leave on its own. */
    public boolean isFinal() {
        return this == FAILED || this == DELETED;
    }
}
