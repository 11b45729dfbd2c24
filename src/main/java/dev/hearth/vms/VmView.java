package dev.hearth.vms;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A VM as the REST API shows it; {@code timings} lists the finished provisioning steps in order, in milliseconds. */
public record VmView(String id, String name, VmState state, String stateReason, String image, int vcpus, int memoryMib,
                     String rootfsPath, String guestAddress, String hostAddress, String mac, String tapName,
                     Long firecrackerPid, Map<String, Long> timings, Map<String, String> metadata,
                     Instant createdAt, Instant updatedAt) {

    static VmView of(MicroVm vm, Map<String, String> metadata) {
        Map<String, Long> timings = new LinkedHashMap<>();
        for (String step : ProvisioningRun.STEP_NAMES) {
            Long millis = vm.getTimings().get(step);
            if (millis != null) {
                timings.put(step, millis);
            }
        }
        return new VmView(vm.getId(), vm.getName(), vm.getState(), vm.getStateReason(), vm.getImage(), vm.getVcpus(),
                vm.getMemoryMib(), vm.getRootfsPath(), vm.getGuestAddress(), vm.getHostAddress(), vm.getMac(),
                vm.getTapName(), vm.getFirecrackerPid(), timings, metadata, vm.getCreatedAt(), vm.getUpdatedAt());
    }
}
