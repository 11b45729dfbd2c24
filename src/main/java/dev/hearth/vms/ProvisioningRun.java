package dev.hearth.vms;

import dev.hearth.disks.BaseImage;
import dev.hearth.disks.BaseImages;
import dev.hearth.disks.Debugfs;
import dev.hearth.disks.Debugfs.GuestFile;
import dev.hearth.disks.RootDisks;
import dev.hearth.firecracker.ApiRecords.BootSource;
import dev.hearth.firecracker.ApiRecords.Drive;
import dev.hearth.firecracker.ApiRecords.MachineConfiguration;
import dev.hearth.firecracker.ApiRecords.NetworkInterface;
import dev.hearth.firecracker.FirecrackerClient;
import dev.hearth.firecracker.FirecrackerCommandLine;
import dev.hearth.firecracker.FirecrackerProcess;
import dev.hearth.guest.SshConnections;
import dev.hearth.guest.SshKeys;
import dev.hearth.network.Subnet;
import dev.hearth.network.TapDevices;
import dev.hearth.platform.HearthConfig;
import jakarta.ejb.EJBException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The provisioning of one VM as a list of named steps, each timed and recorded on the VM's row,
 * each with an undo. A failing step undoes the finished ones in reverse and leaves the VM
 * {@code FAILED} with a reason that names the step and the cause. Before each step the run
 * checks whether a delete has begun; if so it stops, and the delete releases what the VM holds.
 */
final class ProvisioningRun {

    private static final Logger LOG = Logger.getLogger(ProvisioningRun.class.getName());

    /** Step names, in order; they are the keys of a VM's {@code timings}. */
    static final List<String> STEP_NAMES = List.of("allocate-slot", "copy-disk", "inject-files", "create-tap",
            "start-firecracker", "wait-for-ssh");

    private interface StepAction {
        void run() throws Exception;
    }

    /** A step; one that waits for the guest does not hold the VM's lock, so a delete can interrupt it. */
    private record Step(String name, StepAction action, StepAction undo, boolean holdsLock) {
    }

    private final String vmId;
    private final HearthConfig config;
    private final VmStore store;
    private final VmLocks locks;
    private final FirecrackerProcesses processes;
    private final SshConnections ssh;

    /** Steps begun, newest first: the ones to undo on failure. */
    private final Deque<Step> finished = new ArrayDeque<>();
    private MicroVm vm;
    private BaseImage image;
    private Subnet.Slot slot;
    private Path directory;
    private KeyPair hostKey;
    private FirecrackerProcess process;
    private FirecrackerClient client;

    ProvisioningRun(String vmId, HearthConfig config, VmStore store, VmLocks locks, FirecrackerProcesses processes,
                    SshConnections ssh) {
        this.vmId = vmId;
        this.config = config;
        this.store = store;
        this.locks = locks;
        this.processes = processes;
        this.ssh = ssh;
    }

    void run() {
        List<Step> steps = List.of(
                new Step("allocate-slot", this::allocateSlot, this::releaseSlot, true),
                new Step("copy-disk", this::copyDisk, this::deleteDirectory, true),
                new Step("inject-files", this::injectFiles, () -> { }, true),
                new Step("create-tap", this::createTap, this::deleteTap, true),
                new Step("start-firecracker", this::startFirecracker, this::stopFirecracker, true),
                new Step("wait-for-ssh", this::waitForSsh, () -> { }, false));
        for (Step step : steps) {
            Boolean proceed = step.holdsLock() ? locks.withLock(vmId, () -> runStep(step)) : runStep(step);
            if (!proceed) {
                return;
            }
        }
        locks.withLock(vmId, () -> {
            if (isStillWanted()) {
                store.update(vmId, row -> row.transition(VmState.RUNNING, null));
                LOG.log(Level.INFO, "VM {0} is RUNNING at {1}", new Object[] {vmId, slot.guestAddress()});
            }
            return null;
        });
    }

    /** Runs one step; returns false when the run must stop, after undoing on failure. */
    private boolean runStep(Step step) {
        if (!isStillWanted()) {
            LOG.log(Level.INFO, "VM {0}: provisioning stopped before {1} because the VM is {2}",
                    new Object[] {vmId, step.name(), vm == null ? "gone" : vm.getState()});
            return false;
        }
        long started = System.nanoTime();
        // The step is undone too if it fails half-way, so every undo accepts a partial state.
        finished.push(step);
        try {
            step.action().run();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            fail(step, e);
            return false;
        }
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        store.update(vmId, row -> row.recordTiming(step.name(), millis));
        LOG.log(Level.FINE, "VM {0}: {1} took {2} ms", new Object[] {vmId, step.name(), millis});
        return true;
    }

    /**
     * Returns whether the run may go on: the VM is still PROVISIONING or BOOTING. A delete makes
     * it STOPPING, and a new deployment's start-up reconciliation may have made it FAILED while
     * this run of the old deployment was still in a step.
     */
    private boolean isStillWanted() {
        vm = store.find(vmId).orElse(null);
        return vm != null && (vm.getState() == VmState.PROVISIONING || vm.getState() == VmState.BOOTING);
    }

