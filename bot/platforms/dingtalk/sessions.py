"""The last conversation each person wrote to the robot from, with its sessionWebhook, kept in Redis until
the webhook expires.

A reply can go through the sessionWebhook (no token, no API quota) while it is valid; after that — and within
a safety margin before it, so a send that starts just in time does not fail half way — the sender must use
the OpenAPI (oToMessages/batchSend for "1", groupMessages/send for "2"). The webhook URL is a bearer
credential: it lives only in Redis and is never logged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from redis import Redis

from bot.platforms.dingtalk.wire import Conversation

KEY = "cadrebot:dingtalk:session:{user_id}"
MARGIN = timedelta(minutes=5)


def session_key(user_id: str) -> str:
    return KEY.format(user_id=user_id)


def remember_session(redis: Redis, user_id: str, conv: Conversation) -> None:
    """Keep `conv` as the person's latest conversation until its webhook expires (an expired one is not kept)."""
    expires_ms = int(conv.session_expires_at.timestamp() * 1000)
    if expires_ms <= int(datetime.now(UTC).timestamp() * 1000):
        return
    value = json.dumps(
        {
            "conversation_type": conv.conversation_type,
            "conversation_id": conv.conversation_id,
            "session_webhook": conv.session_webhook,
            "expires_ms": expires_ms,
            "robot_code": conv.robot_code,
        },
        separators=(",", ":"),
    )
    redis.set(session_key(user_id), value, pxat=expires_ms)


def session_for(redis: Redis, user_id: str, now: datetime) -> Conversation | None:
    """The person's latest conversation if its webhook is good for at least five more minutes, else None."""
    raw = redis.get(session_key(user_id))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        expires_at = datetime.fromtimestamp(int(data["expires_ms"]) / 1000, UTC)
        conv = Conversation(
            conversation_type=str(data["conversation_type"]),
            conversation_id=str(data["conversation_id"]),
            session_webhook=str(data["session_webhook"]),
            session_expires_at=expires_at,
            robot_code=data.get("robot_code"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable entry is as good as none: the sender falls back to the OpenAPI
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if expires_at - now <= MARGIN:
        return None
    return conv
