#!/usr/bin/env bash
# corekit serve under load, SQLite (the crash store's index) and PostgreSQL (Debian's server,
# initdb'd in a temporary directory, run as nobody), in the same run on the same input:
#  1. uploads: the kernel's core of tests/programs/crash made compact, sent with its report
#     from 8 concurrent clients (keep-alive connections, each upload its own client id), COUNT
#     of them: the server's rate, the clients' p50/p99 latency, failures;
#  2. pages: the store then filled to 100 000 crashes (rows written straight into the database,
#     212 signatures of uneven size over 40 executables, 20 hosts and 30 days), and the groups page, the
#     crash list and one crash page (the uploaded one: report, threads, registers, address
#     space) timed on loopback, median and p90 of RUNS after a warm-up.
# Prints Markdown for bench/RESULTS.md. Needs root (PostgreSQL runs as nobody) and kernel cores
# in the working directory (core_pattern `core`).
# Usage: bench/server.sh [BUILD_DIR] [COUNT] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${2:-2000}
runs=${3:-20}
source bench/common.sh
bench_setup "$build" corekit crash
build_dir=$(cd "$build" && pwd)
corekit=$build_dir/corekit
load=$PWD/bench/server_load.py
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
server_pids=()
pg_dir=
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pg_dir" ]; then runuser -u nobody -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work" ${pg_dir:+"$pg_dir"}
}
trap cleanup EXIT

# The input: a kernel core made compact, and its report.
crash_in "$work/core" "$build_dir/tests/crash" --mode=segv --threads=3
"$corekit" compact --compress "$work/core/core" "$work/compact.core.zst" >/dev/null
"$corekit" report --json "$work/core/core" > "$work/report.json"

# serve STORE [ARGS...]: starts a server on a free loopback port; sets $url.
serve() {
  local store=$1 fifo=$work/serve.out
  shift
  rm -f "$fifo"
  mkfifo "$fifo"
  "$corekit" serve --store "$store" --listen 127.0.0.1:0 --workers 2 "$@" > "$fifo" 2>"$work/serve.err" &
  server_pids+=($!)
  url=$(head -1 "$fifo" | grep -o 'http://[^ ]*')
  url=${url%/}
}
stop_servers() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  server_pids=()
}
# settle URL TOTAL: waits until the server's analysis of TOTAL uploads is done.
settle() {
  local i
  for i in $(seq 600); do
    [ "$(curl -s "$1/api/v1/groups?limit=1" | python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"]; print(g[0]["count"] if g else 0)')" -ge "$2" ] && return
    sleep 0.1
  done
}

# 100 000 rows in the database, beside the ones uploaded: SQL for either database.
fill_sql() {
  local n=$1 series=$2
  cat <<SQL
INSERT INTO crashes(id, time, pid, host_pid, tid, uid, gid, signal, signal_code, executable, comm, command_line,
                    hostname, core, core_bytes, core_size, signature, report_kind, upload_id)
SELECT printf_id, $(date +%s) - i * $((2592000 / n)), 1000 + i, 1000 + i, 1000 + i, 1000, 1000, 11, 1,
       '/usr/bin/service' || (i % 40), 'service' || (i % 40), '/usr/bin/service' || (i % 40) || ' --port ' || i,
       'host' || (i % 20), 'none', 0, 0,
       'handle_request' || (((i % 2000) * (i % 2000)) % 2000) || ' | serve | main', 'null-dereference', 'fill-' || i
FROM $series;
SQL
}

measure() {  # measure NAME URL: uploads then pages; prints a JSON line each to $work/NAME.*
  local name=$1 target=$2
  python3 "$load" upload "$target" "$work/compact.core.zst" "$work/report.json" "$count" 8 "$name" > "$work/$name.upload"
  settle "$target" "$count"
}

# SQLite
serve "$work/sqlite"
measure sqlite "$url"
crash_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/sqlite.upload")
stop_servers
n=$((100000 - count))
sqlite3 "$work/sqlite/index.sqlite" "$(fill_sql $n "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n) SELECT i FROM s)" |
  sed "s/printf_id/printf('%010x', 1099511627775 - i)/")"
sqlite3 "$work/sqlite/index.sqlite" "ANALYZE"
serve "$work/sqlite"
python3 "$load" pages "$url" "$crash_id" "$runs" > "$work/sqlite.pages"
stop_servers

# PostgreSQL
pg="n/a"
if [ -n "$pg_bin" ] && [ "$(id -u)" = 0 ]; then
  pg_dir=$(mktemp -d /tmp/corekit-bench-pg-XXXXXX)
  chown nobody: "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u nobody -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U corekit -E UTF8 --no-sync >/dev/null
  runuser -u nobody -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-k $pg_dir -p $pg_port -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  db="postgresql://corekit@127.0.0.1:$pg_port/postgres"
  serve "$work/pgfiles" --db "$db"
  measure pg "$url"
  pg_crash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/pg.upload")
  fill_sql $n "generate_series(1, $n) AS i" | sed "s/printf_id/lpad(to_hex(1099511627775 - i), 10, '0')/" |
    runuser -u nobody -- "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U corekit postgres >/dev/null
  runuser -u nobody -- "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U corekit -c "VACUUM ANALYZE crashes" postgres >/dev/null
  python3 "$load" pages "$url" "$pg_crash" "$runs" > "$work/pg.pages"
  stop_servers
  pg=$("$pg_bin/postgres" --version)
fi

python3 - "$work" "$count" "$runs" "$(nproc)" "$pg" <<'PY'
import json, os, sys
work, count, runs, cores, pg = sys.argv[1:]
def load(name, kind):
    path = f"{work}/{name}.{kind}"
    return json.load(open(path)) if os.path.exists(path) else None
print(f"{count} uploads (compact core {os.path.getsize(work + '/compact.core.zst')} bytes + report "
      f"{os.path.getsize(work + '/report.json')} bytes each), 8 clients; {cores} cores; {pg}")
print()
print("| database | uploads/s | p50 (ms) | p99 (ms) | failures |")
print("|---|---|---|---|---|")
for name, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
    u = load(name, "upload")
    if u:
        print(f"| {label} | {u['per_second']} | {u['p50_ms']} | {u['p99_ms']} | {u['failures']} |")
print()
print(f"100 000 crashes in the database; median (p90) of {runs} requests on loopback, in ms:")
print()
print("| database | groups page `/` | `/api/v1/groups` | crash list `/crashes` | crash page `/crashes/ID` | `/api/v1/crashes/ID` |")
print("|---|---|---|---|---|---|")
for name, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
    p = load(name, "pages")
    if p:
        cell = lambda k: f"{p[k]['median_ms']} ({p[k]['p90_ms']})"
        print(f"| {label} | {cell('groups')} | {cell('groups_api')} | {cell('crashes')} | {cell('crash')} | {cell('crash_api')} |")
PY
