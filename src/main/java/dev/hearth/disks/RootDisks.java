package dev.hearth.disks;

import dev.hearth.platform.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-VM root disks, copied from a base image with coreutils' {@code cp}: a reflink
 * ({@code FICLONE}) where the filesystem supports it, which shares every block until the guest
 * writes, and otherwise a sparse copy that skips the image's holes. {@code cp} opens the base
 * image read-only.
 */
public final class RootDisks {

    /** The way a root disk is copied. */
    public enum CopyStrategy {
        /** A copy-on-write clone: no data is copied. */
        REFLINK,
        /** A copy of the data blocks only: holes stay holes. */
        SPARSE;

        /** Chooses the strategy for a filesystem, given whether it supports reflinks. */
        public static CopyStrategy forFilesystem(boolean supportsReflink) {
            return supportsReflink ? REFLINK : SPARSE;
        }

        List<String> cpOptions() {
            return this == REFLINK ? List.of("--reflink=always") : List.of("--reflink=never", "--sparse=always");
        }

        /** Bytes of free space a copy of {@code image} needs. */
        long bytesNeeded(BaseImage image) {
            return this == REFLINK ? 0 : image.rootfsAllocatedBytes();
        }
    }

    /** Too little free space for a copy: the VM fails at its copy-disk step with this message. */
    public static final class InsufficientStorageException extends IOException {
        public InsufficientStorageException(String message) {
            super(message);
        }
    }

    private static final Duration COPY_TIMEOUT = Duration.ofSeconds(600);

    private final long minFreeBytes;

    /** @param minFreeBytes free space that must remain on the state filesystem after a copy */
    public RootDisks(long minFreeBytes) {
        this.minFreeBytes = minFreeBytes;
    }

    /** Finds out whether {@code directory}'s filesystem supports reflinks, by cloning a small probe file. */
    public static boolean supportsReflink(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path probe = Files.createTempFile(directory, ".reflink-probe-", ".tmp");
        Path clone = probe.resolveSibling(probe.getFileName() + ".clone");
        try {
            Files.write(probe, new byte[4096]);
            return HostCommand.run(List.of("cp", "--reflink=always", probe.toString(), clone.toString()), Duration.ofSeconds(30))
                    .exitStatus() == 0;
        } finally {
            Files.deleteIfExists(clone);
            Files.deleteIfExists(probe);
        }
    }

    /**
     * Checks that a copy of {@code image} with {@code strategy} into {@code directory} leaves at
     * least the minimum free space on its filesystem.
     *
     * @throws InsufficientStorageException when it would not, naming the sizes in MiB
     */
    public void requireFreeSpace(Path directory, BaseImage image, CopyStrategy strategy) throws IOException {
        long needed = strategy.bytesNeeded(image);
        long usable = Files.getFileStore(directory).getUsableSpace();
        if (usable - needed < minFreeBytes) {
            throw new InsufficientStorageException("not enough free space in " + directory + " to copy image "
                    + image.name() + ": " + (needed >> 20) + " MiB needed, " + (usable >> 20) + " MiB usable, and "
                    + (minFreeBytes >> 20) + " MiB must stay free (hearth.disk.min-free-mib)");
        }
    }

    /**
     * Copies {@code image}'s root filesystem to {@code target}, mode 0600. Free space is checked
     * first, and a partial copy is removed when the copy fails.
     */
    public void copy(BaseImage image, Path target, CopyStrategy strategy) throws IOException {
        requireFreeSpace(target.getParent(), image, strategy);
        List<String> command = new ArrayList<>(List.of("cp"));
        command.addAll(strategy.cpOptions());
        command.add(image.rootfs().toString());
        command.add(target.toString());
        HostCommand.Result result = HostCommand.run(command, COPY_TIMEOUT);
        if (result.exitStatus() != 0) {
            Files.deleteIfExists(target);
            throw new IOException("copying " + image.rootfs() + " to " + target + " with " + strategy
                    + " failed: " + result.output());
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    }

}
