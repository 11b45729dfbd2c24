#!/usr/bin/env bash
# Runs every Hearth test on a Debian machine, as root: prepares the host with prepare-host.sh
# (Debian packages, MariaDB, the base image cached in HEARTH_IMAGES_DIR), runs the unit
# and contract tests, then runs the booted-guest integration tests inside a network namespace of
# their own, which it removes afterwards.
#
# Usage: run-tests.sh [extra Maven arguments for both phases, e.g. -Dit.test=GuestBootIT]
set -euo pipefail

project=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
cd "$project"
export HEARTH_IMAGES_DIR=${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}
images_dir=$HEARTH_IMAGES_DIR

log() { printf '%s run-tests: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

started=$(date +%s)
src/main/scripts/prepare-host.sh

# The tests get a database of their own, dropped at the end.
mariadb -e "DROP DATABASE IF EXISTS hearth_it; CREATE DATABASE hearth_it CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
it_dir=/tmp/hearth-it
rm -rf "$it_dir"
cleanup() {
  # The tests on a Payara Micro process of their own create hearth_restart, hearth_race and
  # hearth_disk, and drop them when they end.
  mariadb -e "DROP DATABASE IF EXISTS hearth_it; DROP DATABASE IF EXISTS hearth_restart;
    DROP DATABASE IF EXISTS hearth_race; DROP DATABASE IF EXISTS hearth_disk" || true
  rm -rf "$it_dir"
  rm -rf /tmp/arquillian-payara-micro* /tmp/payaramicro-rt* 2>/dev/null || true
}
trap cleanup EXIT

# Phase 1, on the host's network: resolve every dependency and plugin (the namespace has no
# route to a Maven repository) and run the unit and contract tests, which boot no networked guest.
log "unit and contract tests"
mvn -B verify -DskipITs -Dhearth.images.dir="$images_dir" "$@"

# Phase 2, offline inside a fresh network namespace: the booted-guest integration tests.
log "booted-guest integration tests in a test network namespace"
src/test/scripts/in-test-netns mvn -o -B verify -DskipUnitTests=true -Dhearth.images.dir="$images_dir" "$@"

log "all tests passed in $(( $(date +%s) - started )) s"
