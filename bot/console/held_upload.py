"""An uploaded file held between its preview and the 确认 that imports it: in Redis under a random token, bound to
the console session that uploaded it, for a short while. Confirming names the token, never the file again, so
what is imported is exactly what was previewed; a token from another session, a guessed or an expired one opens
nothing, and a token is taken once. A session holds one file at a time: a newer upload replaces the older,
so a preview left open in another tab cannot import a file that is no longer the one last checked."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from redis import Redis

from bot.console.web import Viewer

HOLD_SECONDS = 30 * 60  # long enough to read a preview, short enough that a stale file is not imported next day
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class Held:
    filename: str
    kind: str  # ".csv" | ".xlsx"
    data: bytes


def _key(purpose: str, token: str) -> str:
    return f"cadrebot:console:upload:{purpose}:{token}"


def _latest(purpose: str, viewer: Viewer) -> str:
    return f"cadrebot:console:upload:{purpose}-of-session:{viewer.session_id}"


def hold(redis: Redis, purpose: str, viewer: Viewer, held: Held) -> str:
    token = secrets.token_urlsafe(24)  # 32 characters
    key = _key(purpose, token)
    older = redis.set(_latest(purpose, viewer), token, ex=HOLD_SECONDS, get=True)
    with redis.pipeline() as pipe:
        if isinstance(older, bytes):
            pipe.delete(_key(purpose, older.decode()))
        pipe.hset(
            key,
            mapping={
                "session": str(viewer.session_id),
                "person": str(viewer.person_id),
                "filename": held.filename,
                "kind": held.kind,
                "data": held.data,
            },
        )
        pipe.expire(key, HOLD_SECONDS)
        pipe.execute()
    return token


def take(redis: Redis, purpose: str, viewer: Viewer, token: str) -> Held | None:
    """The file held under `token` for this viewer's session, removed as it is taken; else None."""
    if not _TOKEN.fullmatch(token):
        return None
    key = _key(purpose, token)
    found = {k: v for k, v in redis.hgetall(key).items() if isinstance(k, bytes) and isinstance(v, bytes)}
    if not found or found.get(b"session") != str(viewer.session_id).encode():
        return None  # not this session's: left alone for the one it belongs to
    if found.get(b"person") != str(viewer.person_id).encode():
        return None
    if redis.delete(key) != 1:
        return None  # a second 确认 in the same moment: the first took it
    return Held(
        filename=found.get(b"filename", b"").decode(),
        kind=found.get(b"kind", b"").decode(),
        data=found.get(b"data", b""),
    )


def drop(redis: Redis, purpose: str, viewer: Viewer, token: str) -> None:
    """取消: the held file is removed (if it is this session's)."""
    take(redis, purpose, viewer, token)
