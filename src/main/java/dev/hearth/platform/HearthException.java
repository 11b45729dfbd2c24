package dev.hearth.platform;

import jakarta.ejb.ApplicationException;

/**
 * An error with its HTTP status, sent to clients as an RFC 9457 problem detail. The detail must
 * name the value at fault and what to do next. It is an application exception: an EJB passes it
 * to the caller as it is, rolls back any transaction, and does not log it as a system failure.
 */
@ApplicationException(rollback = true)
public class HearthException extends RuntimeException {

    private final int status;
    private final String title;
    private final String vmId;

    public HearthException(int status, String title, String detail, String vmId) {
        super(detail);
        this.status = status;
        this.title = title;
        this.vmId = vmId;
    }

    public static HearthException notFound(String vmId) {
        return new HearthException(404, "VM not found", "no VM with id " + vmId + " exists", vmId);
    }

    public static HearthException badRequest(String detail) {
        return new HearthException(400, "Invalid request", detail, null);
    }

    public static HearthException conflict(String detail, String vmId) {
        return new HearthException(409, "Conflict with the VM's state", detail, vmId);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String vmId() {
        return vmId;
    }
}
