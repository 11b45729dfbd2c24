#!/usr/bin/env bash
# Runs every Hearth test on a Debian machine, as root: installs the Debian packages the tests
# need when they are missing, builds the base image (cached in HEARTH_IMAGES_DIR), runs the unit
# and contract tests, then runs the booted-guest integration tests inside a network namespace of
# their own, which it removes afterwards.
#
# Usage: run-tests.sh [extra Maven arguments for both phases, e.g. -Dit.test=GuestBootIT]
set -euo pipefail

project=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
cd "$project"
images_dir=${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}

log() { printf '%s run-tests: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ $EUID -ne 0 ]]; then
  echo "run-tests: must run as root (network namespaces, TAP devices and debootstrap need it)" >&2
  exit 1
fi

# Command, then the Debian package that provides it.
required=(
  java:openjdk-17-jdk-headless
  mvn:maven
  qemu-system-x86_64:qemu-system-x86
  debootstrap:debootstrap
  debugfs:e2fsprogs
  mkfs.ext4:e2fsprogs
  ip:iproute2
  setpriv:util-linux
  setsid:util-linux
  jq:jq
  mariadbd:mariadb-server
  mariadb:mariadb-client
)
missing=()
for entry in "${required[@]}"; do
  command -v "${entry%%:*}" >/dev/null || PATH=$PATH:/usr/sbin command -v "${entry%%:*}" >/dev/null \
    || missing+=("${entry#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -r /dev/net/tun ]] || { echo "run-tests: /dev/net/tun is missing; TAP devices cannot be created" >&2; exit 1; }

started=$(date +%s)
src/main/scripts/build-base-image.sh --output "$images_dir"

# MariaDB from Debian's packages, reached over its Unix socket (the test namespace has its own
# loopback, so TCP to the host's server would not work there). The tests get a database of their own.
if [[ ! -S /run/mysqld/mysqld.sock ]]; then
  log "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    [[ -S /run/mysqld/mysqld.sock ]] && break
    sleep 0.5
  done
fi
mariadb -e "DROP DATABASE IF EXISTS hearth_it; CREATE DATABASE hearth_it CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
it_dir=/tmp/hearth-it
rm -rf "$it_dir"
cleanup() {
  mariadb -e "DROP DATABASE IF EXISTS hearth_it" || true
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
