#!/usr/bin/env bash
# Findings hub push, end to end: `sfi findings push` of a generated gzip SARIF log (CodeQL-shaped, without
# automationDetails, as sfi and DevSkim write it) to a running `sfi serve` over HTTP on 127.0.0.1, on SQLite and on
# PostgreSQL (fsync on). Each server starts fresh with an empty project and takes two pushes: the log ("first": every
# result opens a finding) and the same log with 1% of its results changed ("reingest": 1% opened, 1% fixed, the rest
# matched). Each measures reading the log as it arrives, spooling it, and storing it whole. Figures per push:
# results/s over the push's wall time (what CI waits for; with the server's CPU seconds beside it, as a shared machine's
# wall clock measures the neighbours too), where the server's time went (its log line "received and read in ... ms,
# stored in ... ms"), and the server's peak resident set (VmHWM of the sfi serve process; its idle resident set is
# printed beside it); then the time of two /metrics scrapes (the first computes the findings report over the pushed
# findings, the second is served from the cache). Compare with the store alone (bench/findings-store.sh) and the reader
# alone (bench/findings-ingest.sh) in docs/benchmarks.md.
#
#   bench/findings-push.sh [--results N] [--runs N] [--stores "sqlite postgres"] [--sfi PATH/sfi.dll] [--seed N]
#
#   --results N  results in the generated log (default 100000, about 100 MB of JSON)
#   --runs N     servers per store, each fresh with a fresh database (default 2)
#   --stores S   which stores (default "sqlite postgres")
#   --sfi DLL    the sfi.dll to run (default: ./sfi's build); to measure another commit, build its src/SecureFuture.Cli
#   --seed N     generator seed (default 20261205)
#
# Working files: bench/.work/findings-push/ (git-ignored, recreated). Needs the .NET 10 SDK, SoftHSM2, python3 and
# PostgreSQL's server binaries.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=findings-push
. bench/lib.sh
results=100000
runs=2
stores="sqlite postgres"
seed=20261205
sfi_dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --results) results="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --stores) stores="$2"; shift 2 ;;
    --sfi) sfi_dll="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "findings-push: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$results" "$runs" "$seed"; do
  case "$n" in ''|*[!0-9]*) echo "findings-push: --results, --runs and --seed take whole numbers" >&2; exit 2 ;; esac
done
for s in $stores; do
  case "$s" in sqlite|postgres) ;; *) echo "findings-push: --stores takes sqlite and/or postgres, not '$s'" >&2; exit 2 ;; esac
done
require_tools dotnet python3 flock curl
[ -f /usr/lib/softhsm/libsofthsm2.so ] || install_missing softhsm2

work="${FINDINGS_PUSH_WORK:-$here/bench/.work/findings-push}" # another directory lets two builds be measured at once
rm -rf "$work"
mkdir -p "$work"
if [ -z "$sfi_dll" ]; then
  sfi_snapshot "$work"
else
  [ -f "$sfi_dll" ] || { echo "findings-push: --sfi: $sfi_dll does not exist" >&2; exit 2; }
  sfi=(dotnet "$sfi_dll")
fi
echo "== building bench/findings/IngestBench (the log generator)"
gen="$here/bench/.work/findings-gen" # kept between runs: an incremental build when nothing changed
build_bench bench/findings/IngestBench/IngestBench.csproj "$gen"
log="$work/push.sarif.gz" # gzip: 200,000 results are about 280 MB of JSON, above the 256 MiB a push may be
changed_log="$work/push-1pct-changed.sarif.gz"
"$gen/IngestBench" generate "$log" "$results" "$seed" 0 no >/dev/null
"$gen/IngestBench" generate "$changed_log" "$results" "$seed" 1 no >/dev/null
json_bytes="$(gzip -dc "$log" | wc -c)"
echo "   $(stat -c %s "$log") bytes gzip ($json_bytes bytes of JSON), $results results; the same with 1% changed: $(stat -c %s "$changed_log") bytes"

