"""Nothing a cadre types or taps leaves a failed message, a stuck draft or a half-written record — in process
(tests/inproc.py): odd messages with an open draft, taps on cards whose draft expired or that are unknown.
test_e2e_forms_hardened.py keeps the HTTP ones: odd messages without a draft (each answered 200 by the
webhook) and a draft that outlives the worker process."""

from __future__ import annotations

import pytest

from bot.formstore import PREFIX

# `chat` and `server` are the bot in this process (tests/inproc.py), read as the HTTP ones are
from odd_input import ODD, failures, reports

pytestmark = [pytest.mark.in_process, pytest.mark.dated]


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
def test_odd_messages_get_a_polite_answer_and_leave_the_draft_usable(chat, server, text: str) -> None:
    chat.as_("liming").says("巡查发现有人乱倒垃圾")
    chat.expect_card("哪个组")
    chat.says(text)  # handled, not failed: failures() below
    for entry in chat.new():
        assert "出了问题" not in entry.get("content", "")
    assert failures(server) == []
    chat.says("继续")
    chat.expect(text="接着办")
    chat.says("取消")
    chat.expect(text="已取消")
    assert reports(server) == 0  # nothing half-written


def test_a_tap_on_a_card_whose_draft_expired(chat, server, redis) -> None:
    chat.as_("wangxh").says("今日巡查无异常")
    card = chat.expect_card("请确认")
    for key in redis.scan_iter(f"{PREFIX}*"):
        redis.delete(key)  # what CADREBOT_FORM_TTL_HOURS of silence does
    chat.taps(card, "提交")
    chat.expect(text="这份登记已过期或已处理", card_update="已失效")
    assert reports(server) == 0 and failures(server) == []
    chat.taps(card, "提交")  # and again: the card is finished now
    chat.expect(text="已失效")


def test_a_draft_older_than_the_ttl_is_gone(chat, server, redis) -> None:
    import json

    chat.as_("wangxh").says("今日巡查无异常")
    card = chat.expect_card("请确认")
    [key] = list(redis.scan_iter(f"{PREFIX}*"))
    stored = json.loads(redis.get(key))
    stored["forms"][0]["updated_at"] = "2020-01-01T00:00:00Z"
    redis.set(key, json.dumps(stored))
    chat.says("继续")
    chat.expect_text("没有未完成的登记")
    chat.taps(card, "提交")
    chat.expect(text="已过期")
    assert reports(server) == 0


def test_a_tap_on_an_unknown_card(chat, factory) -> None:
    chat.as_("wangxh").post(factory.card_tap("wangxh", "form-20200101000000-abcdef", "submit", "code-1"))
    chat.expect_text("这张卡片已失效")
