"""Ten thousand malformed or malicious callbacks against the real app, served by uvicorn in its own process.

Deterministic (seeded) and spread over every callback endpoint: bad and missing signatures, stale, future
and non-decimal timestamps, truncated and mis-padded ciphertexts signed with the right token, the wrong
receiveid / owner key / robotCode, XXE, entity expansion, deep nesting (XML and JSON), bodies over
CADREBOT_MAX_BODY_BYTES (declared, chunked and with a lying Content-Length), wrong content types, invalid
UTF-8, NUL bytes, non-object JSON and absurd numbers — plus three valid callbacks each sent many times.

Afterwards: no 5xx; every refusal is a 4xx carrying the JSON reason the route documents; nothing queued but
the three valid callbacks, once each; nothing written to the database; the server's RSS steady.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import func, select

from bot.platforms.dingtalk.card_routes import card_signature
from bot.platforms.dingtalk.crypto import DingCallbackCrypto, robot_sign
from bot.platforms.wecom.crypto import WXBizMsgCrypt
from bot.sim.callbacks import CallbackFactory
from bot.sim.dingtalk_callbacks import DingTalkCallbackFactory
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, InboundLog, Outbox

from conftest import AES_KEY, CORP_ID, DINGTALK_CLIENT_ID, DINGTALK_SECRET, TOKEN, free_port

TOTAL = 10_000
WARM_UP = 1_500
RSS_BOUND_KB = 30 * 1024
MAX_BODY = 64 * 1024
DING_TOKEN = "dingEventToken2026"
DING_AES = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
REPLAYS = 40  # each valid callback is sent this many times among the rest


@dataclass
class Attempt:
    category: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | Callable[[], Iterator[bytes]] = b""
    allowed: tuple[int, ...] = (400, 401, 403, 413)
    json_reason: bool = True  # the route documents a JSON {"error", "reason"} for this refusal


# -- the server ----------------------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def live(make_settings, redis: Redis, roster: None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    make_settings(
        QUEUE_NAME="cadrebot-hostile",
        DINGTALK_CLIENT_ID=DINGTALK_CLIENT_ID,
        DINGTALK_CLIENT_SECRET=DINGTALK_SECRET,
        DINGTALK_TOKEN=DING_TOKEN,
        DINGTALK_AES_KEY=DING_AES,
        MAX_BODY_BYTES=MAX_BODY,
        LOG_LEVEL="ERROR",
        SIM="0",
    )
    command = [sys.executable, "-m", "uvicorn", "bot.app:app_from_env", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "critical", "--no-access-log"]
    proc = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the generators ------------------------------------------------------------------------------------------

WECOM = CallbackFactory(TOKEN, AES_KEY, CORP_ID)
WECOM_CRYPTO = WXBizMsgCrypt(TOKEN, AES_KEY, CORP_ID)
OTHER_CORP = WXBizMsgCrypt(TOKEN, AES_KEY, "wwsomeothercorp0001")
DING_EVENTS = DingCallbackCrypto(DING_TOKEN, DING_AES, DINGTALK_CLIENT_ID)
DING_OTHER_OWNER = DingCallbackCrypto(DING_TOKEN, DING_AES, "dingsomeoneelse")
DING = DingTalkCallbackFactory(DINGTALK_CLIENT_ID, DINGTALK_SECRET)

XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><xml><Encrypt>&e;</Encrypt></xml>'
)
PARAM_ENTITY = b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd">%p;]><xml><Encrypt>a</Encrypt></xml>'
DEEP_XML = b"<xml>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</xml>"
DEEP_JSON = b"[" * 30_000 + b"]" * 30_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
ODD_TIMESTAMPS = ["²", "١٢٣", "9" * 5000, "-5", "1e9", " 1", "0x10", "１２３", "NaN", "\u00b9\u00b2\u00b3"]
JUNK_BODIES = [
    b"\xff\xfe\xfd",
    b"\x00" * 64,
    b"<xml>\x00</xml>",
    b"null",
    b"[]",
    b'"string"',
    b"1e999999",
    b"123",
    b"{",
    b"<xml><Encrypt></Encrypt></xml>",
    b"\xef\xbb\xbf<xml><Encrypt>\xc3\x28</Encrypt></xml>",
    b'{"encrypt": 12345678901234567890123456789}',
    b'{"Encrypt": ["a"]}',
    "<xml><Encrypt>巡查</Encrypt></xml>".encode("gb18030"),
]
CONTENT_TYPES = ["text/xml", "application/json", "text/plain", "multipart/form-data; boundary=x", "image/png", ""]


def now_s() -> int:
    return int(time.time())


def now_ms() -> int:
    return int(time.time() * 1000)


def wecom_post(
    category: str, params: dict[str, str], body: bytes | Callable[[], Iterator[bytes]], **kw: Any
) -> Attempt:
    return Attempt(category, "POST", "/wecom/callback", params, content=body, **kw)


def signed_wecom(encrypt: str, envelope: bool = True) -> tuple[dict[str, str], bytes]:
    ts, nonce = str(now_s()), "n" + str(random.getrandbits(20))
    params = {"msg_signature": WECOM_CRYPTO.signature(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return params, body.encode() if envelope else encrypt.encode()


def g_wecom_signature(rng: random.Random) -> Attempt:
    good = WECOM.envelope(WECOM.text("wangxh", "帮助"))
    sig = rng.choice(
        ["0" * 40, "", "x", good.params["msg_signature"][::-1], "é" * 40, good.params["msg_signature"] + "0"]
    )
    params = {**good.params, "msg_signature": sig}
    if rng.random() < 0.2:
        params = {**good.params, "nonce": good.params["nonce"] + "1"}
    return wecom_post("wecom bad/missing signature", params, good.body)


def g_wecom_timestamp(rng: random.Random) -> Attempt:
    when = now_s() + rng.choice([-1, 1]) * rng.randint(301, 10**9)
    ts = rng.choice([str(when), *ODD_TIMESTAMPS])
    good = WECOM.envelope(
        WECOM.text("wangxh", "帮助"), timestamp=int(ts) if ts.isascii() and ts.isdigit() and len(ts) < 12 else None
    )
    params = {**good.params, "timestamp": ts}
    return wecom_post("wecom stale/future/odd timestamp", params, good.body)


def g_wecom_cipher(rng: random.Random) -> Attempt:
    raw = bytearray(base64.b64decode(WECOM_CRYPTO.encrypt(WECOM.text("wangxh", "帮助").encode())))
    how = rng.choice(["truncate", "flip", "extend", "b64", "empty-ish"])
    if how == "truncate":
        raw = raw[: rng.randrange(0, len(raw))]
    elif how == "flip":
        raw[rng.randrange(len(raw))] ^= rng.randint(1, 255)
    elif how == "extend":
        raw += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    encrypt = base64.b64encode(bytes(raw)).decode()
    if how == "b64":
        cut = rng.randrange(len(encrypt))
        encrypt = encrypt[:cut] + rng.choice(["*", "=", "==", "-", "_"]) + encrypt[cut:]
    elif how == "empty-ish":
        encrypt = rng.choice(["=", "AAAA", "A" * 43 + "="])
    params, body = signed_wecom(encrypt, envelope=rng.random() < 0.8)
    return wecom_post("wecom truncated/mis-padded ciphertext (signed)", params, body)


def g_wecom_receiveid(rng: random.Random) -> Attempt:
    params, body = signed_wecom(OTHER_CORP.encrypt(WECOM.text("wangxh", "帮助").encode()))
    return wecom_post("wecom wrong receiveid", params, body)


def g_wecom_hostile_xml(rng: random.Random) -> Attempt:
    good = WECOM.envelope(WECOM.text("wangxh", "帮助"))
    if rng.random() < 0.5:
        return wecom_post(
            "wecom XXE/billion laughs/deep nesting", good.params, rng.choice([XXE, LAUGHS, PARAM_ENTITY, DEEP_XML])
        )
    inner = rng.choice([XXE, LAUGHS, PARAM_ENTITY, DEEP_XML[:20000] + b"</xml>", b"<xml><MsgType>text</MsgType></xml>"])
    params, body = signed_wecom(WECOM_CRYPTO.encrypt(inner))
    return wecom_post("wecom XXE/billion laughs/deep nesting", params, body)


def g_wecom_huge(rng: random.Random) -> Attempt:
    good = WECOM.envelope(WECOM.text("wangxh", "帮助"))
    size = MAX_BODY + rng.randint(1, 200_000)
    if rng.random() < 0.5:
        return wecom_post("wecom huge body", good.params, b"<xml>" + b"A" * size, allowed=(413,))

    def chunks() -> Iterator[bytes]:
        for _ in range(size // 8192 + 1):
            yield b"A" * 8192

    return wecom_post("wecom huge body", good.params, chunks, allowed=(413,))


def g_wecom_junk(rng: random.Random) -> Attempt:
    good = WECOM.envelope(WECOM.text("wangxh", "帮助"))
    body = rng.choice([*JUNK_BODIES, DEEP_JSON[: MAX_BODY - 10], DEEP_OBJECT[: MAX_BODY - 10], b""])
    headers = {"Content-Type": rng.choice(CONTENT_TYPES)}
    return wecom_post("wecom junk body/content type/UTF-8/NUL", good.params, body, headers=headers)


def g_wecom_get(rng: random.Random) -> Attempt:
    params = WECOM.verify_request("echo-" + str(rng.random()))
    how = rng.choice(["sig", "ts", "echo", "missing", "other_corp"])
    if how == "sig":
        params["msg_signature"] = rng.choice(["0" * 40, "x", params["msg_signature"][:-1]])
    elif how == "ts":
        params["timestamp"] = rng.choice([str(now_s() - 100_000), *ODD_TIMESTAMPS])
    elif how == "echo":
        params["echostr"] = params["echostr"][: rng.randrange(1, len(params["echostr"]))]
        params["msg_signature"] = WECOM_CRYPTO.signature(params["timestamp"], params["nonce"], params["echostr"])
    elif how == "other_corp":
        params["echostr"] = OTHER_CORP.encrypt(b"echo")
        params["msg_signature"] = WECOM_CRYPTO.signature(params["timestamp"], params["nonce"], params["echostr"])
    else:
        params.pop(rng.choice(list(params)))
    return Attempt("wecom GET verification refused", "GET", "/wecom/callback", params)


def robot_headers(rng: random.Random) -> dict[str, str]:
    ts = str(now_ms())
    return {"timestamp": ts, "sign": robot_sign(DINGTALK_SECRET, ts), "Content-Type": "application/json"}


def robot_message(**change: Any) -> bytes:
    callback = DING.text(
        "dt_liming", "帮助", session_webhook="https://oapi.dingtalk.com/x", session_expires_ms=now_ms() + 10**6
    )
    return json.dumps({**callback.body, **change}, ensure_ascii=False).encode()


def g_robot_sign(rng: random.Random) -> Attempt:
    ts = rng.choice([str(now_ms() + rng.choice([-1, 1]) * rng.randint(3_600_001, 10**12)), *ODD_TIMESTAMPS, ""])
    sign = rng.choice([robot_sign(DINGTALK_SECRET, ts) if ts else "", "", "AAAA", robot_sign("wrong", ts)])
    headers = {"timestamp": ts, "sign": sign} if rng.random() < 0.9 else {}
    if rng.random() < 0.3:  # fresh but wrongly signed
        fresh = str(now_ms())
        headers = {"timestamp": fresh, "sign": rng.choice(["", robot_sign("wrong", fresh), "é"])}
    return Attempt(
        "dingtalk robot bad/missing/stale sign", "POST", "/dingtalk/robot", headers=headers, content=robot_message()
    )


def g_robot_body(rng: random.Random) -> Attempt:
    body = rng.choice(
        [
            *JUNK_BODIES,
            DEEP_JSON[: MAX_BODY - 10],
            DEEP_OBJECT[: MAX_BODY - 10],
            robot_message(createAt=10**400),
            robot_message(createAt="9" * 5000),
            robot_message(createAt=-(10**30)),
            robot_message(msgId=None),
            robot_message(msgId=12345),
            robot_message(senderStaffId=None, senderId=None),
            robot_message(text="not an object"),
            robot_message(text={"content": ["x"]}),
            robot_message(msgtype="picture", content={"downloadCode": 1}),
            robot_message(msgtype="richText", content={"richText": "x"}),
            robot_message(errorCode=500, errorMessage="x"),
            robot_message(robotCode="dingsomeoneelse"),
            robot_message(robotCode="dingsomeoneelse", msgId="m" + "9" * 300),
            robot_message()[:-5],
            robot_message().replace(b"\xe5\xb8\xae", b"\xe5\x00\xae"),
        ]
    )
    headers = robot_headers(rng) | {"Content-Type": rng.choice(CONTENT_TYPES)}
    return Attempt(
        "dingtalk robot junk/absurd/wrong robotCode (signed)", "POST", "/dingtalk/robot", headers=headers, content=body
    )


def g_robot_huge(rng: random.Random) -> Attempt:
    body = b'{"a":"' + b"x" * (MAX_BODY + rng.randint(1, 100_000)) + b'"}'
    return Attempt(
        "dingtalk robot huge body", "POST", "/dingtalk/robot", headers=robot_headers(rng), content=body, allowed=(413,)
    )


def g_robot_quota(rng: random.Random) -> Attempt:
    # DingTalk's own quota notice: documented as acknowledged with {"msgtype": "empty"} and never queued
    body = robot_message(errorCode=20001, errorMessage="quota")
    return Attempt(
        "dingtalk robot quota notice (documented 200)",
        "POST",
        "/dingtalk/robot",
        headers=robot_headers(rng),
        content=body,
        allowed=(200,),
        json_reason=False,
    )


def events_params(encrypt: str, rng: random.Random) -> dict[str, str]:
    ts, nonce = str(now_ms()), "n" + str(rng.getrandbits(20))
    names = rng.choice([("signature", "timestamp"), ("msg_signature", "timeStamp")])
    return {names[0]: DING_EVENTS.signature(ts, nonce, encrypt), names[1]: ts, "nonce": nonce}


def g_events(rng: random.Random) -> Attempt:
    how = rng.choice(["missing", "sig", "junk", "no_encrypt", "owner", "cipher", "no_type", "deep"])
    good = DING_EVENTS.encrypt(json.dumps({"EventType": "check_url"}))
    params = events_params(good["encrypt"], rng)
    body = json.dumps({"encrypt": good["encrypt"]}).encode()
    if how == "missing":
        params.pop(rng.choice(list(params)))
    elif how == "sig":
        params[next(iter(params))] = rng.choice(["0" * 40, "x", "é"])
    elif how == "junk":
        body = rng.choice(JUNK_BODIES)
    elif how == "no_encrypt":
        body = rng.choice([b"{}", b'{"encrypt": ""}', b'{"encrypt": null}', b'{"encrypt": {"a": 1}}'])
    elif how == "owner":
        other = DING_OTHER_OWNER.encrypt(json.dumps({"EventType": "check_url"}))
        params, body = events_params(other["encrypt"], rng), json.dumps({"encrypt": other["encrypt"]}).encode()
    elif how == "cipher":
        raw = base64.b64decode(good["encrypt"])
        bad = base64.b64encode(raw[: rng.randrange(len(raw))]).decode() + rng.choice(["", "*", "="])
        params, body = events_params(bad, rng), json.dumps({"encrypt": bad}).encode()
    elif how == "no_type":
        other = DING_EVENTS.encrypt(rng.choice(["[]", "{}", '{"EventType": 5}', "not json", "[" * 5000]))
        params, body = events_params(other["encrypt"], rng), json.dumps({"encrypt": other["encrypt"]}).encode()
    else:
        body = DEEP_JSON[: MAX_BODY - 10]
    return Attempt("dingtalk events refused", "POST", "/dingtalk/events", params, content=body)


def card_headers(ts: str | None = None) -> dict[str, str]:
    ts = str(now_ms()) if ts is None else ts
    return {
        "x-ddpaas-signature-timestamp": ts,
        "x-ddpaas-signature": card_signature(DINGTALK_SECRET, ts) if ts.isascii() else "x",
        "Content-Type": "application/json",
    }


def g_card(rng: random.Random) -> Attempt:
    how = rng.choice(["ts", "stale", "sig", "junk", "fields", "huge"])
    tap = DING.card_tap("dt_liming", "task-none", "confirm")
    headers, body = card_headers(), tap.content
    allowed: tuple[int, ...] = (400, 401, 403, 413)
    if how == "ts":
        headers = card_headers(rng.choice([*ODD_TIMESTAMPS, "9" * 17, ""]))
    elif how == "stale":
        headers = card_headers(str(now_ms() + rng.choice([-1, 1]) * rng.randint(3_600_001, 10**12)))
    elif how == "sig":
        headers["x-ddpaas-signature"] = rng.choice(
            ["", "x", card_signature("wrong", headers["x-ddpaas-signature-timestamp"])]
        )
    elif how == "junk":
        body = rng.choice([*JUNK_BODIES, DEEP_JSON[: MAX_BODY - 10]])
    elif how == "fields":
        payload = dict(tap.body)
        change: dict[str, Any] = rng.choice(
            [
                {"outTrackId": None},
                {"outTrackId": 7},
                {"userId": ""},
                {"content": "[" * 20_000},
                {"content": "{"},
                {"content": json.dumps({"cardPrivateData": {"params": {"action": ""}, "actionIds": []}})},
                {"content": json.dumps({"cardPrivateData": "x"})},
                {"content": json.dumps({"cardPrivateData": {"params": []}})},
            ]
        )
        body = json.dumps({**payload, **change}).encode()
    else:
        body = b'{"a":"' + b"x" * (MAX_BODY + 10) + b'"}'
        allowed = (413,)
    return Attempt(
        "dingtalk card callback refused",
        "POST",
        "/dingtalk/card/callback",
        headers=headers,
        content=body,
        allowed=allowed,
    )


GENERATORS: list[tuple[Callable[[random.Random], Attempt], int]] = [
    (g_wecom_signature, 10),
    (g_wecom_timestamp, 8),
    (g_wecom_cipher, 10),
    (g_wecom_receiveid, 4),
    (g_wecom_hostile_xml, 6),
    (g_wecom_huge, 3),
    (g_wecom_junk, 8),
    (g_wecom_get, 8),
    (g_robot_sign, 8),
    (g_robot_body, 12),
    (g_robot_huge, 2),
    (g_robot_quota, 1),
    (g_events, 10),
    (g_card, 10),
]


def valid_replays() -> list[Attempt]:
    """Three genuine callbacks, each to be sent REPLAYS times: queued once each."""
    wecom = WECOM.envelope(WECOM.text("wangxh", "帮助", msg_id="77777777777"))
    robot = DING.text(
        "dt_liming", "帮助", session_webhook="https://oapi.dingtalk.com/x", session_expires_ms=now_ms() + 10**6
    )
    tap = DING.card_tap("dt_liming", "task-replayed", "confirm")
    return [
        Attempt(
            "replay: valid WeCom message",
            "POST",
            "/wecom/callback",
            wecom.params,
            content=wecom.body,
            allowed=(200,),
            json_reason=False,
        ),
        Attempt(
            "replay: valid DingTalk message",
            "POST",
            "/dingtalk/robot",
            headers=robot.headers,
            content=robot.content,
            allowed=(200,),
            json_reason=False,
        ),
        Attempt(
            "replay: valid DingTalk card tap",
            "POST",
            "/dingtalk/card/callback",
            headers=tap.headers,
            content=tap.content,
            allowed=(200,),
            json_reason=False,
        ),
    ]


def raw_request(url: str, request: bytes) -> int | None:
    """Send bytes as they are (a lying Content-Length); the status, or None when the server hung up."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        try:
            line = sock.recv(64)
        except (TimeoutError, ConnectionResetError):
            return None
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


