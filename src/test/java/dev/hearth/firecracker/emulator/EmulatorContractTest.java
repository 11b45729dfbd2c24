package dev.hearth.firecracker.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.hearth.lab.EmulatorProcess;
import dev.hearth.lab.FirecrackerApiClient;
import dev.hearth.lab.FirecrackerApiClient.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests built from Firecracker's API definitions, sent to one emulator process before the
 * guest starts: the status codes and fault messages must be Firecracker's. The table runs first
 * and leaves the configuration that the later ordered tests read back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmulatorContractTest {

    @TempDir
    static Path directory;

    static EmulatorProcess emulator;
    static FirecrackerApiClient api;

    @BeforeAll
    static void startEmulator() throws Exception {
        Files.writeString(directory.resolve("kernel"), "not a real kernel");
        Files.writeString(directory.resolve("rootfs.ext4"), "not a real disk");
        Files.writeString(directory.resolve("data.ext4"), "not a real disk");
        Files.createFile(directory.resolve("firecracker.log"));
        Files.createFile(directory.resolve("metrics.json"));
        Path socket = directory.resolve("api.sock");
        emulator = EmulatorProcess.startWithApi(directory, socket, "contract-vm");
        api = new FirecrackerApiClient(socket);
    }

    @AfterAll
    static void stopEmulator() throws Exception {
        if (api != null) {
            api.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    static Stream<Arguments> requests() {
        String kernel = directory.resolve("kernel").toString();
        String rootfs = directory.resolve("rootfs.ext4").toString();
        String data = directory.resolve("data.ext4").toString();
        String log = directory.resolve("firecracker.log").toString();
        String missing = directory.resolve("missing").toString();
        String largeBody = "{\"kernel_image_path\":\"" + "x".repeat(60_000) + "\"}";
        return Stream.of(
                // Valid requests.
                arguments("GET", "/", null, 200, null),
                arguments("GET", "/version", null, 200, null),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":256}", 204, null),
                arguments("PATCH", "/machine-config", "{\"mem_size_mib\":512}", 204, null),
                arguments("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\",\"boot_args\":\"console=ttyS0\"}", 204, null),
                arguments("PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + rootfs
                        + "\",\"is_root_device\":true,\"is_read_only\":false}", 204, null),
                arguments("PUT", "/drives/data_1", "{\"drive_id\":\"data_1\",\"path_on_host\":\"" + data
                        + "\",\"is_root_device\":false,\"is_read_only\":true,\"cache_type\":\"Writeback\"}", 204, null),
                arguments("PUT", "/logger", "{\"log_path\":\"" + log + "\",\"level\":\"debug\",\"show_level\":true}", 204, null),
                arguments("PUT", "/mmds", "{\"latest\":{\"meta-data\":{\"id\":\"a\"}}}", 204, null),
                arguments("PATCH", "/mmds", "{\"latest\":{\"user-data\":\"b\"}}", 204, null),

                // Bodies that do not match the definitions.
                arguments("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":256,\"foo\":1}", 400,
                        "unknown field `foo`, expected one of `vcpu_count`, `mem_size_mib`"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":2}", 400, "missing field `mem_size_mib`"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":\"2\",\"mem_size_mib\":256}", 400,
                        "invalid type: string \"2\", expected u8"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":-1,\"mem_size_mib\":256}", 400,
                        "invalid value: integer `-1`, expected u8"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":0,\"mem_size_mib\":256}", 400, "The vCPU number is invalid"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":33,\"mem_size_mib\":256}", 400, "The vCPU number is invalid"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":3,\"mem_size_mib\":256,\"smt\":true}", 400,
                        "The vCPU number is invalid"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":0}", 400, "The memory size (MiB) is invalid."),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":128,\"huge_pages\":\"1G\"}", 400,
                        "unknown variant `1G`, expected one of `None`, `Transparent`, `2M`"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":\"yes\"}", 400,
                        "invalid type: string \"yes\", expected a boolean"),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":1,\"vcpu_count\":1,\"mem_size_mib\":128}", 400,
                        "duplicate field `vcpu_count`"),
                arguments("PUT", "/machine-config", "{", 400, "EOF while parsing"),
                arguments("PUT", "/machine-config", "[1]", 400, "invalid type: sequence, expected struct MachineConfiguration"),
                arguments("PUT", "/machine-config", "", 400, "Empty PUT request."),
                arguments("PATCH", "/machine-config", "", 400, "Empty PATCH request."),
                arguments("PUT", "/boot-source", "{}", 400, "missing field `kernel_image_path`"),
                arguments("PUT", "/boot-source", "{\"kernel_image_path\":\"" + missing + "\"}", 400,
                        "Boot source error: The kernel file cannot be opened: No such file or directory (os error 2)"),
                arguments("PUT", "/boot-source", "{\"kernel_image_path\":\"" + kernel + "\",\"initrd_path\":\"" + missing + "\"}",
                        400, "The initrd file cannot be opened"),
                arguments("PUT", "/boot-source", largeBody, 400, "is larger than the limit of 51200 allowed by server"),
                arguments("PUT", "/drives/rootfs", "{\"drive_id\":\"other\",\"path_on_host\":\"" + rootfs
                        + "\",\"is_root_device\":true}", 400, "The id from the path does not match the id from the body!"),
                arguments("PUT", "/drives/bad-id", "{\"drive_id\":\"bad-id\",\"path_on_host\":\"" + rootfs
                        + "\",\"is_root_device\":false}", 400,
                        "API Resource IDs can only contain alphanumeric characters and underscores."),
                arguments("PUT", "/drives/second", "{\"drive_id\":\"second\",\"path_on_host\":\"" + data
                        + "\",\"is_root_device\":true}", 400, "A root block device already exists!"),
                arguments("PUT", "/drives/gone", "{\"drive_id\":\"gone\",\"path_on_host\":\"" + missing
                        + "\",\"is_root_device\":false}", 400, "No such file or directory (os error 2)"),
                arguments("PUT", "/drives/limited", "{\"drive_id\":\"limited\",\"path_on_host\":\"" + data
                        + "\",\"is_root_device\":false,\"rate_limiter\":{\"ops\":{\"size\":10,\"refill_time\":100}}}", 400,
                        "The Firecracker emulator does not emulate rate limiters."),
                arguments("PUT", "/drives/limited", "{\"drive_id\":\"limited\",\"path_on_host\":\"" + data
                        + "\",\"is_root_device\":false,\"rate_limiter\":{\"ops\":{\"size\":10}}}", 400,
                        "missing field `refill_time`"),
                arguments("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":\"nosuchtap0\"}", 400,
                        "Invalid TUN/TAP Backend provided by nosuchtap0"),
                arguments("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\"}", 400, "missing field `host_dev_name`"),
                arguments("PUT", "/logger", "{\"log_path\":\"" + missing + "\"}", 400,
                        "Logger error: Failed to open target file: No such file or directory (os error 2)"),
                arguments("PUT", "/logger", "{\"level\":\"Loud\"}", 400, "Logger error: Invalid log level"),
                arguments("PUT", "/metrics", "{}", 400, "missing field `metrics_path`"),
                arguments("PUT", "/actions", "{\"action_type\":\"Reboot\"}", 400,
                        "unknown variant `Reboot`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel`"),
                arguments("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}", 400, "Metrics error"),
                arguments("PUT", "/mmds", "[1,2]", 400, "MMDS data must be a JSON object."),

                // Operations that need a running microVM.
                arguments("PATCH", "/vm", "{\"state\":\"Paused\"}", 400,
                        "The requested operation is not supported before starting the microVM."),
                arguments("PATCH", "/vm", "{\"state\":\"Stopped\"}", 400, "unknown variant `Stopped`"),
                arguments("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}", 400,
                        "The requested operation is not supported before starting the microVM."),
                arguments("PATCH", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"" + rootfs + "\"}", 400,
                        "The requested operation is not supported before starting the microVM."),
                arguments("PATCH", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\"}", 400,
                        "The requested operation is not supported before starting the microVM."),

                // Routes and methods.
                arguments("GET", "/nothing-here", null, 400, "Invalid request method and/or path: GET nothing-here."),
                arguments("PUT", "/vm", "{\"state\":\"Paused\"}", 400, "Invalid request method and/or path: PUT vm."),
                arguments("DELETE", "/machine-config", null, 400, "Invalid request method and/or path: DELETE machine-config."),
                arguments("POST", "/actions", "{\"action_type\":\"InstanceStart\"}", 400,
                        "Invalid request method and/or path: POST actions."),
                arguments("GET", "/drives/rootfs", null, 400, "Invalid request method and/or path: GET drives/rootfs."),
                arguments("GET", "/machine-config", "{\"vcpu_count\":1}", 400, "GET request cannot have a body."),

                // Firecracker features the emulator does not have answer so, never with a fake success.
                arguments("PUT", "/snapshot/create", "{\"snapshot_path\":\"a\",\"mem_file_path\":\"b\"}", 400,
                        "The Firecracker emulator does not emulate PUT /snapshot/create."),
                arguments("PUT", "/balloon", "{\"amount_mib\":1,\"deflate_on_oom\":true}", 400,
                        "The Firecracker emulator does not emulate PUT /balloon."),
                arguments("PUT", "/vsock", "{\"guest_cid\":3,\"uds_path\":\"v.sock\"}", 400,
                        "The Firecracker emulator does not emulate PUT /vsock."),
                arguments("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":128,\"cpu_template\":\"T2\"}", 400,
                        "The Firecracker emulator does not emulate CPU templates."));
    }

    @Order(1)
    @ParameterizedTest(name = "{0} {1} -> {3}")
    @MethodSource("requests")
    void requestGetsFirecrackersAnswer(String method, String path, String body, int status, String fault) {
        Reply reply = api.send(method, path, body);

        assertThat(reply.status()).as("status of %s %s; body %s", method, path, reply.body()).isEqualTo(status);
        if (status == 204) {
            assertThat(reply.body()).isEmpty();
        }
        if (status == 200) {
            assertThat(reply.json().isObject()).as("JSON object from %s %s", method, path).isTrue();
        }
        if (fault != null) {
            assertThat(reply.faultMessage()).contains(fault);
        }
    }

    @Order(2)
    @Test
    void configurationReadsBackAsSent() {
        Reply instance = api.get("/");
        assertThat(instance.json().get("id").asText()).isEqualTo("contract-vm");
        assertThat(instance.json().get("state").asText()).isEqualTo("Not started");
        assertThat(instance.json().get("app_name").asText()).isEqualTo("Firecracker");

        Reply machine = api.get("/machine-config");
        assertThat(machine.json().get("vcpu_count").asInt()).isEqualTo(2);
        assertThat(machine.json().get("mem_size_mib").asInt()).isEqualTo(512);
        assertThat(machine.json().get("smt").asBoolean()).isFalse();

        Reply config = api.get("/vm/config");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.json().get("boot-source").get("boot_args").asText()).isEqualTo("console=ttyS0");
        assertThat(config.json().get("drives")).hasSize(2);
        assertThat(config.json().get("drives").get(0).get("drive_id").asText()).isEqualTo("rootfs");
        assertThat(config.json().get("network-interfaces")).isEmpty();

        Reply mmds = api.get("/mmds");
        assertThat(mmds.json().at("/latest/meta-data/id").asText()).isEqualTo("a");
        assertThat(mmds.json().at("/latest/user-data").asText()).isEqualTo("b");
    }

    @Order(3)
    @Test
    void loggerWritesToItsFile() throws Exception {
        // The logger was configured at debug level by the table; every request since is logged.
        assertThat(api.get("/version").status()).isEqualTo(200);
        String log = Files.readString(directory.resolve("firecracker.log"));
        assertThat(log).contains("[contract-vm:").contains(":DEBUG] The API server received a GET request on \"/version\".");
    }

    @Order(4)
    @Test
    void metricsFlushAsJsonLines() throws Exception {
        Path metrics = directory.resolve("metrics.json");
        assertThat(api.put("/metrics", "{\"metrics_path\":\"" + metrics + "\",\"emit_id\":true}").status()).isEqualTo(204);
        Reply again = api.put("/metrics", "{\"metrics_path\":\"" + metrics + "\"}");
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.faultMessage()).isEqualTo("Metrics error: Reinitialization of metrics not allowed.");

        assertThat(api.put("/actions", "{\"action_type\":\"FlushMetrics\"}").status()).isEqualTo(204);
        String line = Files.readString(metrics).trim();
        assertThat(line).startsWith("{").endsWith("}").contains("\"id\":\"contract-vm\"").contains("\"put_api_requests\"");
    }
}
