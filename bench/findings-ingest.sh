#!/usr/bin/env bash
# Findings hub ingest: SarifLogReader alone over a generated SARIF log of 100,000 results (about 140 MB,
# CodeQL-shaped: rules with security-severity, results with partialFingerprints and snippets, a code flow on one in
# ten), in three forms: plain with automationDetails before the results (streamed), the same gzip-compressed, and
# plain without automationDetails (the results are spooled to a temporary file and mapped at the run's end, as for
# sfi's and DevSkim's logs). Each run is one process timed by /usr/bin/time; the figure is results/s over the reader's
# own time (start-up excluded), results per CPU second of the whole process (user + sys, start-up and JIT threads
# included: what the reader costs whatever else the machine runs), and peak RSS. Targets: >= 20,000 results/s and
# < 500 MB.
#
#   bench/findings-ingest.sh [--write] [--runs N] [--results N] [--seed N]
#
#   --write      replace the section between the bench:findings-ingest markers in docs/benchmarks.md
#   --runs N     timed runs per form, after one untimed warm-up (default 3)
#   --results N  results in the generated log (default 100000)
#   --seed N     generator seed (default 20261205); the same seed gives the same file
#
# Working files: bench/.work/findings/ (git-ignored). Needs the .NET 10 SDK, python3 and GNU time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=findings-ingest
. bench/lib.sh
write=0
runs=3
results=100000
seed=20261205
invocation="bench/findings-ingest.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --write) write=1; invocation+=" --write"; shift ;;
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --results) results="$2"; invocation+=" --results $2"; shift 2 ;;
    --seed) seed="$2"; invocation+=" --seed $2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "findings-ingest: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$results" "$seed"; do
  case "$n" in ''|*[!0-9]*) echo "findings-ingest: --runs, --results and --seed take whole numbers" >&2; exit 2 ;; esac
done
[ "$runs" -ge 1 ] || { echo "findings-ingest: --runs >= 1" >&2; exit 2; }
require_tools dotnet python3 flock
[ -x /usr/bin/time ] || install_missing time

work="$here/bench/.work/findings"
mkdir -p "$work"
echo "== building bench/findings/IngestBench (Release)"
build_bench bench/findings/IngestBench/IngestBench.csproj "$work/bin"
bench="$work/bin/IngestBench"

echo "== generating $results results (seed $seed)"
"$bench" generate "$work/streamed.sarif" "$results" "$seed" 0 yes >/dev/null
"$bench" generate "$work/streamed.sarif.gz" "$results" "$seed" 0 yes >/dev/null
"$bench" generate "$work/spooled.sarif" "$results" "$seed" 0 no >/dev/null

timings="$work/timings.txt"
: >"$timings"
for form in streamed streamed.sarif.gz spooled; do
  file="$work/$form"; [ "$form" = streamed.sarif.gz ] || file="$work/$form.sarif"
  "$bench" read "$file" >/dev/null   # warm-up: page cache and disk
done
for run in $(seq 1 "$runs"); do
  for form in streamed streamed.sarif.gz spooled; do
    file="$work/$form"; [ "$form" = streamed.sarif.gz ] || file="$work/$form.sarif"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    out="$(/usr/bin/time -f 'wall=%e rss_kb=%M user=%U sys=%S' "$bench" read "$file" 2>"$work/time.txt")"
    line="form=$form run=$run loadavg=$load bytes=$(stat -c %s "$file") $out $(tail -n1 "$work/time.txt")"
    echo "$line" | tee -a "$timings"
  done
done

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git status --porcelain -- src/SecureFuture.Findings bench/findings 2>/dev/null | head -c1)"
section="$(python3 - "$timings" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$commit${dirty:+ (with uncommitted changes)}" "$(dotnet --version)" "$runs" <<'PY'
import statistics, sys
path, invocation, cores, cpu, ram_kb, commit, sdk, runs = sys.argv[1:]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path) if line.strip()]
names = {"streamed": "plain, automationDetails first (streamed)", "streamed.sarif.gz": "gzip, automationDetails first (streamed)",
         "spooled": "plain, no automationDetails (spooled)"}
print(f"Run: `{invocation}` on {cores} cores ({cpu}), {int(ram_kb) // 1024} MiB RAM; .NET SDK {sdk}; commit {commit}; "
      f"one process per run, median of {runs} after a warm-up.")
print()
print("| Log | Size | Results | Reader s (min-max) | Results/s | CPU s (user+sys) | Results per CPU s | Peak RSS | Load average |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
verdict_rate, verdict_rss, cpu_rate = [], [], []
for form, label in names.items():
    rs = [r for r in rows if r["form"] == form]
    secs = [float(r["seconds"]) for r in rs]
    rss = max(int(r["rss_kb"]) for r in rs) // 1024
    median = statistics.median(secs)
    rate = int(rs[0]["results"]) / median
    verdict_rate.append(rate); verdict_rss.append(rss)
    loads = sorted(float(r["loadavg"]) for r in rs)
    cpu_s = statistics.median(float(r["user"]) + float(r["sys"]) for r in rs)
    cpu_rate.append(int(rs[0]["results"]) / cpu_s)
    print(f"| {label} | {int(rs[0]['bytes']) / 1e6:.0f} MB | {int(rs[0]['results']):,} | {median:.2f} ({min(secs):.2f}-{max(secs):.2f}) "
          f"| {rate:,.0f} | {cpu_s:.2f} | {cpu_rate[-1]:,.0f} | {rss} MB | {loads[0]:g}-{loads[-1]:g} |")
print()
ok = lambda b: "**met**" if b else "**not met**"
print(f"Targets (the reader alone): >= 20,000 results/s: {ok(min(verdict_rate) >= 20000)} by wall clock (slowest form {min(verdict_rate):,.0f}), "
      f"{ok(min(cpu_rate) >= 20000)} per CPU second (slowest form {min(cpu_rate):,.0f}); "
      f"peak RSS < 500 MB: {ok(max(verdict_rss) < 500)} (largest {max(verdict_rss)} MB). "
      f"The wall-clock figure depends on what else runs: with a load average well above the core count the process "
      f"waits for a CPU most of the time, and the CPU-second figure is the reader's own cost.")
PY
)"
printf '\n%s\n' "$section"
if [ "$write" -eq 1 ]; then
  python3 bench/code_bench.py replace-section --doc docs/benchmarks.md --name findings-ingest <<<"$section"
  echo "== wrote the section to docs/benchmarks.md"
fi
