package dev.hearth.vms;

import dev.hearth.disks.BaseImage;
import dev.hearth.disks.BaseImages;
import dev.hearth.disks.RootDisks;
import dev.hearth.firecracker.FirecrackerApiException;
import dev.hearth.firecracker.FirecrackerClient;
import dev.hearth.guest.SshConnections;
import dev.hearth.platform.HearthConfig;
import dev.hearth.platform.HearthException;
import jakarta.ejb.EJB;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The VM lifecycle behind the REST API: create, list, wait, pause, resume and delete. Runs
 * without a transaction of its own, so that each row change commits at once and the
 * provisioning thread sees it.
 */
@Stateless
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class Vms {

    private static final Logger LOG = Logger.getLogger(Vms.class.getName());
    private static final Jsonb JSONB = JsonbBuilder.create();
    private static final Type METADATA_TYPE = new HashMap<String, String>() { }.getClass().getGenericSuperclass();
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);

    @Inject
    HearthConfig config;

    @EJB
    VmStore store;

    @EJB
    Provisioner provisioner;

    @Inject
    VmLocks locks;

    @Inject
    FirecrackerProcesses processes;

    @EJB
    SshConnections ssh;

    /** Stores the VM in state {@code PROVISIONING} and starts provisioning it in the background. */
    public VmView create(CreateVmRequest request) {
        int vcpus = request.vcpus() == null ? config.defaultVcpus() : request.vcpus();
        int memoryMib = request.memoryMib() == null ? config.defaultMemoryMib() : request.memoryMib();
        String image = request.image() == null ? config.defaultImage() : request.image();
        String id = UUID.randomUUID().toString();
        String name = request.name() == null ? "vm-" + id.substring(0, 8) : request.name();

        if (vcpus > config.maxVcpus()) {
            throw HearthException.badRequest("vcpus: must be at most " + config.maxVcpus() + " (was " + vcpus
                    + "); the limit is hearth.limits.max-vcpus");
        }
        if (memoryMib < config.minMemoryMib() || memoryMib > config.maxMemoryMib()) {
            throw HearthException.badRequest("memoryMib: must be between " + config.minMemoryMib() + " and "
                    + config.maxMemoryMib() + " (was " + memoryMib + "); the limits are hearth.limits.min-memory-mib "
                    + "and hearth.limits.max-memory-mib");
        }
        if (!name.matches(config.namePattern())) {
            throw HearthException.badRequest("name: must match " + config.namePattern() + " (was " + name + ")");
        }
        BaseImage base;
        try {
            base = new BaseImages(config.imagesDir()).find(image).orElseThrow(() -> HearthException.badRequest(
                    "image: unknown image '" + image + "'; GET /api/v1/images lists the images"));
        } catch (IOException e) {
            throw new HearthException(500, "Base image unreadable", "image " + image + " cannot be read: " + e.getMessage(), null);
        }
        checkFreeDisk(base);

        String metadata = request.metadata() == null ? null : JSONB.toJson(request.metadata());
        MicroVm vm = store.admit(new MicroVm(id, name, image, vcpus, memoryMib, metadata), config.maxVms(),
                config.memoryBudgetMib());
        LOG.log(Level.INFO, "VM {0} ({1}) is PROVISIONING: image {2}, {3} vCPUs, {4} MiB",
                new Object[] {id, name, image, vcpus, memoryMib});
        provisioner.provision(id);
        return view(vm);
    }

    /**
     * Rejects a create with 507 when the root disk copy would leave less than the free-disk
     * floor on the state filesystem. It assumes a sparse copy, the larger of the two.
     */
    private void checkFreeDisk(BaseImage image) {
        try {
            Files.createDirectories(config.vmsDir());
            new RootDisks(config.minFreeBytes()).requireFreeSpace(config.vmsDir(), image, RootDisks.CopyStrategy.SPARSE);
        } catch (RootDisks.InsufficientStorageException e) {
            LOG.log(Level.WARNING, "Rejected a create: {0}", e.getMessage());
            throw new HearthException(507, "Insufficient storage", e.getMessage() + "; free space or delete VMs first", null);
        } catch (IOException e) {
            throw new HearthException(500, "State directory unusable", "free space in " + config.vmsDir()
                    + " cannot be read: " + e.getMessage(), null);
        }
    }

    public List<VmView> list(VmState state) {
        return store.list(state).stream().map(Vms::view).toList();
    }

    public VmView get(String id) {
        return view(find(id));
    }

    /**
     * Waits until the VM reaches {@code target}: 409 when it can no longer get there, 408 after
     * {@code timeout}.
     */
    public VmView await(String id, VmState target, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            MicroVm vm = store.find(id).orElseThrow(() -> HearthException.notFound(id));
            VmState state = vm.getState();
            if (state == target) {
                return view(vm);
            }
            boolean unreachable = state.isFinal()
                    || (state == VmState.STOPPING && target != VmState.DELETED);
            if (unreachable) {
                throw HearthException.conflict("VM " + id + " is " + state
                        + (vm.getStateReason() == null ? "" : " (" + vm.getStateReason() + ")")
                        + " and can no longer become " + target, id);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new HearthException(408, "Timed out", "VM " + id + " is still " + state + " after "
                        + timeout.toSeconds() + " s; it did not become " + target, id);
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HearthException(503, "Interrupted", "the wait for VM " + id + " was interrupted", id);
            }
        }
    }

    public VmView pause(String id) {
        return changeRunState(id, VmState.RUNNING, VmState.PAUSED);
    }

    public VmView resume(String id) {
        return changeRunState(id, VmState.PAUSED, VmState.RUNNING);
    }

    private VmView changeRunState(String id, VmState from, VmState to) {
        return locks.withLock(id, () -> {
            MicroVm vm = find(id);
            if (vm.getState() != from) {
                throw HearthException.conflict("VM " + id + " is " + vm.getState() + "; only a " + from
                        + " VM can be " + (to == VmState.PAUSED ? "paused" : "resumed"), id);
            }
            FirecrackerClient client = new FirecrackerClient(Path.of(vm.getSocketPath()), config.apiTimeout());
            try {
                if (to == VmState.PAUSED) {
                    client.pause();
                } else {
                    client.resume();
                }
            } catch (FirecrackerApiException e) {
                LOG.log(Level.WARNING, "VM " + id + ": " + (to == VmState.PAUSED ? "pause" : "resume") + " failed", e);
                throw new HearthException(502, "Firecracker call failed", e.getMessage(), id);
            }
            MicroVm updated = store.update(id, row -> row.transition(to, null));
            LOG.log(Level.INFO, "VM {0} is {1}", new Object[] {id, to});
            return view(updated);
        });
    }

    /**
     * Stops the VM and releases everything it holds. Works from every state: a VM still
     * provisioning stops at its next step, and this call releases what the steps took.
     */
    public void delete(String id) {
        locks.withLock(id, () -> {
            MicroVm vm = find(id);
            store.update(id, row -> row.transition(VmState.STOPPING, "delete requested"));
            LOG.log(Level.INFO, "VM {0} is STOPPING (was {1})", new Object[] {id, vm.getState()});
            // First the SSH session: a later VM on this address must never be served by it.
            ssh.evict(id);

            if (vm.getState() == VmState.PAUSED && vm.getSocketPath() != null) {
                // A paused guest cannot handle Ctrl-Alt-Del; resumed, it shuts down cleanly and at once.
                try {
                    new FirecrackerClient(Path.of(vm.getSocketPath()), config.apiTimeout()).resume();
                } catch (FirecrackerApiException e) {
                    LOG.log(Level.INFO, "VM {0}: resume before delete failed, stopping it anyway: {1}",
                            new Object[] {id, e.getMessage()});
                }
            }
            String incomplete = Teardown.delete(vm, config, processes, store);
            if (incomplete != null) {
                throw new HearthException(500, "Delete incomplete", incomplete + "; DELETE again to retry", id);
            }
            LOG.log(Level.INFO, "VM {0} is DELETED", id);
            return null;
        });
        locks.forget(id);
    }

    private MicroVm find(String id) {
        return store.find(id).filter(vm -> vm.getState() != VmState.DELETED)
                .orElseThrow(() -> HearthException.notFound(id));
    }

    static VmView view(MicroVm vm) {
        Map<String, String> metadata = vm.getMetadata() == null ? Map.of() : JSONB.fromJson(vm.getMetadata(), METADATA_TYPE);
        return VmView.of(vm, metadata);
    }
}
