/**
 * What every feature shares: configuration (MicroProfile Config), the JAX-RS application,
 * errors as RFC 9457 problem details, the data source and the schema migrations.
 */
package dev.hearth.platform;
