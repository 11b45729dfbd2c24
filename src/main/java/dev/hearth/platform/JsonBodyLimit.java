package dev.hearth.platform;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Rejects JSON request bodies larger than {@code hearth.api.max-json-body-bytes} with 413 before
 * they are parsed: at once when {@code Content-Length} is too large, and otherwise as soon as
 * more bytes than that have been read. It applies to resource methods that consume only JSON, so
 * a file upload streams without this limit whatever its content type.
 */
@Provider
@Priority(Priorities.ENTITY_CODER)
public class JsonBodyLimit implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(JsonBodyLimit.class.getName());

    @Inject
    HearthConfig config;

    @Context
    ResourceInfo resource;

    @Override
    public void filter(ContainerRequestContext request) {
        if (!consumesOnlyJson()) {
            return;
        }
        long limit = config.maxJsonBodyBytes();
        if (request.getLength() > limit) {
            LOG.log(Level.INFO, "Rejected a {0} {1} request with a JSON body of {2} bytes; the limit is {3}",
                    new Object[] {request.getMethod(), request.getUriInfo().getPath(), request.getLength(), limit});
            request.abortWith(tooLarge(limit).toResponse());
            return;
        }
        request.setEntityStream(new BoundedStream(request.getEntityStream(), limit));
    }

    /** Returns whether the matched resource method, or else its class, consumes JSON and nothing else. */
    private boolean consumesOnlyJson() {
        Method method = resource.getResourceMethod();
        if (method == null) {
            return false;
        }
        Consumes consumes = method.getAnnotation(Consumes.class);
        if (consumes == null) {
            consumes = resource.getResourceClass().getAnnotation(Consumes.class);
        }
        return consumes != null && Arrays.asList(consumes.value()).equals(List.of(MediaType.APPLICATION_JSON));
    }

    static Problem tooLarge(long limit) {
        return Problem.of(413, "Request body too large", "a JSON request body may have at most " + limit
                + " bytes (hearth.api.max-json-body-bytes)", null);
    }

    /** A stream that fails with 413 once more than {@code limit} bytes have been read from it. */
    static final class BoundedStream extends FilterInputStream {
        private final long limit;
        private long count;

        BoundedStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int value = super.read();
            if (value >= 0) {
                counted(1);
            }
            return value;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, length);
            if (read > 0) {
                counted(read);
            }
            return read;
        }

        private void counted(int read) {
            count += read;
            if (count > limit) {
                Problem problem = tooLarge(limit);
                throw new HearthException(413, problem.title(), problem.detail(), null);
            }
        }
    }
}
