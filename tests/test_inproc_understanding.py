"""Understanding in process: none of the readings, acknowledgements and greetings, who may broadcast, and
questions answered with the rule, from test_e2e_understanding.py, run over the bot in this process
(tests/inproc.py) on both platforms. test_e2e_understanding.py keeps the HTTP transcript of a reading asked
about and chosen."""

from __future__ import annotations

import pytest

# every transcript here runs twice: people on WeCom, and the same people on DingTalk
# `chat` and `server` are the bot in this process (tests/inproc.py), read as the HTTP ones are
pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_none_of_the_readings(chat) -> None:
    chat.as_("wuhaiyan").says("下村巡查")
    card = chat.expect_card(title_contains="哪件事")
    chat.taps(card, "都不是")
    chat.expect(text="换个说法", card_update="已取消")


def test_acknowledgement_needs_no_answer_and_greetings_get_one(chat) -> None:
    chat.as_("liming").says("收到")
    chat.says("👍")
    chat.expect_nothing()
    chat.says("在吗")
    chat.expect_text(contains="您好，我在")


def test_only_secretaries_and_supervisors_may_broadcast(chat) -> None:
    chat.as_("wangxh").says("通知全体网格员：明天上午9点到村委会开会")
    chat.expect_text(contains="需要督导或书记权限")
    chat.as_("liming").says("通知全体网格员：明天上午9点到村委会开会")
    card = chat.expect_card("发送通知给全体网格员")  # a preview first; a secretary reaches their own village
    assert {f["keyname"]: f["value"] for f in card["template_card"]["horizontal_content_list"]}["人数"] == "3人"


def test_questions_are_answered_with_the_rule(chat) -> None:
    chat.as_("liming").says("党员大会要多少人到场才能开？")
    answer = chat.expect_text(contains="【会议法定人数】")
    assert "半数以上有表决权的党员到会" in answer and "依据：" in answer
