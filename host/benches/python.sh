#!/usr/bin/env bash
# A Python area against its Rust twin, in one run (BENCHMARKS.md, section 5):
# `plugins/hello` (Rust) and `sdk/python/examples/hello` (the same page,
# template and catalogues, in Python, built with componentize-py) served by
# one release `portico`; wrk loads each page in turn, pinned (server on
# core 0, wrk on core 1) and unpinned. Prints, per page: requests/s, p50,
# p99, server CPU per request; the compile time and the load time from the
# compile cache of each component; the server's memory.
#
# Usage: host/benches/python.sh [pinned|unpinned|both]   (default: both)
# Tunables: DURATION (s per URL, 8), WARMUP (s, 2), CONNECTIONS (32),
# ROUNDS (2: the two pages alternate, which goes first too), PORTICO_BIN,
# PROFILES (a directory: keep a `perf record -g` of the server per page;
# its CPU figures then include perf's own overhead); PORTICO_PERFMAP=1 (the
# server names the guest's functions in /tmp/perf-<pid>.map).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=host/benches/common.sh
source host/benches/common.sh

MODE=${1:-both}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-2}
SIRET=73282932000074
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${PORTICO_BIN:-$TARGET/release/portico}

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
./.ci/build-plugins >/dev/null
tools=$(./.ci/python-tools)
mkdir -p "$TARGET/python-bench"
TWIN=$PWD/$TARGET/python-bench/hello-py.wasm
"$tools/componentize-py" -d sdk/wit -w area componentize -p sdk/python/examples/hello -p sdk/python/src app -o "$TWIN" >/dev/null
if [[ -z "${PORTICO_BIN:-}" ]]; then
    cargo build --release -p portico
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/areas.yaml" <<YAML
areas:
  - id: homepage
    title: Logged-in homepage
    plugin: $PWD/plugins/homepage.wasm
    version: 1.0.0
    order: 10
    capabilities: [facts, log]
  - id: hello
    title: Hello (Rust)
    plugin: $PWD/plugins/hello.wasm
    version: 1.0.0
    order: 20
    capabilities: [kv]
  - id: hello-py
    title: Hello (Python)
    plugin: $TWIN
    version: 1.0.0
    order: 30
    capabilities: [kv]
  - id: my-account
    title: My account
    plugin: $PWD/plugins/my-account.wasm
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
YAML
PLUGIN_DIRS=(--plugin-dir "$PWD/plugins" --plugin-dir "$PWD/$TARGET/python-bench")

