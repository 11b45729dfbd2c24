package dev.hearth.vms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.lab.GuestImage;
import dev.hearth.lab.HearthApi;
import dev.hearth.lab.HearthApi.Reply;
import dev.hearth.lab.HostState;
import dev.hearth.lab.TestNetwork;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Malformed and hostile requests against Hearth with one running guest: each gets a 4xx problem
 * detail, and afterwards the database rows, the host's TAP devices, VM directories and
 * Firecracker processes, and the guest's files are exactly as before.
 */
@ExtendWith(ArquillianExtension.class)
class HostileRequestsIT {

    private static final Path STATE_DIR = Path.of(System.getProperty("hearth.it.state.dir", "/tmp/hearth-it/state"));
    private static final int BOOT_TIMEOUT_SECONDS = 300;
    private static final String MARKER = "/root/hostile-marker";
    private static final String UNKNOWN_ID = "0b7c2d1e-aaaa-bbbb-cccc-0123456789ab";

    @ArquillianResource
    URL base;

    @Deployment(testable = false)
    static WebArchive deployment() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File("target/hearth.war"));
    }

    @BeforeAll
    static void linkImage() throws Exception {
        TestNetwork.requireIsolated();
        GuestImage.linkInto(Path.of(System.getProperty("hearth.it.images.dir", "/tmp/hearth-it/images")));
    }

    /**
     * One request: {@code {id}} in the path stands for the running VM, and {@code detail} must be
     * in the problem detail of the response. A null {@code detail} marks a request that the
     * servlet container rejects before Hearth receives it, with an error page of its own.
     */
    private record Case(String method, String path, String contentType, String body, int status, String detail) {
        static Case json(String method, String path, String body, int status, String detail) {
            return new Case(method, path, "application/json", body, status, detail);
        }

        static Case rejectedByContainer(String method, String path, int status) {
            return new Case(method, path, null, null, status, null);
        }
    }

    @Test
    void hostileRequestsChangeNothing() throws Exception {
        HearthApi api = new HearthApi(base);
        String id = api.create("{\"name\":\"hostile-target\"}");
        Reply running = api.await(id, "RUNNING", BOOT_TIMEOUT_SECONDS);
        assertThat(running.status()).as(running.body()).isEqualTo(200);
        assertThat(command(api, id, "echo untouched > " + MARKER + " && mkdir -p /root/keep && echo data > /root/keep/file")
                .status()).isEqualTo(200);
        Snapshot before = Snapshot.take(api, id);

        String longName = "a".repeat(10_000);
        String deepJson = "{\"metadata\":{\"a\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}}";
        List<Case> cases = List.of(
                // The create request body.
                Case.json("POST", "/vms", "{", 400, "not valid JSON"),
                Case.json("POST", "/vms", "", 400, "the request body is empty"),
                Case.json("POST", "/vms", "[]", 400, "request body"),
                Case.json("POST", "/vms", "\"vm\"", 400, "request body"),
                Case.json("POST", "/vms", deepJson, 400, "the request body is not valid JSON for this request"),
                Case.json("POST", "/vms", "{\"bogus\":1}", 400, "unknown field 'bogus'"),
                Case.json("POST", "/vms", "{\"name\":\"a;rm -rf /\"}", 400, "name: must match"),
                Case.json("POST", "/vms", "{\"name\":\"$(reboot)\"}", 400, "name: must match"),
                Case.json("POST", "/vms", "{\"name\":\"`id`\"}", 400, "name: must match"),
                Case.json("POST", "/vms", "{\"name\":\"../../etc\"}", 400, "name: must match"),
                Case.json("POST", "/vms", "{\"name\":\"a\\u0000b\"}", 400, "name: must match"),
                Case.json("POST", "/vms", "{\"name\":\"" + longName + "\"}", 400, "name: must be 1 to 63 characters"),
                Case.json("POST", "/vms", "{\"name\":\"\"}", 400, "name: must be 1 to 63 characters"),
                Case.json("POST", "/vms", "{\"image\":\"../debian-bookworm\"}", 400, "image: must be an image name"),
                Case.json("POST", "/vms", "{\"image\":\"debian-bookworm;id\"}", 400, "image: must be an image name"),
                Case.json("POST", "/vms", "{\"image\":\"/var/lib/hearth/images/debian-bookworm\"}", 400, "image: must be an image name"),
                Case.json("POST", "/vms", "{\"image\":\"no-such-image\"}", 400, "unknown image 'no-such-image'"),
                Case.json("POST", "/vms", "{\"vcpus\":0}", 400, "vcpus: must be at least 1"),
                Case.json("POST", "/vms", "{\"vcpus\":-1}", 400, "vcpus: must be at least 1"),
                Case.json("POST", "/vms", "{\"vcpus\":2147483648}", 400, "expected a whole number"),
                Case.json("POST", "/vms", "{\"vcpus\":\"two\"}", 400, "expected a whole number, got a string"),
                Case.json("POST", "/vms", "{\"vcpus\":1.5}", 400, "expected a whole number"),
                Case.json("POST", "/vms", "{\"name\":42}", 400, "expected a string, got the number 42"),
                Case.json("POST", "/vms", "{\"memoryMib\":99999999}", 400, "memoryMib: must be at most 1048576"),
                Case.json("POST", "/vms", "{\"memoryMib\":-256}", 400, "memoryMib: must be at least 1"),
                Case.json("POST", "/vms", "{\"metadata\":\"not an object\"}", 400, "request body"),
                Case.json("POST", "/vms", "{\"metadata\":{\"team\":7}}", 400, "expected a string"),
                new Case("POST", "/vms", "text/plain", "{}", 415, "Content-Type: application/json"),
                new Case("POST", "/vms", "application/xml", "<vm/>", 415, "Content-Type: application/json"),
                // VM ids and query parameters.
                Case.rejectedByContainer("GET", "/vms/..%2F..%2Fetc%2Fpasswd", 404),
                Case.rejectedByContainer("DELETE", "/vms/%00", 400),
                new Case("GET", "/vms/..", null, null, 404, "no VM with id .."),
                new Case("DELETE", "/vms/" + "f".repeat(2000), null, null, 404, "no VM with id"),
                new Case("POST", "/vms/" + UNKNOWN_ID + "/pause", null, null, 404, "no VM with id"),
                new Case("POST", "/vms/" + UNKNOWN_ID + "/resume", null, null, 404, "no VM with id"),
                new Case("POST", "/vms/{id}/resume", null, null, 409, "only a PAUSED VM can be resumed"),
                new Case("GET", "/vms?state=%27%20OR%201=1", null, null, 400, "unknown state"),
                new Case("GET", "/vms/{id}/wait?state=RUNNING&timeoutSeconds=-5", null, null, 400, "timeoutSeconds"),
                new Case("GET", "/vms/{id}/wait?state=EXPLODED", null, null, 400, "unknown state"),
                // Commands.
                Case.json("POST", "/vms/{id}/commands", "{}", 400, "command: must not be blank"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"\"}", 400, "command: must not be blank"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"timeoutSeconds\":0}", 400,
                        "timeoutSeconds"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"timeoutSeconds\":99999999}", 400,
                        "timeoutSeconds"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"env\":{\"A;rm -rf /\":\"x\"}}", 400,
                        "invalid variable name"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"env\":{\"PATH=\":\"x\"}}", 400,
                        "invalid variable name"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"workingDirectory\":\"relative\"}",
                        400, "workingDirectory"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"workingDirectory\":\"/tmp\\u0000x\"}",
                        400, "NUL"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\\u0000\"}", 400, "NUL"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"rm -rf /root/keep\",\"stdin\":123}", 400,
                        "expected a string"),
                Case.json("POST", "/vms/{id}/commands", "{\"command\":\"true\",\"env\":{\"A\":\"x\\u0000y\"}}", 400, "NUL"),
                Case.json("POST", "/vms/" + UNKNOWN_ID + "/commands", "{\"command\":\"true\"}", 404, "no VM with id"),
                // Files and directories.
                new Case("PUT", "/vms/{id}/files?path=root/keep/file", "application/octet-stream", "x", 400, "absolute path"),
                new Case("PUT", "/vms/{id}/files", "application/octet-stream", "x", 400, "path: is required"),
                new Case("PUT", "/vms/{id}/files?path=/root/keep/file%00x", "application/octet-stream", "x", 400, "NUL"),
                new Case("PUT", "/vms/{id}/files?path=/" + "d".repeat(5000), "application/octet-stream", "x", 400,
                        "at most 4096 characters"),
                new Case("PUT", "/vms/{id}/files?path=/root/keep", "application/octet-stream", "x", 409, "is a directory"),
                new Case("PUT", "/vms/{id}/files?path=/root/keep/file&mode=abc", "application/octet-stream", "x", 400, "mode"),
                new Case("PUT", "/vms/{id}/files?path=/root/keep/file&mode=99999", "application/octet-stream", "x", 400, "mode"),
                new Case("GET", "/vms/{id}/files?path=/root/keep", null, null, 409, "is a directory"),
                new Case("GET", "/vms/{id}/files?path=/no/such/file", null, null, 404, "/no/such/file"),
                new Case("DELETE", "/vms/{id}/files?path=/&recursive=true", null, null, 400, "root directory"),
                new Case("DELETE", "/vms/{id}/files?path=/root/../..&recursive=true", null, null, 400, "root directory"),
                new Case("DELETE", "/vms/{id}/files?path=/root/keep", null, null, 409, "recursive"),
                Case.json("POST", "/vms/{id}/directories", "{\"path\":\"relative\"}", 400, "absolute path"),
                Case.json("POST", "/vms/{id}/directories", "{}", 400, "path: is required"),
                new Case("GET", "/vms/{id}/directories?path=/root/keep/file", null, null, 409, "not a directory"));

        List<String> mismatches = new ArrayList<>();
        for (Case request : cases) {
            String label = request.method() + " " + abbreviate(request.path()) + " " + abbreviate(request.body());
            Reply reply;
            try {
                reply = api.send(request.method(), request.path().replace("{id}", id), request.contentType(), request.body());
            } catch (AssertionError e) {
                mismatches.add(label + ": " + e.getMessage());
                continue;
            }
            if (reply.status() != request.status()) {
                mismatches.add(label + ": expected " + request.status() + ", got " + reply.status() + " " + abbreviate(reply.body()));
                continue;
            }
            if (request.detail() == null) {
                continue;
            }
            if (reply.contentType() == null || !reply.contentType().startsWith("application/problem+json")) {
                mismatches.add(label + ": expected a problem detail, got " + reply.contentType());
                continue;
            }
            if (!reply.json().get("detail").asText().contains(request.detail())) {
                mismatches.add(label + ": detail lacks '" + request.detail() + "': " + reply.json().get("detail").asText());
            }
        }
        for (String token : new String[] {null, "", "wrong-token"}) {
            Reply reply = new HearthApi(base, token).send("DELETE", "/vms/" + id, null, null);
            if (reply.status() != 401) {
                mismatches.add("DELETE without a valid token (" + token + "): expected 401, got " + reply.status());
            }
        }

        String oversized = oversizedCreate(5 * 1024 * 1024);
        if (!oversized.startsWith("HTTP/1.1 413")) {
            mismatches.add("POST /vms with a 5 MiB body: expected 413 before the body is read, got " + abbreviate(oversized));
        }

        assertThat(cases.size() + 4).as("hostile requests sent").isGreaterThanOrEqualTo(40);
        assertThat(mismatches).as("answers that differ from the expected ones").isEmpty();
        Snapshot after = Snapshot.take(api, id);
        assertThat(after.rows()).as("database rows").isEqualTo(before.rows());
        assertThat(after.taps()).as("TAP devices").isEqualTo(before.taps());
        assertThat(after.directories()).as("VM directories").isEqualTo(before.directories());
        assertThat(after.processes()).as("Firecracker processes").isEqualTo(before.processes());
        assertThat(after.guestChanges()).as("guest files newer than the marker").isEqualTo(before.guestChanges());
        assertThat(after.guestFile()).as("guest file content").isEqualTo("data\n");

        assertThat(api.delete("/vms/" + id).status()).isEqualTo(204);
    }

    /** What the hostile requests must not change. */
    private record Snapshot(List<String> rows, List<String> taps, List<String> directories, List<Long> processes,
                            String guestChanges, String guestFile) {

        static Snapshot take(HearthApi api, String id) throws Exception {
            List<String> rows = new ArrayList<>();
            try (Connection connection = DriverManager.getConnection(System.getenv("HEARTH_DB_URL"), "root", "");
                 Statement statement = connection.createStatement();
                 ResultSet result = statement.executeQuery("SELECT v.id, v.state, v.version, v.slot, v.tap_name,"
                         + " (SELECT COUNT(*) FROM vm_timings t WHERE t.vm_id = v.id) FROM vms v ORDER BY v.id")) {
                while (result.next()) {
                    rows.add(result.getString(1) + " " + result.getString(2) + " v" + result.getLong(3) + " slot "
                            + result.getObject(4) + " " + result.getString(5) + " timings " + result.getLong(6));
                }
            }
            List<String> directories;
            try (Stream<Path> paths = Files.walk(STATE_DIR.resolve("vms"))) {
                directories = paths.map(path -> STATE_DIR.relativize(path).toString()).sorted().toList();
            }
            List<Long> processes = HostState.processesMentioning(STATE_DIR.resolve("vms").toString()).stream()
                    .map(ProcessHandle::pid).sorted().toList();
            Reply changes = command(api, id, "find /root /etc /home /tmp /var/tmp /usr /opt -xdev -newer " + MARKER
                    + " -print 2>/dev/null || true");
            Reply file = command(api, id, "cat /root/keep/file");
            return new Snapshot(rows, HostState.tapsStartingWith("hearth"), directories, processes,
                    changes.json().get("stdout").asText(), file.json().get("stdout").asText());
        }
    }

    private static Reply command(HearthApi api, String id, String command) {
        return api.post("/vms/" + id + "/commands", "{\"command\":\"" + command + "\"}");
    }

    /**
     * Announces a JSON body of {@code length} bytes for {@code POST /vms}, sends only its first
     * 64 KiB, and returns the status line: the server must respond without reading the rest.
     */
    private String oversizedCreate(int length) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            String path = base.getPath().replaceAll("/$", "") + "/api/v1/vms";
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAuthorization: Bearer " + HearthApi.testToken()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(("{\"name\":\"" + "x".repeat(64 * 1024)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String status = in.readLine();
            return status == null ? "(connection closed without an answer)" : status;
        }
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= 120 ? text : text.substring(0, 120) + "... (" + text.length() + " characters)";
    }
}
