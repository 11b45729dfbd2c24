package dev.hearth.bench;

import dev.hearth.disks.BaseImage;
import dev.hearth.disks.RootDisks;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * Measures Hearth's disk step, {@link RootDisks#copy} with the strategy Hearth picks for the
 * filesystem, against a plain full copy ({@code cp --sparse=never --reflink=never}) of the same
 * base image. The two alternate in one run, so that both see the same machine load.
 *
 * <p>The base image is a 12 GiB sparse file that contains 1 GiB of non-zero data at four offsets,
 * in a new directory under {@code /var/tmp}. Every file it creates is deleted at the end, also
 * when the run fails or is interrupted, but not after SIGKILL. Each copy is timed from the start
 * of the call to its return. Hearth's {@code copy-disk} timing also covers the reflink probe,
 * which is timed once here and reported apart. The time to write the copy's dirty pages to disk
 * ({@code fsync}) is measured separately, because Hearth does not wait for it but the disk still
 * has to absorb it. As root, the page cache is dropped before each copy.
 *
 * <p>Usage: {@code DiskStepBenchmark [--repetitions N] [--no-drop-caches]} (default 5 repetitions).
 */
public final class DiskStepBenchmark {

    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final long IMAGE_SIZE = 12 * GIB;
    private static final long DATA_OFFSET_STEP = 3 * GIB;
    private static final int DATA_EXTENTS = 4;
    private static final long DATA_EXTENT_SIZE = 256 * MIB;
    /** Hearth's default for {@code hearth.disk.min-free-mib}. */
    private static final long MIN_FREE_BYTES = 1024 * MIB;
    private static final Path WORK_PARENT = Path.of("/var/tmp");
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private record Sample(long copyNanos, long fsyncNanos, long allocatedBytes) {
    }

