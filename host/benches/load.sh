#!/usr/bin/env bash
# The sandbox tax over HTTP (BENCHMARKS.md): one release `portico` built with
# the `bench-native` feature serves a structure's homepage two ways — by the
# wasm area (/s/{siret}/homepage) and by its native twin
# (/bench/native/s/{siret}/homepage) — and wrk loads each, plus /healthz, on
# loopback only, for a bounded time. Prints requests/s, p50, p99 per URL and
# the ratios area/native and area/healthz, pinned (server on core 0, wrk on
# core 1) and unpinned.
#
# Usage: host/benches/load.sh [pinned|unpinned|both|instructions]   (default: both)
# `instructions`: no wrk; the server runs under valgrind's callgrind and
# REQUESTS (300) sequential keep-alive requests per URL are counted in
# instructions per request — repeatable whatever else the machine runs
# (user-space work only: the kernel's share is the "sys" column of the other
# modes). Needs valgrind; each build's compile cache and account are made by
# a native start first. PROFILES=<dir> keeps each URL's callgrind profile
# there (<build>.<page>.callgrind, for callgrind_annotate). In the wrk modes,
# PERF_PROFILES=<dir> keeps a `perf record -g` of the server per URL
# (<build>.<page>.perf; the CPU figures then include perf's overhead).
# Tunables (environment): DURATION (s per URL, default 10), WARMUP (s, 2),
# CONNECTIONS (32), ROUNDS (URLs are measured round-robin this many times; 1),
# PORTICO_BIN (a prebuilt `portico` with bench-native, e.g. another commit's,
# to measure instead of building this tree).
# BASELINE=/path/to/portico: also measure that build (a release binary of an
# earlier commit, built with --features bench-native) in the same run, the
# two builds alternating round by round (which goes first alternates too),
# and print this/baseline CPU per request. BASELINE_CONFIG: the areas.yaml
# that build serves (default: this tree's; an older host may not read a newer
# file, nor load plugins built for a newer contract).
# UNIQUE_URLS=1: every request of wrk asks for its own URL (`?t=…&n=…`), so
# no page is ever asked for twice: with the page cache on, each is built,
# kept and never used — the cache's worst case (`PORTICO_PAGE_CACHE_MIB=0`
# turns it off in both builds, for the page built every time).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=host/benches/common.sh
source host/benches/common.sh

MODE=${1:-both}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-1}
SIRET=73282932000074
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${PORTICO_BIN:-$TARGET/release/portico}

case "$MODE" in pinned | unpinned | both | instructions) ;; *)
    echo "load.sh: mode is pinned, unpinned, both or instructions; got '$MODE'" >&2
    exit 2
    ;;
esac
if ! command -v wrk >/dev/null; then
    echo "load.sh: wrk is missing; installing Debian's wrk" >&2
    apt-get install -y wrk >/dev/null
fi
if [[ "$MODE" == instructions ]] && ! command -v valgrind >/dev/null; then
    echo "load.sh: the instructions mode needs valgrind (Debian's valgrind)" >&2
    exit 2
fi
if [[ $(nproc) -lt 2 && "$MODE" != unpinned && "$MODE" != instructions ]]; then
    echo "load.sh: pinning needs 2 cores; this machine has $(nproc)" >&2
    exit 2
fi

./.ci/build-plugins >/dev/null
if [[ -z "${PORTICO_BIN:-}" ]]; then
    cargo build --release -p portico --features bench-native
fi
if [[ -n "${BASELINE:-}" && ! -x "$BASELINE" ]]; then
    echo "load.sh: BASELINE=$BASELINE is not an executable" >&2
    exit 2
fi

WORK=$(mktemp -d)
SERVER_PID=
SLOW_CONFIGS=()
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
    rm -f "${SLOW_CONFIGS[@]}"
}
trap cleanup EXIT

# Starts the server (optionally under taskset), sets BASE. KEEP_DATA=1
# starts on the previous server's data directory.
start_server() {
    local pin=("$@")
    if [[ -z "${KEEP_DATA:-}" ]]; then rm -rf "$WORK/data"; fi
    : >"$WORK/stdout"
    RUST_LOG=warn "${pin[@]}" "${BIN_RUN:-$BIN}" serve --listen 127.0.0.1:0 --config "${CONFIG_RUN:-areas.yaml}" --data "$WORK/data" \
        >"$WORK/stdout" 2>"$WORK/stderr" &
    SERVER_PID=$!
    BASE=$(wait_listening "$SERVER_PID" "$WORK/stdout" "$WORK/stderr" "${START_TRIES:-3000}" load.sh)
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}



# Signs up a primary manager and creates the structure; sets COOKIE.
sign_in() {
    bench_account "$WORK/data/mailbox" optional load.sh
    # Both pages must answer 200 with the session, or the figures mean nothing.
    for path in "/s/$SIRET/homepage" "/bench/native/s/$SIRET/homepage"; do
        local code
        code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE$path")
        if [[ "$code" != 200 ]] || ! grep -q "Welcome, Ada" "$WORK/page.html"; then
            echo "load.sh: $path answered $code without the homepage; cannot measure" >&2
            exit 1
        fi
    done
}

