/**
 * The VM lifecycle: the REST resource, the facade that creates, lists, pauses and deletes VMs,
 * the provisioning steps that run after a create, and the {@link dev.hearth.vms.MicroVm} entity.
 * Disks, addresses, Firecracker and SSH are delegated to their own packages.
 */
package dev.hearth.vms;
