#!/usr/bin/env bash
# Key store crash consistency: kills `sfi serve` at each step of a key change where the HSM and the store
# can disagree, restarts it on the same data directory, and checks that it signs at once with a key the token holds.
#
#   bench/keys-crash-loop.sh [--iterations N] [--minutes M]
#
#   --iterations N   cycles to run (default 200); one cycle kills the server once at every fault point:
#                    key.intent-recorded, key.generated, key.recorded, key.activated, key.destroyed-in-hsm
#   --minutes M      stop after the cycle that ends past M minutes (default: no limit); the report says how many ran
#
# Each kill uses the test-only hook of a --dev server (SFI_FAULT_EXIT_AT=<point>: the process SIGKILLs itself at that
# step). After each kill the server is restarted without the hook and must, within its first seconds:
#   - answer /readyz, list exactly one active key for the ring, sign with it (so the token holds it) and verify that
#     signature;
#   - publish a JWKS led by the active key and holding exactly the store's pending, active and retiring keys;
#   - after a graceful stop, pass `sfi keys audit verify` (hash chain and HSM-signed checkpoints intact).
# A failed check is counted and described, and the cycle goes on. Exit 0 when nothing failed, 1 otherwise.
# Working files: bench/.work/keys-crash/ (git-ignored, recreated on every invocation). Results: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bench_name=keys-crash-loop
. bench/lib.sh
iterations=200
minutes=0
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "keys-crash-loop: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for n in "$iterations" "$minutes"; do
  case "$n" in ''|*[!0-9]*) echo "keys-crash-loop: --iterations and --minutes take whole numbers" >&2; exit 2 ;; esac
done
[ -f /usr/lib/softhsm/libsofthsm2.so ] || install_missing softhsm2
require_tools dotnet python3 curl

points="key.intent-recorded key.generated key.recorded key.activated key.destroyed-in-hsm"
work="$here/bench/.work/keys-crash"
rm -rf "$work"
mkdir -p "$work"
data="$work/data"
echo "== building sfi"
./sfi --version >/dev/null
# Every start below runs the build made now: ./sfi would rebuild whenever anything under src/ (obj/ included) is
# newer, and a rebuild in the middle of the loop would be timed as a server that does not start.
sfi=(dotnet "$here/.sfi-build/bin/sfi.dll")
SFI_ADMIN_KEY="sfi_admin_crash_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SFI_ADMIN_KEY
auth=(-H "Authorization: Bearer $SFI_ADMIN_KEY")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# serve LOG [FAULT]: starts a --dev server on a free port (with SFI_FAULT_EXIT_AT=FAULT when given); sets $pid and
# $base; returns 1 if it is not ready within 180 s (a loaded 2-core machine needs more than a minute at times).
serve() {
  local log="$1" fault="${2:-}"
  base="http://127.0.0.1:$(free_port)"
  if [ -n "$fault" ]; then
    SFI_FAULT_EXIT_AT="$fault" "${sfi[@]}" serve --dev --data-dir "$data" --urls "$base" >"$log" 2>&1 &
  else
    "${sfi[@]}" serve --dev --data-dir "$data" --urls "$base" >"$log" 2>&1 &
  fi
  pid=$!
  local _
  for _ in $(seq 1 900); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  return 1
}

# gone PID SECONDS: waits for the process to end by itself.
gone() {
  local _
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }; sleep 0.1; done
  return 1
}

