package dev.hearth.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The network namespace that {@code src/test/scripts/in-test-netns} creates for booted-guest
 * tests, and the TAP devices inside it. Guests may only be reached there, so every test that
 * boots one calls {@link #requireIsolated()} first.
 */
public final class TestNetwork {

    public static final String NAMESPACE_VARIABLE = "HEARTH_TEST_NETNS";

    private TestNetwork() {
    }

    /**
     * Fails unless this JVM runs in the namespace named by {@value #NAMESPACE_VARIABLE}, so that
     * no guest address is ever reached from the host's own network.
     */
    public static void requireIsolated() throws IOException {
        String expected = System.getenv(NAMESPACE_VARIABLE);
        if (expected == null || expected.isBlank()) {
            throw new AssertionError("booted-guest tests must run inside the test network namespace: "
                    + "run src/test/scripts/run-tests.sh, or src/test/scripts/in-test-netns mvn -o verify");
        }
        String actual = run(List.of("ip", "netns", "identify", String.valueOf(ProcessHandle.current().pid()))).trim();
        if (!actual.equals(expected)) {
            throw new AssertionError("this JVM runs in network namespace '" + actual + "', not in '" + expected + "'");
        }
        String routes = run(List.of("ip", "-4", "route", "show", "default"));
        if (!routes.isBlank()) {
            throw new AssertionError("the test network namespace has a default route: " + routes);
        }
    }

    /** Creates a TAP device with the host side's address and brings it up. */
    public static void createTap(String name, String hostAddress, int prefixLength) throws IOException {
        run(List.of("ip", "tuntap", "add", "dev", name, "mode", "tap"));
        run(List.of("ip", "addr", "add", hostAddress + "/" + prefixLength, "dev", name));
        run(List.of("ip", "link", "set", name, "up"));
    }

    /** Removes a TAP device; one that is already gone is fine. */
    public static void deleteTap(String name) throws IOException {
        if (tapExists(name)) {
            run(List.of("ip", "tuntap", "del", "dev", name, "mode", "tap"));
        }
    }

    public static boolean tapExists(String name) throws IOException {
        return run(List.of("ip", "-o", "link", "show")).contains(" " + name + ":");
    }

    static String run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out after 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with status " + process.exitValue() + ": " + output);
        }
        return output;
    }
}
