package dev.hearth.firecracker.emulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The fields of one Firecracker request body and a strict reader for it. Errors read as the
 * serde messages Firecracker returns ({@code unknown field `x`, expected one of ...},
 * {@code missing field `x`}, {@code invalid type: ...}), each with its line and column.
 */
final class BodySchema {

    enum Kind { STRING, BOOLEAN, U8, U16, U64, USIZE, OBJECT, STRING_LIST, STRING_MAP, ANY }

    record Field(String name, Kind kind, boolean required, List<String> variants, BodySchema nested) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory FACTORY = MAPPER.getFactory();

    private final String typeName;
    private final Map<String, Field> fields = new LinkedHashMap<>();

    BodySchema(String typeName) {
        this.typeName = typeName;
    }

    BodySchema required(String name, Kind kind) {
        fields.put(name, new Field(name, kind, true, List.of(), null));
        return this;
    }

    BodySchema optional(String name, Kind kind) {
        fields.put(name, new Field(name, kind, false, List.of(), null));
        return this;
    }

    BodySchema requiredVariant(String name, String... variants) {
        fields.put(name, new Field(name, Kind.STRING, true, List.of(variants), null));
        return this;
    }

    BodySchema optionalVariant(String name, String... variants) {
        fields.put(name, new Field(name, Kind.STRING, false, List.of(variants), null));
        return this;
    }

    BodySchema optionalObject(String name, BodySchema nested) {
        fields.put(name, new Field(name, Kind.OBJECT, false, List.of(), nested));
        return this;
    }

