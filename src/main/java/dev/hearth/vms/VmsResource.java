package dev.hearth.vms;

import dev.hearth.platform.HearthException;
import jakarta.ejb.EJB;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** {@code /api/v1/vms}: the VM lifecycle over REST. */
@Path("vms")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VmsResource {

    private static final Pattern VM_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @EJB
    Vms vms;

    @Context
    UriInfo uriInfo;

    @POST
    public Response create(@Valid CreateVmRequest request) {
        VmView vm = vms.create(request == null ? new CreateVmRequest(null, null, null, null, null) : request);
        return Response.accepted(vm).location(uriInfo.getAbsolutePathBuilder().path(vm.id()).build()).build();
    }

    @GET
    public List<VmView> list(@QueryParam("state") String state) {
        return vms.list(state == null ? null : parseState(state));
    }

    @GET
    @Path("{id}")
    public VmView get(@PathParam("id") String id) {
        return vms.get(validId(id));
    }

    @GET
    @Path("{id}/wait")
    public VmView await(@PathParam("id") String id,
                        @QueryParam("state") @DefaultValue("RUNNING") String state,
                        @QueryParam("timeoutSeconds") @DefaultValue("120")
                        @Min(value = 1, message = "must be at least 1") @Max(value = 900, message = "must be at most 900")
                        int timeoutSeconds) {
        return vms.await(validId(id), parseState(state), Duration.ofSeconds(timeoutSeconds));
    }

    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") String id) {
        vms.delete(validId(id));
        return Response.noContent().build();
    }

    @POST
    @Path("{id}/pause")
    public VmView pause(@PathParam("id") String id) {
        return vms.pause(validId(id));
    }

    @POST
    @Path("{id}/resume")
    public VmView resume(@PathParam("id") String id) {
        return vms.resume(validId(id));
    }

    /** Returns the id, or throws a 404 problem for an id that cannot be a VM's. */
    private static String validId(String id) {
        if (!VM_ID.matcher(id).matches()) {
            throw HearthException.notFound(id.length() > 64 ? id.substring(0, 64) + "..." : id);
        }
        return id;
    }

    private static VmState parseState(String state) {
        try {
            return VmState.valueOf(state.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw HearthException.badRequest("state: unknown state '" + state + "'; expected one of "
                    + List.of(VmState.values()));
        }
    }
}
