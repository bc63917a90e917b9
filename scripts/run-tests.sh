#!/usr/bin/env bash
# The whole suite on SQLite, then every database test again on PostgreSQL, then the date-sensitive tests
# (marked `dated`) once more with the clock pinned to the date of the day (tests/clock.py picks one of its
# pins by the day of the year; CADREBOT_TEST_NOW chooses another). pytest's exit code 5 ("no tests
# collected") is not a failure here; any other non-zero code is.
set -u
cd "$(dirname "$0")/.."
set -a; source var/test-services.env; set +a
py=.venv/bin/python

run() {  # label, pytest args...
  local label=$1; shift
  echo "== pytest on $label"
  "$py" -m pytest -q -p no:cacheprovider "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "(no tests collected on $label)"; return 0; fi
  return $rc
}

CADREBOT_TEST_DATABASE=sqlite run SQLite "$@" || exit $?
# The PostgreSQL run and the pinned-clock run at the same time (one core each), each on its own Redis database;
# the pinned run's output is shown when both are done.
pin=${CADREBOT_TEST_NOW:-$("$py" tests/clock.py)}
dated_redis=$("$py" -c 'import sys; from urllib.parse import urlsplit; u = urlsplit(sys.argv[1]); print(u._replace(path="/14").geturl())' "$CADREBOT_TEST_REDIS_URL")
mkdir -p var
( CADREBOT_TEST_REDIS_URL=$dated_redis CADREBOT_TEST_DATED_ONLY=1 scripts/dated-tests.sh "$pin" "$@" > var/dated-tests.log 2>&1
  echo $? > var/dated-tests.rc ) &
dated=$!
pg_rc=0
if [ -n "${CADREBOT_TEST_POSTGRES_URL:-}" ]; then
  CADREBOT_TEST_DATABASE=postgresql run PostgreSQL -m db "$@" || pg_rc=$?
else
  echo "== PostgreSQL run skipped: no server (see above)"
fi
wait "$dated"
cat var/dated-tests.log
[ "$pg_rc" -eq 0 ] || exit "$pg_rc"
exit "$(cat var/dated-tests.rc)"
