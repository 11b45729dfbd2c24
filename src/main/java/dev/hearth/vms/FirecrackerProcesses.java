package dev.hearth.vms;

import dev.hearth.firecracker.FirecrackerProcess;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Firecracker processes this server started, by VM id: for those the exit status is known.
 * A process started before a restart is found again by its pid.
 */
@ApplicationScoped
public class FirecrackerProcesses {

    private final ConcurrentHashMap<String, FirecrackerProcess> started = new ConcurrentHashMap<>();

    void register(String vmId, FirecrackerProcess process) {
        started.put(vmId, process);
    }

    void remove(String vmId) {
        started.remove(vmId);
    }

    /** The VM's process, if it still runs or this server started it. */
    Optional<FirecrackerProcess> find(MicroVm vm, Path logFile) {
        FirecrackerProcess process = started.get(vm.getId());
        if (process != null) {
            return Optional.of(process);
        }
        if (vm.getFirecrackerPid() == null || vm.getSocketPath() == null) {
            return Optional.empty();
        }
        return FirecrackerProcess.find(vm.getFirecrackerPid(), Path.of(vm.getSocketPath()), logFile);
    }
}
