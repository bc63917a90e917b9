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
if [ -n "${CADREBOT_TEST_POSTGRES_URL:-}" ]; then
  CADREBOT_TEST_DATABASE=postgresql run PostgreSQL -m db "$@" || exit $?
else
  echo "== PostgreSQL run skipped: no server (see above)"
fi
pin=${CADREBOT_TEST_NOW:-$("$py" tests/clock.py)}
scripts/dated-tests.sh "$pin" "$@" || exit $?
