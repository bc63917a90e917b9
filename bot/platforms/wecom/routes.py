"""The WeCom callback endpoint: GET URL verification and POST messages/events.

POST: cap the body → check the timestamp window → parse the envelope (defusedxml) → verify the signature
in constant time → decrypt and check the receiveid → parse the message → queue it (RQ, unique job id)
→ answer 200 with an empty body. Bad input gets a 4xx with a reason and nothing is queued; if Redis cannot
take the job the answer is 503, so WeCom retries.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot import metrics
from bot.config import Settings
from bot.platforms.common import BodyTooLarge, callback_route, problem, read_capped
from bot.platforms.wecom import wire
from bot.platforms.wecom.crypto import (
    VALIDATE_CORPID_ERROR,
    VALIDATE_SIGNATURE_ERROR,
    WeComCryptoError,
    WXBizMsgCrypt,
)
from bot.queue import InboundBatcher, QueueUnavailable

log = logging.getLogger("cadrebot.wecom")
PATH = "/wecom/callback"


def crypto_status(exc: WeComCryptoError) -> int:
    return 403 if exc.code in (VALIDATE_SIGNATURE_ERROR, VALIDATE_CORPID_ERROR) else 400


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    crypto: WXBizMsgCrypt | None = None
    if settings.wecom_receives:
        assert settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id
        crypto = WXBizMsgCrypt(
            settings.wecom_token.get_secret_value(),
            settings.wecom_aes_key.get_secret_value(),
            settings.wecom_corp_id,
        )
    window = settings.callback_window_seconds
    batcher = InboundBatcher(settings)

    def fresh(timestamp: str) -> bool:
        # ASCII and bounded: "²".isdigit() is True yet int() refuses it, and int() refuses 4,300+ digits
        return (
            len(timestamp) <= 16
            and timestamp.isascii()
            and timestamp.isdigit()
            and abs(time.time() - int(timestamp)) <= window
        )

    def outcome(result: str, status: int) -> None:
        metrics.callback_counter("wecom", result).inc()
        if status >= 400:
            log.warning("wecom callback refused", extra={"result": result, "status": status})

    def query(request: Request, names: tuple[str, ...]) -> tuple[list[str], Response | None]:
        """The required query parameters, or the refusal to answer with (not configured, missing, stale)."""
        if crypto is None:
            return [], problem(503, "not_configured", "WeCom callback settings are missing")
        values = [request.query_params.get(k) or "" for k in names]
        if not all(values):
            outcome("missing_params", 400)
            return [], problem(400, "missing_params", f"{', '.join(names)} are required")
        if not fresh(values[1]):
            outcome("stale", 403)
            return [], problem(403, "stale_timestamp", f"timestamp is more than {window}s from now")
        return values, None

    @router.get(PATH, response_class=PlainTextResponse)
    def verify_url(request: Request) -> Response:
        values, refusal = query(request, ("msg_signature", "timestamp", "nonce", "echostr"))
        if refusal is not None:
            return refusal
        assert crypto is not None
        sig, ts, nonce, echostr = values
        try:
            try:
                plain = crypto.verify_url(sig, ts, nonce, echostr)
            except WeComCryptoError as exc:
                # A proxy that decodes '+' as a space breaks the signature; WeCom itself encodes '+'.
                if exc.code != VALIDATE_SIGNATURE_ERROR or " " not in echostr:
                    raise
                plain = crypto.verify_url(sig, ts, nonce, echostr.replace(" ", "+"))
        except WeComCryptoError as exc:
            outcome("crypto", crypto_status(exc))
            return problem(crypto_status(exc), "crypto", exc.reason, exc.code)
        outcome("verified", 200)
        # Exactly the plaintext: no quotes, no BOM, no newline.
        return Response(content=plain, media_type="text/plain; charset=utf-8")

    @callback_route(router, PATH)
    async def receive(request: Request) -> Response:
        started = time.perf_counter()
        values, refusal = query(request, ("msg_signature", "timestamp", "nonce"))
        if refusal is not None:
            return refusal
        assert crypto is not None
        sig, ts, nonce = values
        try:
            body = await read_capped(request, settings.max_body_bytes)
        except BodyTooLarge:
            outcome("too_large", 413)
            return problem(413, "too_large", f"body larger than {settings.max_body_bytes} bytes")
        if not body.strip():
            outcome("empty", 400)
            return problem(400, "empty", "empty body")

        try:
            message = crypto.decrypt_message(sig, ts, nonce, body)
        except WeComCryptoError as exc:
            outcome("crypto", crypto_status(exc))
            return problem(crypto_status(exc), "crypto", exc.reason, exc.code)
        try:
            inbound = wire.parse(message, settings.wecom_corp_id)
        except wire.WireError as exc:
            outcome("bad_message", 400)
            return problem(400, "bad_message", str(exc))
        if inbound is None:
            log.info("wecom callback of a type the bot does not handle; acknowledged")
            outcome("ignored", 200)
            return Response(status_code=200)

        try:
            queued = await batcher.submit(inbound)
        except QueueUnavailable as exc:
            log.error("queue unavailable; asking WeCom to retry", extra={"error": str(exc)})
            outcome("unavailable", 503)
            return problem(503, "queue_unavailable", "the message queue is not reachable; please retry")
        outcome("queued" if queued else "duplicate", 200)
        metrics.callback_timer("wecom").observe(time.perf_counter() - started)
        return Response(status_code=200)

    return router
