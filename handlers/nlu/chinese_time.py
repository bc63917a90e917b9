"""Chinese time expressions → dates and spans, against a reference moment in Asia/Shanghai.

    extract("书记，明天的党员大会我去不了", now)      → [TimeSpan(2024-05-16 00:00 … 23:59:59, "明天")]
    parse("6月底前", now).end                        → 2024-06-30 23:59:59   (a deadline: its end counts)
    parse("下午三点半", now).start                   → 2024-05-15 15:30      (a meeting: its start counts)

Written here because no permissively licensed parser reads these well (DOMAIN.md §6): days, weekdays in
every spelling (周/星期/礼拜 with 上/这/本/下), parts of day and clock times (下午三点半, 晚上8点多), month
parts (月初, 6月底, 上旬), "before" phrases (6月底前, 本月内, 截止6月30日, 7天内), quarters (第三季度, Q3),
5.20 and 5/20, holidays and cheap lunar dates (端午, 农历五月初五, 初八), and ranges (上周五到周六).

Whatever it cannot read, it does not return: there is no fallback to "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.nlu.numbers import NUM, to_int
from knowledge.calendar import add_months, month_last

TZ = ZoneInfo("Asia/Shanghai")
Prefer = Literal["past", "future"] | None


@dataclass(frozen=True)
class TimeSpan:
    start: datetime  # aware, Asia/Shanghai
    end: datetime  # the last second of the span (inclusive)
    text: str  # the words it was read from
    grain: str  # minute, hour, part, day, week, month, quarter, half, year, range, deadline
    deadline: bool = False  # a "before / within" phrase: the end is what counts
    fuzzy: bool = False  # 八点多, 月中, 上旬 …
    pos: tuple[int, int] = (0, 0)

    @property
    def date(self) -> date:
        return self.start.date()

    @property
    def due(self) -> datetime:
        return self.end


# -- calendar helpers -----------------------------------------------------------------------------------


def day_span(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time(0), TZ)
    return start, start + timedelta(days=1) - timedelta(seconds=1)


def valid(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= month_last(year, month) and 1900 <= year <= 2200


def choose_year(month: int, day: int, today: date, prefer: Prefer) -> int | None:
    """The year for M月D日: past events on or before today, future ones on or after it, else the nearest."""
    year = today.year
    candidates = [y for y in range(year - 4, year + 5) if valid(y, month, day)]  # 2月29日 needs four years
    if not candidates:
        return None
    if prefer == "past":
        past = [y for y in candidates if date(y, month, day) <= today]
        return max(past) if past else None
    if prefer == "future":
        future = [y for y in candidates if date(y, month, day) >= today]
        return min(future) if future else None
    # no tense: the nearest such day (1月3日 said on 30 December is next week, not last January)
    return min(candidates, key=lambda y: abs((date(y, month, day) - today).days))


# -- holidays and the lunar calendar ---------------------------------------------------------------------

LUNAR_MONTHS = {"正": 1, "腊": 12, "冬": 11}
# month-day pairs that, written in words with no 日/号, name the lunar festival (八月十五 is 中秋)
LUNAR_FESTIVAL_DAYS = {(1, 15), (5, 5), (7, 7), (7, 15), (8, 15), (9, 9), (12, 8), (12, 23), (12, 24)}
SOLAR_HOLIDAYS = {
    "元旦": (1, 1),
    "五一": (5, 1),
    "劳动节": (5, 1),
    "七一": (7, 1),
    "建党节": (7, 1),
    "八一": (8, 1),
    "建军节": (8, 1),
    "国庆": (10, 1),
    "国庆节": (10, 1),
    "十一": (10, 1),
}
LUNAR_HOLIDAYS = {
    "春节": (1, 1),
    "过年": (1, 1),
    "元宵": (1, 15),
    "元宵节": (1, 15),
    "端午": (5, 5),
    "端午节": (5, 5),
    "中秋": (8, 15),
    "中秋节": (8, 15),
    "重阳": (9, 9),
    "重阳节": (9, 9),
}


def lunar_to_solar(year: int, month: int, day: int) -> date | None:
    from borax.calendars.lunardate import LunarDate

    try:
        return LunarDate(year, month, day).to_solar_date()
    except (ValueError, IndexError, KeyError, TypeError):
        return None


def solar_to_lunar(d: date) -> tuple[int, int, int]:
    from borax.calendars.lunardate import LunarDate

    lunar = LunarDate.from_solar_date(d.year, d.month, d.day)
    return lunar.year, lunar.month, lunar.day


def qingming(year: int) -> date:
    try:
        import chinese_calendar

        for d, name in chinese_calendar.get_solar_terms(date(year, 4, 3), date(year, 4, 6)):
            if name == "清明":
                return d
    except Exception:  # the calendar package knows only some years
        pass
    return date(year, 4, 5 if year % 4 in (2, 3) else 4)


def holiday_date(name: str, year: int) -> date | None:
    if name in SOLAR_HOLIDAYS:
        m, d = SOLAR_HOLIDAYS[name]
        return date(year, m, d)
    if name in ("清明", "清明节"):
        return qingming(year)
    if name in ("除夕", "大年三十", "大年夜", "年三十"):
        new_year = lunar_to_solar(year, 1, 1)
        return new_year - timedelta(days=1) if new_year else None
    if name in LUNAR_HOLIDAYS:
        m, d = LUNAR_HOLIDAYS[name]
        return lunar_to_solar(year, m, d)
    return None


def pick_by_prefer(dates: list[date], today: date, prefer: Prefer) -> date | None:
    dates = sorted(d for d in dates if d is not None)
    if not dates:
        return None
    if prefer == "future":
        return next((d for d in dates if d >= today), dates[-1])
    if prefer == "past":
        return next((d for d in reversed(dates) if d <= today), dates[0])
    return min(dates, key=lambda d: abs((d - today).days))


# -- the atoms ------------------------------------------------------------------------------------------

WEEKDAY = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "七": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
PARTS = {  # part of day → (first hour, last hour inclusive)
    "凌晨": (0, 5),
    "半夜": (0, 4),
    "深夜": (22, 23),
    "午夜": (0, 1),
    "清晨": (5, 8),
    "一早": (6, 9),
    "大早": (6, 9),
    "早上": (6, 9),
    "早晨": (6, 9),
    "早": (6, 9),
    "晨": (6, 9),
    "上午": (8, 11),
    "中午": (11, 13),
    "晌午": (11, 13),
    "午后": (13, 15),
    "下午": (13, 17),
    "傍晚": (17, 19),
    "晚上": (18, 23),
    "晚间": (18, 23),
    "晚": (18, 23),
    "夜里": (20, 23),
    "夜间": (20, 23),
    "夜": (20, 23),
    "白天": (8, 17),
}
MIDNIGHT_PARTS = {"半夜", "午夜", "深夜", "晚上", "晚间", "晚", "夜里", "夜间", "夜"}
AFTERNOON = {"下午", "午后", "傍晚", "晚上", "晚间", "晚", "夜里", "夜间", "夜", "深夜"}
DAY_WORDS = {
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "今儿个": 0,
    "今个儿": 0,
    "今个": 0,
    "今朝": 0,
    "当天": 0,
    "当日": 0,
    "本日": 0,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "明儿个": 1,
    "明个儿": 1,
    "明个": 1,
    "明朝": 1,
    "次日": 1,
    "第二天": 1,
    "隔天": 1,
    "翌日": 1,
    "后天": 2,
    "后儿": 2,
    "后儿个": 2,
    "后日": 2,
    "大后天": 3,
    "大大后天": 4,
    "昨天": -1,
    "昨日": -1,
    "昨儿": -1,
    "昨儿个": -1,
    "昨个儿": -1,
    "昨个": -1,
    "夜来": -1,
    "夜儿个": -1,
    "夜儿": -1,
    "前天": -2,
    "前儿": -2,
    "前儿个": -2,
    "前日": -2,
    "大前天": -3,
    "大大前天": -4,
}
COMBO = {
    "今早": (0, "早上"),
    "今晨": (0, "早上"),
    "今晚": (0, "晚上"),
    "今夜": (0, "夜里"),
    "明早": (1, "早上"),
    "明晨": (1, "早上"),
    "明晚": (1, "晚上"),
    "明天一早": (1, "一早"),
    "昨晚": (-1, "晚上"),
    "昨夜": (-1, "夜里"),
    "昨早": (-1, "早上"),
    "前晚": (-2, "晚上"),
    "当晚": (0, "晚上"),
    "当夜": (0, "夜里"),
}
WEEK_SHIFT = {"上上": -2, "上": -1, "这": 0, "本": 0, "今": 0, "下下": 2, "下": 1, "": None}
MONTH_SHIFT = {"上上": -2, "上": -1, "这": 0, "本": 0, "当": 0, "今": 0, "下下": 2, "下": 1}
MONTH_PART = {
    "初": (1, 10),
    "上旬": (1, 10),
    "中旬": (11, 20),
    "中": (11, 20),
    "下旬": (21, 31),
    "底": (31, 31),
    "末": (31, 31),
    "份": (1, 31),
    "": (1, 31),
}
NOT_DAY_NO = r"(?!楼|房|院|线|码|地|桥|井|机|车|门|窗|位|床|柜|箱|文|件|令|元|块|人|户|期|常|志|报|记|程|本|月)"

_N = NUM
ATOMS: list[tuple[str, str]] = [
    ("ymd", rf"(?P<ymd_y>\d{{4}})\s*[年./-]\s*(?P<ymd_m>{_N})\s*[月./-]\s*(?P<ymd_d>{_N})\s*[日号]?"),
    (
        "lunar",
        rf"(?:农历|阴历)?(?P<lunar_m>[正腊冬]|{_N})月(?P<lunar_d>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|三十)"
        rf"|(?:农历|阴历)(?P<lunar_m2>[正腊冬]|{_N})月(?P<lunar_d2>{_N})|(?P<lunar_m3>[正腊冬])月(?P<lunar_d4>{_N})"
        rf"|大?年(?P<lunar_d5>初[一二三四五六七八九十])|(?P<lunar_d3>初[一二三四五六七八九十])",
    ),
    (
        "md",
        rf"(?P<md_m>{_N})\s*月\s*(?P<md_d>{_N})(?![\d零〇一二两三四五六七八九十])\s*(?P<md_sfx>[日号])?{NOT_DAY_NO}",
    ),
    (
        "mdnum",
        r"(?<![\d./-])(?<!\d:)(?P<mdn_m>1[0-2]|0?[1-9])[./-](?P<mdn_d>3[01]|[12]\d|0?[1-9])(?![\d.%/:-])"
        r"(?!\s*(?:元|块|万|千|百|公里|km|米|斤|吨|亩|倍|分|%|个|人|户|岁|小时|组|号|楼|栋|层|次|名|项|条|处))",
    ),
    (
        "year",
        rf"(?P<year_y>\d{{4}})\s*年|(?<!\d)(?P<year_yy>\d{{2}})\s*年(?=\s*(?:{_N})\s*月)"
        r"|(?P<year_rel>今年|去年|明年|前年|后年)",
    ),
    ("yearpart", r"(?P<yp>年初|年中|年底|年末|年终|上半年|下半年)"),
    (
        "quarter",
        r"第?(?P<q_n>[一二三四1-4])\s*季度|(?P<q_last>最后一个?|末)季度|[Qq](?P<q_n2>[1-4])(?![\d])|(?P<q_rel>本|这个?|上个?|下个?)季度|(?P<q_end>季度末|季末)",
    ),
    ("relmonth", r"(?P<rm_shift>上上|上|这|本|当|今|下下|下)个?月(?P<rm_part>初|上旬|中旬|下旬|中|底|末)?"),
    (
        "month",
        rf"(?<![第\d])(?P<mo_m>{_N})\s*月份?(?P<mo_part>初|上旬|中旬|下旬|中|底|末)?"
        r"(?![\d一二三四五六七八九十]+(?![\d一二三四五六七八九十]|\s*月))",  # not 5月20, but 10月 of 10月11月
    ),
    ("monthpart", r"(?P<mp>月初|月中|月底|月末|上旬|中旬|下旬)"),
    ("weekday", r"(?P<wd_shift>上上|上|这|本|今|下下|下)?个?(?:周|星期|礼拜)(?P<wd_d>[一二三四五六日天七1-7])"),
    ("weekend", r"(?P<we_shift>上上|上|这|本|下下|下)?个?(?:周末|礼拜天和礼拜六)"),
    ("week", r"(?P<wk_shift>上上|上|这|本|今|下下|下)个?(?:周|星期|礼拜)(?![一二三四五六日天七1-7末])"),
    ("combo", "(?P<cb>" + "|".join(sorted(COMBO, key=len, reverse=True)) + ")"),
    ("dayword", "(?P<dw>" + "|".join(sorted(DAY_WORDS, key=len, reverse=True)) + ")"),
    (
        "holiday",
        r"(?P<hol>元旦|春节|过年|除夕|大年三十|大年夜|年三十|元宵节?|清明节?|五一|劳动节|端午节?|七一|建党节|八一|建军节|中秋节?|国庆节?|重阳节?|十一(?=假|长假|前|后|之前|以后|期间))",
    ),
    (
        "offset",
        rf"(?P<off_n>{_N}|半|几)\s*(?:个?(?P<off_u>天|周|星期|礼拜|年|小时|钟头)|个(?P<off_um>月)|(?P<off_ud>日)(?=以后|之后|后|以内|之内|内))"
        r"(?P<off_dir>以后|之后|后|以内|之内|内|以前|之前|前)",
    ),
    ("day", rf"(?<![\d.])(?P<day_d>{_N})\s*[日号]{NOT_DAY_NO}"),
    (
        "part",
        r"(?P<pt>凌晨|半夜|深夜|午夜|清晨|一早|大早|早上|早晨|上午|中午|晌午|午后|下午|傍晚|晚上|晚间|夜里|夜间|白天)",
    ),
    (
        "clockless",  # 差一刻四点, 差五分九点, 九点差十分: minutes before the hour
        rf"差\s*(?P<cl_m>一刻|{_N}\s*分?)\s*(?P<cl_h>{_N})\s*[点时]|(?P<cl_h2>{_N})\s*[点时]\s*差\s*(?P<cl_m2>一刻|{_N})\s*分?",
    ),
    ("clock", rf"(?P<ck_h>{_N})\s*[点时:：]\s*(?:过\s*)?(?P<ck_m>半|一刻|三刻|整|多|钟|{_N}(?:\s*分)?)?"),
    ("now", r"(?P<nw>现在|此刻|目前|刚才|刚刚|马上|立刻|立即|当下)"),
]
ATOM_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in ATOMS))
DEADLINE_PREFIX = re.compile(
    r"(截止到?|截至|截止至|最迟|最晚|不晚于|务必于|务必在|须于|须在|请于|请在|限于|要在|得在|在)\s*$"
)
STRONG_PREFIX = ("截止", "截至", "最迟", "最晚", "不晚于", "务必", "须于", "须在", "限于", "请于")
DEADLINE_SUFFIX = re.compile(r"^\s*(?:下班|上班|中午|当天|当日)?(之前|以前|前完成|前报|前交|前|以内|之内|内|为止|止)")
RANGE_SEP = re.compile(r"^\s*(到|至|~|～|-|—|－|–)\s*$")
JOIN = re.compile(r"^[\s的]*$")


# -- normalisation for the parser ------------------------------------------------------------------------

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


_CN_YEAR = re.compile(r"(?<![零〇一二三四五六七八九十])([零〇一二三四五六七八九]{4})(?=\s*年)")
_CN_YEAR_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")


def prepare(text: str) -> str:
    text = text.translate(_FULLWIDTH).replace("礼拜", "周").replace("星期", "周")
    # same length, so positions keep: 二〇二四年 → 2024年, 元月 → 1月, 7·15 → 7.15
    text = _CN_YEAR.sub(lambda m: m.group(1).translate(_CN_YEAR_DIGITS), text)
    return text.replace("元月", "1月").replace("·", ".").replace("•", ".")


# -- reading ----------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    now: datetime
    prefer: Prefer
    anchor: date | None = None  # the first half of a range: the second half is read relative to it

    @property
    def today(self) -> date:
        return self.anchor or self.now.date()


class Builder:
    """Accumulates the atoms of one expression (明天 + 下午 + 三点半) into a span."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.year: int | None = None
        self.day: date | None = None
        self.span: tuple[datetime, datetime] | None = None
        self.grain = "day"
        self.part: str | None = None
        self.clock: tuple[int, int, bool] | None = None  # hour, minute, fuzzy
        self.fuzzy = False
        self.ok = True
        self.month_ctx: tuple[int, int] | None = None
        self.within = False  # 7天内: a deadline from now
        self.week_shift: int | None = None  # 下周 read before a weekday

    # spans
    def set_span(self, start: date, end: date, grain: str, fuzzy: bool = False) -> None:
        self.span = (day_span(start)[0], day_span(end)[1])
        self.grain = grain
        self.fuzzy = self.fuzzy or fuzzy
        self.day = start if start == end else None

    def set_day(self, d: date | None) -> None:
        if d is None:
            self.ok = False
            return
        self.day = d
        self.span = day_span(d)
        self.grain = "day"

    def result(self, text: str, pos: tuple[int, int]) -> TimeSpan | None:
        if not self.ok:
            return None
        if self.clock is not None or self.part is not None:
            base = self.day or self.ctx.today
            if self.part is not None and self.clock is None:
                first, last = PARTS[self.part]
                start = datetime.combine(base, time(first), TZ)
                end = datetime.combine(base, time(last, 59, 59), TZ)
                return TimeSpan(start, end, text, "part", fuzzy=True, pos=pos)
            assert self.clock is not None
            hour, minute, fuzzy = self.clock
            if hour == 12 and self.part in MIDNIGHT_PARTS:
                hour = 24  # 半夜十二点, 晚上十二点: the midnight that ends the day
            elif (self.part in AFTERNOON and hour < 12) or (self.part in ("中午", "晌午") and 1 <= hour <= 3):
                hour += 12
            elif self.part is None and 1 <= hour <= 6:
                hour += 12  # 明天3点开会: nobody meets at three in the night without saying 凌晨
            if hour == 24:
                base, hour = base + timedelta(days=1), 0
            if not (0 <= hour <= 23 and 0 <= minute <= 59):
                return None
            start = datetime.combine(base, time(hour, minute), TZ)
            end = start + (timedelta(hours=1) if fuzzy else timedelta(minutes=1)) - timedelta(seconds=1)
            return TimeSpan(start, end, text, "minute", fuzzy=fuzzy, pos=pos)
        if self.span is None:
            if self.year is not None:
                return TimeSpan(
                    *day_span(date(self.year, 1, 1))[:1], day_span(date(self.year, 12, 31))[1], text, "year", pos=pos
                )
            return None
        return TimeSpan(self.span[0], self.span[1], text, self.grain, fuzzy=self.fuzzy, pos=pos)


