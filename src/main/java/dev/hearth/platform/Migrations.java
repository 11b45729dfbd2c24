package dev.hearth.platform;

import jakarta.annotation.PostConstruct;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.util.logging.Level;
import java.util.logging.Logger;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the database schema up to date with Flyway when the application starts, before any
 * request. Flyway opens its own JDBC connection from the same settings as the data source: the
 * server's pooled connections are XA connections, on which Flyway's own commits are rejected.
 */
@Singleton
@Startup
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class Migrations {

    private static final Logger LOG = Logger.getLogger(Migrations.class.getName());

    @Inject
    @ConfigProperty(name = "hearth.db.url")
    String url;

    @Inject
    @ConfigProperty(name = "hearth.db.user")
    String user;

    @Inject
    @ConfigProperty(name = "hearth.db.password")
    Optional<String> password;

    @PostConstruct
    void migrate() {
        Flyway flyway = Flyway.configure(Migrations.class.getClassLoader())
                .dataSource(url, user, password.orElse(""))
                .locations("classpath:db/migration")
                .load();
        MigrateResult result = flyway.migrate();
        // The result names a target version only when this start applied migrations.
        String version = result.targetSchemaVersion != null ? result.targetSchemaVersion
                : String.valueOf(flyway.info().current() == null ? null : flyway.info().current().getVersion());
        LOG.log(Level.INFO, "Database schema at version {0} ({1} migrations applied now)",
                new Object[] {version, result.migrationsExecuted});
    }
}
