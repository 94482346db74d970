#!/usr/bin/env bash
# Benchmarks `sfi scan` against the physical floor of a keyword-prefiltered scanner over a large tree of real text
# (the system C headers, topped up from other Debian text trees until the corpus is at least 100 MiB): ripgrep
# searching only the detectors' literal keywords (`rg -F -c -f keywords.txt`, the headline ratio), and ripgrep with a
# dozen common secret regexes, all in the same alternated runs.
#
#   bench/scan-vs-ripgrep.sh [--write] [--runs N] [--corpus-mib N] [--no-scaling] [--rebuild-corpus] [--all-patterns]
#                            [--aot SFI]
#
#   --write           replace the section between the bench:scan-vs-ripgrep markers in docs/benchmarks.md
#                     (the file is created if missing); without it the section is only printed.
#   --runs N          timed runs per tool (default 5), alternated sfi, rg-keywords, rg-common, ... after one warm-up each.
#   --corpus-mib N    minimum corpus size (default 100).
#   --no-scaling      skip the memory-scaling run on a tree twice the corpus size.
#   --rebuild-corpus  rebuild bench/.work/corpus even if it exists.
#   --all-patterns    also time ripgrep with every detector's pattern, all in one run and one run per pattern. The
#                     all-in-one run is ripgrep's pathological case (hundreds of alternated patterns defeat its DFA):
#                     4-5 minutes per run on 2 cores. It is a footnote, not the comparison that matters.
#   --aot SFI         also time this native AOT sfi (what SFI_AOT=1 ./sfi builds into .sfi-build/aot/bin/sfi, or
#                     build/release.sh --aot makes) as one more row, in the same alternated runs. Copy it aside first
#                     (it is rebuilt when the sources change); libe_sqlite3.so and libsodium.so stay beside it.
#
# Needs: ripgrep and GNU time (Debian packages `ripgrep`, `time`; installed with apt-get when run as root),
# python3, and the .NET 10 SDK for ./sfi. Working files go to bench/.work/ (git-ignored).
# Results and method: docs/benchmarks.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="$here/.work"
helper="$here/scan_vs_ripgrep.py"
doc="$repo/docs/benchmarks.md"
sfi="$repo/sfi"

write=0
runs=5
corpus_mib=100
scaling=1
rebuild=0
all_patterns=0
aot_sfi=""
invocation="bench/scan-vs-ripgrep.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --write) write=1; invocation+=" --write" ;;
    --runs) runs="$2"; invocation+=" --runs $2"; shift ;;
    --corpus-mib) corpus_mib="$2"; invocation+=" --corpus-mib $2"; shift ;;
    --no-scaling) scaling=0; invocation+=" --no-scaling" ;;
    --rebuild-corpus) rebuild=1 ;;
    --all-patterns) all_patterns=1; invocation+=" --all-patterns" ;;
    --aot) aot_sfi="$2"; invocation+=" --aot $2"; shift ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scan-vs-ripgrep: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$runs" in ''|*[!0-9]*|0) echo "scan-vs-ripgrep: --runs needs a positive whole number" >&2; exit 2 ;; esac
if [ -n "$aot_sfi" ]; then
  [ -x "$aot_sfi" ] && [ ! -d "$aot_sfi" ] || { echo "scan-vs-ripgrep: --aot needs the native sfi executable ('$aot_sfi' is not one)" >&2; exit 2; }
  aot_sfi="$(cd "$(dirname "$aot_sfi")" && pwd)/$(basename "$aot_sfi")"
fi

log() { echo "scan-vs-ripgrep: $*" >&2; }

# --- tools -------------------------------------------------------------------------------------------
missing=()
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} with apt-get"
    apt-get install -y "${missing[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
  else
    echo "scan-vs-ripgrep: missing tools. Install them with:  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi
for tool in python3 nproc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "scan-vs-ripgrep: '$tool' is required (Debian: sudo apt-get install -y ${tool/nproc/coreutils})" >&2; exit 2; }
done
# Whole outputs captured first: `rg ... | head` would fail under pipefail when head closes the pipe.
rg_version_text="$(rg --version)"
rg_version="${rg_version_text%%$'\n'*}"
rg_pcre2_text="$(rg --pcre2-version 2>/dev/null || true)"
pcre2_version="$(sed -n 's/^PCRE2 \([^ ]*\) is available.*/\1/p' <<<"$rg_pcre2_text")"
[ -n "$pcre2_version" ] || { echo "scan-vs-ripgrep: this ripgrep has no PCRE2 support (rg --pcre2-version); Debian's package has it" >&2; exit 2; }
if grep -q 'JIT is available' <<<"$rg_pcre2_text"; then pcre2_version+=" (JIT)"; fi
cores="$(nproc)"