    private void fail(Step step, Exception cause) {
        String reason = step.name() + " failed: " + cause.getMessage();
        locks.withLock(vmId, () -> {
            if (!isStillWanted()) {
                // A delete or the start-up reconciliation is releasing the VM; the failure follows from that.
                LOG.log(Level.INFO, "VM {0}: {1} ended while the VM was {2}: {3}",
                        new Object[] {vmId, step.name(), vm == null ? "gone" : vm.getState(), cause.getMessage()});
                return null;
            }
            LOG.log(Level.WARNING, "VM " + vmId + ": " + reason, cause);
            while (!finished.isEmpty()) {
                Step done = finished.pop();
                try {
                    done.undo().run();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "VM " + vmId + ": undoing " + done.name() + " failed", e);
                }
            }
            store.update(vmId, row -> row.transition(VmState.FAILED, reason));
            LOG.log(Level.INFO, "VM {0} is FAILED: {1}", new Object[] {vmId, reason});
            return null;
        });
    }

    private void allocateSlot() throws IOException {
        image = new BaseImages(config.imagesDir()).find(vm.getImage())
                .orElseThrow(() -> new IOException("base image " + vm.getImage() + " not found in " + config.imagesDir()));
        Subnet subnet = config.subnet();
        for (int attempt = 0; attempt < 20; attempt++) {
            Set<Integer> used = new HashSet<>(store.usedSlots());
            int candidate = 1;
            while (used.contains(candidate)) {
                candidate++;
            }
            if (candidate > subnet.maxSlot()) {
                throw new IOException("no free /30 left in subnet " + subnet);
            }
            try {
                store.claimSlot(vmId, subnet.slot(candidate));
                slot = subnet.slot(candidate);
                return;
            } catch (EJBException e) {
                LOG.log(Level.FINE, "VM {0}: slot {1} was taken concurrently; trying the next", new Object[] {vmId, candidate});
            }
        }
        throw new IOException("could not claim a free slot in subnet " + subnet + " after 20 attempts");
    }

    private void releaseSlot() {
        store.update(vmId, row -> row.assignSlot(null, null, null, null, null));
    }

    private void copyDisk() throws IOException {
        directory = config.vmsDir().resolve(vmId);
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path rootfs = directory.resolve("rootfs.ext4");
        RootDisks.CopyStrategy strategy = RootDisks.CopyStrategy.forFilesystem(RootDisks.supportsReflink(directory));
        new RootDisks(config.minFreeBytes()).copy(image, rootfs, strategy);
        store.update(vmId, row -> row.setRootfsPath(rootfs.toString()));
        LOG.log(Level.FINE, "VM {0}: copied {1} with {2}", new Object[] {vmId, image.name(), strategy});
    }

    private void deleteDirectory() throws IOException {
        Teardown.deleteRecursively(config.vmsDir().resolve(vmId));
        store.update(vmId, row -> row.setRootfsPath(null));
    }

    private void injectFiles() throws Exception {
        hostKey = SshKeys.generate();
        new Debugfs().writeFiles(directory.resolve("rootfs.ext4"), List.of(
                new GuestFile("/etc/ssh/ssh_host_ecdsa_key", SshKeys.openSshPrivateKey(hostKey), 0600),
                new GuestFile("/etc/ssh/ssh_host_ecdsa_key.pub", utf8(SshKeys.publicKeyLine(hostKey.getPublic()) + "\n"), 0644),
                new GuestFile("/root/.ssh/authorized_keys", utf8(ssh.authorizedKeyLine() + "\n"), 0600),
                new GuestFile("/etc/hostname", utf8(vm.getName() + "\n"), 0644)));
        String pinned = SshKeys.publicKeyLine(hostKey.getPublic());
        store.update(vmId, row -> row.setHostPublicKey(pinned));
    }

    private void createTap() throws IOException {
        TapDevices.create(slot);
    }

    private void deleteTap() throws IOException {
        if (slot != null) {
            TapDevices.delete(slot.tapName());
        }
    }

    private void startFirecracker() throws IOException {
        Path socket = directory.resolve("firecracker.sock");
        FirecrackerCommandLine commandLine = new FirecrackerCommandLine(config.firecrackerBinary(), socket, vmId);
        process = FirecrackerProcess.start(commandLine, directory.resolve("firecracker.log"));
        processes.register(vmId, process);
        long pid = process.pid();
        store.update(vmId, row -> {
            row.setFirecrackerPid(pid);
            row.setSocketPath(socket.toString());
        });

        process.awaitSocket(config.socketTimeout());
        client = new FirecrackerClient(socket, config.apiTimeout());
        client.putMachineConfig(new MachineConfiguration(vm.getVcpus(), vm.getMemoryMib()));
        client.putBootSource(new BootSource(image.kernel().toString(),
                image.initrd() == null ? null : image.initrd().toString(),
                image.bootArgs() + " " + slot.kernelIpArgument()));
        client.putDrive(new Drive("rootfs", directory.resolve("rootfs.ext4").toString(), true, false));
        client.putNetworkInterface(new NetworkInterface("eth0", slot.mac(), slot.tapName()));
        client.instanceStart();
        store.update(vmId, row -> row.transition(VmState.BOOTING, null));
        LOG.log(Level.INFO, "VM {0} is BOOTING: Firecracker pid {1}", new Object[] {vmId, String.valueOf(pid)});
    }

    private void stopFirecracker() throws IOException {
        if (process != null) {
            // A short grace: a guest that failed to boot rarely handles Ctrl-Alt-Del.
            process.stop(client == null ? new FirecrackerClient(directory.resolve("firecracker.sock"), config.apiTimeout()) : client,
                    Duration.ofSeconds(1));
            processes.remove(vmId);
        }
        Files.deleteIfExists(config.vmsDir().resolve(vmId).resolve("firecracker.sock"));
        store.update(vmId, row -> {
            row.setFirecrackerPid(null);
            row.setSocketPath(null);
        });
    }

    private void waitForSsh() throws Exception {
        try {
            ssh.awaitLogin(vmId, slot.guestAddress(), hostKey.getPublic(), config.bootTimeout(),
                    () -> process.isAlive() && isStillWanted());
        } catch (IOException e) {
            if (!process.isAlive()) {
                throw new IOException("the guest stopped while booting: " + process.exitDescription(), e);
            }
            throw e;
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
