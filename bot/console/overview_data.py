"""The figures of the 总览 for one area: a handful of aggregate queries, each carrying the area's clause, and no
query per row — a county of 300 villages reads in the same dozen queries as one village. The readings are the
features' own: task states as the chat and the ladder use them (handlers/tasks/progress.py, scheduler/
reminders.py), the 三会一课 cadence of handlers/meetings/cadence.py, the open event states of the patrol summary.
Lists come in org-path order or by date, never by a count (减负: no league tables)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from bot.console.scope import Area
from bot.roles import OrgKind
from bot.store.tables import (
    Broadcast,
    BroadcastRecipient,
    GridEvent,
    InterviewNotice,
    Meeting,
    Org,
    PatrolReport,
    Person,
    Reminder,
    Task,
    Trip,
)
from handlers.meetings.cadence import PREVIOUS, Status, reading_span, statuses_from
from handlers.patrol.summary import OPEN_STATES
from handlers.tasks.progress import STATUS_LABELS
from knowledge.rules import Rules
from scheduler.reminders import OPEN

# Each task in exactly one state, the order the bars stack in: 逾期 wins over 有困难/进行中 (it is still late).
STATES: tuple[tuple[str, str], ...] = (
    ("done", STATUS_LABELS["done"]),
    ("doing", STATUS_LABELS["in_progress"]),
    ("hard", STATUS_LABELS["blocked"]),
    ("late", "逾期"),
    ("open", STATUS_LABELS["open"]),
)
LEVELS = {OrgKind.CITY.value, OrgKind.COUNTY.value, OrgKind.TOWNSHIP.value}  # tops whose rows are their children
ROW_LEVELS = LEVELS | {OrgKind.VILLAGE.value}  # children shown even with nothing in them yet
OVERDUE_SHOWN = 10
EVENTS_SHOWN = 5
NOTICES_SHOWN = 5
WEEKS = 8


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    path: str


@dataclass
class TaskRow:
    unit: Unit
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k, _ in STATES})

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Overdue:
    id: int
    title: str
    org: str
    deadline: date
    late_days: int
    reached: int  # how many ladder steps have gone out (0: none yet)


@dataclass(frozen=True)
class GridGroup:
    """A village's grids this week: which have a filed patrol and which not, in roster order."""

    name: str
    grids: list[tuple[str, bool]]  # (grid, has a filed patrol this week)

    @property
    def missing(self) -> int:
        return sum(1 for _, seen in self.grids if not seen)


@dataclass(frozen=True)
class BranchYear:
    id: int
    name: str
    months: list[list[str]]  # per month of the year so far: the meeting types held
    statuses: list[Status]

    @property
    def behind(self) -> list[str]:
        return [f"{s.kind}（{PREVIOUS[s.period]}未开）" for s in self.statuses if s.behind]


@dataclass(frozen=True)
class EventItem:
    id: int
    receipt_no: str
    village: str
    category: str
    description: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class NoticeItem:
    id: int
    content: str
    audience: str
    sent_at: datetime | None
    recipients: int
    confirmed: int


