"""Loading work-plan tasks from a data file (knowledge/plan/*.toml) into the tasks table: one row per plan item
per organisation it applies to. Loading again updates titles and deadlines and never duplicates a task."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import OrgKind
from bot.store.tables import AuditLog, Org, Person, PersonRole, Task

DEMO_TASKS = Path(__file__).resolve().parent / "demo-tasks.toml"


class PlanItem(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=200)
    clause: str | None = None
    deadline: date
    level: str
    under: str = ""
    owner_role: str = "village_secretary"


class TasksFileError(Exception):
    pass


@dataclass
class LoadReport:
    items: int = 0
    created: int = 0
    updated: int = 0


def read(path: Path) -> list[PlanItem]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TasksFileError(f"{path}: {exc}") from None
    items = []
    for n, raw in enumerate(data.get("task", []), 1):
        try:
            item = PlanItem.model_validate(raw)
        except ValidationError as exc:
            raise TasksFileError(f"{path}: 第{n}项任务有误: {exc}") from None
        if item.level not in {k.value for k in OrgKind}:
            raise TasksFileError(f"{path}: 第{n}项任务的 level「{item.level}」应为 村、乡镇 等组织类型")
        items.append(item)
    return items


def owner_in(session: Session, org: Org, role: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(PersonRole)
        .join(Org, Person.org_id == Org.id)
        .where(
            PersonRole.role == role,
            Person.active.is_(True),
            (Org.id == org.id) | Org.path.like(org.path + "/%"),
        )
        .order_by(Person.id)
        .limit(1)
    )


def upsert_task(
    session: Session,
    task: Task | None,
    code: str,
    title: str,
    clause: str | None,
    deadline: date | None,
    org: Org,
    owner: Person | None,
    status: str = "open",
    owner_unit: str | None = None,
    recurrence: str | None = None,
) -> tuple[Task, str]:
    """Create one organisation's task, or bring an existing one up to date: "created", "updated" or "unchanged".
    An existing task keeps its status, history and owner (a missing owner is filled in). No deadline: a 长期
    task, never reminded (scheduler/reminders.py)."""
    if task is None:
        task = Task(
            code=code,
            title=title,
            clause=clause,
            deadline=deadline,
            org_id=org.id,
            owner_id=owner.id if owner else None,
            status=status,
            owner_unit=owner_unit,
            recurrence=recurrence,
        )
        session.add(task)
        return task, "created"
    wanted = (title, clause, deadline, owner_unit, recurrence)
    if (task.title, task.clause, task.deadline, task.owner_unit, task.recurrence) == wanted:
        return task, "unchanged"
    task.title, task.clause, task.deadline = title, clause, deadline
    task.owner_unit, task.recurrence = owner_unit, recurrence
    task.owner_id = task.owner_id or (owner.id if owner else None)
    return task, "updated"


def load(session: Session, path: Path, actor: str = "cli") -> LoadReport:
    report = LoadReport()
    for item in read(path):
        report.items += 1
        query = select(Org).where(Org.kind == item.level)
        if item.under:
            query = query.where((Org.path == item.under) | Org.path.like(item.under + "/%"))
        for org in session.scalars(query.order_by(Org.path)):
            owner = owner_in(session, org, item.owner_role)
            task = session.scalar(select(Task).where(Task.code == item.code, Task.org_id == org.id))
            _, change = upsert_task(session, task, item.code, item.title, item.clause, item.deadline, org, owner)
            report.created += change == "created"
            report.updated += change == "updated"
    session.add(
        AuditLog(
            actor=actor,
            action="tasks.load",
            target=path.name,
            detail={"created": report.created, "updated": report.updated},
        )
    )
    session.flush()
    return report
