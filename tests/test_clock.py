"""The pinned dates are the dates they claim to be, and a `dated` test really runs at the configured one."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from clock import PINS, TZ, configured_instant, pin_of_the_day, pinned_instant


def local(name: str) -> datetime:
    when = pinned_instant(name)
    assert when is not None
    return when.astimezone(TZ)


def test_the_month_end_pin_is_a_last_day_at_23_59() -> None:
    when = local("month-end")
    assert (when + timedelta(days=1)).day == 1 and (when.hour, when.minute) == (23, 59)


def test_the_year_end_pin_is_one_minute_before_a_new_year() -> None:
    when = local("year-end")
    assert (when + timedelta(minutes=1)).date() == date(when.year + 1, 1, 1)


def test_the_tiaoxiu_pin_is_a_saturday_people_work() -> None:
    day = local("tiaoxiu-saturday").date()
    assert day.weekday() == 5 and chinese_calendar.is_workday(day)


def test_the_spring_festival_pin_is_the_first_working_day_after_it() -> None:
    day = local("after-spring-festival").date()
    assert chinese_calendar.is_workday(day)
    assert chinese_calendar.get_holiday_detail(day - timedelta(days=1)) == (
        True,
        chinese_calendar.Holiday.spring_festival.value,
    )


def test_the_no_data_pin_is_in_a_year_the_calendar_does_not_cover() -> None:
    year = local("no-calendar-data").year
    covered = {d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays)}
    assert year not in covered


def test_pins_take_names_local_times_and_offsets() -> None:
    assert pinned_instant(None) is None and pinned_instant("today") is None
    assert pinned_instant("2027-02-11T08:59") == datetime(2027, 2, 11, 8, 59, tzinfo=TZ)
    assert pinned_instant("2027-02-11T00:59+00:00") == datetime(2027, 2, 11, 8, 59, tzinfo=TZ)
    with pytest.raises(ValueError, match="month-end"):
        pinned_instant("next tuesday")


def test_the_pin_of_the_day_goes_round_every_pin() -> None:
    start = date(2026, 12, 2)
    seen = [pin_of_the_day(start + timedelta(days=n)) for n in range(len(PINS))]
    assert sorted(seen) == sorted(PINS)


@pytest.mark.dated
def test_a_dated_test_runs_at_the_configured_instant() -> None:
    configured = configured_instant()
    now = datetime.now(TZ)
    if configured is None:
        pytest.skip("CADREBOT_TEST_NOW is not set: the real time")
    assert timedelta(0) <= now - configured < timedelta(minutes=1)
    assert date.today() == now.date()
