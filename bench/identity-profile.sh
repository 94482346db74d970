#!/usr/bin/env bash
# Where the token service's CPU goes: perf profile of sfi serve alone while it issues DPoP-bound tokens
# (client_credentials + private_key_jwt, as bench/identity-issuance-cost.sh), classified by what each sample's stack is
# in (crypto, SQLite, Npgsql, OpenIddict's dispatcher, thread-pool spinning, sockets, the rest).
#
#   bench/identity-profile.sh [--seconds S] [--connections C] [--postgres] [--isolate]
#
# The server runs with DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 (without it, JIT-compiled frames do not
# resolve). The profile is system-wide (perf record -a; -p PID collects almost nothing in some containers) and keeps
# the server's samples only. It starts once the server's CPU time is rising steadily: IdentityBench makes all its
# assertions and proofs before its clock starts, which takes seconds, and a profile taken then shows an idle server.
# Needs perf (Debian: linux-perf) and root or perf_event_paranoid <= 0. Working files: bench/.work/identity-profile/
# (git-ignored, recreated; perf.data and stacks.txt stay there). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=identity-profile
. bench/lib.sh
runs=1
seconds=24
connections=16
isolate=0
identity_bench_options "${BASH_SOURCE[0]}" "$@"
[ "$seconds" -le 30 ] || { echo "$bench_name: --seconds is at most 30 (DPoP proofs are made before the run and live 60 s)" >&2; exit 2; }
hsm_prerequisites
require_tools dotnet python3 flock perf

work="$here/bench/.work/identity-profile"
rm -rf "$work"
mkdir -p "$work"
sfi_snapshot "$work"
echo "== building IdentityBench"
build_bench bench/identity/IdentityBench/IdentityBench.csproj "$work/bench"
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
isolate_cores
identity_serve "$work"
echo "== warm-up (20 s of issuance)"
on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" 20 "$connections" dpop >/dev/null
on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" "$seconds" "$connections" dpop server-pid="$server" >"$work/issue.txt" &
load=$!
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$server"/stat; }
# Rising steadily: at least 8 ticks (80 ms of CPU) in each of four half-seconds in a row; two minutes at most.
streak=0
previous="$(cpu_ticks)"
for _ in $(seq 1 240); do
  sleep 0.5
  now="$(cpu_ticks)"
  if [ $((now - previous)) -ge 8 ]; then streak=$((streak + 1)); else streak=0; fi
  previous="$now"
  [ "$streak" -lt 4 ] || break
done
[ "$streak" -ge 4 ] || { echo "$bench_name: the server never got busy" >&2; exit 1; }
echo "== profiling for $((seconds / 2)) s (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
perf record -a -e cpu-clock -F 999 -g -o "$work/perf.data" -- sleep $((seconds / 2)) 2>"$work/perf.log"
wait "$load"
cat "$work/issue.txt"
perf script -i "$work/perf.data" --pid "$server" -F ip,sym,dso >"$work/stacks.txt" 2>/dev/null
stop_server

python3 - "$work/stacks.txt" <<'PY'
import collections, re, sys
samples, current = [], []
for line in open(sys.argv[1]):
    if not line.strip():
        if current: samples.append(current)
        current = []
        continue
    m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)$", line.rstrip("\n"))
    if m: current.append((m.group(1), m.group(2)))
if current: samples.append(current)
if not samples: sys.exit("identity-profile: no samples of the server")
# First match wins; native frames of SoftHSM2 and SQLite do not always unwind, so both are also recognised by their
# system calls and by the managed frames that call them.
classes = [
    ("SQLite (replay-id writes, audit batches)", lambda syms, dsos: "libe_sqlite3" in dsos or re.search(r"sys_fsync|sys_pwrite64|sys_pread64|SqlReplayCache\+<WriteAsync>|TryRecordOnceAsync|Microsoft\.Data\.Sqlite", syms)),
    ("PostgreSQL client (Npgsql)", lambda syms, dsos: "Npgsql" in syms),
    ("HSM signature (libsofthsm2)", lambda syms, dsos: "libsofthsm2" in dsos or "SignDigest" in syms),
    ("libcrypto (ECDSA verifications, SHA-256, SoftHSM2's signing)", lambda syms, dsos: "libcrypto" in dsos),
    ("thread-pool spinning and waking", lambda syms, dsos: re.search(r"sched_yield|LowLevelLifoSemaphore|LowLevelSpinWaiter", syms)),
    ("sockets (kernel)", lambda syms, dsos: re.search(r"sys_sendto|sys_recvfrom|sys_epoll|tcp_", syms)),
    ("OpenIddict's dispatcher, service resolution, casts (leaf)", lambda syms, dsos: re.search(r"OpenIddictServerDispatcher|ServiceProvider|ServiceLookup|CastHelpers|VSD_|ResolveStub|DispatchStub", syms.split("\n")[0])),
    ("JIT", lambda syms, dsos: "clrjit" in dsos),
    ("other kernel", lambda syms, dsos: dsos.split("\n")[0].startswith("[kernel")),
]
counts = collections.Counter()
for sample in samples:
    syms = "\n".join(f[0] for f in sample); dsos = "\n".join(f[1] for f in sample)
    counts[next((name for name, test in classes if test(syms, dsos)), "everything else (OpenIddict's handlers, Kestrel, JSON, allocation, GC)")] += 1
print(f"\n{len(samples):,} samples of the server\n\n| Share of the server's CPU | what |\n|---:|---|")
for name, count in counts.most_common():
    print(f"| {100 * count / len(samples):.1f} % | {name} |")
PY
