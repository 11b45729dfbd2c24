package dev.hearth.guest;

import dev.hearth.platform.HearthException;
import java.nio.file.Path;

/** Paths inside a guest as the API accepts them: absolute, without NUL bytes, normalised. */
final class GuestPaths {

    static final int MAX_LENGTH = 4096;

    private GuestPaths() {
    }

    /** Returns the normalised path, or rejects it with a 400 that names {@code field}. */
    static String normalize(String field, String path) {
        if (path == null || path.isEmpty()) {
            throw HearthException.badRequest(field + ": is required");
        }
        if (path.length() > MAX_LENGTH) {
            throw HearthException.badRequest(field + ": must be at most " + MAX_LENGTH + " characters");
        }
        if (path.indexOf('\0') >= 0) {
            throw HearthException.badRequest(field + ": must not contain a NUL byte");
        }
        if (!path.startsWith("/")) {
            throw HearthException.badRequest(field + ": must be an absolute path (was " + path + ")");
        }
        return Path.of(path).normalize().toString();
    }
}
