"""The shared vectors through the webhook itself: the official URL verification answered byte for byte,
and the official encrypted message accepted and queued, with the clock set to when they were signed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rq import Queue

from bot.app import create_app

VECTORS = {
    v["id"]: v for v in json.loads((Path(__file__).parent / "data" / "wecom-vectors.json").read_text())["vectors"]
}


class FrozenClock:
    def __init__(self, at: int) -> None:
        self.at = at

    def time(self) -> float:
        return float(self.at)

    def perf_counter(self) -> float:
        return time.perf_counter()


def client_for(v: dict, make_settings, monkeypatch) -> TestClient:
    import bot.platforms.wecom.routes as routes

    settings = make_settings(WECOM_TOKEN=v["token"], WECOM_AES_KEY=v["encoding_aes_key"], WECOM_CORP_ID=v["receive_id"])
    monkeypatch.setattr(routes, "time", FrozenClock(int(v["timestamp"])))
    return TestClient(create_app(settings))


@pytest.mark.parametrize("vid", ["official-verify-url", "wechatpy-verify-url", "official-python-verify-url"])
def test_url_verification_vectors(vid: str, make_settings, monkeypatch, redis) -> None:
    v = VECTORS[vid]
    with client_for(v, make_settings, monkeypatch) as http:
        query = v.get("query_string") or (
            f"msg_signature={v['msg_signature']}&timestamp={v['timestamp']}&nonce={v['nonce']}&echostr="
            + v["echostr"].replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
        )
        r = http.get("/wecom/callback?" + query)
    assert r.status_code == 200 and r.content == v["expected_msg"].encode()


@pytest.mark.parametrize("vid", ["official-decrypt-msg", "wechatpy-decrypt-msg", "official-python-decrypt-msg"])
def test_message_vectors_are_queued(vid: str, make_settings, monkeypatch, redis) -> None:
    v = VECTORS[vid]
    with client_for(v, make_settings, monkeypatch) as http:
        params = {"msg_signature": v["msg_signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
        r = http.post("/wecom/callback", params=params, content=v["post_body"].encode())
        again = http.post("/wecom/callback", params=params, content=v["post_body"].encode())
    assert r.status_code == 200 and r.content == b"" and again.status_code == 200
    jobs = Queue("cadrebot-test-inbound", connection=redis).get_jobs()
    assert len(jobs) == 1  # the second delivery was recognised
    payload = jobs[0].args[0]
    assert payload["kind"] == "text" and payload["text"] in v["expected_msg"]
    assert payload["message_id"] in v["expected_msg"]


def test_the_wrong_receiveid_vector_is_refused(make_settings, monkeypatch, redis) -> None:
    v = VECTORS["official-decrypt-msg-wrong-receiveid"]
    with client_for(v, make_settings, monkeypatch) as http:
        params = {"msg_signature": v["msg_signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
        body = f"<xml><Encrypt><![CDATA[{v['encrypt']}]]></Encrypt></xml>".encode()
        r = http.post("/wecom/callback", params=params, content=body)
    assert r.status_code == 403 and r.json()["code"] == -40005
    assert redis.keys("rq:job:*") == []
