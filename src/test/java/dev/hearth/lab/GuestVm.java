package dev.hearth.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.disks.Debugfs;
import dev.hearth.disks.Debugfs.GuestFile;
import dev.hearth.guest.SshKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;

/**
 * One guest booted through the Firecracker emulator's API alone, as Hearth boots one: its own
 * copy of the base image with a fresh host key and authorized key written in, its own TAP
 * device and /30, and a Firecracker process configured over the Unix socket. Slot {@code n}
 * uses 172.16.0.4n/30: the host side is .4n+1 and the guest .4n+2.
 */
public final class GuestVm implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String name;
    private final Path directory;
    private final String tap;
    private final String guestAddress;
    private final KeyPair hostKey;
    private final KeyPair clientKey;
    private EmulatorProcess emulator;
    private FirecrackerApiClient api;
    private long instanceStartNanos;

    private GuestVm(String name, Path directory, int slot, KeyPair hostKey, KeyPair clientKey) {
        this.name = name;
        this.directory = directory;
        this.tap = "fctest" + slot;
        this.guestAddress = "172.16.0." + (4 * slot + 2);
        this.hostKey = hostKey;
        this.clientKey = clientKey;
    }

    /** Prepares the disk and TAP device, starts the emulator and sends {@code InstanceStart}. */
    public static GuestVm boot(GuestImage image, Path workRoot, String name, int slot, int vcpus, int memoryMib)
            throws IOException, GeneralSecurityException, InterruptedException {
        if (slot < 1 || slot > 60) {
            throw new IllegalArgumentException("slot " + slot + " is outside 1..60");
        }
        TestNetwork.requireIsolated();
        GuestVm vm = new GuestVm(name, workRoot.resolve(name), slot, SshKeys.generate(), SshKeys.generate());
        try {
            vm.prepareDisk(image);
            TestNetwork.createTap(vm.tap, "172.16.0." + (4 * slot + 1), 30);
            vm.start(image, vcpus, memoryMib, slot);
            return vm;
        } catch (IOException | GeneralSecurityException | RuntimeException | Error e) {
            vm.close();
            throw e;
        }
    }

    private void prepareDisk(GuestImage image) throws IOException, GeneralSecurityException {
        Files.createDirectories(directory);
        Path rootfs = rootfs();
        TestNetwork.run(List.of("cp", "--reflink=auto", "--sparse=always", image.rootfs().toString(), rootfs.toString()));
        rootfs.toFile().setWritable(true, true);
        new Debugfs().writeFiles(rootfs, List.of(
                new GuestFile("/etc/ssh/ssh_host_ecdsa_key", SshKeys.openSshPrivateKey(hostKey), 0600),
                new GuestFile("/etc/ssh/ssh_host_ecdsa_key.pub",
                        (SshKeys.publicKeyLine(hostKey.getPublic()) + "\n").getBytes(StandardCharsets.UTF_8), 0644),
                new GuestFile("/root/.ssh/authorized_keys",
                        (SshKeys.publicKeyLine(clientKey.getPublic()) + "\n").getBytes(StandardCharsets.UTF_8), 0600),
                new GuestFile("/etc/hostname", (name + "\n").getBytes(StandardCharsets.UTF_8), 0644)));
    }

    private void start(GuestImage image, int vcpus, int memoryMib, int slot) throws IOException {
        Path socket = directory.resolve("firecracker.sock");
        emulator = EmulatorProcess.startWithApi(directory, socket, name);
        api = new FirecrackerApiClient(socket);

        expectNoContent("PUT", "/machine-config",
                MAPPER.createObjectNode().put("vcpu_count", vcpus).put("mem_size_mib", memoryMib));
        String bootArgs = image.bootArgs() + " ip=" + guestAddress + "::172.16.0." + (4 * slot + 1)
                + ":255.255.255.252::eth0:off";
        expectNoContent("PUT", "/boot-source", MAPPER.createObjectNode()
                .put("kernel_image_path", image.kernel().toString())
                .put("initrd_path", image.initrd().toString())
                .put("boot_args", bootArgs));
        expectNoContent("PUT", "/drives/rootfs", MAPPER.createObjectNode()
                .put("drive_id", "rootfs").put("path_on_host", rootfs().toString())
                .put("is_root_device", true).put("is_read_only", false));
        expectNoContent("PUT", "/network-interfaces/eth0", MAPPER.createObjectNode()
                .put("iface_id", "eth0").put("host_dev_name", tap).put("guest_mac", guestMac()));
        instanceStartNanos = System.nanoTime();
        expectNoContent("PUT", "/actions", MAPPER.createObjectNode().put("action_type", "InstanceStart"));
    }

    private void expectNoContent(String method, String path, ObjectNode body) {
        FirecrackerApiClient.Reply reply = api.send(method, path, body.toString());
        assertThat(reply.status()).as("%s %s on %s: %s", method, path, name, reply.body()).isEqualTo(204);
    }

    /** Logs in over SSH, waiting up to {@code timeout} for the guest to boot. */
    public GuestSsh ssh(Duration timeout) throws IOException, InterruptedException {
        return GuestSsh.connect(guestAddress, hostKey.getPublic(), clientKey, timeout);
    }

    /** Time from {@code InstanceStart} until now. */
    public Duration sinceInstanceStart() {
        return Duration.ofNanos(System.nanoTime() - instanceStartNanos);
    }

    /** The MAC for the guest address: {@code 06:00:} and the four address bytes. */
    public String guestMac() {
        StringBuilder mac = new StringBuilder("06:00");
        for (String octet : guestAddress.split("\\.")) {
            mac.append(String.format(":%02X", Integer.parseInt(octet)));
        }
        return mac.toString();
    }

    public String name() {
        return name;
    }

    public String guestAddress() {
        return guestAddress;
    }

    public String tap() {
        return tap;
    }

    public Path rootfs() {
        return directory.resolve("rootfs.ext4");
    }

    public FirecrackerApiClient api() {
        return api;
    }

    public EmulatorProcess emulator() {
        return emulator;
    }

    /** Stops the emulator and QEMU, and removes the TAP device, the disk copy and the socket. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (api != null) {
                api.close();
            }
        } catch (Exception e) {
            throw new IOException("cannot stop the API client of " + name, e);
        } finally {
            if (emulator != null) {
                emulator.close();
            }
            TestNetwork.deleteTap(tap);
            // The console and emulator logs stay under target/ for whoever reads a failure.
            Files.deleteIfExists(rootfs());
            Files.deleteIfExists(directory.resolve("firecracker.sock"));
        }
    }
}
