#!/usr/bin/env bash
# bench/install-variants.sh: start-up time, size and scan time of each way sfi is installed (docs/benchmarks.md,
# "Install variants").
#   bench/install-variants.sh RELEASE_DIR [TOOL_PATH] [RUNS]
# RELEASE_DIR holds build/release.sh's artefacts (single-file builds sfi-VERSION-RID, and with --aot the native AOT
# build sfi-VERSION-RID-aot); TOOL_PATH, when given, a `dotnet tool install --tool-path` of the tool package.
# Start-up is the median wall time of RUNS (default 21) `sfi --version` runs after one warm-up run, and of a scan of a
# one-file directory (what a pre-commit hook pays); scan time is the median of 3 scans of this repository's src/ with
# the secrets and IaC analyzers (what every variant runs; the AOT build has no code analysis).
# A build for another CPU runs under qemu-user when it is installed (Debian qemu-user-static, and that CPU's libc6,
# libstdc++6, libssl3 and zlib1g from `dpkg --add-architecture`): correct, but its times are emulation times, not the
# CPU's (one timed run each). Without qemu it is listed by size only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="$1"; tools="${2:-}"; runs="${3:-21}"
sample="$(mktemp -d)"; trap 'rm -rf "$sample"' EXIT
printf 'export APP_MODE=production\n' > "$sample/app.sh"
corpus="$here/src"

median() { # n command... -> median milliseconds over n runs, after one warm-up run
  local n="$1"; shift
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq "$n"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
megabytes() { awk "BEGIN{printf \"%.1f\", $1/1048576}"; }
row() { # label size-MB command...
  local label="$1" size="$2"; shift 2
  printf '| %s | %s MB | %s ms | %s ms | %s ms |\n' "$label" "$size" "$(median "$runs" "$@" --version)" \
    "$(median "$runs" "$@" scan "$sample" --analyzers secrets)" "$(median 3 "$@" scan "$corpus" --analyzers secrets,iac)"
}
emulated() { # label size-MB command...: emulation is ~100x slower, so one timed run each (after the warm-up), no src/ scan
  local label="$1" size="$2"; shift 2
  printf '| %s | %s MB | %s ms | %s ms | (not run under emulation) |\n' "$label" "$size" "$(median 1 "$@" --version)" \
    "$(median 1 "$@" scan "$sample" --analyzers secrets)"
}

host="linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
printf '| variant | size | `--version` median | `scan` of one file, median | `scan src/ --analyzers secrets,iac`, median of 3 |\n|---|---|---|---|---|\n'
for f in "$release"/sfi-*-linux-*; do
  case "$f" in *.sha256|*.cdx.json|*.sig) continue ;; esac
  name="$(basename "$f")"
  case "$name" in
    *-aot) kind="native AOT"; rid="${name%-aot}"; rid="linux-${rid##*-linux-}" ;;
    *) kind="single file"; rid="linux-${name##*-linux-}" ;;
  esac
  size="$(megabytes "$(du -b "$f" | cut -f1)")"
  if [ "$rid" = "$host" ]; then
    row "$name ($kind)" "$size" "$f"
  elif [ "$rid" = linux-arm64 ] && command -v qemu-aarch64-static >/dev/null && [ -e /lib/ld-linux-aarch64.so.1 ]; then
    emulated "$name ($kind, under qemu-user on $(uname -m))" "$size" qemu-aarch64-static "$f"
  else
    printf '| %s (%s) | %s MB | (not run on %s) | | |\n' "$name" "$kind" "$size" "$(uname -m)"
  fi
done
if [ -n "$tools" ]; then
  row ".NET tool (framework-dependent, JIT)" "$(megabytes "$(du -sb "$tools/.store" | cut -f1)") installed" "$tools/sfi"
fi