# CPU time (user + system, clock ticks) the server has used so far: every
# thread; then the system (kernel) part alone.
server_ticks() {
    awk '{ print $14 + $15, $15 }' "/proc/$SERVER_PID/stat"
}

# wrk on $2 with label $1; appends "label rps p50 p99 cpu_us_per_request" to
# $WORK/results. CPU per request is the figure that survives a busy machine:
# throughput and latency move with whatever else runs, CPU time much less.
measure() {
    local label=$1 url=$2 out before after sys_before sys_after
    local script=()
    if [[ "${UNIQUE_URLS:-}" == 1 ]]; then
        cat >"$WORK/unique.lua" <<'LUA'
local threads = 0
function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end
local n = 0
function request()
    n = n + 1
    return wrk.format(nil, wrk.path .. "?t=" .. id .. "&n=" .. n)
end
LUA
        script=(-s "$WORK/unique.lua")
    fi
    "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${script[@]}" -H "Cookie: $COOKIE" "$url" >/dev/null
    read -r before sys_before <<<"$(server_ticks)"
    local perf_pid=
    if [[ -n "${PERF_PROFILES:-}" ]]; then
        mkdir -p "$PERF_PROFILES"
        perf record -q -F 1999 -g -p "$SERVER_PID" -o "$PERF_PROFILES/${BUILD_RUN:-new}.$label.perf" -- sleep "$DURATION" 2>/dev/null &
        perf_pid=$!
    fi
    out=$("${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" -H "Cookie: $COOKIE" "$url")
    read -r after sys_after <<<"$(server_ticks)"
    [[ -z "$perf_pid" ]] || wait "$perf_pid" || true
    if grep -q "Non-2xx" <<<"$out"; then
        echo "load.sh: $label got error responses:" >&2
        echo "$out" >&2
        exit 1
    fi
    local rps p50 p99 requests cpu sys
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    sys=$(awk -v t=$((sys_after - sys_before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    echo "$label $rps $p50 $p99 $cpu $sys" >>"$RESULTS"
}

# One round of the three URLs on a fresh server of build $2 ("new" or
# "base"), mode $1; results go to $WORK/results.$2.
run_round() {
    local mode=$1 build=$2 bin=$BIN
    BUILD_RUN=$build
    CONFIG_RUN=areas.yaml
    if [[ "$build" == base ]]; then
        bin=$BASELINE
        CONFIG_RUN=${BASELINE_CONFIG:-areas.yaml}
    fi
    if [[ "$mode" == pinned ]]; then
        BIN_RUN=$bin start_server taskset -c 0
        LOAD_PIN=(taskset -c 1)
        WRK_THREADS=1
    else
        BIN_RUN=$bin start_server env
        LOAD_PIN=(env)
        WRK_THREADS=2
    fi
    sign_in
    RESULTS="$WORK/results.$build"
    measure healthz "$BASE/healthz"
    measure native "$BASE/bench/native/s/$SIRET/homepage"
    measure area "$BASE/s/$SIRET/homepage"
    stop_server
}

# Runs the three URLs; prints the table and the ratios (per build).
run_mode() {
    local mode=$1 r
    : >"$WORK/results.new"
    : >"$WORK/results.base"
    for r in $(seq 1 "$ROUNDS"); do
        if [[ -z "${BASELINE:-}" ]]; then
            run_round "$mode" new
        elif ((r % 2)); then
            run_round "$mode" base
            run_round "$mode" new
        else
            run_round "$mode" new
            run_round "$mode" base
        fi
    done
    echo "== $mode: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s), $(nproc) cores, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [[ -n "${BASELINE:-}" ]]; then
        echo "-- baseline build ($BASELINE)"
        summary "$WORK/results.base"
        echo "-- this build"
    fi
    summary "$WORK/results.new"
    if [[ -n "${BASELINE:-}" ]]; then
        awk '
            FNR == NR { bc[$1] += $5; bs[$1] += $6; bn[$1]++; next }
            { nc[$1] += $5; ns[$1] += $6; nn[$1]++ }
            END {
                split("healthz native area", order, " ")
                for (i = 1; i <= 3; i++) { k = order[i]; printf "this/baseline CPU per request, %-8s %.2f  (%.1f vs %.1f µs; of it sys %.1f vs %.1f)\n", k, (nc[k] / nn[k]) / (bc[k] / bn[k]), nc[k] / nn[k], bc[k] / bn[k], ns[k] / nn[k], bs[k] / bn[k] }
            }' "$WORK/results.base" "$WORK/results.new"
    fi
}

summary() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        { n[$1]++; rps[$1] += $2; p50[$1] += ms($3); p99[$1] += ms($4); cpu[$1] += $5; sys[$1] += $6 }
        END {
            printf "%-8s %12s %10s %10s %16s %12s\n", "page", "requests/s", "p50 ms", "p99 ms", "server CPU µs/req", "of it sys µs"
            split("healthz native area", order, " ")
            for (i = 1; i <= 3; i++) { k = order[i]; printf "%-8s %12.0f %10.2f %10.2f %16.1f %12.1f\n", k, rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], cpu[k] / n[k], sys[k] / n[k] }
            printf "area/native   %.2f (throughput)   %.2f (native CPU/area CPU)   p50 x%.2f\n", rps["area"] / rps["native"], cpu["native"] / cpu["area"], p50["area"] / p50["native"]
            printf "area/healthz  %.2f (throughput)   %.2f (CPU)\n", rps["area"] / rps["healthz"], cpu["healthz"] / cpu["area"]
        }' "$1"
}

# REQUESTS sequential GETs of $1 on one keep-alive connection, each
# checked to answer 200.
fetch_n() {
    python3 - "$BASE" "$1" "$COOKIE" "$2" <<'PY'
import http.client, sys, urllib.parse
base, path, cookie, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlsplit(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
for _ in range(n):
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"load.sh: {path} answered {r.status}")
PY
}

# Instructions per request of each URL on build $1 ("new" or "base"),
# appended to $WORK/instructions.$1 as "label instructions_per_request".
count_round() {
    local build=$1 bin=$BIN label path dump total
    CONFIG_RUN=areas.yaml
    if [[ "$build" == base ]]; then
        bin=$BASELINE
        CONFIG_RUN=${BASELINE_CONFIG:-areas.yaml}
    fi
    # Under valgrind a call runs ~50 times slower: every area gets the
    # longest time limit (30 s), or the load-time `templates()` call and the
    # pages would time out. Instruction counts do not depend on it. The copy
    # sits beside the original (plugin paths are relative to it) until exit.
    local slow
    slow="$(dirname "$CONFIG_RUN")/.areas.callgrind.$build.$$.yaml"
    SLOW_CONFIGS+=("$slow")
    python3 - "$CONFIG_RUN" "$slow" <<'PY'
import sys, yaml
src, dst = sys.argv[1], sys.argv[2]
config = yaml.safe_load(open(src))
for area in config["areas"]:
    area.setdefault("limits", {})["timeout-ms"] = 30000
yaml.safe_dump(config, open(dst, "w"), allow_unicode=True, sort_keys=False)
PY
    CONFIG_RUN=$slow
    # Natively first: compiles the plugins into the cache and signs up.
    BIN_RUN=$bin start_server env
    sign_in
    stop_server
    # Valgrind's CPU lacks some of the processor's features, so wasmtime's
    # compile cache (keyed on the code generator's settings) misses and every
    # plugin is compiled again under valgrind: allow an hour.
    KEEP_DATA=1 START_TRIES=36000 BIN_RUN=$bin start_server env PORTICO_POOL_MEMORIES=4 \
        valgrind --tool=callgrind --dump-instr=no --compress-strings=no --compress-pos=no --callgrind-out-file="$WORK/cg.$build.%p"
    for label in healthz native area; do
        case $label in
        healthz) path=/healthz ;;
        native) path=/bench/native/s/$SIRET/homepage ;;
        area) path=/s/$SIRET/homepage ;;
        esac
        fetch_n "$path" 20
        callgrind_control -z "$SERVER_PID" >/dev/null
        fetch_n "$path" "$REQUESTS"
        callgrind_control -d "$SERVER_PID" >/dev/null
        dump=$(ls -t "$WORK"/cg."$build".*.[0-9]* | head -n 1)
        total=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
        echo "$label $((total / REQUESTS))" >>"$WORK/instructions.$build"
        if [[ -n "${PROFILES:-}" ]]; then
            mkdir -p "$PROFILES"
            cp "$dump" "$PROFILES/$build.$label.callgrind"
        fi
    done
    stop_server
}

run_instructions() {
    REQUESTS=${REQUESTS:-300}
    : >"$WORK/instructions.new"
    : >"$WORK/instructions.base"
    if [[ -n "${BASELINE:-}" ]]; then count_round base; fi
    count_round new
    echo "== instructions (callgrind, user space), $REQUESTS sequential keep-alive requests per URL"
    if [[ -n "${BASELINE:-}" ]]; then
        awk '
            FNR == NR { b[$1] = $2; next }
            { printf "%-8s %12d instructions/request   baseline %12d   this/baseline %.2f\n", $1, $2, b[$1], $2 / b[$1] }
        ' "$WORK/instructions.base" "$WORK/instructions.new"
    else
        awk '{ printf "%-8s %12d instructions/request\n", $1, $2 }' "$WORK/instructions.new"
    fi
}

echo "portico ${PORTICO_BIN:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')}, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
if [[ "$MODE" == instructions ]]; then run_instructions; exit 0; fi
if [[ "$MODE" == pinned || "$MODE" == both ]]; then run_mode pinned; fi
if [[ "$MODE" == unpinned || "$MODE" == both ]]; then run_mode unpinned; fi
