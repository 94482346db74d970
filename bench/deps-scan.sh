#!/usr/bin/env bash
# Dependencies: scan benchmark.
#   `sfi scan TREE --analyzers deps --format sarif` of a generated tree of 20,000 resolved packages in 39 manifests and
#   lock files of the six ecosystems (bench/deps_tree.py --advisory-names: npm, PyPI, Cargo and NuGet packages carry the
#   names the generated advisories name, and each PyPI project starts with real projects such as django), against an
#   index of the Python Packaging Advisory Database plus 200,000 generated OSV advisories that `sfi advisories update`
#   built beforehand. Each run is a fresh process: walk, inventory, open the index, match, write the SARIF report.
#                                                                                   target < 2 s after the index is built
#
#   bench/deps-scan.sh [--runs N] [--advisories N] [--packages N] [--pypa DIR]
#
#   --runs N        runs (default 5)
#   --advisories N  generated advisories (default 200000); see bench/advisories/AdvisoriesBench/Program.cs
#   --packages N    resolved packages in the tree (default 20000)
#   --pypa DIR      the PyPA database's vulns/ folder (default ../shared/data/advisories/pypa/vulns beside the repo)
#
# Working files: bench/.work/deps-scan/ (git-ignored, recreated). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=deps-scan
. bench/lib.sh
runs=5
advisories=200000
packages=20000
pypa="$here/../shared/data/advisories/pypa/vulns"
[ -d "$pypa" ] || pypa="$here/../../shared/data/advisories/pypa/vulns"
invocation="bench/deps-scan.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --advisories) advisories="$2"; invocation+=" --advisories $2"; shift 2 ;;
    --packages) packages="$2"; invocation+=" --packages $2"; shift 2 ;;
    --pypa) pypa="$2"; invocation+=" --pypa $2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$bench_name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$advisories" "$packages"; do
  case "$n" in ''|*[!0-9]*|0) echo "$bench_name: --runs, --advisories and --packages take positive whole numbers" >&2; exit 2 ;; esac
done
[ -d "$pypa" ] || { echo "$bench_name: the PyPA database is not at $pypa (give --pypa DIR)" >&2; exit 2; }
require_tools dotnet python3 flock /usr/bin/time

work="$here/bench/.work/deps-scan"
rm -rf "$work"
mkdir -p "$work" "$here/.sfi-build"
sfi_snapshot "$work"
echo "== building AdvisoriesBench (Release), for its advisory generator"
build_bench bench/advisories/AdvisoriesBench/AdvisoriesBench.csproj "$work/bench-bin"
echo "== generating an OSV all.zip of $advisories advisories"
"$work/bench-bin/AdvisoriesBench" generate "$work/generated.zip" "$advisories"
echo "== sfi advisories update (PyPA + generated), not timed"
"${sfi[@]}" advisories update --source "$pypa" --source "$work/generated.zip" --data-dir "$work/data" | tee "$work/import.txt"
echo "== generating the tree ($packages packages)"
generated="$(python3 bench/deps_tree.py "$work/tree" --packages "$packages" --advisory-names)"
echo "$generated"

results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  load="$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
  # %e wall, %U+%S CPU of the process (all threads), %M peak RSS in KB. Exit 0: no --fail-on.
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "${sfi[@]}" scan "$work/tree" --analyzers deps --data-dir "$work/data" \
    --format sarif --output "$work/deps.sarif" 2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  read -r wall user sys rss <"$work/time.txt"
  echo "run=$run loadavg=$load seconds=$wall cpu=$(python3 -c "print(round($user + $sys, 2))") peak_rss_mb=$((rss / 1024))" | tee -a "$results"
done
found="$(python3 - "$work/deps.sarif" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
stats = run["properties"]["statistics"]
results = run["results"]
advisories = sum(len(r["properties"]["advisories"].split(",")) for r in results)
print(f"{stats.get('dependencyPackages', 0)} packages in {stats.get('dependencyManifests', 0)} manifests, "
      f"{len(results)} vulnerable ({advisories} advisories, {sum(1 for r in results if 'smallestFix' in r['properties'])} with a smallest fix); "
      f"index imported {run['properties']['advisoryDatabaseImportedAt']}")
PY
)"

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
python3 - "$results" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$commit" "$sfi_version" "$found" "$(tail -n1 "$work/import.txt")" <<'PY'
import statistics, sys
path, invocation, cores, cpu, ram_kb, commit, version, found, imported = sys.argv[1:]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path)]
s = [float(r["seconds"]) for r in rows]; c = [float(r["cpu"]) for r in rows]; m = [float(r["peak_rss_mb"]) for r in rows]
print()
print(f"Command: `{invocation}`")
print()
print(f"Machine: {cores} cores, {cpu}, {int(ram_kb) // 1024} MiB RAM; {version}; commit {commit}.")
print(f"Index: {imported}")
print(f"Scan: {found}")
print()
print("| run | load avg at start | wall s | CPU s (user+sys) | peak RSS MB |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {r['run']} | {r['loadavg']} | {r['seconds']} | {r['cpu']} | {r['peak_rss_mb']} |")
print()
print(f"Median **{statistics.median(s):g} s** wall ({min(s):g}-{max(s):g}), **{statistics.median(c):g} s** CPU, "
      f"{statistics.median(m):g} MB peak RSS (target < 2 s: {'met' if statistics.median(s) < 2 else 'NOT met'} by wall time, "
      f"{'met' if statistics.median(c) < 2 else 'NOT met'} by CPU time).")
PY