mkdir -p "$work"

# --- sfi and its detectors ---------------------------------------------------------------------------
# ./sfi rebuilds whenever src/ or rules/ change, which in a working tree can happen in the middle of a
# benchmark. So build once, snapshot the build (the detectors are embedded in it) and time the snapshot:
# the same program ./sfi runs, with .NET start-up included and no rebuild check.
log "building sfi if needed"
"$sfi" --version >/dev/null
rm -rf "$work/sfi-bin"
(
  flock 9
  cp -a "$repo/.sfi-build/bin" "$work/sfi-bin"
) 9>"$repo/.sfi-build/lock"
# As ./sfi runs a scan: without tiered compilation (the launcher's `scan` case says why).
sfi_cmd=(env DOTNET_TieredCompilation=0 dotnet "$work/sfi-bin/sfi.dll")
sfi_version="$("${sfi_cmd[@]}" --version)"
sfi_version="${sfi_version%%$'\n'*}"
"${sfi_cmd[@]}" scan --list-rules --analyzers secrets --format json >"$work/rules.json"
rule_count="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/rules.json")"
if [ "$rule_count" -eq 0 ]; then
  echo "scan-vs-ripgrep: sfi lists no detectors (rules/secrets is empty?); nothing to compare" >&2
  exit 3
fi
aot_version=""
if [ -n "$aot_sfi" ]; then
  aot_version="$("$aot_sfi" --version)"
  aot_version="${aot_version%%$'\n'*}"
fi
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$repo" status --porcelain -- src rules 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/ or rules/"; fi

# The floor: every detector keyword, searched as fixed strings. And what a ripgrep user would run for secrets.
python3 "$helper" keywords --rules "$work/rules.json" --out "$work/keywords.txt"
python3 "$helper" common --out "$work/rg-common.txt"
rg_extra=""
if [ "$all_patterns" -eq 1 ]; then
  log "converting $rule_count detector patterns for ripgrep"
  rm -f "$work/rg-default.txt" "$work/rg-pcre2.txt"
  rg_extra="$(python3 "$helper" patterns --rules "$work/rules.json" --workdir "$work")"
fi

# --- corpus ------------------------------------------------------------------------------------------
corpus="$work/corpus"
if [ "$rebuild" -eq 1 ] || [ ! -f "$corpus.manifest.json" ] || [ ! -d "$corpus" ]; then
  log "building the corpus in $corpus (at least $corpus_mib MiB of text)"
  rm -f "$corpus.manifest.json"
  python3 "$helper" corpus "$corpus" --target-mib "$corpus_mib"
fi
read -r corpus_bytes corpus_files < <(python3 "$helper" measure "$corpus")
if [ "$corpus_bytes" -lt $((corpus_mib * 1024 * 1024)) ]; then
  log "the corpus is smaller than $corpus_mib MiB; rebuilding"
  python3 "$helper" corpus "$corpus" --target-mib "$corpus_mib"
  read -r corpus_bytes corpus_files < <(python3 "$helper" measure "$corpus")
fi
log "corpus: $corpus_files files, $((corpus_bytes / 1024 / 1024)) MiB"

# --- the two commands --------------------------------------------------------------------------------
sfi_report="$work/sfi-report.json"
aot_report="$work/sfi-aot-report.json"
rg_out1="$work/rg-default.out"
rg_out2="$work/rg-pcre2.out"
# Output goes to files, never /dev/null: ripgrep stops at the first match when its output is /dev/null.
rg_common=(--no-config --no-ignore --hidden --max-filesize 10M --threads "$cores" --count-matches --stats)
# shellcheck disable=SC2206  # rg_extra is a flag list or empty
rg_default=(rg "${rg_common[@]}" $rg_extra -f "$work/rg-default.txt" "$corpus")
rg_pcre2=(rg "${rg_common[@]}" -P -f "$work/rg-pcre2.txt" "$corpus")
rg_plain=(--no-config --no-ignore --hidden --max-filesize 10M --threads "$cores")
rg_keywords=(rg "${rg_plain[@]}" -F -c -f "$work/keywords.txt" "$corpus")
rg_keywords_i=(rg "${rg_plain[@]}" -F -i -c -f "$work/keywords.txt" "$corpus")
rg_secrets=(rg "${rg_plain[@]}" -c -f "$work/rg-common.txt" "$corpus")
rg_kw_out="$work/rg-keywords.out"
rg_kwi_out="$work/rg-keywords-i.out"
rg_common_out="$work/rg-common.out"

