"""任务 in the 工作台 over HTTP: the plan's tasks in the viewer's area only (a 村书记 their village, a township
supervisor the township, another area's task a 404), filtered by progress, unit and deadline and paged; a task's
history, ladder and notices; and 「催办」, the ladder's own 催办 sent now, audited and kept with the ladder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.roles import OrgKind
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Org, Person, Reminder, Task
from scheduler.jobs import fire_due, plan_all

from transcript import rows

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=TZ)  # a Thursday, 10:00 in Shanghai: every test runs at this instant


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def add_task(
    server, title: str, org: str, deadline: date | None, status: str = "open", owner: str | None = None
) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        place = s.scalars(select(Org).where(Org.name == org)).one()
        who = s.scalars(select(Person).where(Person.wecom_userid == owner)).one() if owner else None
        task = Task(
            code=title[:32],
            title=title,
            deadline=deadline,
            org_id=place.id,
            owner_id=who.id if who else None,
            status=status,
        )
        s.add(task)
        s.flush()
        return task.id


def another_township(server) -> int:
    """河口镇 and its 东村, beside 石桥镇 under 清河县, with a task of its own."""
    with session_scope(get_engine(server.settings.database_url)) as s:
        county = s.scalars(select(Org).where(Org.path == "清河县")).one()
        town = Org(name="河口镇", kind=OrgKind.TOWNSHIP.value, parent_id=county.id, path="清河县/河口镇")
        s.add(town)
        s.flush()
        s.add(Org(name="东村", kind=OrgKind.VILLAGE.value, parent_id=town.id, path="清河县/河口镇/东村"))
    return add_task(server, "东村活动阵地提升", "东村", date(2026, 2, 20))


@pytest.fixture
def plan(server) -> dict[str, int]:
    return {
        "late": add_task(server, "活动阵地提升", "李家村", date(2026, 2, 20), owner="liming"),
        "doing": add_task(server, "党员积分管理", "李家村", date(2026, 3, 25), "in_progress", owner="liming"),
        "hard": add_task(server, "村规民约修订", "李家村", date(2026, 4, 30), "blocked", owner="liming"),
        "done": add_task(server, "网格员培训", "李家村", date(2026, 3, 1), "done", owner="liming"),
        "long": add_task(server, "党员教育", "李家村", None, owner="liming"),
        "other_village": add_task(server, "王家湾村活动阵地提升", "王家湾村", date(2026, 2, 20), owner="wangdefu"),
        "township": add_task(server, "乡村网格化管理", "石桥镇", date(2026, 6, 30)),
    }


def titles(page_text: str) -> list[str]:
    return re.findall(r'<a href="/console/tasks/\d+">([^<]+)</a>', page_text)


def test_a_secretary_sees_the_tasks_of_their_village_only(console_as, plan) -> None:
    liming = console_as("liming")
    page = liming.get("/console/tasks")
    assert page.status_code == 200
    assert titles(page.text) == ["活动阵地提升", "网格员培训", "党员积分管理", "村规民约修订", "党员教育"]
    assert "共 5 项" in page.text and "逾期 20天" in page.text and "长期（无固定时限）" in page.text
    elsewhere = liming.get(f"/console/tasks/{plan['other_village']}")
    assert elsewhere.status_code == 404 and "不在您管理的范围内" in elsewhere.text
    assert liming.get(f"/console/tasks/{plan['township']}").status_code == 404
    assert liming.get("/console/tasks/999999").status_code == 404
    assert liming.get("/console/tasks/not-a-number").status_code == 404


def test_members_who_manage_nobody_are_refused(console_as, plan) -> None:
    page = console_as("zhangqiang").get("/console/tasks")  # 党员 only
    assert page.status_code == 403 and "没有权限" in page.text


def test_the_township_filters_by_progress_unit_and_deadline(server, console_as, plan) -> None:
    east = another_township(server)
    sunlihua = console_as("sunlihua")
    everything = titles(sunlihua.get("/console/tasks").text)
    assert "东村活动阵地提升" not in everything and len(everything) == 7
    assert sunlihua.get(f"/console/tasks/{east}").status_code == 404

    assert titles(sunlihua.get("/console/tasks?status=late").text) == ["活动阵地提升", "王家湾村活动阵地提升"]
    assert titles(sunlihua.get("/console/tasks?status=done").text) == ["网格员培训"]
    assert titles(sunlihua.get("/console/tasks?status=blocked").text) == ["村规民约修订"]
    assert titles(sunlihua.get("/console/tasks?status=in_progress").text) == ["党员积分管理"]
    with session_scope(get_engine(server.settings.database_url)) as s:
        wangjiawan = s.scalars(select(Org.id).where(Org.name == "王家湾村")).one()
    assert titles(sunlihua.get(f"/console/tasks?org={wangjiawan}").text) == ["王家湾村活动阵地提升"]
    assert titles(sunlihua.get("/console/tasks?due=month").text) == ["网格员培训", "党员积分管理"]
    assert titles(sunlihua.get("/console/tasks?before=2026-03-02").text) == [
        "活动阵地提升",
        "网格员培训",
        "王家湾村活动阵地提升",
    ]
    assert titles(sunlihua.get("/console/tasks?status=late&before=2026-03-02&org=" + str(wangjiawan)).text) == [
        "王家湾村活动阵地提升"
    ]

    bad = sunlihua.get("/console/tasks?before=3月2日&status=whatever")
    assert bad.status_code == 400 and "日期无效" in bad.text and "没有这种进展状态" in bad.text
    assert len(titles(bad.text)) == 7  # what could not be read is left out, the rest still shown


def test_a_long_list_comes_in_pages_that_keep_the_filter(server, console_as) -> None:
    for n in range(25):
        add_task(server, f"柳树村任务{n:02d}", "柳树村", date(2026, 2, 1) + timedelta(days=n))
    sunlihua = console_as("sunlihua")
    first = sunlihua.get("/console/tasks?status=late")
    assert titles(first.text) == [f"柳树村任务{n:02d}" for n in range(20)]
    assert "第 1 / 2 页" in first.text and 'href="/console/tasks?status=late&amp;page=2"' in first.text
    second = sunlihua.get("/console/tasks?status=late&page=2")
    assert titles(second.text) == [f"柳树村任务{n:02d}" for n in range(20, 25)]
    assert "共 25 项" in second.text and "上一页" in second.text
    assert titles(sunlihua.get("/console/tasks?status=late&page=99").text) == titles(second.text)


def climb_two_steps(server, work) -> None:
    """The ladder's 提示 on Tuesday and 催办 on Wednesday; 通报 planned for Thursday 09:00, not yet sent."""
    for day in (10, 11):
        when = datetime(2026, 3, day, 9, 0, tzinfo=TZ).astimezone(UTC)
        plan_all(when, server.settings)
        fire_due(when, server.settings)
    plan_all(datetime(2026, 3, 11, 18, 0, tzinfo=TZ).astimezone(UTC), server.settings)
    work()


