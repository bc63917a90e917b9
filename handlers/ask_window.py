"""The period a "what is due" question names, read with the bot's own time parser, in any phrasing:
9月底前得交的有哪些, 第三季度到期的, 五月到八月之间, 10月11月有要到期的吗, 9月以后还有哪些, 年底前,
哪项最先到期, 最晚到期的是哪几个, 还有啥没到期的. The answer itself (the plan's tasks in that window) is
knowledge's: `knowledge.answers.answer(…, window=…)`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from handlers.nlu.chinese_time import TimeSpan, extract
from knowledge.answers import DueWindow

# the question is about deadlines: what falls due, is to be finished or handed in
DUE = re.compile(r"到期|截止|完成|完工|干完|做完|弄完|办完|交(?!通)|报送|上报|要做|要干|要办|任务|工作|交差")
# … and asks for a list or a count, or for the first / last one
LIST = re.compile(
    r"哪些|哪几|哪项|哪个|哪一|什么|啥|几项|几个|多少|列|都有|有没有|有无|清单|的[?？]?$"
    r"|有.{0,4}(?:任务|工作|事项|到期).{0,3}[吗么没]"  # 7月份有要到期的任务吗 (not 6月底前换届能完成吗)
)
EARLIEST = re.compile(r"最早|最先|最近|第一个|先到期|马上要到期|快到期")
LATEST = re.compile(r"最晚|最迟|最后(?!一个?季度)|最末")
REMAINING = re.compile(r"还有|剩下|剩余|没到期|未到期|接下来|往后|后面|以后|之后|今后")
PERIODS = {"month", "quarter", "half", "year", "range", "part", "week"}
AFTER = re.compile(r"^\s*(?:以后|之后|往后|后)")


def due_window(question: str, now: datetime, plan_year: int | None) -> DueWindow | None:
    if not DUE.search(question):
        return None
    asks_list = bool(LIST.search(question) or EARLIEST.search(question) or LATEST.search(question))
    pick = "earliest" if EARLIEST.search(question) else "latest" if LATEST.search(question) else "all"
    today = now.date()
    year = plan_year or today.year
    # periods only: 当天 or 下午三点 in a question about the subsidy is not a window of deadlines
    spans = [s for s in extract(question, now, "future") if s.grain in PERIODS or s.deadline]
    explicit_year = bool(re.search(r"\d{4}\s*年|今年|明年|去年", question))
    if not asks_list and not (spans and re.search(r"任务|工作|事项", question)):  # 四月到六月要完成的任务
        return None
    if spans:
        first, last = _bounds(question, spans, today if today.year == year else date(year, 1, 1))
        if first is None or last is None:
            return None
        if not explicit_year and last.year != year:  # a plan of another year: its months are meant
            first, last = _in_year(first, year), _in_year(last, year)
        said = "、".join(s.text for s in spans)
    elif pick != "all" or REMAINING.search(question):
        first = today if today.year == year else date(year, 1, 1)
        last = date(year, 12, 31)
        said = "" if pick != "all" else "接下来"
    else:
        return None
    if first > last:
        return None
    return DueWindow(first, last, said, pick)


def _bounds(question: str, spans: list[TimeSpan], today: date) -> tuple[date | None, date | None]:
    firsts, lasts = [], []
    for span in spans:
        after = AFTER.match(question[span.pos[1] :]) is not None
        if after:  # 9月以后: what falls due after that month
            firsts.append(span.end.date() + timedelta(days=1))
            lasts.append(date(span.end.year, 12, 31))
        elif span.deadline:  # 9月底前: from today to that day
            firsts.append(today)
            lasts.append(span.end.date())
        else:
            firsts.append(span.start.date())
            lasts.append(span.end.date())
    return min(firsts), max(lasts)


def _in_year(d: date, year: int) -> date:
    try:
        return d.replace(year=year)
    except ValueError:  # 2月29日
        return d.replace(year=year, day=28)
