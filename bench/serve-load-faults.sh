#!/usr/bin/env bash
# Server load and faults (issue 20): two `sfi serve --dev --issuer` nodes sharing one throw-away PostgreSQL and one
# SoftHSM2 token, on 127.0.0.1, driven for SECONDS by bench/load/LoadGen with a mix of JWKS fetches, signing through
# the key API, token issuance (client_credentials + private_key_jwt, half DPoP-bound), introspection and findings
# reads, while the rings 'tokens' and 'load' rotate every 30 s. Faults, one each: PostgreSQL stopped for ~5 s and
# started again (at 25% of the run), node 2 killed with SIGKILL and restarted (at 60%). A relying party inside the
# generator verifies every issued token against the JWKS of either node (refetching on an unknown kid).
#
#   bench/serve-load-faults.sh [--seconds N] [--workers W]     (defaults: 600 s, 8 concurrent workers)
#
# Prints a Markdown report (requests, errors and latency percentiles by kind, errors inside and outside each fault's
# window, tokens issued and failing verification, distinct kids). Installs nothing: it names what is missing and exits 2.
# Working files: bench/.work/serve-load-faults/ (git-ignored, recreated). Results: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=serve-load-faults
. bench/lib.sh
seconds=600
workers=8
invocation="bench/serve-load-faults.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; invocation+=" --seconds ${2:-}"; shift 2 ;;
    --workers) workers="${2:-}"; invocation+=" --workers ${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$bench_name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$seconds" "$workers"; do
  case "$n" in ''|*[!0-9]*|0) echo "$bench_name: --seconds and --workers take positive whole numbers" >&2; exit 2 ;; esac
done
[ "$seconds" -ge 60 ] || { echo "$bench_name: --seconds must be at least 60 (two rotations and both faults)" >&2; exit 2; }

module=/usr/lib/softhsm/libsofthsm2.so
missing=()
[ -f "$module" ] || missing+=("softhsm2 (for $module)")
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
[ -n "$pgbin" ] && [ -x "$pgbin/pg_ctl" ] || missing+=("postgresql (server binaries: initdb, pg_ctl)")
for tool in dotnet python3 curl flock; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  printf '%s: missing, install first (nothing is installed by this script):\n' "$bench_name" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi

work="$here/bench/.work/serve-load-faults"
rm -rf "$work"
mkdir -p "$work"
sfi_snapshot "$work"
echo "== building LoadGen"
build_bench bench/load/LoadGen/LoadGen.csproj "$work/loadgen"
loadgen="$work/loadgen/LoadGen"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
pg_as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

port1="$(free_port)"; port2="$(free_port)"
base1="http://127.0.0.1:$port1"; base2="http://127.0.0.1:$port2"
issuer="$base1/"   # one issuer for both nodes, as behind a load balancer
SFI_ADMIN_KEY="sfi_admin_load_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SFI_ADMIN_KEY

pgdir="$(mktemp -d /tmp/sfi-load-pg.XXXXXX)"
node_pid=("" "" "")
cleanup() {
  local i
  for i in 1 2; do [ -n "${node_pid[$i]}" ] && kill "${node_pid[$i]}" 2>/dev/null && wait "${node_pid[$i]}" 2>/dev/null || true; done
  [ -n "${gen_pid:-}" ] && kill "$gen_pid" 2>/dev/null || true
  tools/postgres-for-tests.sh stop "$pgdir" || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
echo "== starting PostgreSQL (fsync on) in $pgdir"
connection="$(PG_FSYNC=on tools/postgres-for-tests.sh start "$pgdir" | tail -1)"
pgport="$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$connection")"

