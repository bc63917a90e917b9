"""China's working calendar for reminders: real holiday and 调休 data (2025, 2026), the Monday–Friday fallback
outside the data's years, reminder days before deadlines, quiet hours, and local cron schedules in UTC."""

from __future__ import annotations

import time as systime
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.calendar import (
    add_workdays,
    cron_utc,
    has_holiday_data,
    in_quiet_hours,
    is_workday,
    next_allowed,
    previous_workday,
    reminder_days,
    reminder_times,
    working_day_at,
)

pytestmark = pytest.mark.dated

SH = ZoneInfo("Asia/Shanghai")
D = date.fromisoformat


def local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=SH)


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


# -- working days: real data ------------------------------------------------------------------------------

WORKDAYS = [
    # (day, working?, why)
    # 国庆 + 中秋 2025: off Wed 10-01 … Wed 10-08; 调休 Sun 09-28 and Sat 10-11 are working days.
    ("2025-09-26", True, "Friday before"),
    ("2025-09-27", False, "ordinary Saturday"),
    ("2025-09-28", True, "调休 Sunday"),
    ("2025-09-30", True, "Tuesday before the holiday"),
    ("2025-10-01", False, "国庆"),
    ("2025-10-03", False, "国庆, a Friday"),
    ("2025-10-06", False, "中秋, a Monday"),
    ("2025-10-08", False, "last day off, a Wednesday"),
    ("2025-10-09", True, "back to work, Thursday"),
    ("2025-10-11", True, "调休 Saturday"),
    ("2025-10-12", False, "ordinary Sunday"),
    # 劳动节 2025: off Thu 05-01 … Mon 05-05; 调休 Sun 04-27.
    ("2025-04-26", False, "ordinary Saturday"),
    ("2025-04-27", True, "调休 Sunday"),
    ("2025-04-30", True, "Wednesday before"),
    ("2025-05-01", False, "劳动节"),
    ("2025-05-05", False, "劳动节, a Monday"),
    ("2025-05-06", True, "back to work"),
    # 春节 2026: off Sun 02-15 … Mon 02-23; 调休 Sat 02-14 and Sat 02-28.
    ("2026-02-13", True, "Friday before"),
    ("2026-02-14", True, "调休 Saturday before"),
    ("2026-02-16", False, "春节, a Monday"),
    ("2026-02-20", False, "春节, a Friday"),
    ("2026-02-23", False, "last day off, a Monday"),
    ("2026-02-24", True, "back to work"),
    ("2026-02-28", True, "调休 Saturday after"),
    # An ordinary week without holidays.
    ("2025-03-07", True, "Friday"),
    ("2025-03-08", False, "Saturday"),
    ("2025-03-09", False, "Sunday"),
    ("2025-03-10", True, "Monday"),
]


@pytest.mark.parametrize(("day", "working", "why"), WORKDAYS)
def test_is_workday_real_data(day: str, working: bool, why: str) -> None:
    assert is_workday(D(day)) is working, why
    assert has_holiday_data(D(day))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2025-10-01", chinese_calendar.Holiday.national_day),
        ("2025-10-06", chinese_calendar.Holiday.mid_autumn_festival),
        ("2025-05-03", chinese_calendar.Holiday.labour_day),
        ("2026-02-17", chinese_calendar.Holiday.spring_festival),
    ],
)
def test_the_tables_above_match_the_package(day: str, name: chinese_calendar.Holiday) -> None:
    assert chinese_calendar.get_holiday_detail(D(day)) == (True, name.value)


@pytest.mark.parametrize("day", ["2025-09-28", "2025-10-11", "2025-04-27", "2026-02-14", "2026-02-28"])
def test_tiaoxiu_days_are_weekend_working_days(day: str) -> None:
    holiday, name = chinese_calendar.get_holiday_detail(D(day))
    assert D(day).weekday() >= 5 and not holiday and name is not None
    assert is_workday(D(day))


# -- fallback outside the package's years -------------------------------------------------------------------

FALLBACK = [
    ("1999-10-01", True),  # 国庆 1999 was a holiday, but 1999 is not in the data: a Friday counts as working
    ("1999-10-02", False),  # Saturday
    ("2099-10-01", True),  # Thursday
    ("2099-10-03", False),  # Saturday
    ("2099-10-04", False),  # Sunday
]


@pytest.mark.parametrize(("day", "working"), FALLBACK)
def test_years_outside_the_data_fall_back_to_monday_to_friday(day: str, working: bool) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(day))
    assert not has_holiday_data(D(day))
    assert is_workday(D(day)) is working


