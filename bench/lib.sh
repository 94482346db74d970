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

# sfi_serve_env: the runtime settings ./sfi serve and deploy/ give the server (docs/deploy.md), as NAME=VALUE words for
# env, so that a benchmark starting the snapshot's sfi.dll measures the server as shipped: quick, instrumented first
# compilations, one thread-pool worker per CPU, idle workers blocking instead of spinning. The caller's own settings
# win (TC_*=0: the runtimeconfig's; DOTNET_HillClimbing_Disable=0 and the spin limit at 70: the runtime's defaults).
sfi_serve_env() {
  echo "DOTNET_TC_QuickJit=${DOTNET_TC_QuickJit:-1} DOTNET_TC_QuickJitForLoops=${DOTNET_TC_QuickJitForLoops:-1}" \
    "DOTNET_HillClimbing_Disable=${DOTNET_HillClimbing_Disable:-1}" \
    "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}"
}

# start_sfi_serve LOG BASE_URL ARG...: starts sfi serve ARG... in the background (the copy sfi_snapshot made when it
# ran, else ./sfi), logging to LOG, stops it when the script exits (or on stop_server), and waits up to two minutes
# for /readyz. Sets $server. The runtime runs with sfi_serve_env's settings. SFI_BENCH_SERVER_ENV
# holds NAME=VALUE words given to the server alone, not to the load generator or the floor's processes (diagnostics
# such as DOTNET_JitStdOutFile=/tmp/jit.txt DOTNET_JitDisasmSummary=1, or a runtime setting to compare).
start_sfi_serve() {
  local log="$1" base="$2"
  shift 2
  local command=(./sfi)
  if declare -p sfi >/dev/null 2>&1; then command=("${sfi[@]}"); fi
  # shellcheck disable=SC2046 # NAME=VALUE words, no spaces in them
  env $(sfi_serve_env) ${SFI_BENCH_SERVER_ENV:-} "${command[@]}" serve "$@" >"$log" 2>&1 &
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

# bench_postgres: starts a throw-away PostgreSQL cluster with fsync on (tools/postgres-for-tests.sh) for the server
# and sets bench_database to its connection string; stop_server (also when the script exits) stops and deletes it.
bench_postgres() {
  bench_pgdir="$(mktemp -d /tmp/sfi-bench-pg.XXXXXX)"
  trap stop_server EXIT
  echo "== starting PostgreSQL (fsync on) in $bench_pgdir"
  # Its processes inherit the affinity of pg_ctl: with --isolate, the load generator's CPUs (see isolate_cores).
  bench_database="$(PG_FSYNC=on on_load_cores tools/postgres-for-tests.sh start "$bench_pgdir" | tail -1)"
}

# Isolated cores (--isolate, for the benchmarks that measure the server's own CPU time; off by default): the CPUs
# this script may use are split in two, the server pinned to the upper half once it has started (so its runtime is
# still sized for every CPU of the machine), the load generator (with PostgreSQL and dotnet-counters) on the lower
# half, and the floor's single-threaded measurements on the server's first CPU. An analysis tool, not the measure:
# on two CPUs it confines the server to one, which changes what a token costs it (docs/benchmarks.md, round 12).
# isolate_cores sets load_cpus and server_cpus (taskset lists; empty without --isolate) or exits when there are fewer
# than two CPUs.
isolate_cores() {
  load_cpus=
  server_cpus=
  [ "$isolate" = 1 ] || return 0
  command -v taskset >/dev/null 2>&1 || { echo "$bench_name: --isolate needs taskset (util-linux)" >&2; exit 2; }
  read -r load_cpus server_cpus < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); h = len(c) // 2; print(",".join(map(str, c[:h])) or "-", ",".join(map(str, c[h:])))')
  if [ "$load_cpus" = - ]; then
    echo "$bench_name: --isolate: one CPU, which the server and the load generator cannot split" >&2
    exit 2
  fi
  echo "== isolated cores: server on CPU $server_cpus, load generator and PostgreSQL on CPU $load_cpus"
}

