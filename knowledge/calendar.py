"""When reminders may go out, in China's working calendar.

Village cadres work to the State Council's calendar, not to Monday–Friday: statutory holidays (国庆, 春节, …)
are days off even mid-week, and 调休 makes some Saturdays and Sundays working days. A reminder "7 days before
the deadline" that lands on a day off is moved back to the last working day before it, so it is read while
people are at work and still have time to act. Night-time messages wait for the end of the quiet hours.

The holiday data comes from the `chinese_calendar` package, which covers only the years the State Council
has published (its data's years are read once below; the package must be upgraded each year, usually in
November). Outside that range Monday–Friday are the working days; `has_holiday_data` tells a caller when
that fallback is in use.

Everything here is pure: dates in, dates out, the time zone passed in (Asia/Shanghai in production).
Datetimes returned are aware and in UTC.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)

# Longest run of consecutive days off is 9 (春节 2026); anything near a year means a broken calendar.
_MAX_SEARCH_DAYS = 366
_ONE_DAY = timedelta(days=1)
_WEEKDAY_ITEM = re.compile(r"([0-7])(?:-([0-7]))?")


def month_last(year: int, month: int) -> int:
    """The last day of a month: 28, 29, 30 or 31."""
    return monthrange(year, month)[1]


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    """(year, month) n months on (n < 0: back), across year ends."""
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _check_date(d: date) -> None:
    # A datetime is a date, but its calendar day depends on its zone: make the caller pick the local day.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date (the local day), got {type(d).__name__}")


# The years the package's data covers; it refuses any other year, so those fall back to Monday–Friday.
_DATA_YEARS = frozenset(day.year for day in (*chinese_calendar.holidays, *chinese_calendar.workdays))


def has_holiday_data(d: date) -> bool:
    """Whether `chinese_calendar` knows the holidays and 调休 of `d`'s year (else Monday–Friday is assumed)."""
    _check_date(d)
    return d.year in _DATA_YEARS


def is_workday(d: date) -> bool:
    """Whether `d` is a working day in China: statutory holidays are off, 调休 weekend days are on."""
    if not has_holiday_data(d):
        return d.weekday() < 5
    return bool(chinese_calendar.is_workday(d))


def previous_workday(d: date) -> date:
    """The latest working day on or before `d`."""
    day = d
    for _ in range(_MAX_SEARCH_DAYS):
        if is_workday(day):
            return day
        day -= _ONE_DAY
    raise RuntimeError(f"no working day within {_MAX_SEARCH_DAYS} days before {d}")  # pragma: no cover


def next_workday(d: date) -> date:
    """The earliest working day on or after `d`."""
    day = d
    for _ in range(_MAX_SEARCH_DAYS):
        if is_workday(day):
            return day
        day += _ONE_DAY
    raise RuntimeError(f"no working day within {_MAX_SEARCH_DAYS} days after {d}")  # pragma: no cover


