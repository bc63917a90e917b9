"""Reminders and the overdue ladder, planned ahead and fired once.

`plan` writes a `Reminder` row for everything that will be due — each task's T-14/T-7/T-3/T-1 reminders (moved
to working days, 调休 respected), the next step of the ladder for an overdue task (one step at a time: a step is
planned only once the one before it went out), the month's 三会一课 cadence reminders — under an idempotency key,
so planning twice plans nothing new. `fire` sends what is due: each row is claimed with a conditional UPDATE
in its own transaction together with its outbox rows, so a row is sent once however many ticks race; a task
reported done, or a meeting held meanwhile, turns the row into `skipped`; nothing goes out in quiet hours.

Every function takes `now`, so tests run them on a controlled clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot import outbox
from bot.models import CardReply, Outgoing, TextReply
from bot.roles import OrgKind
from bot.store.db import rows_changed
from bot.store.reminders import add_reminder
from bot.store.tables import Broadcast, InterviewNotice, Meeting, Org, Person, Reminder, Task
from cards.model import Card
from handlers.broadcast import summary_for
from handlers.meetings import branch as br
from handlers.tasks.interview import approval_card
from handlers.tasks.people import copy_to, nearest_supervisors, owner_of, township_contacts
from handlers.tasks.progress import task_card
from knowledge.calendar import (
    add_months,
    add_workdays,
    in_quiet_hours,
    month_last,
    next_allowed,
    previous_workday,
    reminder_times,
    working_day_at,
)
from knowledge.rules import Rules

log = logging.getLogger("cadrebot.reminders")
STALE = timedelta(hours=12)  # a reminder missed by more than this (the service was down) is not sent late
OPEN = ("open", "in_progress", "blocked")


@dataclass
class Clock:
    now: datetime  # aware UTC
    tz: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


# -- planning ---------------------------------------------------------------------------------------------


def plan(session: Session, rules: Rules, clock: Clock) -> int:
    made = 0
    at = rules.reminders.at
    # a task without a deadline (长期坚持, 每月…, or none written in the plan) is never reminded nor laddered
    for task in session.scalars(select(Task).where(Task.status.in_(OPEN), Task.deadline.is_not(None))):
        assert task.deadline is not None
        for label, due in reminder_times(task.deadline, rules.reminders.offsets, at, clock.tz):
            if due < clock.now - STALE:
                continue
            made += add_reminder(
                session, key=f"task:{task.id}:{label}", kind="remind", step=label, task_id=task.id, due_at=due
            )
        if clock.today > task.deadline:
            made += _plan_ladder(session, rules, clock, task, task.deadline)
    made += _plan_cadence(session, rules, clock)
    return made


def _plan_ladder(session: Session, rules: Rules, clock: Clock, task: Task, deadline: date) -> int:
    steps = session.scalars(
        select(Reminder).where(Reminder.task_id == task.id, Reminder.kind == "ladder").order_by(Reminder.id)
    ).all()
    done = {r.step for r in steps}
    if any(r.status == "scheduled" for r in steps):
        return 0  # one step at a time: the last one has not gone out yet
    upcoming = next((s for s in rules.ladder if s.step not in done), None)
    if upcoming is None:
        return 0
    day = deadline + timedelta(days=upcoming.after_days)
    if steps and steps[-1].fired_at is not None:
        day = max(day, steps[-1].fired_at.astimezone(clock.tz).date() + timedelta(days=1))
    day = add_workdays(day, 0)
    return add_reminder(
        session,
        key=f"ladder:{task.id}:{upcoming.step}",
        kind="ladder",
        step=upcoming.step,
        task_id=task.id,
        due_at=working_day_at(day, rules.reminders.at, clock.tz),
    )


def _plan_cadence(session: Session, rules: Rules, clock: Clock) -> int:
    """支委会 by the `cadence_day` of the month; quarterly meetings `quarter_days_before` the quarter ends."""
    made = 0
    today = clock.today
    cadence = rules.organisation.cadence
    branches = session.scalars(select(Org).where(Org.kind == OrgKind.BRANCH.value)).all()
    for kind, period in cadence.items():
        if period == "month" and kind == "支部委员会":
            day = previous_workday(date(today.year, today.month, rules.reminders.cadence_day))
            label = f"{today:%Y-%m}"
        elif period == "quarter":
            last_month = ((today.month - 1) // 3) * 3 + 3
            end = date(today.year, last_month, month_last(today.year, last_month))
            day = previous_workday(end - timedelta(days=rules.reminders.quarter_days_before))
            label = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        else:
            continue
        due = working_day_at(day, rules.reminders.at, clock.tz)
        if due < clock.now - STALE:
            continue
        for branch in branches:
            made += add_reminder(
                session,
                key=f"cadence:{branch.id}:{label}:{kind}",
                kind="cadence",
                step=kind,
                org_id=branch.id,
                due_at=due,
            )
    return made


# -- firing -----------------------------------------------------------------------------------------------


def due_ids(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    return list(
        session.scalars(
            select(Reminder.id)
            .where(Reminder.status == "scheduled", Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )


def fire_one(
    session: Session, rules: Rules, clock: Clock, reminder_id: int, batch_limit: int | None = None
) -> list[int]:
    """Send one due reminder; returns its outbox ids. Safe to call twice, or from two workers at once."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != "scheduled" or reminder.due_at > clock.now:
        return []
    quiet = (rules.reminders.quiet_start, rules.reminders.quiet_end)
    if in_quiet_hours(clock.now, clock.tz, *quiet):
        reminder.due_at = next_allowed(clock.now, clock.tz, *quiet)
        return []
    claimed = rows_changed(
        session,
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.status == "scheduled")
        .values(status="sent", fired_at=clock.now),
    )
    if not claimed:
        return []
    session.refresh(reminder)
    out, skip = messages(session, rules, clock, reminder)
    if skip:
        reminder.status, reminder.note = "skipped", skip[:200]
        return []
    for item in out:
        item.tag = item.tag or f"reminder:{reminder.id}"
    return outbox.write(session, out, clock.now, batch_limit=batch_limit)


