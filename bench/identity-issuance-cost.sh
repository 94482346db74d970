#!/usr/bin/env bash
# Token issuance cost: the server's own CPU time per issued DPoP-bound token, against the crypto floor
# measured in the same run. Every run measures back to back:
#   HSM signature   bench/keys/raw_sign.c: C_Sign with a token-object ES256 key on the server's SoftHSM2 token, one
#                   thread; its own CPU time (getrusage, SoftHSM2's work included) per signature
#   verifications   IdentityBench floor: one ES256 client-assertion and one ES256 DPoP-proof verification with
#                   System.Security.Cryptography, one thread, CPU time per verification
#   issuance        IdentityBench issue ... dpop: client_credentials + private_key_jwt token requests, each with its own
#                   DPoP proof, CONNECTIONS at a time; the server's CPU time (utime + stime of its process from
#                   /proc/PID/stat, every thread, SoftHSM2 inside it) per issued token. The load generator is another
#                   process and makes every assertion and proof before the clock starts, so none of its CPU counts.
#                   Also reported: what the server wrote per token (/proc/PID/io wchar and syscw: the replay
#                   identifiers' WAL frames, the responses), steadier than CPU time on a busy machine; and each
#                   answered request's latency as the load generator sees it (median, 99th percentile), comparable
#                   between builds measured alike only (the load generator shares the CPUs).
#   floor = HSM signature + assertion verification + proof verification; target: server CPU per token <= 2x floor on
#   SQLite, <= 3x on PostgreSQL.
#
#   bench/identity-issuance-cost.sh [--runs N] [--seconds S] [--connections C] [--postgres] [--isolate]
#
# --postgres runs sfi serve on a throw-away PostgreSQL cluster (fsync on); the PostgreSQL backends' CPU is not the
# server's and is not counted.
# --isolate splits the CPUs in two: the server (pinned once started) and the floor's measurements on the upper half,
# the load generator and PostgreSQL on the lower. On two CPUs that confines the server to one, which costs it less
# CPU per token than running on two (docs/benchmarks.md, round 12): an analysis tool; the target is judged without it.
# Working files: bench/.work/identity-cost/ (git-ignored, recreated). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=identity-issuance-cost
. bench/lib.sh
runs=5
seconds=8
connections=16
isolate=0
identity_bench_options "${BASH_SOURCE[0]}" "$@"
# A DPoP proof is accepted for 60 s after its iat; the proofs of one run are all made before it starts.
[ "$seconds" -le 30 ] || { echo "$bench_name: --seconds is at most 30 (DPoP proofs are made before each run and live 60 s)" >&2; exit 2; }
[ "$(getconf CLK_TCK)" = 100 ] || { echo "$bench_name: /proc/PID/stat is read in ticks of 1/100 s; this system's CLK_TCK is $(getconf CLK_TCK)" >&2; exit 2; }

module=/usr/lib/softhsm/libsofthsm2.so
hsm_prerequisites
require_tools dotnet python3 flock

work="$here/bench/.work/identity-cost"
rm -rf "$work"
mkdir -p "$work"
# The server runs from a copy of ./sfi's build, taken before IdentityBench's build: that one writes under src/*/obj,
# which ./sfi would then take for changed sources and rebuild.
sfi_snapshot "$work"
echo "== building raw_sign and IdentityBench"
build_raw_sign "$work/raw_sign"
build_bench bench/identity/IdentityBench/IdentityBench.csproj "$work/bench"

isolate_cores
identity_serve "$work"
# Warm-up: tiered JIT settles in the server before the first measured run (about 15 s of load on a quiet machine).
on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" 20 "$connections" dpop >/dev/null

