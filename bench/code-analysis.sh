#!/usr/bin/env bash
# Code analysis throughput: `sfi scan --analyzers code` over more than 100,000 lines of real C# on this
# machine's cores: this repository's src/ and test/, plus OpenIddict, IdentityServer4 and MSAL.NET (the repositories
# the fetch tool mirrors under /work/.mirror). Reports lines, median seconds, CPU seconds, lines/s and peak RSS, and
# linearity two ways: the same measurement on the first 1/4 and 1/2 of the lines (whole files, in path order, with
# their .csproj files; the mix of code changes with the size), and on one real tree replicated as 1, 2 and 4 separate
# copies (identical content, so only the amount changes), judged by CPU time, which a shared machine distorts less.
#
#   bench/code-analysis.sh [--write] [--runs N] [--wait-idle PCT] [--replicate NAME] [GIT_DIR...]
#
#   GIT_DIR          repositories to add (bare or not; HEAD is extracted); default: the three mirrors above
#   --write          replace the section between the bench:code-analysis markers in docs/benchmarks.md
#   --runs N         timed runs per tree after one warm-up (default 3); the median is reported
#   --wait-idle PCT  before each run, wait (up to 2 minutes) until the CPUs are PCT % idle (default 50; 0: off)
#   --replicate NAME the tree (a directory name under the work tree, e.g. IdentityServer+IdentityServer4, the
#                    default when present, else the first repository) copied 1, 2 and 4 times for uniform scaling
#
#   SFI_CODE_SCAN_ARGS  the options that select code analysis (default "--analyzers code"). Set it empty to time a
#                       plain `sfi scan` (the script then reports that code analysis did not run).
#
# Only *.cs, *.csproj, *.cshtml and *.razor files are kept in the trees, so every byte sfi reads is one the code
# analysis wants. Needs git, python3, GNU time (Debian: time) and the .NET 10 SDK for ./sfi. Working files:
# bench/.work/code-analysis/ (git-ignored). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=code-analysis
. bench/lib.sh

write=0
runs=3
wait_idle=50
replicate=
dirs=()
invocation="bench/code-analysis.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --write) write=1; invocation+=" --write" ;;
    --runs) runs="$2"; invocation+=" --runs $2"; shift ;;
    --wait-idle) wait_idle="$2"; invocation+=" --wait-idle $2"; shift ;;
    --replicate) replicate="$2"; invocation+=" --replicate $2"; shift ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "code-analysis: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) dirs+=("$1"); invocation+=" $1" ;;
  esac
  shift
done
case "$runs" in ''|*[!0-9]*|0) echo "code-analysis: --runs takes a positive whole number" >&2; exit 2 ;; esac
case "$wait_idle" in ''|*[!0-9]*) echo "code-analysis: --wait-idle takes a whole number (0-100)" >&2; exit 2 ;; esac
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=(/work/.mirror/openiddict+openiddict-core/repo /work/.mirror/IdentityServer+IdentityServer4/repo
        /work/.mirror/AzureAD+microsoft-authentication-library-for-dotnet/repo)
fi
[ -x /usr/bin/time ] || install_missing time
require_tools git python3 tar dotnet flock
scan_args="${SFI_CODE_SCAN_ARGS---analyzers code}"

work="$here/bench/.work/code-analysis"
helper="$here/bench/code_bench.py"
mkdir -p "$work"

# --- sfi: build once and time the snapshot (./sfi would rebuild if src/ changed mid-run) ------------------
sfi_snapshot "$work"

