#!/usr/bin/env bash
# What decoding (base64, hex, percent) and archives cost `sfi scan`, and what they add on negative corpora: the same
# build runs with the defaults and with `--decode-depth 0 --archive-depth 0`, alternated run by run.
#
#   bench/secrets-layers.sh [--runs N] [--baseline SFI_DLL]
#
#   --runs N            timed runs per configuration on /usr/include (default 5), after one warm-up each.
#   --baseline SFI_DLL  also time another build (e.g. a copy of .sfi-build/bin/sfi.dll made at an older commit) and
#                       count its findings, as the third configuration.
#
# Prints, per tree (/usr/include, /usr/lib/python3, /usr/lib/python3.11, /usr/share/doc), the findings by rule and
# severity and the archives opened, then the median wall time, CPU time (user + system) and peak memory per
# configuration. CPU time is the figure to compare on a shared machine: wall time follows the other jobs' load.
# Needs python3, GNU time and the .NET 10 SDK. Working files: bench/.work/layers/. Results: docs/benchmarks.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=secrets-layers
# shellcheck source=bench/lib.sh
source bench/lib.sh

runs=5
baseline=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$bench_name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$runs" in ''|*[!0-9]*|0) echo "$bench_name: --runs needs a positive whole number" >&2; exit 2 ;; esac
require_tools python3 dotnet
[ -x /usr/bin/time ] || install_missing time

work="$here/bench/.work/layers"
mkdir -p "$work"
sfi_snapshot "$work"
echo "sfi $sfi_version (commit $commit); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

declare -A configs=([on]="" [off]="--decode-depth 0 --archive-depth 0")
names=(on off)
if [ -n "$baseline" ]; then names+=(baseline); fi
run_config() { # NAME ARGS...
  local name="$1"; shift
  if [ "$name" = baseline ]; then dotnet "$baseline" scan "$@"; else "${sfi[@]}" scan "$@" ${configs[$name]}; fi
}

echo "== findings on negative corpora"
for tree in /usr/include /usr/lib/python3 /usr/lib/python3.11 /usr/share/doc; do
  [ -d "$tree" ] || continue
  for name in "${names[@]}"; do
    run_config "$name" "$tree" --format json --output "$work/$name.json" >/dev/null 2>&1 || true
    python3 - "$work/$name.json" "$tree" "$name" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
rules = collections.Counter(f"{f['ruleId']} {f['severity']}" for f in d["findings"])
s = d["summary"]
print(f"{sys.argv[2]:22} {sys.argv[3]:9} findings {len(d['findings']):3}  archives {s.get('archivesOpened', 0):5}  entries {s.get('archiveEntriesScanned', 0):5}  {dict(rules)}")
PY
  done
done

echo "== /usr/include, $runs alternated runs per configuration"
for name in "${names[@]}"; do run_config "$name" /usr/include --format json --output "$work/warm.json" >/dev/null 2>&1; rm -f "$work/$name.times"; done
for _ in $(seq "$runs"); do
  for name in "${names[@]}"; do
    /usr/bin/time -f '%e %U %S %M' -a -o "$work/$name.times" bash -c "$(declare -p sfi configs baseline); $(declare -f run_config); run_config $name /usr/include --format json --output $work/t.json" >/dev/null 2>&1
  done
done
for name in "${names[@]}"; do
  python3 - "$work/$name.times" "$name" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
wall = statistics.median(r[0] for r in rows); cpu = statistics.median(r[1] + r[2] for r in rows); rss = max(r[3] for r in rows) / 1024
print(f"{sys.argv[2]:9} wall {wall:5.2f} s  cpu {cpu:5.2f} s  peak {rss:4.0f} MB  (cpu per run: {', '.join(f'{r[1] + r[2]:.2f}' for r in rows)})")
PY
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