    private DiskStepBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int repetitions = 5;
        boolean dropCachesRequested = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repetitions" -> repetitions = Integer.parseInt(args[++i]);
                case "--no-drop-caches" -> dropCachesRequested = false;
                default -> {
                    System.err.println("DiskStepBenchmark: unknown argument '" + args[i]
                            + "'; usage: DiskStepBenchmark [--repetitions N] [--no-drop-caches]");
                    System.exit(2);
                }
            }
        }
        if (repetitions < 1) {
            System.err.println("DiskStepBenchmark: --repetitions must be at least 1 (was " + repetitions + ")");
            System.exit(2);
        }

        Path workDir = Files.createTempDirectory(WORK_PARENT, "hearth-disk-bench-");
        Thread cleanup = new Thread(() -> deleteQuietly(workDir));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            run(workDir, repetitions, dropCachesRequested);
        } finally {
            deleteRecursively(workDir);
            System.out.println("removed " + workDir);
        }
    }

    private static void run(Path workDir, int repetitions, boolean dropCachesRequested) throws Exception {
        // One base image plus one full copy exist at a time; Hearth's free-space margin comes on top.
        long needed = DATA_EXTENTS * DATA_EXTENT_SIZE + IMAGE_SIZE + MIN_FREE_BYTES;
        long usable = Files.getFileStore(workDir).getUsableSpace();
        if (usable < needed) {
            throw new IOException("not enough free space in " + workDir + ": " + usable / MIB + " MiB usable, "
                    + needed / MIB + " MiB needed");
        }

        Path image = workDir.resolve("base.img");
        writeBaseImage(image);
        long imageAllocated = allocatedBytes(image);
        BaseImage baseImage = new BaseImage("bench-12g", image, IMAGE_SIZE, imageAllocated,
                // RootDisks.copy reads only the root filesystem; these boot files are never opened.
                workDir.resolve("vmlinux"), null, "console=ttyS0");

        long probeStarted = System.nanoTime();
        boolean reflink = RootDisks.supportsReflink(workDir);
        long probeNanos = System.nanoTime() - probeStarted;
        RootDisks.CopyStrategy strategy = RootDisks.CopyStrategy.forFilesystem(reflink);
        String dropCachesProblem = dropCachesRequested ? dropCachesProblem() : "disabled with --no-drop-caches";

        System.out.println("work directory: " + workDir + " (" + Files.getFileStore(workDir).type() + ")");
        System.out.println("base image: " + mib(IMAGE_SIZE) + " MiB apparent, " + mib(imageAllocated) + " MiB allocated");
        System.out.println("Hearth's strategy: " + strategy + " (reflink probe took " + millis(probeNanos) + " ms, not included below)");
        System.out.println("page cache: " + (dropCachesProblem == null
                ? "dropped before each copy (sync, then echo 3 > " + DROP_CACHES + ")"
                : "not dropped: " + dropCachesProblem));
        System.out.println("repetitions: " + repetitions + " of each, alternating");
        System.out.println();
        System.out.printf(Locale.ROOT, "%-4s %-10s %10s %10s %14s%n", "rep", "copy", "copy ms", "fsync ms", "allocated MiB");

        RootDisks rootDisks = new RootDisks(MIN_FREE_BYTES);
        List<Sample> hearth = new ArrayList<>();
        List<Sample> full = new ArrayList<>();
        Path target = workDir.resolve("copy.img");
        for (int rep = 1; rep <= repetitions; rep++) {
            // Odd repetitions start with Hearth's copy, even ones with the full copy.
            boolean hearthFirst = rep % 2 == 1;
            for (int turn = 0; turn < 2; turn++) {
                boolean isHearth = (turn == 0) == hearthFirst;
                if (dropCachesProblem == null) {
                    dropCaches();
                }
                long started = System.nanoTime();
                if (isHearth) {
                    rootDisks.copy(baseImage, target, strategy);
                } else {
                    fullCopy(image, target);
                }
                long copyNanos = System.nanoTime() - started;
                Sample sample = new Sample(copyNanos, fsync(target), allocatedBytes(target));
                (isHearth ? hearth : full).add(sample);
                System.out.printf(Locale.ROOT, "%-4d %-10s %10d %10d %14d%n", rep, isHearth ? "hearth" : "full",
                        millis(sample.copyNanos()), millis(sample.fsyncNanos()), mib(sample.allocatedBytes()));
                Files.delete(target);
            }
        }

        long hearthCopy = median(hearth, Sample::copyNanos);
        long fullCopy = median(full, Sample::copyNanos);
        long hearthTotal = median(hearth, sample -> sample.copyNanos() + sample.fsyncNanos());
        long fullTotal = median(full, sample -> sample.copyNanos() + sample.fsyncNanos());
        System.out.println();
        System.out.printf(Locale.ROOT, "median copy:          hearth (%s) %d ms, full %d ms, full/hearth %.1fx%n",
                strategy, millis(hearthCopy), millis(fullCopy), (double) fullCopy / hearthCopy);
        System.out.printf(Locale.ROOT, "median copy + fsync:  hearth (%s) %d ms, full %d ms, full/hearth %.1fx%n",
                strategy, millis(hearthTotal), millis(fullTotal), (double) fullTotal / hearthTotal);
        System.out.printf(Locale.ROOT, "allocated per copy:   hearth %d MiB, full %d MiB (base image %d MiB allocated)%n",
                mib(median(hearth, Sample::allocatedBytes)), mib(median(full, Sample::allocatedBytes)), mib(imageAllocated));
    }

    /** Writes a sparse {@link #IMAGE_SIZE} file with {@link #DATA_EXTENTS} extents of non-zero bytes, then syncs it. */
    private static void writeBaseImage(Path image) throws IOException {
        byte[] block = new byte[(int) (4 * MIB)];
        new SplittableRandom(42).nextBytes(block);
        // cp --sparse=always turns all-zero blocks into holes, so no byte is zero.
        for (int i = 0; i < block.length; i++) {
            if (block[i] == 0) {
                block[i] = 1;
            }
        }
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"); FileChannel channel = file.getChannel()) {
            // Like truncate -s: sets the size without allocating blocks, so the file is one hole.
            file.setLength(IMAGE_SIZE);
            for (int extent = 0; extent < DATA_EXTENTS; extent++) {
                long offset = extent * DATA_OFFSET_STEP;
                for (long written = 0; written < DATA_EXTENT_SIZE; written += block.length) {
                    ByteBuffer buffer = ByteBuffer.wrap(block);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer, offset + written + buffer.position());
                    }
                }
            }
            channel.force(true);
        }
    }

    private static void fullCopy(Path source, Path target) throws IOException, InterruptedException {
        run(List.of("cp", "--sparse=never", "--reflink=never", source.toString(), target.toString()));
    }

    /** Returns the nanoseconds that writing {@code file}'s dirty pages to disk took. */
    private static long fsync(Path file) throws IOException {
        long started = System.nanoTime();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        return System.nanoTime() - started;
    }

    /** Returns why the page cache cannot be dropped here, or null when it can. */
    private static String dropCachesProblem() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not running as root";
        }
        if (!Files.isWritable(DROP_CACHES)) {
            return DROP_CACHES + " is not writable";
        }
        return null;
    }

    private static void dropCaches() throws IOException, InterruptedException {
        run(List.of("sync"));
        Files.writeString(DROP_CACHES, "3\n", StandardCharsets.US_ASCII);
    }

    /** Returns the bytes {@code file} occupies on disk, from {@code stat}'s block count. */
    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        String[] fields = run(List.of("stat", "--format=%b %B", file.toString())).trim().split(" ");
        return Long.parseLong(fields[0]) * Long.parseLong(fields[1]);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(600, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out after 600 s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit status " + process.exitValue()
                    + ": " + output.trim());
        }
        return output;
    }

    private static long median(List<Sample> samples, ToLongFunction<Sample> value) {
        long[] sorted = samples.stream().mapToLong(value).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static long mib(long bytes) {
        return bytes / MIB;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static void deleteQuietly(Path directory) {
        try {
            deleteRecursively(directory);
        } catch (IOException e) {
            System.err.println("DiskStepBenchmark: could not remove " + directory + ": " + e.getMessage());
        }
    }
}
