package dev.hearth.disks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.disks.RootDisks.CopyStrategy;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootDisksTest {

    private static final long SIZE = 256L * 1024 * 1024;

    @TempDir
    Path directory;

    BaseImage image;

    /** A 256 MiB sparse image holding 1 MiB of data in the middle. */
    @BeforeEach
    void makeSparseImage() throws Exception {
        Path rootfs = directory.resolve("base.ext4");
        try (RandomAccessFile file = new RandomAccessFile(rootfs.toFile(), "rw")) {
            file.setLength(SIZE);
            file.seek(SIZE / 2);
            file.write(new byte[1024 * 1024]);
            file.seek(SIZE / 2);
            file.write("data".getBytes(StandardCharsets.UTF_8));
        }
        image = new BaseImage("test", rootfs, SIZE, allocated(rootfs), directory.resolve("k"), null, "console=ttyS0");
    }

    @Test
    void strategyFollowsReflinkSupport() {
        assertThat(CopyStrategy.forFilesystem(true)).isEqualTo(CopyStrategy.REFLINK);
        assertThat(CopyStrategy.forFilesystem(false)).isEqualTo(CopyStrategy.SPARSE);
    }

    @Test
    void reflinkNeedsNoFreeSpaceAndSparseNeedsTheData() {
        assertThat(CopyStrategy.REFLINK.bytesNeeded(image)).isZero();
        assertThat(CopyStrategy.SPARSE.bytesNeeded(image)).isEqualTo(image.rootfsAllocatedBytes());
    }

    @Test
    void sparseCopyKeepsHolesAndContent() throws Exception {
        Path target = directory.resolve("copy.ext4");

        new RootDisks(0).copy(image, target, CopyStrategy.SPARSE);

        assertThat(Files.size(target)).isEqualTo(SIZE);
        assertThat(allocated(target)).isLessThan(8L * 1024 * 1024);
        assertThat(Files.mismatch(image.rootfs(), target)).isEqualTo(-1);
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void copyOfSameContentWithChosenStrategy() throws Exception {
        CopyStrategy chosen = CopyStrategy.forFilesystem(RootDisks.supportsReflink(directory));
        Path target = directory.resolve("chosen.ext4");

        new RootDisks(0).copy(image, target, chosen);

        assertThat(Files.mismatch(image.rootfs(), target)).isEqualTo(-1);
    }

    @Test
    void tooLittleFreeSpaceFailsBeforeCopying() {
        Path target = directory.resolve("never.ext4");

        assertThatThrownBy(() -> new RootDisks(Long.MAX_VALUE / 2).copy(image, target, CopyStrategy.SPARSE))
                .isInstanceOf(RootDisks.InsufficientStorageException.class)
                .hasMessageContaining("not enough free space");
        assertThat(target).doesNotExist();
    }

    @Test
    void failedCopyLeavesNoPartialFile() {
        BaseImage missing = new BaseImage("gone", directory.resolve("missing.ext4"), SIZE, 0, directory.resolve("k"), null, "");
        Path target = directory.resolve("partial.ext4");

        assertThatThrownBy(() -> new RootDisks(0).copy(missing, target, CopyStrategy.SPARSE))
                .hasMessageContaining("copying " + missing.rootfs());
        assertThat(target).doesNotExist();
    }

    private static long allocated(Path file) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] parts = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        assertThat(stat.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }
}