# What the server writes, from /proc/PID/io: bytes and calls of write, pwrite and the like (the replay identifiers' WAL
# frames, sockets, logs). Not CPU time, but steadier than it on a busy machine: a change to the writes per token
# shows here in a single run.
server_writes() { awk '$1 == "wchar:" { b = $2 } $1 == "syscw:" { c = $2 } END { print b, c }' /proc/"$server"/io; }
results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "run=$run $(on_server_core "$work/raw_sign" "$module" sfi "$pin" "$seconds" 1 token)" | tee -a "$results"
  echo "run=$run $(on_server_core "$work/bench/IdentityBench" floor "$issuer" "$work/state" "$seconds")" | tee -a "$results"
  written_before=($(server_writes))
  issued="$(on_load_cores "$work/bench/IdentityBench" issue "$issuer" "$work/state" "$seconds" "$connections" dpop server-pid="$server")"
  written_after=($(server_writes))
  echo "run=$run $issued write_bytes=$((written_after[0] - written_before[0])) write_calls=$((written_after[1] - written_before[1]))" | tee -a "$results"
done
stop_server

python3 - "$results" "$invocation" "$postgres" "$commit" "${server_cpus:-}" "${load_cpus:-}" <<'PY'
import re, statistics, sys, subprocess
path, invocation, postgres, commit, server_cpus, load_cpus = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5], sys.argv[6]
runs = {}
for line in open(path):
    m = re.match(r"run=(\d+) (\w+) (.*)", line.strip())
    if not m: continue
    r = runs.setdefault(int(m.group(1)), {})
    kv = dict(x.split("=", 1) for x in m.group(3).split() if "=" in x)
    kind = m.group(2)
    if kind == "raw": r["sign"] = 1e6 * float(kv["cpu"]) / float(kv["signatures"])
    elif kind == "floor": r.update(assertion=float(kv["assertion_verify_us"]), proof=float(kv["proof_verify_us"]))
    elif kind == "issue": r.update(server=float(kv["server_cpu_us_per_token"]), net=float(kv["server_net_cpu_us_per_token"]), idle=float(kv["server_idle_cpu_us_per_s"]), rate=float(kv["rate"]), failed=int(kv["failed"]), p50=float(kv["latency_p50_ms"]), p99=float(kv["latency_p99_ms"]),
                                   wbytes=float(kv["write_bytes"]) / max(1, int(kv["tokens"])), wcalls=float(kv["write_calls"]) / max(1, int(kv["tokens"])))
rows = [runs[k] for k in sorted(runs)]
for r in rows: r["floor"] = r["sign"] + r["assertion"] + r["proof"]; r["ratio"] = r["server"] / r["floor"]
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
target = 3 if postgres else 2
print(f"\nCommand: `{invocation}`; {len(rows)} runs; {'PostgreSQL' if postgres else 'SQLite'}; {cpu}, {subprocess.run(['nproc'],capture_output=True,text=True).stdout.strip()} cores; "
      f"{f'server (and the floor) on CPU {server_cpus}, load generator on CPU {load_cpus}' if server_cpus else 'server and load generator on every CPU'}; commit {commit}.\n")
print("| Run | HSM signature (µs CPU) | assertion verify (µs) | proof verify (µs) | floor (µs) | tokens/s | failed | server idle (µs CPU/s) | server CPU per token (µs) | server / floor | net of idle (µs) | net / floor | written per token (bytes, calls) | latency p50, p99 (ms) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for i, r in enumerate(rows, 1):
    print(f"| {i} | {r['sign']:.0f} | {r['assertion']:.0f} | {r['proof']:.0f} | {r['floor']:.0f} | {r['rate']:,.0f} | {r['failed']} | {r['idle']:,.0f} | {r['server']:.0f} | {r['ratio']:.2f}x | {r['net']:.0f} | {r['net'] / r['floor']:.2f}x | {r['wbytes']:,.0f}, {r['wcalls']:.1f} | {r['p50']:.1f}, {r['p99']:.1f} |")
med = statistics.median
ratio = med([r["ratio"] for r in rows])
net = med([r["net"] / r["floor"] for r in rows])
print(f"\nMedians: floor {med([r['floor'] for r in rows]):.0f} µs, server {med([r['server'] for r in rows]):.0f} µs per token: "
      f"**{ratio:.2f}x** the floor (target <= {target}x: {'met' if ratio <= target else 'missed'}); "
      f"net of the server's idle background work {med([r['net'] for r in rows]):.0f} µs, {net:.2f}x.")
PY
