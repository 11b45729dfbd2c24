package dev.hearth.disks;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A base image as {@code build-base-image.sh} describes it in {@code manifest.json}.
 *
 * @param rootfsAllocatedBytes the bytes the root filesystem occupies on disk, which a sparse copy needs
 * @param initrd               null when the kernel boots without one
 */
public record BaseImage(String name, Path rootfs, long rootfsSizeBytes, long rootfsAllocatedBytes,
                        Path kernel, Path initrd, String bootArgs) {

    public static final String MANIFEST = "manifest.json";

    /** Reads {@code directory/manifest.json}; fails with the file and the missing field named. */
    public static BaseImage read(Path directory) throws IOException {
        Path manifest = directory.resolve(MANIFEST);
        try (Reader file = Files.newBufferedReader(manifest); JsonReader reader = Json.createReader(file)) {
            JsonObject json = reader.readObject();
            JsonObject rootfs = json.getJsonObject("rootfs");
            JsonObject kernel = json.getJsonObject("kernel");
            JsonObject initrd = json.isNull("initrd") ? null : json.getJsonObject("initrd");
            if (rootfs == null || kernel == null || !json.containsKey("name") || !json.containsKey("bootArgs")) {
                throw new IOException("manifest " + manifest + " lacks name, rootfs, kernel or bootArgs");
            }
            return new BaseImage(json.getString("name"), Path.of(rootfs.getString("path")),
                    rootfs.getJsonNumber("sizeBytes").longValue(), rootfs.getJsonNumber("allocatedBytes").longValue(),
                    Path.of(kernel.getString("path")), initrd == null ? null : Path.of(initrd.getString("path")),
                    json.getString("bootArgs"));
        } catch (JsonException | ClassCastException | NullPointerException e) {
            throw new IOException("manifest " + manifest + " is not valid: " + e.getMessage(), e);
        }
    }
}
