package dev.hearth.vms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.HearthApi;
import dev.hearth.lab.HearthApi.Reply;
import dev.hearth.lab.HostState;
import dev.hearth.lab.StandaloneHearth;
import dev.hearth.lab.TestNetwork;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A create on Hearth whose free-disk floor is larger than any disk here, on a Payara Micro
 * process of its own: it gets 507 and takes nothing.
 */
class DiskFloorIT {

    private static final String TAP_PREFIX = "hdisk";

    private static StandaloneHearth hearth;

    @BeforeAll
    static void startServer() throws Exception {
        TestNetwork.requireIsolated();
        // 1 EiB must stay free, which no filesystem here has.
        hearth = new StandaloneHearth("disk", "172.20.0.0/16", TAP_PREFIX,
                Map.of("HEARTH_DISK_MIN_FREE_MIB", String.valueOf(1L << 40)));
        hearth.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (hearth != null) {
            hearth.close();
        }
    }

    @Test
    void createBelowTheFloorGets507AndTakesNothing() throws Exception {
        HearthApi api = hearth.api();

        Reply reply = api.post("/vms", "{\"name\":\"too-big\"}");

        assertThat(reply.status()).as(reply.body()).isEqualTo(507);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.json().get("detail").asText()).contains("hearth.disk.min-free-mib").contains("debian-bookworm");
        assertThat(api.get("/vms").json().size()).as("live VMs").isZero();
        assertThat(api.get("/vms?state=DELETED").json().size()).as("rows of any state").isZero();
        try (var left = Files.list(hearth.stateDir().resolve("vms"))) {
            assertThat(left.toList()).as("VM directories").isEmpty();
        }
        assertThat(HostState.tapsStartingWith(TAP_PREFIX)).as("TAP devices").isEmpty();
    }
}
