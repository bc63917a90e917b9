"""任务: the work plan's tasks in the viewer's area, filtered by progress, unit and deadline; a task's history,
its ladder (提示→催办→通报→约谈, planned and sent), the notices about it, and 「催办」 — the ladder's own 催办,
sent now. The area is in every query: a task outside it is the same 404 as one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from bot.console.nav import SUPERVISE
from bot.console.web import Call, Console, Viewer
from bot.store.tables import InterviewNotice, Org, Person, Reminder, Task, TaskUpdate
from handlers.tasks.people import owner_of
from handlers.tasks.progress import STATUS_LABELS, deadline_text
from knowledge.calendar import month_last
from scheduler.reminders import OPEN, Clock, urge_now

PER_PAGE = 20
# what the filter offers, in the order of the work: 逾期 is an open task past its deadline, not a status
SHOWN = {"": "全部", "open": "未开始", "in_progress": "进行中", "blocked": "有困难", "late": "逾期", "done": "已完成"}
BADGES = {"done": "done", "in_progress": "doing", "blocked": "hard", "late": "late", "open": ""}
STEP_STATES = {"scheduled": "计划", "sent": "已发送", "skipped": "未发送"}
NOTICE_STATES = {"draft": "草稿待审批", "sent": "已发出", "rejected": "不发", "confirmed": "对方已确认"}


@dataclass(frozen=True)
class Filters:
    status: str
    org_id: int | None
    due: str  # "" | "month"
    before: date | None
    page: int

    def query(self, **change: Any) -> str:
        """This filter as a query string, with `change` applied (the pager's links)."""
        values = {
            "status": self.status,
            "org": str(self.org_id or ""),
            "due": self.due,
            "before": self.before.isoformat() if self.before else "",
            "page": str(self.page),
            **{k: str(v) for k, v in change.items()},
        }
        return "&".join(f"{k}={v}" for k, v in values.items() if v and not (k == "page" and v == "1"))


def read_filters(call: Call) -> tuple[Filters, list[str]]:
    """The filter from the query string; what could not be read is said and left out."""
    errors: list[str] = []
    status = call.query("status")
    if status not in SHOWN:
        errors.append("没有这种进展状态，已显示全部。")
        status = ""
    org_text = call.query("org")
    org_id = int(org_text) if org_text.isdigit() and len(org_text) < 10 else None
    if org_text and org_id is None:
        errors.append("单位无效，已显示全部单位。")
    due = call.query("due")
    if due not in ("", "month"):
        errors.append("时限选项无效。")
        due = ""
    before = None
    if call.query("before"):
        try:
            before = date.fromisoformat(call.query("before"))
        except ValueError:
            errors.append("“早于”日期无效，请按 2026-06-30 的格式填写。")
    page_text = call.query("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 and int(page_text) > 0 else 1
    return Filters(status, org_id, due, before, page), errors


def local_today(console: Console) -> date:
    return console.now().astimezone(console.tz).date()


def late_clause(today: date) -> ColumnElement[bool]:
    return and_(Task.status.in_(OPEN), Task.deadline.is_not(None), Task.deadline < today)


def listed(viewer: Viewer, filters: Filters, today: date) -> Select[Task]:
    query = (
        select(Task)
        .join(Org, Task.org_id == Org.id)
        .where(viewer.area.holds(Task.org_id), Task.status != "archived")  # archived: no longer in the plan
    )
    if filters.status == "late":
        query = query.where(late_clause(today))
    elif filters.status:
        query = query.where(Task.status == filters.status)
    if filters.org_id is not None:
        query = query.where(Task.org_id == filters.org_id)
    if filters.due == "month":
        first = today.replace(day=1)
        query = query.where(
            Task.deadline >= first, Task.deadline <= today.replace(day=month_last(today.year, today.month))
        )
    if filters.before is not None:
        query = query.where(Task.deadline < filters.before)
    return query


def shown_status(task: Task, today: date) -> str:
    """The status a list shows: 逾期 for an open task past its deadline."""
    if task.status in OPEN and task.deadline is not None and task.deadline < today:
        return "late"
    return task.status


def row(task: Task, today: date) -> dict[str, Any]:
    shown = shown_status(task, today)
    days = (today - task.deadline).days if task.deadline is not None else 0
    return {
        "id": task.id,
        "title": task.title,
        "org": task.org.name,
        "deadline": deadline_text(task),
        "status": SHOWN.get(shown) or STATUS_LABELS.get(shown, shown),
        "badge": BADGES.get(shown, ""),
        "late_days": days if shown == "late" else 0,
        "owner": task.owner.name if task.owner else "",
    }


def scoped_task(s: Session, viewer: Viewer, raw_id: str) -> Task | None:
    """The task, only if it is in the viewer's area: the area clause is in the query itself."""
    if not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return s.scalar(
        select(Task)
        .where(Task.id == int(raw_id), viewer.area.holds(Task.org_id))
        .options(joinedload(Task.org), joinedload(Task.owner))
    )


def may_urge(viewer: Viewer, task: Task, today: date) -> bool:
    return viewer.has(*SUPERVISE) and task.owner_id != viewer.person_id and shown_status(task, today) == "late"


def detail(s: Session, console: Console, viewer: Viewer, task: Task) -> dict[str, Any]:
    today = local_today(console)
    writers = select(TaskUpdate.person_id).where(TaskUpdate.task_id == task.id)
    names = dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(writers))).all())
    history = [
        {
            "at": u.at,
            "who": names.get(u.person_id or 0, "—"),
            "status": STATUS_LABELS.get(u.status, u.status),
            "badge": BADGES.get(u.status, ""),
            "note": viewer.text(u.note),
        }
        for u in s.scalars(
            select(TaskUpdate).where(TaskUpdate.task_id == task.id).order_by(TaskUpdate.at, TaskUpdate.id)
        )
    ]
    reminders = list(
        s.scalars(select(Reminder).where(Reminder.task_id == task.id).order_by(Reminder.due_at, Reminder.id))
    )
    ladder = [
        {
            "step": r.step,
            "by_hand": r.kind == "urge",
            # the ladder's 约谈 step drafts a notice for a supervisor; it sends nothing to the person
            "state": "已起草，报督导审批"
            if r.step == "约谈" and r.status == "sent"
            else STEP_STATES.get(r.status, r.status),
            "at": r.fired_at or r.due_at,
            "note": r.note or "",
        }
        for r in reminders
        if r.kind in ("ladder", "urge")
    ]
    reminded = [
        {
            "step": r.step,
            "at": r.fired_at or r.due_at,
            "state": STEP_STATES.get(r.status, r.status),
            "note": r.note or "",
        }
        for r in reminders
        if r.kind == "remind" and r.status != "scheduled"
    ]
    notices = [
        {"id": n.id, "state": NOTICE_STATES.get(n.status, n.status), "meet_at": n.meet_at, "place": n.place}
        for n in s.scalars(
            select(InterviewNotice)
            .where(InterviewNotice.task_id == task.id, viewer.area.holds(InterviewNotice.target_org_id))
            .order_by(InterviewNotice.id)
        )
    ]
    owner = owner_of(s, task)
    return {
        "task": row(task, today),
        "clause": task.clause or "",
        "owner_name": owner.name if owner else "未设负责人",
        "owner_phone": viewer.phone(owner.mobile) if owner else "",
        "history": history,
        "ladder": ladder,
        "reminded": reminded,
        "notices": notices,
        "may_urge": may_urge(viewer, task, today),
        "urged_today": any(
            r.kind == "urge" and (r.fired_at or r.due_at).astimezone(console.tz).date() == today for r in reminders
        ),
        "approvals": viewer.has(*SUPERVISE),
    }


