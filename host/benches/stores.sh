#!/usr/bin/env bash
# sled vs PostgreSQL, one host, in one run (BENCHMARKS.md, "sled and
# PostgreSQL"): wrk loads a structure's homepage (a read page: session,
# structure, membership, installs — one read per page) and a kv write page
# (the fixture area's /kv/set: one sandboxed call whose write is committed
# durably before the answer), first on a server with sled, then on one with
# PostgreSQL (the server `.ci/postgres` starts, unless PORTICO_BENCH_POSTGRES
# names another). Prints requests/s, latency, and CPU per request of the
# portico process and of the PostgreSQL server's processes.
#
# With PostgreSQL, the same again with two and three hosts on one database
# (PG_HOSTS, "1 2 3"): each its own process, data directory and compile
# cache; wrk loads all of them at once, the connections split between them.
#
# Knobs: DURATION (s per URL, 8), WARMUP (2), CONNECTIONS (16), PG_HOSTS,
# PORTICO_BIN (a prebuilt release portico). Needs wrk (Debian's; installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=host/benches/common.sh
source host/benches/common.sh

DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-16}
PG_HOSTS=${PG_HOSTS:-1 2 3}
SIRET=73282932000074

if ! command -v wrk >/dev/null; then
    apt-get install -y -qq wrk >/dev/null
fi
./.ci/build-plugins >/dev/null
if [[ -z "${PORTICO_BIN:-}" ]]; then
    cargo build --release -p portico
    PORTICO_BIN=target/release/portico
fi
PG=${PORTICO_BENCH_POSTGRES:-$(./.ci/postgres)}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    stop_servers
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/areas.yaml" <<EOF
areas:
  - id: homepage
    title: Logged-in homepage
    plugin: $PWD/plugins/homepage.wasm
    version: 1.0.0
    order: 10
    capabilities: [log]
  - id: fixture
    title: Fixture
    plugin: $PWD/plugins/fixture.wasm
    version: 1.0.0
    order: 50
    capabilities: [kv, facts, log]
  - id: my-account
    title: My account
    plugin: $PWD/plugins/my-account.wasm
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
EOF

# wrk: a new key per request. Every thread of every wrk (one per host) gets
# its own tag (the host's port and the thread's number) and counts, and the
# second the run started keeps the warm-up's keys apart from the run's.
cat >"$WORK/kv.lua" <<EOF
local threads = 0
function setup(thread)
  thread:set("tag", (tostring(thread.addr):gsub("[^%d]", "")) .. "t" .. threads .. "s" .. os.time())
  threads = threads + 1
end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/s/$SIRET/fixture/kv/set?key=" .. tag .. "n" .. n .. "&value=" .. string.rep("v", 200))
end
EOF

# Starts HOSTS `portico serve` processes on the store named by "$@" (each
# with its own data directory, compile cache and host id: one machine of a
# deployment each); BASES holds their addresses, BASE the first's.
start_servers() {
    local hosts=$1 i base
    shift
    PIDS=()
    BASES=()
    for i in $(seq 1 "$hosts"); do
        rm -rf "$WORK/data-$i"
        : >"$WORK/stdout-$i"
        RUST_LOG=warn PORTICO_HOST_ID="bench-$i" PORTICO_COMPILE_CACHE="$WORK/cache-$i" "$PORTICO_BIN" serve \
            --listen 127.0.0.1:0 --config "$WORK/areas.yaml" --plugin-dir "$PWD/plugins" \
            --data "$WORK/data-$i" "$@" >"$WORK/stdout-$i" 2>"$WORK/stderr-$i" &
        PIDS+=("$!")
        base=$(wait_listening "${PIDS[-1]}" "$WORK/stdout-$i" "$WORK/stderr-$i" 600 "stores.sh (host $i)")
        BASES+=("$base")
    done
    BASE=${BASES[0]}
}

stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}


