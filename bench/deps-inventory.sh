#!/usr/bin/env bash
# Dependency inventory benchmark: `sfi sbom` over a generated tree whose manifests and lock files resolve
# 20,000 packages across the six ecosystems (bench/deps_tree.py: package-lock v3, pnpm 9, yarn 1, packages.lock.json,
# poetry.lock, uv.lock, pip-compile requirements with hashes, Cargo.lock v4, go.mod + go.sum, pom.xml with properties;
# one project per ~500 packages, each with a dependency graph). Each run is a fresh process, so the figure includes
# start-up, the walk, parsing every file, the graph (direct/transitive and shortest paths) and writing the SBOM;
# `sfi --version` is timed as the start-up reference.
#
#   bench/deps-inventory.sh [--runs N] [--packages N] [--seed N]
#
#   --runs N       runs per format (default 5)
#   --packages N   packages in the generated tree (default 20000)
#   --seed N       generator seed (default 20261205); the same seed gives the same tree
#
# Working files: bench/.work/deps/ (git-ignored, recreated on every invocation). Results: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=deps-inventory
. bench/lib.sh
runs=5
packages=20000
seed=20261205
invocation="bench/deps-inventory.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --packages) packages="$2"; invocation+=" --packages $2"; shift 2 ;;
    --seed) seed="$2"; invocation+=" --seed $2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deps-inventory: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$packages" "$seed"; do
  case "$n" in ''|*[!0-9]*) echo "deps-inventory: --runs, --packages and --seed take whole numbers" >&2; exit 2 ;; esac
done
[ "$runs" -ge 1 ] && [ "$packages" -ge 100 ] || { echo "deps-inventory: --runs >= 1 and --packages >= 100" >&2; exit 2; }
require_tools dotnet python3 flock /usr/bin/time

work="$here/bench/.work/deps"
rm -rf "$work"
mkdir -p "$work"
sfi_snapshot "$work"

echo "== generating the tree ($packages packages, seed $seed)"
generated="$(python3 bench/deps_tree.py "$work/tree" --packages "$packages" --seed "$seed")"
echo "$generated"
size="$(du -sh "$work/tree" | cut -f1)"

results="$work/results.txt"
: >"$results"
measure() { # LABEL COMMAND...: one run, appended to the results
  local label="$1"; shift
  local load; load="$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  read -r wall rss <"$work/time.txt"
  echo "what=$label loadavg=$load seconds=$wall peak_rss_mb=$((rss / 1024))" | tee -a "$results"
}
for run in $(seq 1 "$runs"); do
  measure startup "${sfi[@]}" --version
  measure cyclonedx "${sfi[@]}" sbom "$work/tree" --output "$work/sbom.cdx.json"
  measure spdx "${sfi[@]}" sbom "$work/tree" --format spdx --output "$work/sbom.spdx.json"
done
components="$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['components']), sum(1 for c in d['components'] if c['properties'][0]['value'] == 'direct'), sum(len(x['dependsOn']) for x in d['dependencies']))" "$work/sbom.cdx.json")"

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
python3 - "$results" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$commit" "$sfi_version" "$generated" "$size" "$components" <<'PY'
import statistics, sys
path, invocation, cores, cpu, ram_kb, commit, version, generated, size, components = sys.argv[1:]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path)]
total, direct, edges = components.split()
print()
print(f"command: {invocation}")
print(f"machine: {cores} cores, {cpu}, {int(ram_kb) // 1024} MiB RAM; {version}; commit {commit}")
print(f"tree:    {generated}, {size}; SBOM: {total} components ({direct} direct), {edges} dependency edges")
print()
print("| what | runs | seconds, median (min–max) | peak RSS MB, median (min–max) | load averages |")
print("|---|---|---|---|---|")
for what in ["startup", "cyclonedx", "spdx"]:
    sel = [r for r in rows if r["what"] == what]
    s = [float(r["seconds"]) for r in sel]; m = [float(r["peak_rss_mb"]) for r in sel]
    print(f"| {what} | {len(sel)} | {statistics.median(s):g} ({min(s):g}–{max(s):g}) | {statistics.median(m):g} ({min(m):g}–{max(m):g}) | {', '.join(r['loadavg'] for r in sel)} |")
PY
