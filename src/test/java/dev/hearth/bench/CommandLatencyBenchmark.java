package dev.hearth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.guest.SshKeys;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.RequiredServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.io.output.NullOutputStream;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Measures how long the command {@code true} takes in a RUNNING VM, run three ways that
 * alternate within one run, so that all three see the same machine load:
 *
 * <ol>
 *   <li><b>pooled</b>: {@code POST {api}/vms/{id}/commands} with {@code {"command":"true"}}
 *       through {@link HttpClient} (HTTP/1.1, one kept-alive connection), timed at the client
 *       from sending the request to reading the whole response. This covers HTTP on loopback,
 *       JSON, Hearth's lookup of the VM and a new exec channel on Hearth's pooled SSH session.
 *       Hearth runs {@code exec env timeout -k 2 SECONDS /bin/sh -c true} in the guest, which
 *       starts three programs ({@code env}, {@code timeout}, {@code sh}) that a plain {@code true}
 *       does not need.</li>
 *   <li><b>fresh</b>: a new SSH connection per command from this program: TCP connect, key
 *       exchange, the server's host key checked against the pinned key alone
 *       ({@link RequiredServerKeyVerifier}), public key authentication with Hearth's key, exec
 *       {@code true}, wait for its exit and the channel's close, then close the connection and
 *       wait for that. SSH only: no HTTP and no work by Hearth.</li>
 *   <li><b>reference</b>: exec {@code true} on a new channel of one SSH session that this program
 *       opens once and keeps: the fresh case without connecting, SSH only.</li>
 * </ol>
 *
 * <p>One {@link SshClient} serves the fresh and the reference cases and is started once, as
 * Hearth starts its own once. Each round runs the three cases in an order that rotates from
 * round to round, so that each comes first equally often. Warm-up rounds run the same way and are
 * not counted. Percentiles use the nearest-rank method. The report also gives Hearth's own
 * {@code durationMs} from each pooled response (its exec channel, from opening it to the
 * command's exit) and how the fresh case splits into connecting, the exec and closing.
 *
 * <p>Usage: {@code CommandLatencyBenchmark --api URL --vm ID --host ADDRESS --host-key KEY_LINE
 * --identity PRIVATE_KEY_FILE [--rounds N] [--warmup N] [--user USER]} (defaults: 200 rounds,
 * 20 warm-up rounds, user root). {@code URL} is the API base, for example
 * {@code http://127.0.0.1:8080/api/v1}; {@code KEY_LINE} is the VM's pinned host key as an
 * OpenSSH public key line; {@code PRIVATE_KEY_FILE} is Hearth's {@code ssh/id_ecdsa} in its
 * state directory.
 */
public final class CommandLatencyBenchmark {

    private static final int SSH_PORT = 22;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration CHANNEL_OPEN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(60);
    private static final String COMMAND = "true";
    private static final String USAGE = "usage: CommandLatencyBenchmark --api URL --vm ID --host ADDRESS --host-key KEY_LINE"
            + " --identity PRIVATE_KEY_FILE [--rounds N] [--warmup N] [--user USER]";

    /** Kept in a field because java.util.logging references loggers weakly, and a collected logger loses its level. */
    private static final Logger SSHD_LOG = Logger.getLogger("org.apache.sshd");

    private enum Kind {
        POOLED, FRESH, REFERENCE
    }

    private record Options(URI api, String vmId, String host, String hostKeyLine, Path identityFile, int rounds,
                           int warmup, String user) {
    }

    /** Samples of one measurement, in nanoseconds unless the field states another unit. */
    private static final class Samples {
        final List<Long> nanos = new ArrayList<>();

        void add(long value) {
            nanos.add(value);
        }

        long[] sorted() {
            return nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        }
    }

    private final Options options;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            // Plain HTTP/1.1. With its default, HTTP/2, the JDK client adds an h2c upgrade request to the first request.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
    private final HttpRequest commandRequest;
    private final PublicKey hostKey;
    private final KeyPair identity;
    private SshClient ssh;
    private ClientSession referenceSession;

    private final Samples pooled = new Samples();
    private final Samples fresh = new Samples();
    private final Samples reference = new Samples();
    /** Hearth's own {@code durationMs} for each pooled command, in milliseconds. */
    private final Samples serverReportedMillis = new Samples();
    private final Samples freshConnect = new Samples();
    private final Samples freshExec = new Samples();
    private final Samples freshClose = new Samples();

    private CommandLatencyBenchmark(Options options) throws IOException, GeneralSecurityException {
        this.options = options;
        this.commandRequest = HttpRequest.newBuilder(URI.create(options.api() + "/vms/" + options.vmId() + "/commands"))
                .header("Authorization", "Bearer " + System.getenv().getOrDefault("HEARTH_API_TOKEN", ""))
                .timeout(HTTP_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"" + COMMAND + "\"}"))
                .build();
        this.hostKey = SshKeys.parsePublicKey(options.hostKeyLine());
        this.identity = loadIdentity(options.identityFile());
    }

    public static void main(String[] args) throws Exception {
        Options options = parse(args);
        // Only MINA's warnings and errors are printed, so that its log lines stay out of the results.
        SSHD_LOG.setLevel(Level.WARNING);
        CommandLatencyBenchmark benchmark = new CommandLatencyBenchmark(options);
        try {
            benchmark.run();
        } finally {
            benchmark.stop();
        }
    }

    private static Options parse(String[] args) {
        String api = null;
        String vmId = null;
        String host = null;
        String hostKey = null;
        String identity = null;
        int rounds = 200;
        int warmup = 20;
        String user = "root";

        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--api" -> api = args[++i];
                    case "--vm" -> vmId = args[++i];
                    case "--host" -> host = args[++i];
                    case "--host-key" -> hostKey = args[++i];
                    case "--identity" -> identity = args[++i];
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--user" -> user = args[++i];
                    default -> usage("unknown argument '" + args[i] + "'");
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            usage("missing value for " + args[args.length - 1]);
        } catch (NumberFormatException e) {
            usage("invalid number: " + e.getMessage());
        }

        if (api == null || vmId == null || host == null || hostKey == null || identity == null) {
            usage("missing argument: --api, --vm, --host, --host-key and --identity are required");
        }
        if (rounds < 1 || warmup < 0) {
            usage("--rounds must be at least 1 and --warmup at least 0 (were " + rounds + " and " + warmup + ")");
        }
        return new Options(URI.create(api.replaceAll("/+$", "")), vmId, host, hostKey, Path.of(identity), rounds, warmup,
                user);
    }

    private static void usage(String problem) {
        System.err.println("CommandLatencyBenchmark: " + problem + "\n" + USAGE);
        System.exit(2);
    }

    /** Loads Hearth's private key as SshConnections does. */
    private static KeyPair loadIdentity(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Iterator<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, null)
                    .iterator();
            if (!pairs.hasNext()) {
                throw new IOException("no key pair in " + file);
            }
            return pairs.next();
        }
    }

    private void run() throws Exception {
        ssh = SshClient.setUpDefaultClient();
        // Only the VM's pinned host key is trusted, so any other key fails the connection.
        ssh.setServerKeyVerifier(new RequiredServerKeyVerifier(hostKey));
        // Only the key given here is offered, and no ~/.ssh/config of the user running this applies.
        ssh.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        ssh.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        ssh.start();
        referenceSession = connect();

        System.out.println("VM " + options.vmId() + " at " + options.host() + "; command '" + COMMAND + "'; "
                + options.rounds() + " rounds after " + options.warmup() + " warm-up rounds; each round runs the three"
                + " cases once, in an order that rotates from round to round");
        System.out.println("host key pinned: " + SshKeys.publicKeyLine(hostKey).split(" ")[0] + " "
                + KeyUtils.getFingerPrint(hostKey));
        System.out.println("(a) pooled:    POST " + commandRequest.uri().getPath() + " {\"command\":\"" + COMMAND + "\"},"
                + " timed at the client. Includes HTTP on loopback, JSON and Hearth's work (VM lookup, a new channel on"
                + " its pooled SSH session); Hearth runs 'exec env timeout -k 2 SECONDS /bin/sh -c " + COMMAND + "'"
                + " in the guest.");
        System.out.println("(b) fresh:     a new SSH connection per command from this program: connect, key exchange,"
                + " strict check against the pinned host key, public key auth, exec '" + COMMAND + "', wait for exit,"
                + " close. SSH only: no HTTP, no work by Hearth.");
        System.out.println("(c) reference: exec '" + COMMAND + "' on a new channel of one SSH session this program keeps"
                + " open: (b) without connecting. SSH only.");

        Kind[] kinds = Kind.values();
        for (int round = 0; round < options.warmup() + options.rounds(); round++) {
            boolean counted = round >= options.warmup();
            for (int turn = 0; turn < kinds.length; turn++) {
                Kind kind = kinds[(round + turn) % kinds.length];
                switch (kind) {
                    case POOLED -> runPooled(counted);
                    case FRESH -> runFresh(counted);
                    case REFERENCE -> runReference(counted);
                    default -> throw new IllegalStateException("unknown case " + kind);
                }
            }
            int done = round + 1 - options.warmup();
            if (counted && (done % 50 == 0 || done == options.rounds())) {
                System.err.printf(Locale.ROOT, "CommandLatencyBenchmark: %d/%d rounds%n", done, options.rounds());
            }
        }
        report();
    }

    private void runPooled(boolean counted) throws IOException, InterruptedException {
        long started = System.nanoTime();
        HttpResponse<String> response = http.send(commandRequest, HttpResponse.BodyHandlers.ofString());
        long elapsed = System.nanoTime() - started;
        if (response.statusCode() != 200) {
            throw new IOException("POST " + commandRequest.uri() + " returned " + response.statusCode() + ": "
                    + response.body());
        }
        JsonNode result = json.readTree(response.body());
        if (result.path("timedOut").asBoolean(true) || result.path("exitCode").asInt(-1) != 0) {
            throw new IOException("'" + COMMAND + "' through Hearth did not exit with 0: " + response.body());
        }
        if (counted) {
            pooled.add(elapsed);
            serverReportedMillis.add(result.path("durationMs").asLong());
        }
    }

    private void runFresh(boolean counted) throws IOException {
        long started = System.nanoTime();
        ClientSession session = connect();
        long connected;
        long executed;
        try {
            connected = System.nanoTime();
            exec(session);
            executed = System.nanoTime();
        } finally {
            session.close(false).await(CLOSE_TIMEOUT);
        }
        long closed = System.nanoTime();
        if (counted) {
            fresh.add(closed - started);
            freshConnect.add(connected - started);
            freshExec.add(executed - connected);
            freshClose.add(closed - executed);
        }
    }

    private void runReference(boolean counted) throws IOException {
        long started = System.nanoTime();
        exec(referenceSession);
        long elapsed = System.nanoTime() - started;
        if (counted) {
            reference.add(elapsed);
        }
    }

    /**
     * Connects and authenticates with Hearth's key. Authentication starts once the key exchange,
     * host key check included, has finished, so both count here.
     */
    private ClientSession connect() throws IOException {
        ClientSession session = ssh.connect(options.user(), options.host(), SSH_PORT).verify(CONNECT_TIMEOUT).getSession();
        try {
            session.addPublicKeyIdentity(identity);
            session.auth().verify(AUTH_TIMEOUT);
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            throw e;
        }
    }

    /** Runs {@link #COMMAND} on a new exec channel and waits until it has exited and the channel is closed. */
    private static void exec(ClientSession session) throws IOException {
        try (ChannelExec channel = session.createExecChannel(COMMAND)) {
            channel.setOut(new NullOutputStream());
            channel.setErr(new NullOutputStream());
            channel.open().verify(CHANNEL_OPEN_TIMEOUT);
            Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), COMMAND_TIMEOUT);
            if (!events.contains(ClientChannelEvent.CLOSED)) {
                throw new IOException("'" + COMMAND + "' timed out after " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            Integer status = channel.getExitStatus();
            if (status == null || status != 0) {
                throw new IOException("'" + COMMAND + "' over SSH exited with " + status);
            }
        }
    }

    private void report() {
        long[] a = pooled.sorted();
        long[] b = fresh.sorted();
        long[] c = reference.sorted();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-14s %9s %9s %9s %9s%n", "ms", "p50", "p99", "mean", "max");
        line("(a) pooled", a);
        line("(b) fresh", b);
        line("(c) reference", c);
        System.out.printf(Locale.ROOT, "fresh/pooled    (b)/(a): p50 %.2fx, p99 %.2fx, mean %.2fx"
                        + "  [(a) includes HTTP and Hearth's work, (b) is SSH only]%n",
                ratio(b, a, 50), ratio(b, a, 99), mean(b) / mean(a));
        System.out.printf(Locale.ROOT, "fresh/reference (b)/(c): p50 %.2fx, p99 %.2fx, mean %.2fx  [both SSH only]%n",
                ratio(b, c, 50), ratio(b, c, 99), mean(b) / mean(c));
        long[] server = serverReportedMillis.sorted();
        System.out.printf(Locale.ROOT, "(a) Hearth's durationMs (its exec channel on the pooled session, whole ms):"
                + " p50 %d, p99 %d, mean %.1f%n", percentile(server, 50), percentile(server, 99), mean(server));
        System.out.printf(Locale.ROOT, "(b) phases, p50 ms: connect + key exchange + auth %.1f, exec %.1f, close %.1f%n",
                millis(percentile(freshConnect.sorted(), 50)), millis(percentile(freshExec.sorted(), 50)),
                millis(percentile(freshClose.sorted(), 50)));
    }

    private static void line(String label, long[] sorted) {
        System.out.printf(Locale.ROOT, "%-14s %9.1f %9.1f %9.1f %9.1f%n", label, millis(percentile(sorted, 50)),
                millis(percentile(sorted, 99)), millis(mean(sorted)), millis(sorted[sorted.length - 1]));
    }

    /** Returns the {@code p}th percentile of sorted values by the nearest-rank method. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static double ratio(long[] numerator, long[] denominator, int p) {
        return (double) percentile(numerator, p) / percentile(denominator, p);
    }

    private static double mean(long[] values) {
        double sum = 0;
        for (long value : values) {
            sum += value;
        }
        return sum / values.length;
    }

    private static double millis(double nanos) {
        return nanos / 1_000_000.0;
    }

    private void stop() throws IOException {
        if (referenceSession != null) {
            referenceSession.close(false).await(CLOSE_TIMEOUT);
        }
        if (ssh != null) {
            ssh.stop();
        }
    }
}
