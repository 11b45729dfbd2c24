package dev.hearth.platform;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness for {@code /health/ready}: the database responds within two seconds, the Firecracker
 * binary is executable and the images directory exists. Each finding is in the response's data.
 */
@Readiness
@ApplicationScoped
public class HearthReadiness implements HealthCheck {

    @Inject
    HearthConfig config;

    @Resource(lookup = "java:app/jdbc/hearth")
    DataSource dataSource;

    @Override
    public HealthCheckResponse call() {
        boolean database = databaseAnswers();
        boolean firecracker = Files.isExecutable(config.firecrackerBinary());
        boolean images = Files.isDirectory(config.imagesDir());
        HealthCheckResponseBuilder response = HealthCheckResponse.named("hearth")
                .withData("database", database)
                .withData("firecrackerBinary", config.firecrackerBinary() + (firecracker ? "" : " (not executable)"))
                .withData("imagesDir", config.imagesDir() + (images ? "" : " (missing)"));
        return (database && firecracker && images ? response.up() : response.down()).build();
    }

    private boolean databaseAnswers() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }
}
