package dev.hearth.lab;

import dev.hearth.platform.HostCommand;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The network namespace that {@code src/test/scripts/in-test-netns} creates for booted-guest
 * tests. Guests may only be reached there, so every test that
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

    static String run(List<String> command) throws IOException {
        return HostCommand.runChecked(command, Duration.ofSeconds(30));
    }
}
