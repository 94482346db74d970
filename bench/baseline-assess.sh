#!/usr/bin/env bash
# Tenant baseline benchmark: assess a generated snapshot of 100,000 resources with all 99 controls.
#   assess   bench/baseline/BaselineBench assess: BaselineAssessor.AssessAsync, the one streamed pass from reading to
#            results that `sfi baseline assess` runs, one cold process per run, pinned to one core (taskset -c 0), in
#            three variants:
#              counted   every result counted, none kept or written (the assessment itself)
#                                                                 target >= 20,000 resources/s, peak RSS < 2x input
#              json      every result written to a JSON file as it comes (`--format json --output F`)
#              failures  the failures kept in memory (what the text, SARIF and HTML reports and `remediate` need)
#   parse    bench/baseline/BaselineBench parse: System.Text.Json's JsonDocument parsing the same files and nothing
#            else, same core, same run (the reference: assessment time / parse-only time is reported)
#
#   bench/baseline-assess.sh [--runs N] [--resources N] [--wait-idle PCT]
#
#   --runs N        runs (default 5); every run measures assess, then parse
#   --resources N   resources in the generated snapshot (default 100000): 90 % ARM, 10 % Graph; see
#                   bench/baseline/BaselineBench/Program.cs (SnapshotGenerator) and bench/baseline/make_templates.py
#   --wait-idle PCT before each run, wait (up to 2 minutes) until the CPUs are at least PCT % idle over one second,
#                   so that other work on the machine lands in as few runs as possible (default 50; 0: off)
#
# Installs util-linux (taskset) when it lacks it and runs as root. Working files: bench/.work/baseline/ (git-ignored,
# recreated on every invocation). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=baseline-assess
. bench/lib.sh
runs=5
resources=100000
wait_idle=50
invocation="bench/baseline-assess.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --resources) resources="$2"; invocation+=" --resources $2"; shift 2 ;;
    --wait-idle) wait_idle="$2"; invocation+=" --wait-idle $2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "baseline-assess: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$resources"; do
  case "$n" in ''|*[!0-9]*|0) echo "baseline-assess: --runs and --resources take positive whole numbers" >&2; exit 2 ;; esac
done
case "$wait_idle" in ''|*[!0-9]*) echo "baseline-assess: --wait-idle takes a whole number (0-100)" >&2; exit 2 ;; esac

command -v taskset >/dev/null 2>&1 || install_missing util-linux
require_tools dotnet python3 flock

work="$here/bench/.work/baseline"
rm -rf "$work"
mkdir -p "$work" "$here/.sfi-build"
echo "== building BaselineBench (Release)"
build_bench bench/baseline/BaselineBench/BaselineBench.csproj "$work/bin"
bench="$work/bin/BaselineBench"

echo "== generating a snapshot of $resources resources (bench/.work/baseline/snapshot)"
"$bench" generate "$work/snapshot" "$resources" | tee "$work/generate.txt"


results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  quiet 120
  echo "run=$run idle=$idle% loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" | tee -a "$results"
  echo "run=$run variant=counted $(taskset -c 0 "$bench" assess "$work/snapshot" none -)" | tee -a "$results"
  echo "run=$run variant=json $(taskset -c 0 "$bench" assess "$work/snapshot" none "$work/assessment.json")" | tee -a "$results"
  rm -f "$work/assessment.json"
  echo "run=$run variant=failures $(taskset -c 0 "$bench" assess "$work/snapshot" failures -)" | tee -a "$results"
  echo "run=$run $(taskset -c 0 "$bench" parse "$work/snapshot")" | tee -a "$results"
done

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
os="$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/"; fi
python3 - "$results" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$os" "$(uname -r)" "$(dotnet --version)" "$commit" "$(cat "$work/generate.txt")" <<'EOF' | tee "$work/summary.md"
import re
import statistics
import sys

path, command, cores, cpu, ram_kb, os_name, kernel, dotnet, commit, generated = sys.argv[1:]
runs = {}
for line in open(path):
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    run = int(fields.pop("run"))
    r = runs.setdefault(run, {})
    if "loadavg" in fields:
        r["load"] = fields["loadavg"]
        r["idle"] = fields["idle"]
    elif line.split()[1] == "parse":
        r["parse"] = fields
    else:
        r[fields["variant"]] = fields

def f(r, kind, key):
    return float(r[kind][key])

rows = sorted(runs.items())
variants = ["counted", "json", "failures"]
inp = f(rows[0][1], "counted", "input_mb")
a0 = rows[0][1]["counted"]
print(f"Command: `{command}` ({generated.strip()})")
print()
print(f"Machine: {cores} cores, {cpu}, {int(ram_kb) // 1024} MiB RAM, {os_name}, kernel {kernel}, .NET SDK {dotnet}; commit {commit}.")
print(f"Input: {a0['resources']} resources in {a0['files']} files, {inp:.1f} MB; {a0['read']} read by the reader (the rest are types no control reads); "
      f"{a0['results']} results from {a0['controls']} controls ({a0['statuses'].replace(',', ', ')}).")
print()
print("| run | CPUs idle at start | load avg (1/5/15 min) at start | variant | assess s | CPU s | GC pause s | gen2 GCs | resources/s | per CPU s | peak RSS MB | peak / input | live heap after MB | parse-only s | assess / parse |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for run, r in rows:
    p = r["parse"]
    for v in variants:
        a = r[v]
        print(f"| {run} | {r['idle']} | {r['load']} | {v} | {float(a['seconds']):.2f} | {float(a['cpu_seconds']):.2f} | {float(a['gc_pause_seconds']):.2f} | {a['gen2_collections']} | "
              f"{float(a['rate']):,.0f} | {float(a['cpu_rate']):,.0f} | {float(a['peak_working_set_mb']):.0f} | {float(a['peak_working_set_mb']) / inp:.2f}x | {float(a['live_heap_mb']):.0f} | "
              f"{float(p['seconds']):.2f} | {float(a['seconds']) / float(p['seconds']):.1f}x |")
print()
print("| variant | median resources/s (min-max) | per CPU s | median peak RSS | peak / input | output |")
print("|---|---|---|---|---|---|")
medians = {}
for v in variants:
    rate = [f(r, v, "rate") for _, r in rows]
    peak = [f(r, v, "peak_working_set_mb") for _, r in rows]
    cpu_rate = statistics.median(f(r, v, "cpu_rate") for _, r in rows)
    medians[v] = (statistics.median(rate), statistics.median(peak))
    print(f"| {v} | **{medians[v][0]:,.0f}** ({min(rate):,.0f}-{max(rate):,.0f}) | {cpu_rate:,.0f} | **{medians[v][1]:.0f} MB** | {medians[v][1] / inp:.2f}x | "
          f"{rows[0][1][v]['output_mb']} MB |")
print()
ratio = statistics.median(f(r, "counted", "seconds") / f(r, "parse", "seconds") for _, r in rows)
print(f"The assessment (counted) takes **{ratio:.1f}x** the time System.Text.Json needs to parse the same files.")
med_rate, med_peak = medians["counted"]
print()
print(f"Targets (counted): >= 20,000 resources/s on one core: {'met' if med_rate >= 20000 else 'NOT met'}; "
      f"peak memory < 2x input: {'met' if med_peak < 2 * inp else 'NOT met'}.")
EOF