pgdir=""
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pgdir" ]; then tools/postgres-for-tests.sh stop "$pgdir/data" >/dev/null 2>&1 || true; rm -rf "$pgdir"; fi
}
trap cleanup EXIT
if [[ " $stores " == *" postgres "* ]]; then
  ls /usr/lib/postgresql/*/bin/psql >/dev/null 2>&1 || install_missing postgresql
  psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql"
  pgdir="$(mktemp -d /tmp/sfi-bench-pg.XXXXXX)"
  chmod 755 "$pgdir"
  echo "== starting PostgreSQL (fsync on)"
  admin="$(PG_FSYNC=on tools/postgres-for-tests.sh start "$pgdir/data" | tail -1)"
  port="$(sed 's/.*Port=\([0-9]*\).*/\1/' <<<"$admin")"
fi

# CPU seconds (user + sys) used by a process so far: on a shared machine, what the push cost the server whatever the load.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

export SFI_ADMIN_KEY="sfi_admin_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
out="$work/results.txt"
: >"$out"
for run in $(seq 1 "$runs"); do
  for store in $stores; do
    data="$work/data-$store-$run"
    mkdir -p "$data"
    db_args=()
    if [ "$store" = postgres ]; then
      "$psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS push_$run" -c "CREATE DATABASE push_$run" >/dev/null
      db_args=(--database "${admin/Database=postgres/Database=push_$run}")
    fi
    http_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    url="http://127.0.0.1:$http_port"
    # shellcheck disable=SC2046 # the runtime settings of a shipped sfi serve (bench/lib.sh), NAME=VALUE words
    env $(sfi_serve_env) "${sfi[@]}" serve --data-dir "$data" --urls "$url" "${db_args[@]}" >"$work/serve-$store-$run.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fs "$url/readyz" >/dev/null || { cat "$work/serve-$store-$run.log" >&2; echo "findings-push: sfi serve did not start" >&2; exit 1; }
    idle_kb="$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$server_pid/status")"
    "${sfi[@]}" findings projects add bench --server "$url" >/dev/null
    for phase in first reingest; do
      file="$log"; [ "$phase" = reingest ] && file="$changed_log"
      load="$(cut -d' ' -f1 /proc/loadavg)"
      cpu_before="$(server_cpu "$server_pid")"
      start="$(date +%s.%N)"
      "${sfi[@]}" findings push "$file" --project bench --ref main --category code --server "$url" --format json >"$work/push-$store-$run-$phase.json"
      end="$(date +%s.%N)"
      cpu_s="$(python3 -c "print(round($(server_cpu "$server_pid") - $cpu_before, 2))")"
      peak_kb="$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$server_pid/status")"
      counts="$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["analyses"]; print("opened=%d fixed=%d" % (sum(x["opened"] for x in a), sum(x["fixed"] for x in a)))' "$work/push-$store-$run-$phase.json")"
      # The server's own account of the push: receiving and reading the log (overlapped with the upload), then storing it.
      split="$(grep -o 'received and read in [0-9]* ms, stored in [0-9]* ms' "$work/serve-$store-$run.log" | tail -1 | sed 's/received and read in \([0-9]*\) ms, stored in \([0-9]*\) ms/server_read_ms=\1 server_store_ms=\2/' || true)" # (builds before 2026-12-05 do not log it)
      line="$(python3 -c "w=$end-$start; print(f'store=$store run=$run phase=$phase loadavg=$load bytes=$(stat -c %s "$file") results=$results $counts wall_s={w:.2f} results_per_s={$results/w:.0f} server_cpu_s=$cpu_s results_per_server_cpu_s={$results/max($cpu_s,0.01):.0f} $split server_idle_mb={$idle_kb/1024:.0f} server_peak_mb={$peak_kb/1024:.0f}')")"
      echo "$line" | tee -a "$out"
    done
    # /metrics after the pushes: the first scrape computes the findings report over every finding, the next reuses it.
    scrape() { curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $SFI_ADMIN_KEY" "$url/metrics"; }
    scrape_first="$(scrape)"; scrape_next="$(scrape)"
    echo "store=$store run=$run metrics_first_s=$scrape_first metrics_cached_s=$scrape_next" | tee -a "$out"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  done
done
echo "== results: $out"
