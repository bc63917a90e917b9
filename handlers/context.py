"""What a handler is handed: who is speaking, what they sent, the store, and a place to put replies.

Handlers do no I/O beyond the session they are given; everything they want sent goes into `out`, and the
dispatcher writes it to the outbox in the same transaction as the handler's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.models import Actor, CardReply, CardUpdate, Inbound, MarkdownReply, NoticeReply, Outgoing, TextReply
from cards.model import Card
from handlers.nlu import Understood


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

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def reply(self, text: str) -> None:
        self.out.append(Outgoing(reply=TextReply(text=text)))

    def markdown(self, text: str) -> None:
        self.out.append(Outgoing(reply=MarkdownReply(text=text)))

    def notice(self, title: str, text: str, url: str | None = None) -> None:
        self.out.append(Outgoing(reply=NoticeReply(title=title, text=text, url=url)))

    def card(self, card: Card) -> None:
        self.out.append(Outgoing(reply=CardReply(card=card)))

    def update_card(self, card: Card) -> None:
        """Show the tapped card's new state to the person who tapped it."""
        action = self.inbound.card_action
        code = action.response_code if action else None
        self.out.append(Outgoing(reply=CardUpdate(card=card, response_code=code)))

    def tell(self, person_id: int, text: str) -> None:
        self.out.append(Outgoing(reply=TextReply(text=text), person_id=person_id))
