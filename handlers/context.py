"""What a handler is handed: who is speaking, what they sent, the store, their open forms, and a place to
put replies.

Handlers do no I/O beyond the session they are given; everything they want sent goes into `out`, and the
dispatcher writes it to the outbox in the same transaction as the handler's own rows. Form drafts live on
`forms` and are written back to Redis by the dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.models import (
    Actor,
    CardAction,
    CardReply,
    CardUpdate,
    Inbound,
    MarkdownReply,
    NoticeReply,
    Outgoing,
    TextReply,
)
from cards.ids import new_task_id
from cards.model import Card
from handlers.forms.state import FormDesk
from handlers.nlu import Understood
from knowledge.rules import Rules


@dataclass(frozen=True)
class Policy:
    """The local rules handlers need (from the settings), in the units handlers think in."""

    withdraw_minutes: int = 30
    attach_minutes: int = 10
    event_limit_hours: int = 24
    public_url: str | None = None
    link_secret: str = ""
    link_hours: int = 24
    console_on: bool = False  # the 工作台 is configured (its session secret is set)
    rules: Rules = field(default_factory=Rules)
    faq_file: str | None = None


@dataclass
class Context:
    actor: Actor
    inbound: Inbound
    session: Session
    now: datetime  # aware, UTC
    tz: ZoneInfo
    out: list[Outgoing] = field(default_factory=list)
    intent: str | None = None
    understood: Understood | None = None  # set for text messages
    forms: FormDesk = field(default_factory=FormDesk)
    policy: Policy = field(default_factory=Policy)
    tapped: Card | None = None  # for a card tap: the card as it was sent (with its data)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def tap(self) -> tuple[CardAction, Card]:
        """The tap being handled and the card it was made on."""
        action = self.inbound.card_action
        if action is None or self.tapped is None:
            raise RuntimeError("not a card tap")
        return action, self.tapped

    def reply(self, text: str) -> None:
        self.out.append(Outgoing(reply=TextReply(text=text)))

    def markdown(self, text: str) -> None:
        self.out.append(Outgoing(reply=MarkdownReply(text=text)))

    def notice(
        self, title: str, text: str, url: str | None = None, person_id: int | None = None, button: str = "详情"
    ) -> None:
        reply = NoticeReply(title=title, text=text, url=url, button=button)
        self.out.append(Outgoing(reply=reply, person_id=person_id))

    def card(self, card: Card, person_id: int | None = None) -> Card:
        """Send a card; returns it with its task id, which the flow may keep to recognise taps."""
        if not card.task_id:
            card = card.model_copy(update={"task_id": new_task_id(card.flow, self.now)})
        self.out.append(Outgoing(reply=CardReply(card=card), person_id=person_id))
        return card

    def update_card(self, card: Card) -> None:
        """Show the tapped card's new state to the person who tapped it."""
        action = self.inbound.card_action
        code = action.response_code if action else None
        self.out.append(Outgoing(reply=CardUpdate(card=card, response_code=code)))

    def retire_card(self, task_id: str | None, text: str) -> None:
        """Finish a card the person did not tap (a newer one replaced it). Shown if the platform still
        allows an update; the card stops accepting taps either way."""
        if task_id:
            stub = Card(flow="", title="", task_id=task_id, done_text=text)
            self.out.append(Outgoing(reply=CardUpdate(card=stub, retire=True)))

    def tell(self, person_id: int, text: str) -> None:
        self.out.append(Outgoing(reply=TextReply(text=text), person_id=person_id))