def test_fallback_years_work_through_every_function() -> None:
    assert previous_workday(D("2099-10-04")) == D("2099-10-02")
    assert add_workdays(D("2099-10-02"), 1) == D("2099-10-05")
    assert reminder_days(D("2099-10-05"), [1, 7]) == [(7, D("2099-09-28")), (1, D("2099-10-02"))]


def test_a_datetime_is_not_a_day() -> None:
    with pytest.raises(TypeError):
        is_workday(datetime(2025, 10, 1, 9, tzinfo=SH))


# -- previous_workday and add_workdays -----------------------------------------------------------------------

PREVIOUS = [
    ("2025-03-10", "2025-03-10"),  # a working day is its own previous working day
    ("2025-03-09", "2025-03-07"),  # Sunday -> Friday
    ("2025-10-08", "2025-09-30"),  # end of 国庆 -> before it
    ("2025-10-12", "2025-10-11"),  # Sunday -> 调休 Saturday
    ("2025-09-29", "2025-09-29"),
    ("2025-09-27", "2025-09-26"),
    ("2026-02-23", "2026-02-14"),  # end of 春节 2026 -> 调休 Saturday before it
]


@pytest.mark.parametrize(("day", "expected"), PREVIOUS)
def test_previous_workday(day: str, expected: str) -> None:
    assert previous_workday(D(day)) == D(expected)


ADD = [
    # (day, n, expected)
    ("2025-03-10", 0, "2025-03-10"),
    ("2025-03-08", 0, "2025-03-10"),  # Saturday, 0 -> next working day
    ("2025-03-07", 1, "2025-03-10"),  # Friday + 1 -> Monday
    ("2025-03-08", 3, "2025-03-13"),  # counting starts on Monday
    ("2025-03-03", 5, "2025-03-10"),
    ("2025-09-26", 1, "2025-09-28"),  # Friday + 1 -> 调休 Sunday
    ("2025-09-30", 1, "2025-10-09"),  # across 国庆
    ("2025-10-01", 0, "2025-10-09"),
    ("2025-10-09", 1, "2025-10-10"),
    ("2025-10-10", 1, "2025-10-11"),  # Friday + 1 -> 调休 Saturday
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-13", 2, "2026-02-24"),  # across 春节 2026
    ("2026-02-27", 1, "2026-02-28"),
]


@pytest.mark.parametrize(("day", "n", "expected"), ADD)
def test_add_workdays(day: str, n: int, expected: str) -> None:
    assert add_workdays(D(day), n) == D(expected)


def test_add_workdays_refuses_negative() -> None:
    with pytest.raises(ValueError):
        add_workdays(D("2025-03-10"), -1)


# -- reminder days -------------------------------------------------------------------------------------------

REMINDERS = [
    # (deadline, offsets, expected [(offset, day)])
    pytest.param(
        "2025-03-20",
        [14, 7, 3, 1],
        [(14, "2025-03-06"), (7, "2025-03-13"), (3, "2025-03-17"), (1, "2025-03-19")],
        id="ordinary weeks, nothing moves",
    ),
    pytest.param(
        "2025-03-17",
        [7, 3, 1],
        [(7, "2025-03-10"), (1, "2025-03-14")],
        id="T-3 on Friday; T-1 on Sunday moves to Friday and wins the collision",
    ),
    pytest.param(
        "2025-03-10",
        [3, 2, 1],
        [(1, "2025-03-07")],
        id="Friday, Saturday, Sunday all collapse to Friday",
    ),
    pytest.param(
        "2025-03-15",
        [0, 1, 7],
        [(7, "2025-03-07"), (0, "2025-03-14")],
        id="deadline on a Saturday: T-0 moves back to Friday, T-7 too",
    ),
    pytest.param(
        "2025-03-16",
        [0],
        [(0, "2025-03-14")],
        id="deadline on a Sunday",
    ),
    pytest.param(
        "2025-10-10",
        [14, 7, 3, 1],
        [(14, "2025-09-26"), (3, "2025-09-30"), (1, "2025-10-09")],
        id="国庆 2025: T-7 and T-3 fall in the holiday, move to 09-30, T-3 kept",
    ),
    pytest.param(
        "2025-10-05",
        [7],
        [(7, "2025-09-28")],
        id="T-7 on the 调休 Sunday stays",
    ),
    pytest.param(
        "2025-10-12",
        [1],
        [(1, "2025-10-11")],
        id="T-1 on the 调休 Saturday stays",
    ),
    pytest.param(
        "2025-10-18",
        [7],
        [(7, "2025-10-11")],
        id="T-7 on the 调休 Saturday stays",
    ),
    pytest.param(
        "2025-05-06",
        [9, 3, 1],
        [(9, "2025-04-27"), (1, "2025-04-30")],
        id="劳动节 2025: T-9 on 调休 Sunday, T-3 and T-1 move to 04-30",
    ),
    pytest.param(
        "2026-02-25",
        [14, 7, 3, 1],
        [(14, "2026-02-11"), (3, "2026-02-14"), (1, "2026-02-24")],
        id="春节 2026: T-7 and T-3 move back to the 调休 Saturday 02-14",
    ),
    pytest.param(
        "2025-10-08",
        [0],
        [(0, "2025-09-30")],
        id="a deadline on a holiday: its T-0 is the last working day before",
    ),
    pytest.param("2025-03-20", [7, 7, 7], [(7, "2025-03-13")], id="repeated offsets"),
    pytest.param("2025-03-20", [], [], id="no offsets"),
]


