#!/usr/bin/env bash
# Key custody benchmark: ES256 signatures per second on one SoftHSM2 token, and JWKS requests per second.
#   raw      bench/keys/raw_sign.c: C_SignInit + C_Sign per signature, one session per thread    (the reference)
#            twice: with a session-object key (in memory) and with a token-object key (on disk, like sfi's keys)
#   library  bench/keys/KeysBench: sfi's Pkcs11Custodian (Pkcs11Interop, pooled sessions)     target >= 70% of raw
#   http     POST /v1/keyrings/default/sign on `sfi serve`, driven by wrk at several -c values  target >= 30% of raw
#   jwks     GET /.well-known/jwks.json with wrk -t2 -c64                                      target >= 5,000 requests/s
# Everything runs against the token of one `sfi serve` data directory, one measurement at a time (never two at once),
# all paths back to back within each run, so that the ratios are taken run by run.
#
#   bench/keys-sign.sh [--runs N] [--seconds S] [--jwks-seconds S] [--connections "4 16 64"] [--wait-idle PCT]
#
#   --runs N            runs (default 5); every run measures every path once
#   --seconds S         length of each signing measurement (default 5)
#   --jwks-seconds S    length of each JWKS measurement (default 10)
#   --connections LIST  wrk connection counts tried for HTTP signing, each in every run (default "4 16 64")
#   --wait-idle PCT     before each measurement, wait (up to 5 minutes) until the CPUs are at least PCT % idle over
#                       one second, so that other work on the machine lands in as few as possible (default 80; 0: off)
#
# Installs what it lacks when run as root (softhsm2, wrk, gcc, libp11-kit-dev, curl; Debian packages). Working files:
# bench/.work/keys/ (git-ignored, recreated on every invocation). Results and method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=keys-sign
. bench/lib.sh
runs=5
seconds=5
jwks_seconds=10
connections="4 16 64"
wait_idle=80
invocation="bench/keys-sign.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; invocation+=" --runs $2"; shift 2 ;;
    --seconds) seconds="$2"; invocation+=" --seconds $2"; shift 2 ;;
    --jwks-seconds) jwks_seconds="$2"; invocation+=" --jwks-seconds $2"; shift 2 ;;
    --connections) connections="$2"; invocation+=" --connections \"$2\""; shift 2 ;;
    --wait-idle) wait_idle="$2"; invocation+=" --wait-idle $2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "keys-sign: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$seconds" "$jwks_seconds" $connections; do
  case "$n" in ''|*[!0-9]*|0) echo "keys-sign: --runs, --seconds, --jwks-seconds and --connections take positive whole numbers" >&2; exit 2 ;; esac
done
case "$wait_idle" in ''|*[!0-9]*) echo "keys-sign: --wait-idle takes a whole number (0-100)" >&2; exit 2 ;; esac

module=/usr/lib/softhsm/libsofthsm2.so
hsm_prerequisites wrk
require_tools dotnet python3 flock

work="$here/bench/.work/keys"
rm -rf "$work"
mkdir -p "$work"
echo "== building sfi, raw_sign and KeysBench"
./sfi --version >/dev/null
build_raw_sign "$work/raw_sign"
build_bench bench/keys/KeysBench/KeysBench.csproj "$work/keysbench"

data="$work/data"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
SFI_ADMIN_KEY="sfi_admin_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SFI_ADMIN_KEY
# Production mode, not --dev: the scheduler runs every 15 s instead of every second and the default ring rotates
# daily, so the server does nothing but answer requests while it is measured and sits idle while the others are.
echo "== starting sfi serve on $base (data directory bench/.work/keys/data)"
start_sfi_serve "$work/serve.log" "$base" --data-dir "$data" --urls "$base"
# raw_sign and KeysBench open the same token: the server's SoftHSM2 configuration, PIN file and token label "sfi".
export SOFTHSM2_CONF="$data/hsm/softhsm2.conf"
pin="$data/hsm/user.pin"
curl -fs "$base/.well-known/jwks.json" >"$work/jwks.json"

# Warm the server up (JIT tiering, session pool, caches) before anything is measured.
echo "== warming the server up"
wrk -t2 -c16 -d3s -s bench/keys/sign.lua "$base/v1/keyrings/default/sign" >"$work/wrk-warmup-sign.txt"
wrk -t2 -c64 -d3s "$base/.well-known/jwks.json" >"$work/wrk-warmup-jwks.txt"
grep -q "Non-2xx" "$work/wrk-warmup-sign.txt" && { cat "$work/wrk-warmup-sign.txt" >&2; echo "keys-sign: signing over HTTP failed" >&2; exit 1; }

# One wrk measurement: appends "run=R http-KIND conns=C rate=... latency=..." to the results.
wrk_run() {
  local run="$1" kind="$2" conns="$3" duration="$4" url="$5" file="$work/wrk-$2-c$3-run$1.txt"
  shift 5
  wrk -t2 -c"$conns" -d"${duration}s" --latency "$@" "$url" >"$file"
  if grep -q "Non-2xx" "$file"; then cat "$file" >&2; echo "keys-sign: $kind returned errors (see $file)" >&2; exit 1; fi
  local errors
  errors="$(sed -n 's/^ *Socket errors: *//p' "$file" | tr -d ' ')"   # e.g. connect0,read0,write0,timeout3
  echo "run=$run http-$kind conns=$conns rate=$(awk '/Requests\/sec/ {print $2}' "$file") latency=$(awk '/Latency/ {print $2; exit}' "$file") p99=$(awk '$1=="99%" {print $2}' "$file")${errors:+ socket-errors=$errors}" | tee -a "$results"
}


results="$work/results.txt"
: >"$results"
waited=0
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs"
  quiet
  echo "run=$run load idle=$idle% loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" | tee -a "$results"
  for threads in 1 2; do
    for key in session token; do
      quiet
      echo "run=$run $("$work/raw_sign" "$module" sfi "$pin" "$seconds" "$threads" "$key")" | tee -a "$results"
    done
    quiet
    echo "run=$run $("$work/keysbench/KeysBench" "$data" "$seconds" "$threads")" | tee -a "$results"
  done
  for conns in $connections; do
    quiet
    wrk_run "$run" sign "$conns" "$seconds" "$base/v1/keyrings/default/sign" -s bench/keys/sign.lua
  done
  quiet
  wrk_run "$run" jwks 64 "$jwks_seconds" "$base/.well-known/jwks.json"
done
stop_server
echo "waits=$waited" >>"$results"

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
ram_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
os="$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
softhsm="$(dpkg-query -W -f='${Version}' softhsm2 2>/dev/null || echo unknown)"
wrk_version="$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo unknown)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/"; fi
python3 bench/keys/report.py "$results" --wait-idle "$wait_idle" --runs "$runs" --seconds "$seconds" --jwks-seconds "$jwks_seconds" \
  --command "$invocation" --cores "$(nproc)" --cpu "$cpu" --ram-kb "$ram_kb" --os "$os" --kernel "$(uname -r)" \
  --softhsm "$softhsm" --wrk "$wrk_version" --dotnet "$(dotnet --version)" --commit "$commit" | tee "$work/summary.md"
