"""Bad callbacks get a 4xx with a reason and nothing is queued; an unreachable Redis gets a 503."""

from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest
from redis import Redis

from bot.sim.callbacks import CallbackFactory

from conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, LiveServer, free_port


def nothing_queued(redis: Redis) -> None:
    assert redis.keys("rq:job:*") == []
    assert all(redis.llen(k) == 0 for k in redis.keys("rq:queue:*"))


@pytest.fixture
def good(factory: CallbackFactory):
    return factory.envelope(factory.text("wangxh", "帮助"))


def test_good_callback_is_queued(http: httpx.Client, redis: Redis, good) -> None:
    r = http.post("/wecom/callback", params=good.params, content=good.body)
    assert r.status_code == 200 and r.content == b""
    assert len(redis.keys("rq:job:*")) == 1


def test_bad_signature(http: httpx.Client, redis: Redis, good) -> None:
    params = {**good.params, "msg_signature": "0" * 40}
    r = http.post("/wecom/callback", params=params, content=good.body)
    assert r.status_code == 403 and r.json()["code"] == -40001
    nothing_queued(redis)


def test_signature_of_another_nonce(http: httpx.Client, redis: Redis, good) -> None:
    params = {**good.params, "nonce": good.params["nonce"] + "1"}
    assert http.post("/wecom/callback", params=params, content=good.body).status_code == 403
    nothing_queued(redis)


@pytest.mark.parametrize("age", [-400, 400, 86_400 * 365])
def test_stale_or_future_timestamp(http: httpx.Client, redis: Redis, factory: CallbackFactory, age: int) -> None:
    callback = factory.envelope(factory.text("wangxh", "帮助"), timestamp=int(time.time()) - age)
    r = http.post("/wecom/callback", params=callback.params, content=callback.body)
    assert r.status_code == 403 and r.json()["error"] == "stale_timestamp"
    nothing_queued(redis)


def test_retry_seconds_later_is_still_fresh(http: httpx.Client, redis: Redis, factory: CallbackFactory) -> None:
    callback = factory.envelope(factory.text("wangxh", "帮助"), timestamp=int(time.time()) - 15)
    assert http.post("/wecom/callback", params=callback.params, content=callback.body).status_code == 200


def test_wrong_corp_id(http: httpx.Client, redis: Redis) -> None:
    other = CallbackFactory(TOKEN, AES_KEY, "wwsomeoneelse00001", AGENT_ID)
    callback = other.envelope(other.text("wangxh", "帮助"))
    r = http.post("/wecom/callback", params=callback.params, content=callback.body)
    assert r.status_code == 403 and r.json()["code"] == -40005
    nothing_queued(redis)


def test_wrong_aes_key(http: httpx.Client, redis: Redis) -> None:
    other = CallbackFactory(TOKEN, "Z" * 43, CORP_ID, AGENT_ID)
    callback = other.envelope(other.text("wangxh", "帮助"))
    r = http.post("/wecom/callback", params=callback.params, content=callback.body)
    assert r.status_code in (400, 403)
    nothing_queued(redis)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><Encrypt>",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b"\xff\xfe<\x00x\x00",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>',
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Encrypt>&lol3;</Encrypt></xml>',
        b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
    ],
    ids=["empty", "truncated", "no-encrypt", "utf16-garbage", "external-entity", "entity-expansion", "deep-nesting"],
)
def test_malformed_or_hostile_envelopes(http: httpx.Client, redis: Redis, good, body: bytes) -> None:
    r = http.post("/wecom/callback", params=good.params, content=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["reason"]
    nothing_queued(redis)


def test_hostile_inner_xml_is_refused_after_decryption(
    http: httpx.Client, redis: Redis, factory: CallbackFactory
) -> None:
    inner = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xml><FromUserName>wangxh</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime>"
        "<Content>&x;</Content><MsgId>1</MsgId></xml>"
    )
    callback = factory.envelope(inner)
    r = http.post("/wecom/callback", params=callback.params, content=callback.body)
    assert r.status_code == 400 and r.json()["error"] == "bad_message"
    nothing_queued(redis)


def test_oversized_body(http: httpx.Client, redis: Redis, good) -> None:
    big = b"<xml><Encrypt>" + b"A" * (65 * 1024) + b"</Encrypt></xml>"
    r = http.post("/wecom/callback", params=good.params, content=big)
    assert r.status_code == 413
    nothing_queued(redis)


def test_oversized_body_without_content_length(http: httpx.Client, redis: Redis, good) -> None:
    def chunks():
        for _ in range(100):
            yield b"A" * 1024

    r = http.post("/wecom/callback", params=good.params, content=chunks())
    assert r.status_code == 413
    nothing_queued(redis)


@pytest.mark.parametrize("missing", ["msg_signature", "timestamp", "nonce"])
def test_missing_query_parameters(http: httpx.Client, redis: Redis, good, missing: str) -> None:
    params = {k: v for k, v in good.params.items() if k != missing}
    assert http.post("/wecom/callback", params=params, content=good.body).status_code == 400
    nothing_queued(redis)


def test_url_verification_refusals(http: httpx.Client, factory: CallbackFactory) -> None:
    params = factory.verify_request("123")
    assert http.get("/wecom/callback", params={**params, "msg_signature": "f" * 40}).status_code == 403
    assert http.get("/wecom/callback", params={k: v for k, v in params.items() if k != "echostr"}).status_code == 400
    stale = factory.verify_request("123", timestamp=int(time.time()) - 3600)
    assert http.get("/wecom/callback", params=stale).status_code == 403


# -- Redis stopped ----------------------------------------------------------------------------------------


def wait_for_redis(client: Redis) -> None:
    for _ in range(100):
        try:
            client.ping()
            return
        except Exception:
            time.sleep(0.05)
    raise AssertionError("redis-server did not start")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to stop and start")
def test_redis_stopped_means_503_and_recovery_after(make_settings, roster, factory: CallbackFactory, tmp_path) -> None:
    port = free_port()
    cmd = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = Redis.from_url(url)
        wait_for_redis(client)
        web_port = free_port()
        settings = make_settings(REDIS_URL=url, WECOM_API_BASE=f"http://127.0.0.1:{web_port}/sim/wecom")
        with LiveServer(settings, web_port) as live, httpx.Client(base_url=live.url, timeout=10) as http:
            first = factory.envelope(factory.text("wangxh", "帮助"))
            assert http.post("/wecom/callback", params=first.params, content=first.body).status_code == 200

            proc.terminate()
            proc.wait(timeout=10)
            second = factory.envelope(factory.text("wangxh", "第二条"))
            r = http.post("/wecom/callback", params=second.params, content=second.body)
            assert r.status_code == 503 and r.json()["error"] == "queue_unavailable"
            assert http.get("/healthz").status_code == 503

            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_redis(client)
            # WeCom retries the refused callback: now it is taken.
            r = http.post("/wecom/callback", params=second.params, content=second.body)
            assert r.status_code == 200
            assert client.llen("rq:queue:cadrebot-test-inbound") == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
