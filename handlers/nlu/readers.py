"""Readers several intents share: the day an event happens on (a patrol, a meeting, a leave, a trip) and the
kind of meeting a message names (a meeting record, a leave, an attendance call)."""

from __future__ import annotations

import re
from datetime import date, datetime

from handlers.nlu import lexicon as lx
from handlers.nlu.chinese_time import Prefer, extract

HOLIDAY_REFERENCE = re.compile(r"^(?:过后|以后|之后|后|过了)")


def event_day(text: str, now: datetime, prefer: Prefer, action: re.Pattern[str] | None = None) -> date | None:
    """The day something happens on, if the message names one (not a deadline, not a week or month).

    With several, the one nearest before the action word wins: 上周五到这周一连着下雨 今天才巡查 → 今天;
    明天元旦值班 后天去白鹤村走访 → 后天.
    """
    days = []
    for span in extract(text, now, prefer):
        if span.deadline or HOLIDAY_REFERENCE.match(text[span.pos[1] :]):
            continue  # 元旦后1月3日: the holiday is only the reference point
        if span.grain in ("minute", "hour", "part", "day") or (
            span.grain == "range" and span.start.date() < span.end.date()
        ):
            days.append(span)
    if not days:
        return None
    act = action.search(text) if action else None
    if act and len(days) > 1:
        before = [s for s in days if s.pos[1] <= act.start()]
        if before:
            pick = len(before) - 1
            while pick > 0 and re.fullmatch(
                r"\s*(?:和|与|及|、|,|，|至|到|-|~)\s*", text[before[pick - 1].pos[1] : before[pick].pos[0]]
            ):
                pick -= 1  # 4月25日和4月26日两天: the first day of the pair
            return before[pick].date
    return days[0].date


def meeting_type(text: str) -> str | None:
    mentions = sorted((m.start(), canonical) for pattern, canonical in lx.MEETING_TYPES for m in pattern.finditer(text))
    kinds = list(dict.fromkeys(canonical for _, canonical in mentions))
    if len(kinds) == 1:
        return kinds[0]
    if len(kinds) > 1:
        first, second = mentions[0], next(m for m in mentions if m[1] != mentions[0][1])
        between = text[first[0] : second[0]]
        if re.search(r"加|和|及|暨|与|\+|结合|合并|同时|一起", between) and len(between) < 10:
            return None  # 主题党日加党课: a combined meeting has no single type
        return first[1]  # the meeting reported; later ones are its topics (研究主题党日安排)
    return None
