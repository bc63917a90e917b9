"""The dates the date-sensitive tests are run at, and how a test run picks one.

A test marked `dated` runs with the clock pinned (time-machine, in-process: the uvicorn thread, the in-process
RQ worker and the handlers all see the same instant, and it ticks on from there). Which instant comes from
CADREBOT_TEST_NOW: a name below, an ISO date-time (local Shanghai time when it has no offset), or unset /
"today" for the real time. `scripts/dated-tests.sh NAME|ISO|all` runs the dated subset at any of them, and
`scripts/run-tests.sh` runs it once more at the pin chosen by the day of the year (`pin_of_the_day`), so a
date bug shows up on an ordinary CI run long before a user meets it on that date.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

# Local Shanghai times. Each is a date the calendar code must get right.
PINS: dict[str, str] = {
    "month-end": "2026-04-30T23:59:00",  # a month's last day at 23:59, before the 五一 holidays
    "year-end": "2026-12-31T23:59:00",  # 12-31 23:59: a long test crosses local midnight into a new year
    "tiaoxiu-saturday": "2026-10-10T09:30:00",  # a Saturday that is a working day (调休 after 国庆)
    "after-spring-festival": "2026-02-24T09:30:00",  # the first working day after 春节 2026
    "no-calendar-data": "2031-06-17T10:00:00",  # a year chinese-calendar has no holiday data for (Mon–Fri rule)
}


def pinned_instant(value: str | None) -> datetime | None:
    """The instant a test run is pinned to, or None for the real time."""
    value = (value or "").strip()
    if not value or value == "today":
        return None
    text = PINS.get(value, value)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        names = ", ".join([*PINS, "today"])
        raise ValueError(f"CADREBOT_TEST_NOW={value!r}: use one of {names} or an ISO date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=TZ)


def configured_instant() -> datetime | None:
    return pinned_instant(os.environ.get("CADREBOT_TEST_NOW"))


def pin_of_the_day(today: date) -> str:
    """One of the pins, a different one each day of the year, for the extra CI pass."""
    names = list(PINS)
    return names[today.timetuple().tm_yday % len(names)]


if __name__ == "__main__":  # scripts/run-tests.sh asks which pin today's extra pass uses
    import sys

    if sys.argv[1:] == ["--all"]:
        print(" ".join(PINS))
    else:
        print(pin_of_the_day(date.today()))