def _month_span(b: Builder, year: int, month: int, part: str) -> None:
    first, last = MONTH_PART.get(part, (1, 31))
    last_day = month_last(year, month)
    start, end = date(year, month, min(first, last_day)), date(year, month, min(last, last_day))
    if part in ("底", "末"):
        start = end
    b.month_ctx = (year, month)
    if part in ("", "份"):
        b.set_span(start, end, "month")
    elif part in ("底", "末"):
        b.set_span(end, end, "day")
    else:
        b.set_span(start, end, "part", fuzzy=True)


def _year_for_month(month: int, ctx: Ctx, last_day_needed: bool = True) -> int:
    today = ctx.today
    year = today.year
    if ctx.prefer == "future" and date(year, month, month_last(year, month)) < today:
        return year + 1
    if ctx.prefer == "past" and date(year, month, 1) > today:
        return year - 1
    return year


def apply(b: Builder, kind: str, g: dict[str, str | None], ctx: Ctx) -> None:
    today = ctx.today
    if kind == "ymd":
        y, m, d = to_int(g["ymd_y"] or ""), to_int(g["ymd_m"] or ""), to_int(g["ymd_d"] or "")
        b.set_day(date(y, m, d) if y and m and d and valid(y, m, d) else None)
    elif kind in ("md", "mdnum"):
        m = to_int(g["md_m"] or g["mdn_m"] or "")
        d = to_int(g["md_d"] or g["mdn_d"] or "")
        if not m or not d:
            b.ok = False
            return
        if kind == "md" and not g["md_sfx"] and (m, d) in LUNAR_FESTIVAL_DAYS and not (g["md_m"] or "").isdigit():
            _lunar_day(b, m, d, ctx)  # 八月十五, 正月十五 written in words with no 日/号: the festival
            return
        year = b.year if b.year is not None else choose_year(m, d, today, ctx.prefer)
        b.set_day(date(year, m, d) if year and valid(year, m, d) else None)
    elif kind == "lunar":
        _apply_lunar(b, g, ctx)
    elif kind == "year":
        if g["year_y"]:
            b.year = int(g["year_y"])
        elif g["year_yy"]:  # 19年8月1日: the century that puts the year nearest today (up to five years ahead)
            yy = int(g["year_yy"])
            b.year = 2000 + yy if 2000 + yy <= today.year + 5 else 1900 + yy
        else:
            b.year = today.year + {"今年": 0, "去年": -1, "明年": 1, "前年": -2, "后年": 2}[g["year_rel"] or "今年"]
        b.span = (day_span(date(b.year, 1, 1))[0], day_span(date(b.year, 12, 31))[1])
        b.grain = "year"
    elif kind == "yearpart":
        year = b.year or today.year
        part = g["yp"]
        if part == "上半年":
            b.set_span(date(year, 1, 1), date(year, 6, 30), "half")
        elif part == "下半年":
            b.set_span(date(year, 7, 1), date(year, 12, 31), "half")
        elif part in ("年底", "年末", "年终"):
            b.set_span(date(year, 12, 31), date(year, 12, 31), "day")
        elif part == "年初":
            b.set_span(date(year, 1, 1), date(year, 1, 31), "part", fuzzy=True)
        else:
            b.set_span(date(year, 6, 1), date(year, 7, 31), "part", fuzzy=True)
    elif kind == "quarter":
        year = b.year or today.year
        if g["q_n"] or g["q_n2"] or g["q_last"]:
            q = 4 if g["q_last"] else to_int(g["q_n"] or g["q_n2"] or "") or 1
            if b.year is None and ctx.prefer == "future" and date(year, q * 3, month_last(year, q * 3)) < today:
                year += 1
        else:
            q = (today.month - 1) // 3 + 1
            rel = g["q_rel"] or ""
            shift = -1 if rel.startswith("上") else 1 if rel.startswith("下") else 0
            q += shift
            if q == 0:
                year, q = year - 1, 4
            elif q == 5:
                year, q = year + 1, 1
        first = date(year, q * 3 - 2, 1)
        last = date(year, q * 3, month_last(year, q * 3))
        if g["q_end"]:
            b.set_span(last, last, "day")
        else:
            b.set_span(first, last, "quarter")
    elif kind == "relmonth":
        y, m = add_months(today.year, today.month, MONTH_SHIFT[g["rm_shift"] or "本"])
        _month_span(b, y, m, g["rm_part"] or "")
    elif kind == "month":
        m = to_int(g["mo_m"] or "")
        if not m or not 1 <= m <= 12:
            b.ok = False
            return
        year = b.year if b.year is not None else _year_for_month(m, ctx)
        _month_span(b, year, m, g["mo_part"] or "")
    elif kind == "monthpart":
        y, m = b.month_ctx or (today.year, today.month)
        _month_span(b, y, m, (g["mp"] or "").removeprefix("月"))
    elif kind in ("weekday", "weekend", "week"):
        _apply_week(b, kind, g, ctx)
    elif kind == "combo":
        shift, part = COMBO[g["cb"] or ""]
        b.set_day(ctx.now.date() + timedelta(days=shift))
        b.part = part
    elif kind == "dayword":
        b.set_day(ctx.now.date() + timedelta(days=DAY_WORDS[g["dw"] or "今天"]))
    elif kind == "holiday":
        name = g["hol"] or ""
        year = b.year or today.year
        options = (
            [holiday_date(name, y) for y in (year - 1, year, year + 1)]
            if b.year is None
            else [holiday_date(name, year)]
        )
        b.set_day(pick_by_prefer([d for d in options if d], today, ctx.prefer or "future"))
    elif kind == "offset":
        _apply_offset(b, g, ctx)
    elif kind == "day":
        d = to_int(g["day_d"] or "")
        if not d or not 1 <= d <= 31:
            b.ok = False
            return
        if b.month_ctx is not None:
            y, m = b.month_ctx
        else:
            y, m = today.year, today.month
            if ctx.prefer == "future" and d < today.day:
                y, m = add_months(y, m, 1)
            elif ctx.prefer == "past" and d > today.day:
                y, m = add_months(y, m, -1)
        b.set_day(date(y, m, d) if valid(y, m, d) else None)
    elif kind == "part":
        b.part = g["pt"]
        if b.day is None and b.span is not None:
            b.ok = False  # 上周 下午: not one day
    elif kind == "clock":
        hour = to_int(g["ck_h"] or "")
        if hour is None or hour > 24:
            b.ok = False
            return
        minute, fuzzy = 0, False
        tail = (g["ck_m"] or "").replace("分", "").strip()
        if tail == "半":
            minute = 30
        elif tail == "一刻":
            minute = 15
        elif tail == "三刻":
            minute = 45
        elif tail == "多":
            fuzzy = True
        elif tail and tail not in ("整", "钟"):
            value = to_int(tail)
            if value is None or value > 59:
                b.ok = False
                return
            minute = value
        b.clock = (hour, minute, fuzzy)
        if b.day is None and b.span is not None:
            b.ok = False
    elif kind == "clockless":
        hour = to_int(g["cl_h"] or g["cl_h2"] or "")
        tail = (g["cl_m"] or g["cl_m2"] or "").replace("分", "").strip()
        less = 15 if tail == "一刻" else to_int(tail)
        if hour is None or not 1 <= hour <= 24 or less is None or not 1 <= less <= 30:
            b.ok = False
            return
        b.clock = (hour - 1, 60 - less, False)
        if b.day is None and b.span is not None:
            b.ok = False
    elif kind == "now":
        b.set_day(ctx.now.date())


