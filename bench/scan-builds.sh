#!/usr/bin/env bash
# Compares builds of sfi on one tree: `sfi scan TREE --format json --threads $(nproc)` with each build in turn,
# alternated run by run so that every build meets the same load, and prints per build the median CPU time (user +
# system, the steadier figure on a shared machine), wall time and peak resident memory, with the load average.
#
#   bench/scan-builds.sh [--runs N] TREE BUILD_DIR [BUILD_DIR ...]
#
# A BUILD_DIR holds sfi.dll: copy .sfi-build/bin aside (`cp -r .sfi-build/bin /tmp/sfi-before`) before changing the
# sources, then run ./sfi once to build the change. A BUILD_DIR may also be a native AOT sfi executable, run as it
# is. DOTNET_TieredCompilation=0 in the environment runs the dll builds as ./sfi does. Examples (docs/benchmarks.md,
# "Secrets scan speed"):
#   bench/scan-builds.sh --runs 5 bench/.work/corpus /tmp/sfi-before .sfi-build/bin
#   bench/scan-builds.sh --runs 5 /usr/share/doc /tmp/sfi-before .sfi-build/bin
# Needs GNU time (Debian package `time`) and python3.
set -euo pipefail

runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "scan-builds: usage: bench/scan-builds.sh [--runs N] TREE BUILD_DIR [BUILD_DIR ...]" >&2; exit 2; }
case "$runs" in ''|*[!0-9]*|0) echo "scan-builds: --runs needs a positive whole number" >&2; exit 2 ;; esac
[ -x /usr/bin/time ] || { echo "scan-builds: GNU time is required (sudo apt-get install -y time)" >&2; exit 2; }
tree="$1"; shift
for build in "$@"; do
  [ -f "$build/sfi.dll" ] || { [ -f "$build" ] && [ -x "$build" ]; } || { echo "scan-builds: $build is neither a directory with sfi.dll nor an executable" >&2; exit 2; }
done
command_of() { if [ -d "$1" ]; then echo "dotnet $1/sfi.dll"; else echo "$1"; fi; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2046 # the command is a program and, for a directory, its dll
for build in "$@"; do $(command_of "$build") --version >/dev/null; done # warm the file cache
for run in $(seq "$runs"); do
  for build in "$@"; do
    status=0
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" $(command_of "$build") scan "$tree" --format json \
      --output "$work/report.json" --threads "$(nproc)" >/dev/null 2>"$work/stderr" || status=$?
    # 1 is a tripped gate, not a failure of the run.
    [ "$status" -le 1 ] || { cat "$work/stderr" >&2; echo "scan-builds: $build exited $status" >&2; exit 1; }
    printf '%s %s %s\n' "$build" "$(cut -d' ' -f1-4 "$work/time")" "$(cut -d' ' -f1 /proc/loadavg)" >>"$work/runs"
  done
done

python3 - "$work/runs" "$@" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print(f"| Build | Runs | Median CPU, user + system (s) | CPU range (s) | Median wall (s) | Median peak RSS (MB) | Peak RSS range (MB) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for build in sys.argv[2:]:
    r = [x for x in rows if x[0] == build]
    cpu = [float(x[2]) + float(x[3]) for x in r]
    wall = [float(x[1]) for x in r]
    rss = [int(x[4]) / 1024 for x in r]
    print(f"| {build} | {len(r)} | {statistics.median(cpu):.2f} | {min(cpu):.2f}–{max(cpu):.2f} | {statistics.median(wall):.2f} "
          f"| {statistics.median(rss):.0f} | {min(rss):.0f}–{max(rss):.0f} |")
load = [float(x[5]) for x in rows]
print(f"\n1-minute load average during the runs: {min(load):.1f}–{max(load):.1f} (median {statistics.median(load):.1f}); MB = 2^20 bytes.")
PY
