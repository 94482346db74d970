#!/usr/bin/env bash
# The secret analyzer's per-byte work alone: bench/secrets/SecretsBench runs SecretAnalyzer.Analyze (keywords, windows
# and patterns, encoded values) and the lines-of-code count over every text file of TREE, read into memory first, on
# one thread with the JIT at full optimisation from the start, and prints the CPU time of each pass. No start-up, no
# walk, no reading, no JIT tiers: what `sfi scan` spends per byte in the scanning code, for comparing commits.
#
#   bench/secrets-analyzer.sh [--runs N] [--passes N] TREE [COMMIT ...]
#
#   --runs N     processes per build, alternated build by build (default 5)
#   --passes N   passes over the tree per process; the first, with the JIT, is left out (default 4)
#   COMMIT       also build the bench against the sources of these commits (git archive) and compare; the working
#                tree is always measured, as "working tree"
#
# Example (docs/benchmarks.md, "Secrets scan speed"): bench/secrets-analyzer.sh bench/.work/corpus 80527e1
# Working files: bench/.work/secrets-analyzer/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=secrets-analyzer
. bench/lib.sh
runs=5
passes=4
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "secrets-analyzer: usage: bench/secrets-analyzer.sh [--runs N] [--passes N] TREE [COMMIT ...]" >&2; exit 2; }
for n in "$runs" "$passes"; do
  case "$n" in ''|*[!0-9]*|0) echo "secrets-analyzer: --runs and --passes take positive whole numbers" >&2; exit 2 ;; esac
done
[ "$passes" -ge 2 ] || { echo "secrets-analyzer: --passes must be at least 2 (the first is left out)" >&2; exit 2; }
tree="$(cd "$1" && pwd)"; shift
require_tools dotnet python3 git flock

work="$here/bench/.work/secrets-analyzer"
mkdir -p "$work"
builds=()
echo "== building the bench against the working tree"
build_bench bench/secrets/SecretsBench/SecretsBench.csproj "$work/bin-working-tree"
builds+=("working-tree")
for commit in "$@"; do
  sha="$(git rev-parse --short "$commit^{commit}")"
  src="$work/src-$sha"
  if [ ! -d "$src" ]; then
    echo "== extracting $sha"
    mkdir -p "$src"
    git archive "$sha" src rules guidance Directory.Build.props Directory.Packages.props global.json | tar -x -C "$src"
  fi
  # The bench project is this one, built against that commit's sources.
  rm -rf "$src/bench/secrets" && mkdir -p "$src/bench/secrets" && cp -r bench/secrets/SecretsBench "$src/bench/secrets/"
  rm -rf "$src/bench/secrets/SecretsBench/bin" "$src/bench/secrets/SecretsBench/obj"
  echo "== building the bench against $sha"
  dotnet build "$src/bench/secrets/SecretsBench/SecretsBench.csproj" -c Release -o "$work/bin-$sha" -nologo -v quiet -clp:ErrorsOnly \
    >"$work/build-$sha.log" 2>&1 || { cat "$work/build-$sha.log" >&2; exit 1; }
  builds+=("$sha")
done

: >"$work/runs"
for run in $(seq "$runs"); do
  for build in "${builds[@]}"; do
    dotnet "$work/bin-$build/SecretsBench.dll" "$tree" "$passes" | sed "s|^|$build $(cut -d' ' -f1 /proc/loadavg) |" >>"$work/runs"
  done
done

python3 - "$work/runs" "${builds[@]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
files = next(r for r in rows if r[2] == "files")
print(f"Tree: {int(files[3]):,} text files, {int(files[5]) / 2**20:.1f} MiB ({int(files[7]):,} not ASCII).")
print("\n| Build | Runs | Analyzer, median CPU per pass (ms) | Range (ms) | Lines of code, median CPU per pass (ms) | Detections, lines |")
print("|---|---:|---:|---:|---:|---|")
for build in sys.argv[2:]:
    # Per process: the median of its passes after the first; per build: the median of those.
    per_run, lines, seen = [], [], set()
    current = []
    for r in rows:
        if r[0] != build or r[2] != "pass":
            continue
        if r[3] == "0":
            if current:
                per_run.append(statistics.median(x[0] for x in current)); lines.append(statistics.median(x[1] for x in current))
            current = []
            continue
        current.append((float(r[4]), float(r[5])))
        seen.add((r[6], r[7]))
    if current:
        per_run.append(statistics.median(x[0] for x in current)); lines.append(statistics.median(x[1] for x in current))
    print(f"| {build} | {len(per_run)} | {statistics.median(per_run):.0f} | {min(per_run):.0f}–{max(per_run):.0f} | "
          f"{statistics.median(lines):.0f} | {', '.join(f'{d}, {l}' for d, l in sorted(seen))} |")
load = [float(r[1]) for r in rows]
print(f"\n1-minute load average during the runs: {min(load):.1f}–{max(load):.1f}.")
PY
