"""A parsed work plan → tasks for the reminder engine, and the whole import (plan stored, tasks made) in one go.

Each deadline of each plan task becomes one task per organisation of the task's level (the same upsert as the
TOML tasks file, knowledge/plan/tasks_file.py):

    村      every village, owned by its 村党组织书记
    乡镇    every township, owned by its first 乡镇干部 or 督导
    县 / 市 the orgs of that kind on the roster, else the top of the roster, owned by a 督导 there
    unknown the top of the roster, owned by a 督导 there

Codes carry the plan's year, so two years' plans never collide on the same item: 2021年1-1; a task with two
milestones gives 2021年1-2-a and 2021年1-2-b, titled with what is due ("抓好乡镇领导班子换届：完成乡镇党委换届").
A task with no deadline (长期坚持, 每月…, or none written) is a task all the same, with no deadline: listed as 长期
wherever tasks are listed, never reminded and never laddered. Its 责任单位 and recurrence are kept on it.

A task whose deadline has already passed when it is first imported is stored as "archived": kept for the record
and for questions, but never reminded and never laddered — a plan imported late must not open a flood of 提示,
催办, 通报 and 约谈 drafts for work nobody was asked about in time. Importing again with a deadline today or
later re-opens it. A task that an updated plan no longer has (or no longer gives to that organisation) is
archived too, unless it was reported done. Everything else (status, progress history, owner) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from string import ascii_lowercase

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import OrgKind, Role
from bot.store.people import holders
from bot.store.tables import AuditLog, Org, Person, Task
from knowledge.plan.deadlines import shorten
from knowledge.plan.model import Plan
from knowledge.plan.store import save_plan
from knowledge.plan.tasks_file import upsert_task

ARCHIVED = "archived"
CLAUSE_CHARS = 200


@dataclass(frozen=True)
class PlanTask:
    """One deadline of one plan task: what every organisation of its level is asked to do by then."""

    code: str
    title: str
    clause: str
    deadline: date | None  # None: a 长期 task (open-ended or no date written): stored, listed, never reminded
    level: str | None
    owner_unit: str | None = None  # 责任单位 as the plan writes it
    recurrence: str | None = None  # weekly | monthly | quarterly | yearly


@dataclass
class TasksReport:
    items: int = 0  # deadlines in the plan, each a task for every organisation of its level
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived_past: int = 0  # created already past their deadline: kept, never reminded
    reopened: int = 0  # archived before, their deadline is now ahead
    archived_dropped: int = 0  # no longer in the plan
    undated: int = 0  # tasks made with no deadline (长期): kept and listed, never reminded
    unassigned: list[str] = field(default_factory=list)  # codes no organisation on the roster takes


@dataclass
class ImportReport:
    plan_id: int
    replaced: bool
    sections: int
    tasks: TasksReport


def task_code(year: int | None, code: str) -> str:
    return f"{year}年{code}" if year is not None else f"长期{code}"


def owner_unit(written: str) -> str | None:
    """The 责任单位 as written; a table cell's inner brackets come back as written (knowledge/plan/word.py)."""
    return written.replace("〔", "（").replace("〕", "）").strip()[:200] or None


def plan_tasks(plan: Plan) -> list[PlanTask]:
    """One item per deadline of each task, and one with no deadline for a task that has none (长期坚持, 每月…,
    or no date written at all): every task of the plan becomes a task, none is dropped."""
    items: list[PlanTask] = []
    codes: set[str] = set()
    for n, section in enumerate(plan.tasks, 1):
        clause = shorten(section.text, CLAUSE_CHARS)
        base = task_code(plan.year, section.code or str(n))
        if base in codes:  # two parts numbering their tasks alike: keep both, apart
            base = task_code(plan.year, f"{section.code or n}-{n}")
        codes.add(base)
        extra = {"owner_unit": owner_unit(section.owner), "recurrence": section.recurrence or None}
        if not section.deadlines:
            items.append(PlanTask(base[:32], section.title[:200], clause, None, section.level, **extra))
            continue
        several = len(section.deadlines) > 1
        for i, d in enumerate(section.deadlines):
            code = base + (f"-{ascii_lowercase[i]}" if several else "")
            title = f"{section.title}：{d.label}" if several and d.label else section.title
            items.append(PlanTask(code[:32], title[:200], clause, d.due, section.level, **extra))
    return items