def fire_many(
    session: Session, rules: Rules, clock: Clock, reminder_ids: list[int], batch_limit: int | None = None
) -> list[int]:
    """Fire a chunk of due reminders in one transaction: one claiming UPDATE, their tasks and owners loaded
    together, one flush of all the outbox rows. For fan-outs; a failure rolls the whole chunk back."""
    if not reminder_ids:
        return []
    quiet = (rules.reminders.quiet_start, rules.reminders.quiet_end)
    if in_quiet_hours(clock.now, clock.tz, *quiet):
        later = next_allowed(clock.now, clock.tz, *quiet)
        session.execute(
            update(Reminder).where(Reminder.id.in_(reminder_ids), Reminder.status == "scheduled").values(due_at=later)
        )
        return []
    claimed = list(
        session.scalars(
            update(Reminder)
            .where(Reminder.id.in_(reminder_ids), Reminder.status == "scheduled", Reminder.due_at <= clock.now)
            .values(status="sent", fired_at=clock.now)
            .returning(Reminder.id)
        )
    )
    if not claimed:
        return []
    rows = session.scalars(
        select(Reminder)
        .where(Reminder.id.in_(claimed))
        .options(
            selectinload(Reminder.task).selectinload(Task.org), selectinload(Reminder.task).selectinload(Task.owner)
        )
        .order_by(Reminder.id)
        .execution_options(populate_existing=True)
    ).all()
    out: list[Outgoing] = []
    for reminder in rows:
        items, skip = messages(session, rules, clock, reminder)
        if skip:
            reminder.status, reminder.note = "skipped", skip[:200]
            continue
        for item in items:
            item.tag = item.tag or f"reminder:{reminder.id}"
        out += items
    return outbox.write(session, out, clock.now, batch_limit=batch_limit)


