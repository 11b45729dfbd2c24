package dev.hearth.network;

import dev.hearth.platform.HostCommand;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/** Creates and removes TAP devices with iproute2's {@code ip}, each argument passed on its own, never through a shell. */
public final class TapDevices {

    private static final Logger LOG = Logger.getLogger(TapDevices.class.getName());
    private static final Pattern TAP_NAME = Pattern.compile("[A-Za-z0-9_-]{1,15}");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private TapDevices() {
    }

    /** Creates the TAP device of {@code slot}, gives it the host address and brings it up; a leftover device of that name is replaced. */
    public static void create(Subnet.Slot slot) throws IOException {
        requireValidName(slot.tapName());
        if (exists(slot.tapName())) {
            LOG.log(Level.WARNING, "Replacing leftover TAP device {0}", slot.tapName());
            delete(slot.tapName());
        }
        ip("tuntap", "add", "dev", slot.tapName(), "mode", "tap");
        ip("addr", "add", slot.hostAddress() + "/30", "dev", slot.tapName());
        ip("link", "set", slot.tapName(), "up");
    }

    /** Removes a TAP device; one that is already gone is fine. */
    public static void delete(String name) throws IOException {
        requireValidName(name);
        if (exists(name)) {
            ip("link", "delete", name);
        }
    }

    /** Returns the names of the host's TUN and TAP devices. */
    public static List<String> list() throws IOException {
        try (var links = java.nio.file.Files.list(java.nio.file.Path.of("/sys/class/net"))) {
            return links.filter(link -> java.nio.file.Files.exists(link.resolve("tun_flags")))
                    .map(link -> link.getFileName().toString())
                    .sorted()
                    .toList();
        }
    }

    public static boolean exists(String name) throws IOException {
        requireValidName(name);
        return java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", name));
    }

    private static void requireValidName(String name) {
        if (!TAP_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid TAP device name '" + name + "'");
        }
    }

    private static void ip(String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(arguments));
        HostCommand.runChecked(command, TIMEOUT);
    }
}