def add(router: APIRouter, console: Console) -> None:
    @console.route(router, "/console/tasks")
    def tasks(call: Call) -> Response:
        filters, errors = read_filters(call)
        today = local_today(console)
        with console.session() as s:
            query = listed(call.viewer, filters, today)
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            pages = max(1, -(-total // PER_PAGE))
            page = min(filters.page, pages)
            found = s.scalars(
                query.options(joinedload(Task.org), joinedload(Task.owner))
                .order_by(Org.id, Task.deadline.is_(None), Task.deadline, Task.id)  # roster order, then by deadline
                .limit(PER_PAGE)
                .offset((page - 1) * PER_PAGE)
            ).all()
            orgs = s.execute(
                select(Org.id, Org.name)
                .where(
                    Org.id.in_(
                        select(Task.org_id).where(call.viewer.area.holds(Task.org_id), Task.status != "archived")
                    )
                )
                .order_by(Org.id)
            ).all()
            rows = [row(t, today) for t in found]
        shown = Filters(filters.status, filters.org_id, filters.due, filters.before, page)
        return call.render(
            "tasks.html",
            400 if errors else 200,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            filters=shown,
            statuses=SHOWN,
            orgs=[{"id": i, "name": n} for i, n in orgs],
            errors=errors,
            month=f"{today.month}月",
        )

    @console.route(router, "/console/tasks/{task_id}")
    def task_page(call: Call) -> Response:
        with console.session() as s:
            task = scoped_task(s, call.viewer, call.path("task_id"))
            if task is None:
                return console.not_found()
            values = detail(s, console, call.viewer, task)
        return call.render("tasks_detail.html", **values, flash=[], bad=[])

    @console.route(router, "/console/tasks/{task_id}/urge", methods=("POST",), roles=SUPERVISE)
    def urge(call: Call) -> Response:
        viewer = call.viewer
        with console.session() as s:
            task = scoped_task(s, viewer, call.path("task_id"))
            if task is None:
                return console.not_found()
            today = local_today(console)
            if not may_urge(viewer, task, today):
                why = (
                    "您负责这项任务，无需催办自己。"
                    if task.owner_id == viewer.person_id
                    else "这项任务未逾期或已完成，无需催办。"
                )
                console.audit(s, viewer, "console.task.urge", f"task:{task.id}", done=False, reason=why)
                return call.render("tasks_detail.html", 409, **detail(s, console, viewer, task), flash=[], bad=[why])
            ctx = console.context(s, viewer)
            by = s.get(Person, viewer.person_id)
            assert by is not None  # the viewer's session was read with their row
            step, out = urge_now(s, ctx.policy.rules, Clock(ctx.now, ctx.tz), task, by)
            if step is None:
                why = "今天已经催办过这项任务，请明天再催办。"
                console.audit(s, viewer, "console.task.urge", f"task:{task.id}", done=False, reason=why)
                return call.render("tasks_detail.html", 409, **detail(s, console, viewer, task), flash=[], bad=[why])
            ctx.out.extend(out)
            done = console.finish(s, ctx)
            owner = owner_of(s, task)
            console.audit(
                s,
                viewer,
                "console.task.urge",
                f"task:{task.id}",
                done=True,
                reminder=step.id,
                owner=owner.name if owner else None,
            )
            later = next((o.not_before for o in out if o.not_before is not None), None)
            said = f"已向{owner.name}发送催办。" if owner else "这项任务没有负责人，催办已抄送村书记或镇里。"
            if later is not None:
                said += f"现在是免打扰时段，消息将于{when_local(later, console)}发出。"
            values = detail(s, console, viewer, task)
        console.send(done)
        return call.render("tasks_detail.html", **values, flash=[*done.said, said], bad=[])


def when_local(value: datetime, console: Console) -> str:
    t = value.astimezone(console.tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"
