#!/usr/bin/env bash
# bench/install-variants.sh: start-up time and size of each way sfi is installed (docs/benchmarks.md).
#   bench/install-variants.sh RELEASE_DIR TOOL_PATH [RUNS]
# RELEASE_DIR holds build/release.sh's artefacts; TOOL_PATH a `dotnet tool install --tool-path` of the tool package.
# Start-up is the median wall time of RUNS (default 21) `sfi --version` runs after one warm-up run, and of a scan of a
# one-file directory (what a pre-commit hook pays).
set -euo pipefail
release="$1"; tools="$2"; runs="${3:-21}"
sample="$(mktemp -d)"; trap 'rm -rf "$sample"' EXIT
printf 'export APP_MODE=production\n' > "$sample/app.sh"

median() { # command... -> median milliseconds over $runs runs
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '| variant | size | `--version` median | `scan` of one file, median |\n|---|---|---|---|\n'
for f in "$release"/sfi-*-linux-*; do
  case "$f" in *.sha256|*.cdx.json|*.sig) continue ;; esac
  size=$(du -b "$f" | cut -f1)
  if [ "$(basename "$f")" = "$(basename "$f" -linux-arm64)" ] || [ "$(uname -m)" = aarch64 ]; then
    printf '| %s (single file) | %s MB | %s ms | %s ms |\n' "$(basename "$f")" "$(awk "BEGIN{printf \"%.1f\", $size/1048576}")" \
      "$(median "$f" --version)" "$(median "$f" scan "$sample" --analyzers secrets)"
  else
    printf '| %s (single file) | %s MB | (not run on %s) | |\n' "$(basename "$f")" "$(awk "BEGIN{printf \"%.1f\", $size/1048576}")" "$(uname -m)"
  fi
done
store=$(du -sb "$tools/.store" | cut -f1)
printf '| .NET tool (framework-dependent, JIT) | %s MB installed | %s ms | %s ms |\n' "$(awk "BEGIN{printf \"%.1f\", $store/1048576}")" \
  "$(median "$tools/sfi" --version)" "$(median "$tools/sfi" scan "$sample" --analyzers secrets)"
