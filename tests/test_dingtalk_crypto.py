"""DingTalk crypto against the shared known-answer vectors (robot sign, event cipher, raw AES), the ways a
sign or a ciphertext can be wrong, and the robot message wire format."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Kind
from bot.platforms.dingtalk import crypto as c
from bot.platforms.dingtalk.crypto import (
    DingCallbackCrypto,
    DingTalkCryptoError,
    RobotSignError,
    SignProblem,
    callback_signature,
    robot_sign,
    verify_robot_sign,
)
from bot.platforms.dingtalk.wire import (
    DingTalkQuotaExceeded,
    DingTalkWireError,
    conversation_of,
    inbound_from_robot,
    is_unsupported,
)

HERE = Path(__file__).parent
VECTORS_FILE = HERE / "data" / "dingtalk-vectors.json"
SHARED = HERE.parent.parent / "shared" / "protocols" / "dingtalk-vectors.json"
VECTORS = json.loads(VECTORS_FILE.read_text())
HOUR_MS = 3_600_000


def ids(vectors: list[dict]) -> list[str]:
    return [v["id"] for v in vectors]


def test_the_copy_matches_the_shared_vectors() -> None:
    if not SHARED.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert json.loads(SHARED.read_text()) == VECTORS


def test_every_vector_group_is_covered() -> None:
    covered = {"robot_sign", "callback_crypto_decrypt", "raw_aes_cbc"}
    groups = {k for k, v in VECTORS.items() if isinstance(v, list) and v}
    assert groups <= covered, f"vectors not run by these tests: {groups - covered}"
    assert sum(len(VECTORS[g]) for g in covered) == 5


# -- robot sign -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VECTORS["robot_sign"], ids=ids(VECTORS["robot_sign"]))
def test_robot_sign_vectors(v: dict) -> None:
    sign = robot_sign(v["secret"], v["timestamp"])
    assert sign == v["expected_sign_base64"]
    now = int(v["timestamp"])
    verify_robot_sign(v["secret"], v["timestamp"], sign, now + HOUR_MS, HOUR_MS)  # the window's edge is inside
    if "expected_sign_urlencoded" in v:  # the outbound webhook form: one URL-encoding, not the header's
        from urllib.parse import quote

        assert quote(sign, safe="") == v["expected_sign_urlencoded"]


SAMPLE = VECTORS["robot_sign"][1]


@pytest.mark.parametrize("timestamp", ["", "abc", "1577262236757.0", "-1577262236757", "１２３", "9" * 17])
def test_a_timestamp_that_is_not_milliseconds(timestamp: str) -> None:
    with pytest.raises(RobotSignError) as exc:
        verify_robot_sign(SAMPLE["secret"], timestamp, SAMPLE["expected_sign_base64"], 1577262236757, HOUR_MS)
    assert exc.value.problem == SignProblem.BAD_TIMESTAMP and exc.value.reason


@pytest.mark.parametrize("offset", [HOUR_MS + 1, -HOUR_MS - 1, 365 * 24 * HOUR_MS])
def test_stale_or_future_timestamps(offset: int) -> None:
    ts = int(SAMPLE["timestamp"])
    with pytest.raises(RobotSignError) as exc:
        verify_robot_sign(SAMPLE["secret"], SAMPLE["timestamp"], SAMPLE["expected_sign_base64"], ts + offset, HOUR_MS)
    assert exc.value.problem == SignProblem.STALE


@pytest.mark.parametrize(
    "sign",
    [
        "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=",  # another secret's sign for the same timestamp
        "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA",  # base64 '=' dropped
        "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA%3D",  # URL-encoded: the header is plain base64
        "签名",
    ],
)
def test_a_wrong_sign(sign: str) -> None:
    with pytest.raises(RobotSignError) as exc:
        verify_robot_sign(SAMPLE["secret"], SAMPLE["timestamp"], sign, int(SAMPLE["timestamp"]), HOUR_MS)
    assert exc.value.problem == SignProblem.MISMATCH


def test_a_missing_sign() -> None:
    with pytest.raises(RobotSignError) as exc:
        verify_robot_sign(SAMPLE["secret"], SAMPLE["timestamp"], "", int(SAMPLE["timestamp"]), HOUR_MS)
    assert exc.value.problem == SignProblem.MISSING


def test_the_sign_is_of_the_exact_timestamp_string() -> None:
    # A leading zero is another string: the HMAC covers the header as sent.
    assert robot_sign("s", "01577262236757") != robot_sign("s", "1577262236757")


# -- event cipher ---------------------------------------------------------------------------------------

DECRYPT = VECTORS["callback_crypto_decrypt"]


def crypto_of(v: dict) -> DingCallbackCrypto:
    return DingCallbackCrypto(v["token"], v["encoding_aes_key"], v["owner_key"])


@pytest.mark.parametrize("v", DECRYPT, ids=ids(DECRYPT))
def test_decrypt_vectors(v: dict) -> None:
    crypto = crypto_of(v)
    assert crypto.signature(v["timestamp"], v["nonce"], v["encrypt"]) == v["signature"]
    assert callback_signature(v["token"], v["timestamp"], v["nonce"], v["encrypt"]) == v["signature"]
    assert crypto.decrypt(v["signature"], v["timestamp"], v["nonce"], v["encrypt"]) == v["expected_plaintext"]
    # an upper-case hex signature is the same signature
    assert crypto.decrypt(v["signature"].upper(), v["timestamp"], v["nonce"], v["encrypt"]) == v["expected_plaintext"]


@pytest.mark.parametrize("v", DECRYPT, ids=ids(DECRYPT))
def test_decrypt_vectors_refused_with_the_wrong_owner_key(v: dict) -> None:
    crypto = DingCallbackCrypto(v["token"], v["encoding_aes_key"], "dingsomeoneelse")
    with pytest.raises(DingTalkCryptoError) as exc:
        crypto.decrypt(v["signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert exc.value.code == c.OWNER_KEY_MISMATCH


@pytest.mark.parametrize("field", ["timestamp", "nonce", "encrypt", "token"])
def test_decrypt_vectors_refused_when_anything_signed_changes(field: str) -> None:
    v = dict(DECRYPT[1])
    v[field] = v[field][:-1] + ("A" if v[field][-1] != "A" else "B")
    with pytest.raises(DingTalkCryptoError) as exc:
        crypto_of(v).decrypt(v["signature"], v["timestamp"], v["nonce"], v["encrypt"])
    assert exc.value.code == c.SIGNATURE_MISMATCH


def test_missing_timestamp_or_nonce_have_their_codes() -> None:
    v = DECRYPT[0]
    with pytest.raises(DingTalkCryptoError) as exc:
        crypto_of(v).decrypt(v["signature"], "", v["nonce"], v["encrypt"])
    assert exc.value.code == c.TIMESTAMP_ILLEGAL
    with pytest.raises(DingTalkCryptoError) as exc:
        crypto_of(v).decrypt(v["signature"], v["timestamp"], "", v["encrypt"])
    assert exc.value.code == c.NONCE_ILLEGAL


@pytest.mark.parametrize("v", VECTORS["raw_aes_cbc"], ids=ids(VECTORS["raw_aes_cbc"]))
def test_raw_aes_vectors(v: dict) -> None:
    crypto = DingCallbackCrypto("token", v["encoding_aes_key"], "owner")
    assert crypto.aes_encrypt(v["plaintext"].encode(), block=v["pad_block"]) == v["expected_ciphertext_b64"]
    assert crypto.aes_decrypt(v["expected_ciphertext_b64"]) == v["plaintext"].encode()  # pad to 16 accepted


@pytest.mark.parametrize("v", DECRYPT, ids=ids(DECRYPT))
def test_the_success_reply(v: dict) -> None:
    crypto = crypto_of(v)
    reply = crypto.encrypt("success")
    assert list(reply) == ["msg_signature", "timeStamp", "nonce", "encrypt"]
    assert all(isinstance(x, str) and x for x in reply.values())
    assert "\n" not in reply["encrypt"] and len(base64.b64decode(reply["encrypt"])) % 32 == 0
    assert reply["msg_signature"] == callback_signature(
        v["token"], reply["timeStamp"], reply["nonce"], reply["encrypt"]
    )
    assert crypto.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == "success"


def test_encrypt_is_deterministic_given_its_random_parts() -> None:
    v = DECRYPT[0]  # the Go sample used the nonce as the random prefix; its encryptor padded to 16, ours to 32
    reply = crypto_of(v).encrypt("success", nonce=v["nonce"], timestamp=v["timestamp"], random16=v["nonce"])
    plain = crypto_of(v).aes_decrypt(reply["encrypt"])
    assert plain == v["nonce"].encode() + struct.pack(">I", 7) + b"success" + v["owner_key"].encode()
    assert reply["timeStamp"] == v["timestamp"] and reply["nonce"] == v["nonce"]


def test_a_long_multibyte_message_round_trips() -> None:
    crypto = crypto_of(DECRYPT[1])
    text = json.dumps({"EventType": "user_add_org", "Name": "王小红" * 200}, ensure_ascii=False)
    reply = crypto.encrypt(text)
    assert crypto.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == text


GOOD_KEY = DECRYPT[1]["encoding_aes_key"]


@pytest.mark.parametrize("key", [GOOD_KEY[:42], GOOD_KEY + "A", GOOD_KEY[:42] + "=", GOOD_KEY[:42] + "$", ""], ids=str)
def test_bad_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(DingTalkCryptoError) as exc:
        DingCallbackCrypto("token", key, "owner")
    assert exc.value.code == c.AES_KEY_ILLEGAL


# -- malformed ciphertexts, each signed correctly so that the AES path is what is tested ------------------


def signed(crypto: DingCallbackCrypto, encrypt: str) -> tuple[str, str, str, str]:
    return crypto.signature("1", "n", encrypt), "1", "n", encrypt


def raw(crypto: DingCallbackCrypto, plaintext: bytes) -> str:
    from Crypto.Cipher import AES

    return base64.b64encode(AES.new(crypto.key, AES.MODE_CBC, crypto.key[:16]).encrypt(plaintext)).decode()


@pytest.fixture
def official() -> DingCallbackCrypto:
    return crypto_of(DECRYPT[1])


@pytest.mark.parametrize("encrypt", ["not*base64!", base64.b64encode(b"x" * 20).decode()], ids=["b64", "len"])
def test_unreadable_ciphertexts(official: DingCallbackCrypto, encrypt: str) -> None:
    with pytest.raises(DingTalkCryptoError) as exc:
        official.decrypt(*signed(official, encrypt))
    assert exc.value.code == c.DECRYPT_ERROR


@pytest.mark.parametrize("pad", [0, 33, 200])
def test_pad_byte_out_of_range(official: DingCallbackCrypto, pad: int) -> None:
    body = b"0" * 16 + struct.pack(">I", 3) + b"abc" + official.owner_key
    body += b"\x00" * (32 - len(body) % 32 - 1) + bytes([pad])
    with pytest.raises(DingTalkCryptoError) as exc:
        official.decrypt(*signed(official, raw(official, body)))
    assert exc.value.code == c.DECRYPT_ERROR


def test_declared_length_longer_than_the_buffer(official: DingCallbackCrypto) -> None:
    body = b"0" * 16 + struct.pack(">I", 0xFFFFFFF0) + b"abc"
    with pytest.raises(DingTalkCryptoError) as exc:
        official.decrypt(*signed(official, official.aes_encrypt(body)))
    assert exc.value.code == c.LENGTH_MISMATCH


def test_wrong_aes_key_never_decrypts_silently(official: DingCallbackCrypto) -> None:
    other = DingCallbackCrypto(official.token, "A" * 43, DECRYPT[1]["owner_key"])
    encrypt = official.encrypt("secret")["encrypt"]
    with pytest.raises(DingTalkCryptoError) as exc:
        other.decrypt(*signed(other, encrypt))
    assert exc.value.code in (c.DECRYPT_ERROR, c.LENGTH_MISMATCH, c.OWNER_KEY_MISMATCH)


@given(st.text(max_size=2000))
def test_round_trip_any_text(text: str) -> None:
    crypto = crypto_of(DECRYPT[1])
    reply = crypto.encrypt(text)
    assert crypto.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == text


@given(st.binary(max_size=300))
def test_decrypt_never_raises_anything_but_its_own_error(garbage: bytes) -> None:
    crypto = crypto_of(DECRYPT[1])
    encrypt = base64.b64encode(garbage).decode()
    with contextlib.suppress(DingTalkCryptoError):
        crypto.decrypt(*signed(crypto, encrypt))


# -- the robot message wire format -----------------------------------------------------------------------

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
CREATE_AT = 1613630252678


def message(msgtype: str = "text", **fields: Any) -> dict[str, Any]:
    """The documented sample (spec §1.1), with fields replaced or added."""
    payload: dict[str, Any] = {
        "msgtype": msgtype,
        "text": {"content": " 你好"},
        "msgId": "msg0xxxxx",
        "createAt": CREATE_AT,
        "conversationType": "2",
        "conversationId": "cidxxxx==",
        "conversationTitle": "机器人测试-TEST",
        "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
        "senderNick": "杨xx",
        "senderCorpId": "dinge8a565xxxx",
        "senderStaffId": "user123",
        "chatbotCorpId": "dinge8a565xxxx",
        "robotCode": "dingxxxx",
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
        "sessionWebhookExpiredTime": 1613635652738,
    }
    if msgtype != "text":
        del payload["text"]
    payload.update(fields)
    return payload


def test_text_message() -> None:
    inbound = inbound_from_robot(message(), received_at=NOW)
    assert inbound.platform == "dingtalk" and inbound.kind == Kind.TEXT and inbound.text == "你好"
    assert inbound.sender == "user123" and inbound.tenant == "dinge8a565xxxx" and inbound.agent_id == "dingxxxx"
    assert inbound.message_id == "msg0xxxxx" and inbound.dedup_key == "dingtalk:msg:msg0xxxxx"
    assert inbound.created_at == datetime.fromtimestamp(CREATE_AT / 1000, UTC)


def test_create_at_as_a_string_and_missing() -> None:
    assert inbound_from_robot(message(createAt=str(CREATE_AT)), received_at=NOW).created_at.year == 2021
    payload = message()
    del payload["createAt"]
    assert inbound_from_robot(payload, received_at=NOW).created_at == NOW


def test_sender_falls_back_to_the_encrypted_id_and_tenant_to_the_sender_corp() -> None:
    inbound = inbound_from_robot(message(senderStaffId="", chatbotCorpId=None), received_at=NOW)
    assert inbound.sender == "$:LWCP_v1:$Ff09GIxxxxx" and inbound.tenant == "dinge8a565xxxx"


def test_rich_text_joins_the_text_and_keeps_the_first_picture() -> None:
    parts = [{"text": "今天巡查3组"}, {"type": "picture", "downloadCode": "dc1", "pictureDownloadCode": "p1"}]
    parts += [{"text": " 河道垃圾一处 "}, {"type": "picture", "downloadCode": "dc2"}]
    inbound = inbound_from_robot(message("richText", content={"richText": parts}), received_at=NOW)
    assert inbound.kind == Kind.TEXT and inbound.text == "今天巡查3组\n河道垃圾一处"
    assert inbound.media is not None and inbound.media.media_id == "dc1"
    only_picture = message("richText", content={"richText": [{"type": "picture", "downloadCode": "dc3"}]})
    inbound = inbound_from_robot(only_picture, received_at=NOW)
    assert inbound.kind == Kind.IMAGE and inbound.media and inbound.media.media_id == "dc3"


def test_media_messages() -> None:
    picture = inbound_from_robot(message("picture", content={"downloadCode": "dcp"}), received_at=NOW)
    assert picture.kind == Kind.IMAGE and picture.media and picture.media.media_id == "dcp"
    audio = message("audio", content={"downloadCode": "dca", "duration": 4000, "recognition": " 今日巡查无异常 "})
    voice = inbound_from_robot(audio, received_at=NOW)
    assert voice.kind == Kind.VOICE and voice.text == "今日巡查无异常" and voice.media and voice.media.media_id == "dca"
    silent = inbound_from_robot(message("audio", content={"downloadCode": "dca", "recognition": ""}), received_at=NOW)
    assert silent.text is None
    video = inbound_from_robot(message("video", content={"downloadCode": "dcv", "videoType": "mp4"}), received_at=NOW)
    assert video.kind == Kind.VIDEO and video.media and video.media.format == "mp4"
    file = inbound_from_robot(
        message("file", content={"downloadCode": "dcf", "fileName": "台账.xlsx"}), received_at=NOW
    )
    assert file.kind == Kind.FILE and file.media and file.media.file_name == "台账.xlsx"


def test_an_unknown_type_is_the_unsupported_event() -> None:
    payload = message("unknownMsgType", content={"unknownMsgType": "[不支持的消息类型]"})
    inbound = inbound_from_robot(payload, received_at=NOW)
    assert is_unsupported(inbound) and inbound.event and inbound.event.key == "unknownMsgType"
    assert is_unsupported(inbound_from_robot(message("interactiveCard", content={}), received_at=NOW))


def test_the_quota_notice_is_a_clear_error() -> None:
    payload = {"errorCode": 20001, "errorMessage": "机器人消息额度已用完", "msgId": "m", "msgtype": "text"}
    with pytest.raises(DingTalkQuotaExceeded) as exc:
        inbound_from_robot(payload, received_at=NOW)
    assert "quota" in exc.value.reason and "20001" in exc.value.reason
    assert isinstance(exc.value, DingTalkWireError)


@pytest.mark.parametrize(
    "change",
    [
        {"msgId": None},
        {"msgId": ""},
        {"msgId": 12},
        {"msgtype": None},
        {"senderStaffId": "", "senderId": ""},
        {"text": "你好"},
        {"text": {"content": 5}},
        {"createAt": "yesterday"},
        {"createAt": True},
        {"createAt": [1]},
        {"errorCode": 500, "errorMessage": "x"},
    ],
    ids=str,
)
def test_malformed_messages(change: dict[str, Any]) -> None:
    with pytest.raises(DingTalkWireError) as exc:
        inbound_from_robot(message(**change), received_at=NOW)
    assert exc.value.reason


@pytest.mark.parametrize(
    "msgtype, content",
    [
        ("picture", {}),
        ("picture", "dc"),
        ("file", {"downloadCode": 3}),
        ("richText", {"richText": "x"}),
        ("richText", {"richText": ["x"]}),
        ("richText", {"richText": []}),
    ],
)
def test_malformed_media(msgtype: str, content: Any) -> None:
    with pytest.raises(DingTalkWireError):
        inbound_from_robot(message(msgtype, content=content), received_at=NOW)


def test_conversation_of_and_the_webhook_kept_out_of_reprs() -> None:
    conv = conversation_of(message())
    assert conv.conversation_type == "2" and conv.is_group and conv.conversation_id == "cidxxxx=="
    assert conv.session_expires_at == datetime.fromtimestamp(1613635652738 / 1000, UTC)
    assert conv.robot_code == "dingxxxx" and conv.session_webhook.endswith("session=xxxxx")
    assert "session=" not in repr(conv)


@pytest.mark.parametrize(
    "change",
    [
        {"conversationType": 1},
        {"conversationType": "3"},
        {"sessionWebhook": None},
        {"sessionWebhook": "javascript:alert(1)"},
        {"sessionWebhookExpiredTime": None},
        {"conversationId": ""},
    ],
    ids=str,
)
def test_conversation_of_malformed(change: dict[str, Any]) -> None:
    with pytest.raises(DingTalkWireError):
        conversation_of(message(**change))
