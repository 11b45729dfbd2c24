package dev.hearth.firecracker.emulator;

/** An API error, sent as {@code {"fault_message": ...}} with its HTTP status. */
final class ApiFault extends Exception {

    static final String NOT_SUPPORTED_AFTER_START =
            "The requested operation is not supported after starting the microVM.";
    static final String NOT_SUPPORTED_BEFORE_START =
            "The requested operation is not supported before starting the microVM.";

    private final int status;

    ApiFault(int status, String faultMessage) {
        super(faultMessage, null, false, false);
        this.status = status;
    }

    static ApiFault badRequest(String faultMessage) {
        return new ApiFault(400, faultMessage);
    }

    /** A feature that Firecracker has and the emulator does not: never answered with a fake success. */
    static ApiFault notEmulated(String what) {
        return badRequest("The Firecracker emulator does not emulate " + what + ".");
    }

    int status() {
        return status;
    }
}
