#!/usr/bin/env bash
# bench/startup.sh: the CPU time `sfi scan` spends on an empty directory, i.e. its start-up (docs/benchmarks.md,
# "Start-up"), for one or more builds, alternated run by run so that each sees the same load.
#   bench/startup.sh [--runs N] BUILD...
# A BUILD is a directory holding sfi.dll (what ./sfi publishes into .sfi-build/bin, copied aside to compare) or an
# executable (the AOT or single-file sfi, or a wrapper such as `DOTNET_TieredCompilation=0 exec dotnet DIR/sfi.dll "$@"`,
# which is how ./sfi runs a scan). For each build, the median over N runs (default 10) of user + system CPU
# seconds (GNU time) of `sfi scan EMPTY` with the default analyzers and with `--analyzers secrets`, and the load
# average when it ended. CPU time rather than wall time: on a shared machine it is what stays comparable.
# SFI_TRACE_STARTUP=1 on one run breaks a build's start-up down by phase (runtime, command line, each analyzer...).
set -euo pipefail
runs=10
if [ "${1:-}" = --runs ]; then runs="$2"; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--runs N] BUILD..." >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "startup.sh: needs GNU time (apt-get install time)" >&2; exit 2; }
empty="$(mktemp -d)"; times="$(mktemp -d)"; trap 'rm -rf "$empty" "$times"' EXIT

command_of() { if [ -d "$1" ]; then echo "dotnet $1/sfi.dll"; else echo "$1"; fi; }
cpu() { # file command... : appends the run's user+system CPU seconds to file
  local file="$1"; shift
  /usr/bin/time -o "$times/last" -f '%U %S' "$@" >/dev/null 2>&1 || { echo "startup.sh: '$*' failed" >&2; exit 1; }
  awk '{print $1 + $2}' "$times/last" >> "$file"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f", m}'; }

for i in $(seq "$runs"); do
  n=0
  for build in "$@"; do
    n=$((n + 1))
    # shellcheck disable=SC2046 # the command is a program and, for a directory, its dll
    cpu "$times/$n.all" $(command_of "$build") scan "$empty"
    # shellcheck disable=SC2046
    cpu "$times/$n.secrets" $(command_of "$build") scan "$empty" --analyzers secrets
  done
done

echo "| build | \`sfi scan EMPTY\` CPU (s) | \`--analyzers secrets\` CPU (s) |"
echo "|---|---:|---:|"
n=0
for build in "$@"; do
  n=$((n + 1))
  echo "| $build | $(median "$times/$n.all") | $(median "$times/$n.secrets") |"
done
echo "medians of $runs runs each, alternated; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
