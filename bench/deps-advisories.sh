#!/usr/bin/env bash
# Dependencies: advisories benchmark.
#   import   AdvisoryImporter.ImportAsync (what `sfi advisories update --source` runs) of the Python Packaging Advisory
#            Database (2,662 YAML records, ../shared/data/advisories/pypa) plus a generated OSV all.zip of 200,000
#            advisories across NuGet, npm, PyPI, Maven, Go and crates.io, into a fresh data directory
#                                                                                   target < 30 s
#   match    a cold process: AdvisoryDatabase.Open of that index, then AdvisoryMatcher.Match of 20,000 generated
#            resolved packages across the six ecosystems (half named by generated advisories, a tenth real PyPI
#            names with hundreds of PyPA advisories), smallest fixes included          target < 2 s
#            (also reported: the CPU time of each step, which a loaded machine inflates far less than wall time, and
#            the same match again in the same process, "warm")
#
#   bench/deps-advisories.sh [--runs N] [--advisories N] [--packages N] [--pypa DIR] [--wait-idle PCT]
#
#   --runs N        runs (default 3); each imports, then matches
#   --advisories N  generated advisories (default 200000); see bench/advisories/AdvisoriesBench/Program.cs
#   --packages N    packages to match (default 20000)
#   --pypa DIR      the PyPA database's vulns/ folder (default ../shared/data/advisories/pypa/vulns beside the repo)
#   --wait-idle PCT before each run, wait (up to 2 minutes) until the CPUs are at least PCT % idle (default 50; 0: off)
#
# Working files: bench/.work/advisories/ (git-ignored, recreated). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=deps-advisories
. bench/lib.sh
runs=3
advisories=200000
packages=20000
pypa="$here/../shared/data/advisories/pypa/vulns"
[ -d "$pypa" ] || pypa="$here/../../shared/data/advisories/pypa/vulns"
wait_idle=50
invocation="bench/deps-advisories.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --advisories) advisories="$2"; invocation+=" --advisories $2"; shift 2 ;;
    --packages) packages="$2"; invocation+=" --packages $2"; shift 2 ;;
    --pypa) pypa="$2"; invocation+=" --pypa $2"; shift 2 ;;
    --wait-idle) wait_idle="$2"; invocation+=" --wait-idle $2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$bench_name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$advisories" "$packages"; do
  case "$n" in ''|*[!0-9]*|0) echo "$bench_name: --runs, --advisories and --packages take positive whole numbers" >&2; exit 2 ;; esac
done
case "$wait_idle" in ''|*[!0-9]*) echo "$bench_name: --wait-idle takes a whole number (0-100)" >&2; exit 2 ;; esac
[ -d "$pypa" ] || { echo "$bench_name: the PyPA database is not at $pypa (give --pypa DIR)" >&2; exit 2; }
require_tools dotnet python3 flock

work="$here/bench/.work/advisories"
rm -rf "$work"
mkdir -p "$work" "$here/.sfi-build"
echo "== building AdvisoriesBench (Release)"
build_bench bench/advisories/AdvisoriesBench/AdvisoriesBench.csproj "$work/bin"
bench="$work/bin/AdvisoriesBench"

echo "== generating an OSV all.zip of $advisories advisories (bench/.work/advisories/generated.zip)"
"$bench" generate "$work/generated.zip" "$advisories" | tee "$work/generate.txt"

results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  quiet 120
  rm -rf "$work/data"
  echo "run=$run idle=$idle% loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" | tee -a "$results"
  echo "run=$run step=import $("$bench" import "$work/data" "$pypa" "$work/generated.zip")" | tee -a "$results"
  echo "run=$run step=match $("$bench" match "$work/data" "$packages")" | tee -a "$results"
done

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
os="$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/"; fi
python3 - "$results" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$os" "$(uname -r)" "$(dotnet --version)" "$commit" "$(cat "$work/generate.txt")" <<'PY' | tee "$work/summary.md"
import re, statistics, sys
path, command, cores, cpu, ram_kb, os_name, kernel, dotnet, commit, generated = sys.argv[1:]
runs = {}
for line in open(path):
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    r = runs.setdefault(int(fields.pop("run")), {})
    if "loadavg" in fields:
        r.update(idle=fields["idle"], load=fields["loadavg"])
    else:
        r[fields.pop("step")] = fields
rows = sorted(runs.items())
i0, m0 = rows[0][1]["import"], rows[0][1]["match"]
print(f"Command: `{command}` ({generated.strip()})")
print()
print(f"Machine: {cores} cores, {cpu}, {int(ram_kb) // 1024} MiB RAM, {os_name}, kernel {kernel}, .NET SDK {dotnet}; commit {commit}.")
print(f"Index: {i0['advisories']} advisories ({i0['withdrawn']} withdrawn left out) for {i0['packages']} packages, {i0['index_mb']} MB. "
      f"Match: {m0['packages']} packages, {m0['vulnerable']} vulnerable, {m0['findings']} advisories matched, {m0['with_fix']} with a smallest fix.")
print()
print("| run | CPUs idle at start | load avg at start | import s | import CPU s | import peak RSS MB | open s | match s | open + match s | open + match CPU s | warm match s | match peak RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for run, r in rows:
    i, m = r["import"], r["match"]
    print(f"| {run} | {r['idle']} | {r['load']} | {i['seconds']} | {i['cpu_seconds']} | {i['peak_rss_mb']} | {m['open_seconds']} | {m['match_seconds']} | {m['total_seconds']} | {m['cpu_seconds']} | {m['warm_match_seconds']} | {m['peak_rss_mb']} |")
def med(step, key):
    return statistics.median(float(r[step][key]) for _, r in rows)
imp, imp_cpu = med("import", "seconds"), med("import", "cpu_seconds")
tot, tot_cpu = med("match", "total_seconds"), med("match", "cpu_seconds")
print()
print(f"Median import **{imp:.1f} s** wall, {imp_cpu:.1f} s CPU (target < 30 s: {'met' if imp < 30 else 'NOT met'} by wall time); "
      f"median open + match **{tot:.2f} s** wall, **{tot_cpu:.2f} s** CPU (target < 2 s: {'met' if tot < 2 else 'NOT met'} by wall time, "
      f"{'met' if tot_cpu < 2 else 'NOT met'} by CPU time).")
PY
