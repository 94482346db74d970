#!/usr/bin/env bash
# Precision of the secret detectors on large real codebases: how many findings `sfi scan` reports, by severity,
# in library source versus samples and tests, and which findings are high or critical.
#
#   bench/secrets-precision.sh [--write] GIT_DIR...
#
#   GIT_DIR   a git directory (bare or not) of a real repository, e.g. one brought here with the fetch tool as
#             /work/.mirror/openiddict+openiddict-core/repo. Its HEAD is extracted with `git archive` into
#             bench/.work/precision/<name>/ (blobs missing from a partial clone are left out and counted).
#   --write   replace the section between the bench:secrets-precision markers in docs/benchmarks.md.
#
# A path is "samples and tests" when one of its directories is named test(s), sample(s), sandbox, example(s),
# demo(s), host(s) (a library's development host app), testdata or fixtures, or ends in "Tests"/".Tests"; everything else counts as library source
# (which includes build tooling). The target: at most 2 high-or-critical findings in library source.
# Needs git, python3 and the .NET 10 SDK for ./sfi. Results and method: docs/benchmarks.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="$here/.work/precision"
doc="$repo/docs/benchmarks.md"

write=0
dirs=()
invocation="bench/secrets-precision.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --write) write=1; invocation+=" --write" ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "secrets-precision: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) dirs+=("$1"); invocation+=" $1" ;;
  esac
  shift
done
[ ${#dirs[@]} -gt 0 ] || { echo "secrets-precision: give at least one git directory (try --help)" >&2; exit 2; }
for tool in git python3 tar; do
  command -v "$tool" >/dev/null 2>&1 || { echo "secrets-precision: '$tool' is required" >&2; exit 2; }
done

log() { echo "secrets-precision: $*" >&2; }

log "building sfi if needed"
"$repo/sfi" --version >/dev/null
mkdir -p "$work"
rm -rf "$work/sfi-bin"
( flock 9; cp -a "$repo/.sfi-build/bin" "$work/sfi-bin" ) 9>"$repo/.sfi-build/lock"
sfi_version="$(dotnet "$work/sfi-bin/sfi.dll" --version | head -n1)"
commit="$(git -C "$repo" rev-parse --short HEAD)"
if [ -n "$(git -C "$repo" status --porcelain -- src rules 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/ or rules/"; fi

reports=()
for gitdir in "${dirs[@]}"; do
  [ -d "$gitdir" ] || { echo "secrets-precision: no such directory: $gitdir" >&2; exit 2; }
  gitdir="$(cd "$gitdir" && pwd)"
  # /work/.mirror/<owner>+<name>/repo → owner/name; any other path → its directory name.
  name="$(basename "$gitdir")"; [ "$name" = repo ] || [ "$name" = .git ] && name="$(basename "$(dirname "$gitdir")")"
  name="${name/+//}"
  head="$(git --git-dir="$gitdir" rev-parse HEAD)"
  tree="$work/trees/${name//\//+}"
  # A partial clone can lack some blobs (large binaries); leave them out rather than fail the archive.
  mapfile -t missing < <(git --git-dir="$gitdir" ls-tree -r --full-tree HEAD \
    | awk -F'\t' '{ split($1, m, " "); if (m[2] == "blob") print m[3] "\t" $2 }' \
    | while IFS=$'\t' read -r blob path; do git --git-dir="$gitdir" cat-file -e "$blob" 2>/dev/null || printf '%s\n' "$path"; done)
  excludes=()
  for path in "${missing[@]}"; do excludes+=(":(exclude,literal)$path"); done
  if [ ! -f "$tree/.extracted-$head" ]; then
    log "extracting $name at ${head:0:12} (${#missing[@]} missing blobs left out)"
    rm -rf "$tree"; mkdir -p "$tree"
    git --git-dir="$gitdir" archive HEAD -- . "${excludes[@]}" | tar -x -C "$tree"
    touch "$tree/.extracted-$head"
  fi
  report="$work/${name//\//+}.json"
  log "scanning $name"
  start=$(date +%s.%N)
  dotnet "$work/sfi-bin/sfi.dll" scan "$tree" --analyzers secrets --format json --output "$report" --threads "$(nproc)"
  end=$(date +%s.%N)
  reports+=("$name" "$head" "${#missing[@]}" "$tree" "$report" "$(python3 -c "print(f'{$end - $start:.1f}')")")
done

section="$(python3 "$here/secrets_precision.py" --sfi-version "$sfi_version" --commit "$commit" \
  --command "$invocation" -- "${reports[@]}")"
printf '%s\n' "$section"
if [ "$write" -eq 1 ]; then
  python3 "$here/secrets_precision.py" --replace-section "$doc" <<<"$section"
  log "wrote the section to docs/benchmarks.md"
fi
