package dev.hearth.guest;

import jakarta.ejb.EJB;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/** {@code /api/v1/vms/{id}/commands}, {@code /files} and {@code /directories}: the inside of a running VM. */
// The same root path as VmsResource: a root of "vms/{id}" would win the match for every
// /vms/{id}/... request and hide VmsResource's own sub-resources.
@Path("vms")
public class GuestResource {

    /** The body of {@code POST /vms/{id}/directories}. */
    public record DirectoryRequest(@NotNull(message = "is required") String path, Boolean parents) {
    }

    @EJB
    GuestAccess guest;

    @POST
    @Path("{id}/commands")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CommandResult run(@PathParam("id") String id, @NotNull(message = "is required") @Valid CommandRequest request) {
        return guest.run(id, request);
    }

    /**
     * The same command with {@code Accept: text/event-stream}: {@code stdout} and {@code stderr}
     * events carry the output as it arrives, then one {@code exit} event carries the outcome as
     * JSON without the output.
     */
    @POST
    @Path("{id}/commands")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@PathParam("id") String id, @NotNull(message = "is required") @Valid CommandRequest request,
                       @Context SseEventSink sink, @Context Sse sse) {
        try (sink) {
            CommandResult result = guest.run(id, request,
                    (stream, text) -> sink.send(sse.newEventBuilder().name(stream).data(text).build()));
            CommandExit exit = new CommandExit(result.exitCode(), result.timedOut(), result.durationMs(),
                    result.stdoutTruncated(), result.stderrTruncated());
            sink.send(sse.newEventBuilder().name("exit").mediaType(MediaType.APPLICATION_JSON_TYPE)
                    .data(CommandExit.class, exit).build()).toCompletableFuture().join();
        }
    }

    /** The {@code exit} event of a streamed command. */
    public record CommandExit(Integer exitCode, boolean timedOut, long durationMs, boolean stdoutTruncated,
                              boolean stderrTruncated) {
    }

    @PUT
    @Path("{id}/files")
    @Consumes(MediaType.WILDCARD)
    public Response writeFile(@PathParam("id") String id, @QueryParam("path") String path, @QueryParam("mode") String mode,
                              InputStream content) {
        guest.writeFile(id, path, mode, content);
        return Response.noContent().build();
    }

    @GET
    @Path("{id}/files")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response readFile(@PathParam("id") String id, @QueryParam("path") String path) {
        return Response.ok(guest.readFile(id, path), MediaType.APPLICATION_OCTET_STREAM_TYPE).build();
    }

    @DELETE
    @Path("{id}/files")
    public Response deleteFile(@PathParam("id") String id, @QueryParam("path") String path,
                               @QueryParam("recursive") @DefaultValue("false") boolean recursive) {
        guest.deleteFile(id, path, recursive);
        return Response.noContent().build();
    }

    @POST
    @Path("{id}/directories")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response makeDirectory(@PathParam("id") String id, @NotNull(message = "is required") @Valid DirectoryRequest request) {
        boolean created = guest.makeDirectory(id, request.path(), Boolean.TRUE.equals(request.parents()));
        return Response.status(created ? 201 : 200).entity(Map.of("path", request.path(), "created", created)).build();
    }

    @GET
    @Path("{id}/directories")
    @Produces(MediaType.APPLICATION_JSON)
    public List<GuestFiles.Entry> listDirectory(@PathParam("id") String id, @QueryParam("path") String path) {
        return guest.listDirectory(id, path);
    }
}
