"""The DingTalk HTTP endpoints: the robot's message callback and the event subscription push.

POST /dingtalk/robot: check the `timestamp`/`sign` headers (HMAC of the timestamp with the AppSecret, ±window)
→ cap the body → parse the JSON → Inbound → check the robotCode → remember the sessionWebhook → queue it
(RQ, job id from msgId, so a redelivery is dropped) → 200 {"msgtype":"empty"}. The sign does not cover the
body, which is why the robotCode is checked too and every message is de-duplicated.

POST /dingtalk/events: signature over (token, timestamp, nonce, encrypt) → decrypt and check the owner key →
answer the encrypted "success" DingTalk requires for every push, check_url included. Events are only logged
by type: the bot acts on none yet. No time window is applied here, as in DingTalk's own libraries: the
timestamp's unit varies between senders (ms or s), and a replayed push can only earn another "success".

Bad input gets a 4xx with a reason and nothing is queued; if Redis cannot take the job the answer is 503.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from bot import metrics
from bot.config import ENV_PREFIX, Settings
from bot.platforms.common import BodyTooLarge, callback_route, problem, read_capped
from bot.platforms.dingtalk.crypto import (
    OWNER_KEY_MISMATCH,
    SIGNATURE_MISMATCH,
    DingCallbackCrypto,
    DingTalkCryptoError,
    RobotSignError,
    SignProblem,
    verify_robot_sign,
)
from bot.platforms.dingtalk.sessions import remember_session
from bot.platforms.dingtalk.wire import (
    DingTalkQuotaExceeded,
    DingTalkWireError,
    conversation_of,
    inbound_from_robot,
)
from bot.queue import InboundBatcher, QueueUnavailable, redis_client

log = logging.getLogger("cadrebot.dingtalk")
ROBOT_PATH = "/dingtalk/robot"
EVENTS_PATH = "/dingtalk/events"

EMPTY = {"msgtype": "empty"}
# Answered in the HTTP response itself (spec §1.3), once per message: no handler reads these types.

SIGN_STATUS = {
    SignProblem.BAD_TIMESTAMP: 400,
    SignProblem.MISSING: 401,
    SignProblem.STALE: 403,
    SignProblem.MISMATCH: 403,
}


def crypto_status(exc: DingTalkCryptoError) -> int:
    return 403 if exc.code in (SIGNATURE_MISMATCH, OWNER_KEY_MISMATCH) else 400


def _missing(settings: Settings, names: tuple[str, ...]) -> str:
    absent = [f"{ENV_PREFIX}{n.upper()}" for n in names if not getattr(settings, n)]
    absent = [f"{a} (or {ENV_PREFIX}DINGTALK_CLIENT_ID)" if a.endswith("_OWNER_KEY") else a for a in absent]
    return f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not set"


def _json_object(body: bytes) -> dict[str, Any] | tuple[str, str]:
    """The body as a JSON object, or (error, reason)."""
    try:
        doc = json.loads(body.decode("utf-8"))  # strictly UTF-8: json.loads(bytes) would also guess UTF-16/32
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting too deep
        return ("bad_json", "the body is not valid JSON")
    if not isinstance(doc, dict):
        return ("not_an_object", "the body must be a JSON object")
    return doc


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    secret = settings.dingtalk_client_secret.get_secret_value() if settings.dingtalk_client_secret else None
    window_ms = settings.dingtalk_sign_window_seconds * 1000
    crypto: DingCallbackCrypto | None = None
    if settings.dingtalk_receives_events:
        assert settings.dingtalk_token and settings.dingtalk_aes_key and settings.dingtalk_owner_key
        crypto = DingCallbackCrypto(
            settings.dingtalk_token.get_secret_value(),
            settings.dingtalk_aes_key.get_secret_value(),
            settings.dingtalk_owner_key,
        )
    batcher = InboundBatcher(settings)

    def outcome(result: str, status: int, path: str = "robot") -> None:
        metrics.callback_counter("dingtalk", result).inc()
        if status >= 400:
            log.warning("dingtalk callback refused", extra={"path": path, "result": result, "status": status})

    async def body_of(request: Request, path: str) -> tuple[bytes, Response | None]:
        try:
            body = await read_capped(request, settings.max_body_bytes)
        except BodyTooLarge:
            outcome("too_large", 413, path)
            return b"", problem(413, "too_large", f"body larger than {settings.max_body_bytes} bytes")
        return body, None

    # -- the robot ---------------------------------------------------------------------------------------

    @callback_route(router, ROBOT_PATH)
    async def robot(request: Request) -> Response:
        started = time.perf_counter()
        if secret is None:
            return problem(503, "not_configured", _missing(settings, ("dingtalk_client_secret",)))
        timestamp = request.headers.get("timestamp", "")
        try:
            verify_robot_sign(secret, timestamp, request.headers.get("sign", ""), int(time.time() * 1000), window_ms)
        except RobotSignError as exc:
            outcome(str(exc.problem), SIGN_STATUS[exc.problem])
            return problem(SIGN_STATUS[exc.problem], str(exc.problem), exc.reason)

        body, refusal = await body_of(request, "robot")
        if refusal is not None:
            return refusal
        payload = _json_object(body)
        if isinstance(payload, tuple):
            outcome(payload[0], 400)
            return problem(400, *payload)
        try:
            inbound = inbound_from_robot(payload, received_at=datetime.now(UTC))
        except DingTalkQuotaExceeded as exc:
            # Nothing to process and nothing a retry would bring back: acknowledge, and tell the operator.
            log.error("dingtalk robot quota exceeded; messages are being lost", extra={"reason": exc.reason})
            outcome("quota", 200)
            return JSONResponse(EMPTY)
        except DingTalkWireError as exc:
            outcome("bad_message", 400)
            return problem(400, "bad_message", exc.reason)
        if inbound.agent_id and settings.dingtalk_robot_code and inbound.agent_id != settings.dingtalk_robot_code:
            outcome("wrong_robot", 403)
            return problem(403, "wrong_robot", "robotCode is not this installation's robot")

        try:
            conv = conversation_of(payload)
        except DingTalkWireError as exc:
            conv = None  # still a message; replies go through the OpenAPI instead
            log.warning("dingtalk message without a usable session", extra={"reason": exc.reason})
        try:
            if conv is not None:
                # before queueing, so the worker finds the session when it replies
                await run_in_threadpool(remember_session, redis_client(settings.redis_url), inbound.sender, conv)
            queued = await batcher.submit(inbound)
        except (QueueUnavailable, RedisError) as exc:
            log.error("queue unavailable; asking DingTalk to retry", extra={"error": type(exc).__name__})
            outcome("unavailable", 503)
            return problem(503, "queue_unavailable", "the message queue is not reachable; please retry")
        outcome("queued" if queued else "duplicate", 200)
        metrics.callback_timer("dingtalk").observe(time.perf_counter() - started)
        # An unsupported type is answered by its handler like any message, so HTTP and Stream mode say the same.
        return JSONResponse(EMPTY)

    # -- event subscription --------------------------------------------------------------------------------

    @callback_route(router, EVENTS_PATH)
    async def events(request: Request) -> Response:
        if crypto is None:
            needed = ("dingtalk_token", "dingtalk_aes_key", "dingtalk_owner_key")
            return problem(503, "not_configured", _missing(settings, needed))
        q = request.query_params
        # Verbatim strings: the signature covers them as sent. Both spellings occur in DingTalk's samples.
        signature = q.get("signature") or q.get("msg_signature") or ""
        timestamp = q.get("timestamp") or q.get("timeStamp") or ""
        nonce = q.get("nonce") or ""
        if not (signature and timestamp and nonce):
            outcome("missing_params", 400, "events")
            return problem(400, "missing_params", "signature, timestamp and nonce are required")

        body, refusal = await body_of(request, "events")
        if refusal is not None:
            return refusal
        envelope = _json_object(body)
        if isinstance(envelope, tuple):
            outcome(envelope[0], 400, "events")
            return problem(400, *envelope)
        encrypt = envelope.get("encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            outcome("bad_envelope", 400, "events")
            return problem(400, "bad_envelope", 'the body has no "encrypt" string')

        try:
            plain = crypto.decrypt(signature, timestamp, nonce, encrypt)
        except DingTalkCryptoError as exc:
            outcome("crypto", crypto_status(exc), "events")
            return problem(crypto_status(exc), "crypto", exc.reason, exc.code)
        try:
            event = json.loads(plain)
        except (ValueError, RecursionError):
            event = None
        event_type = event.get("EventType") if isinstance(event, dict) else None
        if not isinstance(event_type, str) or not event_type:
            outcome("bad_event", 400, "events")
            return problem(400, "bad_event", "the decrypted event has no EventType")

        # The type only: events carry user ids and names.
        log.info("dingtalk event acknowledged", extra={"event_type": event_type[:64]})
        outcome("url_verified" if event_type == "check_url" else "event", 200, "events")
        return JSONResponse(crypto.encrypt("success"))

    return router