@dataclass
class Overview:
    today: date
    week_start: date
    rows: list[TaskRow]
    ladder: list[str]
    overdue: list[Overdue]
    overdue_total: int
    overdue_at_step: list[int]  # index 0: no step yet; i: step i reached last
    drafts: int
    claims: int
    grids: list[GridGroup]
    branches: list[BranchYear]
    months: list[int]
    events_open: int
    events: list[EventItem]
    weeks: list[date]
    opened: list[int]
    closed: list[int]
    notices: list[NoticeItem]

    def total(self, state: str) -> int:
        return sum(r.counts[state] for r in self.rows)

    @property
    def tasks(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def grids_missing(self) -> int:
        return sum(g.missing for g in self.grids)

    @property
    def grids_total(self) -> int:
        return sum(len(g.grids) for g in self.grids)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def late_clause(today: date) -> ColumnElement[bool]:
    """Past its deadline and not done: the ladder's own test (scheduler/reminders.py plans it for these)."""
    return and_(Task.status.in_(OPEN), Task.deadline.is_not(None), Task.deadline < today)


def read(s: Session, area: Area, rules: Rules, tz: ZoneInfo, now: datetime) -> Overview:
    today = now.astimezone(tz).date()
    week_start = today - timedelta(days=today.weekday())
    top = top_of(s, area)
    rows = task_rows(s, area, top, today)
    ladder: list[str] = [step.step for step in rules.ladder]
    overdue, at_step = overdue_items(s, area, today, ladder)
    drafts, claims = waiting(s, area)
    weeks = [week_start - timedelta(weeks=k) for k in range(WEEKS - 1, -1, -1)]
    opened, closed = event_weeks(s, area, weeks, tz)
    events_open, events = open_events(s, area)
    return Overview(
        today=today,
        week_start=week_start,
        rows=rows,
        ladder=ladder,
        overdue=overdue,
        overdue_total=sum(at_step),
        overdue_at_step=at_step,
        drafts=drafts,
        claims=claims,
        grids=grid_week(s, area, top, week_start, today),
        branches=branch_year(s, area, rules, today),
        months=list(range(1, today.month + 1)),
        events_open=events_open,
        events=events,
        weeks=weeks,
        opened=opened,
        closed=closed,
        notices=recent_notices(s, area),
    )


# -- the area's top and the rows under it --------------------------------------------------------------


def top_of(s: Session, area: Area) -> Org | None:
    """The org the area is: the viewer's county, township or village; for an administrator the tree's one root
    (None when the tree has several roots: then they are the rows)."""
    if area.org_id is not None:
        return s.get(Org, area.org_id)
    roots = s.scalars(select(Org).where(Org.parent_id.is_(None)).limit(2)).all()
    return roots[0] if len(roots) == 1 else None


def relative(path: str, top: Org | None) -> str:
    """A path as the viewer reads it: below their top, joined with ·; their top itself by its name."""
    if top is None:
        return path.replace("/", " · ")
    if path == top.path:
        return top.name
    return path.removeprefix(top.path + "/").replace("/", " · ")


def unit_path(path: str, top: Org | None) -> str:
    """The row an org's figures count in: its ancestor one level below the top (the top itself for its own)."""
    if top is None:
        return path.split("/", 1)[0]
    if path == top.path:
        return top.path
    return top.path + "/" + path.removeprefix(top.path + "/").split("/", 1)[0]


def task_rows(s: Session, area: Area, top: Org | None, today: date) -> list[TaskRow]:
    late = late_clause(today)
    state = case(
        (Task.status == "done", "done"),
        (late, "late"),
        (Task.status == "blocked", "hard"),
        (Task.status == "in_progress", "doing"),
        else_="open",
    ).label("state")
    # grouped outside a subquery: PostgreSQL would not see two spellings of the CASE's parameters as one
    inner = (
        select(Org.path.label("path"), state)
        .select_from(Task)
        .join(Org, Task.org_id == Org.id)
        .where(area.holds(Task.org_id), Task.status != "archived")  # archived: no longer in the plan
        .subquery()
    )
    counted = s.execute(select(inner.c.path, inner.c.state, func.count()).group_by(inner.c.path, inner.c.state))
    by_unit: dict[str, dict[str, int]] = defaultdict(lambda: {k: 0 for k, _ in STATES})
    for path, st, n in counted:
        by_unit[unit_path(path, top)][st] += n
    if top is not None and top.kind not in LEVELS:
        unit = Unit(top.id, top.name, top.path)  # a village: one row, itself
        return [TaskRow(unit, by_unit.get(top.path) or {k: 0 for k, _ in STATES})]
    under = Org.parent_id == top.id if top is not None else Org.parent_id.is_(None)
    children = s.execute(select(Org.id, Org.name, Org.path, Org.kind).where(under, area.org_filter())).all()
    rows = [
        TaskRow(Unit(i, name, path), by_unit[path])
        for i, name, path, kind in sorted(children, key=lambda c: c.path)
        if kind in ROW_LEVELS or path in by_unit
    ]
    if top is not None and top.path in by_unit:  # the top's own tasks (the county's, the township's)
        rows.insert(0, TaskRow(Unit(top.id, f"{top.name}本级", top.path), by_unit[top.path]))
    return rows


# -- overdue and the ladder ----------------------------------------------------------------------------


def overdue_items(s: Session, area: Area, today: date, ladder: list[str]) -> tuple[list[Overdue], list[int]]:
    late = and_(area.holds(Task.org_id), late_clause(today))
    steps = s.execute(
        select(Reminder.task_id, Reminder.step).where(
            Reminder.kind == "ladder",
            Reminder.status == "sent",
            Reminder.task_id.in_(select(Task.id).where(late)),
        )
    ).all()
    reached: dict[int, int] = defaultdict(int)
    for task_id, step in steps:
        if step in ladder and task_id is not None:
            reached[task_id] = max(reached[task_id], ladder.index(step) + 1)
    total = s.scalar(select(func.count()).select_from(Task).where(late)) or 0
    at_step = [0] * (len(ladder) + 1)
    for n in reached.values():
        at_step[n] += 1
    at_step[0] = total - sum(at_step[1:])
    shown = s.execute(
        select(Task.id, Task.title, Task.deadline, Org.name)
        .join(Org, Task.org_id == Org.id)
        .where(late)
        .order_by(Task.deadline, Task.id)
        .limit(OVERDUE_SHOWN)
    ).all()
    items = [
        Overdue(i, title, org, deadline, (today - deadline).days, reached.get(i, 0))
        for i, title, deadline, org in shown
        if deadline is not None  # the clause above holds only dated tasks
    ]
    return items, at_step


# -- approvals -----------------------------------------------------------------------------------------


def waiting(s: Session, area: Area) -> tuple[int, int]:
    """约谈 drafts about an org in the area; 交通补助 claims by people of the area (as the 审批 page reads them)."""
    drafts = s.scalar(
        select(func.count())
        .select_from(InterviewNotice)
        .where(InterviewNotice.status == "draft", area.holds(InterviewNotice.target_org_id))
    )
    claims = s.scalar(
        select(func.count())
        .select_from(Trip)
        .join(Person, Trip.person_id == Person.id)
        .where(Trip.status == "pending", area.holds(Person.org_id))
    )
    return drafts or 0, claims or 0


# -- patrols -------------------------------------------------------------------------------------------


def grid_week(s: Session, area: Area, top: Org | None, start: date, today: date) -> list[GridGroup]:
    patrolled = (
        select(PatrolReport.org_id)
        .where(
            PatrolReport.status == "filed",
            PatrolReport.patrol_date >= start,
            PatrolReport.patrol_date <= today,
            area.holds(PatrolReport.org_id),
        )
        .distinct()
        .subquery()
    )
    grids = s.execute(
        select(Org.name, Org.path, patrolled.c.org_id)
        .outerjoin(patrolled, patrolled.c.org_id == Org.id)
        .where(Org.kind == OrgKind.GRID.value, area.org_filter())
    ).all()
    groups: dict[str, GridGroup] = {}
    for name, path, seen in sorted(grids, key=lambda g: g.path):
        parent = path.rsplit("/", 1)[0]
        groups.setdefault(parent, GridGroup(relative(parent, top), [])).grids.append((name, seen is not None))
    return list(groups.values())


# -- 三会一课 --------------------------------------------------------------------------------------------


def branch_year(s: Session, area: Area, rules: Rules, today: date) -> list[BranchYear]:
    cadence = rules.organisation.cadence
    first, last = reading_span(cadence, today)
    first, last = min(first, today.replace(month=1, day=1)), max(last, today)
    branches = s.execute(
        select(Org.id, Org.name, Org.path).where(Org.kind == OrgKind.BRANCH.value, area.org_filter())
    ).all()
    held: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for branch_id, kind, day in s.execute(
        select(Meeting.branch_id, Meeting.meeting_type, Meeting.held_on).where(
            Meeting.status == "filed",
            Meeting.held_on >= first,
            Meeting.held_on <= last,
            area.holds(Meeting.branch_id),
        )
    ):
        held[branch_id][kind].append(day)
    out = []
    for branch_id, name, _ in sorted(branches, key=lambda b: b.path):
        kinds = held.get(branch_id, {})
        months: list[list[str]] = [[] for _ in range(today.month)]
        for kind, days in kinds.items():
            for d in days:
                if d.year == today.year and d <= today and kind not in months[d.month - 1]:
                    months[d.month - 1].append(kind)
        out.append(BranchYear(branch_id, name, months, statuses_from(cadence, kinds, today)))
    return out


# -- grid events ---------------------------------------------------------------------------------------


def open_events(s: Session, area: Area) -> tuple[int, list[EventItem]]:
    where = and_(GridEvent.status.in_(OPEN_STATES), area.holds(GridEvent.village_id))
    count = s.scalar(select(func.count()).select_from(GridEvent).where(where)) or 0
    oldest = s.execute(
        select(
            GridEvent.id,
            GridEvent.receipt_no,
            Org.name,
            GridEvent.category,
            GridEvent.description,
            GridEvent.status,
            GridEvent.created_at,
        )
        .join(Org, GridEvent.village_id == Org.id)
        .where(where)
        .order_by(GridEvent.created_at, GridEvent.id)
        .limit(EVENTS_SHOWN)
    ).all()
    return count, [EventItem(i, no, v, c or "", d or "", st, at) for i, no, v, c, d, st, at in oldest]


def _by_week(s: Session, column: Any, weeks: list[date], tz: ZoneInfo, *where: ColumnElement[bool]) -> list[int]:
    edges = [local_midnight(w, tz) for w in weeks[1:]]
    week = case(*((column < edge, i) for i, edge in enumerate(edges)), else_=len(edges)).label("week")
    inner = select(week).where(column >= local_midnight(weeks[0], tz), *where).subquery()
    counts = [0] * len(weeks)
    for i, n in s.execute(select(inner.c.week, func.count()).group_by(inner.c.week)):
        counts[int(i)] = n
    return counts


def event_weeks(s: Session, area: Area, weeks: list[date], tz: ZoneInfo) -> tuple[list[int], list[int]]:
    """Events opened and events closed (办结) in each of the last weeks, Monday to Sunday, local time."""
    mine = area.holds(GridEvent.village_id)
    opened = _by_week(s, GridEvent.created_at, weeks, tz, mine)
    closed = _by_week(s, GridEvent.closed_at, weeks, tz, mine, GridEvent.status == "closed")
    return opened, closed


# -- notices -------------------------------------------------------------------------------------------


def recent_notices(s: Session, area: Area) -> list[NoticeItem]:
    latest = s.execute(
        select(Broadcast.id, Broadcast.content, Broadcast.audience, Broadcast.sent_at)
        .where(area.holds(Broadcast.scope_org_id))
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(NOTICES_SHOWN)
    ).all()
    if not latest:
        return []
    counts = {
        b: (n, c)
        for b, n, c in s.execute(
            select(BroadcastRecipient.broadcast_id, func.count(), func.count(BroadcastRecipient.confirmed_at))
            .where(BroadcastRecipient.broadcast_id.in_([row.id for row in latest]))
            .group_by(BroadcastRecipient.broadcast_id)
        )
    }
    return [NoticeItem(i, content, audience, sent, *counts.get(i, (0, 0))) for i, content, audience, sent in latest]
