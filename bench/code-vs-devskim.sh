#!/usr/bin/env bash
# Code analysis against a reference: DevSkim and `sfi scan --analyzers code` on the same corpus, scored
# against the corpus's manifest: recall (marked vulnerable sinks found on their line) and false positives (marked
# safe look-alikes flagged, plus every other result), side by side and per class.
#
#   bench/code-vs-devskim.sh [--write] [--devskim-version V]
#
#   --write              replace the section between the bench:code-vs-devskim markers in docs/benchmarks.md
#   --devskim-version V  the Microsoft.CST.DevSkim.CLI version to install (default 1.0.103)
#
#   SFI_CODE_SCAN_ARGS   the options that select code analysis (default "--analyzers code"). When sfi does not
#                        accept them or lists no code rules (SFI-CODE-*), its column says "pending" and why.
#
# The corpus is the projects in test/SecureFuture.Scanning.Code.Tests/Corpus/ with its expected.yaml. Both tools
# read a copy whose marker comments (`// VULN: <class>`, `// SAFE: <class>`) are blanked, line numbers unchanged, so that neither
# matches the markers' words. DevSkim rule ids map to classes through the table in bench/code_bench.py; sfi's rules
# through `ruleNames` in expected.yaml. Both SARIF files stay in bench/.work/code-vs-devskim/ for inspection.
# Needs python3 and the .NET 10 SDK (DevSkim is installed as a .NET tool into bench/.work/tools from NuGet).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=code-vs-devskim
. bench/lib.sh

write=0
devskim_version=1.0.103
invocation="bench/code-vs-devskim.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --write) write=1; invocation+=" --write" ;;
    --devskim-version) devskim_version="$2"; invocation+=" --devskim-version $2"; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "code-vs-devskim: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
require_tools python3 dotnet flock
scan_args="${SFI_CODE_SCAN_ARGS---analyzers code}"
work="$here/bench/.work/code-vs-devskim"
tools="$here/bench/.work/tools"
manifest="$here/test/SecureFuture.Scanning.Code.Tests/Corpus/expected.yaml"
mkdir -p "$work" "$tools"

# --- DevSkim -------------------------------------------------------------------------------------------------
installed="$(dotnet tool list --tool-path "$tools" 2>/dev/null | awk '$1 == "microsoft.cst.devskim.cli" { print $2 }')"
if [ "$installed" != "$devskim_version" ]; then
  echo "== installing DevSkim $devskim_version (dotnet tool install --tool-path bench/.work/tools)"
  [ -z "$installed" ] || dotnet tool uninstall --tool-path "$tools" Microsoft.CST.DevSkim.CLI >/dev/null
  dotnet tool install --tool-path "$tools" Microsoft.CST.DevSkim.CLI --version "$devskim_version" >/dev/null
fi
devskim="$tools/devskim"
devskim_reported="$("$devskim" --version 2>/dev/null | head -n1 || true)"

# --- the corpus, markers blanked -------------------------------------------------------------------------------
corpus="$work/corpus"
rm -rf "$corpus"
mkdir -p "$corpus"
# Every project of the corpus (WebApp, TokenService), not its manifest or README.
for project in test/SecureFuture.Scanning.Code.Tests/Corpus/*/; do cp -r "$project" "$corpus/"; done
find "$corpus" -type f \( -name '*.cs' -o -name '*.cshtml' \) -exec sed -i -E \
  -e 's# *// (VULN|SAFE): [a-z][a-z-]*##' -e 's# *@\* (VULN|SAFE): [a-z][a-z-]* \*@##' {} +
if grep -rqE '(VULN|SAFE): [a-z]' "$corpus"; then echo "code-vs-devskim: a marker was not blanked" >&2; exit 1; fi

echo "== DevSkim $devskim_version on the corpus"
"$devskim" analyze -I "$corpus" -O "$work/devskim.sarif" -f sarif >"$work/devskim.log" 2>&1 || {
  status=$?
  # DevSkim exits non-zero when it has results; a missing or unreadable SARIF file is the real failure.
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/devskim.sarif" 2>/dev/null \
    || { cat "$work/devskim.log" >&2; echo "code-vs-devskim: DevSkim failed (exit $status)" >&2; exit 1; }
}

# --- sfi -------------------------------------------------------------------------------------------------------
sfi_snapshot "$work"
pending=""
"${sfi[@]}" scan --list-rules --format json >"$work/rules.json"
if ! python3 -c 'import json,sys; sys.exit(0 if any(r.get("id","").startswith("SFI-CODE-") for r in json.load(open(sys.argv[1]))) else 1)' "$work/rules.json"; then
  pending="sfi $sfi_version lists no code rules (SFI-CODE-*) in \`sfi scan --list-rules\`."
else
  echo "== sfi scan $scan_args on the corpus"
  status=0
  # shellcheck disable=SC2086  # scan_args is a list of options
  "${sfi[@]}" scan "$corpus" $scan_args --format sarif --output "$work/sfi.sarif" 2>"$work/sfi.log" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    pending="\`sfi scan CORPUS $scan_args\` exited $status: $(head -n1 "$work/sfi.log")"
  fi
fi
[ -z "$pending" ] || echo "== sfi column pending: $pending"

score_args=(score --manifest "$manifest" --corpus "$corpus" --devskim "$work/devskim.sarif" --command "$invocation"
  --devskim-version "${devskim_reported:-$devskim_version}" --sfi-version "$sfi_version" --commit "$commit" --scan-args "$scan_args")
if [ -z "$pending" ]; then score_args+=(--sfi "$work/sfi.sarif"); else score_args+=(--sfi-pending "$pending"); fi
section="$(python3 bench/code_bench.py "${score_args[@]}")"
printf '\n%s\n' "$section"
if [ "$write" -eq 1 ]; then
  python3 bench/code_bench.py replace-section --doc docs/benchmarks.md --name code-vs-devskim <<<"$section"
  echo "== wrote the section to docs/benchmarks.md"
fi