def _lunar_day(b: Builder, month: int, day: int, ctx: Ctx) -> None:
    if b.year is not None:  # 去年八月十五: that lunar year's day
        b.set_day(lunar_to_solar(b.year, month, day))
        return
    lunar_year = solar_to_lunar(ctx.today)[0]
    options = [lunar_to_solar(y, month, day) for y in (lunar_year - 1, lunar_year, lunar_year + 1)]
    b.set_day(pick_by_prefer([d for d in options if d], ctx.today, ctx.prefer or "future"))


def _apply_lunar(b: Builder, g: dict[str, str | None], ctx: Ctx) -> None:
    today = ctx.today
    month_text = g["lunar_m"] or g["lunar_m2"] or g["lunar_m3"] or ("正" if g["lunar_d5"] else None)
    day_text = g["lunar_d"] or g["lunar_d2"] or g["lunar_d3"] or g["lunar_d4"] or g["lunar_d5"] or ""
    day_text = day_text.replace("初", "").replace("廿", "二十")
    day = to_int(day_text) if day_text else None
    if day_text == "二十":
        day = 20
    if not day or not 1 <= day <= 30:
        b.ok = False
        return
    lunar_year, lunar_month, _ = solar_to_lunar(today)
    if month_text:
        month = LUNAR_MONTHS.get(month_text) or to_int(month_text)
        if not month or not 1 <= month <= 12:
            b.ok = False
            return
        _lunar_day(b, month, day, ctx)
        return
    else:
        options = []
        for shift in (-1, 0, 1):
            y, m = add_months(lunar_year, lunar_month, shift)
            options.append(lunar_to_solar(y, m, day))
    b.set_day(pick_by_prefer([d for d in options if d], today, ctx.prefer or "future"))


