#!/usr/bin/env bash
# The replay journal's synchronous write, by how it is made (bench/journal/write_modes.c): O_SYNC appends (the journal
# until round 10) against O_DSYNC writes into zeros written ahead (since round 10), and O_DSYNC appends and into
# fallocate(2)d blocks for comparison. Each run measures every mode once, back to back, in the directory the journal
# would use (the file system matters: a journalled one commits its journal for every append, in its own kernel thread).
# Reports per write the process's CPU time, the whole machine's CPU time (the kernel threads' work included: on a
# journalled file system much of an append's work is not the writer's) and the wall time, medians over the runs, and
# each against O_SYNC appends.
#
#   bench/journal-writes.sh [--runs N] [--writes N] [--size BYTES] [--dir DIR]
#
#   --runs N       runs (default 5)
#   --writes N     writes per mode and run (default 3000)
#   --size BYTES   bytes per write (default 216: a batch of two tokens' four identifiers, header and checksum)
#   --dir DIR      where the test file goes (default bench/.work/journal-writes/)
#
# Needs gcc. Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
runs=5
writes=3000
size=216
dir="$here/bench/.work/journal-writes"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs|--writes|--size|--dir)
      [ $# -ge 2 ] || { echo "journal-writes: $1 needs a value" >&2; exit 2; }
      printf -v "${1#--}" '%s' "$2"; shift 2 ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    *) echo "journal-writes: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
command -v gcc >/dev/null || { echo "journal-writes: needs gcc (Debian: apt-get install gcc)" >&2; exit 2; }
mkdir -p "$dir" "$here/bench/.work"
program="$here/bench/.work/write_modes"
gcc -O2 -Wall -Wextra -o "$program" bench/journal/write_modes.c
results="$here/bench/.work/journal-writes.txt"
: >"$results"
echo "== $(df -T "$dir" | awk 'NR == 2 { print $2 " on " $1 }'), $(nproc) CPUs, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
for run in $(seq 1 "$runs"); do
  for mode in sync-append dsync-zeroed dsync-append dsync-falloc; do
    "$program" "$mode" "$writes" "$size" "$dir" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(x.split("=", 1) for x in line.split())
    rows.setdefault(kv["mode"], []).append((float(kv["cpu_us_per_write"]), float(kv["machine_cpu_us_per_write"]), float(kv["wall_us_per_write"])))
def med(mode, i): return statistics.median(v[i] for v in rows[mode])
print("\n| mode | process CPU per write (µs) | machine CPU per write (µs) | wall per write (µs) | process, machine, wall against O_SYNC append |\n|---|---:|---:|---:|---:|")
for mode in rows:
    print(f"| {mode} | {med(mode, 0):.1f} | {med(mode, 1):.1f} | {med(mode, 2):.1f} | {med(mode, 0) / med('sync-append', 0):.2f}x, {med(mode, 1) / med('sync-append', 1):.2f}x, {med(mode, 2) / med('sync-append', 2):.2f}x |")
print("\nMedians over the runs. Machine CPU: /proc/stat over the whole machine during the writes (other work included; quiet machines only).")
PY
