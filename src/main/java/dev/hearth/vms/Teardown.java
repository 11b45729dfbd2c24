package dev.hearth.vms;

import dev.hearth.firecracker.FirecrackerClient;
import dev.hearth.network.TapDevices;
import dev.hearth.platform.HearthConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Releases everything a VM holds, in the order a delete needs: stop Firecracker (Ctrl-Alt-Del,
 * then SIGTERM, then SIGKILL), remove the socket, the TAP device and the VM's directory. Each
 * step accepts that its resource is already gone, and a failing step does not stop the others.
 */
final class Teardown {

    private static final Logger LOG = Logger.getLogger(Teardown.class.getName());

    private Teardown() {
    }

    /** Returns the failures, empty when everything was released. */
    static List<String> release(MicroVm vm, HearthConfig config, FirecrackerProcesses processes) {
        List<String> failures = new ArrayList<>();
        Path directory = config.vmsDir().resolve(vm.getId());
        Path logFile = directory.resolve("firecracker.log");

        try {
            processes.find(vm, logFile).ifPresent(process -> {
                Path socket = vm.getSocketPath() == null ? directory.resolve("firecracker.sock") : Path.of(vm.getSocketPath());
                process.stop(new FirecrackerClient(socket, config.apiTimeout()), config.stopTimeout());
                if (process.isAlive()) {
                    failures.add("Firecracker pid " + process.pid() + " is still running after SIGKILL");
                }
            });
            processes.remove(vm.getId());
        } catch (RuntimeException e) {
            record(failures, vm, "stopping Firecracker", e);
        }
        try {
            if (vm.getSocketPath() != null) {
                Files.deleteIfExists(Path.of(vm.getSocketPath()));
            }
        } catch (IOException e) {
            record(failures, vm, "removing the socket", e);
        }
        try {
            if (vm.getTapName() != null) {
                TapDevices.delete(vm.getTapName());
            }
        } catch (IOException | RuntimeException e) {
            record(failures, vm, "removing TAP device " + vm.getTapName(), e);
        }
        try {
            deleteRecursively(directory);
        } catch (IOException e) {
            record(failures, vm, "removing " + directory, e);
        }
        return failures;
    }

    /**
     * Releases everything {@code vm} holds and records the outcome on its row: {@code DELETED}
     * with its resources cleared, or {@code FAILED} with the failures, which it returns as one
     * reason. Returns null when the delete is complete.
     */
    static String delete(MicroVm vm, HearthConfig config, FirecrackerProcesses processes, VmStore store) {
        List<String> failures = release(vm, config, processes);
        if (!failures.isEmpty()) {
            String reason = "delete incomplete: " + String.join("; ", failures);
            store.update(vm.getId(), row -> row.transition(VmState.FAILED, reason));
            return reason;
        }
        store.update(vm.getId(), row -> {
            forgetResources(row);
            row.transition(VmState.DELETED, null);
        });
        return null;
    }

    /** Clears what the row records of released resources, so that its slot and addresses are free again. */
    static void forgetResources(MicroVm row) {
        row.assignSlot(null, null, null, null, null);
        row.setFirecrackerPid(null);
        row.setSocketPath(null);
        row.setRootfsPath(null);
    }

    private static void record(List<String> failures, MicroVm vm, String what, Exception e) {
        LOG.log(Level.WARNING, "VM " + vm.getId() + ": " + what + " failed", e);
        failures.add(what + " failed: " + e.getMessage());
    }

    static void deleteRecursively(Path directory) throws IOException {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
