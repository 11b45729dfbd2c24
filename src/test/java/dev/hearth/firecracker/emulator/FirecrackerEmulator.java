package dev.hearth.firecracker.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A stand-in for the {@code firecracker} binary on machines where Firecracker cannot run: the
 * same command line, the same API on a Unix socket, and a real guest booted in QEMU on
 * {@code InstanceStart}. The guest console goes to standard output, and the process exits when
 * the guest reboots or powers off, with status 0 as Firecracker does.
 *
 * <p>The QEMU binary is {@code qemu-system-x86_64} from {@code PATH}, or the one named by the
 * environment variable {@code HEARTH_EMULATOR_QEMU}.
 */
public final class FirecrackerEmulator {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> CONFIG_FILE_SECTIONS = Set.of("boot-source", "drives", "machine-config",
            "network-interfaces", "logger", "metrics", "balloon", "vsock", "mmds-config", "entropy",
            "cpu-config", "pmem", "memory-hotplug");
    private static final int EXIT_GENERIC_ERROR = 1;
    // Jetty logs through SLF4J to java.util.logging; its start-up lines would only add noise to stderr.
    private static final java.util.logging.Logger JETTY_LOG = java.util.logging.Logger.getLogger("org.eclipse.jetty");

    private FirecrackerEmulator() {
    }

    public static void main(String[] args) throws Exception {
        JETTY_LOG.setLevel(java.util.logging.Level.WARNING);
        EmulatorOptions options;
        try {
            options = EmulatorOptions.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(EmulatorOptions.USAGE);
            System.exit(EmulatorOptions.EXIT_ARGUMENT_PARSING);
            return;
        }
        if (options.showHelp()) {
            System.out.print(EmulatorOptions.USAGE);
            return;
        }
        if (options.showVersion()) {
            System.out.println("Firecracker v" + Vmm.VERSION + " (Hearth's Firecracker emulator, guests run in QEMU)");
            return;
        }

        EmulatorLog log = new EmulatorLog(options.id(), options.level());
        if (options.logPath().isPresent()) {
            try {
                log.configure(options.logPath().get(), options.level(), false);
            } catch (IOException e) {
                exit(log, "Logger error: " + e.getMessage(), EXIT_GENERIC_ERROR);
            }
        }
        log.info("Running Firecracker v" + Vmm.VERSION + " (emulated: the guest runs in QEMU under TCG)");

        String qemuBinary = System.getenv().getOrDefault("HEARTH_EMULATOR_QEMU", "qemu-system-x86_64");
        Vmm vmm = new Vmm(options.id(), log, qemuBinary, status -> Runtime.getRuntime().exit(status));
        Runtime.getRuntime().addShutdownHook(new Thread(vmm::shutdown, "fc_shutdown"));

        Server server = null;
        if (!options.noApi()) {
            server = startApiServer(options.apiSocket(), vmm, log);
        }
        if (options.configFile().isPresent()) {
            try {
                bootFromConfigFile(options.configFile().get(), vmm);
            } catch (ApiFault | IOException e) {
                exit(log, "Building VMM configured from cmdline json failed: " + e.getMessage(), EXIT_GENERIC_ERROR);
            }
        }
        if (server != null) {
            server.join();
        } else {
            Thread.currentThread().join();
        }
    }

    private static Server startApiServer(Path socket, Vmm vmm, EmulatorLog log) throws Exception {
        if (Files.exists(socket)) {
            exit(log, "Failed to open the API socket at: " + socket + ". Check that it is not already used.",
                    EXIT_GENERIC_ERROR);
        }
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("fc_api");
        Server server = new Server(threads);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        ApiHandler handler = new ApiHandler(vmm, log);
        connector.addEventListener(handler);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        log.info("API server listening on " + socket);
        return server;
    }

    /** Applies a {@code --config-file} through the same checks as the API, then starts the guest. */
    private static void bootFromConfigFile(Path file, Vmm vmm) throws IOException, ApiFault {
        JsonNode config = MAPPER.readTree(file.toFile());
        if (config == null || !config.isObject()) {
            throw ApiFault.badRequest("the configuration file must contain a JSON object");
        }
        for (Iterator<String> names = config.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!CONFIG_FILE_SECTIONS.contains(name)) {
                throw ApiFault.badRequest("unknown field `" + name + "`");
            }
            if (!Set.of("boot-source", "drives", "machine-config", "network-interfaces", "logger", "metrics")
                    .contains(name) && !config.get(name).isNull()) {
                throw ApiFault.notEmulated("the configuration file section " + name);
            }
        }
        if (config.hasNonNull("logger")) {
            vmm.putLogger(ApiTypes.LOGGER.read(MAPPER.writeValueAsBytes(config.get("logger"))));
        }
        if (config.hasNonNull("metrics")) {
            vmm.putMetrics(ApiTypes.METRICS.read(MAPPER.writeValueAsBytes(config.get("metrics"))));
        }
        if (config.hasNonNull("machine-config")) {
            vmm.putMachineConfig(ApiTypes.MACHINE_CONFIGURATION.read(MAPPER.writeValueAsBytes(config.get("machine-config"))));
        }
        if (config.hasNonNull("boot-source")) {
            vmm.putBootSource(ApiTypes.BOOT_SOURCE.read(MAPPER.writeValueAsBytes(config.get("boot-source"))));
        }
        for (JsonNode drive : config.path("drives")) {
            vmm.putDrive(drive.path("drive_id").asText(), ApiTypes.DRIVE.read(MAPPER.writeValueAsBytes(drive)));
        }
        for (JsonNode net : config.path("network-interfaces")) {
            vmm.putNetworkInterface(net.path("iface_id").asText(),
                    ApiTypes.NETWORK_INTERFACE.read(MAPPER.writeValueAsBytes(net)));
        }
        vmm.action("InstanceStart");
    }

    private static void exit(EmulatorLog log, String message, int status) {
        log.error(message);
        System.err.println(message);
        Runtime.getRuntime().exit(status);
    }
}
