"""本周巡查情况: a grid member's own week; a 书记/网格长 their village, a township cadre or supervisor their
villages, including who has not patrolled. People are listed in roster order, never ranked (减负: no
league tables), and names of those who have not patrolled go only to the people who manage them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.roles import OrgKind, Role
from bot.store.tables import GridEvent, Org, PatrolReport, Person, PersonRole
from handlers.context import Context
from handlers.orgs import scope_of, under
from knowledge.calendar import add_months, month_last

ASKS = re.compile(
    r"(?:巡查|巡逻)(?:的)?(?:情况|统计|汇总|记录|数据|次数|了几次|了多少次|几次|多少次|报表|进度)"
    r"|谁(?:还)?没(?:有)?(?:巡查|巡逻)|(?:没|未)(?:巡查|巡逻)的(?:人|有谁)"
)
OPEN_STATES = ("reported", "accepted", "dispatched", "handled")


def asks_for_summary(text: str) -> bool:
    return bool(ASKS.search(text)) and not re.search(r"台账|导出|下载", text)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str  # 本周, 上周, 本月 …

    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start.month}月{self.start.day}日"
        return f"{self.start.month}月{self.start.day}日—{self.end.month}月{self.end.day}日"


def period_of(text: str, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    if re.search(r"上周|上个?星期|上个?礼拜", text):
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), "上周")
    if re.search(r"上个?月", text):
        y, m = add_months(today.year, today.month, -1)
        return Period(date(y, m, 1), date(y, m, month_last(y, m)), "上月")
    if re.search(r"本月|这个?月|当月", text):
        return Period(today.replace(day=1), today, "本月")
    if re.search(r"今天|今日", text):
        return Period(today, today, "今天")
    return Period(monday, today, "本周")


@dataclass
class Tally:
    days: int = 0
    records: int = 0
    issues: int = 0
    solved: int = 0
    passed_on: int = 0


def tally(ctx: Context, period: Period, people: list[int]) -> dict[int, Tally]:
    rows = ctx.session.execute(
        select(PatrolReport.reporter_id, PatrolReport.patrol_date, PatrolReport.issues, PatrolReport.resolved).where(
            PatrolReport.reporter_id.in_(people),
            PatrolReport.status == "filed",
            PatrolReport.patrol_date >= period.start,
            PatrolReport.patrol_date <= period.end,
        )
    ).all()
    out: dict[int, Tally] = {p: Tally() for p in people}
    days: dict[int, set[date]] = {p: set() for p in people}
    for reporter, day, issues, resolved in rows:
        t = out[reporter]
        t.records += 1
        days[reporter].add(day)
        t.issues += issues or 0
        if issues:
            if resolved:
                t.solved += issues
            elif resolved is False:
                t.passed_on += issues
    for p, d in days.items():
        out[p].days = len(d)
    return out


def issues_text(t: Tally) -> str:
    if not t.issues:
        return "无异常" if t.records else "无记录"
    parts = [f"问题{t.issues}处"]
    if t.solved:
        parts.append(f"当场处理{t.solved}处")
    if t.passed_on:
        parts.append(f"转村里{t.passed_on}处")
    return "，".join(parts)


def grid_members(ctx: Context, org: Org) -> list[Person]:
    return list(
        ctx.session.scalars(
            select(Person)
            .join(PersonRole)
            .join(Org, Person.org_id == Org.id)
            .where(
                PersonRole.role == Role.GRID_MEMBER.value,
                Person.active.is_(True),
                (Org.id == org.id) | Org.path.like(org.path + "/%"),
            )
            .order_by(Person.id)
        )
    )


def open_events(ctx: Context, village_ids: list[int]) -> int:
    return (
        ctx.session.scalar(
            select(func.count())
            .select_from(GridEvent)
            .where(GridEvent.village_id.in_(village_ids), GridEvent.status.in_(OPEN_STATES))
        )
        or 0
    )


def own_summary(ctx: Context, period: Period) -> str:
    t = tally(ctx, period, [ctx.actor.person_id])[ctx.actor.person_id]
    head = f"您{period.name}的巡查情况（{period.label()}）"
    if not t.records:
        return f"{head}\n还没有巡查记录。巡查后发「今日巡查无异常」即可登记。"
    events = ctx.session.scalars(
        select(GridEvent)
        .where(GridEvent.reporter_id == ctx.actor.person_id, GridEvent.status.in_(OPEN_STATES))
        .order_by(GridEvent.id)
        .limit(5)
    ).all()
    from handlers.patrol.events import STATUS_LABELS

    lines = [head, f"巡查{t.days}天，共{t.records}条记录；{issues_text(t)}。"]
    if events:
        lines.append("未办结的事件：" + "；".join(f"{e.receipt_no} {STATUS_LABELS[e.status]}" for e in events))
    return "\n".join(lines)


def member_grid(ctx: Context, person: Person) -> str:
    org = ctx.session.get(Org, person.org_id)
    return org.name if org is not None and org.kind == OrgKind.GRID.value else ""


def village_block(ctx: Context, village: Org, period: Period, detailed: bool) -> list[str]:
    members = grid_members(ctx, village)
    tallies = tally(ctx, period, [m.id for m in members])
    patrolled = [m for m in members if tallies[m.id].records]
    total = Tally(
        records=sum(t.records for t in tallies.values()),
        issues=sum(t.issues for t in tallies.values()),
        solved=sum(t.solved for t in tallies.values()),
        passed_on=sum(t.passed_on for t in tallies.values()),
    )
    lines = [
        f"{village.name}：网格员{len(members)}人，已巡查{len(patrolled)}人，共{total.records}条记录，{issues_text(total)}。"
    ]
    if detailed:
        for m in patrolled:
            t = tallies[m.id]
            grid = member_grid(ctx, m)
            lines.append(f"· {m.name}{f'（{grid}）' if grid else ''}：巡查{t.days}天，{issues_text(t)}")
    missing = [m for m in members if not tallies[m.id].records]
    if missing:
        names = "、".join(f"{m.name}{f'（{member_grid(ctx, m)}）' if member_grid(ctx, m) else ''}" for m in missing)
        lines.append(f"{period.name}尚未巡查：{names}")
    waiting = open_events(ctx, [village.id])
    if waiting:
        lines.append(f"未办结事件：{waiting}件")
    return lines


def summary_text(ctx: Context, text: str) -> str:
    period = period_of(text, ctx.local_now.date())
    scope = scope_of(ctx.session, ctx.actor.org_id, ctx.actor.roles)
    if scope is None:
        return own_summary(ctx, period)
    if scope.kind == OrgKind.VILLAGE.value:
        return "\n".join(
            [f"{scope.name}{period.name}巡查情况（{period.label()}）", *village_block(ctx, scope, period, True)]
        )
    villages = under(ctx.session, scope, OrgKind.VILLAGE, limit=200)
    lines = [f"{scope.name}{period.name}巡查情况（{period.label()}）"]
    if not villages:
        lines.append("辖区内还没有村级组织的名册。")
    for village in villages:
        lines.extend(village_block(ctx, village, period, detailed=False))
    return "\n".join(lines)
