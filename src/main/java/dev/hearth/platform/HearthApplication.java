package dev.hearth.platform;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The REST API under {@code /api/v1}, and the data source it stores VMs in. The connection
 * settings come from MicroProfile Config ({@code hearth.db.url}, {@code hearth.db.user},
 * {@code hearth.db.password}); by default MariaDB's Unix socket on this host, database
 * {@code hearth}. The {@code ${MPCONFIG=...}} placeholders are Payara's; other servers define the
 * data source {@code java:app/jdbc/hearth} in their own configuration (see server-config).
 */
@ApplicationPath("/api/v1")
@DataSourceDefinition(
        name = "java:app/jdbc/hearth",
        className = "org.mariadb.jdbc.MariaDbDataSource",
        url = "${MPCONFIG=hearth.db.url}",
        user = "${MPCONFIG=hearth.db.user}",
        password = "${MPCONFIG=hearth.db.password}",
        minPoolSize = 1,
        maxPoolSize = 20)
public class HearthApplication extends Application {
}
