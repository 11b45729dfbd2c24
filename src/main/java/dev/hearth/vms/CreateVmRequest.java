package dev.hearth.vms;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Map;

/**
 * The body of {@code POST /vms}; every field is optional. The configured limits (maximum vCPUs,
 * memory, name pattern) are checked on top of these fixed bounds.
 */
public record CreateVmRequest(
        @Size(min = 1, max = 63, message = "must be 1 to 63 characters") String name,
        @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}", message = "must be an image name: lowercase letters, digits, '.', '_' or '-'")
        String image,
        @Min(value = 1, message = "must be at least 1") @Max(value = 32, message = "must be at most 32") Integer vcpus,
        @Min(value = 1, message = "must be at least 1") @Max(value = 1_048_576, message = "must be at most 1048576")
        Integer memoryMib,
        @Size(max = 32, message = "must have at most 32 entries") Map<String, @Size(max = 1024) String> metadata) {
}
