#!/usr/bin/env bash
# aot-parity.sh: the native AOT build of `sfi scan` must report exactly what the ReadyToRun build reports, and exit the
# same way. Builds both as ./sfi does (SFI_AOT=wait: the launcher's own AOT build, in the foreground), then runs each
# case below with each build over the same inputs: a copy of the repository's test/, samples/ and rules/ (planted
# secrets, every rule's examples, IaC, C# for code analysis, lock files with the test advisories), plus generated
# archives, encoded values, malformed files, standard input, user rules and a git repository with staged changes.
# Reports (JSON, SARIF, text, GitLab), standard output, standard error and exit codes are compared; only the fields
# that say when a scan ran are set aside (tools/aot_parity.py, TIME_FIELDS). Any difference fails, with a diff.
# Usage: tools/aot-parity.sh [--keep DIR]   (--keep: leave the inputs and both builds' outputs in DIR)
# Needs what ./sfi scan's native build needs (clang, zlib1g-dev), python3 and git. Called by ./test.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep=
case "${1:-}" in
  --keep) keep="${2:?--keep needs a directory}" ;;
  '') ;;
  *) echo "usage: tools/aot-parity.sh [--keep DIR]" >&2; exit 2 ;;
esac

if [ -n "$keep" ]; then
  work="$keep"
  rm -rf "$work" && mkdir -p "$work"
else
  work="$(mktemp -d -t sfi-aot-parity.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi
sfi="$here/sfi"

# 1. Both builds, as ./sfi makes them. The AOT build's time is what this adds to CI.
SFI_AOT=0 "$sfi" --version >/dev/null
# (Wall clock only: the AOT compiler and MSBuild's nodes are not this shell's waited children, so their CPU would be missed.)
TIMEFORMAT='aot-parity: the native AOT build: %0R s wall clock (about 0 when it was current)'
time SFI_AOT=wait "$sfi" scan --help >/dev/null

