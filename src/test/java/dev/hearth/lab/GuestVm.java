package dev.hearth.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.disks.Debugfs;
import dev.hearth.disks.Debugfs.GuestFile;
import dev.hearth.guest.SshKeys;
import dev.hearth.network.Subnet;
import dev.hearth.network.TapDevices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;

/**
 * One guest booted through the Firecracker emulator's API alone, as Hearth boots one. It gets
 * its own copy of the base image with a fresh host key and authorized key written in, its own
 * TAP device and /30, and a Firecracker process configured over the Unix socket. Slot {@code n}
 * is Hearth's slot {@code n} of 172.16.0.0/16, as {@link Subnet} lays it out.
 */
public final class GuestVm implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** The same subnet and slot layout as Hearth's default, so TAP names are {@code hearth<slot>}. */
    private static final Subnet SUBNET = Subnet.parse("172.16.0.0/16");

    private final String name;
    private final Path directory;
    private final Subnet.Slot slot;
    private final KeyPair hostKey;
    private final KeyPair clientKey;
    private EmulatorProcess emulator;
    private FirecrackerApiClient api;
    private long instanceStartNanos;

    private GuestVm(String name, Path directory, Subnet.Slot slot, KeyPair hostKey, KeyPair clientKey) {
        this.name = name;
        this.directory = directory;
        this.slot = slot;
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
        GuestVm vm = new GuestVm(name, workRoot.resolve(name), SUBNET.slot(slot), SshKeys.generate(), SshKeys.generate());
        try {
            vm.prepareDisk(image);
            TapDevices.create(vm.slot);
            vm.start(image, vcpus, memoryMib);
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

    private void start(GuestImage image, int vcpus, int memoryMib) throws IOException {
        Path socket = directory.resolve("firecracker.sock");
        emulator = EmulatorProcess.startWithApi(directory, socket, name);
        api = new FirecrackerApiClient(socket);

        expectNoContent("PUT", "/machine-config",
                MAPPER.createObjectNode().put("vcpu_count", vcpus).put("mem_size_mib", memoryMib));
        String bootArgs = image.bootArgs() + " " + slot.kernelIpArgument();
        expectNoContent("PUT", "/boot-source", MAPPER.createObjectNode()
                .put("kernel_image_path", image.kernel().toString())
                .put("initrd_path", image.initrd().toString())
                .put("boot_args", bootArgs));
        expectNoContent("PUT", "/drives/rootfs", MAPPER.createObjectNode()
                .put("drive_id", "rootfs").put("path_on_host", rootfs().toString())
                .put("is_root_device", true).put("is_read_only", false));
        expectNoContent("PUT", "/network-interfaces/eth0", MAPPER.createObjectNode()
                .put("iface_id", "eth0").put("host_dev_name", slot.tapName()).put("guest_mac", slot.mac()));
        instanceStartNanos = System.nanoTime();
        expectNoContent("PUT", "/actions", MAPPER.createObjectNode().put("action_type", "InstanceStart"));
    }

    private void expectNoContent(String method, String path, ObjectNode body) {
        FirecrackerApiClient.Reply reply = api.send(method, path, body.toString());
        assertThat(reply.status()).as("%s %s on %s: %s", method, path, name, reply.body()).isEqualTo(204);
    }

    /** Logs in over SSH, waiting up to {@code timeout} for the guest to boot. */
    public GuestSsh ssh(Duration timeout) throws IOException, InterruptedException {
        return GuestSsh.connect(slot.guestAddress(), hostKey.getPublic(), clientKey, timeout);
    }

    /** Time from {@code InstanceStart} until now. */
    public Duration sinceInstanceStart() {
        return Duration.ofNanos(System.nanoTime() - instanceStartNanos);
    }

    /** Returns the MAC for the guest address: {@code 06:00:} and the four address bytes. */
    public String guestMac() {
        return slot.mac();
    }

    public String name() {
        return name;
    }

    public String guestAddress() {
        return slot.guestAddress();
    }

    public String tap() {
        return slot.tapName();
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
            TapDevices.delete(slot.tapName());
            // The console and emulator logs stay under target/ for reading a failure.
            Files.deleteIfExists(rootfs());
            Files.deleteIfExists(directory.resolve("firecracker.sock"));
        }
    }
}
