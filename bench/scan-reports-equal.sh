#!/usr/bin/env bash
# Whole `sfi scan` reports of two builds, field for field (JSON, all but the start and end times), on each tree given:
# for a change that must not change what a scan reports (a faster filter, a different schedule).
#
#   bench/scan-reports-equal.sh [--analyzers LIST] BUILD_A BUILD_B TREE [TREE ...]
#
# --analyzers is passed to both scans (e.g. `--analyzers secrets` for a change to the secret detectors alone).
# A BUILD is a directory with sfi.dll (copy .sfi-build/bin aside before the change) or a native sfi executable.
# Prints one line per tree with its finding and notification counts; exits 1 if any report differs (and keeps both).
set -euo pipefail
analyzers=()
if [ "${1:-}" = --analyzers ]; then
  [ $# -ge 2 ] || { echo "scan-reports-equal: --analyzers needs a value" >&2; exit 2; }
  analyzers=(--analyzers "$2"); shift 2
fi
[ $# -ge 3 ] || { echo "scan-reports-equal: usage: bench/scan-reports-equal.sh [--analyzers LIST] BUILD_A BUILD_B TREE [TREE ...]" >&2; exit 2; }
a="$1"; b="$2"; shift 2
work="$(mktemp -d)"
run() {
  if [ -f "$1/sfi.dll" ]; then dotnet "$1/sfi.dll" "${@:2}"; else "$1" "${@:2}"; fi
}
status=0
for tree in "$@"; do
  for side in a b; do
    build="$a"; [ "$side" = b ] && build="$b"
    code=0
    run "$build" scan "$tree" ${analyzers[@]+"${analyzers[@]}"} --format json --output "$work/$side.json" --threads "$(nproc)" >/dev/null 2>"$work/$side.err" || code=$?
    [ "$code" -le 1 ] || { cat "$work/$side.err" >&2; echo "scan-reports-equal: $build exited $code on $tree" >&2; exit 2; }
  done
  if python3 - "$work/a.json" "$work/b.json" "$tree" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("startTime", None); r.pop("endTime", None)
same = a == b
print(f"{'same' if same else 'DIFFERENT'}: {sys.argv[3]}: {len(a.get('findings', []))} findings, {len(a.get('notifications', []))} notifications"
      + ("" if same else f" against {len(b.get('findings', []))} and {len(b.get('notifications', []))}"))
sys.exit(0 if same else 1)
PY
  then :; else
    status=1
    keep="$(mktemp -d)"; cp "$work/a.json" "$work/b.json" "$keep/"; echo "  reports kept in $keep" >&2
  fi
done
rm -rf "$work"
exit "$status"
