"""The monthly 巡查台账: every filed patrol of one month under an org, as a print-ready Excel workbook.

Sheet 巡查台账 lists the records (one line each, with a totals line); sheet 汇总 gives one line per village.
The workbook is built from the session alone; the CLI and the signed download link both call `ledger_bytes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.roles import OrgKind, Role
from bot.store.tables import Attachment, GridEvent, Org, PatrolReport, Person, PersonRole
from handlers.context import Policy
from handlers.ledgers_common import (
    as_bytes,
    export_link,
    frame,
    in_tree,
    month_bounds,
    natural,
    period_line,
    print_area,
    put,
    table,
    totals_line,
    workbook,
)
from handlers.ledgers_common import parse_month as parse_month  # re-exported: callers import it from here
from handlers.orgs import ancestor, within
from handlers.patrol.events import STATUS_LABELS

SHEET = "巡查台账"
SUMMARY_SHEET = "汇总"
HEADERS = (
    "序号",
    "巡查日期",
    "村",
    "网格",
    "网格员",
    "巡查情况",
    "问题类别",
    "情况说明",
    "处理情况",
    "事件编号",
    "事件状态",
    "照片",
    "登记编号",
    "登记时间",
)
WIDTHS = (6, 11, 10, 8, 9, 13, 10, 36, 12, 18, 13, 6, 18, 12)
SUMMARY_HEADERS = ("村", "网格员人数", "已巡查人数", "巡查记录数", "发现问题数", "当场处理", "转村里处理", "未办结事件")
SUMMARY_WIDTHS = (14, 11, 11, 11, 11, 10, 11, 11)
OPEN_EVENT = frozenset({"reported", "accepted", "dispatched", "handled"})
EMPTY = "本月暂无巡查记录"


@dataclass(frozen=True)
class LedgerRow:
    report_id: int
    patrol_date: date
    village: str
    village_path: str
    grid: str
    reporter_id: int
    reporter: str
    issues: int
    category: str | None
    description: str | None
    resolved: bool | None
    event_no: str | None
    event_status: str | None  # the code (reported, closed, …); STATUS_LABELS gives the words
    photos: int
    receipt_no: str
    filed_at: datetime  # aware UTC

    @property
    def finding(self) -> str:
        return f"发现问题{self.issues}处" if self.issues else "无异常"

    @property
    def handling(self) -> str | None:
        if not self.issues or self.resolved is None:
            return None
        return "已当场处理" if self.resolved else "需村里处理"


def ledger_rows(session: Session, scope: Org, year: int, month: int) -> list[LedgerRow]:
    """The filed (not withdrawn) patrols of the month whose grid or village lies in `scope`."""
    start, end = month_bounds(year, month)
    village = aliased(Org)
    found = session.execute(
        select(PatrolReport, Org, Person.name, village)
        .join(Org, PatrolReport.org_id == Org.id)
        .join(Person, PatrolReport.reporter_id == Person.id)
        .outerjoin(village, PatrolReport.village_id == village.id)
        .where(
            PatrolReport.status == "filed",
            PatrolReport.patrol_date >= start,
            PatrolReport.patrol_date < end,
            in_tree(Org.path, scope.path),
        )
    ).all()
    ids = [report.id for report, *_ in found]
    photos: dict[int, int] = {}
    events: dict[int, tuple[str, str]] = {}
    if ids:
        photos = {
            owner: count
            for owner, count in session.execute(
                select(Attachment.owner_id, func.count())
                .where(Attachment.owner_kind == "patrol", Attachment.kind == "image", Attachment.owner_id.in_(ids))
                .group_by(Attachment.owner_id)
            )
        }
        events = {
            report_id: (receipt, status)
            for report_id, receipt, status in session.execute(
                select(GridEvent.report_id, GridEvent.receipt_no, GridEvent.status).where(GridEvent.report_id.in_(ids))
            )
            if report_id is not None  # the in_() above, restated for mypy
        }
    rows: list[LedgerRow] = []
    for report, org, reporter, village_org in found:
        home = village_org or ancestor(session, org.id, OrgKind.VILLAGE) or org
        event = events.get(report.id)
        rows.append(
            LedgerRow(
                report_id=report.id,
                patrol_date=report.patrol_date,
                village=home.name,
                village_path=home.path,
                grid=report.grid,
                reporter_id=report.reporter_id,
                reporter=reporter,
                issues=report.issues or 0,
                category=report.category if report.issues else None,
                description=report.description,
                resolved=report.resolved,
                event_no=event[0] if event else None,
                event_status=event[1] if event else None,
                photos=photos.get(report.id, 0),
                receipt_no=report.receipt_no,
                filed_at=report.filed_at,
            )
        )
    rows.sort(key=lambda r: (natural(r.village_path), natural(r.grid), r.patrol_date, r.report_id))
    return rows


@dataclass(frozen=True)
class Totals:
    records: int
    people: int
    issues: int
    on_the_spot: int
    to_village: int
    photos: int
    open_events: int

    @classmethod
    def of(cls, rows: Sequence[LedgerRow]) -> Totals:
        return cls(
            records=len(rows),
            people=len({r.reporter_id for r in rows}),
            issues=sum(r.issues for r in rows),
            on_the_spot=sum(r.issues for r in rows if r.resolved is True),
            to_village=sum(r.issues for r in rows if r.resolved is False),
            photos=sum(r.photos for r in rows),
            open_events=sum(1 for r in rows if r.event_status in OPEN_EVENT),
        )

    @property
    def sentence(self) -> str:
        return (
            f"巡查记录{self.records}条，网格员{self.people}人，发现问题{self.issues}处，"
            f"其中当场处理{self.on_the_spot}处、转村里处理{self.to_village}处。"
        )


# -- the workbook ---------------------------------------------------------------------------------------


def _detail_sheet(ws: Worksheet, scope: Org, rows: Sequence[LedgerRow], period: str, tz: ZoneInfo) -> None:
    lines = (
        (
            row.patrol_date,
            row.village,
            row.grid,
            row.reporter,
            row.finding,
            row.category or None,
            row.description or None,
            row.handling,
            row.event_no,
            STATUS_LABELS.get(row.event_status, row.event_status) if row.event_status else None,
            row.photos,
            row.receipt_no,
            row.filed_at.astimezone(tz).strftime("%m-%d %H:%M"),
        )
        for row in rows
    )
    title = f"{scope.name}网格巡查台账"
    r = table(ws, title, period, HEADERS, WIDTHS, lines, empty=EMPTY, formats={2: "yyyy-mm-dd"}, wrap={8})
    t = Totals.of(rows)
    # numbers stay numbers (they add up in Excel); the formats make them read as words on paper
    totals = {2: t.records, 5: t.people, 6: t.issues, 8: t.sentence, 9: t.on_the_spot, 10: t.to_village, 12: t.photos}
    formats = {2: '0"条"', 5: '0"人"', 6: '"发现问题"0"处"', 9: '"当场处理"0"处"', 10: '"转村里处理"0"处"'}
    totals_line(ws, r, len(HEADERS), totals, formats=formats, wrap=8)


def _villages(session: Session, scope: Org) -> list[Org]:
    if scope.kind == OrgKind.VILLAGE.value:
        return [scope]
    found = list(
        session.scalars(
            select(Org).where(Org.kind == OrgKind.VILLAGE.value, Org.path.startswith(scope.path + "/", autoescape=True))
        )
    )
    # a grid (or a place with no villages) stands for itself
    return sorted(found, key=lambda o: natural(o.path)) or [scope]


def _grid_members(session: Session, org: Org) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(Person.id)))
            .join(PersonRole, PersonRole.person_id == Person.id)
            .join(Org, Person.org_id == Org.id)
            .where(PersonRole.role == Role.GRID_MEMBER.value, Person.active.is_(True), in_tree(Org.path, org.path))
        )
        or 0
    )


def _summary_sheet(session: Session, ws: Worksheet, scope: Org, rows: Sequence[LedgerRow], period: str) -> None:
    r = frame(ws, f"{scope.name}网格巡查汇总", period, SUMMARY_HEADERS, SUMMARY_WIDTHS)
    villages = _villages(session, scope)
    left = list(rows)
    lines: list[tuple[str, int | None, Sequence[LedgerRow]]] = []
    for village in villages:
        mine = [row for row in left if within(row.village_path, village.path)]
        left = [row for row in left if not within(row.village_path, village.path)]
        lines.append((village.name, _grid_members(session, village), mine))
    if left:  # filed somewhere no village covers; listed rather than silently dropped
        lines.append(("其他", None, left))
    members_total = 0
    for name, members, theirs in lines:
        t = Totals.of(theirs)
        members_total += members or 0
        values = (name, members, t.people, t.records, t.issues, t.on_the_spot, t.to_village, t.open_events)
        for col, value in enumerate(values, start=1):
            put(ws, r, col, value)
        r += 1
    t = Totals.of(rows)
    values = ("合计", members_total, t.people, t.records, t.issues, t.on_the_spot, t.to_village, t.open_events)
    for col, total in enumerate(values, start=1):
        put(ws, r, col, total, bold=True)
    print_area(ws, r, len(SUMMARY_HEADERS))


def build_ledger(
    session: Session,
    scope: Org,
    year: int,
    month: int,
    tz: ZoneInfo,
    now: datetime,
    rows: Iterable[LedgerRow] | None = None,
) -> Workbook:
    """The 巡查台账 workbook for `scope` and the month; `rows` saves a second query when the caller has them."""
    found = list(rows) if rows is not None else ledger_rows(session, scope, year, month)
    period = period_line(scope, year, month, tz, now)
    return workbook(
        (SHEET, lambda ws: _detail_sheet(ws, scope, found, period, tz)),
        (SUMMARY_SHEET, lambda ws: _summary_sheet(session, ws, scope, found, period)),
    )


ledger_bytes = as_bytes(build_ledger)


def ledger_filename(scope: Org, month: str) -> str:
    return f"{scope.name}巡查台账-{month}.xlsx"


def ledger_link(policy: Policy, person_id: int, org_path: str, month: str, now: datetime) -> str | None:
    """A signed download link for the chat; None when links are not configured."""
    return export_link(policy, "patrols", person_id, org_path, month, now)