def add_workdays(d: date, n: int) -> date:
    """The day `n` working days after `d`, counting only working days.

    `add_workdays(d, 0)` is `d` when it is a working day, else the next working day; counting starts from
    that day, so a request received on a Saturday with 3 working days to answer is due on Thursday
    (Monday + 3), as with 工作日 deadlines in Chinese administrative practice.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    day = next_workday(d)
    for _ in range(n):
        day = next_workday(day + _ONE_DAY)
    return day


def reminder_days(deadline: date, offsets: Sequence[int]) -> list[tuple[int, date]]:
    """For each offset (days before `deadline`) the working day its reminder is due, as (offset, day).

    The day is `deadline - offset`, moved back to the previous working day when that is a weekend or
    holiday, so it is never after the deadline. Sorted by day; when offsets land on the same day only the
    smallest (nearest the deadline) is kept. Days before today are returned too: the caller drops the ones
    already past (a deadline set 2 days ahead gets only its T-1 reminder).
    """
    _check_date(deadline)
    by_day: dict[date, int] = {}
    for offset in offsets:
        if offset < 0:
            raise ValueError(f"offsets are days before the deadline and must be >= 0, got {offset}")
        day = previous_workday(deadline - timedelta(days=offset))
        if day not in by_day or offset < by_day[day]:
            by_day[day] = offset
    return [(offset, day) for day, offset in sorted(by_day.items())]


def _naive(t: time, name: str) -> time:
    if t.tzinfo is not None:
        raise ValueError(f"{name} must be a naive local time, got {t!r}")
    return t


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {when!r}")
    return when


def working_day_at(d: date, at: time, tz: ZoneInfo) -> datetime:
    """Local time `at` on day `d` in `tz`, as an aware UTC datetime."""
    _check_date(d)
    return datetime.combine(d, _naive(at, "at"), tzinfo=tz).astimezone(UTC)


def reminder_times(deadline: date, offsets: Sequence[int], at: time, tz: ZoneInfo) -> list[tuple[str, datetime]]:
    """(label, UTC datetime) of each reminder: local time `at` on each day of `reminder_days`, labelled "T-7"."""
    return [(f"T-{offset}", working_day_at(day, at, tz)) for offset, day in reminder_days(deadline, offsets)]


def in_quiet_hours(when: datetime, tz: ZoneInfo, start: time = QUIET_START, end: time = QUIET_END) -> bool:
    """Whether `when` falls in the local quiet window [start, end).

    The window wraps midnight when start > end (21:00–08:00) and does not when start < end (12:00–14:00);
    start == end is an empty window.
    """
    start, end = _naive(start, "start"), _naive(end, "end")
    local = _aware(when).astimezone(tz).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(when: datetime, tz: ZoneInfo, start: time = QUIET_START, end: time = QUIET_END) -> datetime:
    """`when` if it is outside the quiet window, else the window's end (same or next local day); aware UTC."""
    if not in_quiet_hours(when, tz, start, end):
        return when.astimezone(UTC)
    local = when.astimezone(tz)
    day = local.date()
    if start > end and local.time() >= start:  # evening part of a window wrapping midnight
        day += _ONE_DAY
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def _parse_weekdays(weekdays: str) -> set[int]:
    """Days of a cron day-of-week field limited to "*", "N", "A-B" and comma lists of those (0/7 = Sunday)."""
    field = weekdays.strip()
    if field == "*":
        return set(range(7))
    days: set[int] = set()
    for item in field.split(","):
        m = _WEEKDAY_ITEM.fullmatch(item)
        if m is None:
            raise ValueError(f"unsupported weekdays {weekdays!r}: use '*', 'N', 'A-B' or a comma list, N in 0-7")
        first = int(m[1])
        last = int(m[2]) if m[2] is not None else first
        if first > last:
            raise ValueError(f"unsupported weekdays {weekdays!r}: range {item!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1))
    return days


def _format_weekdays(days: set[int]) -> str:
    if len(days) == 7:
        return "*"
    parts: list[str] = []
    ordered = sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(day) for day in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


def cron_utc(minute: int, hour: int, tz: ZoneInfo, on: date | None = None, weekdays: str = "*") -> str:
    """The UTC cron string "M H * * DOW" for a daily schedule at local `hour:minute` in `tz`.

    RQ's CronScheduler matches cron strings against the scheduler process's local clock (rq 3.0:
    `base_time.astimezone()`), so this is right when that process runs in UTC, as in the Docker image. The
    offset is the zone's on `on` (default: today in `tz`); Asia/Shanghai has no DST, so it is always +8.
    When the local time falls on the previous UTC day (07:30 Shanghai = 23:30 UTC the day before) the
    weekday list moves back a day ("1-5" -> "0-4", Sunday wraps to Saturday); it moves forward for zones
    west of UTC. `weekdays` is cron's day-of-week field (0 = Sunday … 6 = Saturday, 7 = Sunday) limited to
    "*", "N", "A-B" and comma lists of those; anything else raises ValueError. The result's weekday field
    is normalised (sorted, runs of 3+ days as ranges, all seven days as "*").
    """
    if not 0 <= minute <= 59 or not 0 <= hour <= 23:
        raise ValueError(f"invalid local time {hour}:{minute}")
    days = _parse_weekdays(weekdays)
    local_day = on if on is not None else datetime.now(tz).date()
    _check_date(local_day)
    utc = datetime.combine(local_day, time(hour, minute), tzinfo=tz).astimezone(UTC)
    shift = (utc.date() - local_day).days
    shifted = {(day + shift) % 7 for day in days}
    return f"{utc.minute} {utc.hour} * * {_format_weekdays(shifted)}"
