#!/usr/bin/env bash
# The date-sensitive tests (marked `dated`) with the clock pinned, on SQLite.
#   scripts/dated-tests.sh month-end            a pin named in tests/clock.py
#   scripts/dated-tests.sh 2027-02-11T08:59     any local date-time (or with an offset)
#   scripts/dated-tests.sh all                  every pin in turn, then the real time
# Extra arguments go to pytest (e.g. -x, -k reminders).
set -u
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
pin=$1; shift
[ -f var/test-services.env ] || scripts/ensure-services.sh >/dev/null
keep_redis=${CADREBOT_TEST_REDIS_URL:-}
set -a; source var/test-services.env; set +a
# run-tests.sh gives this run a Redis database of its own, to run beside the PostgreSQL one
if [ -n "${CADREBOT_TEST_DATED_ONLY:-}" ] && [ -n "$keep_redis" ]; then CADREBOT_TEST_REDIS_URL=$keep_redis; fi
py=.venv/bin/python

run_at() {  # pin, pytest args...
  local at=$1; shift
  echo "== dated tests at $at"
  CADREBOT_TEST_NOW="$at" CADREBOT_TEST_DATABASE=sqlite "$py" -m pytest -q -p no:cacheprovider -m dated "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "(no dated tests collected)"; return 0; fi
  return $rc
}

if [ "$pin" = all ]; then
  for at in $("$py" tests/clock.py --all) today; do run_at "$at" "$@" || exit $?; done
else
  run_at "$pin" "$@"
fi
