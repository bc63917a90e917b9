"""Conversations through the simulator that show the bot understanding what cadres write: it says back
what it read, asks for what is missing one question at a time, and asks which reading is meant when it is
not sure — never guessing."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.db import get_engine, session_scope
from bot.store.tables import InboundLog


def test_a_patrol_report_is_read_back(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("wangxh").says("今天巡查3组，发现河道垃圾一处，已清理")
    reply = chat.expect_text(contains="我理解为")
    assert "网格巡查" in reply and "3组" in reply and "环境卫生1处" in reply and "已处理" in reply


def test_a_missing_place_is_asked_with_the_senders_grids(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("wangxh").says("河边有一堆垃圾，已经清理了")
    card = chat.expect_card(title_contains="哪个组")
    assert [b["text"] for b in card["template_card"]["button_list"]] == ["3组"]  # 王小红's own grid
    chat.taps(card, "3组")
    got = chat.expect(card_update="已选：3组")
    assert any("3组" in e.get("content", "") and "信息已齐全" in e.get("content", "") for e in got)


def test_a_secretary_chooses_among_the_villages_grids(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("liming").says("发现有人在河边电鱼，劝离了")
    card = chat.expect_card(title_contains="哪个组")
    assert [b["text"] for b in card["template_card"]["button_list"]] == ["1组", "2组", "3组"]


def test_a_missing_category_is_asked_with_a_drop_down(chat, factory) -> None:  # type: ignore[no-untyped-def]
    chat.as_("zhangwei").says("今天巡查1组发现一处问题，还没处理")
    card = chat.expect_card(title_contains="类别")
    options = [o["text"] for o in card["template_card"]["button_selection"]["option_list"]]
    assert options[:4] == ["矛盾纠纷", "安全隐患", "治安", "环境卫生"] and len(options) == 8
    code = chat.fake.issue_response_code(card["task_id"], ["zhangwei"])
    chat.post(factory.card_tap("zhangwei", card["task_id"], "choose", code, {"value": ["公共设施"]}))
    got = chat.expect(card_update="已选：公共设施")
    assert any("公共设施1处" in e.get("content", "") for e in got)


def test_when_unsure_the_bot_asks_which_reading_is_meant(chat, server) -> None:  # type: ignore[no-untyped-def]
    chat.as_("wuhaiyan").says("下村巡查")
    card = chat.expect_card(title_contains="哪件事")
    buttons = [b["text"] for b in card["template_card"]["button_list"]]
    assert buttons[:2] == ["网格巡查", "下村走访"] and buttons[-1] == "都不是"
    chat.taps(card, "下村走访")
    got = chat.expect(card_update="按「下村走访」办理")
    assert any(
        e.get("msgtype") == "template_card" and "哪个村" in e["template_card"]["main_title"]["title"] for e in got
    )
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalars(select(InboundLog.intent).order_by(InboundLog.id)).all() == ["clarify", "trip"]


def test_none_of_the_readings(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("wuhaiyan").says("下村巡查")
    card = chat.expect_card(title_contains="哪件事")
    chat.taps(card, "都不是")
    chat.expect(text="换个说法", card_update="已取消")


def test_acknowledgement_needs_no_answer_and_greetings_get_one(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("liming").says("收到")
    chat.says("👍")
    chat.expect_nothing()
    chat.says("在吗")
    chat.expect_text(contains="您好，我在")


def test_only_secretaries_and_supervisors_may_broadcast(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("wangxh").says("通知全体网格员：明天上午9点到村委会开会")
    chat.expect_text(contains="需要督导或书记权限")
    chat.as_("liming").says("通知全体网格员：明天上午9点到村委会开会")
    reply = chat.expect_text(contains="我理解为")
    assert "发给全体网格员" in reply


def test_leave_and_trip_are_read_back(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("lijianhua").says("张三请假 外出务工")
    assert "事由：外出务工" in chat.expect_text(contains="请假")
    chat.as_("zhoujianguo").says("明天去李家村走访5户")
    reply = chat.expect_text(contains="下村走访")
    assert "李家村" in reply and "走访5户" in reply and "计划" in reply


def test_questions_are_acknowledged(chat) -> None:  # type: ignore[no-untyped-def]
    chat.as_("liming").says("党员大会要多少人到场才能开？")
    chat.expect_text(contains="问题已收到")
