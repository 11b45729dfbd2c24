package dev.hearth.firecracker.emulator;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Firecracker's command line, as far as the emulator supports it.
 *
 * @param apiSocket   {@code --api-sock}, where the API listens (Firecracker's default is
 *                    {@code /run/firecracker.socket})
 * @param id          {@code --id}, the instance id shown by {@code GET /}
 * @param logPath     {@code --log-path}, an existing file or named pipe for log lines
 * @param level       {@code --level}, the log level
 * @param configFile  {@code --config-file}, a JSON configuration to boot from at once
 * @param noApi       {@code --no-api}, serve no API (needs {@code --config-file})
 * @param showVersion {@code --version}
 * @param showHelp    {@code --help}
 */
record EmulatorOptions(Path apiSocket, String id, Optional<Path> logPath, LogLevel level,
                       Optional<Path> configFile, boolean noApi, boolean showVersion, boolean showHelp) {

    static final String DEFAULT_ID = "anonymous-instance";
    static final Path DEFAULT_API_SOCKET = Path.of("/run/firecracker.socket");

    /** Firecracker's exit code for an invalid command line. */
    static final int EXIT_ARGUMENT_PARSING = 153;

    static final String USAGE = """
            Usage: firecracker [--api-sock PATH] [--id ID] [--log-path PATH] [--level LEVEL]
                               [--config-file PATH] [--no-api] [--version] [--help]
              --api-sock     Path of the API socket (default /run/firecracker.socket).
              --id           MicroVM instance id, 1 to 64 letters, digits or '-' (default anonymous-instance).
              --log-path     Existing file or named pipe that receives the log.
              --level        Log level: Error, Warning, Info, Debug, Trace or Off (default Info).
              --config-file  JSON file with the whole microVM configuration; the microVM boots at once.
              --no-api       Serve no API; needs --config-file.
              --version      Print the version and exit.
            This is Hearth's Firecracker emulator: it serves Firecracker's API and boots the guest in QEMU.
            """;

    /** Parses the arguments, or throws {@link IllegalArgumentException} with Firecracker's wording. */
    static EmulatorOptions parse(List<String> arguments) {
        Path apiSocket = DEFAULT_API_SOCKET;
        String id = DEFAULT_ID;
        Path logPath = null;
        LogLevel level = LogLevel.INFO;
        Path configFile = null;
        boolean noApi = false;
        boolean version = false;
        boolean help = false;

        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            switch (argument) {
                case "--api-sock" -> apiSocket = Path.of(value(arguments, ++i, argument));
                case "--id" -> id = validId(value(arguments, ++i, argument));
                case "--log-path" -> logPath = Path.of(value(arguments, ++i, argument));
                case "--level" -> level = LogLevel.parse(value(arguments, ++i, argument));
                case "--config-file" -> configFile = Path.of(value(arguments, ++i, argument));
                case "--no-api" -> noApi = true;
                case "--version" -> version = true;
                case "--help", "-h" -> help = true;
                default -> throw new IllegalArgumentException("Arguments parsing error: Found argument '"
                        + argument + "' which wasn't expected, or isn't valid in this context.");
            }
        }
        if (noApi && configFile == null && !version && !help) {
            throw new IllegalArgumentException(
                    "Arguments parsing error: Argument '--no-api' requires '--config-file' to be present.");
        }
        return new EmulatorOptions(apiSocket, id, Optional.ofNullable(logPath), level,
                Optional.ofNullable(configFile), noApi, version, help);
    }

    private static String value(List<String> arguments, int index, String name) {
        if (index >= arguments.size() || arguments.get(index).startsWith("--")) {
            throw new IllegalArgumentException("Arguments parsing error: Argument '" + name + "' requires a value.");
        }
        return arguments.get(index);
    }

    private static String validId(String id) {
        if (!id.matches("[A-Za-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("Arguments parsing error: Invalid instance ID: '" + id
                    + "'. The ID must have 1 to 64 characters, each a letter, a digit or '-'.");
        }
        return id;
    }
}