# --- the tree: one directory per repository, C# files only -------------------------------------------------
tree="$work/tree"
sources="$work/sources.txt"
rm -rf "$tree"
mkdir -p "$tree"
: >"$sources"
keep_csharp() { find "$1" -type f ! -name '*.cs' ! -name '*.csproj' ! -name '*.cshtml' ! -name '*.razor' -delete; }
echo "== extracting this repository's src/ and test/ at $commit"
mkdir -p "$tree/securefuture"
git archive HEAD -- src test | tar -x -C "$tree/securefuture"
keep_csharp "$tree/securefuture"
echo "securefuture $(git rev-parse HEAD)" >>"$sources"
for gitdir in "${dirs[@]}"; do
  [ -d "$gitdir" ] || { echo "code-analysis: no such directory: $gitdir" >&2; exit 2; }
  gitdir="$(cd "$gitdir" && pwd)"
  name="$(basename "$gitdir")"; { [ "$name" = repo ] || [ "$name" = .git ]; } && name="$(basename "$(dirname "$gitdir")")"
  head="$(git --git-dir="$gitdir" rev-parse HEAD)"
  echo "== extracting the C# files of $name at ${head:0:12}"
  mkdir -p "$tree/$name"
  # A partial clone can lack blobs: those files are left out, and counted.
  missing="$(python3 "$helper" extract "$gitdir" "$tree/$name")"
  [ "$missing" -eq 0 ] || echo "   $missing C# files missing from the clone, left out"
  echo "$name $head $missing" >>"$sources"
done

echo "== subsets for linearity (1/4 and 1/2 of the lines)"
python3 "$helper" subset "$tree" "$work/quarter" 0.25
python3 "$helper" subset "$tree" "$work/half" 0.5
if [ -z "$replicate" ]; then
  replicate="$(sed -n 2p "$sources" | cut -d' ' -f1)"
  grep -q '^IdentityServer+IdentityServer4 ' "$sources" && replicate=IdentityServer+IdentityServer4
fi
[ -d "$tree/$replicate" ] || { echo "code-analysis: --replicate: no tree named '$replicate'" >&2; exit 2; }
echo "== uniform scaling: $replicate as 1, 2 and 4 separate copies"
for n in 1 2 4; do python3 "$helper" replicate "$tree/$replicate" "$work/replicas/x$n" "$n"; done

# --- timed runs --------------------------------------------------------------------------------------------
timings="$work/timings.txt"
: >"$timings"
timed() {
  local label="$1" target="$2" report="$work/report-$1.json" status=0
  quiet 120
  # shellcheck disable=SC2086  # scan_args is a list of options
  /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" "${sfi[@]}" scan "$target" $scan_args --format json --output "$report" \
    --threads "$(nproc)" 2>"$work/stderr.txt" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    cat "$work/stderr.txt" >&2
    echo "code-analysis: sfi scan $target $scan_args failed (exit $status)" >&2
    exit 1
  fi
  local wall kb user system
  read -r wall kb user system < <(tail -n1 "$work/time.txt")
  echo "$label $wall $kb $idle $user $system" >>"$timings"
  awk -v l="$label" -v w="$wall" -v k="$kb" -v i="$idle" -v c="$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')" \
    'BEGIN { printf "   %-8s %7.2f s %7.2f s CPU %8.1f MB peak (CPUs %s%% idle before)\n", l, w, c, k / 1024, i }'
}
echo "== warm-up, then $runs timed runs on each tree (all, 1/2, 1/4, then 1, 2 and 4 copies), alternated"
timed warmup "$tree" >/dev/null
for i in $(seq 1 "$runs"); do
  timed all "$tree"
  timed half "$work/half"
  timed quarter "$work/quarter"
  for n in 1 2 4; do timed "x$n" "$work/replicas/x$n"; done
done

section="$(python3 "$helper" throughput-report --timings "$timings" --tree "$tree" --half "$work/half" \
  --quarter "$work/quarter" --replicas "$work/replicas" --replicated "$replicate" --report "$work/report-all.json" --sources "$sources" --command "$invocation" \
  --scan-args "${scan_args:-(none)}" --sfi-version "$sfi_version" --commit "$commit" --runs "$runs")"
printf '\n%s\n' "$section"
if [ "$write" -eq 1 ]; then
  python3 "$helper" replace-section --doc docs/benchmarks.md --name code-analysis <<<"$section"
  echo "== wrote the section to docs/benchmarks.md"
fi