def _apply_week(b: Builder, kind: str, g: dict[str, str | None], ctx: Ctx) -> None:
    today = ctx.today
    monday = today - timedelta(days=today.weekday())
    shift_text = (
        g.get("wd_shift") if kind == "weekday" else g.get("we_shift") if kind == "weekend" else g.get("wk_shift")
    )
    shift = WEEK_SHIFT[shift_text or ""]
    if kind == "week":
        start = monday + timedelta(weeks=shift or 0)
        b.set_span(start, start + timedelta(days=6), "week")
        b.week_shift = shift or 0
        return
    if kind == "weekend":
        start = monday + timedelta(weeks=shift or 0) + timedelta(days=5)
        if shift is None and ctx.prefer == "past" and start > today:
            start -= timedelta(weeks=1)
        b.set_span(start, start + timedelta(days=1), "weekend")
        return
    weekday = WEEKDAY[g["wd_d"] or "一"]
    if shift is None and b.week_shift is not None:  # 下周周五, 下周 周一: the week named before
        shift = b.week_shift
    if shift is not None:
        b.set_day(monday + timedelta(weeks=shift, days=weekday))
        return
    this_week = monday + timedelta(days=weekday)
    if ctx.prefer == "future" and this_week < today:
        this_week += timedelta(weeks=1)
    elif ctx.prefer == "past" and this_week > today:
        this_week -= timedelta(weeks=1)
    b.set_day(this_week)