def lying_requests() -> list[tuple[str, bytes]]:
    good = WECOM.envelope(WECOM.text("wangxh", "帮助"))
    query = "&".join(f"{k}={v}" for k, v in good.params.items())
    robot = robot_headers(random.Random(0))

    def request(path: str, headers: dict[str, str], declared: str, body: bytes) -> bytes:
        lines = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {declared}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    return [
        ("lying Content-Length (huge declared)", request(f"/wecom/callback?{query}", {}, "1000000000", good.body)),
        ("lying Content-Length (huge declared)", request("/dingtalk/robot", robot, "99999999999", b"{}")),
        ("lying Content-Length (huge declared)", request("/dingtalk/card/callback", card_headers(), "700000", b"{}")),
        ("lying Content-Length (short)", request(f"/wecom/callback?{query}", {}, "10", good.body + b"A" * 1000)),
        ("lying Content-Length (short)", request("/dingtalk/robot", robot, "2", b"{}" + b"x" * 5000)),
        ("lying Content-Length (absurd)", request(f"/wecom/callback?{query}", {}, "9" * 5000, good.body)),
        ("lying Content-Length (absurd)", request("/dingtalk/robot", robot, "-1", b"{}")),
        ("lying Content-Length (absurd)", request("/dingtalk/robot", robot, "²", b"{}")),
    ]


