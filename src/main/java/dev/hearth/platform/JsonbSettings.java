package dev.hearth.platform;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;

/**
 * JSON-B settings for the REST API: a request with a field the API does not know is rejected
 * (Yasson's {@code jsonb.fail-on-unknown-properties}), as is a number where a string belongs or a
 * fraction where a whole number belongs, and null fields are left out of responses.
 */
@Provider
public class JsonbSettings implements ContextResolver<Jsonb> {

    private final Jsonb jsonb = JsonbBuilder.create(new JsonbConfig()
            .withNullValues(false)
            .withDeserializers(new StrictJsonValues.IntegerValue(), new StrictJsonValues.StringValue())
            .setProperty("jsonb.fail-on-unknown-properties", true));

    @Override
    public Jsonb getContext(Class<?> type) {
        return jsonb;
    }
}
