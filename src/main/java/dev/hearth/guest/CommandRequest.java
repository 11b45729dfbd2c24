package dev.hearth.guest;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.Map;

/**
 * The body of {@code POST /vms/{id}/commands}: {@code command} runs under {@code /bin/sh -c} in
 * {@code workingDirectory} with {@code env} added, reading {@code stdin}.
 */
public record CommandRequest(
        @NotBlank(message = "must not be blank") @Size(max = 65_536, message = "must be at most 65536 characters") String command,
        @Size(max = 64, message = "must have at most 64 entries") Map<String, @Size(max = 8192) String> env,
        @Size(max = 4096, message = "must be at most 4096 characters") String workingDirectory,
        @Positive(message = "must be positive") Integer timeoutSeconds,
        @Size(max = 1_048_576, message = "must be at most 1 MiB") String stdin) {
}
