#!/usr/bin/env bash
# Runs Hearth's benchmarks as root on Debian 12 and prints a short report:
#  1. the disk step (RootDisks.copy with the strategy Hearth picks) against a plain full copy of
#     a 12 GiB sparse image holding 1 GiB of data (DiskStepBenchmark, under /var/tmp);
#  2. the time from POST /api/v1/vms to Firecracker's InstanceStart, guest boot excluded, p50 and
#     p95 over HEARTH_BENCH_CREATES creates (default 10) after one warm-up create. Hearth runs
#     from quickstart.sh inside a network namespace made by in-test-netns and deleted afterwards;
#  3. in the same namespace, on one RUNNING VM, the latency of the command `true` through
#     POST /api/v1/vms/{id}/commands (Hearth's pooled SSH session) against a fresh SSH connection
#     per command, p50 and p99 over HEARTH_BENCH_COMMAND_ROUNDS rounds (default 200) after
#     HEARTH_BENCH_COMMAND_WARMUP warm-up rounds (default 20) (CommandLatencyBenchmark).
#
# Usage: benchmark.sh
# Environment: HEARTH_BENCH_CREATES (default 10), HEARTH_BENCH_COMMAND_ROUNDS (default 200),
# HEARTH_BENCH_COMMAND_WARMUP (default 20), HEARTH_IMAGES_DIR (default /var/lib/hearth/images).
set -euo pipefail

project=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
cd "$project"

log() { printf '%s benchmark: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

state_dir=/tmp/hearth-bench
port=8080
api=http://127.0.0.1:$port/api/v1
database=hearth_bench
creates=${HEARTH_BENCH_CREATES:-10}
command_rounds=${HEARTH_BENCH_COMMAND_ROUNDS:-200}
command_warmup=${HEARTH_BENCH_COMMAND_WARMUP:-20}

# Milliseconds since the epoch.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Prints "p50 p95" of the numbers in FILE (one per line), by the nearest-rank method.
percentiles() {
  sort -n "$1" | awk '{ v[NR] = $1 }
    END { printf "%d %d\n", v[int((NR * 50 + 99) / 100)], v[int((NR * 95 + 99) / 100)] }'
}

# Prints the median of the numbers in FILE (one per line). For an even count it prints the lower middle one.
median() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Creates one VM, waits until it is BOOTING or RUNNING with its start-firecracker timing recorded,
# deletes it, and prints "server_ms client_ms allocate copy inject tap start". Server time is the
# sum of the five provisioning steps up to InstanceStart. Client time runs from sending the POST
# to the first GET that shows BOOTING (or RUNNING), so polling adds up to one interval to it.
create_and_delete() {
  local name=$1 started response id vm state client_ms="" deadline status
  started=$(now_ms)
  response=$(curl -sS "${auth[@]}" --fail-with-body -X POST -H 'Content-Type: application/json' \
    -d "{\"name\":\"$name\"}" "$api/vms") || { log "POST $api/vms failed: $response"; return 1; }
  id=$(jq -r .id <<<"$response")
  deadline=$(( started + 120000 ))
  while true; do
    vm=$(curl -sS "${auth[@]}" --fail-with-body "$api/vms/$id") || { log "GET $api/vms/$id failed: $vm"; return 1; }
    state=$(jq -r .state <<<"$vm")
    case "$state" in
      BOOTING|RUNNING)
        [[ -n "$client_ms" ]] || client_ms=$(( $(now_ms) - started ))
        # The state turns BOOTING just before start-firecracker's timing is stored.
        jq -e '.timings | has("start-firecracker")' <<<"$vm" >/dev/null && break
        ;;
      PROVISIONING) ;;
      *) log "VM $id ($name) is $state: $(jq -r '.stateReason // ""' <<<"$vm")"; return 1 ;;
    esac
    if (( $(now_ms) > deadline )); then
      log "VM $id ($name) is still $state after 120 s"
      return 1
    fi
    sleep 0.05
  done
  status=$(curl -sS "${auth[@]}" -o /dev/null -w '%{http_code}' -X DELETE "$api/vms/$id")
  if [[ "$status" != 204 ]]; then
    log "DELETE $api/vms/$id answered $status, not 204"
    return 1
  fi
  jq -r --argjson client "$client_ms" '.timings as $t
    | ["allocate-slot", "copy-disk", "inject-files", "create-tap", "start-firecracker"] as $steps
    | [($steps | map($t[.]) | add), $client] + ($steps | map($t[.]))
    | @tsv' <<<"$vm"
}

