package dev.hearth.firecracker;

import dev.hearth.firecracker.ApiRecords.BootSource;
import dev.hearth.firecracker.ApiRecords.Drive;
import dev.hearth.firecracker.ApiRecords.InstanceActionInfo;
import dev.hearth.firecracker.ApiRecords.InstanceInfo;
import dev.hearth.firecracker.ApiRecords.MachineConfiguration;
import dev.hearth.firecracker.ApiRecords.NetworkInterface;
import dev.hearth.firecracker.ApiRecords.Vm;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.json.bind.config.PropertyNamingStrategy;
import java.io.IOException;
import java.io.StringReader;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.impl.HttpProcessors;
import org.apache.hc.core5.http.protocol.HttpProcessor;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * Firecracker's API over its Unix socket: jnr-unixsocket carries Apache HttpCore's HTTP/1.1
 * client, one short-lived connection per call, each with a time-out. A response other than
 * 2xx becomes a {@link FirecrackerApiException} that carries Firecracker's {@code fault_message}.
 */
public final class FirecrackerClient {

    private static final Jsonb JSONB = JsonbBuilder.create(new JsonbConfig()
            .withPropertyNamingStrategy(PropertyNamingStrategy.LOWER_CASE_WITH_UNDERSCORES)
            .withNullValues(false));

    private static final HttpProcessor PROTOCOL = HttpProcessors.client();

    private final Path socket;
    private final Duration timeout;

    public FirecrackerClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    public InstanceInfo describeInstance() throws FirecrackerApiException {
        return JSONB.fromJson(send("GET", "/", null), InstanceInfo.class);
    }

    public void putMachineConfig(MachineConfiguration configuration) throws FirecrackerApiException {
        send("PUT", "/machine-config", configuration);
    }

    public void putBootSource(BootSource bootSource) throws FirecrackerApiException {
        send("PUT", "/boot-source", bootSource);
    }

    public void putDrive(Drive drive) throws FirecrackerApiException {
        send("PUT", "/drives/" + drive.driveId(), drive);
    }

    public void putNetworkInterface(NetworkInterface networkInterface) throws FirecrackerApiException {
        send("PUT", "/network-interfaces/" + networkInterface.ifaceId(), networkInterface);
    }

    public void instanceStart() throws FirecrackerApiException {
        send("PUT", "/actions", new InstanceActionInfo("InstanceStart"));
    }

    public void sendCtrlAltDel() throws FirecrackerApiException {
        send("PUT", "/actions", new InstanceActionInfo("SendCtrlAltDel"));
    }

    public void pause() throws FirecrackerApiException {
        send("PATCH", "/vm", new Vm("Paused"));
    }

    public void resume() throws FirecrackerApiException {
        send("PATCH", "/vm", new Vm("Resumed"));
    }

    /** Encodes a request body as Firecracker expects it, in snake case without nulls. */
    static String toJson(Object body) {
        return JSONB.toJson(body);
    }

    private String send(String method, String path, Object body) throws FirecrackerApiException {
        String call = method + " " + path + " on " + socket;
        try (UnixSocketChannel channel = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()));
             DefaultBHttpClientConnection connection = new DefaultBHttpClientConnection(Http1Config.DEFAULT)) {
            channel.socket().setSoTimeout((int) timeout.toMillis());
            connection.bind(channel.socket());

            ClassicHttpRequest request = new BasicClassicHttpRequest(method, new HttpHost("localhost"), path);
            request.setHeader(HttpHeaders.ACCEPT, "application/json");
            if (body != null) {
                request.setEntity(new StringEntity(toJson(body), ContentType.APPLICATION_JSON));
            }
            // The standard client protocol processor adds Host, Content-Length and the other required headers.
            HttpRequestExecutor executor = new HttpRequestExecutor();
            HttpCoreContext context = HttpCoreContext.create();
            executor.preProcess(request, PROTOCOL, context);
            try (ClassicHttpResponse response = executor.execute(request, connection, context)) {
                executor.postProcess(response, PROTOCOL, context);
                String text = response.getEntity() == null ? ""
                        : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                int status = response.getCode();
                if (status / 100 != 2) {
                    throw new FirecrackerApiException(call + " failed with status " + status + ": " + faultMessage(text), status);
                }
                return text;
            }
        } catch (FirecrackerApiException e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw new FirecrackerApiException(call + " timed out after " + timeout.toMillis() + " ms", e);
        } catch (IOException | HttpException e) {
            throw new FirecrackerApiException(call + " failed: " + e.getMessage(), e);
        }
    }

    private static String faultMessage(String body) {
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            JsonObject object = reader.readObject();
            return object.getString("fault_message", body);
        } catch (JsonException | ClassCastException e) {
            return body.isBlank() ? "(no body)" : body;
        }
    }
}