def _targets(session: Session, level: str | None) -> tuple[list[Org], tuple[str, ...]]:
    """The organisations a task of this level goes to, and the roles its owner is picked from (first by id)."""
    if level == OrgKind.VILLAGE.value:
        return _of_kind(session, level), (Role.VILLAGE_SECRETARY.value,)
    if level == OrgKind.TOWNSHIP.value:
        return _of_kind(session, level), (Role.TOWNSHIP_CADRE.value, Role.SUPERVISOR.value)
    orgs = _of_kind(session, level) if level in (OrgKind.COUNTY.value, OrgKind.CITY.value) else []
    if not orgs:
        orgs = list(session.scalars(select(Org).where(Org.parent_id.is_(None)).order_by(Org.path)))
    return orgs, (Role.SUPERVISOR.value,)


def _of_kind(session: Session, kind: str | None) -> list[Org]:
    return list(session.scalars(select(Org).where(Org.kind == kind).order_by(Org.path)))


def apply_plan_tasks(session: Session, plan: Plan, today: date) -> TasksReport:
    report = TasksReport()
    items = plan_tasks(plan)
    prefix = task_code(plan.year, "")
    existing = {(t.code, t.org_id): t for t in session.scalars(select(Task).where(Task.code.startswith(prefix)))}
    seen: set[tuple[str, int]] = set()
    targets: dict[str | None, tuple[list[Org], tuple[str, ...]]] = {}
    owners: dict[tuple[int, tuple[str, ...]], Person | None] = {}
    for item in items:
        report.items += 1
        if item.level not in targets:
            targets[item.level] = _targets(session, item.level)
        orgs, roles = targets[item.level]
        if not orgs:
            report.unassigned.append(item.code)
        for org in orgs:
            if (org.id, roles) not in owners:
                found = holders(session, org, roles)
                owners[(org.id, roles)] = found[0] if found else None
            key = (item.code, org.id)
            seen.add(key)
            past = item.deadline is not None and item.deadline < today
            status = ARCHIVED if past else "open"
            owner = owners[(org.id, roles)]
            task, change = upsert_task(
                session,
                existing.get(key),
                item.code,
                item.title,
                item.clause,
                item.deadline,
                org,
                owner,
                status,
                owner_unit=item.owner_unit,
                recurrence=item.recurrence,
            )
            if change == "created":
                report.created += 1
                report.archived_past += status == ARCHIVED
                report.undated += item.deadline is None
                continue
            report.undated += item.deadline is None
            if task.status == ARCHIVED and not past:
                task.status, change = "open", "updated"
                report.reopened += 1
            report.updated += change == "updated"
            report.unchanged += change == "unchanged"
    for key, task in existing.items():
        if key not in seen and task.status not in ("done", ARCHIVED):
            task.status = ARCHIVED
            report.archived_dropped += 1
    session.flush()
    return report


def import_plan(
    session: Session,
    plan: Plan,
    source: str,
    text: str,
    today: date,
    imported_by: str = "cli",
    actor_person_id: int | None = None,
) -> ImportReport:
    """Store the plan (replacing an earlier import of the same title and year) and make or update its tasks."""
    saved = save_plan(session, plan, source, text, imported_by)
    tasks = apply_plan_tasks(session, plan, today)
    session.add(
        AuditLog(
            actor=imported_by[:100],
            actor_person_id=actor_person_id,
            action="plan.import",
            target=f"{plan.title}（{plan.year}）"[:200],
            detail={
                "source": source[:200],
                "sections": saved.sections,
                "replaced": saved.replaced,
                "tasks_created": tasks.created,
                "tasks_updated": tasks.updated,
                "archived_past": tasks.archived_past,
                "archived_dropped": tasks.archived_dropped,
                "undated": tasks.undated,
            },
        )
    )
    session.flush()
    return ImportReport(plan_id=saved.record.id, replaced=saved.replaced, sections=saved.sections, tasks=tasks)
