"""三会一课情况: for each meeting type, whether the branch has held it in the current period and in the last
one (cadence from the rules file: monthly 支委会, quarterly 党员大会 …). A period that ended without the meeting
is 落后 — behind; the current one is only 未开 until it ends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.roles import OrgKind
from bot.store.tables import Meeting, Org
from handlers.context import Context
from handlers.meetings import branch as br
from handlers.orgs import scope_of
from knowledge.calendar import add_months, month_last

SPAN = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
CURRENT = {"month": "本月", "quarter": "本季度", "half_year": "本半年", "year": "本年度"}
PREVIOUS = {"month": "上月", "quarter": "上季度", "half_year": "上半年度", "year": "上年度"}
EVERY = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"}


@dataclass(frozen=True)
class Status:
    kind: str
    period: str
    current: list[date]
    previous: list[date]

    @property
    def behind(self) -> bool:
        return not self.previous

    def line(self) -> str:
        now = (
            f"{CURRENT[self.period]}已开{len(self.current)}次（{self.current[-1].month}月{self.current[-1].day}日）"
            if self.current
            else f"{CURRENT[self.period]}未开"
        )
        before = f"{PREVIOUS[self.period]}未开，落后" if self.behind else f"{PREVIOUS[self.period]}已开"
        return f"· {self.kind}（{EVERY[self.period]}）：{now}；{before}"


def bounds(period: str, day: date, back: int = 0) -> tuple[date, date]:
    span = SPAN[period]
    first_month = ((day.month - 1) // span) * span + 1
    y, m = add_months(day.year, first_month, -span * back)
    ey, em = add_months(y, m, span - 1)
    return date(y, m, 1), date(ey, em, month_last(ey, em))


def statuses(ctx: Context, branch: Org, today: date) -> list[Status]:
    out = []
    for kind, period in ctx.policy.rules.organisation.cadence.items():
        start, end = bounds(period, today)
        pstart, pend = bounds(period, today, back=1)
        held = list(
            ctx.session.scalars(
                select(Meeting.held_on)
                .where(
                    Meeting.branch_id == branch.id,
                    Meeting.meeting_type == kind,
                    Meeting.status == "filed",
                    Meeting.held_on >= pstart,
                    Meeting.held_on <= end,
                )
                .order_by(Meeting.held_on)
            )
        )
        out.append(
            Status(kind, period, [d for d in held if start <= d <= end], [d for d in held if pstart <= d <= pend])
        )
    return out


def reading_span(cadence: Mapping[str, str], today: date) -> tuple[date, date]:
    """The days `statuses_from` reads meetings over: the earliest last period's start to the latest current end."""
    spans = [(bounds(period, today, back=1)[0], bounds(period, today)[1]) for period in cadence.values()]
    if not spans:
        return today, today
    return min(s for s, _ in spans), max(e for _, e in spans)


def statuses_from(cadence: Mapping[str, str], held: Mapping[str, Iterable[date]], today: date) -> list[Status]:
    """What `statuses` says for one branch, from its filed meetings' dates by type already read — so a page can
    read every branch of an area in one query instead of one per branch and type."""
    out = []
    for kind, period in cadence.items():
        start, end = bounds(period, today)
        pstart, pend = bounds(period, today, back=1)
        days = sorted(held.get(kind, ()))
        out.append(
            Status(kind, period, [d for d in days if start <= d <= end], [d for d in days if pstart <= d <= pend])
        )
    return out


def branches_in(ctx: Context, scope: Org) -> list[Org]:
    if scope.kind == OrgKind.BRANCH.value:
        return [scope]
    return list(
        ctx.session.scalars(
            select(Org).where(Org.path.like(scope.path + "/%"), Org.kind == OrgKind.BRANCH.value).order_by(Org.path)
        )
    )


def cadence_text(ctx: Context) -> str:
    today = ctx.local_now.date()
    scope = scope_of(ctx.session, ctx.actor.org_id, ctx.actor.roles)
    own = br.branch_of(ctx.session, ctx.actor.org_id)
    if scope is None or scope.kind == OrgKind.VILLAGE.value:
        if own is None:
            return "您在名册中不属于任何党支部，暂无三会一课情况可查。"
        lines = [f"{own.name}三会一课情况（{today.year}年{today.month}月{today.day}日）"]
        lines += [s.line() for s in statuses(ctx, own, today)]
        return "\n".join(lines)
    lines = [f"{scope.name}三会一课情况（{today.year}年{today.month}月{today.day}日）"]
    branches = branches_in(ctx, scope)
    if not branches:
        lines.append("辖区内还没有党支部的名册。")
    for branch in branches:
        behind = [f"{s.kind}（{PREVIOUS[s.period]}未开）" for s in statuses(ctx, branch, today) if s.behind]
        lines.append(f"· {branch.name}：" + ("落后 " + "、".join(behind) if behind else "按期开展"))
    return "\n".join(lines)