def _apply_offset(b: Builder, g: dict[str, str | None], ctx: Ctx) -> None:
    raw = g["off_n"] or ""
    unit = g["off_u"] or g["off_um"] or g["off_ud"] or "天"
    direction = g["off_dir"] or "后"
    n: float | None = 0.5 if raw == "半" else 3 if raw == "几" else to_int(raw)
    if n is None:
        b.ok = False
        return
    if unit in ("小时", "钟头"):
        delta = timedelta(hours=n)
    elif unit in ("天", "日"):
        delta = timedelta(days=n)
    elif unit in ("周", "星期", "礼拜"):
        delta = timedelta(weeks=n)
    elif unit == "月":
        delta = timedelta(days=round(30 * n))
    else:
        delta = timedelta(days=round(365 * n))
    now = ctx.now
    if direction in ("内", "以内", "之内"):
        end = now + delta
        if unit not in ("小时", "钟头"):
            end = day_span(end.date())[1]
        b.span, b.grain, b.within, b.day = (now, end), "deadline", True, None
    elif direction in ("前", "以前", "之前"):
        b.set_day((now - delta).date())
    else:
        b.set_day((now + delta).date())


# -- the scanner -----------------------------------------------------------------------------------------


@dataclass
class Atom:
    kind: str
    groups: dict[str, str | None]
    start: int
    end: int