# Signs up Ada on the first host, opens the confirmation link it mailed,
# signs in and creates the structure; sets COOKIE (valid on every host: the
# session is in the shared store).
sign_in() {
    local base code
    bench_account "$WORK/data-1/mailbox" required stores.sh
    # Every host must answer both pages with the session, or the figures
    # mean nothing.
    for base in "${BASES[@]}"; do
        code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$base/s/$SIRET/homepage")
        if [[ "$code" != 200 ]] || ! grep -q "Ada" "$WORK/page.html"; then
            echo "stores.sh: the homepage on $base answered $code; cannot measure" >&2
            exit 1
        fi
        code=$(curl -s -o "$WORK/kv.json" -w '%{http_code}' -H "Cookie: $COOKIE" -H 'accept: application/json' \
            "$base/s/$SIRET/fixture/kv/set?key=probe&value=1")
        if [[ "$code" != 200 ]]; then
            echo "stores.sh: the kv write page on $base answered $code; cannot measure" >&2
            cat "$WORK/kv.json" >&2
            exit 1
        fi
    done
}

# CPU ticks (user + system) of the portico servers, and of every process of
# the postgres user (the PostgreSQL server: its backends serve our pools).
ticks() {
    local pg=0 portico=0 pid
    for pid in $(pgrep -u postgres 2>/dev/null || true); do
        pg=$((pg + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    for pid in "${PIDS[@]}"; do
        portico=$((portico + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$portico $pg"
}

# wrk on every host at once (the connections split between them, as a load
# balancer would), then the sum of their requests/s and the worst p50/p99.
measure() {
    local label=$1 before pg_before after pg_after n=${#BASES[@]} i threads conns
    shift
    conns=$(( (CONNECTIONS + n - 1) / n ))
    threads=$(( n > 1 ? 1 : 2 ))
    # (`wait` for the wrk processes only: the servers are children too.)
    local loaders=()
    for i in "${!BASES[@]}"; do
        wrk -t"$threads" -c"$conns" -d"${WARMUP}s" -H "Cookie: $COOKIE" "$@" "${BASES[$i]}$PAGE" >/dev/null &
        loaders+=("$!")
    done
    wait "${loaders[@]}"
    loaders=()
    read -r before pg_before <<<"$(ticks)"
    for i in "${!BASES[@]}"; do
        wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -H "Cookie: $COOKIE" "$@" "${BASES[$i]}$PAGE" \
            >"$WORK/wrk-$i" &
        loaders+=("$!")
    done
    wait "${loaders[@]}"
    read -r after pg_after <<<"$(ticks)"
    local rps=0 p50=0 p99=0 requests=0 hz
    for i in "${!BASES[@]}"; do
        if grep -q "Non-2xx" "$WORK/wrk-$i"; then
            echo "stores.sh: $label on host $((i + 1)) got error responses:" >&2
            cat "$WORK/wrk-$i" >&2
            exit 1
        fi
        rps=$(awk -v a="$rps" '/^Requests\/sec:/ { print a + $2 }' "$WORK/wrk-$i")
        requests=$(awk -v a="$requests" '/requests in/ { print a + $1 }' "$WORK/wrk-$i")
        p50=$(awk -v a="$p50" '$1 == "50%" { v = ms($2); print (v > a + 0 ? v : a) }
            function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }' "$WORK/wrk-$i")
        p99=$(awk -v a="$p99" '$1 == "99%" { v = ms($2); print (v > a + 0 ? v : a) }
            function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }' "$WORK/wrk-$i")
    done
    hz=$(getconf CLK_TCK)
    printf "%-10s %5s %-9s %10.0f %9.2f %9.2f %14.0f %14.0f\n" "$STORE_NAME" "$n" "$label" "$rps" "$p50" "$p99" \
        "$(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN { print t / hz * 1e6 / n }')" \
        "$(awk -v t=$((pg_after - pg_before)) -v n="$requests" -v hz="$hz" 'BEGIN { print t / hz * 1e6 / n }')"
}

run_store() {
    STORE_NAME=$1
    local hosts=$2
    shift 2
    start_servers "$hosts" "$@"
    sign_in
    PAGE="/s/$SIRET/homepage" measure homepage
    PAGE="" measure kv-write -H 'accept: application/json' -s "$WORK/kv.lua"
    stop_servers
}

echo "portico $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "wrk -c$CONNECTIONS -d${DURATION}s per URL, split between the hosts; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %5s %-9s %10s %9s %9s %14s %14s\n" store hosts page "req/s" "p50 ms" "p99 ms" "portico µs/req" "postgres µs/req"
run_store sled 1
sep='?'
[[ "$PG" == *\?* ]] && sep='&'
for hosts in $PG_HOSTS; do
    # A fresh schema per run: every run starts from an empty portal.
    run_store postgres "$hosts" --store "$PG${sep}schema=bench_stores_$$_$hosts"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
