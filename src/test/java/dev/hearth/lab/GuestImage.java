package dev.hearth.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A base image built by {@code src/main/scripts/build-base-image.sh}, read from its manifest. */
public record GuestImage(String name, Path rootfs, Path kernel, Path initrd, String bootArgs) {

    /** Loads the image named by {@code hearth.test.image} from the directory {@code hearth.images.dir}. */
    public static GuestImage forTests() throws IOException {
        Path imagesDir = Path.of(System.getProperty("hearth.images.dir", "/var/lib/hearth/images"));
        String name = System.getProperty("hearth.test.image", "debian-bookworm");
        Path manifest = imagesDir.resolve(name).resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            throw new IOException("base image manifest " + manifest + " is missing; build the image with "
                    + "src/main/scripts/build-base-image.sh --output " + imagesDir);
        }
        JsonNode json = new ObjectMapper().readTree(manifest.toFile());
        return new GuestImage(json.get("name").asText(), Path.of(json.at("/rootfs/path").asText()),
                Path.of(json.at("/kernel/path").asText()), Path.of(json.at("/initrd/path").asText()),
                json.get("bootArgs").asText());
    }

    /**
     * Links the test image into {@code imagesDir}, the images directory of a Hearth under test,
     * unless a link is already there; returns the image.
     */
    public static GuestImage linkInto(Path imagesDir) throws IOException {
        GuestImage image = forTests();
        java.nio.file.Files.createDirectories(imagesDir);
        Path link = imagesDir.resolve(image.name());
        if (!java.nio.file.Files.exists(link)) {
            java.nio.file.Files.createSymbolicLink(link, image.rootfs().getParent());
        }
        return image;
    }
}
