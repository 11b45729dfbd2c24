/**
 * Addresses and TAP devices. Each VM gets a slot: one /30 of the configured subnet, whose first
 * host address is the TAP device's and whose second is the guest's. Which slots are taken is
 * recorded on the VM rows in the database ({@code dev.hearth.vms}), not here.
 */
package dev.hearth.network;
