package dev.hearth.disks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files into an ext4 image without mounting it, through e2fsprogs' {@code debugfs}. The
 * file contents pass through a private temporary directory; the commands go to debugfs in a
 * command file, never through a shell.
 */
public final class Debugfs {

    /** A file to place in the image; its parent directory must already exist there. */
    public record GuestFile(String path, byte[] content, int mode) {

        private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9._-]+)+");

        public GuestFile {
            if (!SAFE_PATH.matcher(path).matches() || path.contains("/../") || path.endsWith("/..")) {
                throw new IllegalArgumentException("invalid guest path '" + path
                        + "': use an absolute path of letters, digits, '.', '_' and '-'");
            }
            if (mode < 0 || mode > 07777) {
                throw new IllegalArgumentException("invalid mode " + Integer.toOctalString(mode) + " for " + path);
            }
            content = content.clone();
        }

        String directory() {
            int slash = path.lastIndexOf('/');
            return slash == 0 ? "/" : path.substring(0, slash);
        }

        String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    private static final long TIMEOUT_SECONDS = 60;

    private final String debugfsBinary;

    public Debugfs() {
        this("debugfs");
    }

    public Debugfs(String debugfsBinary) {
        this.debugfsBinary = debugfsBinary;
    }

    /**
     * Writes {@code files} into {@code image}, replacing files of the same name, owned by root
     * with the given modes.
     *
     * @throws IOException if debugfs is missing, fails, reports an error, or runs past a minute
     */
    public void writeFiles(Path image, List<GuestFile> files) throws IOException {
        Path staging = Files.createTempDirectory("hearth-debugfs-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            List<String> commands = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                GuestFile file = files.get(i);
                Path source = staging.resolve("file-" + i);
                Files.write(source, file.content());
                commands.add("cd \"" + file.directory() + "\"");
                commands.add("rm \"" + file.name() + "\"");
                commands.add("write \"" + source + "\" \"" + file.name() + "\"");
                commands.add("sif \"" + file.name() + "\" mode 0" + Integer.toOctalString(0100000 | file.mode()));
                commands.add("sif \"" + file.name() + "\" uid 0");
                commands.add("sif \"" + file.name() + "\" gid 0");
            }
            Path commandFile = staging.resolve("commands");
            Files.write(commandFile, commands, StandardCharsets.UTF_8);
            run(image, commandFile);
        } finally {
            try (Stream<Path> paths = Files.walk(staging)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /** Returns the content of {@code path} in {@code image}. */
    public byte[] readFile(Path image, String path) throws IOException {
        new GuestFile(path, new byte[0], 0);
        Process process = new ProcessBuilder(debugfsBinary, "-R", "cat \"" + path + "\"", image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] content = process.getInputStream().readAllBytes();
        awaitExit(process, image);
        return content;
    }

    private void run(Path image, Path commandFile) throws IOException {
        Process process = new ProcessBuilder(debugfsBinary, "-w", "-f", commandFile.toString(), image.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        awaitExit(process, image);
        // debugfs exits with 0 even when a command fails, so its standard error is the result.
        // The first line is its version banner; "rm" of a file that is not there yet is expected.
        List<String> failures = errors.lines()
                .filter(line -> !line.startsWith("debugfs "))
                .filter(line -> !line.startsWith("rm: File not found by ext2_lookup"))
                .filter(line -> !line.isBlank())
                .toList();
        if (!failures.isEmpty()) {
            // After a first error the rest usually repeat it ("Filesystem not open"), so only the first is reported.
            String more = failures.size() > 1 ? " (and " + (failures.size() - 1) + " more errors)" : "";
            throw new IOException("debugfs failed to write into " + image + ": " + failures.get(0) + more);
        }
    }

    private static void awaitExit(Process process, Path image) throws IOException {
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("debugfs on " + image + " timed out after " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while debugfs worked on " + image, e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("debugfs on " + image + " exited with status " + process.exitValue());
        }
    }
}
