#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for the tests, on 127.0.0.1 and a free port, and prints its connection string.
# Usage: tools/postgres-for-tests.sh start DIR   -> prints "Host=127.0.0.1;Port=N;Username=postgres;Database=postgres"
#        tools/postgres-for-tests.sh stop DIR
# The cluster trusts loopback connections (it lives only as long as the test run and listens nowhere else). It runs
# with fsync off unless PG_FSYNC=on (benchmarks that want a database's real commit cost).
set -euo pipefail
action="${1:?start|stop}"; dir="${2:?data directory}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres-for-tests: PostgreSQL server binaries not found (Debian: apt-get install postgresql)" >&2
  exit 2
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=${PG_FSYNC:-off}" start >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
    ;;
esac