# 2. The inputs: committed files only (not the bin/ and obj/ that builds and tests leave under test/).
tree="$work/tree"
mkdir -p "$tree"
(cd "$here" && git ls-files -z --cached --others --exclude-standard -- test samples rules) \
  | (cd "$here" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tree"
python3 "$here/tools/aot_parity.py" inputs "$here" "$tree/generated"
SFI_AOT=0 "$sfi" advisories update --data-dir "$work/advisories" \
  --source "$here/test/SecureFuture.Scanning.Dependencies.Tests/TestData/advisories" >/dev/null
# A repository with a staged secret, for --staged (the pre-commit hook's scan).
staged="$work/staged"
git init -q "$staged"
git -C "$staged" -c user.name=parity -c user.email=parity@example.invalid commit -q --allow-empty -m empty
cp "$tree/generated/stdin.env" "$staged/settings.env"
git -C "$staged" add settings.env

# 3. The cases: NAME, then the arguments of `sfi scan` (words without spaces); @OUT@ is the case's report file, one
#    per build.
cases=(
  "all-json|. --data-dir $work/advisories --format json --output @OUT@.json"
  "all-sarif|. --data-dir $work/advisories --format sarif --output @OUT@.sarif"
  "generated-text|generated --format text"
  "generated-gitlab-secrets|generated --format gitlab-secrets --output @OUT@.json"
  "samples-gitlab-sast|samples --format gitlab-sast --output @OUT@.json"
  "no-decoding-no-archives|generated --decode-depth 0 --archive-depth 0 --format json --output @OUT@.json"
  "stdin|- --stdin-name settings.env --format sarif"
  "list-rules-json|--list-rules --format json"
  "list-rules-text|--list-rules --analyzers secrets,code"
  "user-rules|generated --rules generated/user-rules/good --analyzers secrets --format json --output @OUT@.json"
  "user-rules-bad|generated --rules generated/user-rules/bad --analyzers secrets --format json --output @OUT@.json"
  "baseline|generated --baseline $work/baseline-input.sarif --format sarif --output @OUT@.sarif"
  "fail-on-high|generated --analyzers secrets --fail-on high --format json --output @OUT@.json"
  "fail-on-critical-iac|samples --analyzers iac --fail-on critical --format json"
  "staged|$staged --staged --format json"
  "unknown-option|. --no-such-option"
  "unknown-format|. --format yaml"
  "unknown-analyzer|. --analyzers secrets,nonsense"
  "bad-fail-on|. --fail-on catastrophic"
  "missing-path|does/not/exist"
  "bad-size|. --max-file-size lots"
  "bad-threads|. --threads 0"
  "bad-baseline|generated --baseline generated/bad-baseline.sarif"
  "missing-rules-dir|generated --rules generated/no-such-rules"
)
# The baseline case's previous report: the generated tree's secrets, by the ReadyToRun build, for both builds.
(cd "$tree" && SFI_AOT=0 "$sfi" scan generated --analyzers secrets --format sarif --output "$work/baseline-input.sarif" >/dev/null) || true

run_case() { # BUILD NAME ARGS: one scan; its exit code, stdout, stderr and report under $work/BUILD/
  local build="$1" name="$2" args="$3" mode
  [ "$build" = aot ] && mode=wait || mode=0
  args="${args//@OUT@/$work/$build/$name}"
  local status=0
  # shellcheck disable=SC2086 # the case's arguments are words without spaces
  (cd "$tree" && SFI_AOT=$mode "$sfi" scan $args) <"$tree/generated/stdin.env" \
    >"$work/$build/$name.stdout" 2>"$work/$build/$name.stderr" || status=$?
  echo "$status" >"$work/$build/$name.exit"
}

# compare_case NAME: every file the case wrote, normalized, the same for both builds? (The diff: $work/NAME.diff;
# each build's output folder, in messages that name a report file, is written as OUT.)
compare_case() {
  local name="$1" file same=0
  : >"$work/$name.diff"
  for file in $({ (cd "$work/r2r" && ls -- "$name".*); (cd "$work/aot" && ls -- "$name".*); } 2>/dev/null | sort -u); do
    if [ ! -e "$work/r2r/$file" ] || [ ! -e "$work/aot/$file" ]; then
      echo "$file: written by one build only" >>"$work/$name.diff"
      same=1
    elif ! diff -u --label "readytorun/$file" --label "aot/$file" \
        <(python3 "$here/tools/aot_parity.py" normalize "$work/r2r/$file" | sed "s#$work/r2r/#OUT/#g") \
        <(python3 "$here/tools/aot_parity.py" normalize "$work/aot/$file" | sed "s#$work/aot/#OUT/#g") >>"$work/$name.diff"; then
      same=1
    fi
  done
  return $same
}

# 4. Each case with each build, compared. A scan's timing can show in its report: on a loaded machine a rule can pass
#    its 250 ms match budget on a long line (a rule-timeout notification) in one run and not in the other. A real
#    difference between the builds is there again when the case runs again, so a case that differs runs once more
#    with both builds, and fails only if it differs again.
mkdir -p "$work/r2r" "$work/aot"
differences=0
for entry in "${cases[@]}"; do
  name="${entry%%|*}"
  run_case r2r "$name" "${entry#*|}"
  run_case aot "$name" "${entry#*|}"
  if ! compare_case "$name"; then
    echo "aot-parity: $name: the builds differed ($(grep -c '^[-+][^-+]' "$work/$name.diff") lines); running the case again" >&2
    rm -f -- "$work/r2r/$name".* "$work/aot/$name".*
    run_case r2r "$name" "${entry#*|}"
    run_case aot "$name" "${entry#*|}"
    if ! compare_case "$name"; then
      head -n 80 "$work/$name.diff" >&2
      differences=$((differences + 1))
    fi
  fi
done

# What was compared, so a run that compared little cannot pass unnoticed: findings per analyzer, and exit codes.
python3 - "$work" "${#cases[@]}" <<'PY'
import collections, glob, json, os, sys
work, cases = sys.argv[1], int(sys.argv[2])
report = json.load(open(os.path.join(work, "r2r", "all-json.json")))
by_prefix = collections.Counter(f["ruleId"].rsplit("-", 1)[0] for f in report["findings"])
notes = collections.Counter(n.get("id", "?") for n in report.get("notifications", []))
exits = collections.Counter(open(p).read().strip() for p in glob.glob(os.path.join(work, "r2r", "*.exit")))
print(f"aot-parity: {cases} cases; the whole-tree scan: {len(report['findings'])} findings "
      + ", ".join(f"{k} {v}" for k, v in sorted(by_prefix.items()))
      + f"; notifications {dict(sorted(notes.items()))}; exit codes {dict(sorted(exits.items()))}")
if "analyzer-failed" in notes:
    sys.exit("aot-parity: an analyzer failed in the ReadyToRun build's whole-tree scan")
PY

if [ "$differences" -gt 0 ]; then
  echo "aot-parity: FAILED: $differences case(s) differ between the native AOT and the ReadyToRun build (inputs and outputs: ${keep:-rerun with --keep DIR})" >&2
  exit 1
fi
echo "aot-parity: the native AOT build and the ReadyToRun build agree on every case"
