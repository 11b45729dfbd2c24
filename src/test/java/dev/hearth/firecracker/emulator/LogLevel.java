package dev.hearth.firecracker.emulator;

import java.util.Locale;

/** Firecracker's log levels; the names are case-insensitive on the command line and in the API. */
enum LogLevel {
    OFF, ERROR, WARNING, INFO, DEBUG, TRACE;

    static LogLevel parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid log level: '" + name
                    + "'. Expected one of Error, Warning, Info, Debug, Trace or Off.", e);
        }
    }

    boolean includes(LogLevel message) {
        return this != OFF && message.ordinal() <= ordinal();
    }
}
