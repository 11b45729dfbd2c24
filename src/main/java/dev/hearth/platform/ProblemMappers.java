package dev.hearth.platform;

import jakarta.json.bind.JsonbException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.NoContentException;
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

    /** The problem detail for any exception that leaves a resource. */
    static Problem problemFor(Throwable exception) {
        if (exception instanceof HearthException hearth) {
            return Problem.of(hearth.status(), hearth.title(), hearth.getMessage(), hearth.vmId());
        }
        // A body reader wraps what the entity stream throws, such as the JSON body limit's 413.
        for (Throwable cause = exception.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause instanceof HearthException hearth) {
                return problemFor(hearth);
            }
        }
        if (exception instanceof ConstraintViolationException violation) {
            return Problem.of(400, "Invalid request", describe(violation), null);
        }
        if (exception instanceof JsonbException json) {
            return Problem.of(400, "Invalid request body", bodyError(rootMessage(json)), null);
        }
        if (exception instanceof WebApplicationException web) {
            if (web.getCause() instanceof JsonbException json) {
                return problemFor(json);
            }
            if (web.getCause() instanceof NoContentException) {
                return Problem.of(400, "Invalid request body", "the request body is empty; this request needs a JSON body",
                        null);
            }
            Response.StatusType status = web.getResponse().getStatusInfo();
            if (status.getStatusCode() == 415) {
                return Problem.of(415, status.getReasonPhrase(), "this request needs a JSON body with the header "
                        + "Content-Type: application/json", null);
            }
            return Problem.of(status.getStatusCode(), status.getReasonPhrase(), web.getMessage(), null);
        }
        if (exception instanceof ProcessingException processing) {
            return Problem.of(400, "Invalid request body", bodyError(rootMessage(processing)), null);
        }
        String incident = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "Unexpected error, incident " + incident, exception);
        return Problem.of(500, "Internal error", "an unexpected error occurred; the server log has incident "
                + incident, null);
    }

    @Provider
    public static final class HearthExceptionMapper implements ExceptionMapper<HearthException> {
        @Override
        public Response toResponse(HearthException exception) {
            return problemFor(exception).toResponse();
        }
    }

    @Provider
    public static final class ValidationMapper implements ExceptionMapper<ConstraintViolationException> {
        @Override
        public Response toResponse(ConstraintViolationException exception) {
            return problemFor(exception).toResponse();
        }
    }

    /** A body that is not valid JSON or does not fit the expected type. */
    @Provider
    public static final class JsonMapper implements ExceptionMapper<JsonbException> {
        @Override
        public Response toResponse(JsonbException exception) {
            return problemFor(exception).toResponse();
        }
    }

    /** JAX-RS's own errors (unknown path, wrong method, unsupported media type) keep their status. */
    @Provider
    public static final class WebApplicationMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException exception) {
            return problemFor(exception).toResponse();
        }
    }

    /** Body reading failures that the JAX-RS implementation wraps. */
    @Provider
    public static final class ProcessingMapper implements ExceptionMapper<ProcessingException> {
        @Override
        public Response toResponse(ProcessingException exception) {
            return problemFor(exception).toResponse();
        }
    }

    /** Anything else is a bug or an outage: 500, with an id that finds the full stack trace in the log. */
    @Provider
    public static final class UnexpectedMapper implements ExceptionMapper<RuntimeException> {
        @Override
        public Response toResponse(RuntimeException exception) {
            return problemFor(exception).toResponse();
        }
    }

    /** Yasson's message for a field the request type lacks, with the field name as group 1. */
    private static final java.util.regex.Pattern UNKNOWN_FIELD =
            java.util.regex.Pattern.compile("Json property (\\S+) can not be mapped to a class.*");

    /** Rewrites a JSON binding error as a detail that names the field at fault where it can. */
    static String bodyError(String message) {
        java.util.regex.Matcher unknown = UNKNOWN_FIELD.matcher(message);
        if (unknown.matches()) {
            return "unknown field '" + unknown.group(1) + "' in the request body; remove it or check its spelling";
        }
        return "the request body is not valid JSON for this request: " + message;
    }

    static String rootMessage(Throwable exception) {
        Throwable root = exception;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
