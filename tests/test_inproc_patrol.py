"""网格巡查 in process: the drafts, questions, edits, cancellations, withdrawals, photos and event steps of
test_e2e_patrol.py, run over the bot in this process (tests/inproc.py) on both platforms. test_e2e_patrol.py
keeps the HTTP transcripts: the everyday case, a drop-down choice, photos with a location, an event's whole
life-cycle and a refused tap."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import Attachment, AuditLog, GridEvent, PatrolReport

from transcript import fields_of, rows

RECEIPT = re.compile(r"XC-\d{8}-\d{3}")
# every transcript here runs twice: people on WeCom, and the same people on DingTalk
# `chat` and `server` are the bot in this process (tests/inproc.py), read as the HTTP ones are
pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


# -- the everyday case ------------------------------------------------------------------------------


def test_a_problem_handled_on_the_spot(chat, server) -> None:
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    card = chat.expect_card("请确认巡查记录")
    assert {k: fields_of(card)[k] for k in ("网格", "情况", "类别", "处理")} == {
        "网格": "3组",
        "情况": "发现问题1处",
        "类别": "环境卫生",
        "处理": "已当场处理",
    }
    chat.taps(card, "提交")
    chat.expect(text="巡查记录已提交", card_update="已提交")
    [report] = rows(server, PatrolReport)
    assert (report.category, report.resolved, report.issues) == ("环境卫生", True, 1)
    assert report.description == "今天巡查3组，发现河道垃圾一处，已清理"
    assert rows(server, GridEvent) == []  # settled on the spot: nothing goes to the village


def test_receipt_numbers_count_up_within_the_day(chat, server) -> None:
    for user in ("wangxh", "zhangwei"):
        chat.as_(user).says("今日巡查无异常")
        chat.taps(chat.expect_card("请确认"), "提交")
        chat.expect(text="已提交")
    numbers = [r.receipt_no for r in rows(server, PatrolReport)]
    assert [n[-3:] for n in numbers] == ["001", "002"] and numbers[0][:-3] == numbers[1][:-3]


def test_what_is_missing_is_asked_one_question_at_a_time(chat, server) -> None:
    chat.as_("liming").says("今天巡查发现有人在河边电鱼")  # a secretary: no grid of his own
    card = chat.expect_card("哪个组")
    assert [b["text"] for b in card["template_card"]["button_list"]] == ["1组", "2组", "3组", "取消"]
    chat.taps(card, "2组")
    got = chat.expect(card_update="已选：2组", card="处理了吗")
    chat.taps(chat.expect_card("处理了吗", got), "需村里处理")
    got = chat.expect(card_update="已选：需村里处理", card="请确认巡查记录")
    confirm = chat.expect_card("请确认", got)
    assert fields_of(confirm)["类别"] == "治安" and fields_of(confirm)["处理"] == "需村里处理"


def test_answers_can_be_typed_instead_of_tapped(chat, server) -> None:
    chat.as_("zhangwei").says("今天巡查1组发现一处问题，还没处理")
    card = chat.expect_card("类别")
    assert len(card["template_card"]["button_selection"]["option_list"]) == 8
    chat.says("公共设施，路灯坏了")
    got = chat.expect(card_update="已更新", card="请确认巡查记录")
    assert fields_of(chat.expect_card("请确认", got))["类别"] == "公共设施"
    chat.says("好的")  # an acknowledgement needs no answer; the draft just waits
    chat.expect_nothing()


def test_an_answer_that_cannot_be_read_is_asked_again_politely(chat) -> None:
    chat.as_("liming").says("巡查发现有人乱倒垃圾")
    chat.expect_card("哪个组")
    chat.says("嗯嗯嗯")
    chat.expect_text("没能看懂这个回答")
    chat.says("明天")  # a date is not a grid either; nothing is filed meanwhile
    chat.expect_text("没能看懂")


# -- edit, cancel, resume ---------------------------------------------------------------------------


def test_edit_a_field_by_saying_so(chat, server) -> None:
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    first = chat.expect_card("请确认")
    chat.says("改一下地点为王家湾")
    got = chat.expect(text="网格改为「王家湾」", card_update="已更新", card="请确认巡查记录")
    card = chat.expect_card("请确认", got)
    assert fields_of(card)["网格"] == "王家湾"
    chat.taps(first, "提交")  # the old card no longer files anything
    chat.expect(text="已被新卡片代替")
    chat.taps(card, "提交")
    chat.expect(text="巡查记录已提交")
    assert [r.grid for r in rows(server, PatrolReport)] == ["王家湾"]


def test_edit_through_the_card(chat, server) -> None:
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    chat.taps(chat.expect_card("请确认"), "修改")
    got = chat.expect(card_update="修改中", card="要修改哪一项")
    chat.taps(chat.expect_card("要修改哪一项", got), "处理")
    got = chat.expect(card_update="已选：处理", card="处理了吗")
    chat.taps(chat.expect_card("处理了吗", got), "需村里处理")
    got = chat.expect(card="请确认")
    assert fields_of(chat.expect_card("请确认", got))["处理"] == "需村里处理"


def test_an_impossible_edit_is_explained(chat) -> None:
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    chat.expect_card("请确认")
    chat.says("把日期改为下周三")
    chat.expect_text("巡查日期不能晚于今天")
    chat.says("改一下颜色为红色")
    chat.expect_text("没有「颜色」这一项")


def test_cancel_drops_the_draft_and_files_nothing(chat, server) -> None:
    chat.as_("wangxh").says("今日巡查无异常")
    card = chat.expect_card("请确认")
    chat.says("取消")
    chat.expect(text="已取消，这份巡查记录没有保存", card_update="已取消")
    chat.taps(card, "提交")
    chat.expect(text="这张卡片已失效")
    assert rows(server, PatrolReport) == []


def test_cancel_button(chat, server) -> None:
    chat.as_("liming").says("巡查发现有人乱倒垃圾")
    chat.taps(chat.expect_card("哪个组"), "取消")
    chat.expect(text="已取消", card_update="已取消")
    chat.says("继续")
    chat.expect_text("没有未完成的登记")
    assert rows(server, PatrolReport) == []


def test_a_new_report_holds_the_draft_and_continue_resumes_it(chat, server) -> None:
    chat.as_("liming").says("巡查发现有人乱倒垃圾")
    chat.expect_card("哪个组")
    chat.says("今天巡查2组发现路灯坏了一盏，已报修")  # another report before the answer
    got = chat.expect(text="还没提交，已为您保留", card="请确认")
    chat.taps(chat.expect_card("请确认", got), "提交")
    chat.expect(text="您还有一份未提交的巡查记录，发送「继续」接着办")
    chat.says("继续")
    got = chat.expect(text="接着办您的巡查记录", card="哪个组")
    chat.taps(chat.expect_card("哪个组", got), "1组")
    chat.taps(chat.expect_card("处理了吗"), "已当场处理")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交")
    assert [r.grid for r in rows(server, PatrolReport)] == ["2组", "1组"]


def test_a_question_goes_through_while_a_draft_waits(chat) -> None:
    chat.as_("liming").says("巡查发现有人乱倒垃圾")
    chat.expect_card("哪个组")
    chat.says("交通补助怎么算？")
    chat.expect_text("【交通补助规则】")
    chat.says("3组")
    chat.expect_card("处理了吗")


def test_a_corrected_report_replaces_the_unconfirmed_one(chat, server) -> None:
    chat.as_("wangxh").says("今日巡查无异常")
    chat.expect_card("请确认")
    chat.says("今天巡查3组发现路灯坏了一盏，已报修")
    got = chat.expect(card_update="已更新", card="请确认")
    assert fields_of(chat.expect_card("请确认", got))["类别"] == "公共设施"
    chat.says("继续")  # only one draft: the first was replaced, not held
    got = chat.expect(text="接着办", card="请确认")


# -- withdraw ---------------------------------------------------------------------------------------


def file_one(chat, text: str = "今日巡查无异常") -> None:
    chat.says(text)
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.expect(text="已提交")


def test_withdraw_within_the_window(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat)
    chat.says("撤回刚才那条")
    card = chat.expect_card("确定撤回")
    chat.taps(card, "确认撤回")
    chat.expect(text="已撤回巡查记录 XC-", card_update="已撤回")
    [report] = rows(server, PatrolReport)
    assert report.status == "withdrawn" and report.withdrawn_at is not None
    [entry] = rows(server, AuditLog, AuditLog.action == "patrol.withdrawn")
    assert entry.target == report.receipt_no and entry.actor == "王小红"
    chat.says("撤回")
    chat.expect_text("没有可以撤回的上报")


def test_keep_instead_of_withdrawing(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat)
    chat.says("撤回")
    chat.taps(chat.expect_card("确定撤回"), "不撤回")
    chat.expect(text="记录保留不变", card_update="未撤回")
    assert [r.status for r in rows(server, PatrolReport)] == ["filed"]


def test_withdraw_after_the_window_is_refused_and_audited(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat)
    with session_scope(get_engine(server.settings.database_url)) as s:
        report = s.scalars(select(PatrolReport)).one()
        report.filed_at = report.filed_at - timedelta(minutes=31)
    chat.says("撤回")
    chat.expect_text("已超过30分钟，不能撤回了")
    assert [r.status for r in rows(server, PatrolReport)] == ["filed"]
    [entry] = rows(server, AuditLog, AuditLog.action == "patrol.withdraw_refused")
    assert entry.detail["reason"] == "window"


def test_the_window_is_checked_again_at_the_tap(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat)
    chat.says("撤回")
    card = chat.expect_card("确定撤回")
    with session_scope(get_engine(server.settings.database_url)) as s:
        report = s.scalars(select(PatrolReport)).one()
        report.filed_at = report.filed_at - timedelta(minutes=45)
    chat.taps(card, "确认撤回")
    chat.expect(text="不能撤回了", card_update="未能撤回")
    assert [r.status for r in rows(server, PatrolReport)] == ["filed"]


# -- photos and locations ---------------------------------------------------------------------------


def test_photos_sent_just_after_filing_attach_to_the_report(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "今天巡查3组，发现河道垃圾一处，已清理")
    chat.sends_photo("media-1")
    chat.expect_text("照片已附到巡查记录 XC-")
    chat.sends_photo("media-2")
    assert "（共2个）" in chat.expect_text("照片已附到")
    with session_scope(get_engine(server.settings.database_url)) as s:
        report = s.scalars(select(PatrolReport)).one()
        report.filed_at = report.filed_at - timedelta(minutes=11)
    chat.sends_photo("media-3")  # too late to belong to that report
    chat.expect_text("已收到您发的图片")
    assert len(rows(server, Attachment)) == 2


# -- an event through its life-cycle ----------------------------------------------------------------


def test_dispatch_needs_someone_chosen_and_the_assignee_may_hand_it_back(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "巡查3组发现一处危房墙体开裂，需要村里处理")
    card = chat.as_("liming").expect_card("网格事件待受理")
    chat.taps(card, "转派")
    chat.expect_text("请先在「转派给」里选择人员")
    chat.taps(card, "转派", choosing="张伟")
    chat.expect(card_update="转派 · 张伟")
    chat.as_("zhangwei").taps(chat.expect_card("请处理网格事件"), "无法处理")
    chat.expect(card_update="已退回村里")
    chat.as_("liming").expect_card("网格事件已受理")
    assert [e.status for e in rows(server, GridEvent)] == ["accepted"]


def test_a_stale_tap_on_a_finished_step_changes_nothing(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "巡查3组发现一处危房墙体开裂，需要村里处理")
    card = chat.as_("liming").expect_card("网格事件待受理")
    chat.taps(card, "办结")
    chat.expect(card_update="已办结")
    chat.taps(card, "受理")  # the same card again, e.g. from another device
    chat.expect(text="已经处理过了")
    assert [e.status for e in rows(server, GridEvent)] == ["closed"]


def test_withdrawing_a_report_takes_back_its_unaccepted_event(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "巡查3组发现一处危房墙体开裂，需要村里处理")
    card = chat.as_("liming").expect_card("网格事件待受理")
    chat.as_("wangxh").says("撤回")
    chat.taps(chat.expect_card("确定撤回"), "确认撤回")
    chat.expect(text="已撤回")
    chat.as_("liming").expect(text="王小红撤回了事件 SJ-", card_update="已撤回")
    chat.taps(card, "受理")
    chat.expect_text("这张卡片已失效")
    assert [e.status for e in rows(server, GridEvent)] == ["withdrawn"]


def test_an_accepted_event_can_no_longer_be_withdrawn(chat, server) -> None:
    chat.as_("wangxh")
    file_one(chat, "巡查3组发现一处危房墙体开裂，需要村里处理")
    chat.as_("liming").taps(chat.expect_card("网格事件待受理"), "受理")
    chat.as_("wangxh").says("撤回")
    chat.expect_text("上报的事件已受理，不能撤回了")


def test_a_kind_the_bot_is_unsure_of_is_offered_first(chat) -> None:
    chat.as_("wangxh").says("今天巡查3组，村道边的牌子坏了，已报村委")  # only 坏了 says what kind: not sure
    card = chat.expect_card("类别")
    offered = [o["text"] for o in card["template_card"]["button_selection"]["option_list"]]  # a drop-down
    assert offered[0] == "公共设施"  # the reading it has, first
    assert "安全隐患" in offered
    chat.taps(card, "确定", choosing="公共设施")
    chat.expect(card_update="已选：公共设施")
