package dev.hearth.firecracker;

import java.io.IOException;

/** A Firecracker API call that failed: Firecracker's status and {@code fault_message}, or the transport error. */
public class FirecrackerApiException extends IOException {

    private final int status;

    public FirecrackerApiException(String message, int status) {
        super(message);
        this.status = status;
    }

    public FirecrackerApiException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
    }

    /** The HTTP status Firecracker returned, or 0 when no response arrived. */
    public int status() {
        return status;
    }
}
