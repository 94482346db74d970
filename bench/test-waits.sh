#!/usr/bin/env bash
# Duration of the test classes that used to wait on the wall clock (issue 20, code health: "replace wall-clock sleeps
# in tests with a fake time provider"): RelyingPartyRotationTests and TokenServiceTests (Server.Tests), ServeCrashTests
# (Cli.Tests). Builds the two test projects once (Release), starts a throw-away PostgreSQL as test.sh does, then runs
# each project's classes N times and prints, per run, the sum of the reported test durations of each class.
#
#   bench/test-waits.sh [--runs N]     (default 3)
#
# Compare two commits by running it in a checkout of each, alternated, and quote medians with the load average.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
runs=3
[[ "${1:-}" == "--runs" ]] && runs="$2"
dotnet build test/SecureFuture.Server.Tests -c Release -nodeReuse:false -v q >/dev/null
dotnet build test/SecureFuture.Cli.Tests -c Release -nodeReuse:false -v q >/dev/null
pgroot="$(mktemp -d -t sfi-pg.XXXXXX)"
chmod 755 "$pgroot"
trap 'tools/postgres-for-tests.sh stop "$pgroot/data" >/dev/null; rm -rf "$pgroot"' EXIT
SFI_TEST_POSTGRES="$(tools/postgres-for-tests.sh start "$pgroot/data")"
export SFI_TEST_POSTGRES
run_classes() { # project, class...
  local project="$1"; shift
  local filter; filter="$(printf 'FullyQualifiedName~%s|' "$@")"
  dotnet test "$project" -c Release --no-build -nodeReuse:false --filter "${filter%|}" --logger "console;verbosity=normal" 2>&1 \
    | python3 -c '
import re, sys, collections
sums = collections.OrderedDict()
for line in sys.stdin:
    m = re.match(r"\s+(Passed|Failed) (\S+?)(?:\(.*\))? \[(?:(\d+) m )?(?:(\d+) s)?(?:(\d+) ms)?\]", line)
    if m:
        cls = m.group(2).split(".")[-2]
        sums[cls] = sums.get(cls, 0) + int(m.group(3) or 0) * 60 + int(m.group(4) or 0) + int(m.group(5) or 0) / 1000
        if m.group(1) == "Failed":
            print("  FAILED", m.group(2))
for cls, total in sums.items():
    print(f"  {cls}: {total:.1f} s")'
}
for run in $(seq 1 "$runs"); do
  echo "run $run (load $(cut -d' ' -f1-3 /proc/loadavg))"
  run_classes test/SecureFuture.Server.Tests RelyingPartyRotationTests TokenServiceTests
  run_classes test/SecureFuture.Cli.Tests ServeCrashTests
done
