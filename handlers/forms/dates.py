"""The day a report is about, as every form reads and shows it: a word like 今天 or 3月5日 becomes an ISO
date within the window the form allows, and the card shows it back as 3月5日."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from handlers.context import Context
from handlers.forms.spec import Invalid
from handlers.nlu.chinese_time import first_day
from handlers.nlu.normalize import normalize

ParseDate = Callable[[str, Context], str | None]


def past_day(max_age_days: int, *, future: str, too_old: str) -> ParseDate:
    """A parser for the day something already happened: not after today, at most `max_age_days` back;
    `future` and `too_old` are what the sender is told otherwise."""

    def parse(text: str, ctx: Context) -> str | None:
        day = first_day(normalize(text), ctx.local_now, "past")
        if day is None:
            return None
        today = ctx.local_now.date()
        if day > today:
            raise Invalid(future)
        if day < today - timedelta(days=max_age_days):
            raise Invalid(too_old)
        return day.isoformat()

    return parse


def show_date(value: str) -> str:
    d = date.fromisoformat(value)
    return f"{d.month}月{d.day}日"
