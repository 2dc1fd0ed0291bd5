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
# Knobs: DURATION (s per URL, 8), WARMUP (2), CONNECTIONS (16), PORTICO_BIN
# (a prebuilt release portico). Needs wrk (Debian's; installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-16}
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
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
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

# wrk: a new key per request (a random one: wrk's threads share no counter).
cat >"$WORK/kv.lua" <<EOF
math.randomseed(os.time())
request = function()
  return wrk.format(nil, "/s/$SIRET/fixture/kv/set?key=k" .. math.random(1, 1000000000) .. "&value=" .. string.rep("v", 200))
end
EOF

start_server() {
    rm -rf "$WORK/data"
    : >"$WORK/stdout"
    RUST_LOG=warn PORTICO_COMPILE_CACHE="$WORK/cache" "$PORTICO_BIN" serve --listen 127.0.0.1:0 \
        --config "$WORK/areas.yaml" --plugin-dir "$PWD/plugins" --data "$WORK/data" "$@" \
        >"$WORK/stdout" 2>"$WORK/stderr" &
    SERVER_PID=$!
    BASE=
    for _ in $(seq 1 600); do
        BASE=$(sed -n 's/^Portico listening on \(http:[^ ]*\).*/\1/p' "$WORK/stdout")
        [[ -n "$BASE" ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "stores.sh: portico exited:" >&2
            cat "$WORK/stderr" >&2
            exit 1
        fi
        sleep 0.1
    done
    [[ -n "$BASE" ]] || { echo "stores.sh: portico did not start" >&2; exit 1; }
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

csrf_of() {
    curl -fsS -b "$WORK/jar" -c "$WORK/jar" "$BASE$1" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1
}

sign_in() {
    rm -f "$WORK/jar"
    local token
    token=$(csrf_of /signup)
    curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
        --data-urlencode first-name=Ada --data-urlencode last-name=Bench \
        --data-urlencode email=ada@bench.example --data-urlencode "password=correct horse battery staple" \
        "$BASE/signup"
    token=$(csrf_of /me/my-account)
    curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
        --data-urlencode identifier-type=siret --data-urlencode "identifier=$SIRET" \
        --data-urlencode "name=Ateliers Dupont" --data-urlencode kind=private \
        "$BASE/me/my-account/structures"
    COOKIE=$(awk '!/^#/ || /^#HttpOnly_/ { sub(/^#HttpOnly_/, ""); if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$WORK/jar")
    local code
    code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/s/$SIRET/homepage")
    if [[ "$code" != 200 ]] || ! grep -q "Ada" "$WORK/page.html"; then
        echo "stores.sh: the homepage answered $code; cannot measure" >&2
        exit 1
    fi
    code=$(curl -s -o "$WORK/kv.json" -w '%{http_code}' -H "Cookie: $COOKIE" -H 'accept: application/json' \
        "$BASE/s/$SIRET/fixture/kv/set?key=probe&value=1")
    if [[ "$code" != 200 ]]; then
        echo "stores.sh: the kv write page answered $code; cannot measure" >&2
        cat "$WORK/kv.json" >&2
        exit 1
    fi
}

# CPU ticks (user + system) of the portico server, and of every process of
# the postgres user (the PostgreSQL server: its backends serve our pool).
ticks() {
    local pg=0 pid
    for pid in $(pgrep -u postgres 2>/dev/null || true); do
        pg=$((pg + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat") $pg"
}

measure() {
    local label=$1 out before pg_before after pg_after extra=()
    shift
    extra=("$@")
    wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Cookie: $COOKIE" "${extra[@]}" >/dev/null
    read -r before pg_before <<<"$(ticks)"
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: $COOKIE" "${extra[@]}")
    read -r after pg_after <<<"$(ticks)"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "stores.sh: $label got error responses:" >&2
        echo "$out" >&2
        exit 1
    fi
    local rps p50 p99 requests hz
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    hz=$(getconf CLK_TCK)
    printf "%-10s %-9s %10s %9s %9s %14.0f %14.0f\n" "$STORE_NAME" "$label" "$rps" "$p50" "$p99" \
        "$(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN { print t / hz * 1e6 / n }')" \
        "$(awk -v t=$((pg_after - pg_before)) -v n="$requests" -v hz="$hz" 'BEGIN { print t / hz * 1e6 / n }')"
}

run_store() {
    STORE_NAME=$1
    shift
    start_server "$@"
    sign_in
    measure homepage "$BASE/s/$SIRET/homepage"
    measure kv-write -H 'accept: application/json' -s "$WORK/kv.lua" "$BASE"
    stop_server
}

echo "portico $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s per URL; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-9s %10s %9s %9s %14s %14s\n" store page "req/s" p50 p99 "portico µs/req" "postgres µs/req"
run_store sled
schema="bench_stores_$$"
sep='?'
[[ "$PG" == *\?* ]] && sep='&'
run_store postgres --store "$PG${sep}schema=$schema"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
