"""Deadlines as work plans write them (完成时限), read to the last day they allow.

    2021年6月底前 → 2021-06-30      2021年底前 / 年底前 / 年内 → 12-31      2024年2月底前 → 2024-02-29
    6月15日前 → 06-15               6月上旬 → 06-10 · 中旬 → 06-20 · 下旬 → month end · 月初 → 10th · 月中 → 15th
    上半年 / 年中 → 06-30           下半年 → 12-31                          第三季度(末) → 09-30
    4月至6月 → 06-30 (a range ends when its last part does)
    长期坚持 / 持续推进 / 常态化 / 每季度 / 季度末 … → no date, on purpose (open-ended)

A month without a year takes the last year written before it in the same note or sentence, else the plan's
year; when there is neither, the phrase is reported as unread rather than guessed. Written here (not the chat
time parser in handlers/nlu) because a plan's dates do not depend on "today" and need labels: one note may give
two milestones, "2021年6月底前完成乡镇党委换届，8月底前完成乡镇人大、政府换届".
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date

from knowledge.plan.model import Deadline

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"

DATE_RE = re.compile(
    r"(?:(?P<year>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?"
    r"(?:"
    rf"(?P<month>{_NUM})\s*月\s*(?:(?P<day>{_NUM})\s*[日号]|(?P<part>上旬|中旬|下旬|初|中|底|末|份))?"
    r"|第?(?P<quarter>[一二三四1-4])\s*季度\s*(?P<qend>末|底)?"
    r"|(?P<half>上半年|下半年|年中|年底|年末|年内|底|末)"
    r")"
    r"(?P<before>\s*(?:以前|之前|前|以内|内))?"
)
_RANGE_JOIN = re.compile(r"\s*(?:至|到|—|－|-|~|～)\s*")
OPEN_RE = re.compile(r"长期坚持|长期|持续推进|持续开展|持续|常态化|经常性|定期|每年|每半年|每季度|每月|每周|季度末")
_QUARTER = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_TRIM = " \t，,；;。.、：:"


def cn_int(text: str) -> int | None:
    """12, 十二, 二十, 三十一, and a year spelled digit by digit: 二〇二一."""
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGIT for c in text):
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    if "十" in text:
        tens, _, ones = text.partition("十")
        high = _CN_DIGIT.get(tens, 0) if tens else 1
        low = _CN_DIGIT.get(ones, 0) if ones else 0
        if (tens and tens not in _CN_DIGIT) or (ones and ones not in _CN_DIGIT):
            return None
        return high * 10 + low
    return _CN_DIGIT.get(text) if len(text) == 1 else None


@dataclass
class Reading:
    deadlines: list[Deadline] = field(default_factory=list)
    open_ended: bool = False
    unread: list[str] = field(default_factory=list)  # dates that could not be placed: no year, or no such day


@dataclass
class _Hit:
    start: int
    end: int
    raw: str
    match: re.Match[str]  # the last match of a range: it decides the date
    first: re.Match[str] | None = None  # the first match of a range: where the stage starts


def _plausible(m: re.Match[str], text: str) -> bool:
    """Drop what only looks like a date: 摸底前 (底 without a year), 3年内 (a duration)."""
    half = m.group("half")
    if half in ("底", "末") and not m.group("year"):
        return False
    if half in ("年内", "年底", "年末") and not m.group("year") and m.start() > 0:
        return not re.match(r"[\d一二三四五六七八九十两几多]", text[m.start() - 1])
    return True


def _hits(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in DATE_RE.finditer(text):
        if not _plausible(m, text):
            continue
        if hits and hits[-1].end > m.start():
            continue  # inside a range already read: 4月10日至20日
        if hits and _RANGE_JOIN.fullmatch(text[hits[-1].end : m.start()]):
            first = hits.pop()  # 4月至6月: one span, ending with its last part
            hits.append(_Hit(first.start, m.end(), text[first.start : m.end()], m, first.first or first.match))
            continue
        hits.append(_Hit(m.start(), m.end(), m.group(0), m))
        if (
            m.group("month")
            and m.group("day")
            and (tail := _DAY_END.match(text, m.end() - len(m.group("before") or "")))
        ):
            # 4月10日至20日: the end day is in the same month
            end = DATE_RE.match(
                f"{m.group('year') or ''}{'年' if m.group('year') else ''}{m.group('month')}月{tail.group('day')}日{tail.group('before') or ''}"
            )
            if end is not None:
                hits[-1] = _Hit(m.start(), tail.end(), text[m.start() : tail.end()], end, m)
    return hits


_DAY_END = re.compile(rf"\s*(?:至|到|—|－|-|~|～)\s*(?P<day>{_NUM})\s*[日号](?P<before>\s*(?:以前|之前|前|以内|内))?")


def explicit_years(text: str) -> list[int]:
    """The years written in the date phrases of a text (2021年6月底前 → 2021), in order; a range counts for the year
    it starts in (2018年12月1日—2019年2月28日 → 2018): the work of a plan issued for 2018 runs into 2019."""
    years = []
    for hit in _hits(text):
        first = hit.first.group("year") if hit.first is not None and hit.first.group("year") else None
        year = cn_int(first) if first else _year_of(hit)
        if year is not None:
            years.append(year)
    return years


def _due(m: re.Match[str], year: int) -> date | None:
    """The last day a matched phrase allows, in `year`; None when there is no such day (2021年2月30日)."""
    try:
        if m.group("month"):
            month = cn_int(m.group("month"))
            if month is None or not 1 <= month <= 12:
                return None
            last = monthrange(year, month)[1]
            if m.group("day"):
                day = cn_int(m.group("day"))
                return date(year, month, day) if day is not None else None
            return date(year, month, {"上旬": 10, "初": 10, "中旬": 20, "中": 15}.get(m.group("part") or "", last))
        if m.group("quarter"):
            return date(year, _QUARTER[m.group("quarter")], 30 if _QUARTER[m.group("quarter")] in (6, 9) else 31)
        return date(year, 6, 30) if m.group("half") in ("上半年", "年中") else date(year, 12, 31)
    except ValueError:
        return None


def _first_day(m: re.Match[str], year: int) -> date | None:
    """The first day a matched phrase names: 4月10日 → 04-10, 9月 → 09-01, 10月中旬 → 10-11."""
    try:
        if m.group("month"):
            month = cn_int(m.group("month"))
            if month is None or not 1 <= month <= 12:
                return None
            if m.group("day"):
                day = cn_int(m.group("day"))
                return date(year, month, day) if day is not None else None
            return date(
                year, month, {"中旬": 11, "下旬": 21, "中": 11, "底": 21, "末": 21}.get(m.group("part") or "", 1)
            )
        if m.group("quarter"):
            return date(year, _QUARTER[m.group("quarter")] - 2, 1)
        return date(year, 7, 1) if m.group("half") == "下半年" else None
    except ValueError:
        return None


def range_start(text: str, year: int | None) -> date | None:
    """The first day of the first date range in a text ("4月10日至4月20日" → 04-10, "2024年9月至10月中旬" → 09-01);
    None when the text has no range or no year to place it."""
    for hit in _hits(text):
        if hit.first is None:
            continue
        use: int | None = year
        if hit.first.group("year"):
            use = cn_int(hit.first.group("year"))
        elif (end_year := _year_of(hit)) is not None:  # 12月1日—2019年2月28日: the start is in 2018
            first_month, last_month = cn_int(hit.first.group("month") or ""), cn_int(hit.match.group("month") or "")
            use = end_year - 1 if first_month and last_month and first_month > last_month else end_year
        return _first_day(hit.first, use) if use is not None else None
    return None


def has_date(text: str) -> bool:
    return any(_plausible(m, text) for m in DATE_RE.finditer(text))


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where the date phrases of a text are (ranges as one span)."""
    return [(h.start, h.end) for h in _hits(text)]


