package dev.hearth.platform;

import dev.hearth.network.Subnet;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Hearth's settings, read through MicroProfile Config: each key can come from a system property,
 * an environment variable ({@code hearth.state-dir} as {@code HEARTH_STATE_DIR}) or
 * {@code META-INF/microprofile-config.properties}. Every key has a working default.
 */
@ApplicationScoped
public class HearthConfig {

    @Inject
    @ConfigProperty(name = "hearth.state-dir", defaultValue = "/var/lib/hearth/state")
    String stateDir;

    @Inject
    @ConfigProperty(name = "hearth.images-dir", defaultValue = "/var/lib/hearth/images")
    String imagesDir;

    @Inject
    @ConfigProperty(name = "hearth.default-image", defaultValue = "debian-bookworm")
    String defaultImage;

    @Inject
    @ConfigProperty(name = "hearth.firecracker.binary", defaultValue = "/usr/local/bin/firecracker")
    String firecrackerBinary;

    @Inject
    @ConfigProperty(name = "hearth.firecracker.socket-timeout-seconds", defaultValue = "10")
    int socketTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.firecracker.api-timeout-seconds", defaultValue = "10")
    int apiTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.boot-timeout-seconds", defaultValue = "180")
    int bootTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.stop-timeout-seconds", defaultValue = "10")
    int stopTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.network.subnet", defaultValue = "172.16.0.0/16")
    String subnet;

    @Inject
    @ConfigProperty(name = "hearth.network.tap-prefix", defaultValue = Subnet.DEFAULT_TAP_PREFIX)
    String tapPrefix;

    @Inject
    @ConfigProperty(name = "hearth.ssh.user", defaultValue = "root")
    String sshUser;

    @Inject
    @ConfigProperty(name = "hearth.limits.max-vms", defaultValue = "20")
    int maxVms;

    @Inject
    @ConfigProperty(name = "hearth.limits.memory-budget-mib")
    Optional<Long> memoryBudgetMib;

    @Inject
    @ConfigProperty(name = "hearth.limits.max-vcpus", defaultValue = "4")
    int maxVcpus;

    @Inject
    @ConfigProperty(name = "hearth.limits.min-memory-mib", defaultValue = "128")
    int minMemoryMib;

    @Inject
    @ConfigProperty(name = "hearth.limits.max-memory-mib", defaultValue = "4096")
    int maxMemoryMib;

    @Inject
    @ConfigProperty(name = "hearth.defaults.vcpus", defaultValue = "1")
    int defaultVcpus;

    @Inject
    @ConfigProperty(name = "hearth.defaults.memory-mib", defaultValue = "256")
    int defaultMemoryMib;

    @Inject
    @ConfigProperty(name = "hearth.limits.name-pattern", defaultValue = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
    String namePattern;

    @Inject
    @ConfigProperty(name = "hearth.disk.min-free-mib", defaultValue = "1024")
    long minFreeMib;

    @Inject
    @ConfigProperty(name = "hearth.commands.default-timeout-seconds", defaultValue = "60")
    int commandDefaultTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.commands.max-timeout-seconds", defaultValue = "3600")
    int commandMaxTimeoutSeconds;

    @Inject
    @ConfigProperty(name = "hearth.commands.output-cap-bytes", defaultValue = "1048576")
    int commandOutputCapBytes;

    @Inject
    @ConfigProperty(name = "hearth.api.max-json-body-bytes", defaultValue = "4194304")
    long maxJsonBodyBytes;

    @Inject
    @ConfigProperty(name = "hearth.auth.token-sha256")
    Optional<String> tokenSha256;

    /** The SHA-256 hashes of the accepted API tokens; none configured means every API call is rejected. */
    public List<byte[]> tokenHashes() {
        return tokenSha256.map(BearerTokenMechanism::parseHashes).orElse(List.of());
    }

    /**
     * Returns the largest JSON request body accepted, in bytes. The default of 4 MiB fits a command
     * with 1 MiB of plain text on stdin. Escaped characters take up to 6 bytes each in JSON.
     */
    public long maxJsonBodyBytes() {
        return maxJsonBodyBytes;
    }

    public Duration commandDefaultTimeout() {
        return Duration.ofSeconds(commandDefaultTimeoutSeconds);
    }

    public Duration commandMaxTimeout() {
        return Duration.ofSeconds(commandMaxTimeoutSeconds);
    }

    public int commandOutputCapBytes() {
        return commandOutputCapBytes;
    }

    /** The state directory as an absolute, normalised path, so that paths built from it compare equal. */
    public Path stateDir() {
        return Path.of(stateDir).toAbsolutePath().normalize();
    }

    /** Where each VM's directory lives: {@code <state-dir>/vms/<id>}. */
    public Path vmsDir() {
        return stateDir().resolve("vms");
    }

    /** Hearth's own SSH key pair, created on first start. */
    public Path sshKeyFile() {
        return stateDir().resolve("ssh").resolve("id_ecdsa");
    }

    public Path imagesDir() {
        return Path.of(imagesDir);
    }

    public String defaultImage() {
        return defaultImage;
    }

    public Path firecrackerBinary() {
        return Path.of(firecrackerBinary);
    }

    public Duration socketTimeout() {
        return Duration.ofSeconds(socketTimeoutSeconds);
    }

    public Duration apiTimeout() {
        return Duration.ofSeconds(apiTimeoutSeconds);
    }

    public Duration bootTimeout() {
        return Duration.ofSeconds(bootTimeoutSeconds);
    }

    public Duration stopTimeout() {
        return Duration.ofSeconds(stopTimeoutSeconds);
    }

    /** The subnet VMs get their slots from, with the TAP name prefix. */
    public Subnet subnet() {
        return Subnet.parse(subnet, tapPrefix);
    }

    public String sshUser() {
        return sshUser;
    }

    public int maxVms() {
        return maxVms;
    }

    /**
     * Memory all VMs with a Firecracker process may have together, in MiB: the configured
     * budget, or three quarters of the host's physical memory.
     */
    public long memoryBudgetMib() {
        return memoryBudgetMib.orElseGet(() -> {
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            return os.getTotalMemorySize() / (1024 * 1024) * 3 / 4;
        });
    }

    public int maxVcpus() {
        return maxVcpus;
    }

    public int minMemoryMib() {
        return minMemoryMib;
    }

    public int maxMemoryMib() {
        return maxMemoryMib;
    }

    public int defaultVcpus() {
        return defaultVcpus;
    }

    public int defaultMemoryMib() {
        return defaultMemoryMib;
    }

    public String namePattern() {
        return namePattern;
    }

    public long minFreeBytes() {
        return minFreeMib * 1024 * 1024;
    }
}
