package dev.hearth.vms;

import dev.hearth.firecracker.ApiRecords.InstanceInfo;
import dev.hearth.firecracker.FirecrackerApiException;
import dev.hearth.firecracker.FirecrackerClient;
import dev.hearth.firecracker.FirecrackerProcess;
import dev.hearth.network.Subnet;
import dev.hearth.network.TapDevices;
import dev.hearth.platform.HearthConfig;
import jakarta.annotation.PostConstruct;
import jakarta.ejb.DependsOn;
import jakarta.ejb.EJB;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Checks every VM row against the host when the application starts, after a restart of the
 * server or a redeploy, before any request:
 * <ul>
 * <li>a RUNNING or PAUSED VM whose Firecracker process still runs is adopted: its row stays, and
 * the next command opens a new SSH session to it;</li>
 * <li>one whose process is gone becomes FAILED and keeps its disk until it is deleted;</li>
 * <li>one that was PROVISIONING or BOOTING becomes FAILED, and what it held is released;</li>
 * <li>one that was STOPPING is deleted to the end;</li>
 * <li>Firecracker processes, TAP devices, VM directories and sockets that no row owns are
 * removed, each logged.</li>
 * </ul>
 */
@Singleton
@Startup
@DependsOn("Migrations")
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class Reconciler {

    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());
    private static final String SOCKET_NAME = "firecracker.sock";

    @Inject
    HearthConfig config;

    @EJB
    VmStore store;

    @Inject
    VmLocks locks;

    @Inject
    FirecrackerProcesses processes;

    @Inject
    StartupState startup;

    /** Actions of the reconciliation, for its summary line. */
    private final List<String> actions = new ArrayList<>();

    /**
     * Runs without a transaction, so that each row change commits on its own and one failing row
     * does not roll back the others. The annotation must be on the method: the class's does not
     * apply to a lifecycle callback.
     */
    @PostConstruct
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    void reconcile() {
        try {
            Set<Long> adoptedPids = new HashSet<>();
            for (MicroVm listed : store.list(null)) {
                String id = listed.getId();
                try {
                    locks.withLock(id, () -> {
                        // Read again under the lock: the row may have changed since the list.
                        store.find(id).ifPresent(vm -> reconcileRow(vm, adoptedPids));
                        return null;
                    });
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "Reconciling VM " + id + " failed; it keeps its row as it is", e);
                }
            }
            removeOrphans(adoptedPids);
            LOG.log(Level.INFO, "Reconciled the VM rows with the host at start-up: {0}",
                    actions.isEmpty() ? "nothing to do" : String.join("; ", actions));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "Reconciling the VM rows with the host at start-up failed; VMs and host resources "
                    + "may disagree until the next start", e);
        } finally {
            startup.markReconciled();
        }
    }

    private void reconcileRow(MicroVm vm, Set<Long> adoptedPids) {
        switch (vm.getState()) {
            case RUNNING, PAUSED -> adoptOrFail(vm, adoptedPids);
            case PROVISIONING, BOOTING -> releaseInterrupted(vm);
            case STOPPING -> finishDelete(vm);
            case FAILED, DELETED -> { }
        }
    }

    private void adoptOrFail(MicroVm vm, Set<Long> adoptedPids) {
        Path logFile = config.vmsDir().resolve(vm.getId()).resolve("firecracker.log");
        Optional<FirecrackerProcess> process = processes.find(vm, logFile);
        if (process.isEmpty()) {
            String reason = "Firecracker (pid " + vm.getFirecrackerPid() + ") was gone when Hearth started; "
                    + "the VM keeps its disk until it is deleted";
            store.update(vm.getId(), row -> row.transition(VmState.FAILED, reason));
            LOG.log(Level.WARNING, "VM {0} is FAILED: {1}", new Object[] {vm.getId(), reason});
            actions.add("VM " + vm.getId() + " FAILED (process gone)");
            return;
        }
        adoptedPids.add(process.get().pid());
        VmState state = vm.getState();
        try {
            InstanceInfo info = new FirecrackerClient(Path.of(vm.getSocketPath()), config.apiTimeout()).describeInstance();
            VmState reported = "Paused".equals(info.state()) ? VmState.PAUSED : VmState.RUNNING;
            if (reported != state) {
                store.update(vm.getId(), row -> row.transition(reported, null));
                LOG.log(Level.INFO, "VM {0}: Firecracker reports it {1}, so its row changes from {2}",
                        new Object[] {vm.getId(), info.state(), state});
                state = reported;
            }
        } catch (FirecrackerApiException e) {
            LOG.log(Level.WARNING, "VM {0}: adopted Firecracker pid {1}, but its API did not answer: {2}",
                    new Object[] {vm.getId(), String.valueOf(process.get().pid()), e.getMessage()});
        }
        LOG.log(Level.INFO, "Adopted VM {0}: {1}, Firecracker pid {2} at {3}",
                new Object[] {vm.getId(), state, String.valueOf(process.get().pid()), vm.getGuestAddress()});
        actions.add("VM " + vm.getId() + " adopted");
    }

    private void releaseInterrupted(MicroVm vm) {
        List<String> failures = Teardown.release(vm, config, processes);
        String reason = "Hearth restarted while the VM was " + vm.getState() + "; what it held was released"
                + (failures.isEmpty() ? "" : ", except: " + String.join("; ", failures));
        store.update(vm.getId(), row -> {
            if (failures.isEmpty()) {
                Teardown.forgetResources(row);
            }
            row.transition(VmState.FAILED, reason);
        });
        LOG.log(Level.WARNING, "VM {0} is FAILED: {1}", new Object[] {vm.getId(), reason});
        actions.add("VM " + vm.getId() + " FAILED (interrupted while " + vm.getState() + ")");
    }

    private void finishDelete(MicroVm vm) {
        String incomplete = Teardown.delete(vm, config, processes, store);
        if (incomplete != null) {
            LOG.log(Level.WARNING, "VM {0}: finishing its delete at start-up failed: {1}", new Object[] {vm.getId(), incomplete});
            actions.add("VM " + vm.getId() + " FAILED (delete incomplete)");
            return;
        }
        LOG.log(Level.INFO, "VM {0} is DELETED: its delete was interrupted by the restart and is now finished", vm.getId());
        actions.add("VM " + vm.getId() + " DELETED (delete finished)");
    }

    private void removeOrphans(Set<Long> adoptedPids) {
        Set<String> ownedIds = new HashSet<>();
        Set<String> ownedTaps = new HashSet<>();
        Set<Path> liveSockets = new HashSet<>();
        for (MicroVm vm : store.list(null)) {
            ownedIds.add(vm.getId());
            if (vm.getTapName() != null) {
                ownedTaps.add(vm.getTapName());
            }
            if (vm.getSocketPath() != null && vm.getFirecrackerPid() != null && adoptedPids.contains(vm.getFirecrackerPid())) {
                liveSockets.add(Path.of(vm.getSocketPath()).toAbsolutePath().normalize());
            }
        }

        Path vmsDir = config.vmsDir();
        if (store.countAll() == 0 && hasEntries(vmsDir)) {
            LOG.log(Level.WARNING, "The database has no VM rows at all, but {0} has VM directories: hearth.db.url may name "
                    + "the wrong database. Leaving every Firecracker process, TAP device and VM directory as it is; "
                    + "remove them by hand if they are really orphans", vmsDir);
            actions.add("orphans left alone (no VM rows at all)");
            return;
        }

        for (ProcessHandle process : FirecrackerProcess.withApiSocketIn(vmsDir)) {
            if (!adoptedPids.contains(process.pid())) {
                stopOrphan(process);
            }
        }
        removeOrphanTaps(ownedTaps);
        removeOrphanDirectories(vmsDir, ownedIds, liveSockets);
    }

    private void removeOrphanTaps(Set<String> ownedTaps) {
        Subnet subnet = config.subnet();
        List<String> taps;
        try {
            taps = TapDevices.list();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Listing the host's TAP devices failed; TAP devices that no VM owns stay", e);
            return;
        }
        for (String tap : taps) {
            if (subnet.slotOfTap(tap) <= 0 || ownedTaps.contains(tap)) {
                continue;
            }
            try {
                TapDevices.delete(tap);
                LOG.log(Level.WARNING, "Removed TAP device {0}: no VM owns it", tap);
                actions.add("TAP " + tap + " removed");
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "Removing TAP device " + tap + ", which no VM owns, failed", e);
            }
        }
    }

    /** Removes directories without a row, and in the others a socket that no adopted Firecracker serves. */
    private void removeOrphanDirectories(Path vmsDir, Set<String> ownedIds, Set<Path> liveSockets) {
        if (!Files.isDirectory(vmsDir)) {
            return;
        }
        try (Stream<Path> directories = Files.list(vmsDir)) {
            for (Path directory : directories.toList()) {
                if (!ownedIds.contains(directory.getFileName().toString())) {
                    Teardown.deleteRecursively(directory);
                    LOG.log(Level.WARNING, "Removed {0}: no VM owns it", directory);
                    actions.add(directory + " removed");
                    continue;
                }
                Path socket = directory.resolve(SOCKET_NAME);
                if (Files.exists(socket) && !liveSockets.contains(socket)) {
                    Files.delete(socket);
                    LOG.log(Level.WARNING, "Removed socket {0}: no running Firecracker serves it", socket);
                    actions.add("socket " + socket + " removed");
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Removing VM directories that no VM owns from " + vmsDir + " failed", e);
        }
    }

    private static boolean hasEntries(Path directory) {
        if (!Files.isDirectory(directory)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return true;
        }
    }

    private void stopOrphan(ProcessHandle process) {
        String socket = FirecrackerProcess.apiSocketOf(process.pid()).map(Path::toString).orElse("?");
        process.destroy();
        try {
            process.onExit().get(3, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LOG.log(Level.WARNING, "Stopped Firecracker pid {0} with API socket {1}: no VM owns it",
                new Object[] {String.valueOf(process.pid()), socket});
        actions.add("Firecracker pid " + process.pid() + " stopped");
    }
}
