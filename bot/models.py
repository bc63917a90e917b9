"""Platform-neutral types: what arrives (Inbound), who sent it (Actor) and what goes out (Reply).

Platform code converts its wire formats to and from these types and nothing else crosses the boundary.
Everything here is JSON-serialisable, because inbound messages travel through RQ and replies are stored
in the outbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from cards.model import Card


class Kind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"
    LOCATION = "location"
    LINK = "link"
    EVENT = "event"
    CARD_ACTION = "card_action"


class Media(BaseModel):
    media_id: str | None = None
    url: str | None = None
    format: str | None = None
    thumb_media_id: str | None = None
    title: str | None = None
    description: str | None = None
    file_name: str | None = None


class Location(BaseModel):
    latitude: float
    longitude: float
    scale: float | None = None
    precision: float | None = None
    label: str | None = None


class Link(BaseModel):
    title: str | None = None
    description: str | None = None
    url: str | None = None
    pic_url: str | None = None


class Event(BaseModel):
    """A platform event other than a card tap; `name` is lower-case (enter_agent, subscribe, click …)."""

    name: str
    key: str | None = None


class CardAction(BaseModel):
    """A tap on a card: which card (task_id), which button or submit key, and any selections."""

    task_id: str
    key: str
    selections: dict[str, list[str]] = Field(default_factory=dict)
    response_code: str | None = None
    card_type: str | None = None
    menu: bool = False  # a card's action menu rather than a button


class Inbound(BaseModel):
    platform: str
    tenant: str  # the corp id the message was addressed to
    agent_id: str | None = None
    sender: str  # the platform user id
    message_id: str  # platform message id, or a synthetic id for events
    dedup_key: str  # what makes a redelivery the same message
    created_at: datetime
    kind: Kind
    text: str | None = None
    media: Media | None = None
    location: Location | None = None
    link: Link | None = None
    event: Event | None = None
    card_action: CardAction | None = None


class Actor(BaseModel):
    """A person from the roster, as the handlers see them."""

    person_id: int
    name: str
    roles: list[str]
    org_id: int
    org_path: str
    platform: str
    platform_user: str

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class TextReply(BaseModel):
    kind: Literal["text"] = "text"
    text: str


class MarkdownReply(BaseModel):
    kind: Literal["markdown"] = "markdown"
    text: str


class NoticeReply(BaseModel):
    """A short notice with a link (WeCom: textcard). Shown in the WeChat 微工作台 too, unlike cards."""

    kind: Literal["notice"] = "notice"
    title: str
    text: str
    url: str | None = None
    button: str = "详情"


class CardReply(BaseModel):
    kind: Literal["card"] = "card"
    card: Card


class CardUpdate(BaseModel):
    """Show a card's new state to the person who tapped it (WeCom: update_template_card)."""

    kind: Literal["card_update"] = "card_update"
    card: Card
    response_code: str | None = None
    # A card finished without a tap (a newer card replaced it): updated with the code kept from sending it.
    retire: bool = False


Reply = Annotated[TextReply | MarkdownReply | NoticeReply | CardReply | CardUpdate, Field(discriminator="kind")]


class Outgoing(BaseModel):
    """A reply and whom it is for. `person_id` None means the sender of the message being handled."""

    reply: Reply
    person_id: int | None = None
    # the same message to many people at once (a broadcast); sent in batches, see bot/outbox.py
    person_ids: list[int] | None = None
    tag: str | None = None  # what the message belongs to ("broadcast:7", "reminder:12"), for follow-up
    not_before: datetime | None = None  # held back until then (quiet hours)