# ripgrep's part is written to a script so that one timed command runs all of it (and it can be rerun by hand).
rg_script="$work/rg-run.sh"
{
  echo '#!/usr/bin/env bash'
  echo '# Written by bench/scan-vs-ripgrep.sh. Exit 1 from rg means "no match", which is fine.'
  echo 'status=0'
  if [ -s "$work/rg-default.txt" ]; then
    printf '%q ' "${rg_default[@]}"; printf '>%q 2>&1 || status=$?\n' "$rg_out1"
    echo '[ "$status" -le 1 ] || exit "$status"'
  fi
  if [ -s "$work/rg-pcre2.txt" ]; then
    printf '%q ' "${rg_pcre2[@]}"; printf '>%q 2>&1 || status=$?\n' "$rg_out2"
    echo '[ "$status" -le 1 ] || exit "$status"'
  fi
  echo 'exit 0'
} >"$rg_script"

# Reference run: one ripgrep invocation per pattern, one after the other. ripgrep finds a required literal in
# a single pattern and searches for that first; in the union of all patterns there is none, so the all-at-once
# run drives its regex engine over every byte. This shows what ripgrep can do with the same patterns.
rg_each_out="$work/rg-each.out"
rg_each_script="$work/rg-each.sh"
{
  echo '#!/usr/bin/env bash'
  echo '# Written by bench/scan-vs-ripgrep.sh: each detector pattern in its own rg run, one after the other.'
  printf 'out=%q\n' "$rg_each_out"
  echo ': >"$out"'
  for f in "$work"/rg-each/*.txt; do
    flag=""
    case "$f" in *.pcre2.txt) flag="-P " ;; esac
    printf 'rg %s%s-f %q %q >>"$out" 2>&1; [ $? -le 1 ] || exit 2\n' "$(printf '%q ' "${rg_common[@]}" $rg_extra)" "$flag" "$f" "$corpus"
  done
  echo 'exit 0'
} >"$rg_each_script"

# Times one run: appends "tool label wall_s maxrss_kb" to the timings file.
timed() {
  local tool="$1" label="$2" target="$3" report="${4:-$sfi_report}" tfile="$work/time.txt" status=0
  if [ "$tool" = sfi ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${sfi_cmd[@]}" scan "$target" --format json --output "$report" --threads "$cores" || status=$?
  elif [ "$tool" = sfi-aot ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "$aot_sfi" scan "$target" --format json --output "$aot_report" --threads "$cores" || status=$?
  elif [ "$tool" = rg-keywords ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${rg_keywords[@]}" >"$rg_kw_out" 2>&1 || status=$?
  elif [ "$tool" = rg-keywords-i ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${rg_keywords_i[@]}" >"$rg_kwi_out" 2>&1 || status=$?
  elif [ "$tool" = rg-common ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${rg_secrets[@]}" >"$rg_common_out" 2>&1 || status=$?
  elif [ "$tool" = rg ]; then
    rm -f "$rg_out1" "$rg_out2"
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" bash "$rg_script" || status=$?
  else
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" bash "$rg_each_script" || status=$?
  fi
  # sfi exits 1 only when a finding trips --fail-on, which is not used here; rg exits 1 when nothing matched.
  case "$tool" in rg-keywords*|rg-common) [ "$status" -le 1 ] && status=0 ;; esac
  if [ "$status" -ne 0 ]; then
    echo "scan-vs-ripgrep: $tool failed (exit $status)" >&2
    if [ "$tool" = rg ]; then cat "$rg_out1" "$rg_out2" 2>/dev/null | tail -n 5 >&2; fi
    if [ "$tool" = rg-each ]; then tail -n 5 "$rg_each_out" >&2; fi
    exit 1
  fi
  local wall kb user sys cpu
  read -r wall kb user sys < <(tail -n1 "$tfile")
  cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')"
  echo "$tool $label $wall $kb $cpu" >>"$timings"
  log "$(awk -v t="$tool" -v l="$label" -v w="$wall" -v k="$kb" -v c="$cpu" 'BEGIN{printf "%-13s %-8s %7.2f s %7.2f s CPU %8.1f MB peak", t, l, w, c, k/1024}') (load $(cut -d' ' -f1 /proc/loadavg))"
  echo "$tool $label $(cut -d' ' -f1 /proc/loadavg)" >>"$work/load.txt"
}

timings="$work/timings.txt"
: >"$timings"
: >"$work/load.txt"
tools=(sfi rg-keywords rg-keywords-i rg-common)
[ -n "$aot_sfi" ] && tools=(sfi sfi-aot rg-keywords rg-keywords-i rg-common)
[ "$all_patterns" -eq 1 ] && tools+=(rg rg-each)
log "warm-up (one run each; fills the page cache)"
for tool in "${tools[@]}"; do timed "$tool" warmup "$corpus"; done
log "$runs timed runs each, alternated"
for i in $(seq 1 "$runs"); do
  for tool in "${tools[@]}"; do timed "$tool" "run$i" "$corpus"; done
done

# --- memory scaling ----------------------------------------------------------------------------------
scaling_file=""
if [ "$scaling" -eq 1 ]; then
  double="$work/corpus-2x"
  if [ ! -f "$double/.complete" ]; then
    log "building a tree twice the corpus size in $double (hard-linked copies: regular files to sfi)"
    rm -rf "$double"
    mkdir -p "$double"
    cp -al "$corpus" "$double/a"
    cp -al "$corpus" "$double/b"
    touch "$double/.complete"
  fi
  scaling_file="$work/scaling.txt"
  saved="$timings"
  timings="$work/scaling-runs.txt"
  : >"$timings"
  log "memory scaling: sfi on the corpus and on the double tree"
  scaling_report="$work/sfi-report-scaling.json"
  timed sfi 2x-warm "$double" "$scaling_report"   # warms the cache for the new paths; not used
  timed sfi 1x "$corpus" "$scaling_report"
  timed sfi 2x "$double" "$scaling_report"
  awk '$2=="1x"{print "1x", $3, $4} $2=="2x"{print "2x", $3, $4}' "$timings" >"$scaling_file"
  timings="$saved"
fi

rg_command=""
if [ "$all_patterns" -eq 1 ]; then
  rg_command="${rg_default[*]}"
  if [ -s "$work/rg-pcre2.txt" ]; then rg_command+=" && ${rg_pcre2[*]}"; fi
  [ -s "$work/rg-default.txt" ] || rg_command="${rg_pcre2[*]}"
  rg_command="${rg_command//$repo\//}"
fi
kw_command="${rg_keywords[*]}"
kwi_command="${rg_keywords_i[*]}"
common_command="${rg_secrets[*]}"

report_args=(report --timings "$timings" --sfi-report "$sfi_report" --patterns "$work/rg-patterns.json"
  --rules "$work/rules.json" --load "$work/load.txt" --keywords "$work/keywords.txt" --common "$work/rg-common.txt"
  --kw-command "${kw_command//$repo\//}" --kwi-command "${kwi_command//$repo\//}" --common-command "${common_command//$repo\//}"
  --kw-out "$rg_kw_out" --common-out "$rg_common_out"
  --rg-out "$rg_out1" "$rg_out2" --rg-each-out "$rg_each_out" --command "$invocation" --rg-command "$rg_command" --doc "$doc"
  --sfi-version "$sfi_version" --commit "$commit" --dotnet-version "$(dotnet --version)"
  --rg-version "$rg_version" --pcre2-version "$pcre2_version" --manifest "$corpus.manifest.json" --runs "$runs"
  --corpus-bytes "$corpus_bytes" --corpus-files "$corpus_files")
[ -n "$aot_sfi" ] && report_args+=(--aot-report "$aot_report" --aot-version "$aot_version")
[ -n "$scaling_file" ] && report_args+=(--scaling "$scaling_file")
[ "$write" -eq 1 ] && report_args+=(--write)
echo
python3 "$helper" "${report_args[@]}"
