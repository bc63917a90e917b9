"""What the bot answers one message with: the pure core of dispatch.

`respond(ctx)` routes the message (an open form's question first, then what the text means, a tapped card
by its record, an event or a media kind), runs the handler, and returns the replies the handler put on
`ctx`. It does no I/O beyond `ctx.session` — no Redis, no queue, no platform: the RQ job in bot/dispatch.py
owns dedup, the inbound log, who is speaking, the form drafts in Redis, the outbox and enqueueing. So the
same core answers `cadrebot ask --as` and the in-process test chat (tests/inproc/).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import handlers.registry
from bot.config import Settings
from bot.models import Actor, CardUpdate, Inbound, Kind, Outgoing
from bot.store.people import roster_rows, roster_stamp
from bot.store.tables import AuditLog, CardRecord
from cards.content import phrase
from cards.model import Card
from handlers.catalogue import catalogue
from handlers.context import Context, Policy
from handlers.forms import engine as form_engine
from handlers.forms.state import FormDesk
from handlers.nlu import understand
from handlers.nlu.gazetteer import Gazetteer
from knowledge.rules import rules_from

handlers.registry.load()

CARD_GONE = "这张卡片已失效，请重新发送消息办理。"
CARD_NOT_YOURS = "这张卡片不是发给您的，无法操作。"
CARD_DONE = "这张卡片已经处理过了。"
CARD_STALE = "这张卡片已失效或已被新卡片代替，请在最新的卡片上操作。"
STALE_TEXTS = {phrase("expired"), phrase("replaced")}

# Intents whose readings are decided by clear rules: no point asking "did you mean…" for these.
NEVER_CLARIFY = catalogue().never_clarified


def policy(settings: Settings) -> Policy:
    return Policy(
        withdraw_minutes=settings.withdraw_minutes,
        attach_minutes=settings.attach_minutes,
        event_limit_hours=settings.event_limit_hours,
        public_url=settings.public_url,
        link_secret=settings.link_secret.get_secret_value() if settings.link_secret else "",
        link_hours=settings.link_hours,
        console_on=settings.console_secret is not None,
        rules=rules_from(settings.rules_file),
        faq_file=settings.faq_file,
    )


def context_for(
    settings: Settings,
    session: Session,
    actor: Actor,
    inbound: Inbound,
    now: datetime,
    forms: FormDesk | None = None,
) -> Context:
    """The Context a handler gets for `inbound` from `actor`, with the local rules from the settings."""
    return Context(
        actor=actor,
        inbound=inbound,
        session=session,
        now=now,
        tz=ZoneInfo(settings.timezone),
        forms=forms if forms is not None else FormDesk(),
        policy=policy(settings),
    )


def respond(ctx: Context) -> list[Outgoing]:
    """Route the message, run its handler, and return what it wants sent (ctx.intent says what it was)."""
    key = route_key(ctx)
    if key == "card":
        card_tapped(ctx)
    elif key == "form":
        ctx.intent = "form"
    else:
        ctx.intent = key
        handler = handlers.registry.handler_for(key)
        if handler is not None:
            handler(ctx)
    return ctx.out


_T = TypeVar("_T")
_GAZETTEERS: dict[str, tuple[tuple[object, ...], Gazetteer]] = {}
_TOWN_ROWS: dict[str, tuple[tuple[object, ...], list[tuple[str, str]]]] = {}
_CACHED_SCOPES = 5000  # villages (and townships) kept per process: a province's worth, a few MB


def gazetteer_for(session: Session, actor: Actor) -> Gazetteer | None:
    """The sender's part of the roster as a gazetteer: the places of their township and the people of their
    village (Gazetteer.scoped), so one per village, built from one read of the township's rows, both kept
    until the roster changes (roster_stamp); None for someone outside the roster's tree."""
    if not actor.org_path or actor.person_id <= 0:
        return None
    parts = actor.org_path.split("/")
    town, village = "/".join(parts[:2]), "/".join(parts[:3])
    stamp = roster_stamp(session)
    cached = _GAZETTEERS.get(village)
    if cached is None or cached[0] != stamp:
        rows = _TOWN_ROWS.get(town)
        if rows is None or rows[0] != stamp:
            rows = _keep(_TOWN_ROWS, town, (stamp, roster_rows(session, actor.org_path)))
        cached = _keep(_GAZETTEERS, village, (stamp, Gazetteer.scoped(rows[1], village)))
    return cached[1]


def _keep(cache: dict[str, _T], key: str, value: _T) -> _T:
    if len(cache) >= _CACHED_SCOPES:
        cache.clear()  # rare: more scopes than a province has; start again rather than grow
    cache[key] = value
    return value


def route_key(ctx: Context) -> str:
    inbound = ctx.inbound
    if inbound.kind == Kind.TEXT or (inbound.kind == Kind.VOICE and inbound.text):
        if form_engine.intercept(ctx):
            return "form"
        if ctx.understood is None:
            ctx.understood = understand(inbound.text or "", ctx.local_now, gazetteer_for(ctx.session, ctx.actor))
        if ctx.understood.sure or ctx.understood.intent in NEVER_CLARIFY:
            return ctx.understood.intent
        return "clarify"
    if inbound.kind == Kind.EVENT and inbound.event:
        return f"event:{inbound.event.name}"
    if inbound.kind == Kind.CARD_ACTION:
        return "card"
    return f"media:{inbound.kind.value}"


def card_tapped(ctx: Context) -> None:
    action = ctx.inbound.card_action
    assert action is not None
    record = ctx.session.get(CardRecord, action.task_id)
    if record is None:
        ctx.intent = "card:unknown"
        ctx.reply(CARD_GONE)
        return
    ctx.intent = f"card:{record.flow}"
    # a batch card (a broadcast) has many recipients: its flow checks that the tapper is one of them
    if record.recipient != "*" and record.person_id != ctx.actor.person_id:
        ctx.session.add(
            AuditLog(
                actor_person_id=ctx.actor.person_id,
                actor=ctx.actor.name,
                action="card.refused",
                target=record.task_id,
                detail={"reason": "not the card's recipient"},
            )
        )
        ctx.reply(CARD_NOT_YOURS)
        return
    if record.state != "open" and record.recipient != "*":
        ctx.reply(CARD_STALE if record.state == "expired" else CARD_DONE)
        return
    handler = handlers.registry.handler_for(f"card:{record.flow}")
    if handler is None:
        ctx.reply(CARD_GONE)
        return
    ctx.tapped = Card.model_validate(record.card).model_copy(update={"task_id": record.task_id})
    handler(ctx)
    used = False
    for item in ctx.out:
        reply = item.reply
        if isinstance(reply, CardUpdate) and item.person_id is None and not reply.retire:
            reply.card.task_id = record.task_id
            used = True
            if record.recipient == "*":
                continue  # one person's view of a batch card changes; the card stays open for the others
            record.card = reply.card.model_dump(mode="json")
            if reply.card.done_text:
                record.state = "expired" if reply.card.done_text in STALE_TEXTS else "done"
    if action.response_code and not used and record.recipient != "*":
        record.response_code = action.response_code  # kept to update the card later (e.g. when it goes stale)
