"""审批 in the 工作台 over HTTP: the 约谈 drafts the ladder made and the 交通补助 claims filed in the chat, decided
by whoever the cards let decide them, through the cards' own functions. A decision here finishes the chat's
approval cards (a later tap hears it was handled); one made on a card shows here; nothing is decided twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.roles import OrgKind
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, CardRecord, InterviewNotice, Org, Person, Task, Trip
from scheduler.jobs import fire_due, plan_all

from transcript import fields_of, rows

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=TZ)  # Thursday 10:00: the 约谈 drafted at 09:00 is for Monday 09:30
CARD_DONE = "这张卡片已经处理过了。"


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def overdue_task(server, org: str = "李家村", owner: str = "liming") -> int:
    with session_scope(get_engine(server.settings.database_url)) as s:
        place = s.scalars(select(Org).where(Org.name == org)).one()
        person = s.scalars(select(Person).where(Person.wecom_userid == owner)).one()
        task = Task(code="ZD-1", title="活动阵地提升", deadline=date(2026, 1, 30), org_id=place.id, owner_id=person.id)
        s.add(task)
        s.flush()
        return task.id


def climb(server, work) -> None:
    """The ladder one step a working day, Monday to Thursday 09:00: 提示, 催办, 通报, then the 约谈 draft."""
    for day in (9, 10, 11, 12):
        when = datetime(2026, 3, day, 9, 0, tzinfo=TZ).astimezone(UTC)
        plan_all(when, server.settings)
        fire_due(when, server.settings)
    work()


@pytest.fixture
def draft(server, work, chat) -> dict[str, Any]:
    """A 约谈 draft made the real way, and the approval card it sent to 孙丽华."""
    overdue_task(server)
    climb(server, work)
    [notice] = rows(server, InterviewNotice)
    assert notice.status == "draft"
    card = chat.as_("sunlihua").expect_card("约谈通知（草稿）待审批")
    chat.as_("liming").new()  # the ladder's 提示, 催办 and 通报: read
    return {"id": notice.id, "card": card}


@pytest.fixture
def claim(chat) -> dict[str, Any]:
    """A 交通补助 claim filed in the chat by 周建国, and its approval card to 孙丽华."""
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    chat.expect_text("已提交孙丽华审批")
    card = chat.as_("sunlihua").expect_card("交通补助待审批")
    return {"card": card}


def card_updates(chat, user: str) -> list[str]:
    return [
        (e.get("template_card") or {}).get("replace_text", "") for e in chat.as_(user).new() if e.get("api") == "update"
    ]


def audits(server, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [(a.action, a.detail) for a in rows(server, AuditLog, AuditLog.action.like(prefix + "%"))]


# -- 约谈 ------------------------------------------------------------------------------------------------


def test_a_draft_approved_in_the_console_reaches_the_person_and_finishes_the_card(
    server, console_as, chat, work, draft
) -> None:
    sunlihua = console_as("sunlihua")
    listing = sunlihua.get("/console/approvals")
    assert listing.status_code == 200
    assert "约谈通知 · 待审批 1" in listing.text and "李家村 李明" in listing.text
    page = sunlihua.get(f"/console/approvals/interview/{draft['id']}")
    assert "3月16日 09:30" in page.text and "镇党委会议室" in page.text and "批准发送" in page.text

    done = sunlihua.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "approve"})
    assert done.status_code == 200 and "约谈通知已发出，对方确认收到后会告诉您。" in done.text
    assert "已批准发送" in done.text and "批准发送</button>" not in done.text
    work()
    notice_card = chat.as_("liming").expect_card("约谈通知")
    assert fields_of(notice_card)["地点"] == "镇党委会议室"
    assert card_updates(chat, "sunlihua") == ["已批准发送 · 孙丽华（已在工作台处理）"]
    with session_scope(get_engine(server.settings.database_url)) as s:
        record = s.get(CardRecord, draft["card"]["task_id"])
        assert record is not None and record.state == "done"
        assert record.card["done_text"] == "已批准发送 · 孙丽华（已在工作台处理）"

    chat.as_("sunlihua").taps(draft["card"], "批准发送")  # the old card, tapped after all
    chat.expect_text(CARD_DONE)
    again = sunlihua.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "reject"})
    assert again.status_code == 409 and "这份约谈通知已处理" in again.text
    work()
    assert chat.as_("liming").new() == []  # sent once
    [notice] = rows(server, InterviewNotice)
    assert notice.status == "sent" and notice.sent_at is not None
    assert [a for a, _ in audits(server, "interview.")] == ["interview.approved"]
    assert audits(server, "console.interview.") == [
        ("console.interview.approve", {"via": "console", "decided": True, "cards": 1}),
        ("console.interview.reject", {"via": "console", "decided": False, "cards": 0}),
    ]

    chat.as_("liming").taps(notice_card, "收到")  # the person confirms, as from a card approved in the chat
    chat.as_("sunlihua").expect_text("李明已确认收到约谈通知")


def test_a_draft_decided_on_the_card_shows_decided_and_is_not_decided_again(
    server, console_as, chat, work, draft
) -> None:
    chat.as_("sunlihua").taps(draft["card"], "不发")
    chat.expect_text("不发，已记录")
    sunlihua = console_as("sunlihua")
    listing = sunlihua.get("/console/approvals")
    assert "没有待审批的约谈通知" in listing.text
    assert "约谈通知 · 李家村 李明</a> · 不发 · 孙丽华" in listing.text
    page = sunlihua.get(f"/console/approvals/interview/{draft['id']}")
    assert "不发" in page.text and "批准发送</button>" not in page.text and "保存修改" not in page.text
    late = sunlihua.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "approve"})
    assert late.status_code == 409 and "已处理" in late.text
    work()
    assert not [e for e in chat.as_("liming").new() if "约谈通知" in str(e)]
    assert [n.status for n in rows(server, InterviewNotice)] == ["rejected"]


def test_declined_in_the_console(server, console_as, chat, work, draft) -> None:
    done = console_as("sunlihua").post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "reject"})
    assert done.status_code == 200 and "这份约谈通知不发，已记录" in done.text
    work()
    assert card_updates(chat, "sunlihua") == ["已决定不发 · 孙丽华（已在工作台处理）"]
    assert not [e for e in chat.as_("liming").new() if "约谈通知" in str(e)]
    [notice] = rows(server, InterviewNotice)
    assert notice.status == "rejected" and notice.approver_id is not None


def test_editing_a_draft_checks_it_as_the_chat_does_and_renews_the_cards(server, console_as, chat, work, draft) -> None:
    sunlihua = console_as("sunlihua")
    url = f"/console/approvals/interview/{draft['id']}/edit"
    good = {
        "when": "2026-03-17T15:00",
        "place": "镇政府二楼会议室",
        "interviewers": "镇党委副书记 王强",
        "materials": "整改方案",
    }

    refused = sunlihua.post_form(url, {**good, "when": "2026-03-13T09:30", "place": "", "interviewers": "长" * 101})
    assert refused.status_code == 400
    assert "约谈时间距今不足2个工作日，最早可定在3月16日。" in refused.text
    assert "请填写地点。" in refused.text and "约谈人：请控制在100字以内。" in refused.text
    assert sunlihua.post_form(url, {**good, "when": "2026-03-01T09:30"}).status_code == 400
    assert "约谈时间须晚于现在" in sunlihua.post_form(url, {**good, "when": "2026-03-01T09:30"}).text
    assert sunlihua.post_form(url, {**good, "when": "下周二"}).status_code == 400
    [notice] = rows(server, InterviewNotice)
    assert notice.place == "镇党委会议室"  # nothing half-written

    done = sunlihua.post_form(url, good)
    assert done.status_code == 200 and "已修改约谈通知：3月17日 15:00，镇政府二楼会议室。" in done.text
    work()
    got = chat.as_("sunlihua").new()
    assert [(e.get("template_card") or {}).get("replace_text") for e in got if e.get("api") == "update"] == [
        "已更新，请看新卡片"
    ]
    fresh = chat.expect_card("约谈通知（草稿）待审批", got)
    assert fields_of(fresh)["地点"] == "镇政府二楼会议室" and fields_of(fresh)["时间"] == "3月17日 15:00"
    chat.taps(draft["card"], "批准发送")
    chat.expect_text("这张卡片已失效或已被新卡片代替")

    sunlihua.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "approve"})
    work()
    assert fields_of(chat.as_("liming").expect_card("约谈通知"))["时间"] == "3月17日 15:00"
    assert card_updates(chat, "sunlihua") == ["已批准发送 · 孙丽华（已在工作台处理）"]
    chat.as_("sunlihua").taps(fresh, "批准发送")
    chat.expect_text(CARD_DONE)
    edited = [d for a, d in audits(server, "interview.") if a == "interview.edited"]
    assert edited == [{"when": "2026-03-17T15:00:00+08:00", "place": "镇政府二楼会议室"}]


def test_only_the_nearest_supervisor_decides_and_only_within_the_area(server, console_as, draft) -> None:
    county = console_as("qianweidong")  # 县委组织部's 督导: the township's supervisor is nearer
    assert "没有待审批的约谈通知" in county.get("/console/approvals").text
    page = county.get(f"/console/approvals/interview/{draft['id']}")
    assert page.status_code == 200 and "由最近一级的督导审批" in page.text and "批准发送</button>" not in page.text
    refused = county.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "approve"})
    assert refused.status_code == 403 and "您没有审批这份约谈通知的权限" in refused.text
    edit = county.post_form(
        f"/console/approvals/interview/{draft['id']}/edit",
        {"when": "2026-03-17T15:00", "place": "县委", "interviewers": "某", "materials": "某"},
    )
    assert edit.status_code == 403
    assert [n.status for n in rows(server, InterviewNotice)] == ["draft"]

    assert console_as("liming").get("/console/approvals").status_code == 403  # a 村书记 decides neither

    with session_scope(get_engine(server.settings.database_url)) as s:  # 河口镇, beside 石桥镇
        county_org = s.scalars(select(Org).where(Org.path == "清河县")).one()
        town = Org(name="河口镇", kind=OrgKind.TOWNSHIP.value, parent_id=county_org.id, path="清河县/河口镇")
        s.add(town)
        s.flush()
        other = InterviewNotice(
            target_org_id=town.id,
            reason="测试",
            meet_at=datetime(2026, 3, 17, 9, 30, tzinfo=TZ),
            place="河口镇会议室",
            interviewers="某",
            materials="某",
            status="draft",
        )
        s.add(other)
        s.flush()
        other_id = other.id
    sunlihua = console_as("sunlihua")
    assert sunlihua.get(f"/console/approvals/interview/{other_id}").status_code == 404
    assert (
        sunlihua.post_form(f"/console/approvals/interview/{other_id}/decide", {"choice": "approve"}).status_code == 404
    )
    assert "河口镇会议室" not in sunlihua.get("/console/approvals").text
    assert (
        sunlihua.post_form(f"/console/approvals/interview/{draft['id']}/decide", {"choice": "maybe"}).status_code == 400
    )


# -- 交通补助 ----------------------------------------------------------------------------------------------


def test_a_claim_approved_in_the_console(server, console_as, chat, work, claim) -> None:
    sunlihua = console_as("sunlihua")
    listing = sunlihua.get("/console/approvals")
    assert "交通补助 · 待审批 1" in listing.text and "周建国（石桥镇） · 30元" in listing.text
    [trip] = rows(server, Trip)
    done = sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "approve"})
    assert done.status_code == 200 and f"{trip.receipt_no}：已通过 · 孙丽华。已通知周建国。" in done.text
    work()
    chat.as_("zhoujianguo").expect_text("交通补助30元已审批通过（孙丽华）")
    assert card_updates(chat, "sunlihua") == ["已通过 · 孙丽华（已在工作台处理）"]
    chat.as_("sunlihua").taps(claim["card"], "通过")
    chat.expect_text(CARD_DONE)

    twice = sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "return", "reason": "0"})
    assert twice.status_code == 409 and "现在是「已通过」，无需再审批" in twice.text
    work()
    assert chat.as_("zhoujianguo").new() == []
    [trip] = rows(server, Trip)
    assert trip.status == "approved" and trip.return_reason is None
    assert [a for a, _ in audits(server, "trip.")] == ["trip.claimed", "trip.approved"]
    assert [a for a, _ in audits(server, "console.trip.")] == ["console.trip.approve", "console.trip.return"]


def test_a_claim_returned_in_the_console_with_the_rules_reason(server, console_as, chat, work, claim) -> None:
    sunlihua = console_as("sunlihua")
    [trip] = rows(server, Trip)
    page = sunlihua.get(f"/console/approvals/trip/{trip.id}")
    assert "信息不完整" in page.text and "不符合补助条件" in page.text
    no_reason = sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "return", "reason": ""})
    assert no_reason.status_code == 400 and "请先在「退回原因」里选择原因" in no_reason.text
    assert (
        sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "return", "reason": "7"}).status_code
        == 400
    )
    done = sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "return", "reason": "1"})
    assert done.status_code == 200 and "已退回：不符合补助条件" in done.text
    work()
    returned = chat.as_("zhoujianguo").expect_card("退回")
    assert "不符合补助条件" in str(returned)
    assert card_updates(chat, "sunlihua") == ["已退回 · 孙丽华（已在工作台处理）"]
    [trip] = rows(server, Trip)
    assert (trip.status, trip.return_reason) == ("returned", "不符合补助条件")


def test_a_claim_decided_on_the_card_shows_decided_here(server, console_as, chat, work, claim) -> None:
    chat.as_("sunlihua").taps(claim["card"], "通过")
    chat.expect(card_update="已通过 · 孙丽华")
    [trip] = rows(server, Trip)
    sunlihua = console_as("sunlihua")
    listing = sunlihua.get("/console/approvals")
    assert (
        "没有待审批的交通补助" in listing.text
        and f"{trip.receipt_no} · 周建国 30元</a> · 已通过 · 孙丽华" in listing.text
    )
    late = sunlihua.post_form(f"/console/approvals/trip/{trip.id}/decide", {"choice": "approve"})
    assert late.status_code == 409
    work()
    got = chat.as_("zhoujianguo").new()
    assert len([e for e in got if "审批通过" in e.get("content", "")]) == 1  # heard once, from the card