# start_node N ARG...: starts node N (1 or 2) in the background, with the runtime settings of a shipped sfi serve
# (sfi_serve_env), and waits up to two minutes for /readyz.
start_node() {
  local n="$1" base port
  shift
  if [ "$n" = 1 ]; then base="$base1"; port="$port1"; else base="$base2"; port="$port2"; fi
  local args=(serve --dev --database "$connection" --urls "$base" --data-dir "$work/node$n" "$@")
  if [ "$n" = 2 ]; then
    # the node-1 token: same module, label and PIN file; SOFTHSM2_CONF names node 1's token directory
    args+=(--pkcs11-module "$module" --token-label sfi --pin-file "$work/node1/hsm/user.pin")
    # shellcheck disable=SC2046 # NAME=VALUE words, no spaces in them
    env $(sfi_serve_env) SOFTHSM2_CONF="$work/node1/hsm/softhsm2.conf" "${sfi[@]}" "${args[@]}" >>"$work/node$n.log" 2>&1 &
  else
    # shellcheck disable=SC2046
    env $(sfi_serve_env) "${sfi[@]}" "${args[@]}" >>"$work/node$n.log" 2>&1 &
  fi
  node_pid[$n]=$!
  wait_ready "$n"
}
wait_ready() {
  local n="$1" base _
  if [ "$n" = 1 ]; then base="$base1"; else base="$base2"; fi
  for _ in $(seq 1 240); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && return 0
    kill -0 "${node_pid[$n]}" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 40 "$work/node$n.log" >&2
  echo "$bench_name: node $n did not become ready" >&2
  exit 1
}

node_args=(--issuer "$issuer" --access-token-lifetime PT15S)
echo "== node 1 without --issuer: creating the rings 'tokens' (issuer $issuer) and 'load', rotating every PT30S"
start_node 1
"$loadgen" rings "$base1" "$issuer" PT30S
kill "${node_pid[1]}"; wait "${node_pid[1]}" 2>/dev/null || true
echo "== starting node 1 ($base1) and node 2 ($base2) with --issuer $issuer"
start_node 1 "${node_args[@]}"
start_node 2 "${node_args[@]}"
"$loadgen" client "$base1" "$work/state"

faults="$work/faults.txt"
: >"$faults"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== load for $seconds s with $workers workers (load average $load_start)"
"$loadgen" run "$base1,$base2" "$issuer" "$work/state" "$seconds" "$workers" "$work/out" >"$work/loadgen.log" 2>&1 &
gen_pid=$!
t0="$(now_ms)"
echo "start $t0" >>"$faults"
load_peak="$load_start"

# wait_until FRACTION: sleeps until that fraction of the run has passed.
wait_until() {
  local target=$((t0 + seconds * 1000 * $1 / 100))
  while [ "$(now_ms)" -lt "$target" ]; do sleep 1; done
}
# both_ready: waits until both nodes answer /readyz 200 (up to two minutes).
both_ready() {
  local _
  for _ in $(seq 1 240); do
    curl -fs "$base1/readyz" >/dev/null 2>&1 && curl -fs "$base2/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "$bench_name: the nodes did not both become ready again" >&2
}

wait_until 25
echo "== fault: PostgreSQL stopped for 5 s"
start="$(now_ms)"
pg_as_owner "$pgbin/pg_ctl" -D "$pgdir" -m fast -w stop >/dev/null
sleep 5
pg_as_owner "$pgbin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c max_connections=200 -c fsync=on" start >/dev/null
pg_up="$(now_ms)"
both_ready
echo "postgres-restart $start $pg_up $(now_ms)" >>"$faults"

wait_until 60
echo "== fault: node 2 killed (SIGKILL) and restarted"
start="$(now_ms)"
kill -KILL "${node_pid[2]}"; wait "${node_pid[2]}" 2>/dev/null || true
restart="$(now_ms)"
start_node 2 "${node_args[@]}"
echo "node2-kill $start $restart $(now_ms)" >>"$faults"
load_peak="$(cut -d' ' -f1-3 /proc/loadavg)"

if ! wait "$gen_pid"; then cat "$work/loadgen.log" >&2; echo "$bench_name: LoadGen failed" >&2; exit 1; fi
gen_pid=""
echo "end $(now_ms)" >>"$faults"
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
cat "$work/loadgen.log"
for n in 1 2; do grep -c -E '\b(fail|crit|error)' "$work/node$n.log" | sed "s/^/   node $n log lines naming fail\/crit\/error: /" || true; done

python3 bench/load/report.py "$work" "$invocation" "$commit" "$sfi_version" "$load_start / $load_peak / $load_end" | tee "$work/report.md"
