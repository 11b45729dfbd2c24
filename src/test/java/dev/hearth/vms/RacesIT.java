package dev.hearth.vms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.lab.HearthApi;
import dev.hearth.lab.HearthApi.Reply;
import dev.hearth.lab.HostState;
import dev.hearth.lab.StandaloneHearth;
import dev.hearth.lab.TestNetwork;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests that race for one VM or for the last place, on Hearth with small limits (3 VMs,
 * 1024 MiB of guest memory) on a Payara Micro process of its own, with real guests in the test
 * network. In every race exactly one request wins, the other gets a clear error, and nothing
 * leaks.
 */
class RacesIT {

    private static final int BOOT_TIMEOUT_SECONDS = 300;
    private static final String TAP_PREFIX = "hrace";
    private static final int ROUNDS = 10;

    private static StandaloneHearth hearth;
    private static ExecutorService callers;

    @BeforeAll
    static void startServer() throws Exception {
        TestNetwork.requireIsolated();
        hearth = new StandaloneHearth("race", "172.19.0.0/16", TAP_PREFIX,
                Map.of("HEARTH_LIMITS_MAX_VMS", "3", "HEARTH_LIMITS_MEMORY_BUDGET_MIB", "1024"));
        hearth.start();
        callers = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (callers != null) {
            callers.shutdownNow();
        }
        if (hearth != null) {
            hearth.close();
        }
    }

    /** Deletes every VM a test left and checks that nothing of them is left on the host. */
    @AfterEach
    void deleteEverything() throws Exception {
        HearthApi api = hearth.api();
        for (JsonNode vm : api.get("/vms").json()) {
            assertThat(api.delete("/vms/" + vm.get("id").asText()).status()).isEqualTo(204);
        }
        assertThat(api.get("/vms").json().size()).as("live VMs").isZero();
        assertThat(HostState.tapsStartingWith(TAP_PREFIX)).as("TAP devices left").isEmpty();
        try (var left = Files.list(hearth.stateDir().resolve("vms"))) {
            assertThat(left.toList()).as("VM directories left").isEmpty();
        }
        assertThat(HostState.processesMentioning(hearth.stateDir().resolve("vms").toString())).as("processes left").isEmpty();
    }

    @Test
    void twoDeletesDuringCreateOneWins() throws Exception {
        HearthApi api = hearth.api();
        for (int round = 0; round < ROUNDS; round++) {
            String id = api.create("{\"name\":\"doubly-deleted-" + round + "\"}");
            // Later rounds reach later provisioning steps, up to the wait for SSH.
            Thread.sleep(round * 400L);

            List<Reply> replies = race(() -> api.delete("/vms/" + id), () -> api.delete("/vms/" + id));

            assertThat(replies).extracting(Reply::status).as("round %d: %s", round, replies).containsExactlyInAnyOrder(204, 404);
            Reply loser = replies.stream().filter(reply -> reply.status() == 404).findFirst().orElseThrow();
            assertThat(loser.json().get("detail").asText()).contains(id);
            assertThat(api.get("/vms/" + id).status()).isEqualTo(404);
            assertThat(hearth.stateDir().resolve("vms").resolve(id)).as("round %d: directory", round).doesNotExist();
            assertThat(HostState.processesMentioning(id)).as("round %d: processes", round).isEmpty();
        }
        assertThat(HostState.tapsStartingWith(TAP_PREFIX)).as("TAP devices after the rounds").isEmpty();
    }

    @Test
    void pauseDuringDeleteLosesCleanly() throws Exception {
        HearthApi api = hearth.api();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(api.create("{\"name\":\"paused-while-deleted-" + i + "\"}"));
        }
        for (String id : ids) {
            Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
            assertThat(running.status()).as(running.body()).isEqualTo(200);
        }