start_server() {
    : >"$WORK/stdout"
    RUST_LOG=${LOG:-warn} "$@" "$BIN" serve --listen 127.0.0.1:0 --config "$WORK/areas.yaml" --data "$WORK/data" \
        "${PLUGIN_DIRS[@]}" >"$WORK/stdout" 2>"$WORK/stderr" &
    SERVER_PID=$!
    BASE=
    for _ in $(seq 1 1200); do
        BASE=$(sed -n 's/^Portico listening on \(http:[^ ]*\).*/\1/p' "$WORK/stdout")
        [[ -n "$BASE" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/stderr" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$BASE" ]] || { echo "python.sh: portico did not start" >&2; exit 1; }
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
sign_in() {
    bench_account "$WORK/data/mailbox" required python.sh
    for area in hello hello-py; do
        curl -s -o "$WORK/$area.html" -H "Cookie: $COOKIE" -H "Accept-Language: en" "$BASE/s/$SIRET/$area"
        grep -q "Hello, Ada!" "$WORK/$area.html" || { echo "python.sh: $area did not answer its page" >&2; exit 1; }
    done
    # The same page: the area's content is identical but for the counter.
    diff <(sed -n '/<main/,/<\/main>/p' "$WORK/hello.html" | sed 's/[0-9]\+ times/N times/; s/hello-py/AREA/g; s/hello/AREA/g; s/value="[^"]*"/value=""/g') \
         <(sed -n '/<main/,/<\/main>/p' "$WORK/hello-py.html" | sed 's/[0-9]\+ times/N times/; s/hello-py/AREA/g; s/hello/AREA/g; s/value="[^"]*"/value=""/g') >/dev/null \
        || echo "python.sh: warning: the two pages differ beyond the counter" >&2
}
ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status"; }
measure() {
    local label=$1 url=$2 out before after
    "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "Cookie: $COOKIE" "$url" >/dev/null
    before=$(ticks)
    local perf_pid=
    if [[ -n "${PROFILES:-}" ]]; then
        mkdir -p "$PROFILES"
        perf record -q -F 1999 -g -p "$SERVER_PID" -o "$PROFILES/$label.perf" -- sleep "$DURATION" 2>/dev/null &
        perf_pid=$!
    fi
    out=$("${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: $COOKIE" "$url")
    after=$(ticks)
    [[ -z "$perf_pid" ]] || wait "$perf_pid" || true
    local rps p50 p99 requests non2xx cpu
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    echo "$label $rps $p50 $p99 $cpu ${non2xx:-0} $(rss_kib)" >>"$RESULTS"
}
summary() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        { n[$1]++; rps[$1] += $2; p50[$1] += ms($3); p99[$1] += ms($4); cpu[$1] += $5; bad[$1] += $6; rss[$1] = $7 }
        END {
            printf "%-9s %12s %9s %9s %18s %9s %14s\n", "page", "requests/s", "p50 ms", "p99 ms", "server CPU µs/req", "non-2xx", "RSS after MiB"
            split("hello hello-py", order, " ")
            for (i = 1; i <= 2; i++) { k = order[i]; printf "%-9s %12.0f %9.2f %9.2f %18.1f %9d %14.1f\n", k, rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], cpu[k] / n[k], bad[k], rss[k] / 1024 }
            printf "python/rust: CPU x%.2f, throughput x%.2f, p99 x%.2f\n", cpu["hello-py"] / cpu["hello"], rps["hello-py"] / rps["hello"], p99["hello-py"] / p99["hello"]
        }' "$1"
}
run_mode() {
    local mode=$1 r
    RESULTS="$WORK/results.$mode"
    : >"$RESULTS"
    rm -rf "$WORK/data"
    if [[ "$mode" == pinned ]]; then start_server taskset -c 0; LOAD_PIN=(taskset -c 1); WRK_THREADS=1
    else start_server env; LOAD_PIN=(env); WRK_THREADS=2; fi
    sign_in
    local idle
    idle=$(rss_kib)
    for r in $(seq 1 "$ROUNDS"); do
        if ((r % 2)); then
            measure hello "$BASE/s/$SIRET/hello"; measure hello-py "$BASE/s/$SIRET/hello-py"
        else
            measure hello-py "$BASE/s/$SIRET/hello-py"; measure hello "$BASE/s/$SIRET/hello"
        fi
    done
    echo "== $mode: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    summary "$RESULTS"
    echo "server RSS idle (signed in, both areas loaded) $((idle / 1024)) MiB, peak $(($(hwm_kib) / 1024)) MiB"
    stop_server
}

echo "portico $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "components: hello $(stat -c %s plugins/hello.wasm) B, hello-py $(stat -c %s "$TWIN") B"
# Compile (empty cache), then load from the compile cache (second start).
rm -rf "$WORK/data"
for start in compile cache; do
    LOG=info start_server env
    sed 's/\x1b\[[0-9;]*m//g' "$WORK/stdout" | grep -E 'area loaded.*area=(hello|hello-py) ' |
        sed -E 's/.*area=([a-z-]+) .*component="?([a-z-]+)"?.*compile_ms=([0-9]+).* ms=([0-9]+).*/\1 \2: compile \3 ms, load \4 ms/' |
        sed "s/^/$start start: /"
    echo "$start start: server RSS $(($(rss_kib) / 1024)) MiB, peak $(($(hwm_kib) / 1024)) MiB"
    stop_server
done
if [[ "$MODE" == pinned || "$MODE" == both ]]; then run_mode pinned; fi
if [[ "$MODE" == unpinned || "$MODE" == both ]]; then run_mode unpinned; fi
