/**
 * Base images and per-VM root disks: reading the image manifests, copying a base image for a VM
 * (reflink where the filesystem allows, otherwise a sparse copy), writing per-VM files into the
 * copy without mounting it, and deleting it. The base image is only ever read.
 */
package dev.hearth.disks;
