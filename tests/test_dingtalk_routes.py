"""The DingTalk endpoints over HTTP: robot messages signed with a fresh timestamp are queued as the right
Inbound (once, however often DingTalk redelivers), the shared event vectors are decrypted and answered with
the encrypted "success", and every bad request gets a 4xx with a reason and nothing queued. Also the
sessionWebhook memory and the operator tools."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app as cli
from bot.platforms.dingtalk.crypto import DingCallbackCrypto, callback_signature, robot_sign
from bot.platforms.dingtalk.sessions import remember_session, session_for, session_key
from bot.platforms.dingtalk.wire import Conversation

VECTORS = json.loads((Path(__file__).parent / "data" / "dingtalk-vectors.json").read_text())
EVENTS = VECTORS["callback_crypto_decrypt"]
CLIENT_ID = "dingcadrebottest01"
CLIENT_SECRET = "cadrebot-dingtalk-app-secret-2026"
WEBHOOK = "https://oapi.dingtalk.com/robot/sendBySession?session=s3cr3t-session-value"


def now_ms() -> int:
    return int(time.time() * 1000)


def nothing_queued(redis: Redis) -> None:
    assert redis.keys("rq:job:*") == []
    assert all(redis.llen(k) == 0 for k in redis.keys("rq:queue:*"))


def jobs(redis: Redis) -> list[dict[str, Any]]:
    return [job.args[0] for job in Queue("cadrebot-test-inbound", connection=redis).get_jobs()]


def message(msgtype: str = "text", **fields: Any) -> dict[str, Any]:
    created = now_ms()
    payload: dict[str, Any] = {
        "msgtype": msgtype,
        "text": {"content": " 今日巡查无异常"},
        "msgId": f"msg{created}",
        "createAt": created,
        "conversationType": "1",
        "conversationId": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==",
        "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
        "senderNick": "王小红",
        "senderCorpId": "dingcorp01",
        "senderStaffId": "wangxh",
        "chatbotCorpId": "dingcorp01",
        "robotCode": CLIENT_ID,
        "isInAtList": True,
        "sessionWebhook": WEBHOOK,
        "sessionWebhookExpiredTime": created + 90 * 60 * 1000,
    }
    if msgtype != "text":
        del payload["text"]
    payload.update(fields)
    return payload


class FrozenClock:
    def __init__(self, at: float) -> None:
        self.at = at

    def time(self) -> float:
        return self.at

    def perf_counter(self) -> float:
        return time.perf_counter()


def signed(timestamp: int | None = None, secret: str = CLIENT_SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else now_ms())
    return {"timestamp": ts, "sign": robot_sign(secret, ts), "content-type": "application/json; charset=utf-8"}


@pytest.fixture
def robot(make_settings, redis: Redis):
    settings = make_settings(DINGTALK_CLIENT_ID=CLIENT_ID, DINGTALK_CLIENT_SECRET=CLIENT_SECRET)
    with TestClient(create_app(settings)) as http:
        yield http


def post(http: TestClient, payload: Any, headers: dict[str, str] | None = None) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return http.post("/dingtalk/robot", content=body, headers=signed() if headers is None else headers)


# -- the robot: accepted ------------------------------------------------------------------------------------


def test_a_signed_message_is_queued_as_its_inbound(robot: TestClient, redis: Redis) -> None:
    payload = message()
    r = post(robot, payload)
    assert r.status_code == 200 and r.json() == {"msgtype": "empty"}
    [job] = jobs(redis)
    assert job["platform"] == "dingtalk" and job["kind"] == "text" and job["text"] == "今日巡查无异常"
    assert job["sender"] == "wangxh" and job["tenant"] == "dingcorp01" and job["message_id"] == payload["msgId"]
    assert job["dedup_key"] == f"dingtalk:msg:{payload['msgId']}"


@pytest.mark.parametrize("v", VECTORS["robot_sign"], ids=[v["id"] for v in VECTORS["robot_sign"]])
def test_the_sign_vectors_over_http(v: dict, make_settings, redis: Redis, monkeypatch) -> None:
    """Each vector's (secret, timestamp, sign) exactly as DingTalk would send it, with the clock at its time."""
    import bot.platforms.dingtalk.routes as routes

    monkeypatch.setattr(routes, "time", FrozenClock(int(v["timestamp"]) / 1000 + 59 * 60))  # inside the hour
    settings = make_settings(DINGTALK_CLIENT_ID=CLIENT_ID, DINGTALK_CLIENT_SECRET=v["secret"])
    headers = {"timestamp": v["timestamp"], "sign": v["expected_sign_base64"]}
    with TestClient(create_app(settings)) as http:
        r = post(http, message(msgId=f"vec-{v['id']}"), headers)
    assert r.status_code == 200, r.text
    assert [j["message_id"] for j in jobs(redis)] == [f"vec-{v['id']}"]


