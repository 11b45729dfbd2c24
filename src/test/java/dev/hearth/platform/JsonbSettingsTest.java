package dev.hearth.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.vms.CreateVmRequest;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbException;
import org.junit.jupiter.api.Test;

/** The request body binding that the REST API uses. */
class JsonbSettingsTest {

    private final Jsonb jsonb = new JsonbSettings().getContext(CreateVmRequest.class);

    @Test
    void wellTypedBodyBinds() {
        CreateVmRequest request = jsonb.fromJson("{\"name\":\"web\",\"vcpus\":2,\"memoryMib\":null}", CreateVmRequest.class);

        assertThat(request.name()).isEqualTo("web");
        assertThat(request.vcpus()).isEqualTo(2);
        assertThat(request.memoryMib()).isNull();
    }

    @Test
    void fractionIsNotAWholeNumber() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"vcpus\":1.5}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("whole number");
    }

    @Test
    void numberBeyondIntIsRejected() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"vcpus\":2147483648}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("2147483648");
    }

    @Test
    void stringIsNotANumber() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"vcpus\":\"2\"}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("expected a whole number, got a string");
    }

    @Test
    void numberIsNotAString() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"name\":123}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("expected a string, got the number 123");
    }

    @Test
    void numberInAMapOfStringsIsRejected() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"metadata\":{\"team\":7}}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("expected a string");
    }

    @Test
    void unknownFieldIsRejected() {
        assertThatThrownBy(() -> jsonb.fromJson("{\"bogus\":1}", CreateVmRequest.class))
                .isInstanceOf(JsonbException.class).hasMessageContaining("bogus");
    }
}
