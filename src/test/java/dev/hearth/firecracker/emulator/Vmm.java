package dev.hearth.firecracker.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;

/**
 * The microVM behind the API: the configuration that Firecracker accepts before boot, the
 * actions, and the QEMU process that runs the guest once {@code InstanceStart} arrives. Every
 * method is one API request; they run one at a time, as Firecracker's VMM thread runs them.
 */
final class Vmm {

    static final String VERSION = "1.17.0-dev";

    /** Firecracker's boot arguments when {@code PUT /boot-source} gives none. */
    static final String DEFAULT_BOOT_ARGS =
            "reboot=k panic=1 pci=off nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern RESOURCE_ID = Pattern.compile("[A-Za-z0-9_]+");
    private static final Pattern MAC = Pattern.compile("([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}");
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(15);

    enum State {
        NOT_STARTED("Not started"), RUNNING("Running"), PAUSED("Paused");

        final String apiName;

        State(String apiName) {
            this.apiName = apiName;
        }
    }

    private final String instanceId;
    private final EmulatorLog log;
    private final String qemuBinary;
    private final IntConsumer onGuestExit;
    // QEMU is started from this thread and from no other: the parent-death signal that ends
    // QEMU with the emulator fires when the thread that started it ends.
    private final ExecutorService vmmThread = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fc_vmm");
        thread.setDaemon(true);
        return thread;
    });

    private State state = State.NOT_STARTED;
    private ObjectNode machineConfig = MAPPER.createObjectNode()
            .put("vcpu_count", 1).put("mem_size_mib", 128).put("smt", false)
            .put("track_dirty_pages", false).put("huge_pages", "None");
    private ObjectNode bootSource;
    private final Map<String, ObjectNode> drives = new LinkedHashMap<>();
    private final Map<String, ObjectNode> networkInterfaces = new LinkedHashMap<>();
    private ObjectNode logger;
    private ObjectNode metrics;
    private OutputStream metricsOutput;
    private JsonNode mmds;
    private final Map<String, Long> requestCounts = new LinkedHashMap<>();

    private Process qemu;
    private QmpClient qmp;
    private Path qmpDirectory;

    Vmm(String instanceId, EmulatorLog log, String qemuBinary, IntConsumer onGuestExit) {
        this.instanceId = instanceId;
        this.log = log;
        this.qemuBinary = qemuBinary;
        this.onGuestExit = onGuestExit;
    }

    synchronized void countRequest(String method) {
        requestCounts.merge(method.toLowerCase() + "_api_requests", 1L, Long::sum);
    }

    synchronized ObjectNode describeInstance() {
        return MAPPER.createObjectNode().put("id", instanceId).put("state", state.apiName)
                .put("vmm_version", VERSION).put("app_name", "Firecracker");
    }

    synchronized State state() {
        return state;
    }

    synchronized ObjectNode machineConfig() {
        return machineConfig.deepCopy();
    }

    synchronized void putMachineConfig(ObjectNode body) throws ApiFault {
        requireNotStarted();
        ObjectNode updated = MAPPER.createObjectNode()
                .put("vcpu_count", 1).put("mem_size_mib", 128).put("smt", false)
                .put("track_dirty_pages", false).put("huge_pages", "None");
        updated.setAll(body);
        machineConfig = validMachineConfig(updated);
    }

    synchronized void patchMachineConfig(ObjectNode body) throws ApiFault {
        requireNotStarted();
        ObjectNode updated = machineConfig.deepCopy();
        updated.setAll(body);
        machineConfig = validMachineConfig(updated);
    }

    private static ObjectNode validMachineConfig(ObjectNode config) throws ApiFault {
        int vcpus = config.get("vcpu_count").asInt();
        boolean smt = config.get("smt").asBoolean();
        if (vcpus < 1 || vcpus > 32 || (smt && vcpus > 1 && vcpus % 2 != 0)) {
            throw ApiFault.badRequest("Machine config error: The vCPU number is invalid! The vCPU number "
                    + "can only be 1 or an even number when SMT is enabled.");
        }
        if (config.get("mem_size_mib").asLong() == 0) {
            throw ApiFault.badRequest("Machine config error: The memory size (MiB) is invalid.");
        }
        if (config.has("cpu_template") && !"None".equals(config.get("cpu_template").asText())) {
            throw ApiFault.notEmulated("CPU templates");
        }
        if (!"None".equals(config.get("huge_pages").asText())) {
            throw ApiFault.notEmulated("huge pages");
        }
        return config;
    }

    synchronized void putBootSource(ObjectNode body) throws ApiFault {
        requireNotStarted();
        requireReadable(body.get("kernel_image_path").asText(), "Boot source error: The kernel file cannot be opened");
        if (body.has("initrd_path")) {
            requireReadable(body.get("initrd_path").asText(), "Boot source error: The initrd file cannot be opened");
        }
        bootSource = body;
    }

    synchronized void putDrive(String pathId, ObjectNode body) throws ApiFault {
        requireNotStarted();
        String driveId = body.get("drive_id").asText();
        requireMatchingId(pathId, driveId);
        if (body.has("socket")) {
            throw ApiFault.notEmulated("vhost-user block devices (socket)");
        }
        if (body.has("partuuid")) {
            throw ApiFault.notEmulated("root partitions by partuuid");
        }
        if (body.has("rate_limiter")) {
            throw ApiFault.notEmulated("rate limiters");
        }
        if ("Async".equals(body.path("io_engine").asText())) {
            throw ApiFault.notEmulated("the Async io_engine");
        }
        if (!body.has("path_on_host")) {
            throw ApiFault.badRequest("Drive config error: path_on_host is required for a virtio-block device.");
        }
        boolean root = body.get("is_root_device").asBoolean();
        if (root) {
            for (ObjectNode other : drives.values()) {
                if (other.get("is_root_device").asBoolean() && !other.get("drive_id").asText().equals(driveId)) {
                    throw ApiFault.badRequest("Drive config error: A root block device already exists!");
                }
            }
        }
        boolean readOnly = body.path("is_read_only").asBoolean(false);
        requireOpenable(Path.of(body.get("path_on_host").asText()), readOnly);
        drives.put(driveId, body);
    }

    /**
     * Accepts {@code PATCH /drives/{id}} after boot as Firecracker validates it, but rejects the
     * changes themselves: QEMU cannot swap the backing file of a fixed virtio disk in place.
     */
    synchronized void patchDrive(String pathId, ObjectNode body) throws ApiFault {
        if (state == State.NOT_STARTED) {
            throw ApiFault.badRequest(ApiFault.NOT_SUPPORTED_BEFORE_START);
        }
        String driveId = body.get("drive_id").asText();
        requireMatchingId(pathId, driveId);
        ObjectNode drive = drives.get(driveId);
        if (drive == null) {
            throw ApiFault.badRequest("Drive config error: Invalid block device ID: " + driveId + ".");
        }
        if (body.has("rate_limiter")) {
            throw ApiFault.notEmulated("rate limiters");
        }
        if (body.has("path_on_host")) {
            requireOpenable(Path.of(body.get("path_on_host").asText()), drive.path("is_read_only").asBoolean(false));
            throw ApiFault.notEmulated("changing a drive's backing file after boot");
        }
    }

    synchronized void putNetworkInterface(String pathId, ObjectNode body) throws ApiFault {
        requireNotStarted();
        String ifaceId = body.get("iface_id").asText();
        requireMatchingId(pathId, ifaceId);
        if (body.has("rx_rate_limiter") || body.has("tx_rate_limiter")) {
            throw ApiFault.notEmulated("rate limiters");
        }
        String hostDevName = body.get("host_dev_name").asText();
        if (!isTapDevice(hostDevName)) {
            throw ApiFault.badRequest("Network config error: Could not create the network device: Open tap device "
                    + "failed: Invalid TUN/TAP Backend provided by " + hostDevName
                    + ". Check our documentation on setting up the network devices.");
        }
        String mac = body.path("guest_mac").asText(null);
        if (mac != null && !MAC.matcher(mac).matches()) {
            throw ApiFault.badRequest("Network config error: Invalid MAC address: " + mac);
        }
        for (ObjectNode other : networkInterfaces.values()) {
            if (other.get("iface_id").asText().equals(ifaceId)) {
                continue;
            }
            if (other.get("host_dev_name").asText().equals(hostDevName)) {
                throw ApiFault.badRequest("Network config error: The host device name " + hostDevName
                        + " is already in use.");
            }
            if (mac != null && mac.equalsIgnoreCase(other.path("guest_mac").asText())) {
                throw ApiFault.badRequest("Network config error: The MAC address is already in use: " + mac);
            }
        }
        networkInterfaces.put(ifaceId, body);
    }

    synchronized void patchNetworkInterface(String pathId, ObjectNode body) throws ApiFault {
        if (state == State.NOT_STARTED) {
            throw ApiFault.badRequest(ApiFault.NOT_SUPPORTED_BEFORE_START);
        }
        String ifaceId = body.get("iface_id").asText();
        requireMatchingId(pathId, ifaceId);
        if (!networkInterfaces.containsKey(ifaceId)) {
            throw ApiFault.badRequest("Network interface error: Invalid interface ID - not found.");
        }
        throw ApiFault.notEmulated("rate limiters");
    }

    synchronized void putLogger(ObjectNode body) throws ApiFault {
        if (body.path("show_log_origin").asBoolean(false)) {
            throw ApiFault.notEmulated("show_log_origin");
        }
        if (body.has("module")) {
            throw ApiFault.notEmulated("log filtering by module");
        }
        LogLevel level;
        try {
            level = LogLevel.parse(body.path("level").asText("Info"));
        } catch (IllegalArgumentException e) {
            throw ApiFault.badRequest("Logger error: " + e.getMessage());
        }
        if (body.has("log_path")) {
            try {
                log.configure(Path.of(body.get("log_path").asText()), level, body.path("show_level").asBoolean(false));
            } catch (IOException e) {
                throw ApiFault.badRequest("Logger error: " + e.getMessage());
            }
        }
        logger = body;
    }

    synchronized void putMetrics(ObjectNode body) throws ApiFault {
        if (metrics != null) {
            throw ApiFault.badRequest("Metrics error: Reinitialization of metrics not allowed.");
        }
        Path path = Path.of(body.get("metrics_path").asText());
        if (!Files.exists(path)) {
            throw ApiFault.badRequest("Metrics error: Cannot initialize the metrics system due to a bad "
                    + "metrics path: No such file or directory (os error 2)");
        }
        try {
            metricsOutput = Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw ApiFault.badRequest("Metrics error: Cannot initialize the metrics system: " + e.getMessage());
        }
        metrics = body;
    }

    synchronized void action(String actionType) throws ApiFault {
        switch (actionType) {
            case "InstanceStart" -> start();
            case "SendCtrlAltDel" -> sendCtrlAltDel();
            case "FlushMetrics" -> flushMetrics();
            default -> throw ApiFault.badRequest("unknown variant `" + actionType + "`");
        }
    }

    synchronized void patchVm(String requested) throws ApiFault {
        if (state == State.NOT_STARTED) {
            throw ApiFault.badRequest(ApiFault.NOT_SUPPORTED_BEFORE_START);
        }
        boolean pause = "Paused".equals(requested);
        try {
            qmp.execute(pause ? "stop" : "cont", null);
        } catch (IOException e) {
            throw ApiFault.badRequest((pause ? "Failed to pause the microVM: " : "Failed to resume the microVM: ")
                    + e.getMessage());
        }
        state = pause ? State.PAUSED : State.RUNNING;
        log.info(pause ? "Paused the microVM." : "Resumed the microVM.");
    }

    synchronized void putMmds(JsonNode body) throws ApiFault {
        if (!body.isObject()) {
            throw ApiFault.badRequest("MMDS data must be a JSON object.");
        }
        mmds = body;
    }

    /** Applies a JSON merge patch (RFC 7396), as Firecracker does for {@code PATCH /mmds}. */
    synchronized void patchMmds(JsonNode patch) throws ApiFault {
        if (mmds == null) {
            throw ApiFault.badRequest("The MMDS data store is not initialized.");
        }
        if (!patch.isObject()) {
            throw ApiFault.badRequest("MMDS data must be a JSON object.");
        }
        mergePatch((ObjectNode) mmds, (ObjectNode) patch);
    }

    private static void mergePatch(ObjectNode target, ObjectNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                target.remove(entry.getKey());
            } else if (value.isObject() && target.get(entry.getKey()) instanceof ObjectNode existing) {
                mergePatch(existing, (ObjectNode) value);
            } else {
                target.set(entry.getKey(), value.deepCopy());
            }
        }
    }

    synchronized JsonNode mmds() throws ApiFault {
        if (mmds == null) {
            throw ApiFault.badRequest("The MMDS data store is not initialized.");
        }
        return mmds.deepCopy();
    }

    synchronized ObjectNode vmConfig() {
        ObjectNode config = MAPPER.createObjectNode();
        config.set("boot-source", bootSource == null ? null : bootSource.deepCopy());
        ArrayNode driveList = config.putArray("drives");
        drives.values().forEach(drive -> driveList.add(drive.deepCopy()));
        config.set("machine-config", machineConfig.deepCopy());
        config.set("logger", logger == null ? null : logger.deepCopy());
        config.set("metrics", metrics == null ? null : metrics.deepCopy());
        ArrayNode netList = config.putArray("network-interfaces");
        networkInterfaces.values().forEach(net -> netList.add(net.deepCopy()));
        return config;
    }

    private void start() throws ApiFault {
        requireNotStarted();
        if (bootSource == null) {
            throw ApiFault.badRequest("Start microvm error: Cannot start microvm without kernel configuration.");
        }
        List<String> command = qemuCommand();
        log.info("Starting the guest: " + String.join(" ", command));
        try {
            vmmThread.submit(() -> {
                launch(command);
                return null;
            }).get();
        } catch (ExecutionException e) {
            throw ApiFault.badRequest("Start microvm error: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiFault.badRequest("Start microvm error: interrupted");
        }
        state = State.RUNNING;
        log.info("Started the microVM: QEMU runs as process " + qemu.pid() + ".");
    }

    private List<String> qemuCommand() throws ApiFault {
        try {
            qmpDirectory = Files.createTempDirectory("firecracker-emulator-");
        } catch (IOException e) {
            throw ApiFault.badRequest("Start microvm error: cannot create a directory for QMP: " + e.getMessage());
        }
        var machine = new QemuCommandLine.Machine(machineConfig.get("vcpu_count").asInt(),
                machineConfig.get("mem_size_mib").asLong(), machineConfig.get("smt").asBoolean());
        var boot = new QemuCommandLine.Boot(Path.of(bootSource.get("kernel_image_path").asText()),
                bootSource.has("initrd_path") ? Path.of(bootSource.get("initrd_path").asText()) : null,
                bootSource.path("boot_args").asText(DEFAULT_BOOT_ARGS));
        List<QemuCommandLine.Drive> driveList = new ArrayList<>();
        for (ObjectNode drive : drives.values()) {
            driveList.add(new QemuCommandLine.Drive(drive.get("drive_id").asText(),
                    Path.of(drive.get("path_on_host").asText()), drive.get("is_root_device").asBoolean(),
                    drive.path("is_read_only").asBoolean(false), drive.path("cache_type").asText("Unsafe")));
        }
        List<QemuCommandLine.NetworkInterface> netList = new ArrayList<>();
        for (ObjectNode net : networkInterfaces.values()) {
            netList.add(new QemuCommandLine.NetworkInterface(net.get("iface_id").asText(),
                    net.get("host_dev_name").asText(), net.path("guest_mac").asText(null),
                    net.has("mtu") ? net.get("mtu").asInt() : null));
        }
        List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
        command.addAll(QemuCommandLine.build(qemuBinary, instanceId, machine, boot, driveList, netList,
                qmpDirectory.resolve("qmp.sock")));
        return command;
    }

    /** Runs on the VMM thread: starts QEMU, connects QMP, and watches for the guest's exit. */
    private void launch(List<String> command) throws IOException, InterruptedException {
        qemu = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            qmp = QmpClient.connect(qmpDirectory.resolve("qmp.sock"), QMP_TIMEOUT, qemu);
        } catch (IOException | InterruptedException e) {
            qemu.destroyForcibly();
            Files.deleteIfExists(qmpDirectory.resolve("qmp.sock"));
            Files.deleteIfExists(qmpDirectory);
            throw e;
        }
        // The open connection is all the emulator needs from now on: removing the socket at
        // once leaves nothing behind in the temporary directory, even after a SIGKILL.
        Files.deleteIfExists(qmpDirectory.resolve("qmp.sock"));
        Files.deleteIfExists(qmpDirectory);
        Process started = qemu;
        started.onExit().thenAccept(process -> {
            log.info("Vmm is stopping: the guest exited (QEMU status " + process.exitValue() + ").");
            onGuestExit.accept(process.exitValue() == 0 ? 0 : 1);
        });
    }

    private void sendCtrlAltDel() throws ApiFault {
        if (state == State.NOT_STARTED) {
            throw ApiFault.badRequest(ApiFault.NOT_SUPPORTED_BEFORE_START);
        }
        ObjectNode arguments = MAPPER.createObjectNode();
        ArrayNode keys = arguments.putArray("keys");
        for (String key : List.of("ctrl", "alt", "delete")) {
            keys.addObject().put("type", "qcode").put("data", key);
        }
        try {
            qmp.execute("send-key", arguments);
        } catch (IOException e) {
            throw ApiFault.badRequest("Failed to send CTRL+ALT+DEL: " + e.getMessage());
        }
        log.info("Sent CTRL+ALT+DEL to the guest.");
    }

    private void flushMetrics() throws ApiFault {
        if (metricsOutput == null) {
            throw ApiFault.badRequest("Metrics error: The metrics system was not initialized.");
        }
        ObjectNode line = MAPPER.createObjectNode().put("utc_timestamp_ms", System.currentTimeMillis());
        if (metrics.path("emit_id").asBoolean(false)) {
            line.put("id", instanceId);
        }
        if (metrics.has("properties")) {
            line.set("properties", metrics.get("properties"));
        }
        ObjectNode api = line.putObject("api_server");
        requestCounts.forEach(api::put);
        line.putObject("vmm").put("state", state.apiName);
        try {
            metricsOutput.write((MAPPER.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
            metricsOutput.flush();
        } catch (IOException e) {
            throw ApiFault.badRequest("Metrics error: Failed to write metrics: " + e.getMessage());
        }
    }

    /** Ends QEMU when the emulator ends, as the guest ends with a Firecracker process. */
    synchronized void shutdown() {
        if (qemu != null && qemu.isAlive()) {
            qemu.destroy();
            try {
                if (!qemu.waitFor(3, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                qemu.destroyForcibly();
            }
        }
    }

    static void requireValidId(String id) throws ApiFault {
        if (!RESOURCE_ID.matcher(id).matches()) {
            throw ApiFault.badRequest("API Resource IDs can only contain alphanumeric characters and underscores.");
        }
    }

    private void requireNotStarted() throws ApiFault {
        if (state != State.NOT_STARTED) {
            throw ApiFault.badRequest(ApiFault.NOT_SUPPORTED_AFTER_START);
        }
    }

    private static void requireMatchingId(String pathId, String bodyId) throws ApiFault {
        if (!pathId.equals(bodyId)) {
            throw ApiFault.badRequest("The id from the path does not match the id from the body!");
        }
    }

    private static void requireReadable(String path, String prefix) throws ApiFault {
        Path file = Path.of(path);
        if (!Files.exists(file)) {
            throw ApiFault.badRequest(prefix + ": No such file or directory (os error 2)");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw ApiFault.badRequest(prefix + ": Permission denied (os error 13)");
        }
    }

    private static void requireOpenable(Path path, boolean readOnly) throws ApiFault {
        String prefix = "Drive config error: Unable to create the virtio block device: Virtio backend error: "
                + "Error manipulating the backing file: ";
        if (!Files.exists(path)) {
            throw ApiFault.badRequest(prefix + "No such file or directory (os error 2) " + path);
        }
        if (!Files.isReadable(path) || (!readOnly && !Files.isWritable(path))) {
            throw ApiFault.badRequest(prefix + "Permission denied (os error 13) " + path);
        }
    }

    private static boolean isTapDevice(String name) {
        return name.length() <= 15 && !name.contains("/") && !name.isEmpty()
                && Files.exists(Path.of("/sys/class/net", name, "tun_flags"));
    }
}