# on_load_cores CMD...: runs CMD on the load generator's CPUs with --isolate, else anywhere.
on_load_cores() {
  if [ -n "${load_cpus:-}" ]; then taskset -c "$load_cpus" "$@"; else "$@"; fi
}

# on_server_core CMD...: runs CMD on the server's first CPU with --isolate, else anywhere.
on_server_core() {
  if [ -n "${server_cpus:-}" ]; then taskset -c "${server_cpus%%,*}" "$@"; else "$@"; fi
}

stop_server() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; fi
  if [ -n "${bench_pgdir:-}" ]; then
    tools/postgres-for-tests.sh stop "$bench_pgdir"
    rm -rf "$bench_pgdir"
    bench_pgdir=
  fi
  trap - EXIT
}

# header_comment SCRIPT: the comment block at the top of SCRIPT (after the #! line), as --help text.
header_comment() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# identity_bench_options SCRIPT ARG...: the options of the bench/identity-*.sh scripts, [--runs N] [--seconds S]
# [--connections C] [--postgres] [--isolate] (--help prints SCRIPT's header comment). Set runs, seconds and connections
# to their defaults before calling, and isolate=0 where the script can isolate cores (--isolate is refused elsewhere).
# Sets them, postgres (0 or 1), isolate (1 with --isolate) and invocation (the command as run, for the results).
identity_bench_options() {
  local script="$1"
  shift
  postgres=0
  invocation="bench/$(basename "$script")"
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs|--seconds|--connections)
        [ $# -ge 2 ] || { echo "$bench_name: $1 needs a value" >&2; exit 2; }
        printf -v "${1#--}" '%s' "$2"; invocation+=" $1 $2"; shift 2 ;;
      --postgres) postgres=1; invocation+=" --postgres"; shift ;;
      --isolate)
        [ -n "${isolate:-}" ] || { echo "$bench_name: --isolate: this benchmark does not isolate cores" >&2; exit 2; }
        isolate=1; invocation+=" --isolate"; shift ;;
      -h|--help) header_comment "$script"; exit 0 ;;
      *) echo "$bench_name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
  done
  local n
  for n in "$runs" "$seconds" "$connections"; do
    case "$n" in ''|*[!0-9]*|0) echo "$bench_name: --runs, --seconds and --connections take positive whole numbers" >&2; exit 2 ;; esac
  done
}

# identity_serve WORK: the server of the bench/identity-*.sh scripts: sfi serve --issuer (see start_sfi_serve) on a
# fresh data directory WORK/data and a free port, on a throw-away PostgreSQL cluster when $postgres is 1, with
# IdentityBench's client registered (WORK/bench/IdentityBench setup; its state in WORK/state); on the server's CPUs,
# and PostgreSQL on the load generator's, when isolate_cores chose them (--isolate). Sets server (its process id),
# base, issuer, data and pin (the HSM user PIN file); exports SFI_ADMIN_KEY and SOFTHSM2_CONF.
identity_serve() {
  local work="$1" port
  data="$work/data"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  base="http://127.0.0.1:$port"
  issuer="$base/"
  SFI_ADMIN_KEY="sfi_admin_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  export SFI_ADMIN_KEY
  local database=()
  if [ "$postgres" = 1 ]; then
    bench_postgres
    database=(--database "$bench_database")
  fi
  echo "== starting sfi serve --issuer $issuer ${database[0]:-}"
  start_sfi_serve "$work/serve.log" "$base" --data-dir "$data" --urls "$base" --issuer "$issuer" "${database[@]}"
  [ "$(cat /proc/"$server"/comm)" = dotnet ] || { echo "$bench_name: process $server is not the server" >&2; exit 1; }
  if [ -n "${server_cpus:-}" ]; then
    taskset -a -p -c "$server_cpus" "$server" >/dev/null # every thread; threads started later inherit it
  fi
  export SOFTHSM2_CONF="$data/hsm/softhsm2.conf"
  pin="$data/hsm/user.pin"
  "$work/bench/IdentityBench" setup "$base" "$issuer" "$work/state" >/dev/null
}
