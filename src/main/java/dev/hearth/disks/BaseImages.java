package dev.hearth.disks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The base images in the images directory: one subdirectory each, with a {@code manifest.json}. */
public final class BaseImages {

    private static final Logger LOG = Logger.getLogger(BaseImages.class.getName());
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    private final Path imagesDirectory;

    public BaseImages(Path imagesDirectory) {
        this.imagesDirectory = imagesDirectory;
    }

    /** Every readable image; a directory with a broken manifest is logged and left out. */
    public List<BaseImage> list() throws IOException {
        List<BaseImage> images = new ArrayList<>();
        if (!Files.isDirectory(imagesDirectory)) {
            return images;
        }
        try (Stream<Path> directories = Files.list(imagesDirectory)) {
            for (Path directory : directories.sorted().toList()) {
                if (!Files.isRegularFile(directory.resolve(BaseImage.MANIFEST))) {
                    continue;
                }
                try {
                    images.add(BaseImage.read(directory));
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "Skipping base image in " + directory, e);
                }
            }
        }
        return images;
    }

    /** The image called {@code name}; empty when the name is invalid or no such image exists. */
    public Optional<BaseImage> find(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        Path directory = imagesDirectory.resolve(name);
        if (!Files.isRegularFile(directory.resolve(BaseImage.MANIFEST))) {
            return Optional.empty();
        }
        return Optional.of(BaseImage.read(directory));
    }
}
