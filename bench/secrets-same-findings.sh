#!/usr/bin/env bash
# Checks that two builds of sfi report the same secrets, field for field: `sfi scan TREE --analyzers secrets --format
# json` with each build on each tree, and the two JSON reports compared whole, less their start and end times. For a
# change that must not change findings (a faster matcher, a rewritten search), run against the build before it.
#
#   bench/secrets-same-findings.sh BEFORE AFTER TREE [TREE ...]
#
# BEFORE and AFTER are each a directory holding sfi.dll (what ./sfi publishes into .sfi-build/bin, copied aside) or a
# native executable (an AOT build). Prints one line per tree (findings, notifications, same or DIFFERENT) and exits 1
# if any report differs, leaving both reports in the working directory it names. Example (docs/benchmarks.md):
#   cp -r .sfi-build/bin /tmp/sfi-before   # before the change; then ./sfi --version builds the change
#   bench/secrets-same-findings.sh /tmp/sfi-before .sfi-build/bin test samples rules docs /usr/share/doc /usr/lib/python3
# Needs python3 and the .NET 10 SDK (for a directory build).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bench/secrets-same-findings.sh BEFORE AFTER TREE [TREE ...]" >&2; exit 2; }
before="$1"; after="$2"; shift 2
work="$(mktemp -d)"

run() { # build tree report
  local status=0
  if [ -d "$1" ]; then
    DOTNET_TieredCompilation=0 dotnet "$1/sfi.dll" scan "$2" --analyzers secrets --format json --output "$3" >/dev/null 2>&1 || status=$?
  else
    "$1" scan "$2" --analyzers secrets --format json --output "$3" >/dev/null 2>&1 || status=$?
  fi
  # 1 is a tripped gate, not a failure of the run.
  [ "$status" -le 1 ] || { echo "secrets-same-findings: $1 exited $status on $2" >&2; exit 1; }
}

differ=0
n=0
for tree in "$@"; do
  n=$((n + 1))
  run "$before" "$tree" "$work/$n.before.json"
  run "$after" "$tree" "$work/$n.after.json"
  python3 - "$tree" "$work/$n.before.json" "$work/$n.after.json" <<'PY' || differ=1
import json, sys
tree, before, after = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for report in (before, after):
    report.pop("startTime", None)
    report.pop("endTime", None)
same = before == after
print(f"{tree}: {len(before['findings'])} findings, {len(before['notifications'])} notifications before; "
      f"{len(after['findings'])} and {len(after['notifications'])} after: {'same' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
PY
done

if [ "$differ" -ne 0 ]; then
  echo "secrets-same-findings: reports differ; they are in $work" >&2
  exit 1
fi
rm -rf "$work"
