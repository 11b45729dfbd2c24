package dev.hearth.guest;

import dev.hearth.platform.HearthException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * Files and directories inside a guest over SFTP. Contents stream in both directions through a
 * fixed-size buffer and are never held whole in memory. Paths arrive normalised and absolute.
 */
public final class GuestFiles {

    /** One directory entry as the API lists it; {@code mode} is the permission bits in octal. */
    public record Entry(String name, String type, long size, String mode, String modified) {
    }

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final java.time.Duration CLOSE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private GuestFiles() {
    }

    /**
     * An SFTP channel whose close waits until the server has closed it too, because sshd counts a
     * half-closed channel against its MaxSessions.
     */
    record Channel(SftpClient sftp) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            sftp.getClientChannel().close(false).await(CLOSE_TIMEOUT);
            sftp.close();
        }
    }

    static Channel open(ClientSession session) throws IOException {
        return new Channel(ChannelOpening.open(String.valueOf(session.getRemoteAddress()),
                () -> SftpClientFactory.instance().createSftpClient(session)));
    }

    /**
     * Writes {@code content} to {@code path}, creating missing parent directories and replacing
     * an existing file; {@code mode} (octal permission bits) is applied when given.
     */
    static void write(SftpClient sftp, String vmId, String path, InputStream content, Integer mode) throws IOException {
        SftpClient.Attributes existing = statOrNull(sftp, path);
        if (existing != null && existing.isDirectory()) {
            throw HearthException.conflict(path + " in VM " + vmId + " is a directory, not a file", vmId);
        }
        makeDirectories(sftp, vmId, parent(path));
        try (OutputStream out = sftp.write(path, BUFFER_BYTES, SftpClient.OpenMode.Write, SftpClient.OpenMode.Create,
                SftpClient.OpenMode.Truncate)) {
            content.transferTo(out);
        }
        if (mode != null) {
            sftp.setStat(path, new SftpClient.Attributes().perms(mode));
        }
    }

    /** Opens {@code path} for reading; 404 when it is missing and 409 when it is a directory. */
    static InputStream read(SftpClient sftp, String vmId, String path) throws IOException {
        SftpClient.Attributes attributes = statOrNotFound(sftp, vmId, path);
        if (attributes.isDirectory()) {
            throw HearthException.conflict(path + " in VM " + vmId + " is a directory, not a file", vmId);
        }
        return sftp.read(path, BUFFER_BYTES);
    }

    /** Removes a file, or a directory tree when {@code recursive}; 409 for a directory without it. */
    static void delete(SftpClient sftp, String vmId, String path, boolean recursive) throws IOException {
        SftpClient.Attributes attributes = statOrNotFound(sftp, vmId, path);
        if (!attributes.isDirectory()) {
            sftp.remove(path);
            return;
        }
        if (!recursive) {
            throw HearthException.conflict(path + " in VM " + vmId + " is a directory; pass recursive=true to delete it", vmId);
        }
        if ("/".equals(path)) {
            throw HearthException.badRequest("path: refusing to delete the guest's root directory");
        }
        deleteTree(sftp, path);
    }

    private static void deleteTree(SftpClient sftp, String directory) throws IOException {
        for (SftpClient.DirEntry entry : sftp.readDir(directory)) {
            String name = entry.getFilename();
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            String child = directory + "/" + name;
            if (entry.getAttributes().isDirectory()) {
                deleteTree(sftp, child);
            } else {
                sftp.remove(child);
            }
        }
        sftp.rmdir(directory);
    }

    /** Creates a directory; returns false when it already existed. 409 when a file is in the way. */
    static boolean makeDirectory(SftpClient sftp, String vmId, String path, boolean parents) throws IOException {
        SftpClient.Attributes existing = statOrNull(sftp, path);
        if (existing != null) {
            if (!existing.isDirectory()) {
                throw HearthException.conflict(path + " in VM " + vmId + " is a file, not a directory", vmId);
            }
            return false;
        }
        if (parents) {
            makeDirectories(sftp, vmId, path);
        } else {
            SftpClient.Attributes parent = statOrNull(sftp, parent(path));
            if (parent == null) {
                throw new HearthException(404, "Not found", "parent directory " + parent(path) + " of " + path
                        + " does not exist in VM " + vmId + "; pass parents=true to create it", vmId);
            }
            sftp.mkdir(path);
        }
        return true;
    }

    static List<Entry> list(SftpClient sftp, String vmId, String path) throws IOException {
        SftpClient.Attributes attributes = statOrNotFound(sftp, vmId, path);
        if (!attributes.isDirectory()) {
            throw HearthException.conflict(path + " in VM " + vmId + " is a file, not a directory", vmId);
        }
        List<Entry> entries = new ArrayList<>();
        for (SftpClient.DirEntry entry : sftp.readDir(path)) {
            String name = entry.getFilename();
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            SftpClient.Attributes entryAttributes = entry.getAttributes();
            FileTime modified = entryAttributes.getModifyTime();
            entries.add(new Entry(name, type(entryAttributes), entryAttributes.getSize(),
                    String.format("%04o", entryAttributes.getPermissions() & 07777),
                    modified == null ? null : modified.toInstant().toString()));
        }
        entries.sort((a, b) -> a.name().compareTo(b.name()));
        return entries;
    }

    private static String type(SftpClient.Attributes attributes) {
        if (attributes.isDirectory()) {
            return "directory";
        }
        if (attributes.isSymbolicLink()) {
            return "symlink";
        }
        return attributes.isRegularFile() ? "file" : "other";
    }

    private static void makeDirectories(SftpClient sftp, String vmId, String directory) throws IOException {
        if (directory.equals("/")) {
            return;
        }
        SftpClient.Attributes existing = statOrNull(sftp, directory);
        if (existing != null) {
            if (!existing.isDirectory()) {
                throw HearthException.conflict(directory + " in VM " + vmId + " is a file, not a directory", vmId);
            }
            return;
        }
        makeDirectories(sftp, vmId, parent(directory));
        sftp.mkdir(directory);
    }

    private static SftpClient.Attributes statOrNotFound(SftpClient sftp, String vmId, String path) throws IOException {
        SftpClient.Attributes attributes = statOrNull(sftp, path);
        if (attributes == null) {
            throw new HearthException(404, "Not found", path + " does not exist in VM " + vmId, vmId);
        }
        return attributes;
    }

    private static SftpClient.Attributes statOrNull(SftpClient sftp, String path) throws IOException {
        try {
            return sftp.lstat(path);
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE || e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH) {
                return null;
            }
            throw e;
        }
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }
}
