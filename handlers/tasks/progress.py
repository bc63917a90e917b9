"""Task progress: by message (村级活动阵地提升已经完成了) or by a tap on a task card (已完成 / 进行中 / 有困难);
every report is kept as history, and 已完成 stops the task's reminders and its ladder."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from bot.models import Outgoing, TextReply
from bot.store.tables import Org, Task, TaskUpdate
from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.registry import handles
from handlers.taps import small_index
from knowledge.plan.recurrence import undated_label

FLOW = "task"
STATUS_LABELS = {"open": "未开始", "in_progress": "进行中", "blocked": "有困难", "done": "已完成"}


def deadline_text(task: Task) -> str:
    """2024年6月30日; a task without a deadline: 长期（每月） or 长期（无固定时限）."""
    if task.deadline is None:
        return undated_label(task.recurrence)
    return f"{task.deadline.year}年{task.deadline.month}月{task.deadline.day}日"


def task_card(task: Task, today: date, *, template: str = "task_card", **extra: object) -> Card:
    days = (task.deadline - today).days if task.deadline is not None else None
    return build_card(
        template,
        flow=FLOW,
        data={"task": task.id},
        title=task.title,
        org=task.org.name,
        deadline=deadline_text(task),
        days=days,
        status=STATUS_LABELS.get(task.status, task.status),
        clause=task.clause or "",
        **extra,
    )


def my_tasks(ctx: Context) -> list[Task]:
    """Open tasks of the sender's village or township (the org the tasks are assigned to)."""
    org = ctx.session.get(Org, ctx.actor.org_id)
    ids = set()
    while org is not None:
        ids.add(org.id)
        org = org.parent
    return list(
        ctx.session.scalars(
            select(Task)
            .where(
                Task.org_id.in_(ids), Task.status.notin_(("done", "archived"))
            )  # archived: see knowledge/plan/tasks.py
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id)  # 长期 tasks (no deadline) last
        )
    )


def matching(tasks: list[Task], text: str) -> list[Task]:
    """Tasks whose title the message names (活动阵地 → 活动阵地提升), best first."""
    scored = []
    for task in tasks:
        words = [w for w in re.split(r"[“”\"、，,\s]+", task.title) if len(w) >= 2]
        pieces = {task.title[i : i + 2] for i in range(len(task.title) - 1)}
        score = sum(3 for w in words if w in text) + sum(1 for p in pieces if p in text)
        if score >= 2:
            scored.append((score, task))
    scored.sort(key=lambda st: -st[0])
    return [t for _, t in scored]


def record(ctx: Context, task: Task, status: str, note: str | None) -> None:
    task.status = status
    task.done_at = ctx.now if status == "done" else None
    ctx.session.add(TaskUpdate(task_id=task.id, person_id=ctx.actor.person_id, status=status, note=note, at=ctx.now))
    if status == "blocked":
        tell_blocked(ctx, task, note)


def tell_blocked(ctx: Context, task: Task, note: str | None) -> None:
    """有困难 goes up to the township at once: the point of saying it is to get help."""
    from handlers.tasks.people import township_contacts

    for person in township_contacts(ctx.session, task.org):
        if person.id != ctx.actor.person_id:
            ctx.out.append(
                Outgoing(
                    reply=TextReply(
                        text=f"{task.org.name}反映「{task.title}」有困难：{note or '未说明'}（{ctx.actor.name}）。"
                    ),
                    person_id=person.id,
                )
            )


@handles("task_progress")
def progress(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    tasks = my_tasks(ctx)
    if not tasks:
        ctx.reply("您所在的单位目前没有待办的工作任务。如有疑问，请联系镇里的联系干部。")
        return
    status = u.fields.get("status")
    found = matching(tasks, u.text)
    if len(found) == 1 or (found and len(tasks) == 1):
        task = found[0]
        if status:
            record(ctx, task, status, u.text.strip()[:500])
            ctx.reply(
                f"已记录「{task.title}」：{STATUS_LABELS[status]}。" + (" 提醒随之停止。" if status == "done" else "")
            )
            return
        ctx.card(task_card(task, ctx.local_now.date(), note=u.text.strip()[:200]))
        return
    if len(tasks) == 1:
        ctx.card(task_card(tasks[0], ctx.local_now.date(), note=u.text.strip()[:200]))
        return
    ctx.card(
        build_card(
            "task_pick",
            flow=FLOW,
            data={"note": u.text.strip()[:200], "status": status},
            tasks=[{"id": str(t.id), "title": t.title} for t in tasks[:10]],
        )
    )


@handles("card:task")
def tapped(ctx: Context) -> None:
    action, card = ctx.tap()
    if "task" not in card.data:  # which task? chosen from the drop-down, then the status button
        chosen = next(iter(action.selections.get("task") or []), None)
        task = ctx.session.get(Task, int(chosen)) if chosen and small_index(chosen) else None
    else:
        task = ctx.session.get(Task, int(card.data["task"]))
    if task is None:
        ctx.reply("请先在下拉框里选择任务，再点进展。")
        return
    if task not in my_tasks(ctx) and task.status != "done":
        ctx.reply("这项任务不在您单位的待办中，无法更新。")
        return
    status = action.key.removeprefix("status:")
    if status not in STATUS_LABELS:
        return
    note = str(card.data.get("note") or "") or None
    record(ctx, task, status, note)
    ctx.update_card(card.finished(phrase("chosen", text=f"{task.title[:8]} · {STATUS_LABELS[status]}")))
    ctx.reply(
        f"已记录「{task.title}」：{STATUS_LABELS[status]}。"
        + ("相关提醒已停止。" if status == "done" else "有进展请随时发消息或点卡片更新。")
        + ("困难已报镇里，会有人联系您。" if status == "blocked" else "")
    )
