package dev.hearth.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;

/** A plain HTTP client for a Firecracker API socket, for tests that send any request they like. */
public final class FirecrackerApiClient implements AutoCloseable {

    /** A response: its status and body, parsed as JSON on request. */
    public record Reply(int status, String body) {

        private static final ObjectMapper MAPPER = new ObjectMapper();

        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }

        public String faultMessage() {
            return json().path("fault_message").asText();
        }
    }

    private final HttpClient client;
    private final Transport transport;

    public FirecrackerApiClient(Path socket) {
        this.transport = new Transport.TCPUnix(socket);
        client = new HttpClient();
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client for " + socket, e);
        }
    }

    public Reply get(String path) {
        return send("GET", path, null);
    }

    public Reply put(String path, String json) {
        return send("PUT", path, json);
    }

    public Reply patch(String path, String json) {
        return send("PATCH", path, json);
    }

    /** Sends one request; a {@code null} body sends none. Fails the test after 30 s without a response. */
    public Reply send(String method, String path, String body) {
        Request request = client.newRequest("http://localhost" + path).method(method).transport(transport)
                .timeout(30, TimeUnit.SECONDS);
        if (body != null) {
            request.body(new StringRequestContent("application/json", body));
        }
        try {
            ContentResponse response = request.send();
            return new Reply(response.getStatus(), response.getContentAsString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + method + " " + path, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    @Override
    public void close() throws Exception {
        client.stop();
    }
}
