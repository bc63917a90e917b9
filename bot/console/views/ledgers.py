"""台账: the monthly ledgers of an org in the viewer's area — the same Excel files the CLI and the chat's links give
(handlers/ledgers.py) — chosen by month and org, each downloaded with its Chinese file name and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.pages import HEADERS, notice
from bot.console.web import Call, Console
from bot.exports import XLSX, content_disposition
from bot.roles import OrgKind
from bot.store.tables import Org
from handlers.ledgers import LEDGERS, render
from handlers.ledgers_common import parse_month
from handlers.meetings.ledger import meeting_rows
from handlers.patrol.ledger import ledger_rows
from handlers.trips.ledger import trip_rows
from knowledge.rules import rules_from

MONTHS_SHOWN = 24
# the orgs a ledger is kept for; grids and 党小组 are lines inside their village's and branch's ledgers
KEPT_BY = (
    OrgKind.CITY.value,
    OrgKind.COUNTY.value,
    OrgKind.TOWNSHIP.value,
    OrgKind.VILLAGE.value,
    OrgKind.BRANCH.value,
)
WHAT = {
    "patrols": "网格员的每次巡查，另附各村汇总",
    "meetings": "三会一课每次会议，另附各党支部开展情况",
    "trips": "下村走访每次一行，含补助申领状态",
    "subsidy": "已审批的交通补助，按人小计，留领款签字栏",
}


@dataclass(frozen=True)
class Choice:
    value: str
    text: str


@dataclass(frozen=True)
class Ledger:
    kind: str
    label: str
    what: str
    records: int
    noun: str
    href: str


class BadChoice(ValueError):
    """A month or org the page cannot use; the message says why, in Chinese."""


def months(now: datetime, tz: ZoneInfo, chosen: str) -> list[Choice]:
    local = now.astimezone(tz)
    year, month = local.year, local.month
    found = []
    for _ in range(MONTHS_SHOWN):
        found.append(Choice(f"{year:04d}-{month:02d}", f"{year}年{month}月"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if chosen and chosen not in {c.value for c in found}:
        y, m = parse_month(chosen)
        found.insert(0, Choice(chosen, f"{y}年{m}月"))
    return found


def month_of(text: str, now: datetime, tz: ZoneInfo) -> tuple[int, int]:
    try:
        year, month = parse_month(text)
    except ValueError:
        raise BadChoice("月份格式应为 2026-03 这样的年-月。") from None
    local = now.astimezone(tz)
    if (year, month) > (local.year, local.month):
        raise BadChoice("还没到这个月份，请选择本月或以前的月份。")
    if year < 2000:
        raise BadChoice("请选择 2000 年以后的月份。")
    return year, month


def orgs_in(s: Session, call: Call) -> list[Org]:
    area = call.viewer.area
    return list(s.scalars(select(Org).where(area.org_filter(), Org.kind.in_(KEPT_BY)).order_by(Org.path)))


def org_in_area(s: Session, call: Call, raw: str) -> Org | None:
    """The org the page names, only if it lies in the viewer's area (the area is in the query)."""
    if not raw.isdigit():
        return None
    return s.scalar(select(Org).where(Org.id == int(raw), call.viewer.area.org_filter()))


def default_org(call: Call, orgs: list[Org]) -> Org | None:
    """The top of the viewer's area; an administrator's is the top of the tree."""
    top = call.viewer.area.org_id
    return next((o for o in orgs if o.id == top), None) or (
        min(orgs, key=lambda o: o.path.count("/")) if orgs else None
    )


def indent(org: Org, orgs: list[Org]) -> str:
    top = min(o.path.count("/") for o in orgs)
    return "　" * (org.path.count("/") - top) + org.name


def counts(s: Session, org: Org, year: int, month: int) -> dict[str, int]:
    """What each ledger of the month will list, read by the ledgers' own queries."""
    trips = trip_rows(s, org, year, month)
    return {
        "patrols": len(ledger_rows(s, org, year, month)),
        "meetings": len(meeting_rows(s, org, year, month)),
        "trips": len(trips),
        "subsidy": sum(1 for t in trips if t.status == "approved"),
    }


def add(router: APIRouter, console: Console) -> None:
    @console.route(router, "/console/ledgers")
    def ledgers(call: Call) -> Response:
        now = console.now()
        chosen = call.query("month") or f"{now.astimezone(console.tz):%Y-%m}"
        with console.session() as s:
            orgs = orgs_in(s, call)
            org = org_in_area(s, call, call.query("org")) if call.query("org") else default_org(call, orgs)
            if org is None:
                return console.not_found()
            try:
                year, month = month_of(chosen, now, console.tz)
            except BadChoice as exc:
                return call.render(
                    "ledgers.html",
                    400,
                    errors=[str(exc)],
                    months=months(now, console.tz, ""),
                    orgs=[Choice(str(o.id), indent(o, orgs)) for o in orgs],
                    org=org,
                    month="",
                    period="",
                    ledgers=[],
                )
            month_text = f"{year:04d}-{month:02d}"
            found = counts(s, org, year, month)
            shown = [
                Ledger(
                    kind=kind,
                    label=ledger.label,
                    what=WHAT.get(kind, ""),
                    records=found.get(kind, 0),
                    noun=ledger.noun,
                    href=f"/console/ledgers/{kind}.xlsx?month={month_text}&org={org.id}",
                )
                for kind, ledger in LEDGERS.items()
            ]
            choices = [Choice(str(o.id), indent(o, orgs)) for o in orgs]
            if org.id not in {o.id for o in orgs}:  # a grid or a 党小组 named in the link: shown as chosen
                choices.insert(0, Choice(str(org.id), org.name))
            return call.render(
                "ledgers.html",
                errors=[],
                months=months(now, console.tz, month_text),
                orgs=choices,
                org=org,
                month=month_text,
                period=f"{year}年{month}月",
                ledgers=shown,
            )

    @console.route(router, "/console/ledgers/{kind}.xlsx")
    def download(call: Call) -> Response:
        kind = call.path("kind")
        if kind not in LEDGERS:
            return notice("没有这种台账", "请回到台账页面重新选择。", 404, ("返回台账", "/console/ledgers"))
        now = console.now()
        try:
            year, month = month_of(call.query("month"), now, console.tz)
        except BadChoice as exc:
            return notice("无法导出", str(exc), 400, ("返回台账", "/console/ledgers"))
        month_text = f"{year:04d}-{month:02d}"
        with console.session() as s:
            org = org_in_area(s, call, call.query("org"))
            if org is None:
                return console.not_found()
            rules = rules_from(console.settings.rules_file)
            rendered = render(s, kind, org, year, month, console.tz, now, rules)
            console.audit(
                s, call.viewer, "console.ledger", f"{org.path} {month_text}"[:200], kind=kind, records=rendered.records
            )
        return Response(
            rendered.body,
            media_type=XLSX,
            headers={**HEADERS, "Content-Disposition": content_disposition(rendered.filename, rendered.fallback)},
        )
