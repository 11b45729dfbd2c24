package dev.hearth.platform;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Jakarta Security mechanism for bearer tokens: every request under {@code /api} needs
 * {@code Authorization: Bearer <token>} whose SHA-256 is one of {@code hearth.auth.token-sha256}.
 * Tokens are only ever compared as hashes, in constant time, and never logged. Other paths,
 * such as {@code /health}, stay open.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {

    private static final Logger LOG = Logger.getLogger(BearerTokenMechanism.class.getName());
    private static final String PREFIX = "Bearer ";

    @Inject
    HearthConfig config;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response,
                                                HttpMessageContext context) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (!path.startsWith("/api/")) {
            return context.doNothing();
        }
        String header = request.getHeader("Authorization");
        if (header != null && header.startsWith(PREFIX) && matches(header.substring(PREFIX.length()).trim())) {
            return context.notifyContainerAboutLogin("api-client", Set.of("api"));
        }
        LOG.log(Level.FINE, "Rejected {0} {1}: {2}", new Object[] {request.getMethod(), path,
                header == null ? "no Authorization header" : "invalid bearer token"});
        try {
            response.setStatus(401);
            response.setHeader("WWW-Authenticate", "Bearer");
            response.setContentType("application/problem+json");
            response.getOutputStream().write(("{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,"
                    + "\"detail\":\"send Authorization: Bearer <token> with a token that hearth.auth.token-sha256 lists\"}")
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.log(Level.FINE, "Writing a 401 failed", e);
        }
        return AuthenticationStatus.SEND_FAILURE;
    }

    private boolean matches(String token) {
        byte[] presented = sha256(token);
        boolean found = false;
        for (byte[] accepted : config.tokenHashes()) {
            found |= MessageDigest.isEqual(presented, accepted);
        }
        return found;
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Parses hex SHA-256 hashes separated by commas; an invalid entry is an error, not a skipped token. */
    static List<byte[]> parseHashes(String list) {
        return java.util.Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(entry -> !entry.isEmpty())
                .map(entry -> {
                    if (!entry.matches("[0-9a-fA-F]{64}")) {
                        throw new IllegalArgumentException("hearth.auth.token-sha256: '" + entry.substring(0, Math.min(8, entry.length()))
                                + "...' is not a hex SHA-256 hash of 64 characters");
                    }
                    return HexFormat.of().parseHex(entry.toLowerCase());
                })
                .toList();
    }
}