def atoms(text: str) -> list[Atom]:
    out = []
    for m in ATOM_RE.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue
        if kind == "clock" and not _plausible_clock(text, m):
            continue
        out.append(Atom(kind, m.groupdict(), m.start(), m.end()))
    return out


_CN_DIGIT = re.compile(r"^[零〇一二两三四五六七八九十]+$")
_TIME_CONTEXT = (*PARTS, *COMBO, "天", "日", "号", "个", "儿")  # 晚上十二点, 当晚八点, 10月8号三点


def _plausible_clock(text: str, m: re.Match[str]) -> bool:
    """一点/两点 are also 'a bit' and 'two points': a Chinese-numeral hour needs time context."""
    hour = m.group("ck_h") or ""
    if not _CN_DIGIT.match(hour):
        return True
    if m.group("ck_m"):
        return True
    before = text[max(0, m.start() - 4) : m.start()]
    after = text[m.end() : m.end() + 3]
    return any(before.endswith(w) for w in _TIME_CONTEXT) or bool(
        re.match(r"(左右|前|后|到|开|集合|见|准时|整)", after)
    )


def extract(text: str, now: datetime, prefer: Prefer = None) -> list[TimeSpan]:
    """Every time expression in a message, left to right; ranges and deadlines resolved."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=TZ)
    now = now.astimezone(TZ)
    text = prepare(text)
    found = atoms(text)
    groups: list[list[Atom]] = []
    starts = {atom.start: atom.kind for atom in found}
    for atom in found:
        if groups and JOIN.match(text[groups[-1][-1].end : atom.start]) and _joinable(groups[-1], atom):
            groups[-1].append(atom)
        else:
            groups.append([atom])

    spans: list[TimeSpan] = []
    previous: TimeSpan | None = None
    previous_end = -1
    for group in groups:
        start, end = group[0].start, group[-1].end
        range_join = previous is not None and RANGE_SEP.match(text[previous_end:start]) is not None
        # the second half of a range is read forward from the first (上周五到周六)
        ctx = Ctx(now, "future", anchor=previous.date) if range_join and previous else Ctx(now, prefer)
        span = _build(group, text, ctx) if _whole(text, start, end, starts) else None
        if span is None:
            previous = None
            continue
        if range_join and previous is not None and span.end >= previous.start:
            merged = TimeSpan(
                previous.start,
                span.end,
                text[previous.pos[0] : end],
                "range",
                fuzzy=previous.fuzzy or span.fuzzy,
                pos=(previous.pos[0], end),
            )
            spans[-1] = merged
            previous, previous_end = merged, end
            continue
        span = _deadline(span, text, now)
        spans.append(span)
        previous, previous_end = span, span.pos[1]
    return spans


# Time words left unread next to an expression: it was read only in part (大 of 大大大后天, 24 of 24年5月,
# 廿 of 廿三号, the 十分 of 三点十分差), so it is not returned at all rather than as a wrong day.
_UNREAD_BEFORE = re.compile(r"(?:[\d零〇廿卅]|大|差)$")  # not 四 of 赵四明天
_UNREAD_AFTER = re.compile(
    r"^\s*(?:[\d零〇一二两三四五六七八九十廿卅]+\s*[点时分号日月年刻]|[点时号日]|差|过\s*[\d一二三四五六七八九十]|[:：]\d)"
)


def _whole(text: str, start: int, end: int, starts: dict[int, str]) -> bool:
    """No time word left unread beside the expression. Another expression beside it is read (10月11月), but
    not a second clock (三点半3点: which one is meant?)."""
    after = _UNREAD_AFTER.match(text[end:])
    if after:
        kind = starts.get(end + len(after.group()) - len(after.group().lstrip()))
        if kind is None or kind in ("clock", "clockless"):
            return False
    return not _UNREAD_BEFORE.search(text[:start])


def _joinable(group: list[Atom], atom: Atom) -> bool:
    kinds = [a.kind for a in group]
    if atom.kind in kinds and atom.kind not in ("part",):
        return False
    if atom.kind in ("year",):
        return False
    if atom.kind in ("clock", "clockless") and any(k in ("clock", "clockless") for k in kinds):
        return False  # one clock per expression
    if atom.kind == "day" and not any(k in ("month", "relmonth") for k in kinds):
        return False
    day_kinds = ("dayword", "weekday", "md", "mdnum", "ymd", "holiday", "combo", "lunar")
    return not (atom.kind in day_kinds and any(k in (*day_kinds, "day") for k in kinds))  # one day per expression


def _build(group: list[Atom], text: str, ctx: Ctx) -> TimeSpan | None:
    b = Builder(ctx)
    for atom in group:
        apply(b, atom.kind, atom.groups, ctx)
        if not b.ok:
            return None
    span = b.result(text[group[0].start : group[-1].end], (group[0].start, group[-1].end))
    if span is not None and b.within:
        span = replace(span, deadline=True)
    return span


def _deadline(span: TimeSpan, text: str, now: datetime) -> TimeSpan:
    before = text[max(0, span.pos[0] - 5) : span.pos[0]]
    after = text[span.pos[1] :]
    prefix = DEADLINE_PREFIX.search(before)
    suffix = DEADLINE_SUFFIX.match(after)
    if prefix and prefix.group(1) in ("在", "要在", "得在", "请在", "须在", "务必在") and not suffix:
        prefix = None  # 在6月30日 is a day, 在6月30日前 a deadline
    if not prefix and not suffix:
        return span
    new_end = span.end
    pos = span.pos
    if suffix:
        pos = (pos[0], pos[1] + suffix.end())
        if span.grain == "day" and _is_holiday(span.text) and suffix.group(1) in ("前", "之前", "以前"):
            new_end = span.start - timedelta(seconds=1)  # 春节前: before the holiday begins
    if prefix:
        pos = (pos[0] - len(before) + prefix.start(), pos[1])
    start = min(now, span.start, new_end)
    return TimeSpan(start, new_end, text[pos[0] : pos[1]], "deadline", deadline=True, fuzzy=span.fuzzy, pos=pos)


def _is_holiday(words: str) -> bool:
    return any(name in words for name in (*SOLAR_HOLIDAYS, *LUNAR_HOLIDAYS, "清明", "除夕"))


def parse(text: str, now: datetime, prefer: Prefer = None) -> TimeSpan | None:
    """The one time expression in `text` (the first if there are several), or None if there is none."""
    spans = extract(text, now, prefer)
    return spans[0] if spans else None


def first_day(text: str, now: datetime, prefer: Prefer = None) -> date | None:
    """The day an event happens on (a meeting's start, a patrol's day), if the message names one."""
    for span in extract(text, now, prefer):
        if span.deadline:
            continue
        if span.grain in ("minute", "hour", "part", "day", "range") or (span.start.date() == span.end.date()):
            return span.date
    return None
