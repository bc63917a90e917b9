"""Every parser, fed hostile input: it parses or raises its own typed error, never anything else.

These extend the plain `st.text()` / `st.binary()` properties beside each module with structured input:
XML and JSON built from the fields the parsers look for (so the generator reaches the branches behind the
first check), valid ciphertexts mutated byte by byte, round trips through the full envelopes, message text
with absurd numbers and control characters, and roster files with random cells and encodings.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import struct
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.models import Inbound, Kind
from bot.platforms.dingtalk.cards import CardCallbackError, inbound_from_card_callback
from bot.platforms.dingtalk.crypto import DingCallbackCrypto, DingTalkCryptoError
from bot.platforms.dingtalk.wire import DingTalkWireError, conversation_of, inbound_from_robot
from bot.platforms.wecom import wire
from bot.platforms.wecom.crypto import WeComCryptoError, WXBizMsgCrypt, extract_encrypt
from bot.store.db import get_engine, session_scope
from bot.store.roster import RosterError, import_roster
from bot.store.tables import AuditLog, Org, Person, PersonRole
from handlers.nlu import INTENTS, understand
from handlers.nlu.chinese_time import TZ
from knowledge.answers import answer
from knowledge.evaluate import shipped_kb
from knowledge.rules import rules_from

from conftest import AES_KEY, CORP_ID, TOKEN

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)

# -- shared strategies -----------------------------------------------------------------------------------

# Text that tends to break parsers: controls, surrogate-free oddities, digits of other scripts, CDATA ends.
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x01",
        "\ufeff",
        "\u202e",
        "\u200b",
        "]]>",
        "<![CDATA[",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "²",
        "١٢٣",
        "１２３",
        "9" * 30,
        "9" * 5000,
        "-1",
        "1e309",
        "NaN",
        "巡查",
        "\n\r\t",
        "💥",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=40))
JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    TEXT,
)
JSON = st.recursive(
    JSON_SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


# -- WeCom XML (decrypted message) ---------------------------------------------------------------------

WECOM_FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "MsgId",
    "AgentID",
    "Content",
    "MediaId",
    "PicUrl",
    "Format",
    "Recognition",
    "ThumbMediaId",
    "FileName",
    "Title",
    "Location_X",
    "Location_Y",
    "Scale",
    "Label",
    "Url",
    "Description",
    "Event",
    "EventKey",
    "TaskId",
    "CardType",
    "ResponseCode",
    "Latitude",
    "Longitude",
    "Precision",
]
MSG_TYPES = st.sampled_from(["text", "image", "voice", "video", "file", "location", "link", "event", "EVENT", "x"])
EVENTS = st.sampled_from(
    ["template_card_event", "template_card_menu_event", "location", "LOCATION", "enter_agent", "click", "other"]
)


def _xml_value(value: str, cdata: bool) -> str:
    if cdata:
        return f"<![CDATA[{value}]]>"
    return value.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def wecom_messages(draw: st.DrawFn) -> bytes:
    values: dict[str, str] = {
        "ToUserName": CORP_ID,
        "FromUserName": draw(st.sampled_from(["wangxh", "", " ", "a" * 300])),
        "CreateTime": draw(st.sampled_from(["1709600000", "0", "-1", "99999999999999999999", "abc", "²", ""])),
        "MsgType": draw(MSG_TYPES),
        "Event": draw(EVENTS),
    }
    for name in draw(st.lists(st.sampled_from(WECOM_FIELDS), max_size=12, unique=True)):
        values[name] = draw(TEXT)
    parts = []
    for name, value in values.items():
        if draw(st.booleans()) and name not in ("FromUserName", "MsgType", "CreateTime"):
            continue
        parts.append(f"<{name}>{_xml_value(value, draw(st.booleans()))}</{name}>")
    if draw(st.booleans()):
        items = []
        for _ in range(draw(st.integers(0, 3))):
            spelling = draw(st.sampled_from(["Option", "Opiton"]))
            ids = "".join(
                f"<{spelling}Id>{_xml_value(v, False)}</{spelling}Id>" for v in draw(st.lists(TEXT, max_size=3))
            )
            items.append(
                f"<SelectedItem><QuestionKey>{_xml_value(draw(TEXT), False)}</QuestionKey>"
                f"<{spelling}Ids>{ids}</{spelling}Ids></SelectedItem>"
            )
        parts.append(f"<SelectedItems>{''.join(items)}</SelectedItems>")
    body = "<xml>" + "".join(draw(st.permutations(parts))) + "</xml>"
    raw = body.encode("utf-8", "surrogatepass")
    cut = draw(st.one_of(st.none(), st.integers(0, len(raw))))
    return raw if cut is None else raw[:cut]


@FAST
@given(wecom_messages())
def test_wecom_message_xml_parses_or_raises_wire_error(message: bytes) -> None:
    try:
        got = wire.parse(message, CORP_ID)
    except wire.WireError:
        return
    assert got is None or isinstance(got, Inbound)
    if got is not None:
        assert got.sender and got.dedup_key and got.message_id
        if got.kind == Kind.CARD_ACTION:
            assert got.card_action is not None and got.card_action.task_id


HOSTILE_XML = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><FromUserName>&e;</FromUserName></xml>',
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;</Content></xml>',
    b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><xml/>',
    b'<xml xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></xml>',
    b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
    b"<xml>" + b"<a>" * 5000,
    b"\xff\xfe<\x00x\x00m\x00l\x00>\x00",
    b"<xml><Content>\xc3\x28</Content></xml>",
    b"<xml><Content>\x00</Content></xml>",
]


@pytest.mark.parametrize("message", HOSTILE_XML, ids=range(len(HOSTILE_XML)))
def test_wecom_hostile_xml_is_a_wire_error_or_crypto_error(message: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.parse(message, CORP_ID)
    with pytest.raises(WeComCryptoError):
        extract_encrypt(message)


# -- WeCom crypto envelope ------------------------------------------------------------------------------

WECOM = WXBizMsgCrypt(TOKEN, AES_KEY, CORP_ID)
OTHER_CORP = WXBizMsgCrypt(TOKEN, AES_KEY, "wwsomeoneelse00001")


@st.composite
def mutated_ciphertexts(draw: st.DrawFn) -> str:
    good = WECOM.encrypt(draw(st.binary(max_size=200)), random16=b"r" * 16)
    raw = bytearray(base64.b64decode(good))
    how = draw(st.sampled_from(["flip", "truncate", "extend", "b64", "other_corp", "reblock", "keep"]))
    if how == "flip" and raw:
        i = draw(st.integers(0, len(raw) - 1))
        raw[i] ^= draw(st.integers(1, 255))
    elif how == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif how == "extend":
        raw += draw(st.binary(min_size=1, max_size=48))
    elif how == "b64":
        text = good
        i = draw(st.integers(0, len(text)))
        return text[:i] + draw(st.sampled_from(["=", "==", "*", " ", "\n", "é", "\x00", ""])) + text[i:]
    elif how == "other_corp":
        return OTHER_CORP.encrypt(b"<xml/>")
    elif how == "reblock":
        # a well-formed AES buffer whose plaintext header lies about the length
        body = b"r" * 16 + struct.pack(">I", draw(st.integers(0, 2**32 - 1))) + draw(st.binary(max_size=40))
        pad = 32 - len(body) % 32
        from Crypto.Cipher import AES

        cipher = AES.new(WECOM.key, AES.MODE_CBC, WECOM.key[:16])
        raw = bytearray(cipher.encrypt(body + bytes([pad]) * pad))
    return base64.b64encode(bytes(raw)).decode()


@FAST
@given(mutated_ciphertexts())
def test_wecom_decrypt_of_mutated_ciphertext_is_its_own_error(encrypt: str) -> None:
    try:
        plain = WECOM.decrypt(encrypt)
    except WeComCryptoError as exc:
        assert exc.code in (-40007, -40008, -40005, -40010)
        return
    assert isinstance(plain, bytes)


@FAST
@given(
    st.text(max_size=500),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
    st.sampled_from(["1709600000", "0", "9" * 16]),
)
def test_wecom_reply_envelope_round_trips_through_decrypt_message(reply: str, nonce: str, timestamp: str) -> None:
    envelope = WECOM.encrypt_reply(reply, timestamp, nonce)
    encrypt = extract_encrypt(envelope.encode())
    signature = WECOM.signature(timestamp, nonce, encrypt)
    assert WECOM.decrypt_message(signature, timestamp, nonce, envelope).decode() == reply
    json_envelope = json.dumps({"Encrypt": encrypt}).encode()
    assert WECOM.decrypt_message(signature, timestamp, nonce, json_envelope).decode() == reply


@FAST
@given(st.one_of(st.binary(max_size=300), JSON.map(lambda v: json.dumps(v).encode())), TEXT, TEXT)
def test_wecom_decrypt_message_of_any_body_is_its_own_error(body: bytes, signature: str, nonce: str) -> None:
    try:
        WECOM.decrypt_message(signature, "1709600000", nonce, body)
    except WeComCryptoError:
        return
    raise AssertionError("an unsigned body decrypted")


# -- DingTalk robot JSON ----------------------------------------------------------------------------------

ROBOT_BASE: dict[str, Any] = {
    "msgtype": "text",
    "text": {"content": "你好"},
    "msgId": "msg0001",
    "createAt": 1613630252678,
    "conversationType": "1",
    "conversationId": "cid01",
    "senderId": "$:LWCP_v1:$x",
    "senderStaffId": "user123",
    "chatbotCorpId": "dingcorp",
    "robotCode": "dingrobot",
    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=x",
    "sessionWebhookExpiredTime": 1613635652738,
    "content": {"downloadCode": "dc", "richText": [{"text": "a"}, {"type": "picture", "downloadCode": "p"}]},
}


@st.composite
def robot_payloads(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    payload = dict(ROBOT_BASE)
    payload["msgtype"] = draw(
        st.sampled_from(["text", "richText", "picture", "audio", "video", "file", "unknownMsgType"]) | TEXT
    )
    for name in draw(st.lists(st.sampled_from([*ROBOT_BASE, "errorCode", "errorMessage"]), max_size=6)):
        if draw(st.booleans()):
            payload.pop(name, None)
        else:
            payload[name] = draw(JSON)
    return payload


@FAST
@given(robot_payloads())
@example({**ROBOT_BASE, "createAt": "9" * 5000})
@example({**ROBOT_BASE, "createAt": 10**400})
@example({**ROBOT_BASE, "createAt": 1e308})
@example({**ROBOT_BASE, "sessionWebhookExpiredTime": "²"})
def test_dingtalk_robot_json_parses_or_raises_wire_error(payload: Any) -> None:
    try:
        got = inbound_from_robot(payload, received_at=NOW)
    except DingTalkWireError:
        pass
    else:
        assert got.sender and got.dedup_key.startswith("dingtalk:msg:")
    try:
        conv = conversation_of(payload)
    except DingTalkWireError:
        return
    assert conv.conversation_type in ("1", "2")


# -- DingTalk event crypto --------------------------------------------------------------------------------

DING = DingCallbackCrypto("dingtoken", AES_KEY, "dingcadrebottest01")


@FAST
@given(
    st.text(max_size=300),
    st.text(min_size=1, max_size=20),
    st.text(alphabet="0123456789", min_size=1, max_size=16),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=16, max_size=16),
)
def test_dingtalk_encrypt_decrypt_round_trip_any_nonce_and_timestamp(
    text: str, nonce: str, timestamp: str, random16: str
) -> None:
    reply = DING.encrypt(text, nonce=nonce, timestamp=timestamp, random16=random16)
    assert DING.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == text


@st.composite
def dingtalk_mutations(draw: st.DrawFn) -> tuple[str, str, str, str]:
    reply = DING.encrypt(draw(st.text(max_size=100)), nonce="n0", timestamp="1700000000000")
    sig, ts, nonce, enc = reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]
    field = draw(st.sampled_from(["sig", "ts", "nonce", "enc", "enc_resigned", "owner"]))
    junk = draw(TEXT)
    if field == "sig":
        sig = junk
    elif field == "ts":
        ts = junk
    elif field == "nonce":
        nonce = junk
    elif field == "enc":
        enc = enc[: draw(st.integers(0, len(enc)))] + junk
    elif field == "enc_resigned":  # a mutated ciphertext the attacker could sign only with the token
        raw = bytearray(base64.b64decode(enc))
        raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
        enc = base64.b64encode(bytes(raw[: draw(st.integers(0, len(raw)))])).decode()
        sig = DING.signature(ts, nonce, enc)
    else:
        other = DingCallbackCrypto("dingtoken", AES_KEY, "someone-else").encrypt("x", nonce="n0", timestamp=ts)
        enc, sig = other["encrypt"], other["msg_signature"]
    return sig, ts, nonce, enc


@FAST
@given(dingtalk_mutations())
def test_dingtalk_decrypt_of_mutations_is_its_own_error(parts: tuple[str, str, str, str]) -> None:
    try:
        got = DING.decrypt(*parts)
    except DingTalkCryptoError:
        return
    assert isinstance(got, str)


# -- card callbacks (DingTalk HTTP/Stream card taps, WeCom template_card_event) ---------------------------


@st.composite
def card_callbacks(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    params: dict[str, Any] = draw(st.dictionaries(TEXT, JSON, max_size=4))
    if draw(st.booleans()):
        params["action"] = draw(st.sampled_from(["confirm", "submit", ""]) | JSON)
    if draw(st.booleans()):
        params["choice"] = draw(st.sampled_from(["[1,2", "[" * 3000, '["a",null,3]', "[]"]))
    private = {"params": params, "actionIds": draw(st.lists(JSON, max_size=2) | JSON)}
    content: Any = {"cardPrivateData": private if draw(st.integers(0, 5)) else draw(JSON)}
    if draw(st.booleans()):
        content = json.dumps(content)
    if draw(st.integers(0, 7)) == 0:
        content = draw(st.sampled_from(["[" * 5000, "{", '"x"', "[]"]))
    payload: dict[str, Any] = {
        "outTrackId": draw(st.sampled_from(["task-1"]) | JSON),
        "userId": draw(st.sampled_from(["dt_liming"]) | JSON),
        "content": content,
        "corpId": draw(JSON),
        "spaceType": draw(JSON),
    }
    return payload


@FAST
@given(card_callbacks(), st.one_of(st.none(), st.text(max_size=20)))
def test_dingtalk_card_callback_parses_or_raises_its_error(payload: Any, message_id: str | None) -> None:
    try:
        got = inbound_from_card_callback(payload, received_at=NOW, message_id=message_id)
    except CardCallbackError:
        return
    assert got.kind == Kind.CARD_ACTION and got.card_action is not None
    assert got.card_action.task_id and got.card_action.key
    assert all(isinstance(v, str) for vs in got.card_action.selections.values() for v in vs)


# -- message text -----------------------------------------------------------------------------------------

HOSTILE_TEXTS = [
    "走访了" + "9" * 5000 + "户",
    "应到" + "9" * 5000 + "人实到3人",
    "今天巡查" + "9" * 5000 + "组",
    "2021年" + "9" * 5000 + "月",
    "明天" + "9" * 4400 + "点开会",
    "导出" + "９" * 4500 + "月巡查台账",
    "九" * 5000 + "户",
    ("9" * 18 + "九户") * 50,
    "支委会应到³人实到²人",
    "应到١٢人实到٣人",
    "\x00" * 50 + "巡查",
    "\u202e今日巡查无异常",
]
KB = shipped_kb()
RULES = rules_from(None)
LOCAL_NOW = datetime(2024, 5, 15, 10, tzinfo=TZ)


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_absurd_numbers_and_controls_are_understood_and_answered(text: str) -> None:
    u = understand(text, LOCAL_NOW)
    assert u.intent in (*INTENTS, "other") and u.text == text
    json.dumps(u.contract(), ensure_ascii=False)
    got = answer(text, KB, RULES, date(2021, 3, 1))
    assert got.text


def test_a_plain_report_still_reads_its_numbers() -> None:
    u = understand("今天去李家村走访了5户，协调用水纠纷", LOCAL_NOW)
    assert u.intent == "trip" and u.fields["households"] == 5
    assert "应到5人、实到3人" in answer("支委会应到5人实到3人，够不够", KB, RULES, date(2021, 3, 1)).text


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["应到", "实到", "人", "户", "走访", "巡查", "组", "月", "号", "点", "第", "通知全体网格员："]
            ),
            st.text(alphabet="0123456789９²一二三四五六七八九十百千万亿两", min_size=1, max_size=30),
            NASTY,
        ),
        max_size=12,
    ).map("".join)
)
def test_understand_and_answer_never_raise_on_numbers_of_any_size(text: str) -> None:
    u = understand(text, LOCAL_NOW)
    json.dumps(u.contract(), ensure_ascii=False)
    assert answer(text, KB, RULES, date(2021, 3, 1)).text


# -- roster files -------------------------------------------------------------------------------------------

HEADER = ["姓名", "企业微信账号", "钉钉账号", "手机", "角色", "组织"]
GOOD_ROW = ["张三", "zhangsan", "dt_zs", "13800001111", "网格员", "清河县/石桥镇/李家村/1组"]
CELL = st.one_of(
    st.sampled_from(["", "张三", "zhangsan", "网格员,党员", "清河县/石桥镇/李家村", "13800001111", "=1+1", '"', ","]),
    NASTY,
    st.text(max_size=30),
    st.just(
        "石桥镇/" + "长" * 99 + "村/" + "长" * 99 + "组/" + "短" * 99 + "组/" + "短" * 99 + "组/" + "x" * 99 + "组"
    ),
)


@st.composite
def roster_rows(draw: st.DrawFn) -> list[list[Any]]:
    rows: list[list[Any]] = [draw(st.sampled_from([HEADER, HEADER[:2], ["name", "roles", "org"], []]))]
    for _ in range(draw(st.integers(0, 5))):
        row: list[Any] = list(GOOD_ROW) if draw(st.booleans()) else []
        for i in draw(st.lists(st.integers(0, 7), max_size=4)):
            while len(row) <= i:
                row.append("")
            row[i] = draw(CELL)
        rows.append(row)
    return rows


def _counts(db_url: str) -> tuple[int, int, int, int]:
    with session_scope(get_engine(db_url)) as s:
        people, orgs, roles, audits = (
            s.scalar(select(func.count()).select_from(m)) or 0 for m in (Person, Org, PersonRole, AuditLog)
        )
        return people, orgs, roles, audits


def _import_or_row_errors(db_url: str, path: Path) -> None:
    before = _counts(db_url)
    try:
        with session_scope(get_engine(db_url)) as s:
            report = import_roster(s, path, actor="hostile")
    except RosterError as exc:
        assert exc.errors and all(str(e) for e in exc.errors)
        assert _counts(db_url) == before, "a refused roster wrote something"
        return
    assert report.rows == report.created + report.updated + report.unchanged
    assert _counts(db_url)[3] == before[3] + 1  # the import is audited


ROSTER_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@ROSTER_SETTINGS
@given(roster_rows(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "raw"]))
def test_csv_roster_imports_or_lists_row_errors(db_url: str, tmp_path: Path, rows: list[list[Any]], enc: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    text = buffer.getvalue()
    broken = text.encode("utf-8", "surrogatepass")[:-3] + b"\xff\xfe\xc3"  # invalid in every encoding tried
    data = broken if enc == "raw" else text.encode(enc, "replace")
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    _import_or_row_errors(db_url, path)


@ROSTER_SETTINGS
@given(
    roster_rows(), st.lists(st.one_of(st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.dates()), max_size=3)
)
def test_xlsx_roster_imports_or_lists_row_errors(
    db_url: str, tmp_path: Path, rows: list[list[Any]], numbers: list[Any]
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append([_xlsx_safe(c) for c in row])
    ws.append(["李四", "lisi", None, *numbers][:6])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    _import_or_row_errors(db_url, path)


def _xlsx_safe(cell: Any) -> Any:
    # openpyxl itself refuses control characters when writing; the file a person saves cannot hold them
    if isinstance(cell, str):
        return "".join(ch for ch in cell if ch >= " " or ch in "\t\n\r") or None
    return cell


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not really a zip",
        b"",
        b"\x00" * 100,
    ],
    ids=["fake-zip", "empty", "nul"],
)
def test_damaged_xlsx_is_a_roster_error(db_url: str, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    with pytest.raises(RosterError):
        import_roster_in(db_url, path)
    assert _counts(db_url) == (0, 0, 0, 0)


def import_roster_in(db_url: str, path: Path) -> None:
    with session_scope(get_engine(db_url)) as s:
        import_roster(s, path, actor="hostile")


def test_a_csv_cell_over_the_csv_field_limit_is_a_roster_error(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(GOOD_ROW[:5]) + ',"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(RosterError) as exc:
        import_roster_in(db_url, path)
    assert "CSV" in str(exc.value.errors[0])
    assert _counts(db_url) == (0, 0, 0, 0)


def test_nul_and_overlong_org_paths_are_row_errors(db_url: str, tmp_path: Path) -> None:
    long_org = "清河县/石桥镇/" + "/".join(("长" * 90) + "组" for _ in range(6))
    rows = [
        HEADER,
        GOOD_ROW,
        ["李\x00四", "lisi", "", "", "党员", "清河县/石桥镇/李家村"],
        ["王五", "wangwu", "", "", "党员", long_org],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "roster.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with pytest.raises(RosterError) as exc:
        import_roster_in(db_url, path)
    assert {e.row for e in exc.value.errors} == {3, 4}
    assert _counts(db_url) == (0, 0, 0, 0)