# check: the ring signs with its one active key, which verifies, and the JWKS matches the store.
check() {
  python3 - "$base" "$SFI_ADMIN_KEY" <<'PY'
import json, sys, urllib.request
base, key = sys.argv[1], sys.argv[2]
def call(path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method="GET" if body is None else "POST",
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        sys.exit(f"{path}: {e.code} {e.read().decode(errors='replace')}")
import time
for attempt in range(1, 6):
    # The scheduler's first pass may still be settling the ring: take the check when it reads the same around signing.
    ring = call("/v1/keyrings/steps")
    signed = call("/v1/keyrings/steps/sign", {"payload": "c2lnbmVkIGFmdGVyIGEgY3Jhc2g"})
    jwks = [k["kid"] for k in call("/v1/keyrings/steps/jwks.json")["keys"]]
    if call("/v1/keyrings/steps") == ring or attempt == 5:
        break
    time.sleep(0.5)
active = [v["kid"] for v in ring["versions"] if v["state"] == "active"]
if len(active) != 1:
    sys.exit(f"{len(active)} active keys")
if signed["kid"] != active[0]:
    sys.exit(f"signed with {signed['kid']}, not the active key {active[0]}")
verified = call("/v1/keyrings/steps/verify", {"kid": signed["kid"], "payload": "c2lnbmVkIGFmdGVyIGEgY3Jhc2g", "signature": signed["signature"]})
if not verified["valid"]:
    sys.exit("the signature does not verify")
published = sorted(v["kid"] for v in ring["versions"] if v["state"] in ("pending", "active", "retiring"))
if not jwks or jwks[0] != active[0] or sorted(jwks) != published:
    sys.exit(f"JWKS {jwks} does not match the store's published keys {published} led by {active[0]}")
PY
}

failures=0
kills=0
cycles=0
: >"$work/failures.txt"
fail() { failures=$((failures + 1)); echo "cycle $cycle $point: $*" | tee -a "$work/failures.txt" >&2; }

echo "== creating the ring 'steps' (rotation PT1H: only the kills below change it)"
serve "$work/setup.log" || { cat "$work/setup.log" >&2; exit 1; }
curl -fs "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"steps","rotationPeriod":"PT1H"}' "$base/v1/keyrings" >/dev/null
kill "$pid"; gone "$pid" 30

started=$SECONDS
for cycle in $(seq 1 "$iterations"); do
  for point in $points; do
    log="$work/kill.log"
    if serve "$log" "$point"; then
      retire=false; [ "$point" = key.destroyed-in-hsm ] && retire=true
      curl -s -m 20 "${auth[@]}" -H 'Content-Type: application/json' -d "{\"reason\":\"crash loop\",\"retireImmediately\":$retire}" "$base/v1/keyrings/steps/rotate" >/dev/null || true
      if ! gone "$pid" 20; then fail "still running 20 s after the rotation"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; continue; fi
    elif ! grep -q "SFI_FAULT_EXIT_AT=$point: killing the process" "$log"; then
      # Not ready and not killed: a start that failed. (A kill before /readyz answered is a kill like any other: the
      # first scheduler pass at start-up can reach a step, e.g. destroying a retired key whose retention has passed.)
      fail "the server with the fault hook did not start within 180 s: $(tail -n 3 "$log" | tr '\n' ' ')"; kill -9 "$pid" 2>/dev/null || true; continue
    fi
    grep -q "SFI_FAULT_EXIT_AT=$point: killing the process" "$log" || { fail "ended without reaching the fault point: $(tail -n 3 "$log" | tr '\n' ' ')"; continue; }
    kills=$((kills + 1))
    if ! serve "$work/restart.log"; then fail "did not restart: $(tail -n 5 "$work/restart.log" | tr '\n' ' ')"; cp "$work/restart.log" "$work/restart-failed-$cycle-$point.log"; continue; fi
    problem="$(check 2>&1)" || fail "$problem"
    kill "$pid"; gone "$pid" 30 || { kill -9 "$pid"; wait "$pid" 2>/dev/null || true; }
    audit="$("${sfi[@]}" keys audit verify --data-dir "$data" 2>&1)" || fail "audit: $audit"
  done
  cycles=$cycle
  echo "cycle $cycle: $kills kills, $failures failures, $((SECONDS - started)) s"
  if [ "$minutes" -gt 0 ] && [ $((SECONDS - started)) -ge $((minutes * 60)) ]; then break; fi
done

versions="$(python3 - "$data/sfi.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM key_versions WHERE ring = 'steps'").fetchone()[0])
PY
)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/"; fi
echo
echo "keys-crash-loop: $cycles of $iterations cycles, $kills kills at $(echo $points | wc -w) fault points, $failures failures, $versions key versions made, $((SECONDS - started)) s"
echo "  machine: $(nproc) cores ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg); commit $commit"
[ "$failures" -eq 0 ] || { echo "  failures: $work/failures.txt" >&2; exit 1; }
