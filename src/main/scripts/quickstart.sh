#!/usr/bin/env bash
# Starts Hearth on this machine, as root on Debian 12: installs what is missing, starts MariaDB,
# builds the base image and the WAR, and runs the WAR on Payara Micro at http://127.0.0.1:8080
# until interrupted. Guests boot with the real Firecracker when a `firecracker` binary is on
# PATH (or named by HEARTH_FIRECRACKER_BINARY) and /dev/kvm exists; otherwise with the
# Firecracker emulator, which boots them in QEMU.
#
# With everything installed and cached by an earlier run, it needs no network at all, so it also
# runs inside a network namespace with no route out.
#
# Environment: HEARTH_PORT (default 8080), HEARTH_STATE_DIR, HEARTH_IMAGES_DIR, and any other
# Hearth setting as an environment variable (see the README's configuration table).
set -euo pipefail

project=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
cd "$project"

log() { printf '%s quickstart: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

export HEARTH_STATE_DIR=${HEARTH_STATE_DIR:-/var/lib/hearth/state}
export HEARTH_IMAGES_DIR=${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}
export HEARTH_DB_URL=${HEARTH_DB_URL:-"jdbc:mariadb://localhost/hearth?localSocket=/run/mysqld/mysqld.sock&sslMode=disable"}
export HEARTH_DB_USER=${HEARTH_DB_USER:-root}
database=$(sed -E 's|^jdbc:mariadb://[^/]*/([^?]*).*$|\1|' <<<"$HEARTH_DB_URL")
if [[ ! "$database" =~ ^[A-Za-z0-9_]{1,64}$ ]]; then
  echo "quickstart: cannot read a database name from HEARTH_DB_URL '$HEARTH_DB_URL'" >&2
  exit 2
fi
port=${HEARTH_PORT:-8080}

src/main/scripts/prepare-host.sh --database "$database"

maven_options=(-B -q -DskipTests)
if [[ -z "$(ip route show default 2>/dev/null)" ]]; then
  log "no default route: building offline from the local Maven repository"
  maven_options+=(-o)
fi
log "building the WAR"
mvn "${maven_options[@]}" package

firecracker=${HEARTH_FIRECRACKER_BINARY:-$(command -v firecracker || true)}
if [[ -n "$firecracker" && -e /dev/kvm ]]; then
  log "using Firecracker at $firecracker"
else
  reason=$([[ -z "$firecracker" ]] && echo "no firecracker binary on PATH" || echo "no /dev/kvm")
  firecracker=$project/src/test/scripts/firecracker-emulator
  log "using the Firecracker emulator ($firecracker) because there is $reason; guests run in QEMU under TCG"
fi
export HEARTH_FIRECRACKER_BINARY=$firecracker

mkdir -p "$HEARTH_STATE_DIR"
# Every /api call needs a bearer token. Hearth stores and compares only its SHA-256; the token
# itself stays in a root-only file for the operator.
token_file=$HEARTH_STATE_DIR/api-token
if [[ -z "${HEARTH_AUTH_TOKEN_SHA256:-}" ]]; then
  if [[ ! -s "$token_file" ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
    log "created an API token in $token_file"
  fi
  HEARTH_AUTH_TOKEN_SHA256=$(tr -d '\n' <"$token_file" | sha256sum | cut -d' ' -f1)
  export HEARTH_AUTH_TOKEN_SHA256
  log "API calls need: Authorization: Bearer \$(cat $token_file)"
fi
# Payara Micro keeps the applications it deployed in its root directory. At the next start it
# would deploy that copy and then the WAR again, so each start begins with an empty one.
rm -rf "$HEARTH_STATE_DIR/payara"
log "starting Payara Micro on http://127.0.0.1:$port (state in $HEARTH_STATE_DIR); stop it with Ctrl-C"
exec java -jar target/payara-micro.jar --nohazelcast --disablephonehome \
  --prebootcommandfile server-config/payara-micro/preboot.txt \
  --rootdir "$HEARTH_STATE_DIR/payara" --port "$port" --contextroot / --deploy target/hearth.war
