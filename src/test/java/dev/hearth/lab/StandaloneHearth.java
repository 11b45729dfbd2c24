package dev.hearth.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Hearth on a Payara Micro process of its own, which a test can kill with SIGKILL, start again
 * and redeploy: the WAR is deployed exploded, and touching its {@code .reload} file makes Payara
 * Micro undeploy and deploy it again in the same JVM. Each instance has its own database, state
 * directory, subnet and TAP name prefix, so it never touches another Hearth's VMs.
 */
public final class StandaloneHearth implements AutoCloseable {

    private static final String SOCKET_URL = "jdbc:mariadb://localhost/?localSocket=/run/mysqld/mysqld.sock&sslMode=disable";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(240);
    private static final String STARTED_LINE = "Reconciled the VM rows with the host at start-up";

    private final String name;
    private final Path home;
    private final Path app;
    private final Map<String, String> environment = new HashMap<>();
    private final int port;
    private Process server;
    private int starts;

    /**
     * Prepares an instance in {@code /tmp/hearth-it/<name>} with database {@code hearth_<name>};
     * {@code settings} adds or overrides environment variables, such as limits.
     */
    public StandaloneHearth(String name, String subnet, String tapPrefix, Map<String, String> settings) throws IOException {
        this.name = name;
        this.home = Path.of(System.getProperty("hearth.it.state.dir", "/tmp/hearth-it/state")).resolveSibling(name);
        this.app = home.resolve("app");
        this.port = freePort();
        deleteRecursively(home);
        GuestImage.linkInto(Path.of(System.getProperty("hearth.it.images.dir", "/tmp/hearth-it/images")));
        Files.createDirectories(home.resolve("state"));
        unzip(Path.of("target/hearth.war"), app);
        sqlOnServer("DROP DATABASE IF EXISTS " + database() + "; CREATE DATABASE " + database()
                + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        environment.put("HEARTH_STATE_DIR", stateDir().toString());
        environment.put("HEARTH_DB_URL", "jdbc:mariadb://localhost/" + database()
                + "?localSocket=/run/mysqld/mysqld.sock&sslMode=disable");
        environment.put("HEARTH_NETWORK_SUBNET", subnet);
        environment.put("HEARTH_NETWORK_TAP_PREFIX", tapPrefix);
        environment.putAll(settings);
    }

    public Path stateDir() {
        return home.resolve("state");
    }

    public String database() {
        return "hearth_" + name.replace('-', '_');
    }

    public HearthApi api() {
        try {
            return new HearthApi(new URL("http://127.0.0.1:" + port + "/"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return server.pid();
    }

    /** Starts Payara Micro and waits until Hearth has reconciled and reports ready. */
    public void start() throws IOException, InterruptedException {
        Path rootDir = home.resolve("payara-" + (++starts));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "target/payara-micro.jar",
                "--nohazelcast", "--disablephonehome", "--prebootcommandfile", "server-config/payara-micro/preboot.txt",
                "--rootdir", rootDir.toString(), "--port", String.valueOf(port), "--contextroot", "/", "--deploy", app.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.environment().putAll(environment);
        int before = startedCount();
        server = builder.start();
        awaitStarted(before);
    }

    /** Sends SIGKILL to the Payara Micro process and waits for it to end. */
    public void kill() throws InterruptedException {
        server.destroyForcibly();
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("Payara Micro pid " + server.pid() + " outlived SIGKILL by 30 s");
        }
    }

    /** Touches the exploded WAR's {@code .reload} file and waits until the new deployment has reconciled. */
    public void redeploy() throws IOException, InterruptedException {
        int before = startedCount();
        Path reload = app.resolve(".reload");
        if (!Files.exists(reload)) {
            Files.createFile(reload);
        }
        Files.setLastModifiedTime(reload, FileTime.from(Instant.now()));
        awaitStarted(before);
    }

    /** Lines of the server's log that contain {@code text}. */
    public List<String> logLines(String text) throws IOException {
        return Files.readAllLines(log()).stream().filter(line -> line.contains(text)).toList();
    }

    private Path log() {
        return home.resolve("server.log");
    }

    private int startedCount() throws IOException {
        return Files.exists(log()) ? logLines(STARTED_LINE).size() : 0;
    }

    private void awaitStarted(int startsBefore) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!server.isAlive()) {
                throw new AssertionError("Payara Micro exited with status " + server.exitValue() + "; see " + log());
            }
            if (startedCount() > startsBefore) {
                try {
                    HttpResponse<String> ready = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (ready.statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // Not listening yet.
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("Hearth on Payara Micro did not become ready within " + START_TIMEOUT.toSeconds()
                + " s; see " + log());
    }

    /**
     * Stops the server if it runs, keeps its log as {@code target/failsafe-reports/<name>-server.log},
     * drops the database and removes the instance's directory.
     */
    @Override
    public void close() throws IOException {
        try {
            if (server != null && server.isAlive()) {
                server.destroy();
                if (!server.waitFor(30, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (Files.exists(log())) {
            Path savedLog = Path.of("target", "failsafe-reports", name + "-server.log");
            Files.createDirectories(savedLog.getParent());
            Files.copy(log(), savedLog, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        sqlOnServer("DROP DATABASE IF EXISTS " + database());
        deleteRecursively(home);
        GuestImage.linkInto(Path.of(System.getProperty("hearth.it.images.dir", "/tmp/hearth-it/images")));
    }

    /** Returns the JDBC URL of this instance's database. The user is root, without a password. */
    public String databaseUrl() {
        return environment.get("HEARTH_DB_URL");
    }

    /** Runs SQL statements, separated by semicolons, in this instance's database. */
    public void sql(String statements) throws IOException {
        execute(environment.get("HEARTH_DB_URL"), statements);
    }

    private static void sqlOnServer(String statements) throws IOException {
        execute(SOCKET_URL, statements);
    }

    private static void execute(String url, String statements) throws IOException {
        try (Connection connection = DriverManager.getConnection(url, "root", "");
             Statement statement = connection.createStatement()) {
            for (String sql : statements.split(";")) {
                statement.execute(sql.trim());
            }
        } catch (SQLException e) {
            throw new IOException("MariaDB statement failed: " + statements + ": " + e.getMessage(), e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void unzip(Path archive, Path target) throws IOException {
        try (InputStream in = Files.newInputStream(archive); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                Path path = target.resolve(entry.getName()).normalize();
                if (!path.startsWith(target)) {
                    throw new IOException("WAR entry " + entry.getName() + " points outside " + target);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else {
                    Files.createDirectories(path.getParent());
                    Files.copy(zip, path);
                }
            }
        }
    }

    static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