def counts(db_url: str) -> tuple[int, int, int]:
    with session_scope(get_engine(db_url)) as s:
        inbound, outbox, audit = (
            s.scalar(select(func.count()).select_from(m)) or 0 for m in (InboundLog, Outbox, AuditLog)
        )
        return inbound, outbox, audit


def send(client: httpx.Client, attempt: Attempt) -> httpx.Response:
    content = attempt.content() if callable(attempt.content) else attempt.content
    # bytes, so that values no client library would send (non-ASCII digits, a leading space) still go out
    headers = {k.encode("ascii"): v.strip().encode("utf-8") for k, v in attempt.headers.items()}
    return client.request(attempt.method, attempt.path, params=attempt.params, headers=headers, content=content)


def test_ten_thousand_hostile_callbacks(live, redis: Redis, db_url: str) -> None:
    url, proc = live
    rng = random.Random(20260305)
    random.seed(20260305)  # nonces drawn inside the helpers
    before = counts(db_url)
    weights = [w for _, w in GENERATORS]
    replays = valid_replays()
    replay_at = set(rng.sample(range(TOTAL), REPLAYS * len(replays)))
    replay_cycle = iter([r for r in replays for _ in range(REPLAYS)])
    seen: Counter[tuple[str, int]] = Counter()
    bad: list[str] = []
    rss_warm = 0

    with httpx.Client(base_url=url, timeout=15) as client:
        for i in range(TOTAL):
            if i == WARM_UP:
                rss_warm = rss_kb(proc.pid)
            attempt = next(replay_cycle) if i in replay_at else rng.choices(GENERATORS, weights)[0][0](rng)
            response = send(client, attempt)
            seen[(attempt.category, response.status_code)] += 1
            if response.status_code not in attempt.allowed:
                bad.append(f"{attempt.category}: {response.status_code} {response.text[:120]}")
            elif attempt.json_reason:
                doc = response.json()
                if not (isinstance(doc, dict) and doc.get("error") and doc.get("reason")):
                    bad.append(
                        f"{attempt.category}: {response.status_code} without a JSON reason: {response.text[:120]}"
                    )

    for category, request in lying_requests():
        status = raw_request(url, request)
        seen[(category, status or 0)] += 1
        if status is not None and not 400 <= status < 500:
            bad.append(f"{category}: {status}")

    rss_end = rss_kb(proc.pid)
    report = "\n".join(f"{n:6d}  {status}  {category}" for (category, status), n in sorted(seen.items()))
    print(f"\n{sum(seen.values())} requests\n{report}\nRSS after warm-up {rss_warm} kB, at the end {rss_end} kB")

    assert not bad, f"{len(bad)} unexpected answers, e.g.\n" + "\n".join(bad[:20])
    assert not any(status >= 500 for _, status in seen), report
    assert sum(seen.values()) >= TOTAL
    # only the three genuine callbacks, once each, however often they came
    jobs = redis.keys("rq:job:*")
    assert len(jobs) == 3, jobs
    assert redis.llen("rq:queue:cadrebot-hostile-inbound") == 3
    assert counts(db_url) == before  # nothing written: no inbound log, outbox or audit rows
    assert proc.poll() is None, "the server died"
    assert rss_end - rss_warm < RSS_BOUND_KB, f"RSS grew {rss_end - rss_warm} kB"
