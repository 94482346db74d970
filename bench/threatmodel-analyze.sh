#!/usr/bin/env bash
# Threat modeling benchmark: a generated model of 5,000 elements and 20,000 flows analyzed against the
# whole default rule catalogue (66 rules), with references that make the figure meaningful:
#   parse     YamlDotNet loading the same file into its representation model, nothing else
#   load      reading the file into sfi's ThreatModel (the library's YamlModelReader, or, when its 100,000-node guard
#             refuses the file, bench/threatmodel's mirror of it; `verify` checks the two agree on a smaller model)
#   analyze   ThreatAnalyzer.Analyze: generation with the whole catalogue, reconciled with the recorded threats
#   trivial   the library's generator with one rule (source is 'GE.P'): the per-flow walk without the catalogue
#   indexed   the generator's loop with endpoints and boundary members in hash tables (same threats, checked)
#
#   bench/threatmodel-analyze.sh [--runs N] [--elements N] [--flows N] [--seed N]
#
#   --runs N       analyze runs, each in a fresh process (default 5)
#   --elements N   elements in the generated model (default 5000)
#   --flows N      flows in the generated model (default 20000)
#   --seed N       generator seed (default 20260505); the same seed gives the same file
#
# Working files: bench/.work/threatmodel/ (git-ignored, recreated on every invocation). Results: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=threatmodel-analyze
. bench/lib.sh
runs=5
elements=5000
flows=20000
seed=20260505
invocation="bench/threatmodel-analyze.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --elements) elements="$2"; invocation+=" --elements $2"; shift 2 ;;
    --flows) flows="$2"; invocation+=" --flows $2"; shift 2 ;;
    --seed) seed="$2"; invocation+=" --seed $2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "threatmodel-analyze: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$elements" "$flows" "$seed"; do
  case "$n" in ''|*[!0-9]*) echo "threatmodel-analyze: --runs, --elements, --flows and --seed take whole numbers" >&2; exit 2 ;; esac
done
[ "$runs" -ge 1 ] && [ "$elements" -ge 60 ] || { echo "threatmodel-analyze: --runs >= 1 and --elements >= 60" >&2; exit 2; }
require_tools dotnet python3 flock

work="$here/bench/.work/threatmodel"
rm -rf "$work"
mkdir -p "$work" "$here/.sfi-build"
echo "== building bench/threatmodel/ThreatModelBench (Release)"
build_bench bench/threatmodel/ThreatModelBench/ThreatModelBench.csproj "$work/bin"
bench="$work/bin/ThreatModelBench"

echo "== checking the bench's reader against the library's on a model the library reads (300 elements, 1,200 flows)"
"$bench" generate "$work/small.yaml" 300 1200 "$seed" >/dev/null
"$bench" verify "$work/small.yaml" | tee "$work/verify.txt"

echo "== generating the model ($elements elements, $flows flows, seed $seed)"
"$bench" generate "$work/model.yaml" "$elements" "$flows" "$seed" | tee "$work/generate.txt"
sha="$(sha256sum "$work/model.yaml" | cut -c1-16)"

results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  load="$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
  start=$(date +%s.%N)
  out="$("$bench" analyze "$work/model.yaml")"
  wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
  line="run=$run loadavg=$load process_seconds=$wall $(printf '%s\n' "$out" | head -n1)"
  echo "$line" | tee -a "$results"
  printf '%s\n' "$out" | sed -n '2p' >"$work/library-load.txt"
done

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git status --porcelain -- src/SecureFuture.ThreatModeling bench/threatmodel 2>/dev/null | head -c1)"
python3 - "$results" "$invocation" "$(nproc)" "$cpu" "$ram_kb" "$commit${dirty:+ (with uncommitted changes)}" "$(dotnet --version)" \
  "$(cat "$work/generate.txt")" "$sha" "$(cat "$work/verify.txt")" "$(cat "$work/library-load.txt")" <<'PY'
import statistics, sys
path, invocation, cores, cpu, ram_kb, commit, sdk, generated, sha, verify, library_load = sys.argv[1:]
rows = []
for line in open(path):
    rows.append(dict(kv.split("=", 1) for kv in line.split()))
num = lambda r, k: float(r[k])
for r in rows:
    r["ratio_parse"] = f"{num(r, 'analyze_seconds') / num(r, 'parse_seconds'):.2f}"
    r["ratio_indexed"] = f"{num(r, 'analyze_seconds') / num(r, 'indexed_seconds'):.1f}"
cols = ["run", "loadavg", "parse_seconds", "load_seconds", "analyze_seconds", "trivial_seconds", "indexed_seconds",
        "rate_flows_per_s", "ratio_parse", "ratio_indexed", "peak_working_set_mb", "process_seconds"]
print()
print(f"command: {invocation}")
print(f"machine: {cores} cores, {cpu}, {int(ram_kb) // 1024} MiB RAM; .NET SDK {sdk}; commit {commit}")
print(f"model:   {generated} sha256={sha}")
print(f"check:   {verify}")
print(f"library: {library_load}")
first = rows[0]
print(f"result:  elements={first['elements']} flows={first['flows']} boundaries={first['boundaries']} threats={first['threats']} "
      f"rules_fired={first['rules_fired']} loader={first['loader']} indexed_identical={','.join(sorted({r['indexed_identical'] for r in rows}))}")
print()
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for r in rows:
    print("| " + " | ".join(r[c] for c in cols) + " |")
cells = []
for c in cols[2:]:
    values = [float(r[c]) for r in rows]
    cells.append(f"{statistics.median(values):g} ({min(values):g}–{max(values):g})")
print("| median (min–max) | | " + " | ".join(cells) + " |")
PY
