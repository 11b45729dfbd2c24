package dev.hearth.platform;

import jakarta.json.bind.JsonbException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.Comparator;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** Maps every exception that leaves a resource to an RFC 9457 problem detail. */
public final class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class.getName());

    private ProblemMappers() {
    }

    /** Turns a Bean Validation failure into one detail that names each field and its rule. */
    static String describe(ConstraintViolationException exception) {
        return exception.getConstraintViolations().stream()
                .sorted(Comparator.comparing(violation -> violation.getPropertyPath().toString()))
                .map(ProblemMappers::describe)
                .collect(Collectors.joining("; "));
    }

    private static String describe(ConstraintViolation<?> violation) {
        String path = violation.getPropertyPath().toString();
        // The path starts with the method and parameter ("create.request.name"); the field is its last part.
        String field = path.substring(path.lastIndexOf('.') + 1);
        return field + ": " + violation.getMessage() + " (was " + violation.getInvalidValue() + ")";
    }

    @Provider
    public static final class HearthExceptionMapper implements ExceptionMapper<HearthException> {
        @Override
        public Response toResponse(HearthException exception) {
            return Problem.of(exception.status(), exception.title(), exception.getMessage(), exception.vmId()).toResponse();
        }
    }

    @Provider
    public static final class ValidationMapper implements ExceptionMapper<ConstraintViolationException> {
        @Override
        public Response toResponse(ConstraintViolationException exception) {
            return Problem.of(400, "Invalid request", describe(exception), null).toResponse();
        }
    }

    /** A body that is not valid JSON or does not fit the expected type. */
    @Provider
    public static final class JsonMapper implements ExceptionMapper<JsonbException> {
        @Override
        public Response toResponse(JsonbException exception) {
            return Problem.of(400, "Invalid JSON", "the request body is not valid JSON for this request: "
                    + rootMessage(exception), null).toResponse();
        }
    }

    /** JAX-RS's own errors (unknown path, wrong method, unsupported media type) keep their status. */
    @Provider
    public static final class WebApplicationMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException exception) {
            if (exception.getCause() instanceof JsonbException json) {
                return new JsonMapper().toResponse(json);
            }
            Response.StatusType status = exception.getResponse().getStatusInfo();
            return Problem.of(status.getStatusCode(), status.getReasonPhrase(), exception.getMessage(), null).toResponse();
        }
    }

    /** Body reading failures that the JAX-RS implementation wraps. */
    @Provider
    public static final class ProcessingMapper implements ExceptionMapper<ProcessingException> {
        @Override
        public Response toResponse(ProcessingException exception) {
            return Problem.of(400, "Invalid request body", rootMessage(exception), null).toResponse();
        }
    }

    /** Anything else is a bug or an outage: 500, with an id that finds the full stack trace in the log. */
    @Provider
    public static final class UnexpectedMapper implements ExceptionMapper<RuntimeException> {
        @Override
        public Response toResponse(RuntimeException exception) {
            if (exception instanceof HearthException hearth) {
                return new HearthExceptionMapper().toResponse(hearth);
            }
            if (exception instanceof ConstraintViolationException violation) {
                return new ValidationMapper().toResponse(violation);
            }
            if (exception instanceof WebApplicationException web) {
                return new WebApplicationMapper().toResponse(web);
            }
            String incident = UUID.randomUUID().toString();
            LOG.log(Level.SEVERE, "Unexpected error, incident " + incident, exception);
            return Problem.of(500, "Internal error", "an unexpected error occurred; the server log has incident "
                    + incident, null).toResponse();
        }
    }

    static String rootMessage(Throwable exception) {
        Throwable root = exception;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
