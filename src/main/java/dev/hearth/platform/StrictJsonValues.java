package dev.hearth.platform;

import jakarta.json.bind.JsonbException;
import jakarta.json.bind.serializer.DeserializationContext;
import jakarta.json.bind.serializer.JsonbDeserializer;
import jakarta.json.JsonNumber;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import java.lang.reflect.Type;

/**
 * Deserializers that take a JSON value only when it has the field's own type. Yasson on its own
 * turns {@code 1.5} into the integer 1 and {@code 123} into the string "123", so the bound value
 * could differ from the request.
 */
final class StrictJsonValues {

    private StrictJsonValues() {
    }

    /** An {@code Integer} from a JSON number without a fraction, within the range of {@code int}. */
    static final class IntegerValue implements JsonbDeserializer<Integer> {
        @Override
        public Integer deserialize(JsonParser parser, DeserializationContext context, Type type) {
            JsonValue value = parser.getValue();
            if (value.getValueType() == JsonValue.ValueType.NULL) {
                return null;
            }
            if (!(value instanceof JsonNumber number)) {
                throw new JsonbException("expected a whole number, got " + describe(value));
            }
            try {
                return number.bigDecimalValue().intValueExact();
            } catch (ArithmeticException e) {
                throw new JsonbException("expected a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE
                        + ", got " + number);
            }
        }
    }

    /** A {@code String} from a JSON string only. */
    static final class StringValue implements JsonbDeserializer<String> {
        @Override
        public String deserialize(JsonParser parser, DeserializationContext context, Type type) {
            JsonValue value = parser.getValue();
            if (value.getValueType() == JsonValue.ValueType.NULL) {
                return null;
            }
            if (!(value instanceof JsonString string)) {
                throw new JsonbException("expected a string, got " + describe(value));
            }
            return string.getString();
        }
    }

    private static String describe(JsonValue value) {
        return switch (value.getValueType()) {
            case NUMBER -> "the number " + value;
            case STRING -> "a string";
            case TRUE, FALSE -> "a boolean";
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case NULL -> "null";
        };
    }
}