def messages(session: Session, rules: Rules, clock: Clock, r: Reminder) -> tuple[list[Outgoing], str | None]:
    """What a reminder says and to whom, or why it is no longer needed."""
    if r.kind in ("remind", "ladder"):
        task = session.get(Task, r.task_id)
        if task is None or task.status == "done":
            return [], "任务已完成"
        if task.status not in OPEN:  # archived after this was planned (dropped from an updated plan)
            return [], "任务已归档"
        if task.deadline is None:  # its deadline was taken away by a new import: a 长期 task now
            return [], "长期任务，不提醒"
        owner = owner_of(session, task)
        if r.kind == "remind":
            if owner is None:
                return [], "没有负责人"
            days = (task.deadline - clock.today).days
            card = task_card(task, clock.today, template="task_reminder", note="", left=days)
            return [Outgoing(reply=_card(card), person_id=owner.id)], None
        return _ladder(session, rules, clock, r, task, owner)
    if r.kind == "cadence":
        return _cadence(session, clock, r)
    if r.kind == "summary":
        broadcast = session.get(Broadcast, r.broadcast_id)
        if broadcast is None:
            return [], "通知已不存在"
        return [
            Outgoing(reply=TextReply(text=summary_for(session, broadcast, clock.tz)), person_id=broadcast.sender_id)
        ], None
    return [], f"unknown kind {r.kind}"


def _card(card: Card) -> CardReply:
    return CardReply(card=card)


def _ladder(
    session: Session, rules: Rules, clock: Clock, r: Reminder, task: Task, owner: object
) -> tuple[list[Outgoing], str | None]:
    from bot.store.tables import Person

    assert owner is None or isinstance(owner, Person)
    deadline = task.deadline
    assert deadline is not None  # messages() skips a task without one
    late = (clock.today - deadline).days
    head = overdue_head(task, clock.today)
    out: list[Outgoing] = []
    if r.step == "提示":
        if owner is not None:
            out.append(
                Outgoing(
                    reply=_card(
                        task_card(task, clock.today, template="task_overdue", note="", left=-late, step="提示")
                    ),
                    person_id=owner.id,
                )
            )
    elif r.step == "催办":
        out = urge(session, clock, task, owner)
    elif r.step == "通报":
        text = f"【通报】{head}，仍未完成。请督促整改。"
        for person in township_contacts(session, task.org):
            out.append(Outgoing(reply=TextReply(text=text), person_id=person.id))
        if owner is not None:
            out.append(
                Outgoing(
                    reply=TextReply(
                        text=f"【通报】您负责的{head}，已在镇里通报。完成后请点任务卡片的「已完成」或发消息告知。"
                    ),
                    person_id=owner.id,
                )
            )
    elif r.step == "约谈":
        return _draft_interview(session, rules, clock, task, owner, head)
    if not out:
        return [], "没有可通知的人"
    return out, None


def overdue_head(task: Task, today: date) -> str:
    deadline = task.deadline
    assert deadline is not None
    late = (today - deadline).days
    return f"{task.org.name}「{task.title}」已超过完成时限（{deadline.month}月{deadline.day}日）{late}天"


def urge(session: Session, clock: Clock, task: Task, owner: Person | None, skip: int | None = None) -> list[Outgoing]:
    """催办: the overdue card to the task's owner, copied to the village secretary (or the township). The ladder's
    催办 step and the 工作台's 「催办」 both send it; `skip` is someone not to copy (who urged it themselves)."""
    deadline = task.deadline
    assert deadline is not None  # only a task with a deadline is ever overdue
    late = (clock.today - deadline).days
    out: list[Outgoing] = []
    if owner is not None:
        out.append(
            Outgoing(
                reply=_card(task_card(task, clock.today, template="task_overdue", note="", left=-late, step="催办")),
                person_id=owner.id,
            )
        )
    who = owner.name if owner is not None else "未设负责人"
    for person in copy_to(session, task, owner):
        if person.id != skip:
            out.append(
                Outgoing(
                    reply=TextReply(text=f"【催办·抄送】{overdue_head(task, clock.today)}，负责人{who}。"),
                    person_id=person.id,
                )
            )
    return out


