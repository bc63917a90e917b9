"""End to end over HTTP on real Redis and a real database: signed, encrypted WeCom callbacks in, the fake
WeCom API's record out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, CardRecord, InboundLog, Outbox

pytestmark = pytest.mark.dated


def test_help_in_one_message_and_the_card_round_trips(chat) -> None:
    chat.as_("wangxh").says("帮助")
    card = chat.expect_card(title_contains="能帮您做什么")
    assert [b["text"] for b in card["template_card"]["button_list"]] == ["网格巡查", "三会一课", "下村走访", "政策问答"]
    assert card["template_card"]["card_type"] == "button_interaction"

    chat.taps(card, "网格巡查")
    chat.expect(text="今天巡查3组", card_update="已发送「网格巡查」说明")

    # the card is finished: tapping it again is answered, not re-run
    chat.taps(card, "三会一课")
    chat.expect_text(contains="已经处理过了")


def test_a_text_the_bot_cannot_use_gets_a_polite_answer(chat) -> None:
    chat.as_("liming").says("哈哈哈 今天天气不错")
    reply = chat.expect_text(contains="没有需要登记的事项")
    assert "帮助" in reply


def test_the_same_callback_three_times_gives_one_reply(chat, factory, server) -> None:
    plaintext = factory.text("wangxh", "帮助", msg_id="7459035031717794886")
    chat.as_("wangxh").post(plaintext, times=3)  # WeCom: 3 tries × 5 s with the same MsgId
    chat.post(plaintext)  # and once more, after the first was processed
    got = chat.new()
    assert len(got) == 1 and got[0]["msgtype"] == "template_card"
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.scalar(select(func.count()).select_from(InboundLog)) == 1
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_redelivered_card_tap_is_processed_once(chat, factory) -> None:
    chat.as_("wangxh").says("帮助")
    card = chat.expect_card(title_contains="能帮您做什么")
    tap = factory.card_tap(
        "wangxh",
        card["task_id"],
        "help:trip",
        chat.fake.issue_response_code(card["task_id"], ["wangxh"]),
        create_time=1_800_000_000,
    )
    chat.post(tap, times=3)
    got = chat.new()
    assert [e.get("api") for e in got].count("update") == 1
    assert sum("下村走访" in e.get("content", "") for e in got) == 1


def test_a_stranger_gets_a_polite_reply_and_the_administrators_are_told_once(chat, server) -> None:
    # The fake API only delivers to people on the roster; a stranger is invalid for it, like for WeCom.
    chat.as_("stranger01").says("你好")
    chat.as_("stranger01").says("在吗")
    chat.as_("zhaomin")
    notices = [e for e in chat.new() if "stranger01" in e.get("content", "")]
    assert len(notices) == 1 and "未登记" in notices[0]["content"]
    with session_scope(get_engine(server.settings.database_url)) as s:
        replies = s.scalars(select(Outbox).where(Outbox.recipient == "stranger01")).all()
        assert len(replies) == 2
        assert all("不在村务助手的名册中" in r.payload["text"] for r in replies)
        # WeCom would refuse them (not in the app's visible range): recorded as failed with the reason
        assert all(r.status == "failed" and "81013" in (r.last_error or "") for r in replies)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "stranger.message")) == 1


def test_a_tap_on_someone_elses_card_is_refused(chat) -> None:
    chat.as_("wangxh").says("帮助")
    card = chat.expect_card(title_contains="能帮您做什么")
    chat.as_("zhangwei").taps(card, "网格巡查")
    chat.expect_text(contains="不是发给您的")
    chat.as_("wangxh").expect_nothing()


def test_a_tap_on_an_unknown_card(chat) -> None:
    card = {"task_id": "help-19990101000000-abcdef", "template_card": {"button_list": [{"text": "x", "key": "x"}]}}
    chat.as_("wangxh").taps(card, "x")
    chat.expect_text(contains="卡片已失效")


def test_opening_the_app_greets_once_a_day(chat) -> None:
    chat.as_("liming").opens_app()
    chat.expect_text(contains="李明您好")
    chat.opens_app()
    chat.expect_nothing()


def test_photo_location_and_voice_get_guidance(chat, factory) -> None:
    chat.as_("wangxh").post(factory.image("wangxh"))
    chat.expect_text(contains="已收到您发的图片")
    chat.post(factory.location("wangxh", 30.27, 120.15, "李家村"))
    chat.expect_text(contains="已收到您发的位置")
    chat.post(factory.voice("wangxh"))
    chat.expect_text(contains="请改发文字")


def test_events_the_bot_does_not_answer(chat, factory, server) -> None:
    chat.as_("wangxh").post(factory.event("wangxh", "LOCATION"))
    chat.post(factory.event("wangxh", "view", "https://example.com"))
    chat.expect_nothing()
    with session_scope(get_engine(server.settings.database_url)) as s:
        intents = set(s.scalars(select(InboundLog.intent)))
    assert intents == {"event:location", "event:view"}


def test_unknown_event_is_acknowledged_and_not_queued(http, factory, redis) -> None:
    callback = factory.envelope(factory.event("wangxh", "batch_job_result"))
    r = http.post("/wecom/callback", params=callback.params, content=callback.body)
    assert r.status_code == 200 and r.content == b""
    assert not [k for k in redis.keys("rq:job:*")]


def test_card_records_keep_state(chat, server) -> None:
    chat.as_("wangxh").says("帮助")
    card = chat.expect_card(title_contains="能帮您做什么")
    with session_scope(get_engine(server.settings.database_url)) as s:
        record = s.get_one(CardRecord, card["task_id"])
        assert record.state == "open" and record.flow == "help" and record.response_code  # from message/send
    chat.taps(card, "政策问答")
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert s.get_one(CardRecord, card["task_id"]).state == "done"


def test_url_verification_answers_the_plaintext_exactly(http, factory) -> None:
    params = factory.verify_request("1616140317555161061")
    r = http.get("/wecom/callback", params=params)
    assert r.status_code == 200
    assert r.content == b"1616140317555161061"  # no quotes, no BOM, no newline
    assert r.headers["content-type"].startswith("text/plain")


def test_url_verification_survives_a_proxy_that_decoded_plus_as_space(http, factory) -> None:
    for _ in range(20):  # find an echostr with a '+' in it
        params = factory.verify_request("5927782489442352469")
        if "+" in params["echostr"]:
            break
    else:
        return
    params["echostr"] = params["echostr"].replace("+", " ")
    r = http.get("/wecom/callback", params=params)
    assert r.status_code == 200 and r.content == b"5927782489442352469"


def test_health_and_metrics(http, chat) -> None:
    chat.as_("wangxh").says("帮助")
    health = http.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    metrics = http.get("/metrics").text
    assert 'cadrebot_callbacks_total{platform="wecom",result="queued"}' in metrics
    assert 'cadrebot_outbox_messages{status="delivered"} 1.0' in metrics
    assert 'cadrebot_queue_jobs{queue="cadrebot-test-inbound",state="queued"} 0.0' in metrics
