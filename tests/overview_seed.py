"""The 总览's test data: tasks, ladder steps, approvals, patrols, 三会一课, grid events and notices in two
villages of the demo roster (李家村 and 王家湾村), written straight into the live server's database. Shared by
the HTTP tests (tests/test_console_overview.py) and the browser tests (tests/browser/test_console_overview.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.db import get_engine, session_scope
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

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=TZ)  # a Thursday, 10:00 in Shanghai; the week began Monday 9 March


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=TZ).astimezone(UTC)


class Seeder:
    """Rows written straight into the live server's database, named as the roster names them."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.receipts = 0

    def org(self, name: str) -> Org:
        return self.s.scalars(select(Org).where(Org.name == name)).one()

    def person(self, user: str) -> Person:
        return self.s.scalars(select(Person).where(Person.wecom_userid == user)).one()

    def receipt(self, prefix: str) -> str:
        self.receipts += 1
        return f"{prefix}-20260312-{self.receipts:03d}"

    def task(self, title: str, org: str, deadline: date | None, status: str = "open", *ladder: str) -> Task:
        task = Task(code=title[:32], title=title, deadline=deadline, org_id=self.org(org).id, status=status)
        self.s.add(task)
        self.s.flush()
        for i, step in enumerate(ladder):
            self.s.add(
                Reminder(
                    key=f"ladder:{task.id}:{step}",
                    kind="ladder",
                    step=step,
                    task_id=task.id,
                    due_at=local(2026, 3, 2 + i, 9),
                    status="sent",
                    fired_at=local(2026, 3, 2 + i, 9),
                )
            )
        return task

    def patrol(self, user: str, village: str, grid: str, day: date, status: str = "filed") -> None:
        grid_org = self.s.scalars(select(Org).where(Org.path.endswith(f"/{village}/{grid}"))).one()
        self.s.add(
            PatrolReport(
                receipt_no=self.receipt("XC"),
                reporter_id=self.person(user).id,
                org_id=grid_org.id,
                village_id=self.org(village).id,
                grid=grid,
                patrol_date=day,
                status=status,
            )
        )

    def meeting(self, branch: str, kind: str, day: date, recorder: str) -> None:
        self.s.add(
            Meeting(
                receipt_no=self.receipt("HY"),
                branch_id=self.org(branch).id,
                meeting_type=kind,
                held_on=day,
                recorder_id=self.person(recorder).id,
            )
        )

    def event(self, village: str, user: str, opened: datetime, status: str, closed: datetime | None = None) -> int:
        event = GridEvent(
            receipt_no=self.receipt("SJ"),
            village_id=self.org(village).id,
            reporter_id=self.person(user).id,
            category="环境卫生",
            description=f"{village}河道垃圾",
            status=status,
            created_at=opened,
            closed_at=closed,
        )
        self.s.add(event)
        self.s.flush()
        return event.id

    def notice(self, sender: str, scope: str, content: str, recipients: list[str], confirmed: int) -> int:
        broadcast = Broadcast(
            sender_id=self.person(sender).id,
            scope_org_id=self.org(scope).id,
            audience="全体",
            content=content,
            created_at=local(2026, 3, 10),
            sent_at=local(2026, 3, 10),
        )
        self.s.add(broadcast)
        self.s.flush()
        for i, user in enumerate(recipients):
            self.s.add(
                BroadcastRecipient(
                    broadcast_id=broadcast.id,
                    person_id=self.person(user).id,
                    confirmed_at=local(2026, 3, 10, 12) if i < confirmed else None,
                )
            )
        return broadcast.id

    def claim(self, user: str, village: str) -> None:
        self.s.add(
            Trip(
                receipt_no=self.receipt("ZF"),
                person_id=self.person(user).id,
                village_id=self.org(village).id,
                village=village,
                trip_date=date(2026, 3, 10),
                status="pending",
            )
        )


@dataclass
class Seeded:
    lijia_late: int
    wangjia_late: int
    lijia_event: int
    wangjia_event: int
    lijia_notice: int
    wangjia_notice: int


def seed(server: Any) -> Seeded:
    """Two villages' work, 李家村's and 王家湾村's, with a little of 石桥镇's own, as of Thursday 12 March 2026."""
    with session_scope(get_engine(server.settings.database_url)) as s:
        add = Seeder(s)
        # 李家村: one task in each state; the late one has had 提示 and 催办
        lijia_late = add.task("活动阵地提升", "李家村", date(2026, 2, 20), "open", "提示", "催办").id
        add.task("党员积分管理", "李家村", date(2026, 3, 25), "in_progress")
        add.task("村规民约修订", "李家村", date(2026, 4, 30), "blocked")
        add.task("网格员培训", "李家村", date(2026, 3, 1), "done")
        add.task("党员教育", "李家村", None)
        add.task("旧方案任务", "李家村", date(2025, 12, 1), "archived")  # no longer in the plan: not counted
        # 王家湾村: two late (one of them reported 有困难, still late), one done
        wangjia_late = add.task("王家湾村阵地建设", "王家湾村", date(2026, 2, 1), "open", "提示").id
        add.task("王家湾村集体经济", "王家湾村", date(2026, 3, 10), "blocked")
        add.task("王家湾村网格划分", "王家湾村", date(2026, 2, 28), "done")
        add.task("乡村网格化管理", "石桥镇", date(2026, 6, 30))  # the township's own
        # approvals: a 约谈 draft about 王家湾村, two claims waiting
        s.add(
            InterviewNotice(
                task_id=wangjia_late,
                target_org_id=add.org("王家湾村").id,
                reason="逾期",
                meet_at=local(2026, 3, 16, 9),
                place="镇党委会议室",
                interviewers="镇党委书记",
                materials="情况说明",
                status="draft",
            )
        )
        add.claim("liming", "李家村")
        add.claim("wangdefu", "王家湾村")
        # patrols this week: 李家村 1组 and 王家湾村 2组; a withdrawn one and last week's do not count
        add.patrol("zhangwei", "李家村", "1组", date(2026, 3, 10))
        add.patrol("liufang", "李家村", "2组", date(2026, 3, 11), status="withdrawn")
        add.patrol("wangxh", "李家村", "3组", date(2026, 3, 6))
        add.patrol("huanglei", "王家湾村", "2组", date(2026, 3, 11))
        # 三会一课
        add.meeting("李家村党支部", "支部委员会", date(2026, 1, 15), "liming")
        add.meeting("李家村党支部", "支部委员会", date(2026, 2, 12), "liming")
        add.meeting("李家村党支部", "主题党日", date(2026, 3, 5), "liming")
        add.meeting("王家湾村党支部", "支部委员会", date(2026, 1, 20), "wangdefu")
        # grid events: 李家村 one open (this week) and one closed (last week); 王家湾村 one open (2 weeks ago)
        lijia_event = add.event("李家村", "zhangwei", local(2026, 3, 10), "reported")
        add.event("李家村", "zhangwei", local(2026, 3, 2), "closed", local(2026, 3, 4))
        wangjia_event = add.event("王家湾村", "yangfan", local(2026, 2, 25), "accepted")
        # notices
        lijia_notice = add.notice("liming", "李家村", "请各网格员本周完成巡查", ["zhangwei", "liufang", "wangxh"], 1)
        wangjia_notice = add.notice("wangdefu", "王家湾村", "王家湾村党员大会通知", ["yangfan", "huanglei"], 2)
    return Seeded(lijia_late, wangjia_late, lijia_event, wangjia_event, lijia_notice, wangjia_notice)
