#!/usr/bin/env bash
# Identity benchmark, every path measured back to back within each run so ratios are taken run by run:
#   raw HSM   bench/keys/raw_sign.c: C_Sign with a token-object ES256 key on the server's SoftHSM2 token, 2 threads
#   issuance  client_credentials + private_key_jwt token requests to `sfi serve --issuer` (OpenIddict, HSM signing),
#             CONNECTIONS concurrent requests; assertions are made before the clock starts      target >= 50% of raw HSM
#   raw verify  ECDSA P-256 verification of a token's signature (System.Security.Cryptography), 2 threads
#   library   sfi's StrictTokenValidator on the same token, 2 threads                          target >= 60% of raw verify
#   IdentityModel  Microsoft.IdentityModel's JsonWebTokenHandler on the same token, for comparison
#
#   bench/identity-tokens.sh [--runs N] [--seconds S] [--connections C] [--postgres]
#
# --postgres runs sfi serve on a throw-away PostgreSQL cluster (fsync on) instead of SQLite: the multi-node
# configuration, where every client assertion's jti is checked in the shared replay table (one round trip per token).
#
# Installs what it lacks when run as root (softhsm2, gcc, libp11-kit-dev, curl). Working files: bench/.work/identity/
# (git-ignored, recreated). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=identity-tokens
. bench/lib.sh
runs=3
seconds=5
connections=16
identity_bench_options "${BASH_SOURCE[0]}" "$@"

module=/usr/lib/softhsm/libsofthsm2.so
hsm_prerequisites
require_tools dotnet python3 flock

work="$here/bench/.work/identity"
rm -rf "$work"
mkdir -p "$work"
# The server runs from a copy of ./sfi's build, taken before IdentityBench's build: that one writes under src/*/obj,
# which ./sfi would then take for changed sources and rebuild.
sfi_snapshot "$work"
echo "== building raw_sign and IdentityBench"
build_raw_sign "$work/raw_sign"
build_bench bench/identity/IdentityBench/IdentityBench.csproj "$work/bench"

identity_serve "$work"

results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "run=$run $("$work/raw_sign" "$module" sfi "$pin" "$seconds" 2 token)" | tee -a "$results"
  echo "run=$run $("$work/bench/IdentityBench" issue "$issuer" "$work/state" "$seconds" "$connections")" | tee -a "$results"
  echo "run=$run $("$work/bench/IdentityBench" validate "$issuer" "$work/state" "$seconds" 2)" | tee -a "$results"
done
stop_server

python3 - "$results" "$invocation" "$commit" <<'PY'
import re, statistics, sys, subprocess, platform
path, invocation, commit = sys.argv[1], sys.argv[2], sys.argv[3]
runs = {}
for line in open(path):
    m = re.match(r"run=(\d+) (.*)", line.strip())
    if not m: continue
    r = runs.setdefault(int(m.group(1)), {})
    kv = dict(x.split("=", 1) for x in m.group(2).split() if "=" in x)
    if m.group(2).startswith("raw "): r["hsm"] = float(kv["rate"])
    elif m.group(2).startswith("issue "): r["issue"] = float(kv["rate"])
    elif m.group(2).startswith("validate "): r.update(verify=float(kv["raw"]), library=float(kv["library"]), im=float(kv["identitymodel"]))
def med(xs): return statistics.median(xs)
def fmt(x): return f"{x:,.0f}"
rows = [runs[k] for k in sorted(runs)]
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
print(f"\nCommand: `{invocation}`; {len(rows)} runs; {cpu}, {subprocess.run(['nproc'],capture_output=True,text=True).stdout.strip()} cores; commit {commit}.\n")
print("| Run | raw HSM C_Sign (2 threads) | tokens issued/s | raw ECDSA verify/s (2 threads) | sfi validations/s | IdentityModel validations/s | issuance / HSM | sfi / raw verify | IdentityModel / raw verify |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for i, r in enumerate(rows, 1):
    print(f"| {i} | {fmt(r['hsm'])} | {fmt(r['issue'])} | {fmt(r['verify'])} | {fmt(r['library'])} | {fmt(r['im'])} | {100*r['issue']/r['hsm']:.0f}% | {100*r['library']/r['verify']:.0f}% | {100*r['im']/r['verify']:.0f}% |")
iss = med([r['issue']/r['hsm'] for r in rows]); lib = med([r['library']/r['verify'] for r in rows]); im = med([r['im']/r['verify'] for r in rows])
print(f"\nMedians: issuance **{100*iss:.0f}%** of raw HSM signing (target >= 50%: {'met' if iss >= .5 else 'missed'}); "
      f"sfi validation **{100*lib:.0f}%** of raw verification (target >= 60%: {'met' if lib >= .6 else 'missed'}); Microsoft.IdentityModel {100*im:.0f}%.")
PY
