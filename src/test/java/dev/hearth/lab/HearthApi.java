package dev.hearth.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A client for Hearth's REST API under test, on loopback. */
public final class HearthApi {

    /** A response with its status, body and {@code Location} header. */
    public record Reply(int status, String body, String location, String contentType) {

        private static final ObjectMapper MAPPER = new ObjectMapper();

        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param base the application's root, as Arquillian reports it; requests carry the test token */
    public HearthApi(URL base) {
        this(base, testToken());
    }

    /** @param token the bearer token to send, or null to send none */
    public HearthApi(URL base, String token) {
        this.base = URI.create(base.toString().replaceAll("/$", "") + "/api/v1");
        this.token = token;
    }

    /** The token the build configures Hearth under test to accept (system property {@code hearth.it.token}). */
    public static String testToken() {
        return System.getProperty("hearth.it.token", "hearth-integration-test-token");
    }

    public Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Reply post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)));
    }

    public Reply delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    /** Sends a request with any method, body and content type. */
    public Reply send(String method, String path, String contentType, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return send(builder);
    }

    /** Creates a VM from {@code json} and returns its id. */
    public String create(String json) {
        Reply reply = post("/vms", json);
        if (reply.status() != 202) {
            throw new AssertionError("POST /vms " + json + " answered " + reply.status() + ": " + reply.body());
        }
        return reply.json().get("id").asText();
    }

    /**
     * Waits for {@code state} through {@code GET /vms/{id}/wait}, in calls of at most 20 s
     * repeated while they answer 408: a wait of 30 s or more was cut off with the connection
     * closed on Payara Micro here, as any server or proxy with a request time-out may do.
     * Returns the last reply.
     */
    public Reply await(String id, String state, int timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            long remaining = Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L);
            Reply reply = get("/vms/" + id + "/wait?state=" + state + "&timeoutSeconds=" + Math.min(20, remaining));
            if (reply.status() != 408 || System.nanoTime() >= deadline) {
                return reply;
            }
        }
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    private Reply send(HttpRequest.Builder request) {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(600)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body(),
                    response.headers().firstValue("Location").orElse(null),
                    response.headers().firstValue("Content-Type").orElse(null));
        } catch (IOException e) {
            throw new AssertionError("request to Hearth failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
