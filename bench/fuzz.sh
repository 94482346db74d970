#!/usr/bin/env bash
# Fuzzing run: every harness target of fuzz/ under AFL++, over SharpFuzz-instrumented sfi assemblies,
# seeded from fuzz/corpus/TARGET/. Reports executions, executions per second, paths found, crashes and hangs per
# target, and saves what AFL++ found under bench/.work/fuzz/TARGET/. Any crash or hang makes the exit status 1.
#
#   bench/fuzz.sh [--seconds S] [--jobs N] [--no-dictionaries] [TARGET...]
#
#   --seconds S          length of each target's run (default 180)
#   --jobs N             targets fuzzed at once (default 1; the machine is shared: each afl-fuzz runs under nice)
#   --no-dictionaries    run without the AFL++ dictionaries of fuzz/dictionaries/ (to measure what they add)
#   TARGET...            only these (default: every target, see `fuzz/fuzz.sh list`)
#
# Installs afl++ when run as root (Debian package). A crash reproduces on the uninstrumented build with
#   dotnet run --project fuzz/SecureFuture.Fuzz -c Release -- run TARGET bench/.work/fuzz/TARGET/default/crashes/id:...
# (instrumented assemblies fail outside afl-fuzz). Method and results: docs/fuzzing.md, docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=fuzz
. bench/lib.sh
seconds=180
jobs=1
use_dictionaries=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-dictionaries) use_dictionaries=0; shift ;;
    -*) echo "$bench_name: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
require_tools dotnet
command -v afl-fuzz >/dev/null 2>&1 || install_missing afl++

work="$here/bench/.work/fuzz"
rm -rf "$work"
mkdir -p "$work"
bin="$work/bin"
echo "== building and instrumenting the harness"
build_bench fuzz/SecureFuture.Fuzz/SecureFuture.Fuzz.csproj "$bin"
(cd fuzz && dotnet tool restore >/dev/null)
# SharpFuzz rewrites each assembly in place to report its branches to AFL++: sfi's own, and YamlDotNet (whose
# parser the YAML targets mostly exercise). The harness itself and the .NET libraries stay as they are.
for dll in "$bin"/SecureFuture.*.dll "$bin"/YamlDotNet.dll; do
  case "$dll" in */SecureFuture.Fuzz.dll) continue ;; esac
  (cd fuzz && dotnet sharpfuzz "$dll" >/dev/null)
done
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(dotnet "$bin/SecureFuture.Fuzz.dll" list | awk '{print $1}')

# afl-fuzz's own checks that do not fit a .NET target in a shared container: dotnet is not an instrumented
# binary; the core pattern and CPU governor belong to the host; the CPUs are shared, so no pinning.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1

# AFL++ dictionaries (-x): tokens a byte-level mutation would rarely assemble by chance. An XML reader refuses a
# document at its first malformed byte, so without whole tags the XML targets rarely get past it into sfi's code.
dictionaries() {
  case "$1" in
    threatmodel-tm7 | threatmodel-tb7) echo xml tm7 ;;
    deps-csproj | deps-packages-config | deps-pom) echo xml ;;
  esac
}

fuzz_one() {
  local target="$1" out="$work/$1" dict=()
  mkdir -p "$out"
  if [ "$use_dictionaries" = 1 ]; then
    for name in $(dictionaries "$target"); do dict+=(-x "fuzz/dictionaries/$name.dict"); done
  fi
  # -t: a .NET input that runs past 10 s is a hang; -m none: the CLR reserves far more address space than it uses.
  nice -n 10 afl-fuzz -i "fuzz/corpus/$target" -o "$out" -t 10000 -m none -V "$seconds" "${dict[@]}" \
    -- dotnet "$bin/SecureFuture.Fuzz.dll" afl "$target" >"$out/afl.log" 2>&1 || echo "$target: afl-fuzz failed, see $out/afl.log" >&2
}

echo "== fuzzing ${#targets[@]} targets for $seconds s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

afl_stat() { awk -F' *: *' -v k="$2" '$1 == k {print $2}' "$work/$1/default/fuzzer_stats" 2>/dev/null || true; }
printf '\n%-24s %10s %9s %7s %7s %8s %6s\n' target execs "exec/s" paths edges crashes hangs
found=0
for target in "${targets[@]}"; do
  execs="$(afl_stat "$target" execs_done)"; runtime="$(afl_stat "$target" run_time)"
  crashes="$(afl_stat "$target" saved_crashes)"; hangs="$(afl_stat "$target" saved_hangs)"
  rate="$(awk -v e="${execs:-0}" -v t="${runtime:-0}" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')"
  printf '%-24s %10s %9s %7s %7s %8s %6s\n' "$target" "${execs:--}" "$rate" "$(afl_stat "$target" corpus_count)" "$(afl_stat "$target" edges_found)" "${crashes:--}" "${hangs:--}"
  [ "${crashes:-0}" = 0 ] && [ "${hangs:-0}" = 0 ] || found=1
done
echo "dictionaries: $([ "$use_dictionaries" = 1 ] && echo "fuzz/dictionaries/ (-x)" || echo none)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); afl++ $(dpkg-query -W -f '${Version}' afl++ 2>/dev/null); commit $(git rev-parse --short HEAD)"
exit "$found"
