package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {

    private static final QemuCommandLine.Machine MACHINE = new QemuCommandLine.Machine(2, 512, false);
    private static final QemuCommandLine.Boot BOOT =
            new QemuCommandLine.Boot(Path.of("/images/vmlinuz"), Path.of("/images/initrd.img"), "console=ttyS0 pci=off rw");

    @Test
    void machineMatchesConfiguration() {
        List<String> command = QemuCommandLine.build("qemu", "vm1", MACHINE, BOOT, List.of(), List.of(), Path.of("/run/q.sock"));

        assertThat(command.get(0)).isEqualTo("qemu");
        assertThat(valueAfter(command, "-smp")).isEqualTo("2");
        assertThat(valueAfter(command, "-m")).isEqualTo("512M");
        assertThat(valueAfter(command, "-machine")).isEqualTo("pc,accel=tcg");
        assertThat(valueAfter(command, "-kernel")).isEqualTo("/images/vmlinuz");
        assertThat(valueAfter(command, "-initrd")).isEqualTo("/images/initrd.img");
        assertThat(valueAfter(command, "-qmp")).isEqualTo("unix:/run/q.sock,server=on,wait=off");
        assertThat(command).contains("-no-reboot", "-nodefaults");
    }

    @Test
    void pciOffIsDroppedFromKernelArguments() {
        List<String> command = QemuCommandLine.build("qemu", "vm1", MACHINE, BOOT, List.of(), List.of(), Path.of("/q"));

        assertThat(valueAfter(command, "-append")).isEqualTo("console=ttyS0 rw");
    }

    @Test
    void smtUsesTwoThreadsPerCore() {
        List<String> command = QemuCommandLine.build("qemu", "vm1", new QemuCommandLine.Machine(4, 256, true), BOOT,
                List.of(), List.of(), Path.of("/q"));

        assertThat(valueAfter(command, "-smp")).isEqualTo("4,threads=2");
    }

    @Test
    void rootDriveComesFirst() {
        List<QemuCommandLine.Drive> drives = List.of(
                new QemuCommandLine.Drive("data", Path.of("/vm/data.ext4"), false, true, "Unsafe"),
                new QemuCommandLine.Drive("rootfs", Path.of("/vm/root,fs.ext4"), true, false, "Writeback"));

        List<String> command = QemuCommandLine.build("qemu", "vm1", MACHINE, BOOT, drives, List.of(), Path.of("/q"));

        List<String> driveOptions = valuesAfter(command, "-drive");
        assertThat(driveOptions).hasSize(2);
        assertThat(driveOptions.get(0))
                .isEqualTo("if=none,id=rootfs,format=raw,file=/vm/root,,fs.ext4,readonly=off,cache=writeback");
        assertThat(driveOptions.get(1))
                .isEqualTo("if=none,id=data,format=raw,file=/vm/data.ext4,readonly=on,cache=unsafe");
        assertThat(valuesAfter(command, "-device")).containsExactly("virtio-blk-pci,drive=rootfs", "virtio-blk-pci,drive=data");
    }

    @Test
    void networkInterfaceUsesTapAndMac() {
        List<QemuCommandLine.NetworkInterface> interfaces = List.of(
                new QemuCommandLine.NetworkInterface("eth0", "tap7", "06:00:AC:10:00:02", 1400));

        List<String> command = QemuCommandLine.build("qemu", "vm1", MACHINE, BOOT, List.of(), interfaces, Path.of("/q"));

        assertThat(valueAfter(command, "-netdev")).isEqualTo("tap,id=eth0,ifname=tap7,script=no,downscript=no");
        assertThat(valueAfter(command, "-device")).isEqualTo("virtio-net-pci,netdev=eth0,mac=06:00:AC:10:00:02,host_mtu=1400");
    }

    @Test
    void noInitrdMeansNoInitrdOption() {
        QemuCommandLine.Boot boot = new QemuCommandLine.Boot(Path.of("/k"), null, "console=ttyS0");

        List<String> command = QemuCommandLine.build("qemu", "vm1", MACHINE, boot, List.of(), List.of(), Path.of("/q"));

        assertThat(command).doesNotContain("-initrd");
    }

    private static String valueAfter(List<String> command, String option) {
        int index = command.indexOf(option);
        assertThat(index).as("option %s in %s", option, command).isNotNegative();
        return command.get(index + 1);
    }

    private static List<String> valuesAfter(List<String> command, String option) {
        java.util.ArrayList<String> values = new java.util.ArrayList<>();
        for (int i = 0; i < command.size() - 1; i++) {
            if (command.get(i).equals(option)) {
                values.add(command.get(i + 1));
            }
        }
        return values;
    }
}
