#!/usr/bin/env bash
# Key custody benchmark (issue 3): ES256 signatures per second on one SoftHSM2 token
#   raw      C program: C_SignInit + C_Sign per signature, one session per thread      (the reference)
#   library  sfi's Pkcs11Custodian (Pkcs11Interop, pooled sessions)                    target >= 70% of raw
#   http     POST /v1/keyrings/default/sign on `sfi serve`, driven by wrk               target >= 30% of raw
#   jwks     GET /.well-known/jwks.json with wrk                                        target >= 5,000 requests/s
# All four run in the same invocation, interleaved run by run, against the token of one `sfi serve` data directory.
# Usage: bench/keys-sign.sh [--runs N] [--seconds S]      (defaults: 5 runs of 5 s each)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
runs=5
seconds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: bench/keys-sign.sh [--runs N] [--seconds S]" >&2; exit 2 ;;
  esac
done

missing=()
[ -f /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ] || missing+=(libp11-kit-dev)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "keys-sign: missing ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
fi

work="$here/bench/.work/keys"
rm -rf "$work"
mkdir -p "$work"
echo "== building raw_sign, KeysBench and sfi"
gcc -O2 -Wall -I/usr/include/p11-kit-1 -o "$work/raw_sign" bench/keys/raw_sign.c -ldl -lpthread
dotnet build bench/keys/KeysBench/KeysBench.csproj -c Release -o "$work/keysbench" -nologo -v quiet -clp:ErrorsOnly >/dev/null
./sfi --version >/dev/null

data="$work/data"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
SFI_ADMIN_KEY="sfi_admin_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SFI_ADMIN_KEY
# Production mode (scheduler every 15 s, default 24 h rotation): the server is idle while the other measurements run.
./sfi serve --data-dir "$data" --urls "http://127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve.log" >&2; echo "keys-sign: sfi serve did not start" >&2; exit 1; }
export SOFTHSM2_CONF="$data/hsm/softhsm2.conf"
pin="$data/hsm/user.pin"

# Warm the server up (JIT tiering, session pool, caches) before anything is measured.
wrk -t2 -c16 -d3s -s bench/keys/sign.lua "http://127.0.0.1:$port/v1/keyrings/default/sign" >/dev/null
wrk -t2 -c64 -d3s "http://127.0.0.1:$port/.well-known/jwks.json" >/dev/null

results="$work/results.txt"
: >"$results"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  for threads in 1 2; do
    echo "run=$run $("$work/raw_sign" /usr/lib/softhsm/libsofthsm2.so sfi "$pin" "$seconds" "$threads")" | tee -a "$results"
    echo "run=$run $("$work/keysbench/KeysBench" "$data" "$seconds" "$threads")" | tee -a "$results"
  done
  wrk -t2 -c16 -d"${seconds}s" -s bench/keys/sign.lua "http://127.0.0.1:$port/v1/keyrings/default/sign" >"$work/wrk-sign-$run.txt"
  wrk -t2 -c64 -d"${seconds}s" "http://127.0.0.1:$port/.well-known/jwks.json" >"$work/wrk-jwks-$run.txt"
  for kind in sign jwks; do
    file="$work/wrk-$kind-$run.txt"
    if grep -q "Non-2xx" "$file"; then cat "$file" >&2; echo "keys-sign: $kind returned errors" >&2; exit 1; fi
    echo "run=$run http-$kind rate=$(awk '/Requests\/sec/ {print $2}' "$file") latency=$(awk '/Latency/ {print $2; exit}' "$file")" | tee -a "$results"
  done
done

python3 - "$results" "$runs" "$seconds" <<'PY'
import re, statistics, sys
rows = open(sys.argv[1]).read().splitlines()
def rates(prefix):
    return [float(re.search(r"rate=([0-9.]+)", r).group(1)) for r in rows if prefix in r]
def show(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"
raw1, raw2 = rates("raw threads=1 "), rates("raw threads=2 ")
lib1, lib2 = rates("library threads=1 "), rates("library threads=2 ")
http, jwks = rates("http-sign"), rates("http-jwks")
print(f"\n{sys.argv[2]} runs of {sys.argv[3]} s; medians (min-max), signatures or requests per second")
print("| path | 1 thread | 2 threads |")
print("|---|---|---|")
print(f"| raw C_Sign (reference) | {show(raw1)} | {show(raw2)} |")
print(f"| library (Pkcs11Custodian) | {show(lib1)} | {show(lib2)} |")
print(f"| HTTP sign (wrk -t2 -c16) | | {show(http)} |")
print(f"| JWKS (wrk -t2 -c64) | | {show(jwks)} |")
# Ratios per run (each run measures all paths back to back), then the median ratio.
r1 = [l / r for l, r in zip(lib1, raw1)]; r2 = [l / r for l, r in zip(lib2, raw2)]; rh = [h / r for h, r in zip(http, raw2)]
print(f"\nlibrary / raw: {statistics.median(r1):.0%} at 1 thread, {statistics.median(r2):.0%} at 2 threads (target >= 70%)")
print(f"HTTP / raw (2 threads): {statistics.median(rh):.0%} (target >= 30%)")
print(f"JWKS: {statistics.median(jwks):,.0f} requests/s (target >= 5,000)")
PY