@pytest.mark.parametrize(("deadline", "offsets", "expected"), REMINDERS)
def test_reminder_days(deadline: str, offsets: list[int], expected: list[tuple[int, str]]) -> None:
    assert reminder_days(D(deadline), offsets) == [(n, D(day)) for n, day in expected]


def test_near_deadline_days_before_today_are_returned_for_the_caller_to_drop() -> None:
    today, deadline = D("2025-03-10"), D("2025-03-12")
    days = reminder_days(deadline, [14, 7, 3, 1])
    assert days == [(14, D("2025-02-26")), (7, D("2025-03-05")), (3, D("2025-03-07")), (1, D("2025-03-11"))]
    assert [(n, day) for n, day in days if day >= today] == [(1, D("2025-03-11"))]


def test_negative_offsets_are_refused() -> None:
    with pytest.raises(ValueError):
        reminder_days(D("2025-03-20"), [1, -1])


def test_reminder_times_are_utc() -> None:
    times = reminder_times(D("2025-10-10"), [14, 7, 3, 1], time(9, 0), SH)
    assert times == [
        ("T-14", utc("2025-09-26T01:00")),
        ("T-3", utc("2025-09-30T01:00")),
        ("T-1", utc("2025-10-09T01:00")),
    ]
    assert all(when.tzinfo is UTC for _, when in times)


def test_reminder_times_early_morning_is_the_previous_utc_day() -> None:
    assert reminder_times(D("2025-10-12"), [1], time(7, 30), SH) == [("T-1", utc("2025-10-10T23:30"))]


def test_working_day_at() -> None:
    assert working_day_at(D("2026-02-14"), time(8, 30), SH) == utc("2026-02-14T00:30")
    with pytest.raises(ValueError):
        working_day_at(D("2026-02-14"), time(8, 30, tzinfo=SH), SH)


# -- quiet hours ---------------------------------------------------------------------------------------------

QUIET = [
    # (local time, quiet?, next_allowed in UTC)
    ("2025-03-10T20:59", False, "2025-03-10T12:59"),
    ("2025-03-10T21:00", True, "2025-03-11T00:00"),
    ("2025-03-10T23:30", True, "2025-03-11T00:00"),
    ("2025-03-11T00:00", True, "2025-03-11T00:00"),
    ("2025-03-11T07:59", True, "2025-03-11T00:00"),
    ("2025-03-11T07:59:59.999999", True, "2025-03-11T00:00"),
    ("2025-03-11T08:00", False, "2025-03-11T00:00"),
    ("2025-03-11T12:00", False, "2025-03-11T04:00"),
]


@pytest.mark.parametrize(("stamp", "quiet", "allowed"), QUIET)
def test_quiet_hours_wrapping_midnight(stamp: str, quiet: bool, allowed: str) -> None:
    when = local(stamp)
    assert in_quiet_hours(when, SH) is quiet
    assert in_quiet_hours(when.astimezone(UTC), SH) is quiet  # the zone of the input does not matter
    result = next_allowed(when, SH)
    assert result == utc(allowed)
    assert result.tzinfo is UTC


NOON = (time(12, 0), time(14, 0))
QUIET_NOON = [
    ("2025-03-10T11:59", False, "2025-03-10T03:59"),
    ("2025-03-10T12:00", True, "2025-03-10T06:00"),
    ("2025-03-10T13:59", True, "2025-03-10T06:00"),
    ("2025-03-10T14:00", False, "2025-03-10T06:00"),
    ("2025-03-10T23:30", False, "2025-03-10T15:30"),
]


