"""The monthly 三会一课台账: every filed meeting of one month under an org, as a print-ready Excel workbook.

Sheet 三会一课台账 lists the meetings (one line each, with a totals line); sheet 开展情况 gives one line per
党支部: how many of each meeting it held, and whether each meeting due by the local cadence (monthly, or
quarterly up to the month's end) was held. The CLI and the signed download link both call
`meeting_ledger_bytes`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from bot.roles import OrgKind
from bot.store.tables import Meeting, MeetingAbsence, Org, Person
from handlers.ledgers_common import (
    as_bytes,
    empty_row,
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
from knowledge.rules import MEETING_TYPES, Rules

SHEET = "三会一课台账"
STATUS_SHEET = "开展情况"
HEADERS = (
    "序号",
    "日期",
    "时间",
    "党支部",
    "党小组",
    "会议类型",
    "议题",
    "应到",
    "实到",
    "有表决权(应到/实到)",
    "缺席人员及原因",
    "法定人数",
    "选举",
    "登记人",
    "登记编号",
)
WIDTHS = (6, 11, 7, 14, 11, 11, 30, 6, 6, 11, 30, 8, 6, 8, 18)
EMPTY = "本月暂无会议记录"
NO_BRANCH = "范围内没有党支部"
HELD, NOT_HELD, NOT_DUE = "已开", "未开", "—"
GROUP_MEETING = "党小组会"
# which cadences the 开展情况 sheet checks, and how its column says so
CHECKED = {"month": "本月", "quarter": "本季度"}


@dataclass(frozen=True)
class Absentee:
    name: str
    reason: str | None
    on_leave: bool

    @property
    def text(self) -> str:
        """张强（外出务工，已请假）; 陈刚（未请假）."""
        leave = "已请假" if self.on_leave else "未请假"
        return f"{self.name}（{self.reason}，{leave}）" if self.reason else f"{self.name}（{leave}）"


@dataclass(frozen=True)
class MeetingRow:
    meeting_id: int
    held_on: date
    starts_at: datetime | None  # aware UTC
    branch_id: int
    branch: str
    branch_path: str
    group: str | None
    meeting_type: str
    topic: str | None
    expected: int | None
    present: int | None
    expected_voting: int | None
    present_voting: int | None
    absentees: tuple[Absentee, ...]
    quorum_ok: bool | None
    election: bool
    recorder: str
    receipt_no: str

    @property
    def voting(self) -> str | None:
        """21/19; a number not recorded shows as ？ rather than hiding the other."""
        if self.expected_voting is None and self.present_voting is None:
            return None
        return "/".join("？" if n is None else str(n) for n in (self.expected_voting, self.present_voting))

    @property
    def absence_text(self) -> str | None:
        return "；".join(a.text for a in self.absentees) or None

    @property
    def quorum(self) -> str:
        if self.quorum_ok is None:  # no quorum rule for the type, or the numbers were not given
            return NOT_DUE
        return "符合" if self.quorum_ok else "不足"


def meeting_rows(session: Session, scope: Org, year: int, month: int) -> list[MeetingRow]:
    """The filed (not withdrawn) meetings of the month whose 党支部 lies in `scope`."""
    start, end = month_bounds(year, month)
    branch, group = aliased(Org), aliased(Org)
    found = session.execute(
        select(Meeting, branch, group.name, Person.name)
        .join(branch, Meeting.branch_id == branch.id)
        .outerjoin(group, Meeting.group_id == group.id)
        .join(Person, Meeting.recorder_id == Person.id)
        .where(
            Meeting.status == "filed",
            Meeting.held_on >= start,
            Meeting.held_on < end,
            in_tree(branch.path, scope.path),
        )
        .options(selectinload(Meeting.absences))
    ).all()
    rows = [
        MeetingRow(
            meeting_id=meeting.id,
            held_on=meeting.held_on,
            starts_at=meeting.starts_at,
            branch_id=branch_org.id,
            branch=branch_org.name,
            branch_path=branch_org.path,
            group=group_name,
            meeting_type=meeting.meeting_type,
            topic=meeting.topic,
            expected=meeting.expected,
            present=meeting.present,
            expected_voting=meeting.expected_voting,
            present_voting=meeting.present_voting,
            absentees=tuple(_absentee(a) for a in meeting.absences),
            quorum_ok=meeting.quorum_ok,
            election=bool(meeting.election),
            recorder=recorder,
            receipt_no=meeting.receipt_no,
        )
        for meeting, branch_org, group_name, recorder in found
    ]
    # a meeting without a time sorts after the day's timed ones
    rows.sort(
        key=lambda r: (
            natural(r.branch_path),
            r.held_on,
            r.starts_at.timestamp() if r.starts_at else float("inf"),
            r.meeting_id,
        )
    )
    return rows


def _absentee(a: MeetingAbsence) -> Absentee:
    return Absentee(a.name, (a.reason or "").strip() or None, bool(a.on_leave))


def _type_order(meeting_type: str) -> int:
    return MEETING_TYPES.index(meeting_type) if meeting_type in MEETING_TYPES else len(MEETING_TYPES)


def totals_sentence(rows: Sequence[MeetingRow]) -> str:
    """会议5次：支部委员会2次、党小组会2次、主题党日1次。 (types in the 条例's order, only those held)."""
    if not rows:
        return "本月无会议记录。"
    counts = Counter(r.meeting_type for r in rows)
    parts = [f"{t}{counts[t]}次" for t in sorted(counts, key=lambda t: (_type_order(t), t))]
    return f"会议{len(rows)}次：{'、'.join(parts)}。"


# -- the workbook ---------------------------------------------------------------------------------------


def _detail_sheet(ws: Worksheet, scope: Org, rows: Sequence[MeetingRow], period: str, tz: ZoneInfo) -> None:
    lines = (
        (
            row.held_on,
            row.starts_at.astimezone(tz).strftime("%H:%M") if row.starts_at else None,
            row.branch,
            row.group,
            row.meeting_type,
            row.topic or None,
            row.expected,
            row.present,
            row.voting,
            row.absence_text,
            row.quorum,
            "是" if row.election else None,
            row.recorder,
            row.receipt_no,
        )
        for row in rows
    )
    r = table(
        ws,
        f"{scope.name}三会一课台账",
        period,
        HEADERS,
        WIDTHS,
        lines,
        empty=EMPTY,
        formats={2: "yyyy-mm-dd"},
        wrap={7, 11},  # 议题, 缺席人员及原因
        header_height=34,
    )
    absent = sum(len(row.absentees) for row in rows)
    totals = {2: len(rows), 7: totals_sentence(rows), 11: absent}
    totals_line(ws, r, len(HEADERS), totals, formats={2: '0"次"', 11: '"缺席"0"人次"'}, wrap=7)


def _branches(session: Session, scope: Org, rows: Sequence[MeetingRow]) -> list[Org]:
    """The 党支部 in scope, and any other org a meeting was filed under (listed rather than dropped)."""
    found = {
        o.id: o
        for o in session.scalars(select(Org).where(Org.kind == OrgKind.BRANCH.value, in_tree(Org.path, scope.path)))
    }
    for row in rows:
        if row.branch_id not in found:
            org = session.get(Org, row.branch_id)
            if org is not None:
                found[org.id] = org
    return sorted(found.values(), key=lambda o: natural(o.path))


def _period_start(year: int, month: int, cadence: str) -> date:
    if cadence == "quarter":
        return date(year, (month - 1) // 3 * 3 + 1, 1)
    return date(year, month, 1)


def _held(meeting_type: str, met: Sequence[int | None], groups: Sequence[Org]) -> str:
    """已开 / 未开 for one branch and one meeting type; `met` holds the 党小组 of each such meeting (None: the
    branch as a whole). A 党小组会 is due from every 党小组, so the ones that did not meet are named."""
    if meeting_type != GROUP_MEETING:
        return HELD if met else NOT_HELD
    if not groups:
        return HELD if met else NOT_DUE  # a branch without 党小组 holds no 党小组会
    if not met:
        return NOT_HELD
    if None in met:  # a meeting not tied to a group: cannot tell which groups met
        return HELD
    missing = [g.name for g in groups if g.id not in met]
    return f"{NOT_HELD}：{'、'.join(missing)}" if missing else HELD


def _status_sheet(
    session: Session,
    ws: Worksheet,
    scope: Org,
    rows: Sequence[MeetingRow],
    year: int,
    month: int,
    rules: Rules,
    period: str,
) -> None:
    cadence = rules.organisation.cadence
    checked = [(t, cadence[t]) for t in MEETING_TYPES if cadence.get(t) in CHECKED]
    headers = ("党支部", *MEETING_TYPES, "合计", *(f"{t}\n（{CHECKED[c]}）" for t, c in checked))
    widths = (16, *(8 for _ in MEETING_TYPES), 6, *(12 for _ in checked))
    ncols = len(headers)
    r = frame(ws, f"{scope.name}三会一课开展情况", period, headers, widths, header_height=34)
    branches = _branches(session, scope, rows)
    if not branches:
        r = empty_row(ws, r, ncols, NO_BRANCH)
    ids = [b.id for b in branches]
    counts: Counter[tuple[int, str]] = Counter((row.branch_id, row.meeting_type) for row in rows)
    # what was held since the start of each checked period (a quarter reaches back before this month)
    since = min((_period_start(year, month, c) for _, c in checked), default=date(year, month, 1))
    _, end = month_bounds(year, month)
    met: dict[tuple[int, str], list[tuple[date, int | None]]] = defaultdict(list)
    groups: dict[int, list[Org]] = defaultdict(list)
    if ids:
        for branch_id, group_id, meeting_type, held_on in session.execute(
            select(Meeting.branch_id, Meeting.group_id, Meeting.meeting_type, Meeting.held_on).where(
                Meeting.status == "filed", Meeting.held_on >= since, Meeting.held_on < end, Meeting.branch_id.in_(ids)
            )
        ):
            met[(branch_id, meeting_type)].append((held_on, group_id))
        for group in session.scalars(select(Org).where(Org.kind == OrgKind.PARTY_GROUP.value, Org.parent_id.in_(ids))):
            if group.parent_id is not None:
                groups[group.parent_id].append(group)
    not_held: Counter[str] = Counter()
    for branch in branches:
        mine = [counts[(branch.id, t)] for t in MEETING_TYPES]
        marks: list[str] = []
        for t, c in checked:
            start = _period_start(year, month, c)
            held = [g for day, g in met[(branch.id, t)] if day >= start]
            mark = _held(t, held, sorted(groups[branch.id], key=lambda o: natural(o.name)))
            not_held[t] += mark.startswith(NOT_HELD)
            marks.append(mark)
        values = (branch.name, *mine, sum(mine), *marks)
        for col, value in enumerate(values, start=1):
            put(ws, r, col, value)
        r += 1
    totals = [sum(counts[(b.id, t)] for b in branches) for t in MEETING_TYPES]
    for col, value in enumerate(("合计", *totals, sum(totals)), start=1):
        put(ws, r, col, value, bold=True)
    for col, (t, _) in enumerate(checked, start=len(MEETING_TYPES) + 3):
        put(ws, r, col, not_held[t], bold=True, fmt='"未开"0"个"')
    print_area(ws, r, ncols)


def build_meeting_ledger(
    session: Session,
    scope: Org,
    year: int,
    month: int,
    tz: ZoneInfo,
    now: datetime,
    rules: Rules,
    rows: Iterable[MeetingRow] | None = None,
) -> Workbook:
    """The 三会一课台账 workbook for `scope` and the month; `rows` saves a query when the caller has them."""
    found = list(rows) if rows is not None else meeting_rows(session, scope, year, month)
    period = period_line(scope, year, month, tz, now)
    return workbook(
        (SHEET, lambda ws: _detail_sheet(ws, scope, found, period, tz)),
        (STATUS_SHEET, lambda ws: _status_sheet(session, ws, scope, found, year, month, rules, period)),
    )


meeting_ledger_bytes = as_bytes(build_meeting_ledger)


def meeting_ledger_filename(scope: Org, month: str) -> str:
    return f"{scope.name}三会一课台账-{month}.xlsx"
