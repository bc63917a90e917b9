"""Questions about the asker's own records, answered from the database: 我这个月下村几次, 我们支部这季度开党课了吗,
我们村还有哪些任务没完成. Each answer names what it counted, so a person can check it against their own memory."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from bot.store.tables import Meeting, Task, Trip
from handlers.context import Context
from handlers.meetings import branch as br
from handlers.meetings.cadence import bounds
from handlers.tasks.progress import STATUS_LABELS, my_tasks
from knowledge.answers import Answer, Source
from knowledge.calendar import add_months, month_last
from knowledge.plan.recurrence import undated_label

OWN = r"(?:我们?|本人|咱(?:们)?|本)"
TRIPS = re.compile(
    OWN
    + r".{0,8}(?:这个?月|本月|上个?月|今年|这周|本周)?.{0,6}(?:下村|下乡|走访|去了?村里|去村).{0,6}(?:几次|几趟|多少次|多少趟|几回|多少户)"
    r"|" + OWN + r".{0,4}(?:这个?月|本月|上个?月|今年).{0,6}(?:去了?|跑了?).{0,6}(?:几次|几趟|几回)"
)
MEETING_KINDS = ("党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会")
KIND_NAMES = {"党员大会": "支部党员大会", "支委会": "支部委员会"}
MEETINGS = re.compile(
    OWN
    + r".{0,6}(?:支部|村|党小组).{0,8}(?:开|上|搞|召开|办)(?:过|了)?.{0,2}("
    + "|".join(MEETING_KINDS)
    + r")(?:了|没|吗|没有|几次|没开)"
)
TASKS = re.compile(
    OWN
    + r".{0,4}(?:村|镇|支部|乡).{0,6}(?:还有)?(?:哪些|什么|几项|多少)?(?:任务|工作).{0,8}(?:没完成|未完成|没做完|完成了多少|进度|情况|怎么样)"
)
PERIOD_WORDS = {
    "这季度": "quarter",
    "本季度": "quarter",
    "这个季度": "quarter",
    "这个月": "month",
    "本月": "month",
    "这月": "month",
    "今年": "year",
    "上半年": "half_year",
}


def asks_about_own_records(text: str) -> bool:
    return any(p.search(text) for p in (TASKS, MEETINGS, TRIPS))


def records_answer(ctx: Context, text: str) -> Answer | None:
    if TASKS.search(text):
        return tasks_answer(ctx)
    if m := MEETINGS.search(text):
        return meetings_answer(ctx, m.group(1), text)
    if TRIPS.search(text):
        return trips_answer(ctx, text)
    return None


def trips_answer(ctx: Context, text: str) -> Answer:
    today = ctx.local_now.date()
    if "上个月" in text or "上月" in text:
        y, m = add_months(today.year, today.month, -1)
        first, last, said = date(y, m, 1), date(y, m, month_last(y, m)), f"{m}月"
    elif "今年" in text:
        first, last, said = date(today.year, 1, 1), today, f"{today.year}年"
    else:
        first, last, said = date(today.year, today.month, 1), today, f"{today.month}月"
    trips = list(
        ctx.session.scalars(
            select(Trip)
            .where(
                Trip.person_id == ctx.actor.person_id,
                Trip.status.in_(("pending", "approved", "returned", "recorded")),
                Trip.trip_date >= first,
                Trip.trip_date <= last,
            )
            .order_by(Trip.trip_date, Trip.id)
        )
    )
    if not trips:
        body = f"您{said}还没有登记下村走访。走访后发「今天去李家村走访了5户」即可登记。"
    else:
        households = sum(t.households or 0 for t in trips)
        days = len({t.trip_date for t in trips})
        lines = [f"您{said}下村走访{len(trips)}次（{days}天，共{households}户）："]
        lines += [
            f"· {t.trip_date.month}月{t.trip_date.day}日 {t.village}" + (f" {t.households}户" if t.households else "")
            for t in trips[:10]
        ]
        if len(trips) > 10:
            lines.append(f"……另有{len(trips) - 10}次")
        lines.append("查补助发「我这个月补助多少」。")
        body = "\n".join(lines)
    return Answer(body, [Source("我的下村记录", "records")])


def meetings_answer(ctx: Context, asked: str, text: str) -> Answer:
    branch = br.branch_of(ctx.session, ctx.actor.org_id)
    if branch is None:
        return Answer("您在名册中不属于任何党支部，暂无会议记录可查。", [Source("本支部三会一课", "records")])
    kind = KIND_NAMES.get(asked, asked)
    cadence = ctx.policy.rules.organisation.cadence
    period = next((p for word, p in PERIOD_WORDS.items() if word in text), cadence.get(kind, "quarter"))
    today = ctx.local_now.date()
    first, last = bounds(period, today)
    said = {"month": "本月", "quarter": "本季度", "half_year": "本半年", "year": "今年"}[period]
    held = list(
        ctx.session.scalars(
            select(Meeting.held_on)
            .where(
                Meeting.branch_id == branch.id,
                Meeting.meeting_type == kind,
                Meeting.status == "filed",
                Meeting.held_on >= first,
                Meeting.held_on <= min(last, today),
            )
            .order_by(Meeting.held_on)
        )
    )
    if held:
        dates = "、".join(f"{d.month}月{d.day}日" for d in held)
        body = f"{branch.name}{said}开过{kind}{len(held)}次：{dates}。"
    else:
        left = (last - today).days
        body = f"{branch.name}{said}还没有登记{kind}（{said}还剩{left}天）。开完后发一句话即可登记。"
    return Answer(body + "\n发「三会一课情况」可查看各类会议。", [Source("本支部三会一课", "records")])


def tasks_answer(ctx: Context) -> Answer:
    today = ctx.local_now.date()
    tasks = my_tasks(ctx)
    done = ctx.session.scalar(
        select(func.count()).select_from(Task).where(Task.org_id == ctx.actor.org_id, Task.status == "done")
    )
    if not tasks:
        body = "您所在单位目前没有未完成的任务。" + (f"已完成{done}项。" if done else "")
        return Answer(body, [Source("本村任务", "records")])
    lines = [f"还有{len(tasks)}项任务未完成" + (f"（已完成{done}项）" if done else "") + "："]
    for t in tasks[:8]:
        if t.deadline is None:
            lines.append(f"· {t.title}：{STATUS_LABELS.get(t.status, t.status)}，{undated_label(t.recurrence)}")
            continue
        days = (t.deadline - today).days
        when = f"已逾期{-days}天" if days < 0 else ("今天到期" if days == 0 else f"还剩{days}天")
        lines.append(
            f"· {t.title}：{STATUS_LABELS.get(t.status, t.status)}，{t.deadline.month}月{t.deadline.day}日到期，{when}"
        )
    if len(tasks) > 8:
        lines.append(f"……另有{len(tasks) - 8}项")
    lines.append("报进度可以直接发「活动阵地提升已经完成了」。")
    return Answer("\n".join(lines), [Source("本村任务", "records")])
