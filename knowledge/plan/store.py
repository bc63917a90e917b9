"""Plans kept in the database (tables `plans`, `plan_sections`), and the plan the bot works from now.

Saving the same title and year again replaces that plan's sections (never a second copy); the saved plan becomes
its year's only active one. Until any plan is imported, the plan shipped in knowledge/plans/ stands in, so
questions about the plan can be answered from the first start."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.store.tables import WorkPlan, WorkPlanSection
from knowledge.plan.model import Deadline, Plan, Section, Target
from knowledge.plan.parser import parse_plan, read_document

SHIPPED_PLAN = Path(__file__).resolve().parent.parent / "plans" / "work-plan-2021.txt"


@dataclass
class Saved:
    record: WorkPlan
    replaced: bool  # the same title and year was stored before
    sections: int


@cache
def _shipped() -> Plan:
    return parse_plan(read_document(SHIPPED_PLAN))


def shipped_plan() -> Plan:
    """The plan that ships with cadrebot, parsed once; each caller gets its own copy to change as it likes."""
    return copy.deepcopy(_shipped())


def save_plan(
    session: Session, plan: Plan, source: str, text: str, imported_by: str, now: datetime | None = None
) -> Saved:
    year_is = WorkPlan.year.is_(None) if plan.year is None else WorkPlan.year == plan.year
    record = session.scalar(select(WorkPlan).where(WorkPlan.title == plan.title, year_is))
    replaced = record is not None
    if record is None:
        record = WorkPlan(title=plan.title, year=plan.year)
        session.add(record)
    record.source, record.text, record.imported_by = source[:200], text, imported_by[:100]
    record.imported_at, record.active = now or datetime.now(UTC), True
    session.flush()
    session.execute(update(WorkPlan).where(year_is, WorkPlan.id != record.id).values(active=False))
    session.execute(delete(WorkPlanSection).where(WorkPlanSection.plan_id == record.id))
    session.add_all(_row(record.id, n, s) for n, s in enumerate(plan.sections))
    session.flush()
    return Saved(record=record, replaced=replaced, sections=len(plan.sections))


def _row(plan_id: int, position: int, s: Section) -> WorkPlanSection:
    return WorkPlanSection(
        plan_id=plan_id,
        position=position,
        kind=s.kind,
        number=s.number[:16],
        code=s.code[:32],
        title=s.title[:500],
        parent=s.parent[:500],
        text=s.text,
        deadline_text=s.deadline_text,
        open_ended=s.open_ended,
        owner=s.owner[:200],
        recurrence=s.recurrence[:16],
        deadlines=[{"due": d.due.isoformat(), "raw": d.raw, "label": d.label} for d in s.deadlines],
        targets=[
            {"text": t.text, "value": t.value, "unit": t.unit, "qualifier": t.qualifier, "context": t.context}
            for t in s.targets
        ],
        level=s.level,
    )


def _section(row: WorkPlanSection) -> Section:
    def deadline(d: dict[str, Any]) -> Deadline:
        return Deadline(due=date.fromisoformat(d["due"]), raw=d["raw"], label=d.get("label", ""))

    return Section(
        kind=row.kind,
        title=row.title,
        text=row.text,
        number=row.number,
        parent=row.parent,
        deadlines=[deadline(d) for d in row.deadlines or []],
        targets=[Target(**t) for t in row.targets or []],
        level=row.level,
        code=row.code,
        deadline_text=row.deadline_text,
        open_ended=row.open_ended,
        owner=row.owner or "",
        recurrence=row.recurrence or "",
    )


def load_plan(session: Session, record: WorkPlan) -> Plan:
    rows = session.scalars(
        select(WorkPlanSection).where(WorkPlanSection.plan_id == record.id).order_by(WorkPlanSection.position)
    )
    return Plan(title=record.title, year=record.year, sections=[_section(r) for r in rows])


def active_record(session: Session) -> WorkPlan | None:
    """The newest active plan: the latest year, then the latest import."""
    return session.scalar(
        select(WorkPlan)
        .where(WorkPlan.active.is_(True))
        .order_by(WorkPlan.year.desc().nulls_last(), WorkPlan.imported_at.desc(), WorkPlan.id.desc())
        .limit(1)
    )


def current_plan(session: Session) -> Plan:
    """The plan the bot works from: the newest active stored plan, else the shipped one."""
    record = active_record(session)
    return load_plan(session, record) if record is not None else shipped_plan()


def current_plan_keyed(session: Session) -> tuple[object, Plan]:
    """The current plan and a key that changes whenever the plan does (another import, or the same one again),
    so whoever builds something from it (the question index) rebuilds only then."""
    record = active_record(session)
    if record is None:
        return ("shipped", SHIPPED_PLAN.name), shipped_plan()
    return _key(record), load_plan(session, record)


def current_plan_key(session: Session) -> object:
    """Only the key of the current plan: one small query, for callers that already hold the plan it names."""
    row = session.execute(
        select(WorkPlan.id, WorkPlan.imported_at)
        .where(WorkPlan.active.is_(True))
        .order_by(WorkPlan.year.desc().nulls_last(), WorkPlan.imported_at.desc(), WorkPlan.id.desc())
        .limit(1)
    ).first()
    return ("shipped", SHIPPED_PLAN.name) if row is None else ("stored", row.id, row.imported_at.isoformat())


def _key(record: WorkPlan) -> object:
    return ("stored", record.id, record.imported_at.isoformat())
