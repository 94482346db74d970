#!/usr/bin/env bash
# Findings hub store benchmark: the hub's store, below the HTTP and SARIF layers.
#   ingest   one analysis of 100,000 results into an empty scope, then the same scope re-ingested with 1% of the
#            results replaced (1,000 new findings opened, 1,000 fixed), on SQLite and on PostgreSQL (fsync on);
#            target >= 20,000 results/s and peak memory < 500 MB (the benchmark process's peak resident set)
#   list     listing queries (project, state, severity, rule, overdue, age, a cursor page) over 1,000,000 stored
#            findings on PostgreSQL; target < 50 ms median
# Results are generated in the process (realistic sizes: 100-200 character messages, a code flow on one in ten), so the
# figures are the store's; SARIF parsing is measured by the ingest benchmark of the SARIF reader.
#
#   bench/findings-store.sh [--runs N] [--results N] [--findings N] [--queries N] [--wait-idle PCT]
#
#   --runs N        ingest runs per store (default 3)
#   --results N     results per analysis (default 100000)
#   --findings N    findings stored for the list queries (default 1000000)
#   --queries N     rounds of each list query (default 100)
#   --wait-idle PCT before each measurement, wait (up to 5 minutes) until the CPUs are at least PCT % idle (default 50; 0: off)
#
# Working files: bench/.work/findings/ (git-ignored, recreated on every invocation). Results: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=findings-store
. bench/lib.sh
runs=3
results=100000
findings=1000000
queries=100
wait_idle=50
invocation="bench/findings-store.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --results) results="$2"; invocation+=" --results $2"; shift 2 ;;
    --findings) findings="$2"; invocation+=" --findings $2"; shift 2 ;;
    --queries) queries="$2"; invocation+=" --queries $2"; shift 2 ;;
    --wait-idle) wait_idle="$2"; invocation+=" --wait-idle $2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "findings-store: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$results" "$findings" "$queries"; do
  case "$n" in ''|*[!0-9]*|0) echo "findings-store: --runs, --results, --findings and --queries take positive whole numbers" >&2; exit 2 ;; esac
done
case "$wait_idle" in ''|*[!0-9]*) echo "findings-store: --wait-idle takes a whole number (0-100)" >&2; exit 2 ;; esac
require_tools dotnet python3 flock
ls /usr/lib/postgresql/*/bin/psql >/dev/null 2>&1 || install_missing postgresql
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql"

work="$here/bench/.work/findings"
rm -rf "$work"
mkdir -p "$work"
echo "== building FindingsBench"
build_bench bench/findings/FindingsBench/FindingsBench.csproj "$work/bench"
bench=(dotnet "$work/bench/FindingsBench.dll")

pgdir="$(mktemp -d /tmp/sfi-bench-pg.XXXXXX)"
chmod 755 "$pgdir"
trap 'tools/postgres-for-tests.sh stop "$pgdir/data"; rm -rf "$pgdir"' EXIT
echo "== starting PostgreSQL (fsync on)"
admin="$(PG_FSYNC=on tools/postgres-for-tests.sh start "$pgdir/data" | tail -1)"
port="$(sed 's/.*Port=\([0-9]*\).*/\1/' <<<"$admin")"
database() { # database NAME: a fresh database, its connection string on stdout
  "$psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null 2>&1
  echo "${admin/Database=postgres/Database=$1}"
}
# CPU seconds used by the PostgreSQL server so far (the postmaster and its reaped backends, from /proc).
server_cpu() {
  local pid; pid="$(head -n1 "$pgdir/data/postmaster.pid")"
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$pid/stat"
}

out="$work/results.txt"
: >"$out"
for run in $(seq 1 "$runs"); do
  quiet
  echo "== run $run of $runs: SQLite (loadavg $(cut -d' ' -f1-3 /proc/loadavg), $idle% idle)"
  rm -f "$work/bench.db"*
  echo "run=$run store=sqlite server_cpu_s=0 $("${bench[@]}" ingest sqlite "$work/bench.db" "$results" 0.01)" | tee -a "$out"
  quiet
  echo "== run $run of $runs: PostgreSQL (loadavg $(cut -d' ' -f1-3 /proc/loadavg), $idle% idle)"
  db="$(database ingest_$run)"
  before="$(server_cpu)"
  line="$("${bench[@]}" ingest postgres "$db" "$results" 0.01)"
  sleep 1 # let the postmaster reap the benchmark's backends, so their CPU time is counted
  echo "run=$run store=postgres server_cpu_s=$(python3 -c "print(round($(server_cpu) - $before, 3))") $line" | tee -a "$out"
