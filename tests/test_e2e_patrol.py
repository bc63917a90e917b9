"""网格巡查 end to end through the simulator: a message, a confirmation card, one tap, a receipt — and the
edits, cancellations, withdrawals, photos and events around it. Each test reads as the conversation.

The transcripts of handlers and forms that need no wire run in process: tests/test_inproc_patrol.py."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.store.tables import Attachment, AuditLog, EventPhase, GridEvent, PatrolReport

from transcript import fields_of, rows

RECEIPT = re.compile(r"XC-\d{8}-\d{3}")
# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def updates(got: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in got if e.get("api") == "update"]


# -- the everyday case ------------------------------------------------------------------------------


def test_nothing_found_is_one_message_and_one_tap(chat, server) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # 今日: the day the test runs, where the village is
    chat.as_("wangxh").says("今日巡查无异常")
    card = chat.expect_card("请确认巡查记录")
    assert fields_of(card) == {"日期": f"{today.month}月{today.day}日", "网格": "3组", "情况": "无异常"}
    chat.taps(card, "提交")
    got = chat.expect(text="巡查记录已提交", card_update="已提交 · 编号 XC-")
    found = RECEIPT.search(updates(got)[0]["template_card"]["replace_text"])
    assert found is not None
    receipt = found.group(0)
    assert any(receipt in e.get("content", "") for e in got)
    [report] = rows(server, PatrolReport)
    assert (report.receipt_no, report.grid, report.issues, report.status) == (receipt, "3组", 0, "filed")
    assert report.category is None and report.resolved is None


def test_a_category_chosen_from_the_drop_down(chat) -> None:
    chat.as_("zhangwei").says("今天巡查1组发现一处问题，已处理")
    card = chat.expect_card("类别")
    chat.taps(card, "确定", choosing="安全隐患")
    got = chat.expect(card_update="已选：安全隐患", card="请确认")
    assert fields_of(chat.expect_card("请确认", got))["类别"] == "安全隐患"


# -- withdraw ---------------------------------------------------------------------------------------


def file_one(chat, text: str = "今日巡查无异常") -> None:
    chat.says(text)
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交")


# -- photos and locations ---------------------------------------------------------------------------


def test_photos_and_a_location_attach_to_the_open_draft(chat, server) -> None:
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    chat.expect_card("请确认")
    chat.sends_photo("media-a")
    chat.expect_text("已收到照片（第1个），提交巡查记录时一并登记")
    chat.sends_location(30.1234, 120.5678, "李家村3组河埠头")
    chat.expect_text("已收到位置")
    chat.says("继续")
    card = chat.expect_card("请确认")
    assert card["template_card"]["main_title"]["desc"] == "核对无误请点「提交」（附照片1张、位置）"
    chat.taps(card, "提交")
    chat.expect(text="已提交")
    [report] = rows(server, PatrolReport)
    kinds = sorted(a.kind for a in rows(server, Attachment, Attachment.owner_id == report.id))
    assert kinds == ["image", "location"]
    assert (report.latitude, report.longitude, report.location_text) == (30.1234, 120.5678, "李家村3组河埠头")


# -- an event through its life-cycle ----------------------------------------------------------------


def test_an_escalated_event_walked_through_its_life_cycle(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "今天巡查3组，发现有人在河边电鱼，劝不走，需要村里处理")
    [event] = rows(server, GridEvent)
    assert event.status == "reported" and event.receipt_no.startswith("SJ-")

    # the secretary accepts: the same card now offers 转派 and 办结
    card = chat.as_("liming").expect_card("网格事件待受理")
    assert fields_of(card)["上报人"] == "王小红" and fields_of(card)["类别"] == "治安"
    chat.taps(card, "受理")
    [update] = updates(chat.new())
    assert update["template_card"]["main_title"]["title"] == "网格事件已受理"
    assert [b["text"] for b in update["template_card"]["button_list"]] == ["转派", "办结"]
    chat.as_("wangxh").expect_text("已由李明受理")

    # passed to a cadre of the village
    card["template_card"] = update["template_card"]
    chat.as_("liming").taps(card, "转派", choosing="郭亮")
    chat.expect(card_update="转派 · 郭亮")
    chat.as_("wangxh").expect_text("转派给郭亮处理")

    # the cadre handles it; the secretary checks and closes it
    chat.as_("guoliang").taps(chat.expect_card("请处理网格事件"), "已处理")
    chat.expect(card_update="已处理 · 待核查")
    chat.as_("wangxh").expect_text("郭亮处理完毕，等待村里核查")
    chat.as_("liming").taps(chat.expect_card("事件已处理，请核查"), "办结")
    chat.expect(card_update="已办结 · 李明")
    chat.as_("wangxh").expect_text("已办结（李明）。感谢您的上报")

    [event] = rows(server, GridEvent)
    assert event.status == "closed" and event.closed_at is not None
    phases = rows(server, EventPhase)
    assert [(p.step, p.to_status, p.actor_name) for p in phases] == [
        ("上报", "reported", "王小红"),
        ("受理", "accepted", "李明"),
        ("转派", "dispatched", "李明"),
        ("处理完毕", "handled", "郭亮"),
        ("核查办结", "closed", "李明"),
    ]


def test_someone_elses_card_is_refused(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "巡查3组发现一处危房墙体开裂，需要村里处理")
    card = chat.as_("liming").expect_card("网格事件待受理")
    chat.as_("zhangwei").taps(card, "办结")
    chat.expect_text("这张卡片不是发给您的")
    assert [e.status for e in rows(server, GridEvent)] == ["reported"]
    [entry] = rows(server, AuditLog, AuditLog.action == "card.refused")
    assert entry.actor == "张伟"
