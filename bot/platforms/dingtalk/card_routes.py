"""POST /dingtalk/card/callback: taps on interactive cards created with callbackType "HTTP" (spec §4.5.4).

Register it once with DingTalk (POST /v1.0/card/callbacks/register {callbackRouteKey, callbackUrl,
apiSecret}) using the AppSecret as apiSecret, and set CADREBOT_DINGTALK_CARD_ROUTE_KEY; cards then carry
that route key. Requests are signed: x-ddpaas-signature = base64(HMAC-SHA256(apiSecret, timestamp)),
checked within ±1 h. The tap is queued like a message and answered at once with no change to the card
(DingTalk wants an answer within 2 s); the bot's new card state follows through the update API.
With Stream card callbacks (the default) this endpoint is not used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from bot import metrics
from bot.config import Settings
from bot.platforms.common import BodyTooLarge, callback_route, problem, read_capped
from bot.platforms.dingtalk.cards import CardCallbackError, inbound_from_card_callback
from bot.queue import InboundBatcher, QueueUnavailable

log = logging.getLogger("cadrebot.dingtalk.cards")
CARD_PATH = "/dingtalk/card/callback"
WINDOW_MS = 3600 * 1000


def card_signature(secret: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    secret = settings.dingtalk_client_secret.get_secret_value() if settings.dingtalk_client_secret else None
    batcher = InboundBatcher(settings)

    def outcome(result: str, status: int) -> None:
        metrics.callback_counter("dingtalk", f"card_{result}").inc()
        if status >= 400:
            log.warning("dingtalk card callback refused", extra={"result": result, "status": status})

    @callback_route(router, CARD_PATH)
    async def card_callback(request: Request) -> Response:
        if secret is None:
            return problem(503, "not_configured", "CADREBOT_DINGTALK_CLIENT_SECRET is not set")
        timestamp = request.headers.get("x-ddpaas-signature-timestamp", "")
        sign = request.headers.get("x-ddpaas-signature", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 16:
            outcome("bad_timestamp", 400)
            return problem(400, "bad_timestamp", "x-ddpaas-signature-timestamp must be milliseconds")
        if abs(int(time.time() * 1000) - int(timestamp)) > WINDOW_MS:
            outcome("stale", 403)
            return problem(403, "stale", "the timestamp is more than an hour away")
        if not hmac.compare_digest(card_signature(secret, timestamp).encode(), sign.encode()):
            outcome("signature", 403)
            return problem(403, "signature", "x-ddpaas-signature does not match")
        try:
            body = await read_capped(request, settings.max_body_bytes)
        except BodyTooLarge:
            outcome("too_large", 413)
            return problem(413, "too_large", f"body larger than {settings.max_body_bytes} bytes")
        try:
            payload = json.loads(body)
            inbound = inbound_from_card_callback(payload, received_at=datetime.now(UTC))
        except (ValueError, RecursionError, CardCallbackError) as exc:  # RecursionError: nesting too deep
            outcome("bad_callback", 400)
            return problem(400, "bad_callback", str(exc)[:200])
        try:
            queued = await batcher.submit(inbound)
        except (QueueUnavailable, RedisError) as exc:
            log.error("queue unavailable; asking DingTalk to retry", extra={"error": type(exc).__name__})
            outcome("unavailable", 503)
            return problem(503, "queue_unavailable", "the message queue is not reachable; please retry")
        outcome("queued" if queued else "duplicate", 200)
        return JSONResponse({})

    return router
