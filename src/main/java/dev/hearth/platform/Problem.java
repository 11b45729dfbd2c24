package dev.hearth.platform;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** An RFC 9457 problem detail, with {@code vmId} when the problem concerns one VM. */
@JsonbPropertyOrder({"type", "title", "status", "detail", "vmId"})
@JsonbNillable(false)
public record Problem(String type, String title, int status, String detail, String vmId) {

    public static final MediaType MEDIA_TYPE = new MediaType("application", "problem+json");

    public static Problem of(int status, String title, String detail, String vmId) {
        return new Problem("about:blank", title, status, detail, vmId);
    }

    public Response toResponse() {
        return Response.status(status).type(MEDIA_TYPE).entity(this).build();
    }
}