def test_a_task_shows_its_history_its_ladder_and_its_notices(server, console_as, chat, work, plan) -> None:
    chat.as_("liming").says("活动阵地提升还在推进中，正在联系施工队")
    chat.expect_text("已记录「活动阵地提升」：进行中")
    climb_two_steps(server, work)

    page = console_as("sunlihua").get(f"/console/tasks/{plan['late']}")
    assert page.status_code == 200
    text = page.text
    assert "活动阵地提升" in text and "李家村" in text and "2026年2月20日" in text
    assert "李明 · 139****1101" in text  # masked for everyone but administrators
    assert "进行中" in text and "正在联系施工队" in text
    ladder = text.split("逾期提醒与催办", 1)[1].split("</section>", 1)[0]
    assert re.findall(r"</time>(\S+?) · (\S+?)<", ladder) == [("提示", "已发送"), ("催办", "已发送"), ("通报", "计划")]
    assert ">催办</button>" in text

    admin = console_as("zhaomin").get(f"/console/tasks/{plan['late']}")
    assert "李明 · 13900001101" in admin.text


def test_催办_sends_the_ladders_催办_now_once_a_day_and_is_audited(server, console_as, fake, work, plan) -> None:
    sunlihua = console_as("sunlihua")
    done = sunlihua.post_form(f"/console/tasks/{plan['late']}/urge")
    assert done.status_code == 200 and "已向李明发送催办" in done.text
    work()
    cards = [e for e in fake.inbox("liming") if e.get("msgtype") == "template_card"]
    assert [c["template_card"]["main_title"]["title"] for c in cards] == ["【催办】任务已超期20天"]
    assert not fake.inbox("sunlihua")  # who urged it is not sent a copy of it

    ladder = done.text.split("逾期提醒与催办", 1)[1].split("</section>", 1)[0]
    assert "催办（工作台） · 已发送" in ladder and "孙丽华在工作台催办" in ladder
    [step] = rows(server, Reminder, Reminder.kind == "urge")
    assert (step.step, step.status, step.task_id) == ("催办", "sent", plan["late"])
    [audit] = rows(server, AuditLog, AuditLog.action == "console.task.urge")
    assert audit.actor == "孙丽华" and audit.target == f"task:{plan['late']}"
    assert audit.detail == {"via": "console", "done": True, "reminder": step.id, "owner": "李明"}

    again = sunlihua.post_form(f"/console/tasks/{plan['late']}/urge")
    assert again.status_code == 409 and "今天已经催办过" in again.text
    work()
    assert len([e for e in fake.inbox("liming") if e.get("msgtype") == "template_card"]) == 1


def test_催办_only_where_it_applies(server, console_as, plan) -> None:
    sunlihua = console_as("sunlihua")
    not_late = sunlihua.post_form(f"/console/tasks/{plan['doing']}/urge")
    assert not_late.status_code == 409 and "未逾期或已完成" in not_late.text
    assert ">催办</button>" not in sunlihua.get(f"/console/tasks/{plan['doing']}").text
    east = another_township(server)
    assert sunlihua.post_form(f"/console/tasks/{east}/urge").status_code == 404
    assert sunlihua.post(f"/console/tasks/{plan['late']}/urge", data={"csrf": "guessed"}).status_code == 403
    liming = console_as("liming")  # the owner, and a 村书记: the page shows no button, the route refuses
    assert ">催办</button>" not in liming.get(f"/console/tasks/{plan['late']}").text
    assert liming.post_form(f"/console/tasks/{plan['late']}/urge").status_code == 403
    assert not rows(server, Reminder, Reminder.kind == "urge")
