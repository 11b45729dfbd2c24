package dev.hearth.platform;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.bind.JsonbException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import java.lang.reflect.Proxy;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The problem detail built for each kind of exception, without a server. */
class ProblemMappersTest {

    @Test
    void hearthExceptionKeepsStatusDetailAndVmId() {
        Problem problem = ProblemMappers.problemFor(HearthException.notFound("0b7c2d1e-aaaa-bbbb-cccc-0123456789ab"));

        assertThat(problem.status()).isEqualTo(404);
        assertThat(problem.title()).isEqualTo("VM not found");
        assertThat(problem.detail()).isEqualTo("no VM with id 0b7c2d1e-aaaa-bbbb-cccc-0123456789ab exists");
        assertThat(problem.vmId()).isEqualTo("0b7c2d1e-aaaa-bbbb-cccc-0123456789ab");
        assertThat(problem.type()).isEqualTo("about:blank");
    }

    @Test
    void validationNamesEachFieldAndValue() {
        ConstraintViolationException exception = new ConstraintViolationException(Set.of(
                violation("create.request.vcpus", "must be at most 32", 99),
                violation("create.request.name", "must be 1 to 63 characters", "")));

        Problem problem = ProblemMappers.problemFor(exception);

        assertThat(problem.status()).isEqualTo(400);
        assertThat(problem.title()).isEqualTo("Invalid request");
        assertThat(problem.detail())
                .isEqualTo("name: must be 1 to 63 characters (was ); vcpus: must be at most 32 (was 99)");
    }

    @Test
    void wrappedHearthExceptionKeepsItsStatus() {
        HearthException tooLarge = new HearthException(413, "Request body too large", "at most 10 bytes", null);

        Problem problem = ProblemMappers.problemFor(new JsonbException("reading failed", new RuntimeException(tooLarge)));

        assertThat(problem.status()).isEqualTo(413);
        assertThat(problem.detail()).isEqualTo("at most 10 bytes");
    }

    @Test
    void invalidJsonIs400() {
        Problem problem = ProblemMappers.problemFor(new JsonbException("Unexpected char 39"));

        assertThat(problem.status()).isEqualTo(400);
        assertThat(problem.detail()).contains("not valid JSON").contains("Unexpected char 39");
    }

    @Test
    void unknownFieldIsNamed() {
        Problem problem = ProblemMappers.problemFor(new JsonbException(
                "Json property vcpu can not be mapped to a class class dev.hearth.vms.CreateVmRequest."));

        assertThat(problem.status()).isEqualTo(400);
        assertThat(problem.detail()).isEqualTo("unknown field 'vcpu' in the request body; remove it or check its spelling");
    }

    @Test
    void unexpectedErrorsAre500WithoutInternals() {
        Problem problem = ProblemMappers.problemFor(new IllegalStateException("secret internal detail"));

        assertThat(problem.status()).isEqualTo(500);
        assertThat(problem.detail()).doesNotContain("secret internal detail").contains("incident");
    }

    @SuppressWarnings("unchecked")
    private static ConstraintViolation<Object> violation(String path, String message, Object value) {
        Path propertyPath = (Path) Proxy.newProxyInstance(Path.class.getClassLoader(), new Class<?>[] {Path.class},
                (proxy, method, args) -> method.getName().equals("toString") ? path : null);
        return (ConstraintViolation<Object>) Proxy.newProxyInstance(ConstraintViolation.class.getClassLoader(),
                new Class<?>[] {ConstraintViolation.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getPropertyPath" -> propertyPath;
                    case "getMessage" -> message;
                    case "getInvalidValue" -> value;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                });
    }
}