# Creates one VM, waits until it is RUNNING, runs CommandLatencyBenchmark against it (output to
# $state_dir/commands.txt and standard output), and deletes the VM, also when the benchmark fails.
command_latency() {
  local response id status waits=0 host host_key benchmark_status=0
  response=$(curl -sS "${auth[@]}" --fail-with-body -X POST -H 'Content-Type: application/json' \
    -d '{"name":"bench-commands"}' "$api/vms") || { log "POST $api/vms failed: $response"; return 1; }
  id=$(jq -r .id <<<"$response")

  # The id goes into an SQL statement below, so it must be the UUID Hearth makes.
  if [[ ! "$id" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
    log "POST $api/vms returned an id that is not a UUID: $response"
    return 1
  fi

  # Each wait lasts at most 20 s and is repeated while it returns 408. Hearth gives up on a boot
  # after hearth.boot-timeout-seconds (180 s by default) and then returns 409, so 12 waits suffice.
  while true; do
    status=$(curl -sS "${auth[@]}" -o "$state_dir/wait.json" -w '%{http_code}' \
      "$api/vms/$id/wait?state=RUNNING&timeoutSeconds=20") || status=000
    waits=$((waits + 1))
    [[ "$status" == 408 && $waits -lt 12 ]] || break
  done
  if [[ "$status" != 200 ]]; then
    log "VM $id did not become RUNNING: wait returned $status: $(cat "$state_dir/wait.json" 2>/dev/null)"
    curl -sS "${auth[@]}" -o /dev/null -X DELETE "$api/vms/$id" || true
    return 1
  fi

  host=$(jq -r .guestAddress "$state_dir/wait.json")
  host_key=$(mariadb -N -e "SELECT host_public_key FROM vms WHERE id='$id'" "$database") || host_key=""
  if [[ -z "$host" || "$host" == null || -z "$host_key" || "$host_key" == NULL ]]; then
    log "VM $id: no guest address ('$host') or no pinned host key in $database"
    curl -sS "${auth[@]}" -o /dev/null -X DELETE "$api/vms/$id" || true
    return 1
  fi

  log "VM $id is RUNNING at $host; $command_rounds rounds of 'true' after $command_warmup warm-up rounds"
  java -cp "target/classes:target/test-classes:$(cat target/emulator-classpath.txt)" \
    dev.hearth.bench.CommandLatencyBenchmark --api "$api" --vm "$id" --host "$host" --host-key "$host_key" \
    --identity "$HEARTH_STATE_DIR/ssh/id_ecdsa" --rounds "$command_rounds" --warmup "$command_warmup" \
    | tee "$state_dir/commands.txt" || benchmark_status=$?

  status=$(curl -sS "${auth[@]}" -o /dev/null -w '%{http_code}' -X DELETE "$api/vms/$id")
  if [[ "$status" != 204 ]]; then
    log "DELETE $api/vms/$id returned $status, not 204"
    return 1
  fi
  return "$benchmark_status"
}

# Runs inside the network namespace: starts Hearth, measures the creates and the command
# latency, stops Hearth.
api_benchmark() {
  local server_log=$state_dir/quickstart.log results=$state_dir/creates.tsv payara_pid line i
  log "starting Hearth with quickstart.sh in network namespace $HEARTH_TEST_NETNS (log: $server_log)"
  src/main/scripts/quickstart.sh >"$server_log" 2>&1 &
  # quickstart.sh ends with exec java, so this PID becomes Payara Micro's.
  payara_pid=$!
  stop_payara() {
    if kill -0 "$payara_pid" 2>/dev/null; then
      log "stopping Payara Micro (pid $payara_pid)"
      kill -TERM "$payara_pid"
      for _ in $(seq 1 300); do
        kill -0 "$payara_pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$payara_pid" 2>/dev/null; then
        log "Payara Micro (pid $payara_pid) still runs 30 s after SIGTERM; sending SIGKILL"
        kill -KILL "$payara_pid" 2>/dev/null || true
      fi
    fi
  }
  fail() {
    log "$1; last lines of $server_log:"
    tail -n 40 "$server_log" >&2 || true
    stop_payara
    exit 1
  }

  # quickstart.sh builds the WAR again (offline) and writes the API token to the state directory
  # before Payara Micro starts.
  for i in $(seq 1 600); do
    if [[ -s "$state_dir/api-token" ]]; then
      auth=(-H "Authorization: Bearer $(cat "$state_dir/api-token")")
      export HEARTH_API_TOKEN=$(cat "$state_dir/api-token")
      curl -sf "${auth[@]}" "$api/images" >/dev/null && break
    fi
    kill -0 "$payara_pid" 2>/dev/null || fail "quickstart.sh exited before Hearth answered"
    (( i < 600 )) || fail "Hearth did not answer GET $api/images within 300 s"
    sleep 0.5
  done
  log "Hearth answers on $api"

  : >"$results"
  log "warm-up create, not counted"
  line=$(create_and_delete bench-warmup) || fail "warm-up create failed"
  echo "$line" >"$state_dir/warmup.tsv"
  for i in $(seq 1 "$creates"); do
    line=$(create_and_delete "bench-$i") || fail "create $i failed"
    echo "$line" >>"$results"
    log "create $i/$creates: server $(cut -f1 <<<"$line") ms, client $(cut -f2 <<<"$line") ms"
  done
  log "command latency benchmark: pooled session through the API against a fresh SSH connection"
  command_latency || fail "command latency benchmark failed"
  stop_payara
}

if [[ "${1:-}" == --in-namespace ]]; then
  api_benchmark
  exit 0
fi
if [[ $# -gt 0 ]]; then
  sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
if [[ $EUID -ne 0 ]]; then
  echo "benchmark: must run as root (network namespaces, TAP devices and dropping the page cache need it)" >&2
  exit 1
fi
if [[ -e "$state_dir" ]]; then
  echo "benchmark: $state_dir exists; another benchmark may be running. Remove it if none is." >&2
  exit 1
fi

# Everything quickstart.sh needs is installed here, because the namespace has no route to Debian's mirrors.
export HEARTH_IMAGES_DIR=${HEARTH_IMAGES_DIR:-/var/lib/hearth/images}
src/main/scripts/prepare-host.sh

log "building with mvn package"
mvn -B -q -DskipTests package >&2

log "disk step benchmark (5 repetitions of each copy)"
disk_report=$(mktemp)
cleanup() {
  local status=$?
  rm -f "$disk_report"
  mariadb -e "DROP DATABASE IF EXISTS $database" || true
  rm -rf "$state_dir"
  exit "$status"
}
trap cleanup EXIT
java -cp "target/classes:target/test-classes:$(cat target/emulator-classpath.txt)" \
  dev.hearth.bench.DiskStepBenchmark --repetitions 5 | tee "$disk_report"

log "API benchmarks in a network namespace: $creates creates, then $command_rounds rounds of the command latency benchmark"
mariadb -e "DROP DATABASE IF EXISTS $database; CREATE DATABASE $database CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
mkdir -p "$state_dir"
export HEARTH_STATE_DIR=$state_dir HEARTH_PORT=$port
export HEARTH_DB_URL="jdbc:mariadb://localhost/$database?localSocket=/run/mysqld/mysqld.sock&sslMode=disable"
export HEARTH_BENCH_CREATES=$creates HEARTH_BENCH_COMMAND_ROUNDS=$command_rounds HEARTH_BENCH_COMMAND_WARMUP=$command_warmup
src/test/scripts/in-test-netns "$project/src/test/scripts/benchmark.sh" --in-namespace

results=$state_dir/creates.tsv
if [[ $(wc -l <"$results") -ne $creates ]]; then
  echo "benchmark: expected $creates results in $results, found $(wc -l <"$results")" >&2
  exit 1
fi
if ! grep -q '^fresh/pooled' "$state_dir/commands.txt" 2>/dev/null; then
  echo "benchmark: no command latency results in $state_dir/commands.txt" >&2
  exit 1
fi
cut -f1 "$results" >"$state_dir/server"
cut -f2 "$results" >"$state_dir/client"
read -r server_p50 server_p95 < <(percentiles "$state_dir/server")
read -r client_p50 client_p95 < <(percentiles "$state_dir/client")
steps=""
for column in 3 4 5 6 7; do
  cut -f"$column" "$results" >"$state_dir/step"
  steps+=" $(median "$state_dir/step")"
done
read -r allocate copy inject tap start <<<"$steps"

cat <<EOF

== Report ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(free -h | awk '/^Mem:/ { print $2 }') RAM) ==
Disk step, 12 GiB sparse image with 1 GiB of data, medians of 5 alternating repetitions:
$(grep -E '^(median|allocated per copy|page cache)' "$disk_report" | sed 's/^/  /')
POST to InstanceStart, guest boot excluded, $creates creates one after another (nearest-rank percentiles):
  server (sum of allocate-slot..start-firecracker timings): p50 $server_p50 ms, p95 $server_p95 ms
  client (POST sent to first GET showing BOOTING, 50 ms polling): p50 $client_p50 ms, p95 $client_p95 ms
  step medians: allocate-slot $allocate, copy-disk $copy, inject-files $inject, create-tap $tap, start-firecracker $start (ms)
  warm-up create (not counted): server $(cut -f1 "$state_dir/warmup.tsv") ms, client $(cut -f2 "$state_dir/warmup.tsv") ms
Command 'true' in one RUNNING VM, $command_rounds rounds after $command_warmup warm-up rounds (nearest-rank percentiles):
  (a) pooled: POST /vms/{id}/commands, timed at the client, includes HTTP and Hearth's work
  (b) fresh: a new SSH connection per command from the benchmark, SSH only
  (c) reference: a new channel on one SSH session the benchmark keeps open, SSH only
$(sed -n '/^ms /,$p' "$state_dir/commands.txt" | sed 's/^/  /')
EOF
