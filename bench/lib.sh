# Shared by the scripts in bench/: source it after setting bench_name (used in messages) and here (the repository).

# require_tools TOOL...: each must be on PATH (they come with the .NET SDK image or Debian's base).
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$bench_name: '$tool' is required" >&2; exit 2; }
  done
}

# install_missing PKG...: installs the Debian packages when running as root, else says what to install and exits 2.
install_missing() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing $* with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "$bench_name: missing $* (sudo apt-get install -y $*)" >&2
    exit 2
  fi
}

# build_bench PROJECT OUTDIR: a Release build of a bench project. It builds src/ projects into the same obj/
# directories ./sfi uses, so it holds ./sfi's build lock meanwhile and the two never build at the same time.
build_bench() {
  local project="$1" out="$2"
  mkdir -p "$here/.sfi-build" "$out"
  (
    flock 9
    dotnet build "$project" -c Release -o "$out" -nologo -v quiet -clp:ErrorsOnly >"$out/build.log" 2>&1 \
      || { cat "$out/build.log" >&2; echo "$bench_name: $(basename "$project" .csproj) did not build" >&2; exit 1; }
  ) 9>"$here/.sfi-build/lock"
}

# sfi_snapshot WORKDIR: builds ./sfi if needed and runs a copy of it from WORKDIR/sfi-bin (./sfi would rebuild mid-run
# if src/ changed). Sets sfi (the command, an array), sfi_version, and commit (short HEAD, marked when src/ or rules/
# have uncommitted changes).
sfi_snapshot() {
  local work="$1"
  echo "== building sfi if needed"
  ./sfi --version >/dev/null
  rm -rf "$work/sfi-bin"
  ( flock 9; cp -a "$here/.sfi-build/bin" "$work/sfi-bin" ) 9>"$here/.sfi-build/lock"
  sfi=(dotnet "$work/sfi-bin/sfi.dll")
  sfi_version="$("${sfi[@]}" --version | head -n1)"
  commit="$(git rev-parse --short HEAD)"
  if [ -n "$(git status --porcelain -- src rules 2>/dev/null)" ]; then commit+=" + uncommitted changes in src/ or rules/"; fi
}

# idle_pct: percentage of CPU time idle (idle + iowait) over the next second, from /proc/stat.
idle_pct() {
  local a b
  a=($(head -n1 /proc/stat)); sleep 1; b=($(head -n1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / total : 100 ))
}

# quiet [MAX_SECONDS]: waits (up to MAX_SECONDS, default 300) until the CPUs are at least $wait_idle % idle;
# sets $idle to the last reading and counts the waits in $waited. wait_idle=0 turns it off.
quiet() {
  local max="${1:-300}"
  idle="$(idle_pct)"
  [ "$wait_idle" -gt 0 ] && [ "$idle" -lt "$wait_idle" ] || return 0
  echo "   the CPUs are $idle% idle; waiting for $wait_idle% (up to $max s)"
  local deadline=$((SECONDS + max))
  while [ "$idle" -lt "$wait_idle" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 2; idle="$(idle_pct)"; done
  waited=$((${waited:-0} + 1))
}

# hsm_prerequisites [EXTRA_PKG...]: SoftHSM2, a C compiler and the PKCS#11 header (for bench/keys/raw_sign.c), curl,
# plus the extra packages named; installed when missing.
hsm_prerequisites() {
  local missing=()
  [ -f /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  [ -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ] || missing+=(libp11-kit-dev)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  install_missing "${missing[@]}"
}

# build_raw_sign OUT: the plain PKCS#11 reference signer.
build_raw_sign() {
  gcc -O2 -Wall -Wextra -I/usr/include/p11-kit-1 -o "$1" "$here/bench/keys/raw_sign.c" -ldl -lpthread
}

# start_sfi_serve LOG BASE_URL ARG...: starts ./sfi serve ARG... in the background, logging to LOG, stops it when the
# script exits (or on stop_server), and waits up to two minutes for /readyz. Sets $server.
start_sfi_serve() {
  local log="$1" base="$2"
  shift 2
  ./sfi serve "$@" >"$log" 2>&1 &
  server=$!
  trap stop_server EXIT
  local _
  for _ in $(seq 1 240); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
  cat "$log" >&2
  echo "$bench_name: sfi serve did not start" >&2
  exit 1
}

stop_server() {
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  trap - EXIT
}
