"""A DingTalk robot message (HTTP callback body, or the `data` of the Stream topic /v1.0/im/bot/messages/get)
→ `Inbound`, and the conversation it came from.

The sender is `senderStaffId` (the userId the roster knows); the encrypted `senderId` is used only when the
staff id is empty (an external user, or an app not yet published). `createAt` arrives as a number though the
docs say string: both are read. Media carry the `downloadCode` as their media id (the robot's file download
API takes it). A type the bot cannot read (`unknownMsgType`, or one added later) becomes the `unsupported`
event, so the person can be told politely instead of hearing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.models import Event, Inbound, Kind, Media

PLATFORM = "dingtalk"
UNSUPPORTED = "unsupported"  # Event.name of a message type the bot does not read; Event.key = the msgtype
QUOTA_EXCEEDED = 20001  # errorCode of the notice sent instead of a message when the org's robot quota is used up


class DingTalkWireError(ValueError):
    """The payload is not a usable DingTalk robot message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DingTalkQuotaExceeded(DingTalkWireError):
    """DingTalk sent its quota notice (errorCode 20001) instead of the message: the message itself is lost."""


@dataclass(frozen=True)
class Conversation:
    conversation_type: str  # "1" 单聊, "2" 群聊
    conversation_id: str  # the openConversationId of group sends and cards
    session_webhook: str = field(repr=False)  # its session= value is a bearer credential: never log it
    session_expires_at: datetime  # aware, UTC
    robot_code: str | None = None

    @property
    def is_group(self) -> bool:
        return self.conversation_type == "2"


def _str(payload: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise DingTalkWireError(f"{name} is missing")
        return ""
    if not isinstance(value, str):
        raise DingTalkWireError(f"{name} must be a string")
    return value.strip()


def _object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DingTalkWireError(f"{name} must be an object")
    return value


def _millis(value: Any, name: str) -> datetime:
    """A time in milliseconds since the epoch, as a number or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DingTalkWireError(f"{name} must be milliseconds since the epoch")
    try:
        ms = int(value) if not isinstance(value, str) else int(value.strip())
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise DingTalkWireError(f"{name} must be milliseconds since the epoch") from None


def _media(content: dict[str, Any], **extra: str | None) -> Media:
    code = content.get("downloadCode") or content.get("pictureDownloadCode")
    if not isinstance(code, str) or not code:
        raise DingTalkWireError("a media message without downloadCode")
    return Media(media_id=code, **extra)


def _rich_text(content: dict[str, Any]) -> tuple[str, Media | None]:
    parts = content.get("richText")
    if not isinstance(parts, list):
        raise DingTalkWireError("content.richText must be a list")
    texts: list[str] = []
    picture: Media | None = None
    for part in parts:
        if not isinstance(part, dict):
            raise DingTalkWireError("content.richText items must be objects")
        text = part.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
        elif part.get("type") == "picture" and picture is None:
            picture = _media(part)  # Inbound carries one media item: the first picture
    return "\n".join(texts), picture


def inbound_from_robot(payload: dict[str, Any], *, received_at: datetime) -> Inbound:
    """The Inbound for a robot message. Raises DingTalkWireError (DingTalkQuotaExceeded for the quota
    notice) for anything that cannot be read. `received_at` stands in for a missing createAt."""
    if not isinstance(payload, dict):
        raise DingTalkWireError("the message must be a JSON object")
    error_code = payload.get("errorCode")
    if error_code not in (None, "", 0, "0"):
        message = payload.get("errorMessage")
        detail = message if isinstance(message, str) else ""
        if str(error_code) == str(QUOTA_EXCEEDED):
            raise DingTalkQuotaExceeded(f"the organisation's robot message quota is used up (20001) {detail}".strip())
        raise DingTalkWireError(f"DingTalk sent error {error_code} instead of a message {detail}".strip())

    msg_id = _str(payload, "msgId", required=True)
    msg_type = _str(payload, "msgtype", required=True)
    sender = _str(payload, "senderStaffId") or _str(payload, "senderId")
    if not sender:
        raise DingTalkWireError("senderStaffId and senderId are both missing")
    created = payload.get("createAt")
    created_at = received_at if created in (None, "") else _millis(created, "createAt")
    base: dict[str, Any] = {
        "platform": PLATFORM,
        "tenant": _str(payload, "chatbotCorpId") or _str(payload, "senderCorpId"),
        "agent_id": _str(payload, "robotCode") or None,
        "sender": sender,
        "message_id": msg_id,
        # msgId is DingTalk's own unique (encrypted) id; a redelivery repeats it.
        "dedup_key": f"{PLATFORM}:msg:{msg_id}",
        "created_at": created_at,
    }

    if msg_type == "text":
        text = _object(payload, "text").get("content")
        if not isinstance(text, str):
            raise DingTalkWireError("text.content must be a string")
        # The @robot mention is stripped by DingTalk and leaves its space behind.
        return Inbound(kind=Kind.TEXT, text=text.strip(), **base)

    content = _object(payload, "content")
    if msg_type == "richText":
        text, picture = _rich_text(content)
        if text:
            return Inbound(kind=Kind.TEXT, text=text, media=picture, **base)
        if picture is not None:
            return Inbound(kind=Kind.IMAGE, media=picture, **base)
        raise DingTalkWireError("a richText message with neither text nor a picture")
    if msg_type == "picture":
        return Inbound(kind=Kind.IMAGE, media=_media(content), **base)
    if msg_type == "audio":
        recognition = content.get("recognition")
        text = recognition.strip() if isinstance(recognition, str) and recognition.strip() else None
        return Inbound(kind=Kind.VOICE, media=_media(content), text=text, **base)
    if msg_type == "video":
        video_type = content.get("videoType")
        media = _media(content, format=video_type if isinstance(video_type, str) else None)
        return Inbound(kind=Kind.VIDEO, media=media, **base)
    if msg_type == "file":
        name = content.get("fileName")
        name = name if isinstance(name, str) and name else None
        return Inbound(kind=Kind.FILE, media=_media(content, file_name=name, title=name), **base)
    return Inbound(kind=Kind.EVENT, event=Event(name=UNSUPPORTED, key=msg_type), **base)


def is_unsupported(inbound: Inbound) -> bool:
    return inbound.kind == Kind.EVENT and inbound.event is not None and inbound.event.name == UNSUPPORTED


def conversation_of(payload: dict[str, Any]) -> Conversation:
    """Where a robot message came from and how to answer it while its sessionWebhook lasts."""
    if not isinstance(payload, dict):
        raise DingTalkWireError("the message must be a JSON object")
    conv_type = _str(payload, "conversationType", required=True)
    if conv_type not in ("1", "2"):
        raise DingTalkWireError('conversationType must be "1" or "2"')
    webhook = _str(payload, "sessionWebhook", required=True)
    if not webhook.startswith(("https://", "http://")):
        raise DingTalkWireError("sessionWebhook must be an http(s) URL")
    expires = payload.get("sessionWebhookExpiredTime")
    if expires in (None, ""):
        raise DingTalkWireError("sessionWebhookExpiredTime is missing")
    return Conversation(
        conversation_type=conv_type,
        conversation_id=_str(payload, "conversationId", required=True),
        session_webhook=webhook,
        session_expires_at=_millis(expires, "sessionWebhookExpiredTime"),
        robot_code=_str(payload, "robotCode") or None,
    )
