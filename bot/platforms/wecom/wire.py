"""Decrypted WeCom callback XML → `Inbound`.

Text values may or may not be CDATA; numbers arrive as text and MsgId stays a string (64-bit). Event names
are matched case-insensitively. Both spellings of the card selection elements (OptionIds and the docs'
OpitonIds) are read, and every repeated element is treated as a list.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from bot.models import CardAction, Event, Inbound, Kind, Link, Location, Media

PLATFORM = "wecom"
PLAIN_EVENTS = {"enter_agent", "subscribe", "unsubscribe", "click", "view", "location"}


class WireError(ValueError):
    """The decrypted payload is not a usable WeCom message."""


def _text(root: Element, name: str) -> str | None:
    node = root.find(name)
    if node is None or node.text is None:
        return None
    return node.text.strip()


def _float(root: Element, name: str) -> float | None:
    value = _text(root, name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise WireError(f"{name} is not a number") from None


def _selections(root: Element) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for item in root.iterfind("SelectedItems/SelectedItem"):
        question = _text(item, "QuestionKey") or ""
        ids = [
            (node.text or "").strip()
            for path in ("OptionIds/OptionId", "OpitonIds/OpitonId")
            for node in item.iterfind(path)
        ]
        chosen.setdefault(question, []).extend(i for i in ids if i)
    return chosen


def parse(message: bytes, expected_corp: str | None = None) -> Inbound | None:
    """The Inbound for a decrypted callback, None for a type the bot does not handle (acknowledged)."""
    try:
        root = ElementTree.fromstring(message, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise WireError(f"forbidden XML construct ({type(exc).__name__})") from None
    except (ElementTree.ParseError, ValueError, UnicodeDecodeError):
        raise WireError("the message is not well-formed XML") from None

    sender = _text(root, "FromUserName")
    msg_type = (_text(root, "MsgType") or "").lower()
    created = _text(root, "CreateTime")
    if not sender or not msg_type or not created:
        raise WireError("FromUserName, MsgType or CreateTime is missing")
    try:
        created_at = datetime.fromtimestamp(int(created), UTC)
    except (ValueError, OverflowError, OSError):
        raise WireError("CreateTime is not a Unix time") from None
    tenant = _text(root, "ToUserName") or expected_corp or ""
    agent = _text(root, "AgentID")

    base: dict = {
        "platform": PLATFORM,
        "tenant": tenant,
        "agent_id": agent,
        "sender": sender,
        "created_at": created_at,
    }

    if msg_type == "event":
        return _event(root, base, created)

    msg_id = _text(root, "MsgId")
    if not msg_id:
        raise WireError("a message without MsgId")
    base["message_id"] = msg_id
    # MsgId alone has collided across users (WxJava#333): the sender and time are part of the key.
    base["dedup_key"] = f"{PLATFORM}:{tenant}:{agent}:msg:{msg_id}:{sender}:{created}"

    if msg_type == "text":
        return Inbound(kind=Kind.TEXT, text=_text(root, "Content") or "", **base)
    if msg_type == "image":
        media = Media(media_id=_text(root, "MediaId"), url=_text(root, "PicUrl"))
        return Inbound(kind=Kind.IMAGE, media=media, **base)
    if msg_type == "voice":
        media = Media(media_id=_text(root, "MediaId"), format=_text(root, "Format"))
        return Inbound(kind=Kind.VOICE, media=media, text=_text(root, "Recognition"), **base)
    if msg_type == "video":
        media = Media(media_id=_text(root, "MediaId"), thumb_media_id=_text(root, "ThumbMediaId"))
        return Inbound(kind=Kind.VIDEO, media=media, **base)
    if msg_type == "file":
        media = Media(
            media_id=_text(root, "MediaId"),
            file_name=_text(root, "FileName") or _text(root, "Title"),
            title=_text(root, "Title"),
        )
        return Inbound(kind=Kind.FILE, media=media, **base)
    if msg_type == "location":
        lat, lng = _float(root, "Location_X"), _float(root, "Location_Y")
        if lat is None or lng is None:
            raise WireError("a location message without Location_X/Location_Y")
        loc = Location(latitude=lat, longitude=lng, scale=_float(root, "Scale"), label=_text(root, "Label"))
        return Inbound(kind=Kind.LOCATION, location=loc, **base)
    if msg_type == "link":
        link = Link(
            title=_text(root, "Title"),
            description=_text(root, "Description"),
            url=_text(root, "Url"),
            pic_url=_text(root, "PicUrl"),
        )
        return Inbound(kind=Kind.LINK, link=link, **base)
    return None


def _event(root: Element, base: dict, created: str) -> Inbound | None:
    name = (_text(root, "Event") or "").lower()
    key = _text(root, "EventKey") or ""
    task_id = _text(root, "TaskId") or ""
    # a redelivered tap repeats its ResponseCode; two real taps in the same second each get their own
    code = _text(root, "ResponseCode") or ""
    dedup = (
        f"{PLATFORM}:{base['tenant']}:{base['agent_id']}:evt:{base['sender']}:{created}:{name}:{key}:{task_id}:{code}"
    )
    base["dedup_key"] = dedup
    base["message_id"] = "evt-" + hashlib.sha1(dedup.encode()).hexdigest()[:24]

    if name in ("template_card_event", "template_card_menu_event"):
        if not task_id:
            raise WireError("a card event without TaskId")
        action = CardAction(
            task_id=task_id,
            key=key,
            selections=_selections(root),
            response_code=_text(root, "ResponseCode"),
            card_type=_text(root, "CardType"),
            menu=name == "template_card_menu_event",
        )
        return Inbound(kind=Kind.CARD_ACTION, card_action=action, **base)
    if name not in PLAIN_EVENTS:
        return None
    location = None
    if name == "location":
        lat, lng = _float(root, "Latitude"), _float(root, "Longitude")
        if lat is not None and lng is not None:
            location = Location(latitude=lat, longitude=lng, precision=_float(root, "Precision"))
    return Inbound(kind=Kind.EVENT, event=Event(name=name, key=key or None), location=location, **base)