@pytest.mark.parametrize(("stamp", "quiet", "allowed"), QUIET_NOON)
def test_quiet_hours_not_wrapping(stamp: str, quiet: bool, allowed: str) -> None:
    assert in_quiet_hours(local(stamp), SH, *NOON) is quiet
    result = next_allowed(local(stamp), SH, *NOON)
    assert result == utc(allowed)
    assert result.tzinfo is UTC


def test_an_empty_window_is_never_quiet() -> None:
    when = local("2025-03-10T21:00")
    assert not in_quiet_hours(when, SH, time(21, 0), time(21, 0))
    assert next_allowed(when, SH, time(21, 0), time(21, 0)) == when


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        in_quiet_hours(datetime(2025, 3, 10, 22, 0), SH)
    with pytest.raises(ValueError):
        next_allowed(datetime(2025, 3, 10, 22, 0), SH)


# -- cron strings --------------------------------------------------------------------------------------------

ON = D("2025-03-10")
CRON = [
    # (minute, hour, weekdays, expected)
    pytest.param(0, 9, "*", "0 1 * * *", id="09:00 -> 01:00 UTC"),
    pytest.param(30, 7, "*", "30 23 * * *", id="07:30 -> 23:30 UTC the day before"),
    pytest.param(30, 7, "1-5", "30 23 * * 0-4", id="weekdays move back a day"),
    pytest.param(30, 7, "1,3,5", "30 23 * * 0,2,4", id="a list moves back"),
    pytest.param(30, 7, "3", "30 23 * * 2", id="a single day moves back"),
    pytest.param(30, 7, "0", "30 23 * * 6", id="Sunday wraps to Saturday"),
    pytest.param(30, 7, "7", "30 23 * * 6", id="Sunday spelt 7"),
    pytest.param(30, 7, "0,1", "30 23 * * 0,6", id="Sunday and Monday"),
    pytest.param(30, 7, "0-4", "30 23 * * 0-3,6", id="a range over Sunday splits"),
    pytest.param(30, 7, "0-6", "30 23 * * *", id="every day stays every day"),
    pytest.param(0, 0, "1-5", "0 16 * * 0-4", id="midnight local"),
    pytest.param(59, 7, "1-5", "59 23 * * 0-4", id="07:59 still the day before"),
    pytest.param(0, 8, "1-5", "0 0 * * 1-5", id="08:00 = 00:00 UTC the same day, no shift"),
    pytest.param(45, 23, "1-5", "45 15 * * 1-5", id="late evening, no shift"),
    pytest.param(0, 9, "6,0", "0 1 * * 0,6", id="no shift, list normalised"),
    pytest.param(0, 9, " 1-5 ", "0 1 * * 1-5", id="surrounding blanks"),
]


@pytest.mark.parametrize(("minute", "hour", "weekdays", "expected"), CRON)
def test_cron_utc_shanghai(minute: int, hour: int, weekdays: str, expected: str) -> None:
    assert cron_utc(minute, hour, SH, on=ON, weekdays=weekdays) == expected


def test_cron_utc_defaults_to_today() -> None:
    assert cron_utc(0, 9, SH) == "0 1 * * *"  # Asia/Shanghai has no DST: any day gives +8


@pytest.mark.parametrize(
    ("tz", "on", "expected"),
    [
        ("America/New_York", "2025-01-15", "0 1 * * 2-6"),  # 20:00 EST is 01:00 UTC the next day
        ("America/New_York", "2025-07-15", "0 0 * * 2-6"),  # EDT
        ("Asia/Kolkata", "2025-01-15", "30 23 * * 0-4"),  # 05:00 IST is 23:30 UTC the day before
        ("UTC", "2025-01-15", "0 20 * * 1-5"),
    ],
)
def test_cron_utc_other_zones(tz: str, on: str, expected: str) -> None:
    hour = 5 if tz == "Asia/Kolkata" else 20
    assert cron_utc(0, hour, ZoneInfo(tz), on=D(on), weekdays="1-5") == expected


@pytest.mark.parametrize("weekdays", ["MON", "mon-fri", "*/2", "1-5/2", "5-1", "8", "", "1,,2", "1, 2", "1-", "-1"])
def test_cron_utc_refuses_unsupported_weekdays(weekdays: str) -> None:
    with pytest.raises(ValueError):
        cron_utc(30, 7, SH, on=ON, weekdays=weekdays)


