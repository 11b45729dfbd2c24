/**
 * Access to the inside of a VM over SSH: Hearth's own key pair, the {@link dev.hearth.guest.SshConnections}
 * singleton that owns the SSH client, and strict host key checking against the key pinned for
 * each VM. An accept-all host key verifier is never installed.
 */
package dev.hearth.guest;