        for (String id : ids) {
            List<Reply> replies = race(() -> api.post("/vms/" + id + "/pause", null), () -> api.delete("/vms/" + id));

            assertThat(replies.get(1).status()).as("DELETE %s: %s", id, replies.get(1).body()).isEqualTo(204);
            assertThat(replies.get(0).status()).as("pause %s: %s", id, replies.get(0).body()).isIn(200, 404);
            assertThat(api.get("/vms/" + id).status()).isEqualTo(404);
            assertThat(HostState.processesMentioning(id)).as("processes of %s", id).isEmpty();
        }
    }

    /** Shows that admission is serialised by the database: a create waits while the lock row is held. */
    @Test
    void createWaitsForTheAdmissionLock() throws Exception {
        HearthApi api = hearth.api();
        try (Connection holder = DriverManager.getConnection(hearth.databaseUrl(), "root", "");
             Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.executeQuery("SELECT id FROM admission_lock WHERE id = 1 FOR UPDATE").close();

            Future<Reply> create = callers.submit(() -> api.post("/vms", "{\"name\":\"waits-for-lock\",\"memoryMib\":128}"));
            Thread.sleep(3_000);
            assertThat(create.isDone()).as("create done while another transaction holds the admission lock").isFalse();

            holder.commit();
            Reply reply = create.get(30, TimeUnit.SECONDS);
            assertThat(reply.status()).as(reply.body()).isEqualTo(202);
        }
    }

    @Test
    void twoCreatesForTheLastPlaceOneWins() throws Exception {
        HearthApi api = hearth.api();
        api.create("{\"name\":\"filler-1\",\"memoryMib\":128}");
        api.create("{\"name\":\"filler-2\",\"memoryMib\":128}");

        for (int round = 0; round < ROUNDS; round++) {
            String body = "{\"name\":\"last-place-" + round + "\",\"memoryMib\":128}";
            List<Reply> replies = race(() -> api.post("/vms", body), () -> api.post("/vms", body));

            assertThat(replies).extracting(Reply::status).as("round %d: %s", round, replies).containsExactlyInAnyOrder(202, 409);
            Reply loser = replies.stream().filter(reply -> reply.status() == 409).findFirst().orElseThrow();
            assertThat(loser.json().get("detail").asText()).contains("hearth.limits.max-vms");
            String winner = replies.stream().filter(reply -> reply.status() == 202).findFirst().orElseThrow().json().get("id").asText();
            assertThat(api.delete("/vms/" + winner).status()).isEqualTo(204);
        }
        assertThat(api.get("/vms").json().size()).as("live VMs after the rounds").isEqualTo(2);
    }

    @Test
    void twoCreatesForTheLastMemoryOneWins() throws Exception {
        HearthApi api = hearth.api();
        api.create("{\"name\":\"filler\",\"memoryMib\":256}");

        for (int round = 0; round < ROUNDS; round++) {
            String body = "{\"name\":\"last-memory-" + round + "\",\"memoryMib\":512}";
            List<Reply> replies = race(() -> api.post("/vms", body), () -> api.post("/vms", body));

            assertThat(replies).extracting(Reply::status).as("round %d: %s", round, replies).containsExactlyInAnyOrder(202, 409);
            Reply loser = replies.stream().filter(reply -> reply.status() == 409).findFirst().orElseThrow();
            assertThat(loser.json().get("detail").asText()).contains("hearth.limits.memory-budget-mib");
            String winner = replies.stream().filter(reply -> reply.status() == 202).findFirst().orElseThrow().json().get("id").asText();
            assertThat(api.delete("/vms/" + winner).status()).isEqualTo(204);
        }
        assertThat(api.get("/vms").json().size()).as("live VMs after the rounds").isEqualTo(1);
    }

    /** Sends both requests at the same moment and returns their replies in order. */
    private static List<Reply> race(Callable<Reply> one, Callable<Reply> other) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        Future<Reply> first = callers.submit(() -> {
            start.await();
            return one.call();
        });
        Future<Reply> second = callers.submit(() -> {
            start.await();
            return other.call();
        });
        return List.of(first.get(), second.get());
    }
}