def test_cron_utc_refuses_unsupported_weekdays_even_without_a_shift() -> None:
    with pytest.raises(ValueError):
        cron_utc(0, 9, SH, on=ON, weekdays="MON-FRI")


@pytest.mark.parametrize(("minute", "hour"), [(60, 9), (-1, 9), (0, 24), (0, -1)])
def test_cron_utc_refuses_invalid_times(minute: int, hour: int) -> None:
    with pytest.raises(ValueError):
        cron_utc(minute, hour, SH, on=ON)


def cron_weekday(day: date) -> int:
    return day.isoweekday() % 7  # cron: 0 = Sunday … 6 = Saturday


@settings(max_examples=200, deadline=None)
@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    days=st.sets(st.integers(0, 6), min_size=1),
)
def test_cron_utc_fires_at_the_local_time_on_the_local_weekdays(minute: int, hour: int, days: set[int]) -> None:
    expr = cron_utc(minute, hour, SH, on=ON, weekdays=",".join(map(str, sorted(days))))
    # croniter over naive UTC times is how the schedule runs in a scheduler process whose clock is UTC.
    it = croniter(expr, datetime(2025, 3, 2))
    fired = [it.get_next(datetime).replace(tzinfo=UTC).astimezone(SH) for _ in range(2 * len(days))]
    assert all((f.hour, f.minute) == (hour, minute) for f in fired)
    assert {cron_weekday(f.date()) for f in fired} == days
    assert fired[-1] - fired[0] < timedelta(days=14)  # exactly the chosen days, each week


@pytest.fixture
def process_clock_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    systime.tzset()
    yield
    monkeypatch.undo()
    systime.tzset()


@pytest.mark.usefixtures("process_clock_in_utc")
def test_rq_cron_job_fires_at_the_local_time() -> None:
    # RQ's CronScheduler matches cron fields against the process's local clock; the scheduler runs in UTC.
    from rq.cron import CronJob

    job = CronJob("background", func_name="scheduler.sweeper.sweep_outbox", cron=cron_utc(30, 7, SH, weekdays="1-5"))
    job.latest_enqueue_time = utc("2025-03-07T00:00")  # Friday 08:00 in Shanghai
    # Next is Monday 07:30 in Shanghai, i.e. Sunday 23:30 UTC.
    assert job.get_next_enqueue_time() == local("2025-03-10T07:30")


# -- properties ----------------------------------------------------------------------------------------------

DAYS = st.dates(min_value=D("1990-01-01"), max_value=D("2110-12-31"))
OFFSETS = st.lists(st.integers(0, 60), max_size=8)


@settings(max_examples=300, deadline=None)
@given(day=DAYS)
def test_is_workday_agrees_with_the_package_or_weekdays(day: date) -> None:
    try:
        expected = chinese_calendar.is_workday(day)
    except NotImplementedError:
        expected = day.weekday() < 5
    assert is_workday(day) is expected


@settings(max_examples=300, deadline=None)
@given(deadline=DAYS, offsets=OFFSETS)
def test_reminder_days_properties(deadline: date, offsets: list[int]) -> None:
    result = reminder_days(deadline, offsets)
    days = [day for _, day in result]
    assert all(is_workday(day) for day in days)
    assert all(day <= deadline for day in days)
    assert days == sorted(set(days))  # sorted and unique
    for offset in offsets:  # every offset is served, by itself or a smaller one on the same day
        day = previous_workday(deadline - timedelta(days=offset))
        assert any(d == day and n <= offset for n, d in result)
    assert all(n in offsets and d == previous_workday(deadline - timedelta(days=n)) for n, d in result)


@settings(max_examples=300, deadline=None)
@given(day=DAYS, n=st.integers(0, 40))
def test_add_workdays_properties(day: date, n: int) -> None:
    result = add_workdays(day, n)
    start = add_workdays(day, 0)
    assert is_workday(result) and is_workday(start)
    assert day <= start <= result
    assert all(not is_workday(day + timedelta(days=i)) for i in range((start - day).days))
    between = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(is_workday(d) for d in between) == n
    assert previous_workday(result) == result


TIMES = st.times()
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=500, deadline=None)
@given(when=MOMENTS, start=TIMES, end=TIMES)
def test_next_allowed_properties(when: datetime, start: time, end: time) -> None:
    result = next_allowed(when, SH, start, end)
    assert result.tzinfo is UTC
    assert result >= when
    assert not in_quiet_hours(result, SH, start, end)
    if not in_quiet_hours(when, SH, start, end):
        assert result == when
    else:
        assert result - when <= timedelta(days=1)
        assert result.astimezone(SH).time() == end
