"""The Chinese time parser, table by table: days, every weekday spelling on every day of a week, dates,
month and year boundaries, leap days, deadlines, clock times, ranges, holidays — and what it must not read."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handlers.nlu.chinese_time import DAY_WORDS, TZ, extract, parse


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def day_of(text: str, now: datetime, prefer=None) -> date | None:
    span = parse(text, now, prefer)
    return span.start.date() if span else None


# -- days at month and year boundaries, and leap days -------------------------------------------------------

DAYS = [
    # (today, expression, expected day)
    ("2024-12-31", "明天", "2025-01-01"),
    ("2024-12-31", "后天", "2025-01-02"),
    ("2024-12-31", "大后天", "2025-01-03"),
    ("2025-01-01", "昨天", "2024-12-31"),
    ("2025-01-01", "前天", "2024-12-30"),
    ("2025-01-01", "大前天", "2024-12-29"),
    ("2024-02-28", "明天", "2024-02-29"),
    ("2024-02-28", "后天", "2024-03-01"),
    ("2023-02-28", "明天", "2023-03-01"),
    ("2024-03-01", "昨天", "2024-02-29"),
    ("2024-02-29", "明儿", "2024-03-01"),
    ("2024-05-15", "今儿个", "2024-05-15"),
    ("2024-05-15", "今儿", "2024-05-15"),
    ("2024-05-15", "昨儿", "2024-05-14"),
    ("2024-05-15", "今日", "2024-05-15"),
    ("2024-05-15", "今早", "2024-05-15"),
    ("2024-05-15", "昨晚", "2024-05-14"),
    ("2024-05-15", "明晚", "2024-05-16"),
    ("2024-05-15", "3天后", "2024-05-18"),
    ("2024-05-15", "三天前", "2024-05-12"),
    ("2024-01-30", "3天后", "2024-02-02"),
    ("2024-05-15", "一周后", "2024-05-22"),
]


@pytest.mark.parametrize(("today", "text", "expected"), DAYS)
def test_days(today: str, text: str, expected: str) -> None:
    assert day_of(text, at(today)) == date.fromisoformat(expected)


# -- every weekday spelling on every day of a week ----------------------------------------------------------

WEEK = [date(2024, 5, 13) + timedelta(days=i) for i in range(7)]  # Monday 13 … Sunday 19 May 2024
DAY_CHARS = [("一", 0), ("二", 1), ("三", 2), ("四", 3), ("五", 4), ("六", 5), ("日", 6), ("天", 6)]
STEMS = ["周", "星期", "礼拜"]
SHIFTS = [
    ("上上", -2),
    ("上", -1),
    ("上个", -1),
    ("这", 0),
    ("本", 0),
    ("这个", 0),
    ("下", 1),
    ("下个", 1),
    ("下下", 2),
]


def weekday_cases() -> list[tuple[date, str, date]]:
    cases = []
    for today in WEEK:
        monday = today - timedelta(days=today.weekday())
        for stem in STEMS:
            for char, index in DAY_CHARS:
                if stem == "周" and char == "天":
                    pass  # 周天 is colloquial but common: keep it
                for prefix, shift in SHIFTS:
                    if stem == "周" and prefix.endswith("个"):
                        continue  # 上个周三 is not said
                    cases.append((today, f"{prefix}{stem}{char}", monday + timedelta(weeks=shift, days=index)))
    return cases


@pytest.mark.parametrize(("today", "text", "expected"), weekday_cases(), ids=lambda v: str(v))
def test_weekday_with_a_week_word(today: date, text: str, expected: date) -> None:
    assert day_of(text, at(today.isoformat())) == expected


@pytest.mark.parametrize("today", WEEK, ids=str)
@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize(("char", "index"), DAY_CHARS)
def test_bare_weekday_reads_by_tense(today: date, stem: str, char: str, index: int) -> None:
    monday = today - timedelta(days=today.weekday())
    this_week = monday + timedelta(days=index)
    text = f"{stem}{char}"
    now = at(today.isoformat())
    assert day_of(text, now) == this_week  # no tense: the current Monday–Sunday week
    past = this_week if this_week <= today else this_week - timedelta(weeks=1)
    future = this_week if this_week >= today else this_week + timedelta(weeks=1)
    assert day_of(text, now, "past") == past  # 周五巡查了 said on Wednesday: last Friday
    assert day_of(text, now, "future") == future  # 周五开会 said on Saturday: next Friday


def test_week_spans() -> None:
    now = at("2024-05-15")
    for text, first, last in [
        ("本周", "2024-05-13", "2024-05-19"),
        ("上周", "2024-05-06", "2024-05-12"),
        ("下个星期", "2024-05-20", "2024-05-26"),
        ("这礼拜", "2024-05-13", "2024-05-19"),
    ]:
        span = parse(text, now)
        assert span is not None and span.grain == "week"
        assert (span.start.date(), span.end.date()) == (date.fromisoformat(first), date.fromisoformat(last))


# -- dates ------------------------------------------------------------------------------------------------

DATES = [
    # (today, expression, prefer, expected day)
    ("2024-05-15", "5月20日", None, "2024-05-20"),
    ("2024-05-15", "5月20号", "future", "2024-05-20"),
    ("2024-05-15", "五月二十日", None, "2024-05-20"),
    ("2024-05-15", "5.20", "future", "2024-05-20"),
    ("2024-05-15", "5/20", "future", "2024-05-20"),
    ("2024-06-16", "5.20", "past", "2024-05-20"),
    ("2024-05-15", "5.20", "past", "2023-05-20"),
    ("2024-05-15", "20号", "future", "2024-05-20"),
    ("2024-05-15", "20号", "past", "2024-04-20"),
    ("2024-05-15", "二十号", None, "2024-05-20"),
    ("2024-05-15", "10号", "future", "2024-06-10"),
    ("2024-12-30", "1月3日", "future", "2025-01-03"),
    ("2025-01-02", "12月30号", "past", "2024-12-30"),
    ("2025-01-02", "12.30", "past", "2024-12-30"),
    ("2024-05-15", "2024年2月29日", None, "2024-02-29"),
    ("2025-03-01", "2月29日", "past", "2024-02-29"),
    ("2023-03-01", "2月29日", "future", "2024-02-29"),
    ("2024-05-15", "2024-06-01", None, "2024-06-01"),
    ("2024-05-15", "2024.6.1", None, "2024-06-01"),
    ("2024-05-15", "下个月15号", None, "2024-06-15"),
    ("2024-12-20", "下个月15号", None, "2025-01-15"),
    ("2024-01-31", "下个月", None, "2024-02-01"),
    ("2024-12-31", "下个月", None, "2025-01-01"),
    ("2025-01-15", "上个月", None, "2024-12-01"),
]


@pytest.mark.parametrize(("today", "text", "prefer", "expected"), DATES)
def test_dates(today: str, text: str, prefer, expected: str) -> None:
    assert day_of(text, at(today), prefer) == date.fromisoformat(expected)


# -- deadlines: the end of the span counts -----------------------------------------------------------------

DEADLINES = [
    ("2024-05-15", "6月底前", "2024-06-30"),
    ("2024-05-15", "6月30日前完成", "2024-06-30"),
    ("2024-05-15", "截止6月30日", "2024-06-30"),
    ("2024-05-15", "截至2024年6月30日", "2024-06-30"),
    ("2024-05-15", "月底前", "2024-05-31"),
    ("2024-02-10", "月底前", "2024-02-29"),
    ("2023-02-10", "月底前", "2023-02-28"),
    ("2024-05-15", "本月内", "2024-05-31"),
    ("2024-12-10", "本月内", "2024-12-31"),
    ("2024-05-15", "年底前", "2024-12-31"),
    ("2024-05-15", "7天内", "2024-05-22"),
    ("2024-05-15", "一周内", "2024-05-22"),
    ("2024-05-15", "3日内", "2024-05-18"),
    ("2024-05-15", "下周一前", "2024-05-20"),
    ("2024-05-15", "本周五下班前", "2024-05-17"),
    ("2024-05-15", "20日前", "2024-05-20"),
    ("2024-05-15", "国庆前", "2024-09-30"),
]


@pytest.mark.parametrize(("today", "text", "due"), DEADLINES)
def test_deadlines(today: str, text: str, due: str) -> None:
    span = parse(text, at(today), "future")
    assert span is not None and span.deadline
    assert span.end == datetime.fromisoformat(due).replace(hour=23, minute=59, second=59, tzinfo=TZ)
    assert span.start <= span.end


QUARTERS = [
    ("2024-05-15", "第三季度", "2024-07-01", "2024-09-30"),
    ("2024-05-15", "三季度", "2024-07-01", "2024-09-30"),
    ("2024-05-15", "Q3", "2024-07-01", "2024-09-30"),
    ("2024-05-15", "本季度", "2024-04-01", "2024-06-30"),
    ("2024-11-20", "下季度", "2025-01-01", "2025-03-31"),
    ("2025-02-10", "上季度", "2024-10-01", "2024-12-31"),
    ("2024-05-15", "上半年", "2024-01-01", "2024-06-30"),
    ("2024-05-15", "下半年", "2024-07-01", "2024-12-31"),
    ("2024-05-15", "6月上旬", "2024-06-01", "2024-06-10"),
    ("2024-05-15", "本月下旬", "2024-05-21", "2024-05-31"),
    ("2024-02-15", "下旬", "2024-02-21", "2024-02-29"),
    ("2025-09-10", "10月上旬", "2025-10-01", "2025-10-10"),
    ("2025-09-10", "下月中旬", "2025-10-11", "2025-10-20"),
    ("2025-09-10", "最后一个季度", "2025-10-01", "2025-12-31"),
]


@pytest.mark.parametrize(("today", "text", "first", "last"), QUARTERS)
def test_periods(today: str, text: str, first: str, last: str) -> None:
    span = parse(text, at(today))
    assert span is not None
    assert (span.start.date(), span.end.date()) == (date.fromisoformat(first), date.fromisoformat(last))


# -- clock times: a meeting's start counts -----------------------------------------------------------------

CLOCKS = [
    ("下午三点半", "2024-05-15T15:30"),
    ("下午3点半", "2024-05-15T15:30"),
    ("晚上8点", "2024-05-15T20:00"),
    ("明天上午9点", "2024-05-16T09:00"),
    ("明早8点", "2024-05-16T08:00"),
    ("九点一刻", "2024-05-15T09:15"),
    ("上午十点半", "2024-05-15T10:30"),
    ("凌晨2点", "2024-05-15T02:00"),
    ("中午12点", "2024-05-15T12:00"),
    ("中午1点", "2024-05-15T13:00"),
    ("3:30", "2024-05-15T15:30"),
    ("9:40", "2024-05-15T09:40"),
    ("明天3点", "2024-05-16T15:00"),
    ("下周三下午2点", "2024-05-22T14:00"),
    ("5月20日上午9点", "2024-05-20T09:00"),
    ("后天晚上七点", "2024-05-17T19:00"),
    ("8点40分", "2024-05-15T08:40"),
    ("8点零五", "2024-05-15T08:05"),
]


@pytest.mark.parametrize(("text", "start"), CLOCKS)
def test_clock_times(text: str, start: str) -> None:
    span = parse(text, at("2024-05-15"), "future")
    assert span is not None and span.start == datetime.fromisoformat(start).replace(tzinfo=TZ)


def test_fuzzy_clock_and_parts_of_day() -> None:
    now = at("2024-05-15")
    span = parse("晚上8点多", now)
    assert span is not None and span.fuzzy and (span.start.hour, span.end.hour, span.end.minute) == (20, 20, 59)
    afternoon = parse("今天下午", now)
    assert afternoon is not None and afternoon.grain == "part" and afternoon.start.hour == 13
    last_night = parse("昨晚8点多", now)
    assert last_night is not None and last_night.start == datetime(2024, 5, 14, 20, 0, tzinfo=TZ)


# -- ranges ------------------------------------------------------------------------------------------------

RANGES = [
    ("上周五到周六", "2024-05-10", "2024-05-11"),
    ("5月10日到12日", "2024-05-10", "2024-05-12"),
    ("5月20日-22日", "2024-05-20", "2024-05-22"),
    ("1号到5号", "2024-05-01", "2024-05-05"),
]


@pytest.mark.parametrize(("text", "first", "last"), RANGES)
def test_ranges(text: str, first: str, last: str) -> None:
    span = parse(text, at("2024-05-15"))
    assert span is not None and span.grain == "range"
    assert (span.start.date(), span.end.date()) == (date.fromisoformat(first), date.fromisoformat(last))


def test_clock_range() -> None:
    span = parse("下午3点到5点", at("2024-05-15"))
    assert span is not None and (span.start.hour, span.end.hour) == (15, 17)


# -- holidays and lunar dates -------------------------------------------------------------------------------

HOLIDAYS = [
    ("2024-05-15", "端午", "2024-06-10"),
    ("2024-05-15", "端午节", "2024-06-10"),
    ("2024-05-15", "农历五月初五", "2024-06-10"),
    ("2024-05-15", "中秋", "2024-09-17"),
    ("2024-05-15", "国庆", "2024-10-01"),
    ("2024-05-15", "元旦", "2025-01-01"),
    ("2024-05-15", "春节", "2025-01-29"),
    ("2024-05-15", "除夕", "2025-01-28"),
    ("2024-05-15", "正月十五", "2025-02-12"),
    ("2024-05-15", "初八", "2024-05-15"),  # today is lunar 四月初八
    ("2024-05-16", "初八", "2024-06-13"),
]


@pytest.mark.parametrize(("today", "text", "expected"), HOLIDAYS)
def test_holidays_and_lunar_dates(today: str, text: str, expected: str) -> None:
    assert day_of(text, at(today), "future") == date.fromisoformat(expected)


def test_before_a_holiday_means_before_it_begins() -> None:
    span = parse("春节前", at("2024-05-15"))
    assert span is not None and span.deadline and span.end == datetime(2025, 1, 28, 23, 59, 59, tzinfo=TZ)


# -- what it must not read: no fallback to "now" ------------------------------------------------------------

NOT_TIMES = [
    "",
    "哈哈",
    "快一点",
    "多注意一点",
    "两点建议",
    "3.5公里",
    "三会一课",
    "一起去",
    "3号楼",
    "收到",
    "5.20元",
    "应到23人",
    "走访5户",
    "第三组",
    "一户一档",
    "2组村口两盏",
]


@pytest.mark.parametrize("text", NOT_TIMES)
def test_no_time_is_read_where_there_is_none(text: str) -> None:
    assert extract(text, at("2024-05-15")) == []
    assert parse(text, at("2024-05-15")) is None


def test_times_inside_sentences() -> None:
    now = at("2024-05-15")
    spans = extract("书记，明天的党员大会我去不了，县医院复查，请个假", now)
    assert [s.text for s in spans] == ["明天"]
    spans = extract("请各村6月底前把三会一课记录报上来", now)
    assert [s.text for s in spans] == ["6月底前"] and spans[0].deadline
    spans = extract("上周五到周六在石门村驻村两天，走访十二户", now)
    assert spans[0].start.date() == date(2024, 5, 10)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_spans_are_ordered(text: str) -> None:
    for span in extract(text, at("2024-05-15")):
        assert span.start <= span.end


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "明天",
                "下周三",
                "5月",
                "20号",
                "下午",
                "3点半",
                "到",
                "前",
                "内",
                "第三季度",
                "初八",
                "的",
                "二十",
                "月底",
                "周",
                "礼拜",
                "上",
                "下",
                "号",
                "点",
                "农历",
                " ",
                "，",
            ]
        ),
        max_size=8,
    )
)
def test_never_raises_on_time_words_in_any_order(words: list[str]) -> None:
    for span in extract("".join(words), at("2024-02-29")):
        assert span.start <= span.end


# -- what others write: the kinds the parser once misread --------------------------------------------------

OTHERS = [
    # (now, expression, day, "HH:MM" or None) — 2025-09-10 is a Wednesday
    ("2025-09-10T09:00", "半夜十二点", "2025-09-11", "00:00"),  # midnight ends the day, it is not noon
    ("2025-09-10T09:00", "晚上十二点", "2025-09-11", "00:00"),
    ("2025-09-10T09:00", "中午十二点", "2025-09-10", "12:00"),
    ("2025-09-10T09:00", "晌午十二点", "2025-09-10", "12:00"),
    ("2025-09-10T09:00", "三点一刻", "2025-09-10", "15:15"),  # a quarter, not one minute
    ("2025-09-10T09:00", "十点过一刻", "2025-09-10", "10:15"),
    ("2025-09-10T09:00", "差一刻四点", "2025-09-10", "15:45"),
    ("2025-09-10T09:00", "九点差十分", "2025-09-10", "08:50"),
    ("2025-09-10T09:00", "下周周五", "2025-09-19", None),  # next week's Friday, not this week's
    ("2025-09-10T09:00", "下周 周一", "2025-09-15", None),
    ("2025-09-10T09:00", "上周周六", "2025-09-06", None),
    ("2025-12-31T10:00", "下周周一", "2026-01-05", None),
    ("2025-09-10T09:00", "19年8月1日", "2019-08-01", None),  # a two-digit year
    ("2025-09-10T09:00", "二〇二四年三月五日", "2024-03-05", None),  # a year in Chinese numerals
    ("2025-09-10T09:00", "二零二一年七月一日", "2021-07-01", None),
    ("2025-12-20T10:00", "元月十号", "2026-01-10", None),
    ("2025-09-10T09:00", "7·15", "2025-07-15", None),
    ("2025-09-10T09:00", "10-08", "2025-10-08", None),
    ("2025-09-10T09:00", "9.1", "2025-09-01", None),
    ("2025-09-10T09:00", "10-08 09:30", "2025-10-08", "09:30"),  # the date is kept with the clock
    ("2025-09-10T09:00", "9-20 14:30", "2025-09-20", "14:30"),
    ("2025-09-10T09:00", "大大后天", "2025-09-14", None),
    ("2025-09-10T09:00", "大大前天", "2025-09-06", None),
    ("2025-09-10T09:00", "去年腊月二十三", "2025-01-22", None),  # lunar, in the year named
    ("2024-05-15T10:00", "明年正月初六", "2025-02-03", None),
    ("2025-09-10T09:00", "八月十五", "2025-10-06", None),  # in words, no 日/号: 中秋
    ("2025-09-10T09:00", "8月15日", "2025-08-15", None),  # written as a solar date
    ("2025-01-10T10:00", "大年初八", "2025-02-05", None),  # the lunar new year's eighth day, not 年初
    ("2025-09-10T09:00", "大年三十", "2026-02-16", None),
    ("2025-09-10T09:00", "当晚九时", "2025-09-10", "21:00"),
    ("2025-09-10T09:00", "当晚10时", "2025-09-10", "22:00"),
    ("2025-09-10T09:00", "夜来", "2025-09-09", None),  # northern 'yesterday'
    ("2025-09-10T09:00", "明个下午", "2025-09-11", None),
]


@pytest.mark.parametrize(("now", "text", "day", "clock"), OTHERS)
def test_what_others_write(now: str, text: str, day: str, clock: str | None) -> None:
    span = parse(text, datetime.fromisoformat(now).replace(tzinfo=TZ))
    assert span is not None, text
    assert span.start.date().isoformat() == day
    if clock is not None:
        assert span.grain == "minute"
        assert span.start.strftime("%H:%M") == clock


READ_IN_PART = [
    "大大大后天",  # one 大 too many
    "廿三号",  # 廿 is not read as a day number, so 三号 alone would be the wrong day
    "三点十分差",
    "2月30日",
    "13月5日",
    "25点开会",
]


@pytest.mark.parametrize("text", READ_IN_PART)
def test_read_only_in_part_is_not_returned(text: str) -> None:
    assert parse(text, at("2025-09-10")) is None


def test_a_numeral_name_before_a_day_word_is_not_a_leftover() -> None:
    span = parse("赵四明天请假", at("2024-03-04"))
    assert span is not None and span.date == date(2024, 3, 5)


# Compositions with a known value: each is read exactly, and the same with a time word left unread beside it
# (a prefix or suffix the grammar cannot place) is not read at all.
_DAYS = {"今天": 0, "明天": 1, "后天": 2, "大后天": 3, "大大后天": 4, "昨天": -1, "前天": -2}
_CLOCKS = {"": None, "上午九点": (9, 0), "下午三点半": (15, 30), "晚上八点一刻": (20, 15), "差五分十点": (9, 55)}
_LEFTOVERS = ["大{}", "{}差", "2{}", "廿{}", "{}3点"]  # 今天5号 is two readings, not a leftover


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_DAYS)), st.sampled_from(sorted(_CLOCKS)), st.sampled_from(_LEFTOVERS))
def test_compositions_are_read_whole_or_not_at_all(day: str, clock: str, leftover: str) -> None:
    now = at("2025-09-10", 7)
    span = parse(day + clock, now)
    assert span is not None
    assert span.start.date() == date(2025, 9, 10) + timedelta(days=_DAYS[day])
    hm = _CLOCKS[clock]
    if hm is not None:
        assert (span.start.hour, span.start.minute) == hm
    assume(not (leftover == "大{}" and "大" + day in DAY_WORDS))  # 大+前天 is a word of its own
    assume(not (leftover == "{}3点" and not clock))  # 今天3点 is whole
    spoiled = extract(leftover.format(day + clock), now)
    assert all(span.text not in s.text for s in spoiled), spoiled