def urge_now(
    session: Session, rules: Rules, clock: Clock, task: Task, by: Person
) -> tuple[Reminder | None, list[Outgoing]]:
    """A 催办 asked for by a person (the 工作台), kept with the task's ladder as a sent step of its own kind, once
    a day per task; None when it was already urged today. In quiet hours the messages wait for the morning."""
    if task.deadline is None or task.status not in OPEN or clock.today <= task.deadline:
        return None, []
    key = f"urge:{task.id}:{clock.today.isoformat()}"
    made = add_reminder(
        session,
        key=key,
        kind="urge",
        step="催办",
        task_id=task.id,
        due_at=clock.now,
        status="sent",
        fired_at=clock.now,
        note=f"{by.name}在工作台催办"[:200],
    )
    if not made:
        return None, []
    row = session.scalars(select(Reminder).where(Reminder.key == key)).one()
    out = urge(session, clock, task, owner_of(session, task), skip=by.id)
    quiet = (rules.reminders.quiet_start, rules.reminders.quiet_end)
    later = next_allowed(clock.now, clock.tz, *quiet) if in_quiet_hours(clock.now, clock.tz, *quiet) else None
    for item in out:
        item.tag, item.not_before = f"reminder:{row.id}", later
    return row, out


def _draft_interview(
    session: Session, rules: Rules, clock: Clock, task: Task, owner: object, head: str
) -> tuple[list[Outgoing], str | None]:
    """The bot drafts; a supervisor decides. Nothing reaches the person until it is approved."""
    supervisors = nearest_supervisors(session, task.org)
    if not supervisors:
        return [], "没有可审批约谈的督导"
    person = owner if isinstance(owner, Person) else None
    day = add_workdays(clock.today + timedelta(days=1), rules.interview.notice_workdays - 1)
    notice = InterviewNotice(
        task_id=task.id,
        target_org_id=task.org_id,
        target_person_id=person.id if person else None,
        reason=f"{head}，经提示、催办、通报仍未完成。",
        meet_at=working_day_at(day, rules.interview.at, clock.tz),
        place=rules.interview.place,
        interviewers=rules.interview.interviewers,
        materials="、".join(rules.interview.materials),
        contact=rules.interview.contact or None,
        status="draft",
        drafted_at=clock.now,
    )
    session.add(notice)
    session.flush()
    session.refresh(notice)
    return [Outgoing(reply=_card(approval_card(notice, clock.tz)), person_id=s.id) for s in supervisors], None


def _cadence(session: Session, clock: Clock, r: Reminder) -> tuple[list[Outgoing], str | None]:
    branch = session.get(Org, r.org_id)
    if branch is None:
        return [], "支部已不存在"
    today = clock.today
    if r.step == "支部委员会":
        start, end, when = today.replace(day=1), today.replace(day=month_last(today.year, today.month)), "本月"
    else:
        first = ((today.month - 1) // 3) * 3 + 1
        ly, lm = add_months(today.year, first, 2)
        start, end, when = date(today.year, first, 1), date(ly, lm, month_last(ly, lm)), "本季度"
    held = session.scalar(
        select(Meeting.id).where(
            Meeting.branch_id == branch.id,
            Meeting.meeting_type == r.step,
            Meeting.status == "filed",
            Meeting.held_on >= start,
            Meeting.held_on <= end,
        )
    )
    if held is not None:
        return [], "已按期召开"
    text = (
        f"提醒：{branch.name}{when}的{r.step}还没有登记。请在{end.month}月{end.day}日前按时召开；"
        f"开完发「今天开了{r.step}，应到…实到…」即可登记。"
    )
    people = br.secretaries(session, branch)
    if not people:
        return [], "支部没有书记"
    return [Outgoing(reply=TextReply(text=text), person_id=p.id) for p in people], None
