#!/usr/bin/env bash
# What the token service allocates per issued token, and the collections that follow: sfi serve under the load of
# bench/identity-issuance-cost.sh (client_credentials + private_key_jwt, each token request with its own DPoP proof,
# CONNECTIONS at a time), read with dotnet-counters (System.Runtime: bytes allocated, gen0/1/2 collections, GC pause)
# over the middle of each run and divided by the tokens issued in that window. Steadier than CPU time on a busy
# machine: an allocation removed from the token path shows here in one run.
#
#   bench/identity-allocations.sh [--runs N] [--seconds S] [--connections C] [--postgres] [--isolate]
#
# dotnet-counters is installed under bench/.work/tools (dotnet tool install). The server runs as ./sfi serve runs it
# (quick, instrumented first compilations: see start_sfi_serve). Working files: bench/.work/identity-allocations/ (git-ignored,
# recreated). Results and method: docs/benchmarks.md ("Token issuance cost").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=identity-allocations
. bench/lib.sh
runs=3
seconds=14
connections=16
isolate=0
identity_bench_options "${BASH_SOURCE[0]}" "$@"
[ "$seconds" -ge 10 ] && [ "$seconds" -le 30 ] || { echo "$bench_name: --seconds is 10 to 30 (the counters read the middle of the run; DPoP proofs live 60 s)" >&2; exit 2; }
hsm_prerequisites
require_tools dotnet python3 flock

tools="$here/bench/.work/tools"
if [ ! -x "$tools/dotnet-counters" ]; then
  echo "== installing dotnet-counters"
  dotnet tool install --tool-path "$tools" dotnet-counters >/dev/null
fi
work="$here/bench/.work/identity-allocations"
rm -rf "$work"
mkdir -p "$work"
sfi_snapshot "$work"
echo "== building IdentityBench"
build_bench bench/identity/IdentityBench/IdentityBench.csproj "$work/bench"
isolate_cores
identity_serve "$work"
on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" 20 "$connections" dpop >/dev/null
window=$((seconds - 8))
for run in $(seq 1 "$runs"); do
  on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" "$seconds" "$connections" dpop server-pid="$server" >"$work/issue-$run.txt" &
  load=$!
  sleep 4
  on_load_cores "$tools/dotnet-counters" collect -p "$server" --refresh-interval 1 --duration "00:00:$(printf %02d "$window")" --format csv \
    -o "$work/counters-$run.csv" --counters System.Runtime >/dev/null
  wait "$load"
  cat "$work/issue-$run.txt"
done
stop_server

python3 - "$work" "$runs" "$commit" <<'PY'
import csv, re, statistics, sys
work, runs, commit = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for run in range(1, runs + 1):
    rate = float(re.search(r"rate=([0-9.]+)", open(f"{work}/issue-{run}.txt").read()).group(1))
    per_second = {}
    for r in csv.DictReader(open(f"{work}/counters-{run}.csv")):
        per_second.setdefault(r["Counter Name"], []).append(float(r["Mean/Increment"]))
    # The first reading covers the time before collection started; the rest are one second each.
    mean = lambda name: statistics.mean(per_second[name][1:]) if len(per_second.get(name, [])) > 1 else float("nan")
    allocated = mean("dotnet.gc.heap.total_allocated (By / 1 sec)")
    rows.append((run, rate, allocated / rate,
                 mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]"),
                 mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]"),
                 mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]"),
                 1000 * mean("dotnet.gc.pause.time (s / 1 sec)")))
print(f"\ncommit {commit}\n\n| Run | tokens/s | allocated per token (bytes) | gen0/s | gen1/s | gen2/s | GC pause (ms/s) |\n|---:|---:|---:|---:|---:|---:|---:|")
for run, rate, per_token, g0, g1, g2, pause in rows:
    print(f"| {run} | {rate:,.0f} | {per_token:,.0f} | {g0:.1f} | {g1:.1f} | {g2:.1f} | {pause:.1f} |")
print(f"\nMedian allocated per token: {statistics.median(r[2] for r in rows):,.0f} bytes")
PY
