package dev.hearth.vms;

import dev.hearth.disks.BaseImage;
import dev.hearth.disks.BaseImages;
import dev.hearth.platform.HearthConfig;
import dev.hearth.platform.HearthException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.List;

/** {@code /api/v1/images}: the base images VMs can boot. */
@Path("images")
@Produces(MediaType.APPLICATION_JSON)
public class ImagesResource {

    /** An image as the REST API shows it. */
    public record ImageView(String name, long rootfsSizeBytes, long rootfsAllocatedBytes, String kernel, String initrd,
                            String bootArgs) {
    }

    @Inject
    HearthConfig config;

    @GET
    public List<ImageView> list() {
        try {
            return new BaseImages(config.imagesDir()).list().stream().map(ImagesResource::view).toList();
        } catch (IOException e) {
            throw new HearthException(500, "Images unreadable", "cannot list " + config.imagesDir() + ": " + e.getMessage(), null);
        }
    }

    private static ImageView view(BaseImage image) {
        return new ImageView(image.name(), image.rootfsSizeBytes(), image.rootfsAllocatedBytes(), image.kernel().toString(),
                image.initrd() == null ? null : image.initrd().toString(), image.bootArgs());
    }
}
