"""A trip message opens the trip form; 我这个月补助多少 answers with the lines behind the sum."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from bot.store.tables import Trip
from handlers.context import Context
from handlers.forms import engine
from handlers.registry import handles
from handlers.trips import form as trip_form  # registers the form
from handlers.trips.filing import STATUS_LABELS
from handlers.trips.subsidy import eligible, yuan
from knowledge.calendar import add_months, month_last

assert trip_form.TRIP
MONTH = re.compile(r"(?P<m>1[0-2]|[1-9])月")


@handles("trip")
def trip(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    engine.begin(ctx, "trip", {**u.fields, "text": u.text}, u.text)


def month_asked(text: str, today: date) -> tuple[int, int]:
    if re.search(r"上个?月", text):
        return add_months(today.year, today.month, -1)
    m = MONTH.search(text)
    if m:
        month = int(m.group("m"))
        return (today.year if month <= today.month else today.year - 1), month
    return today.year, today.month


def subsidy_text(ctx: Context, text: str) -> str:
    rules = ctx.policy.rules.subsidy
    year, month = month_asked(text, ctx.local_now.date())
    trips = ctx.session.scalars(
        select(Trip)
        .where(
            Trip.person_id == ctx.actor.person_id,
            Trip.trip_date >= date(year, month, 1),
            Trip.trip_date <= date(year, month, month_last(year, month)),
            Trip.status.in_(("pending", "approved", "returned", "recorded")),
        )
        .order_by(Trip.trip_date, Trip.id)
    ).all()
    head = f"您{month}月的{rules.name}"
    if not trips:
        if not eligible(rules, ctx.actor.roles):
            return f"{head}：您的岗位不在补助范围内。走访照常可以登记。"
        return f"{head}：还没有走访记录。发「今天去李家村走访了5户」即可登记。"
    lines = [head + "："]
    approved = pending = Decimal(0)
    for t in trips:
        day = f"{t.trip_date.month}月{t.trip_date.day}日"
        if t.status in ("pending", "approved"):
            lines.append(f"· {day} {t.village} {yuan(t.amount)} {STATUS_LABELS[t.status]}")
            if t.status == "approved":
                approved += t.amount or 0
            else:
                pending += t.amount or 0
        elif t.status == "returned":
            lines.append(f"· {day} {t.village} 已退回（{t.return_reason}）")
        else:
            lines.append(f"· {day} {t.village} 不计（{t.rule_note or '未申报'}）")
    total = f"合计：已通过{yuan(approved)}，待审批{yuan(pending)}"
    if rules.monthly_cap is not None:
        total += f"；每月上限{yuan(rules.monthly_cap)}"
    lines.append(total + "。")
    if rules.basis:
        lines.append(f"依据：{rules.basis}")
    return "\n".join(lines)