done

echo "== list queries over $findings findings on PostgreSQL (seeding first)"
db="$(database list)"
"${bench[@]}" list postgres "$db" "$findings" 1 | grep '^seeded' | tee -a "$out"
# What autovacuum does on a live database a little later: statistics, and the visibility map index-only scans rely on.
"$psql" -q -h 127.0.0.1 -p "$port" -U postgres -d list -c "VACUUM ANALYZE" >/dev/null
quiet
echo "== timing (loadavg $(cut -d' ' -f1-3 /proc/loadavg), $idle% idle)"
"${bench[@]}" list postgres "$db" "$findings" "$queries" | tee -a "$out"

python3 - "$out" "$invocation" <<'PY'
import re, statistics, subprocess, sys
path, invocation = sys.argv[1], sys.argv[2]
ingest, queries, seeded = [], [], None
for line in open(path):
    kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
    if "first_s" in kv: ingest.append(kv)
    elif line.startswith("query "): queries.append(kv)
    elif line.startswith("seeded "): seeded = kv
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
load = open("/proc/loadavg").read().split()[:3]
print(f"\nCommand: `{invocation}`; {cpu}, {nproc} cores; commit {commit}; load average at the end {' '.join(load)}.\n")
print("| Run | Store | ingest results/s (wall) | client CPU s | re-ingest 1% changed, results/s (wall) | client CPU s | PostgreSQL server CPU s (both) | peak memory |")
print("|---:|---|---:|---:|---:|---:|---:|---:|")
for r in ingest:
    n = int(r["results"])
    print(f"| {r['run']} | {r['store']} | {n / float(r['first_s']):,.0f} | {float(r['first_cpu_s']):.2f} | {n / float(r['second_s']):,.0f} | {float(r['second_cpu_s']):.2f} | {r['server_cpu_s'] if r['store'] == 'postgres' else '-'} | {r['peak_mb']} MB |")
for store in ("sqlite", "postgres"):
    rows = [r for r in ingest if r["store"] == store]
    first = statistics.median(int(r["results"]) / float(r["first_s"]) for r in rows)
    second = statistics.median(int(r["results"]) / float(r["second_s"]) for r in rows)
    peak = max(int(r["peak_mb"]) for r in rows)
    # CPU-bound rate: what one core would sustain with nothing else running. SQLite runs in the process, so the client's
    # CPU is the whole cost; PostgreSQL's server CPU is read for both ingests together.
    if store == "sqlite":
        per_cpu = statistics.median(int(r["results"]) / float(r["first_cpu_s"]) for r in rows)
        cpu_note = f"ingest {per_cpu:,.0f} results per CPU-second"
    else:
        per_cpu = statistics.median(2 * int(r["results"]) / (float(r["first_cpu_s"]) + float(r["second_cpu_s"]) + float(r["server_cpu_s"])) for r in rows)
        cpu_note = f"both ingests {per_cpu:,.0f} results per CPU-second (client + server)"
    print(f"\n{store}: median ingest **{first:,.0f} results/s**, re-ingest **{second:,.0f} results/s** wall-clock (target >= 20,000: {'met' if min(first, second) >= 20000 else 'missed'}); "
          f"{cpu_note}; peak memory {peak} MB (target < 500 MB: {'met' if peak < 500 else 'missed'}).")
if queries:
    print(f"\nList queries over {seeded['findings'] if seeded else '?'} findings on PostgreSQL (page of 100, median and p95 of each query):\n")
    print("| Query | median ms | p95 ms |")
    print("|---|---:|---:|")
    for q in queries:
        print(f"| {q['name'].replace('_', ' ')} | {q['median_ms']} | {q['p95_ms']} |")
    overall = next(float(q["median_ms"]) for q in queries if q["name"] == "all")
    print(f"\nMedian over every query: **{overall} ms** (target < 50 ms: {'met' if overall < 50 else 'missed'}).")
PY
