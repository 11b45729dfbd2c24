package dev.hearth.guest;

import dev.hearth.platform.HearthConfig;
import dev.hearth.platform.HearthException;
import dev.hearth.vms.MicroVm;
import dev.hearth.vms.VmState;
import dev.hearth.vms.VmStore;
import jakarta.ejb.EJB;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Commands and files inside a VM: finds the VM, requires it to be {@code RUNNING}, and lends out
 * its pooled SSH session with one channel reserved.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class GuestAccess {

    private static final Logger LOG = Logger.getLogger(GuestAccess.class.getName());

    @EJB
    VmStore store;

    @EJB
    SshConnections ssh;

    @Inject
    HearthConfig config;

    public CommandResult run(String vmId, CommandRequest request) {
        return run(vmId, request, null);
    }

    /** Runs a command; {@code listener}, when given, receives its output as it arrives. */
    public CommandResult run(String vmId, CommandRequest request, CommandRunner.OutputListener listener) {
        Duration timeout = request.timeoutSeconds() == null ? config.commandDefaultTimeout()
                : Duration.ofSeconds(request.timeoutSeconds());
        if (timeout.compareTo(config.commandMaxTimeout()) > 0) {
            throw HearthException.badRequest("timeoutSeconds: must be at most " + config.commandMaxTimeout().toSeconds()
                    + " (was " + timeout.toSeconds() + "); the limit is hearth.commands.max-timeout-seconds");
        }
        if (request.workingDirectory() != null) {
            GuestPaths.normalize("workingDirectory", request.workingDirectory());
        }
        if (request.command().indexOf('\0') >= 0) {
            throw HearthException.badRequest("command: must not contain a NUL byte");
        }
        if (request.env() != null) {
            for (Map.Entry<String, String> variable : request.env().entrySet()) {
                if (!ShellQuoting.isEnvName(variable.getKey())) {
                    throw HearthException.badRequest("env: invalid variable name '" + variable.getKey()
                            + "'; use letters, digits and '_', not starting with a digit");
                }
                if (variable.getValue() == null) {
                    throw HearthException.badRequest("env: the value of " + variable.getKey() + " is missing");
                }
                if (variable.getValue().indexOf('\0') >= 0) {
                    throw HearthException.badRequest("env: the value of " + variable.getKey() + " must not contain a NUL byte");
                }
            }
        }
        try (SessionPool.Lease lease = lease(vmId)) {
            return new CommandRunner(config.commandOutputCapBytes()).run(lease.session(), request.command(), request.env(),
                    request.workingDirectory(), request.stdin(), timeout, listener);
        } catch (IOException e) {
            throw sshFailure(vmId, "running a command", e);
        }
    }

    public void writeFile(String vmId, String path, String mode, InputStream content) {
        String file = GuestPaths.normalize("path", path);
        Integer permissions = parseMode(mode);
        try (SessionPool.Lease lease = lease(vmId); GuestFiles.Channel channel = GuestFiles.open(lease.session())) {
            GuestFiles.write(channel.sftp(), vmId, file, content, permissions);
        } catch (IOException e) {
            throw fileFailure(vmId, "writing " + file, e);
        }
    }

    /** Opens a file for streaming; the returned output closes the SFTP channel and the lease when done. */
    public StreamingOutput readFile(String vmId, String path) {
        String file = GuestPaths.normalize("path", path);
        SessionPool.Lease lease = lease(vmId);
        GuestFiles.Channel channel = null;
        try {
            channel = GuestFiles.open(lease.session());
            InputStream in = GuestFiles.read(channel.sftp(), vmId, file);
            GuestFiles.Channel open = channel;
            return out -> {
                try (lease; open; in) {
                    in.transferTo(out);
                }
            };
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            lease.close();
            if (e instanceof IOException io) {
                throw fileFailure(vmId, "reading " + file, io);
            }
            throw (RuntimeException) e;
        }
    }

    public void deleteFile(String vmId, String path, boolean recursive) {
        String file = GuestPaths.normalize("path", path);
        try (SessionPool.Lease lease = lease(vmId); GuestFiles.Channel channel = GuestFiles.open(lease.session())) {
            GuestFiles.delete(channel.sftp(), vmId, file, recursive);
        } catch (IOException e) {
            throw fileFailure(vmId, "deleting " + file, e);
        }
    }

    /** Returns true when the directory was created, false when it already existed. */
    public boolean makeDirectory(String vmId, String path, boolean parents) {
        String directory = GuestPaths.normalize("path", path);
        try (SessionPool.Lease lease = lease(vmId); GuestFiles.Channel channel = GuestFiles.open(lease.session())) {
            return GuestFiles.makeDirectory(channel.sftp(), vmId, directory, parents);
        } catch (IOException e) {
            throw fileFailure(vmId, "creating directory " + directory, e);
        }
    }

    public List<GuestFiles.Entry> listDirectory(String vmId, String path) {
        String directory = GuestPaths.normalize("path", path);
        try (SessionPool.Lease lease = lease(vmId); GuestFiles.Channel channel = GuestFiles.open(lease.session())) {
            return GuestFiles.list(channel.sftp(), vmId, directory);
        } catch (IOException e) {
            throw fileFailure(vmId, "listing " + directory, e);
        }
    }

    static Integer parseMode(String mode) {
        if (mode == null || mode.isEmpty()) {
            return null;
        }
        if (!mode.matches("[0-7]{3,4}")) {
            throw HearthException.badRequest("mode: must be octal permission bits such as 0644 (was " + mode + ")");
        }
        return Integer.parseInt(mode, 8);
    }

    private static HearthException fileFailure(String vmId, String action, IOException e) {
        if (e instanceof SftpException sftp && sftp.getStatus() == SftpConstants.SSH_FX_PERMISSION_DENIED) {
            return new HearthException(403, "Permission denied", action + " in VM " + vmId + " was denied: "
                    + e.getMessage(), vmId);
        }
        return sshFailure(vmId, action, e);
    }

    private static void closeQuietly(GuestFiles.Channel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "Closing an SFTP channel failed", e);
            }
        }
    }

    /** Leases the VM's session; the caller closes the lease. */
    public SessionPool.Lease lease(String vmId) {
        MicroVm vm = store.find(vmId).filter(row -> row.getState() != VmState.DELETED)
                .orElseThrow(() -> HearthException.notFound(vmId));
        if (vm.getState() != VmState.RUNNING) {
            throw HearthException.conflict("VM " + vmId + " is " + vm.getState()
                    + "; commands and files need a RUNNING VM", vmId);
        }
        PublicKey hostKey;
        try {
            hostKey = SshKeys.parsePublicKey(vm.getHostPublicKey());
        } catch (IOException | GeneralSecurityException e) {
            throw new HearthException(500, "Pinned host key unreadable", "the host key stored for VM " + vmId
                    + " cannot be read: " + e.getMessage(), vmId);
        }
        try {
            return ssh.lease(vmId, vm.getGuestAddress(), hostKey);
        } catch (IOException e) {
            throw sshFailure(vmId, "connecting", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HearthException(503, "Interrupted", "interrupted while connecting to VM " + vmId, vmId);
        }
    }

    static HearthException sshFailure(String vmId, String action, IOException e) {
        LOG.log(Level.WARNING, "VM " + vmId + ": SSH failed while " + action, e);
        return new HearthException(502, "SSH to the VM failed", "SSH to VM " + vmId + " failed while " + action + ": "
                + e.getMessage(), vmId);
    }
}
