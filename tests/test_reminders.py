"""Reminders and the ladder on a controlled clock: T-14/T-7/T-3/T-1 at 09:00 Asia/Shanghai moved off weekends and
holidays (调休 respected), nothing in quiet hours, one push per key however often the scheduler runs, a task
reported done stops everything, the ladder climbs one step at a time, and 三会一课 cadence reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.store.db import get_engine, session_scope
from bot.store.tables import InterviewNotice, Meeting, Org, Outbox, Person, Reminder, Task
from knowledge.rules import load_rules
from scheduler.reminders import Clock, due_ids, fire_one, plan

pytestmark = pytest.mark.dated

TZ = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
TASK_RULES = RULES.model_copy(
    update={"organisation": RULES.organisation.model_copy(update={"cadence": {}})}
)  # without the 三会一课 cadence reminders, for the tests about tasks


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A local (Shanghai) wall-clock time as aware UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=TZ).astimezone(UTC)


def clock(when: datetime) -> Clock:
    return Clock(when, TZ)


@pytest.fixture
def engine(db_url: str, roster: None):
    return get_engine(db_url)


def person(s, user: str) -> Person:
    return s.scalars(select(Person).where(Person.wecom_userid == user)).one()


def new_task(engine, deadline: date, code: str = "T1", org: str = "李家村") -> int:
    with session_scope(engine) as s:
        village = s.scalars(select(Org).where(Org.name == org)).one()
        task = Task(
            code=code, title="活动阵地提升", deadline=deadline, org_id=village.id, owner_id=person(s, "liming").id
        )
        s.add(task)
        s.flush()
        return task.id


def reminders(engine, *where) -> list[tuple[str, str, datetime]]:
    with session_scope(engine) as s:
        rows = s.scalars(select(Reminder).where(*where).order_by(Reminder.due_at, Reminder.id))
        return [(r.step, r.status, r.due_at) for r in rows]


def run(engine, when: datetime, rules=TASK_RULES) -> list[Outbox]:
    """One scheduler tick at `when`: plan, fire what is due; the outbox rows it wrote."""
    c = clock(when)
    with session_scope(engine) as s:
        plan(s, rules, c)
        before = s.scalar(select(func.max(Outbox.id))) or 0
    with session_scope(engine) as s:
        ids = due_ids(s, when)
    for rid in ids:
        with session_scope(engine) as s:
            fire_one(s, rules, c, rid)
    with session_scope(engine) as s:
        return list(s.scalars(select(Outbox).where(Outbox.id > before).order_by(Outbox.id)))


def titles(rows: list[Outbox]) -> list[str]:
    out = []
    for row in rows:
        reply = row.payload
        out.append(reply["card"]["title"] if reply["kind"] == "card" else reply["text"])
    return out


# -- reminders before the deadline -----------------------------------------------------------------------


def test_an_ordinary_week(engine) -> None:
    new_task(engine, date(2025, 6, 20))  # a Friday; 6-06 Fri, 6-13 Fri, 6-17 Tue, 6-19 Thu
    run(engine, at(2025, 6, 1, 10))
    assert [(step, due) for step, _, due in reminders(engine)] == [
        ("T-14", at(2025, 6, 6)),
        ("T-7", at(2025, 6, 13)),
        ("T-3", at(2025, 6, 17)),
        ("T-1", at(2025, 6, 19)),
    ]


def test_reminders_move_off_weekends(engine) -> None:
    new_task(engine, date(2025, 6, 23))  # a Monday: T-14 is 6-09 Mon, T-7 6-16 Mon, T-3 Fri 6-20, T-1 Sun → Fri
    run(engine, at(2025, 6, 1, 10))
    assert [(step, due.astimezone(TZ).date()) for step, _, due in reminders(engine)] == [
        ("T-14", date(2025, 6, 9)),
        ("T-7", date(2025, 6, 16)),
        ("T-1", date(2025, 6, 20)),  # T-3 (Fri) and T-1 (Sun → Fri) land on the same day: one reminder, the nearer
    ]


def test_a_holiday_with_调休(engine) -> None:
    # deadline 2025-10-10 (Fri): T-7 = 10-03 and T-3 = 10-07 fall in the National Day holiday (10-01…10-08) and
    # move back to 9-30; 9-28 (Sunday) is a 调休 working day; T-14 = 9-26 (Fri); T-1 = 10-09 (Thu).
    new_task(engine, date(2025, 10, 10))
    run(engine, at(2025, 9, 20, 10))
    assert [(step, due.astimezone(TZ).date()) for step, _, due in reminders(engine)] == [
        ("T-14", date(2025, 9, 26)),
        ("T-3", date(2025, 9, 30)),
        ("T-1", date(2025, 10, 9)),
    ]


def test_a_调休_saturday_is_a_working_day(engine) -> None:
    new_task(engine, date(2025, 10, 14))  # T-3 = 10-11, a Saturday worked in exchange for the holiday
    run(engine, at(2025, 9, 20, 10))
    assert ("T-3", date(2025, 10, 11)) in [(s, d.astimezone(TZ).date()) for s, _, d in reminders(engine)]


def test_each_reminder_fires_once_at_nine_local(engine) -> None:
    new_task(engine, date(2025, 6, 20))
    run(engine, at(2025, 6, 1, 10))
    assert run(engine, at(2025, 6, 6, 8, 59)) == []
    sent = run(engine, at(2025, 6, 6, 9, 0))
    assert titles(sent) == ["任务提醒：还有14天到期"]
    assert run(engine, at(2025, 6, 6, 9, 1)) == [] and run(engine, at(2025, 6, 6, 12)) == []  # once
    assert [status for _, status, _ in reminders(engine)] == ["sent", "scheduled", "scheduled", "scheduled"]


def test_nothing_goes_out_in_quiet_hours(engine) -> None:
    new_task(engine, date(2025, 6, 20))
    run(engine, at(2025, 6, 1, 10))
    assert run(engine, at(2025, 6, 6, 21, 30)) == []  # the 09:00 reminder was missed (service down until night)
    [(_, status, due)] = [r for r in reminders(engine) if r[0] == "T-14"]
    assert status == "scheduled" and due == at(2025, 6, 7, 8, 0)  # held until the quiet hours end
    assert run(engine, at(2025, 6, 7, 7, 59)) == []
    assert titles(run(engine, at(2025, 6, 7, 8, 0))) == ["任务提醒：还有13天到期"]


def test_a_task_reported_done_stops_its_reminders(engine) -> None:
    task_id = new_task(engine, date(2025, 6, 20))
    run(engine, at(2025, 6, 1, 10))
    assert len(run(engine, at(2025, 6, 6, 9))) == 1
    with session_scope(engine) as s:
        s.get_one(Task, task_id).status = "done"
    assert run(engine, at(2025, 6, 13, 9)) == [] and run(engine, at(2025, 6, 30, 9)) == []
    assert [status for _, status, _ in reminders(engine)] == ["sent", "skipped", "skipped", "skipped"]
    assert reminders(engine, Reminder.kind == "ladder") == []  # overdue, but done: no ladder


def test_planning_twice_plans_nothing_new(engine) -> None:
    new_task(engine, date(2025, 6, 20))
    for _ in range(3):
        run(engine, at(2025, 6, 1, 10))
    assert len(reminders(engine, Reminder.kind == "remind")) == 4


# -- the ladder ---------------------------------------------------------------------------------------------


def test_the_ladder_climbs_one_step_at_a_time(engine) -> None:
    new_task(engine, date(2025, 6, 16))  # a Monday; overdue from Tuesday
    run(engine, at(2025, 6, 16, 10))
    assert reminders(engine, Reminder.kind == "ladder") == []  # not overdue on its own day

    steps = []
    for day in range(17, 31):
        for _ in range(2):  # two ticks a day: planning again must not skip ahead
            sent = run(engine, at(2025, 6, day, 9))
            steps += [
                r.payload["card"]["title"] if r.payload["kind"] == "card" else r.payload["text"][:6] for r in sent
            ]
        queued = reminders(engine, Reminder.kind == "ladder")
        assert sum(1 for _, status, _ in queued if status == "scheduled") <= 1
    ladder = [(step, due.astimezone(TZ).date()) for step, _, due in reminders(engine, Reminder.kind == "ladder")]
    assert ladder == [
        ("提示", date(2025, 6, 17)),
        ("催办", date(2025, 6, 19)),
        ("通报", date(2025, 6, 23)),
        ("约谈", date(2025, 6, 30)),
    ]
    assert "【提示】任务已超期1天" in steps and "【催办】任务已超期3天" in steps
    assert any(s.startswith("【通报】") for s in steps) and "约谈通知（草稿）待审批" in steps


def test_a_约谈_notice_is_only_drafted(engine) -> None:
    new_task(engine, date(2025, 6, 2))
    for day in range(3, 30):
        run(engine, at(2025, 6, day, 9))
    with session_scope(engine) as s:
        [notice] = s.scalars(select(InterviewNotice)).all()
        assert notice.status == "draft" and notice.sent_at is None
        assert notice.meet_at.astimezone(TZ) == datetime(2025, 6, 18, 9, 30, tzinfo=TZ)  # two working days' notice
        drafted_on = notice.drafted_at.astimezone(TZ).date()
        owner = person(s, "liming").id
        to_owner = [r.payload for r in s.scalars(select(Outbox).where(Outbox.person_id == owner))]
        supervisors = {
            r.person_id
            for r in s.scalars(select(Outbox).where(Outbox.kind == "card"))
            if r.payload["card"]["flow"] == "interview"
        }
        assert supervisors == {person(s, "sunlihua").id}  # the township's supervisor, not the county's
    assert not any(p["kind"] == "card" and p["card"]["flow"] == "interview" for p in to_owner)
    assert drafted_on == date(2025, 6, 16)  # 14 days overdue, a working day


# -- 三会一课 cadence ---------------------------------------------------------------------------------------


def test_a_branch_without_its_monthly_committee_meeting_is_reminded_on_the_20th(engine) -> None:
    with session_scope(engine) as s:
        wang = s.scalars(select(Org).where(Org.name == "王家湾村党支部")).one()
        s.add(
            Meeting(
                receipt_no="HY-20250612-001",
                branch_id=wang.id,
                meeting_type="支部委员会",
                held_on=date(2025, 6, 12),
                recorder_id=person(s, "wangdefu").id,
            )
        )
    run(engine, at(2025, 6, 10, 10), RULES)
    sent = run(engine, at(2025, 6, 20, 9), RULES)  # a Friday
    with session_scope(engine) as s:
        told = {s.get_one(Person, r.person_id).name for r in sent if "支部委员会" in r.payload.get("text", "")}
    assert told == {"李明", "柳长青"}  # 王家湾村 held theirs on the 12th
    text = next(r.payload["text"] for r in sent if "支部委员会" in r.payload.get("text", ""))
    assert "本月的支部委员会还没有登记" in text and "6月30日前" in text


def test_the_20th_on_a_weekend_moves_to_the_friday_before(engine) -> None:
    run(engine, at(2025, 9, 1, 10), RULES)  # 2025-09-20 is a Saturday
    days = {
        due.astimezone(TZ).date()
        for step, _, due in reminders(engine, Reminder.kind == "cadence")
        if step == "支部委员会"
    }
    assert days == {date(2025, 9, 19)}