def _year_of(hit: _Hit) -> int | None:
    """The year written in a phrase; for a range, the year written in any of its parts (2021年4月至6月)."""
    for m in (hit.match, DATE_RE.match(hit.raw)):
        if m is not None and m.group("year"):
            return cn_int(m.group("year"))
    return None


def read(text: str, year: int | None) -> Reading:
    """Every date in a 完成时限 note, each with the words that say what is due then (its label). The words
    after a date label it ("6月底前完成乡镇党委换届"), or, when the note puts them first, those before it."""
    hits = _hits(text)
    reading = Reading()
    rest = text
    for hit in reversed(hits):
        rest = rest[: hit.start] + " " + rest[hit.end :]
    reading.open_ended = bool(OPEN_RE.search(rest))
    labels_first = bool(hits) and bool(text[: hits[0].start].strip(_TRIM)) and not text[hits[-1].end :].strip(_TRIM)
    carried: int | None = None
    for i, hit in enumerate(hits):
        written = _year_of(hit)
        if written is not None:
            carried = written
        use = written or carried or year
        due = _due(hit.match, use) if use is not None else None
        if due is None:
            reading.unread.append(hit.raw)
            continue
        if labels_first:
            label = text[hits[i - 1].end if i else 0 : hit.start]
        else:
            label = text[hit.end : hits[i + 1].start if i + 1 < len(hits) else len(text)]
        label = label.strip(_TRIM)
        reading.deadlines.append(Deadline(due=due, raw=hit.raw.strip(), label=label))
    if len(reading.deadlines) == 1:
        only = reading.deadlines[0]
        reading.deadlines = [Deadline(due=only.due, raw=only.raw)]  # a label only tells milestones apart
    return reading


_SENTENCE = re.compile(r"[^。；;！？!?]+")
_DEADLINE_SHAPE = re.compile(r"(前|内|底|末|下旬|上半年|下半年|年中|季度)\s*$")


def in_body(text: str, year: int | None) -> tuple[list[Deadline], list[str]]:
    """Dates a paragraph's sentences set as deadlines ("2021年底前，90%以上…成立功能党组织"), each labelled
    with its clause. Plain dates that are not deadlines ("2021年6月，市委印发…") are left alone."""
    found: list[Deadline] = []
    unread: list[str] = []
    for sentence in _SENTENCE.findall(text):
        for hit in _hits(sentence):
            if not _DEADLINE_SHAPE.search(hit.raw):
                continue
            use = _year_of(hit) or year
            due = _due(hit.match, use) if use is not None else None
            if due is None:
                unread.append(hit.raw)
                continue
            label = sentence[hit.end :].strip(_TRIM) or sentence[: hit.start].strip(_TRIM)
            found.append(Deadline(due=due, raw=hit.raw.strip(), label=shorten(label, 60)))
    return found, unread


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
