"""Decrypted WeCom XML → Inbound, for every message type and the events a bot sees."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Kind
from bot.platforms.wecom.wire import WireError, parse
from bot.sim.callbacks import CallbackFactory

F = CallbackFactory("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wwcorp", 1000002)


def test_text() -> None:
    msg = parse(
        F.text("WangXH", "今天巡查3组，河道垃圾一处", msg_id="7459035031717794886", create_time=1700000000).encode()
    )
    assert msg is not None
    assert msg.kind == Kind.TEXT
    assert msg.text == "今天巡查3组，河道垃圾一处"
    assert msg.sender == "WangXH"
    assert msg.message_id == "7459035031717794886"  # 64-bit MsgId kept as a string
    assert msg.tenant == "wwcorp" and msg.agent_id == "1000002"
    assert msg.created_at.timestamp() == 1700000000
    assert "7459035031717794886" in msg.dedup_key and "WangXH" in msg.dedup_key


def test_text_without_cdata_as_in_the_official_python_sample() -> None:
    xml = (
        "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
        "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
        "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
    )
    msg = parse(xml.encode())
    assert msg is not None and msg.text == "你好" and msg.sender == "ChenJiaShun"


def test_content_with_cdata_terminator() -> None:
    msg = parse(F.text("u", "a]]>b<c>&d").encode())
    assert msg is not None and msg.text == "a]]>b<c>&d"


def test_image() -> None:
    msg = parse(F.image("u", media_id="MID", pic_url="https://p/x.jpg").encode())
    assert msg is not None and msg.kind == Kind.IMAGE
    assert msg.media is not None and msg.media.media_id == "MID" and msg.media.url == "https://p/x.jpg"


def test_voice() -> None:
    msg = parse(F.voice("u", media_id="V1").encode())
    assert (
        msg is not None
        and msg.kind == Kind.VOICE
        and msg.media is not None
        and msg.media.format == "amr"
        and msg.text is None
    )


def test_location() -> None:
    msg = parse(F.location("u", 23.134521, 113.358803, "李家村村委会").encode())
    assert msg is not None and msg.kind == Kind.LOCATION and msg.location is not None
    assert msg.location.latitude == pytest.approx(23.134521)
    assert msg.location.longitude == pytest.approx(113.358803)
    assert msg.location.label == "李家村村委会"


@pytest.mark.parametrize(
    ("msg_type", "extra", "check"),
    [
        ("video", "<MediaId>v</MediaId><ThumbMediaId>t</ThumbMediaId>", lambda m: m.media.thumb_media_id == "t"),
        ("file", "<MediaId>f</MediaId><FileName>台账.xlsx</FileName>", lambda m: m.media.file_name == "台账.xlsx"),
        (
            "link",
            "<Title>通知</Title><Description>d</Description><Url>https://x</Url><PicUrl>p</PicUrl>",
            lambda m: m.link.title == "通知" and m.link.url == "https://x",
        ),
    ],
)
def test_other_message_types(msg_type: str, extra: str, check) -> None:
    xml = (
        f"<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType>{msg_type}</MsgType>{extra}<MsgId>42</MsgId><AgentID>1</AgentID></xml>"
    )
    msg = parse(xml.encode())
    assert msg is not None and msg.kind.value == msg_type and check(msg)


@pytest.mark.parametrize("name", ["enter_agent", "subscribe", "unsubscribe", "click", "view", "LOCATION", "CLICK"])
def test_plain_events(name: str) -> None:
    msg = parse(F.event("u", name, key="help").encode())
    assert msg is not None and msg.kind == Kind.EVENT
    assert msg.event is not None and msg.event.name == name.lower()


def test_location_event() -> None:
    xml = (
        "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
        "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>"
        "<Latitude>23.104</Latitude><Longitude>113.320</Longitude><Precision>65.000</Precision>"
        "<AgentID>1</AgentID><AppType><![CDATA[wxwork]]></AppType></xml>"
    )
    msg = parse(xml.encode())
    assert msg is not None and msg.event is not None and msg.event.name == "location" and msg.location is not None
    assert msg.location.latitude == pytest.approx(23.104) and msg.location.precision == pytest.approx(65.0)


@pytest.mark.parametrize("spelling", ["Option", "Opiton"])
def test_card_event_selections_in_both_spellings(spelling: str) -> None:
    xml = F.card_tap(
        "u",
        "task-1",
        "submit",
        "RC1",
        {"q1": ["a", "b"], "q2": ["c"]},
        card_type="multiple_interaction",
        spelling=spelling,
    )
    msg = parse(xml.encode())
    assert msg is not None and msg.kind == Kind.CARD_ACTION
    action = msg.card_action
    assert action is not None
    assert action.task_id == "task-1" and action.key == "submit" and action.response_code == "RC1"
    assert action.card_type == "multiple_interaction"
    assert action.selections == {"q1": ["a", "b"], "q2": ["c"]}


def test_card_event_from_the_docs() -> None:
    xml = """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>
    <CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[key111]]></EventKey>
    <TaskId><![CDATA[taskid111]]></TaskId><CardType><![CDATA[text_notice]]></CardType>
    <ResponseCode><![CDATA[ResponseCode]]></ResponseCode><AgentID>1</AgentID>
    <SelectedItems><SelectedItem><QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
    <OptionIds><OptionId><![CDATA[OptionId1]]></OptionId><OptionId><![CDATA[OptionId2]]></OptionId></OptionIds>
    </SelectedItem></SelectedItems></xml>"""
    msg = parse(xml.encode())
    assert (
        msg is not None
        and msg.card_action is not None
        and msg.card_action.selections == {"QuestionKey1": ["OptionId1", "OptionId2"]}
    )


def test_card_menu_event() -> None:
    xml = F.card_tap("u", "t", "menu-1").replace("template_card_event", "template_card_menu_event")
    msg = parse(xml.encode())
    assert msg is not None and msg.card_action is not None and msg.card_action.menu is True


def test_event_dedup_key_distinguishes_clicks_but_not_redeliveries() -> None:
    a = parse(F.card_tap("u", "t", "ok", "RC1", create_time=100).encode())
    again = parse(F.card_tap("u", "t", "ok", "RC1", create_time=100).encode())
    other_key = parse(F.card_tap("u", "t", "cancel", "RC2", create_time=100).encode())
    later = parse(F.card_tap("u", "t", "ok", "RC3", create_time=101).encode())
    assert a is not None and again is not None and other_key is not None and later is not None
    assert a.dedup_key == again.dedup_key
    assert len({a.dedup_key, other_key.dedup_key, later.dedup_key}) == 3


@pytest.mark.parametrize("name", ["batch_job_result", "change_contact", "something_new"])
def test_unknown_events_are_ignored(name: str) -> None:
    assert parse(F.event("u", name).encode()) is None


def test_unknown_message_type_is_ignored() -> None:
    xml = "<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>hologram</MsgType><MsgId>1</MsgId></xml>"
    assert parse(xml.encode()) is None


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"not xml",
        b"<xml><FromUserName>u</FromUserName></xml>",
        b"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><CreateTime>x</CreateTime></xml>",
        b"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime><Content>a</Content></xml>",
        b"<xml><FromUserName>u</FromUserName><MsgType>location</MsgType><CreateTime>1</CreateTime><MsgId>1</MsgId>"
        b"<Location_X>north</Location_X><Location_Y>1</Location_Y></xml>",
        b"<xml><FromUserName>u</FromUserName><MsgType>event</MsgType><CreateTime>1</CreateTime>"
        b"<Event>template_card_event</Event></xml>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><FromUserName>&b;</FromUserName></xml>',
    ],
    ids=["empty", "not-xml", "no-type", "bad-time", "no-msgid", "bad-location", "card-without-task", "entities"],
)
def test_malformed_messages(xml: bytes) -> None:
    with pytest.raises(WireError):
        parse(xml)


@given(st.binary(max_size=500))
def test_parse_never_raises_anything_else(data: bytes) -> None:
    with contextlib.suppress(WireError):
        parse(data)


@given(st.text(max_size=300))
def test_any_text_round_trips(text: str) -> None:
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    msg = parse(F.text("u", text).encode())
    assert msg is not None and msg.text == text.strip()
