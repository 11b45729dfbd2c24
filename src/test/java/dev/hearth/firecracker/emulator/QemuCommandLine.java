package dev.hearth.firecracker.emulator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds the QEMU command line for a configured microVM. QEMU runs with TCG: KVM on the
 * machines this emulator is for opens but never runs a vCPU. The machine is QEMU's {@code pc}
 * because it has the i8042 keyboard controller that {@code SendCtrlAltDel} needs, as
 * Firecracker's own machine model has; its virtio devices therefore sit on PCI.
 */
final class QemuCommandLine {

    record Machine(int vcpuCount, long memSizeMib, boolean smt) {
    }

    record Boot(Path kernel, Path initrd, String bootArgs) {
    }

    record Drive(String driveId, Path pathOnHost, boolean isRootDevice, boolean isReadOnly, String cacheType) {
    }

    record NetworkInterface(String ifaceId, String hostDevName, String guestMac, Integer mtu) {
    }

    private QemuCommandLine() {
    }

    /**
     * Returns the arguments, starting with {@code qemuBinary}. The root drive comes first so that
     * the guest sees it as {@code /dev/vda}, as under Firecracker; the other drives follow in the
     * order they were configured.
     */
    static List<String> build(String qemuBinary, String name, Machine machine, Boot boot, List<Drive> drives,
                              List<NetworkInterface> interfaces, Path qmpSocket) {
        List<String> command = new ArrayList<>(List.of(qemuBinary,
                "-name", escape(name),
                "-machine", "pc,accel=tcg",
                "-cpu", "max",
                "-smp", machine.smt() && machine.vcpuCount() > 1
                        ? machine.vcpuCount() + ",threads=2" : String.valueOf(machine.vcpuCount()),
                "-m", machine.memSizeMib() + "M",
                "-nodefaults", "-no-user-config", "-no-reboot",
                "-display", "none",
                "-serial", "stdio",
                "-qmp", "unix:" + escape(qmpSocket.toString()) + ",server=on,wait=off",
                "-kernel", boot.kernel().toString()));
        if (boot.initrd() != null) {
            command.addAll(List.of("-initrd", boot.initrd().toString()));
        }
        command.addAll(List.of("-append", kernelArguments(boot.bootArgs())));

        List<Drive> ordered = new ArrayList<>(drives.stream().filter(Drive::isRootDevice).toList());
        ordered.addAll(drives.stream().filter(drive -> !drive.isRootDevice()).toList());
        for (Drive drive : ordered) {
            command.addAll(List.of(
                    "-drive", "if=none,id=" + drive.driveId() + ",format=raw,file=" + escape(drive.pathOnHost().toString())
                            + ",readonly=" + (drive.isReadOnly() ? "on" : "off")
                            + ",cache=" + ("Writeback".equals(drive.cacheType()) ? "writeback" : "unsafe"),
                    "-device", "virtio-blk-pci,drive=" + drive.driveId()));
        }
        for (NetworkInterface iface : interfaces) {
            String device = "virtio-net-pci,netdev=" + iface.ifaceId();
            if (iface.guestMac() != null) {
                device += ",mac=" + iface.guestMac();
            }
            if (iface.mtu() != null) {
                device += ",host_mtu=" + iface.mtu();
            }
            command.addAll(List.of(
                    "-netdev", "tap,id=" + iface.ifaceId() + ",ifname=" + escape(iface.hostDevName())
                            + ",script=no,downscript=no",
                    "-device", device));
        }
        return command;
    }

    /**
     * Removes {@code pci=off} from the kernel arguments: Firecracker's devices are virtio-mmio,
     * so its guests may switch PCI off, but this machine's devices are on PCI.
     */
    static String kernelArguments(String bootArgs) {
        return Arrays.stream(bootArgs.trim().split("\\s+"))
                .filter(word -> !word.equals("pci=off"))
                .collect(Collectors.joining(" "));
    }

    /** QEMU option values separate keys with commas; a literal comma is written twice. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }
}
