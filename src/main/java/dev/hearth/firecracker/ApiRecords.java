package dev.hearth.firecracker;

/**
 * Request and response bodies of Firecracker's API, component for component as its OpenAPI
 * definitions name them; {@link FirecrackerClient} writes the names in snake case.
 */
public final class ApiRecords {

    private ApiRecords() {
    }

    /** {@code PUT /boot-source}. */
    public record BootSource(String kernelImagePath, String initrdPath, String bootArgs) {
    }

    /** {@code PUT /machine-config}. */
    public record MachineConfiguration(int vcpuCount, int memSizeMib) {
    }

    /** {@code PUT /drives/{drive_id}}. */
    public record Drive(String driveId, String pathOnHost, boolean isRootDevice, boolean isReadOnly) {
    }

    /** {@code PUT /network-interfaces/{iface_id}}. */
    public record NetworkInterface(String ifaceId, String guestMac, String hostDevName) {
    }

    /** {@code PUT /actions}: {@code InstanceStart}, {@code SendCtrlAltDel} or {@code FlushMetrics}. */
    public record InstanceActionInfo(String actionType) {
    }

    /** {@code PATCH /vm}: {@code Paused} or {@code Resumed}. */
    public record Vm(String state) {
    }

    /** {@code GET /}; {@code state} is {@code Not started}, {@code Running} or {@code Paused}. */
    public record InstanceInfo(String id, String state, String vmmVersion, String appName) {
    }
}
