/**
 * Everything that speaks Firecracker: its command line, its process, and its API on the Unix
 * socket, with request and response records named after Firecracker's own API definitions.
 * What a VM is and when to boot it belongs to {@code dev.hearth.vms}.
 */
package dev.hearth.firecracker;
