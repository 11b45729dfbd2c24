package dev.hearth.firecracker.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Firecracker's API routes with Firecracker's rules: 204 on success, 200 with JSON for reads,
 * 400 with a {@code fault_message} for every error, and at most {@value #MAX_CONNECTIONS} open
 * connections.
 */
final class ApiHandler extends Handler.Abstract implements Connection.Listener {

    static final int MAX_CONNECTIONS = 10;

    /** Firecracker's default limit for a request body ({@code --http-api-max-payload-size}). */
    static final int MAX_PAYLOAD_BYTES = 51_200;

    /** Routes of Firecracker's API that the emulator does not serve, with their methods. */
    private static final Map<String, Set<String>> NOT_EMULATED = Map.ofEntries(
            Map.entry("/balloon", Set.of("GET", "PUT", "PATCH")),
            Map.entry("/balloon/statistics", Set.of("GET", "PATCH")),
            Map.entry("/balloon/hinting/start", Set.of("PATCH")),
            Map.entry("/balloon/hinting/status", Set.of("GET")),
            Map.entry("/balloon/hinting/stop", Set.of("PATCH")),
            Map.entry("/cpu-config", Set.of("PUT")),
            Map.entry("/entropy", Set.of("PUT")),
            Map.entry("/hotplug/memory", Set.of("GET", "PUT", "PATCH")),
            Map.entry("/mmds/config", Set.of("PUT")),
            Map.entry("/pmem/{id}", Set.of("PUT", "PATCH")),
            Map.entry("/serial", Set.of("PUT")),
            Map.entry("/snapshot/create", Set.of("PUT")),
            Map.entry("/snapshot/load", Set.of("PUT")),
            Map.entry("/vsock", Set.of("PUT")));

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Vmm vmm;
    private final EmulatorLog log;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Set<Connection> rejectedConnections = ConcurrentHashMap.newKeySet();

    ApiHandler(Vmm vmm, EmulatorLog log) {
        this.vmm = vmm;
        this.log = log;
    }

    @Override
    public void onOpened(Connection connection) {
        if (openConnections.incrementAndGet() > MAX_CONNECTIONS) {
            rejectedConnections.add(connection);
        }
    }

    @Override
    public void onClosed(Connection connection) {
        openConnections.decrementAndGet();
        rejectedConnections.remove(connection);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (rejectedConnections.contains(request.getConnectionMetaData().getConnection())) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            send(response, callback, 503, fault("Too many open connections"));
            return true;
        }
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        try {
            byte[] body = readBody(request);
            vmm.countRequest(method);
            log.debug("The API server received a " + method + " request on \"" + path + "\".");
            JsonNode result = route(method, path, body);
            if (result == null) {
                send(response, callback, 204, null);
            } else {
                send(response, callback, 200, result);
            }
        } catch (ApiFault e) {
            log.error("Received Error. Status code: " + e.status() + ". Message: " + e.getMessage());
            send(response, callback, e.status(), fault(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            log.error("Failed to serve " + method + " " + path + ": " + e);
            send(response, callback, 400, fault("Failed to serve the request: " + e.getMessage()));
        }
        return true;
    }

    private static byte[] readBody(Request request) throws IOException, ApiFault {
        long declared = request.getLength();
        if (declared > MAX_PAYLOAD_BYTES) {
            throw ApiFault.badRequest("Request payload with size " + declared
                    + " is larger than the limit of " + MAX_PAYLOAD_BYTES + " allowed by server.");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes(MAX_PAYLOAD_BYTES + 1);
            if (body.length > MAX_PAYLOAD_BYTES) {
                throw ApiFault.badRequest("Request payload with size larger than " + MAX_PAYLOAD_BYTES
                        + " is larger than the limit of " + MAX_PAYLOAD_BYTES + " allowed by server.");
            }
            return body;
        }
    }

    private JsonNode route(String method, String path, byte[] body) throws ApiFault {
        if (method.equals("GET") && body.length > 0) {
            throw ApiFault.badRequest("GET request cannot have a body.");
        }
        String[] segments = path.substring(1).split("/", -1);
        String resource = segments[0];
        boolean hasId = segments.length == 2 && (resource.equals("drives") || resource.equals("network-interfaces"));
        String id = hasId ? segments[1] : null;
        if (hasId) {
            Vmm.requireValidId(id);
        }
        String route = method + " " + (id == null ? path : "/" + resource + "/{id}");
        switch (route) {
            case "GET /":
                return vmm.describeInstance();
            case "GET /version":
                return MAPPER.createObjectNode().put("firecracker_version", Vmm.VERSION);
            case "GET /machine-config":
                return vmm.machineConfig();
            case "GET /vm/config":
                return vmm.vmConfig();
            case "GET /mmds":
                return vmm.mmds();
            case "PUT /machine-config":
                vmm.putMachineConfig(ApiTypes.MACHINE_CONFIGURATION.read(nonEmpty(method, body)));
                return null;
            case "PATCH /machine-config":
                vmm.patchMachineConfig(ApiTypes.MACHINE_CONFIGURATION_UPDATE.read(nonEmpty(method, body)));
                return null;
            case "PUT /boot-source":
                vmm.putBootSource(ApiTypes.BOOT_SOURCE.read(nonEmpty(method, body)));
                return null;
            case "PUT /drives/{id}":
                vmm.putDrive(id, ApiTypes.DRIVE.read(nonEmpty(method, body)));
                return null;
            case "PATCH /drives/{id}":
                vmm.patchDrive(id, ApiTypes.PARTIAL_DRIVE.read(nonEmpty(method, body)));
                return null;
            case "PUT /network-interfaces/{id}":
                vmm.putNetworkInterface(id, ApiTypes.NETWORK_INTERFACE.read(nonEmpty(method, body)));
                return null;
            case "PATCH /network-interfaces/{id}":
                vmm.patchNetworkInterface(id, ApiTypes.PARTIAL_NETWORK_INTERFACE.read(nonEmpty(method, body)));
                return null;
            case "PUT /logger":
                vmm.putLogger(ApiTypes.LOGGER.read(nonEmpty(method, body)));
                return null;
            case "PUT /metrics":
                vmm.putMetrics(ApiTypes.METRICS.read(nonEmpty(method, body)));
                return null;
            case "PUT /actions":
                vmm.action(ApiTypes.INSTANCE_ACTION_INFO.read(nonEmpty(method, body)).get("action_type").asText());
                return null;
            case "PATCH /vm":
                vmm.patchVm(ApiTypes.VM.read(nonEmpty(method, body)).get("state").asText());
                return null;
            case "PUT /mmds":
                vmm.putMmds(readJson(nonEmpty(method, body)));
                return null;
            case "PATCH /mmds":
                vmm.patchMmds(readJson(nonEmpty(method, body)));
                return null;
            default:
                Set<String> methods = NOT_EMULATED.get(path.startsWith("/pmem/") ? "/pmem/{id}" : path);
                if (methods != null && methods.contains(method)) {
                    throw ApiFault.notEmulated(method + " " + path);
                }
                throw ApiFault.badRequest("Invalid request method and/or path: " + method + " " + path.substring(1) + ".");
        }
    }

    private static byte[] nonEmpty(String method, byte[] body) throws ApiFault {
        if (body.length == 0) {
            throw ApiFault.badRequest("Empty " + method + " request.");
        }
        return body;
    }

    private static JsonNode readJson(byte[] body) throws ApiFault {
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            throw ApiFault.badRequest(e.getMessage());
        }
    }

    private static ObjectNode fault(String message) {
        return MAPPER.createObjectNode().put("fault_message", message);
    }

    private static void send(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        if (body == null) {
            callback.succeeded();
            return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        try {
            Content.Sink.write(response, true, MAPPER.writeValueAsString(body), callback);
        } catch (IOException e) {
            callback.failed(e);
        }
    }
}
