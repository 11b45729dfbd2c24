#!/usr/bin/env bash
# Prepares a Debian 12 machine for Hearth, as root: installs the Debian packages that Hearth, its
# tests and its emulator need when they are missing, starts MariaDB when its socket is missing,
# and builds the base image into HEARTH_IMAGES_DIR (default /var/lib/hearth/images; cached).
# The quickstart, the test command and the benchmark all start with it.
#
# Usage: prepare-host.sh [--database NAME]   (NAME: also create that MariaDB database)
set -euo pipefail

project=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
database=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --database) database=$2; shift 2 ;;
    *) echo "prepare-host: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ -n "$database" && ! "$database" =~ ^[A-Za-z0-9_]{1,64}$ ]]; then
  echo "prepare-host: invalid database name '$database': use 1 to 64 letters, digits or '_'" >&2
  exit 2
fi

log() { printf '%s prepare-host: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ $EUID -ne 0 ]]; then
  echo "prepare-host: must run as root (packages, TAP devices and debootstrap need it)" >&2
  exit 1
fi

# Command, then the Debian package that provides it.
required=(
  java:openjdk-17-jdk-headless mvn:maven qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap
  debugfs:e2fsprogs mkfs.ext4:e2fsprogs ip:iproute2 setpriv:util-linux setsid:util-linux jq:jq curl:curl
  mariadbd:mariadb-server mariadb:mariadb-client
)
missing=()
for entry in "${required[@]}"; do
  PATH=$PATH:/usr/sbin command -v "${entry%%:*}" >/dev/null || missing+=("${entry#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -r /dev/net/tun ]] || { echo "prepare-host: /dev/net/tun is missing; TAP devices cannot be created" >&2; exit 1; }

# Hearth reaches MariaDB over its Unix socket, which also works from inside a network namespace.
if [[ ! -S /run/mysqld/mysqld.sock ]]; then
  log "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    [[ -S /run/mysqld/mysqld.sock ]] && break
    sleep 0.5
  done
  [[ -S /run/mysqld/mysqld.sock ]] || { echo "prepare-host: MariaDB did not open /run/mysqld/mysqld.sock within 30 s" >&2; exit 1; }
fi
if [[ -n "$database" ]]; then
  mariadb -e "CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
fi

"$project/src/main/scripts/build-base-image.sh" --output "${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}"
