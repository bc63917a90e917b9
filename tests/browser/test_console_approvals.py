"""任务 and 审批 in a real Chromium: a 约谈 draft made the real way (a task overdue, the ladder climbing to its 约谈
step) and a 交通补助 claim filed in the chat, both approved by the township's supervisor in the 工作台 at a phone's
width; the chat's approval cards show it was handled there, the person receives the notice, the cadre hears the
claim approved, and a tap on an old approval card is answered as already handled. On a PC: the lists, a task's
ladder and 「催办」. The clock is pinned: Thursday 12 March 2026, 10:00 in Shanghai."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import InterviewNotice, Org, Person, Task, Trip
from browser.helpers import WECOM_WEBVIEW, Shots, context
from scheduler.jobs import fire_due, plan_all

from transcript import fields_of, rows

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=TZ)
CARD_DONE = "这张卡片已经处理过了。"


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def overdue_task(server) -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        village = s.scalars(select(Org).where(Org.name == "李家村")).one()
        owner = s.scalars(select(Person).where(Person.wecom_userid == "liming")).one()
        task = Task(code="ZD-1", title="活动阵地提升", deadline=date(2026, 1, 30), org_id=village.id, owner_id=owner.id)
        s.add(task)
        s.flush()
        return task.id


def ladder_to_interview(server, work) -> None:
    """One step a working day, Monday to Thursday 09:00: 提示, 催办, 通报, and the 约谈 drafted for approval."""
    for day in (9, 10, 11, 12):
        when = datetime(2026, 3, day, 9, 0, tzinfo=TZ).astimezone(UTC)
        plan_all(when, server.settings)
        fire_due(when, server.settings)
    work()


def fits(page: Page, width: int) -> None:
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{page.url} is {scrolled}px wide on a {width}px screen"


def test_the_supervisor_approves_a_约谈_and_a_claim_on_the_phone(
    chromium: Browser, server, chat, work, fake, shots: Shots
) -> None:
    task_id = overdue_task(server)
    ladder_to_interview(server, work)
    approval = chat.as_("sunlihua").expect_card("约谈通知（草稿）待审批")
    chat.as_("liming").new()
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    chat.expect_text("已提交孙丽华审批")
    claim_card = chat.as_("sunlihua").expect_card("交通补助待审批")

    # on a PC: the lists and the task, and 「催办」 from the task's page
    pc = context(chromium, "pc", server.url)
    desk = shots.watch(pc.new_page())
    desk.goto("/console")
    desk.get_by_role("link", name="企业微信扫码登录").click()
    desk.get_by_role("link", name="sunlihua").click()
    expect(desk.get_by_role("heading", name="您好，孙丽华")).to_be_visible()
    desk.get_by_role("navigation", name="页面").get_by_role("link", name="任务").click()
    expect(desk.get_by_role("heading", name="任务")).to_be_visible()
    desk.get_by_label("进展").select_option("late")
    desk.get_by_role("button", name="筛选").click()
    expect(desk.get_by_role("link", name="活动阵地提升")).to_be_visible()
    expect(desk.get_by_text("逾期 41天")).to_be_visible()
    shots.take(desk, "tasks-list-pc")
    desk.get_by_role("link", name="活动阵地提升").click()
    expect(desk.get_by_role("heading", name="活动阵地提升")).to_be_visible()
    desk.get_by_role("button", name="催办").click()
    expect(desk.get_by_role("status")).to_have_text("已向李明发送催办。")
    expect(desk.get_by_text("催办（工作台） · 已发送")).to_be_visible()
    expect(desk.get_by_text("约谈通知 · 草稿待审批")).to_be_visible()
    shots.take(desk, "task-detail-pc")
    desk.get_by_role("navigation", name="页面").get_by_role("link", name="审批").click()
    expect(desk.get_by_role("heading", name="约谈通知 · 待审批 1")).to_be_visible()
    expect(desk.get_by_role("heading", name="交通补助 · 待审批 1")).to_be_visible()
    shots.take(desk, "approvals-pc")
    pc.close()
    work()
    urged = chat.as_("liming").expect_card("【催办】")
    assert fields_of(urged)["任务"] == "活动阵地提升"

    # on the phone, inside WeCom
    phone = context(chromium, "phone", server.url, user_agent=WECOM_WEBVIEW)
    phone.add_cookies([{"name": "sim_wecom_user", "value": "sunlihua", "url": f"{server.url}/sim/wecom"}])
    page = shots.watch(phone.new_page())
    page.goto("/console")  # signed in silently by the app; the sign-in lands on the 总览
    expect(page.get_by_role("heading", name="您好，孙丽华")).to_be_visible()
    page.goto(f"/console/tasks/{task_id}")
    expect(page.get_by_role("heading", name="活动阵地提升")).to_be_visible()
    fits(page, 390)
    shots.take(page, "task-detail-phone")
    page.get_by_role("link", name="← 返回任务列表").click()
    expect(page.get_by_role("heading", name="共 1 项")).to_be_visible()
    fits(page, 390)
    shots.take(page, "tasks-list-phone")

    page.goto("/console/approvals")
    expect(page.get_by_text("李家村 李明")).to_be_visible()
    expect(page.get_by_text("周建国（石桥镇） · 30元")).to_be_visible()
    fits(page, 390)
    shots.take(page, "approvals-phone")
    page.get_by_role("link", name="查看并审批").click()
    expect(page.get_by_role("heading", name="约谈通知（草稿）")).to_be_visible()
    expect(page.get_by_text("3月16日 09:30")).to_be_visible()
    fits(page, 390)
    page.get_by_role("button", name="批准发送").click()
    expect(page.get_by_role("status")).to_have_text("约谈通知已发出，对方确认收到后会告诉您。")
    expect(page.get_by_text("已批准发送", exact=True)).to_be_visible()
    page.get_by_role("link", name="← 返回审批").click()
    page.get_by_role("button", name=re.compile("^通过")).click()
    [trip] = rows(server, Trip)
    expect(page.get_by_role("status")).to_have_text(f"{trip.receipt_no}：已通过 · 孙丽华。已通知周建国。")
    page.get_by_role("link", name="← 返回审批").click()
    expect(page.get_by_text("没有待审批的约谈通知。")).to_be_visible()
    expect(page.get_by_text("没有待审批的交通补助。")).to_be_visible()
    fits(page, 390)
    shots.take(page, "approvals-done-phone")
    phone.close()

    # the chat: both approval cards say they were handled in the console; the notice and the answer went out
    work()
    updates = [
        e["template_card"]["replace_text"]
        for e in fake.inbox("sunlihua")
        if e.get("api") == "update" and e["task_id"] in (approval["task_id"], claim_card["task_id"])
    ]
    assert sorted(updates) == ["已批准发送 · 孙丽华（已在工作台处理）", "已通过 · 孙丽华（已在工作台处理）"]
    notice = chat.as_("liming").expect_card("约谈通知")
    assert fields_of(notice)["时间"] == "3月16日 09:30" and fields_of(notice)["地点"] == "镇党委会议室"
    chat.as_("zhoujianguo").expect_text("交通补助30元已审批通过（孙丽华）")
    assert [n.status for n in rows(server, InterviewNotice)] == ["sent"]

    chat.as_("sunlihua").new()
    chat.taps(approval, "批准发送")  # the old card, tapped after the console decided
    chat.expect_text(CARD_DONE)
    chat.taps(claim_card, "通过")
    chat.expect_text(CARD_DONE)
    assert [t.status for t in rows(server, Trip)] == ["approved"]
