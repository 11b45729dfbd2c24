package dev.hearth.disks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.disks.Debugfs.GuestFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes into a small ext4 image made by mkfs.ext4 for each test, and reads back through debugfs. */
class DebugfsTest {

    @TempDir
    Path directory;

    Path image;
    Debugfs cut = new Debugfs();

    @BeforeEach
    void makeImage() throws Exception {
        Path tree = Files.createDirectories(directory.resolve("tree/root/.ssh"));
        Files.writeString(tree.resolve("authorized_keys"), "old key\n");
        image = directory.resolve("disk.ext4");
        run("truncate", "-s", "16M", image.toString());
        run("mkfs.ext4", "-q", "-d", directory.resolve("tree").toString(), image.toString());
    }

    @Test
    void writesNewAndReplacesExistingFiles() throws Exception {
        cut.writeFiles(image, List.of(
                new GuestFile("/root/.ssh/authorized_keys", "new key\n".getBytes(StandardCharsets.UTF_8), 0600),
                new GuestFile("/hostname", "vm-1\n".getBytes(StandardCharsets.UTF_8), 0644)));

        assertThat(new String(cut.readFile(image, "/root/.ssh/authorized_keys"), StandardCharsets.UTF_8)).isEqualTo("new key\n");
        assertThat(new String(cut.readFile(image, "/hostname"), StandardCharsets.UTF_8)).isEqualTo("vm-1\n");
        String stat = run("debugfs", "-R", "stat /root/.ssh/authorized_keys", image.toString());
        assertThat(stat).contains("Mode:  0600").contains("User:     0   Group:     0");
    }

    @Test
    void missingParentDirectoryFails() {
        assertThatThrownBy(() -> cut.writeFiles(image,
                List.of(new GuestFile("/etc/ssh/ssh_host_ecdsa_key", new byte[] {1}, 0600))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("debugfs failed to write into " + image);
    }

    @Test
    void unsafePathsAreRejected() {
        for (String path : List.of("relative/file", "/etc/a b", "/etc/\"quote", "/etc/..", "/a/../b", "/etc/x;rm")) {
            assertThatThrownBy(() -> new GuestFile(path, new byte[0], 0644))
                    .as(path)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid guest path");
        }
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
        return output;
    }
}
