"""Signing in to the 工作台: sessions and one-time links, kept as hashes of random tokens.

A session cookie is `token.mac`: the token is 32 random bytes, the mac an HMAC-SHA256 of it under the
console secret, checked in constant time before the database is asked; the database keeps only SHA-256 of the
token. A person's standing is read in the same query as the session, so deactivating someone in the roster
closes their sessions at once. A one-time link is taken by one conditional UPDATE: two taps, one session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.tables import ConsoleSession, LoginLink, Person

SESSION_HOURS = 12  # a working day; the app home page signs in again silently after that
LINK_MINUTES = 10


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mac(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Opened:
    cookie: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class Signed:
    """Who a request's cookie belongs to, as read with the session."""

    session_id: int
    person_id: int
    csrf: str
    via: str


def open_session(session: Session, secret: str, person_id: int, via: str, now: datetime) -> Opened:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = now + timedelta(hours=SESSION_HOURS)
    session.add(
        ConsoleSession(
            token_hash=_hash(token), person_id=person_id, via=via, csrf=csrf, created_at=now, expires_at=expires
        )
    )
    session.flush()
    return Opened(f"{token}.{_mac(secret, token)}", csrf, expires)


def _token(secret: str, cookie: str | None) -> str | None:
    """The token of a cookie whose mac is right, else None (tampered, truncated, another server's)."""
    if not cookie or len(cookie) > 200 or "." not in cookie:
        return None
    token, mac = cookie.rsplit(".", 1)
    return token if hmac.compare_digest(mac.encode(), _mac(secret, token).encode()) else None


def signed_in(session: Session, secret: str, cookie: str | None, now: datetime) -> Signed | None:
    """The live session of an active person that this cookie opens, or None."""
    token = _token(secret, cookie)
    if token is None:
        return None
    row = session.execute(
        select(ConsoleSession.id, ConsoleSession.person_id, ConsoleSession.csrf, ConsoleSession.via)
        .join(Person, Person.id == ConsoleSession.person_id)
        .where(
            ConsoleSession.token_hash == _hash(token),
            ConsoleSession.revoked_at.is_(None),
            ConsoleSession.expires_at > now,
            Person.active.is_(True),
        )
    ).first()
    return Signed(row.id, row.person_id, row.csrf, row.via) if row else None


def close_session(session: Session, session_id: int, now: datetime) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == session_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def make_link(session: Session, person_id: int, now: datetime) -> str:
    """A one-time sign-in token for this person, good for LINK_MINUTES."""
    token = secrets.token_urlsafe(24)
    session.add(
        LoginLink(
            token_hash=_hash(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
    )
    session.flush()
    return token


def link_standing(session: Session, token: str, now: datetime) -> str:
    """ok, used, expired or unknown — for the page that asks the person to confirm before it is taken."""
    link = session.scalar(select(LoginLink).where(LoginLink.token_hash == _hash(token[:100])))
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    return "ok" if link.expires_at > now else "expired"


def use_link(session: Session, token: str, now: datetime) -> int | None:
    """Take the link: its active person's id, once; None if it is unknown, used, expired or their person left."""
    taken = session.scalar(
        update(LoginLink)
        .where(LoginLink.token_hash == _hash(token[:100]), LoginLink.used_at.is_(None), LoginLink.expires_at > now)
        .values(used_at=now)
        .returning(LoginLink.person_id)
    )
    if taken is None:
        return None
    active = session.scalar(select(Person.active).where(Person.id == taken))
    return taken if active else None
