package dev.hearth.guest;

import java.util.regex.Pattern;

/** POSIX shell quoting for text that becomes part of a remote command line. */
public final class ShellQuoting {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private ShellQuoting() {
    }

    /**
     * Quotes {@code text} as one shell word: single quotes around it, each single quote inside
     * written as {@code '\''}. Inside single quotes the shell expands nothing.
     */
    public static String quote(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("text for the shell must not contain a NUL byte");
        }
        return "'" + text.replace("'", "'\\''") + "'";
    }

    /** Returns whether {@code name} is a valid environment variable name. */
    public static boolean isEnvName(String name) {
        return name != null && ENV_NAME.matcher(name).matches();
    }
}
