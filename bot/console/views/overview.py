"""总览: the state of the work in the viewer's area — the plan's tasks by state per township or village, where the
overdue ones are on the ladder, what waits for approval, this week's patrols by grid, 三会一课 by branch, open
grid events and the latest notices, with charts drawn on the server. People who manage nobody get their own
short page. The figures come from bot/console/overview_data.py, every query within the viewer's area."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from bot.console import charts
from bot.console.nav import MANAGE, SUPERVISE
from bot.console.overview_data import STATES, Overview, read
from bot.console.web import Call, Console
from handlers.patrol.events import STATUS_LABELS as EVENT_LABELS
from knowledge.rules import rules_from

COLOURS = {"done": "#2e7d32", "doing": "#1565c0", "hard": "#ef6c00", "late": "#c62828", "open": "#9e9e9e"}
TASK_SERIES = [charts.Series(key, label, COLOURS[key]) for key, label in STATES]
EVENT_SERIES = [charts.Series("opened", "新增", "#1565c0"), charts.Series("closed", "办结", "#2e7d32")]
FOLDED_OVER = 30  # longer lists (a county's villages) open on a tap instead of filling the page


def show(call: Call) -> Response:
    if not call.viewer.has(*MANAGE):
        return call.render("home_member.html")
    console = call.console
    rules = rules_from(console.settings.rules_file)
    with console.session() as s:
        data = read(s, call.viewer.area, rules, console.tz, console.now())
    return call.render(
        "overview.html",
        o=data,
        states=STATES,
        approvals=call.viewer.has(*SUPERVISE),
        event_labels=EVENT_LABELS,
        folded_over=FOLDED_OVER,
        task_chart=task_chart(data),
        meeting_chart=meeting_chart(data),
        event_chart=event_chart(data),
    )


def task_chart(o: Overview) -> Markup:
    bars = [charts.Bar(r.unit.name, r.counts) for r in o.rows]
    return charts.stacked_bars("各单位任务进展", bars, TASK_SERIES)


def meeting_chart(o: Overview) -> Markup:
    columns = [f"{m}月" for m in o.months]
    rows = []
    for branch in o.branches:
        cells = []
        for m, kinds in zip(o.months, branch.months, strict=True):
            current = m == o.today.month
            if kinds:
                state, title = "yes", f"{branch.name} {m}月：" + "、".join(kinds)
            elif current:
                state, title = "open", f"{branch.name} {m}月：本月尚未登记会议"
            else:
                state, title = "no", f"{branch.name} {m}月：未开"
            cells.append(charts.Cell(state, title))
        rows.append((branch.name, cells))
    return charts.month_grid(f"{o.today.year}年各支部每月三会一课", columns, rows)


def event_chart(o: Overview) -> Markup:
    columns = [f"{w.month}/{w.day}" for w in o.weeks]
    return charts.paired_bars("近8周网格事件：新增与办结", columns, EVENT_SERIES, [o.opened, o.closed])


def add(router: APIRouter, console: Console) -> None:
    """/console itself is routed in bot/console/routes.py: unsigned, it starts the app's own sign-in."""