def test_a_redelivered_message_is_queued_once(robot: TestClient, redis: Redis) -> None:
    payload = message()
    assert post(robot, payload).status_code == 200
    assert post(robot, payload).status_code == 200  # seconds later, freshly signed
    assert post(robot, payload, signed(now_ms() - 30_000)).status_code == 200
    assert len(jobs(redis)) == 1


def test_the_session_webhook_is_remembered_and_never_logged(
    robot: TestClient, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    assert post(robot, message(conversationType="2")).status_code == 200
    conv = session_for(redis, "wangxh", datetime.now(UTC))
    assert conv is not None and conv.session_webhook == WEBHOOK and conv.conversation_type == "2"
    assert 0 < redis.pttl(session_key("wangxh")) <= 90 * 60 * 1000
    assert "s3cr3t-session-value" not in caplog.text
    assert all("s3cr3t-session-value" not in json.dumps(job) for job in jobs(redis))


def test_media_and_voice_are_queued_with_their_download_codes(robot: TestClient, redis: Redis) -> None:
    post(robot, message("picture", msgId="p1", content={"downloadCode": "dc-pic"}))
    post(robot, message("audio", msgId="a1", content={"downloadCode": "dc-voice", "recognition": "今日巡查无异常"}))
    got = {j["message_id"]: j for j in jobs(redis)}
    assert got["p1"]["kind"] == "image" and got["p1"]["media"]["media_id"] == "dc-pic"
    assert got["a1"]["kind"] == "voice" and got["a1"]["text"] == "今日巡查无异常"


def test_an_unsupported_type_is_queued_once_for_its_polite_answer(robot: TestClient, redis: Redis) -> None:
    payload = message("unknownMsgType", content={"unknownMsgType": "[不支持的消息类型]"})
    assert post(robot, payload).json() == {"msgtype": "empty"}
    assert post(robot, payload).json() == {"msgtype": "empty"}
    [job] = jobs(redis)
    assert job["kind"] == "event" and job["event"]["name"] == "unsupported"


def test_the_quota_notice_is_acknowledged_and_not_queued(robot: TestClient, redis: Redis) -> None:
    payload = message(errorCode=20001, errorMessage="机器人消息额度已用完")
    r = post(robot, payload)
    assert r.status_code == 200 and r.json() == {"msgtype": "empty"}
    nothing_queued(redis)


def test_a_message_without_a_session_is_still_queued(robot: TestClient, redis: Redis) -> None:
    payload = message()
    del payload["sessionWebhook"]
    assert post(robot, payload).status_code == 200
    assert len(jobs(redis)) == 1 and session_for(redis, "wangxh", datetime.now(UTC)) is None


# -- the robot: refused, nothing queued -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, status, error",
    [
        ({"timestamp": "", "sign": "x"}, 400, "bad_timestamp"),
        ({"sign": "x"}, 400, "bad_timestamp"),
        ({"timestamp": "1.5e12", "sign": "x"}, 400, "bad_timestamp"),
        ("no-sign", 401, "missing_sign"),
        ("bad-sign", 403, "bad_sign"),
        ("other-secret", 403, "bad_sign"),
        ("hour-ago", 403, "stale_timestamp"),
        ("hour-ahead", 403, "stale_timestamp"),
        ("year-ago", 403, "stale_timestamp"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_bad_headers(robot: TestClient, redis: Redis, headers: Any, status: int, error: str) -> None:
    if headers == "no-sign":
        headers = {"timestamp": str(now_ms())}
    elif headers == "bad-sign":
        headers = {**signed(), "sign": robot_sign(CLIENT_SECRET, "1577262236757")}
    elif headers == "other-secret":
        headers = signed(secret="someone else's secret")
    elif headers == "hour-ago":
        headers = signed(now_ms() - 3_600_000 - 5_000)
    elif headers == "hour-ahead":
        headers = signed(now_ms() + 3_600_000 + 5_000)
    elif headers == "year-ago":
        headers = signed(now_ms() - 365 * 86_400_000)
    r = post(robot, message(), headers)
    assert r.status_code == status and r.json()["error"] == error and r.json()["reason"]
    nothing_queued(redis)


@pytest.mark.parametrize(
    "body, error",
    [
        (b"", "bad_json"),
        (b'{"msgtype": "text", ', "bad_json"),
        (b"\xff\xfe{\x00}\x00", "bad_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"null", "not_an_object"),
        (json.dumps({"msgtype": "text", "text": {"content": "x"}}).encode(), "bad_message"),
        (json.dumps(message(msgId=7)).encode(), "bad_message"),
        (json.dumps(message(text="今日巡查")).encode(), "bad_message"),
        (json.dumps(message(senderStaffId="", senderId="")).encode(), "bad_message"),
    ],
    ids=["empty", "truncated", "utf16", "array", "string", "null", "no-msgid", "int-msgid", "flat-text", "no-sender"],
)
def test_bad_bodies(robot: TestClient, redis: Redis, body: bytes, error: str) -> None:
    r = post(robot, body)
    assert r.status_code == 400 and r.json()["error"] == error and r.json()["reason"]
    nothing_queued(redis)


def test_another_robots_message_is_refused(robot: TestClient, redis: Redis) -> None:
    r = post(robot, message(robotCode="dingsomeoneelse"))
    assert r.status_code == 403 and r.json()["error"] == "wrong_robot"
    nothing_queued(redis)


def test_oversized_bodies(robot: TestClient, redis: Redis) -> None:
    big = message(text={"content": "巡" * 30_000})
    r = post(robot, big)
    assert r.status_code == 413 and r.json()["reason"]

    def chunks():
        for _ in range(100):
            yield b"A" * 1024

    assert robot.post("/dingtalk/robot", content=chunks(), headers=signed()).status_code == 413
    nothing_queued(redis)


def test_unconfigured_endpoints_say_which_setting_is_missing(make_settings, redis: Redis) -> None:
    with TestClient(create_app(make_settings())) as http:
        r = post(http, message())
        assert r.status_code == 503 and "CADREBOT_DINGTALK_CLIENT_SECRET" in r.json()["reason"]
        r = http.post("/dingtalk/events", params={"signature": "x", "timestamp": "1", "nonce": "n"}, json={})
        assert r.status_code == 503 and "CADREBOT_DINGTALK_TOKEN" in r.json()["reason"]
        assert "CADREBOT_DINGTALK_AES_KEY" in r.json()["reason"]
    nothing_queued(redis)


def test_redis_unreachable_means_503(make_settings, redis: Redis) -> None:
    from conftest import free_port

    settings = make_settings(DINGTALK_CLIENT_SECRET=CLIENT_SECRET, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings)) as http:
        r = post(http, message())
    assert r.status_code == 503 and r.json()["error"] == "queue_unavailable"


# -- event subscription ------------------------------------------------------------------------------------


def events_client(v: dict, make_settings, **extra: str) -> TestClient:
    settings = make_settings(
        DINGTALK_TOKEN=v["token"], DINGTALK_AES_KEY=v["encoding_aes_key"], DINGTALK_OWNER_KEY=v["owner_key"], **extra
    )
    return TestClient(create_app(settings))


def check_success(reply: dict[str, str], v: dict) -> None:
    assert list(reply) == ["msg_signature", "timeStamp", "nonce", "encrypt"]
    assert reply["msg_signature"] == callback_signature(
        v["token"], reply["timeStamp"], reply["nonce"], reply["encrypt"]
    )
    crypto = DingCallbackCrypto(v["token"], v["encoding_aes_key"], v["owner_key"])
    assert crypto.decrypt(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == "success"


@pytest.mark.parametrize("v", EVENTS, ids=[v["id"] for v in EVENTS])
@pytest.mark.parametrize("spelling", [("signature", "timestamp"), ("msg_signature", "timeStamp")])
def test_event_vectors_through_the_endpoint(v: dict, spelling: tuple[str, str], make_settings, redis: Redis) -> None:
    """The vectors' timestamps are years old: the events endpoint applies no window (see its module)."""
    sig_name, ts_name = spelling
    params = {sig_name: v["signature"], ts_name: v["timestamp"], "nonce": v["nonce"]}
    with events_client(v, make_settings) as http:
        r = http.post("/dingtalk/events", params=params, json={"encrypt": v["encrypt"]})
    if v["expected_plaintext"].startswith("{"):  # a push: check_url, answered with the encrypted success
        assert r.status_code == 200, r.text
        check_success(r.json(), v)
    else:  # the Go vector holds a reply ("success"), not an event: it verifies and decrypts, then is refused
        assert r.status_code == 400 and r.json()["error"] == "bad_event", r.text
    nothing_queued(redis)  # events are acknowledged, not queued


def test_the_owner_key_defaults_to_the_client_id(make_settings, redis: Redis) -> None:
    v = EVENTS[1]
    settings = make_settings(
        DINGTALK_TOKEN=v["token"], DINGTALK_AES_KEY=v["encoding_aes_key"], DINGTALK_CLIENT_ID=v["owner_key"]
    )
    params = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
    with TestClient(create_app(settings)) as http:
        r = http.post("/dingtalk/events", params=params, json={"encrypt": v["encrypt"]})
    assert r.status_code == 200
    check_success(r.json(), v)


def test_a_business_event_is_acknowledged_and_only_its_type_logged(
    make_settings, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    v = EVENTS[1]
    crypto = DingCallbackCrypto(v["token"], v["encoding_aes_key"], v["owner_key"])
    push = crypto.encrypt(json.dumps({"EventType": "user_add_org", "UserId": ["zhangsan-secret-id"]}))
    params = {"signature": push["msg_signature"], "timestamp": push["timeStamp"], "nonce": push["nonce"]}
    caplog.set_level("INFO")
    with events_client(v, make_settings) as http:
        r = http.post("/dingtalk/events", params=params, json={"encrypt": push["encrypt"]})
    assert r.status_code == 200
    check_success(r.json(), v)
    assert "zhangsan-secret-id" not in caplog.text
    assert any(getattr(rec, "event_type", None) == "user_add_org" for rec in caplog.records)
    nothing_queued(redis)


def refused(http: TestClient, params: dict[str, str], body: Any) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.post("/dingtalk/events", params=params, content=content)


def test_event_refusals(make_settings, redis: Redis) -> None:
    v = EVENTS[1]
    good = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
    body = {"encrypt": v["encrypt"]}
    with events_client(v, make_settings) as http:
        for missing in good:
            r = refused(http, {k: x for k, x in good.items() if k != missing}, body)
            assert r.status_code == 400 and r.json()["error"] == "missing_params"
        r = refused(http, {**good, "signature": "0" * 40}, body)
        assert r.status_code == 403 and r.json()["code"] == 900005
        r = refused(http, {**good, "nonce": good["nonce"] + "x"}, body)
        assert r.status_code == 403 and r.json()["code"] == 900005
        for bad, error in [(b"{", "bad_json"), (b"[]", "not_an_object"), ({"Encrypt": v["encrypt"]}, "bad_envelope")]:
            r = refused(http, good, bad)
            assert r.status_code == 400 and r.json()["error"] == error and r.json()["reason"]
        r = refused(http, good, b'{"encrypt": "' + b"A" * 70_000 + b'"}')
        assert r.status_code == 413
        # correctly signed, but not a ciphertext of this key
        junk = "QUFBQUFBQUFBQUFBQUFBQQ=="
        r = refused(
            http,
            {**good, "signature": callback_signature(v["token"], v["timestamp"], v["nonce"], junk)},
            {"encrypt": junk},
        )
        assert r.status_code == 400 and 900001 <= r.json()["code"] <= 900010
    nothing_queued(redis)


def test_a_wrong_owner_key_is_403_with_900010(make_settings, redis: Redis) -> None:
    v = EVENTS[0]
    params = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
    with events_client({**v, "owner_key": "dingsomeoneelse"}, make_settings) as http:
        r = http.post("/dingtalk/events", params=params, json={"encrypt": v["encrypt"]})
    assert r.status_code == 403 and r.json()["code"] == 900010 and r.json()["reason"]
    nothing_queued(redis)


def test_an_event_without_event_type(make_settings, redis: Redis) -> None:
    v = EVENTS[1]
    push = DingCallbackCrypto(v["token"], v["encoding_aes_key"], v["owner_key"]).encrypt("not json")
    params = {"signature": push["msg_signature"], "timestamp": push["timeStamp"], "nonce": push["nonce"]}
    with events_client(v, make_settings) as http:
        r = http.post("/dingtalk/events", params=params, json={"encrypt": push["encrypt"]})
    assert r.status_code == 400 and r.json()["error"] == "bad_event"


# -- the session memory -----------------------------------------------------------------------------------


def conversation(expires_in: timedelta, now: datetime) -> Conversation:
    return Conversation("1", "cid1", WEBHOOK, now + expires_in, CLIENT_ID)


def test_a_session_is_good_until_five_minutes_before_it_expires(redis: Redis) -> None:
    now = datetime.now(UTC)
    remember_session(redis, "wangxh", conversation(timedelta(minutes=90), now))
    got = session_for(redis, "wangxh", now)
    assert got is not None and (got.conversation_type, got.conversation_id, got.robot_code) == ("1", "cid1", CLIENT_ID)
    assert got.session_webhook == WEBHOOK
    assert abs(got.session_expires_at - (now + timedelta(minutes=90))) < timedelta(milliseconds=1)
    assert session_for(redis, "wangxh", now + timedelta(minutes=84)) is not None
    assert session_for(redis, "wangxh", now + timedelta(minutes=85)) is None
    assert session_for(redis, "someoneelse", now) is None
    assert 89 * 60_000 < redis.pttl(session_key("wangxh")) <= 90 * 60_000


def test_an_expired_session_is_not_kept_and_a_newer_one_replaces_the_old(redis: Redis) -> None:
    now = datetime.now(UTC)
    remember_session(redis, "wangxh", conversation(timedelta(seconds=-1), now))
    assert redis.exists(session_key("wangxh")) == 0
    remember_session(redis, "wangxh", conversation(timedelta(minutes=90), now))
    newer = Conversation("2", "cidgroup", WEBHOOK + "2", now + timedelta(minutes=60), CLIENT_ID)
    remember_session(redis, "wangxh", newer)
    got = session_for(redis, "wangxh", now)
    assert got is not None and got.conversation_id == "cidgroup" and got.is_group


def test_an_unreadable_session_entry_is_none(redis: Redis) -> None:
    redis.set(session_key("wangxh"), b"{not json")
    assert session_for(redis, "wangxh", datetime.now(UTC)) is None


# -- the operator tools -------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize("v", VECTORS["robot_sign"], ids=[v["id"] for v in VECTORS["robot_sign"]])
def test_cli_sign(v: dict) -> None:
    result = runner.invoke(cli, ["dingtalk", "sign", "--secret", v["secret"], "--timestamp", v["timestamp"]])
    assert result.exit_code == 0 and result.stdout == v["expected_sign_base64"] + "\n"


def decrypt_args(v: dict, **change: str) -> list[str]:
    v = {**v, **change}
    return [
        "dingtalk",
        "decrypt",
        "--token",
        v["token"],
        "--aes-key",
        v["encoding_aes_key"],
        "--owner-key",
        v["owner_key"],
        "--timestamp",
        v["timestamp"],
        "--nonce",
        v["nonce"],
        "--signature",
        v["signature"],
    ]


@pytest.mark.parametrize("v", EVENTS, ids=[v["id"] for v in EVENTS])
def test_cli_decrypt(v: dict) -> None:
    bare = runner.invoke(cli, [*decrypt_args(v), v["encrypt"]])
    assert bare.exit_code == 0 and bare.stdout == v["expected_plaintext"] + "\n"
    body = json.dumps({"encrypt": v["encrypt"]})
    assert runner.invoke(cli, [*decrypt_args(v), body]).stdout == v["expected_plaintext"] + "\n"
    assert runner.invoke(cli, [*decrypt_args(v), "-"], input=body).stdout == v["expected_plaintext"] + "\n"


@pytest.mark.parametrize(
    "change, code",
    [({"owner_key": "dingsomeoneelse"}, "900010"), ({"signature": "0" * 40}, "900005"), ({"aes_key": "x"}, "900004")],
)
def test_cli_decrypt_failures_exit_1_with_code_and_reason(change: dict[str, str], code: str) -> None:
    v = dict(EVENTS[1])
    if "aes_key" in change:
        v["encoding_aes_key"] = change.pop("aes_key")
    result = runner.invoke(cli, [*decrypt_args(v, **change), v["encrypt"]])
    assert result.exit_code == 1 and result.stderr.startswith(f"{code}: ")
