"""Signed, expiring download links: what a supervisor taps in the chat to fetch a file over HTTP.

token = base64url(json payload) + "." + base64url(HMAC-SHA256(secret, payload)); checked in constant time.
The link says who it was made for and what it covers; the download endpoint checks that person's role
and org scope again when the file is fetched, so a link outlives neither a role nor a roster change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any


class BadLink(Exception):
    """The token is malformed, tampered with or expired; the message says which, in Chinese."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, payload: dict[str, Any], now: datetime, hours: int) -> str:
    body = {**payload, "exp": int((now + timedelta(hours=hours)).timestamp())}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    return f"{_b64(raw)}.{_b64(mac)}"


def verify(secret: str, token: str, now: datetime) -> dict[str, Any]:
    try:
        raw_part, mac_part = token.split(".", 1)
        raw, mac = _unb64(raw_part), _unb64(mac_part)
    except (ValueError, TypeError):
        raise BadLink("链接格式不对") from None
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise BadLink("链接无效")
    try:
        payload: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise BadLink("链接无效") from None
    if int(payload.get("exp", 0)) < now.timestamp():
        raise BadLink("链接已过期，请在聊天中重新获取")
    return payload
