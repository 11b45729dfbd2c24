package dev.hearth.firecracker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The command that starts one Firecracker process: {@code setsid} puts it in a session of its
 * own, so that it survives a restart of the application server, and Firecracker gets its API
 * socket and instance id.
 */
public record FirecrackerCommandLine(Path binary, Path apiSocket, String instanceId) {

    /** Firecracker's rule for {@code --id}: 1 to 64 letters, digits or '-'. */
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** A Unix socket path must fit {@code sun_path}: 108 bytes with the terminating NUL. */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    public FirecrackerCommandLine {
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("invalid Firecracker instance id '" + instanceId
                    + "': use 1 to 64 letters, digits or '-'");
        }
        if (apiSocket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("API socket path " + apiSocket + " is longer than "
                    + MAX_SOCKET_PATH_BYTES + " bytes; choose a shorter state directory");
        }
    }

    public List<String> arguments() {
        List<String> arguments = new ArrayList<>();
        arguments.add("setsid");
        arguments.add(binary.toString());
        arguments.add("--api-sock");
        arguments.add(apiSocket.toString());
        arguments.add("--id");
        arguments.add(instanceId);
        return arguments;
    }
}