    /** Reads a whole request body; fields given as {@code null} are left out, as serde does for options. */
    ObjectNode read(byte[] body) throws ApiFault {
        try (JsonParser parser = FACTORY.createParser(body)) {
            ObjectNode result = readObject(parser, parser.nextToken());
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw fault(parser, "trailing characters");
            }
            return result;
        } catch (JsonProcessingException e) {
            JsonLocation location = e.getLocation();
            String where = location == null ? ""
                    : " at line " + location.getLineNr() + " column " + location.getColumnNr();
            throw ApiFault.badRequest(syntaxError(e.getOriginalMessage()) + where);
        } catch (IOException e) {
            throw ApiFault.badRequest("Failed to read the request body: " + e.getMessage());
        }
    }

    /** Shortens Jackson's syntax error to serde's wording where they mean the same. */
    private static String syntaxError(String jacksonMessage) {
        if (jacksonMessage.startsWith("Unexpected end-of-input")) {
            return "EOF while parsing a value";
        }
        int detail = jacksonMessage.indexOf(" (");
        String first = detail > 0 ? jacksonMessage.substring(0, detail) : jacksonMessage;
        return first.lines().findFirst().orElse(first);
    }

    private ObjectNode readObject(JsonParser parser, JsonToken start) throws IOException, ApiFault {
        if (start == null) {
            throw fault(parser, "EOF while parsing a value");
        }
        if (start != JsonToken.START_OBJECT) {
            throw fault(parser, "invalid type: " + describe(parser, start) + ", expected struct " + typeName);
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        Set<String> seen = new HashSet<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String name = parser.currentName();
            Field field = fields.get(name);
            if (field == null) {
                throw fault(parser, "unknown field `" + name + "`, " + expectedNames(fields.keySet()));
            }
            if (!seen.add(name)) {
                throw fault(parser, "duplicate field `" + name + "`");
            }
            JsonNode value = readValue(parser, field, parser.nextToken());
            if (value != null) {
                result.set(name, value);
            }
        }
        for (Field field : fields.values()) {
            if (field.required() && !result.has(field.name())) {
                throw fault(parser, "missing field `" + field.name() + "`");
            }
        }
        return result;
    }

    private JsonNode readValue(JsonParser parser, Field field, JsonToken token) throws IOException, ApiFault {
        if (token == JsonToken.VALUE_NULL && !field.required()) {
            return null;
        }
        return switch (field.kind()) {
            case STRING -> readString(parser, field, token);
            case BOOLEAN -> {
                if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
                    throw invalidType(parser, token, "a boolean");
                }
                yield JsonNodeFactory.instance.booleanNode(token == JsonToken.VALUE_TRUE);
            }
            case U8 -> readUnsigned(parser, token, "u8", BigInteger.valueOf(255));
            case U16 -> readUnsigned(parser, token, "u16", BigInteger.valueOf(65_535));
            case U64, USIZE -> readUnsigned(parser, token, field.kind().name().toLowerCase(),
                    BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
            case OBJECT -> field.nested().readObject(parser, token);
            case STRING_LIST -> {
                if (token != JsonToken.START_ARRAY) {
                    throw invalidType(parser, token, "a sequence");
                }
                JsonNode list = MAPPER.readTree(parser);
                for (JsonNode element : list) {
                    if (!element.isTextual()) {
                        throw fault(parser, "invalid type: " + element.getNodeType().name().toLowerCase()
                                + ", expected a string");
                    }
                }
                yield list;
            }
            case STRING_MAP -> {
                if (token != JsonToken.START_OBJECT) {
                    throw invalidType(parser, token, "a map");
                }
                JsonNode map = MAPPER.readTree(parser);
                for (JsonNode element : map) {
                    if (!element.isTextual()) {
                        throw fault(parser, "invalid type: " + element.getNodeType().name().toLowerCase()
                                + ", expected a string");
                    }
                }
                yield map;
            }
            case ANY -> MAPPER.readTree(parser);
        };
    }

    private static JsonNode readString(JsonParser parser, Field field, JsonToken token) throws IOException, ApiFault {
        if (token != JsonToken.VALUE_STRING) {
            throw invalidType(parser, token, "a string");
        }
        String text = parser.getText();
        if (!field.variants().isEmpty() && !field.variants().contains(text)) {
            throw fault(parser, "unknown variant `" + text + "`, " + expectedNames(field.variants()));
        }
        return JsonNodeFactory.instance.textNode(text);
    }

    private static JsonNode readUnsigned(JsonParser parser, JsonToken token, String type, BigInteger max)
            throws IOException, ApiFault {
        if (token != JsonToken.VALUE_NUMBER_INT) {
            throw invalidType(parser, token, type);
        }
        BigInteger value = parser.getBigIntegerValue();
        if (value.signum() < 0 || value.compareTo(max) > 0) {
            throw fault(parser, "invalid value: integer `" + value + "`, expected " + type);
        }
        return JsonNodeFactory.instance.numberNode(value.longValue());
    }

    private static ApiFault invalidType(JsonParser parser, JsonToken token, String expected) throws IOException {
        return fault(parser, "invalid type: " + describe(parser, token) + ", expected " + expected);
    }

    private static String describe(JsonParser parser, JsonToken token) throws IOException {
        return switch (token) {
            case VALUE_STRING -> "string \"" + parser.getText() + "\"";
            case VALUE_NUMBER_INT -> "integer `" + parser.getText() + "`";
            case VALUE_NUMBER_FLOAT -> "floating point `" + parser.getText() + "`";
            case VALUE_TRUE, VALUE_FALSE -> "boolean `" + parser.getText() + "`";
            case VALUE_NULL -> "null";
            case START_ARRAY -> "sequence";
            case START_OBJECT -> "map";
            default -> token.asString() == null ? token.name() : token.asString();
        };
    }

    private static String expectedNames(java.util.Collection<String> names) {
        List<String> quoted = new ArrayList<>();
        for (String name : names) {
            quoted.add("`" + name + "`");
        }
        if (quoted.size() == 1) {
            return "expected " + quoted.get(0);
        }
        return "expected one of " + quoted.stream().collect(Collectors.joining(", "));
    }

    private static ApiFault fault(JsonParser parser, String message) {
        JsonLocation location = parser.currentLocation();
        return ApiFault.badRequest(message + " at line " + location.getLineNr() + " column " + location.getColumnNr());
    }
}
