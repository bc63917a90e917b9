"""Replies → WeCom message/send and update_template_card calls.

Text and markdown over 2048 bytes are split on character boundaries (WeCom truncates silently beyond
that); each part is paced and recorded as sent, so a retry resumes where the last attempt stopped. A retry
asks WeCom's own duplicate check to drop the request if the attempt that timed out did arrive.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from threading import Lock
from typing import Any, ClassVar

from bot.config import Settings
from bot.models import CardReply, CardUpdate, MarkdownReply, NoticeReply, TextReply
from bot.platforms.base import OutboundMessage, Permanent, SendResult
from bot.platforms.wecom.client import WeComClient
from bot.queue import redis_client
from bot.text import split_utf8
from cards.render import render

TEXT_LIMIT = 2048
WECOM_HOME = "https://work.weixin.qq.com"


def _clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[: limit - 3].decode(errors="ignore") + "…"


def textcard(reply: NoticeReply, link: str | None) -> dict[str, str]:
    """WeCom textcard: title ≤ 128 bytes, description ≤ 512 bytes of simple HTML, btntxt ≤ 4 characters."""
    limit = 480
    while True:
        description = (
            '<div class="normal">' + html.escape(_clip_bytes(reply.text, limit)).replace("\n", "<br>") + "</div>"
        )
        if len(description.encode()) <= 512:
            break
        limit -= 40
    return {
        "title": _clip_bytes(reply.title, 128),
        "description": description,
        "url": reply.url or link or WECOM_HOME,
        "btntxt": reply.button[:4],
    }


class WeComSender:
    _shared: ClassVar[dict[tuple[str, ...], WeComSender]] = {}
    _lock: ClassVar[Lock] = Lock()

    def __init__(self, settings: Settings, client: WeComClient | None = None) -> None:
        if client is None:
            if not settings.wecom_sends:
                raise Permanent("WeCom sending is not configured (CADREBOT_WECOM_CORP_ID/SECRET/AGENT_ID)")
            assert settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id is not None
            client = WeComClient(
                corp_id=settings.wecom_corp_id,
                agent_id=settings.wecom_agent_id,
                secret=settings.wecom_secret.get_secret_value(),
                api_base=settings.wecom_api_base,
                redis=redis_client(settings.redis_url),
                timeout=settings.http_timeout_seconds,
                duplicate_check_seconds=settings.duplicate_check_seconds,
            )
        self.client = client
        self.settings = settings
        self.link = settings.public_url

    @classmethod
    def shared(cls, settings: Settings) -> WeComSender:
        """One sender (and HTTP connection pool) per configuration per process."""
        key = (
            settings.wecom_corp_id or "",
            str(settings.wecom_agent_id),
            settings.wecom_api_base,
            settings.redis_url,
        )
        with cls._lock:
            sender = cls._shared.get(key)
            if sender is None:
                sender = cls._shared[key] = cls(settings)
            return sender

    def _dedup(self, message: OutboundMessage) -> dict[str, Any]:
        # Only a retry asks WeCom to drop repeats: on a first attempt it would also drop a reply that is
        # rightly the same as one sent minutes ago ("没能看懂…" twice in a row).
        if self.settings.duplicate_check_seconds <= 0 or message.attempt <= 1:
            return {}
        return {"enable_duplicate_check": 1, "duplicate_check_interval": self.settings.duplicate_check_seconds}

    def _check_recipient(self, data: dict[str, Any], recipient: str) -> None:
        invalid = {u.lower() for u in str(data.get("invaliduser") or "").split("|") if u}
        if recipient.lower() in invalid:
            raise Permanent("接收人不在应用可见范围内或账号无效 (invaliduser)", "invaliduser")

    @staticmethod
    def _refused(data: dict[str, Any], message: OutboundMessage) -> list[str] | None:
        """For a batch: who the platform would not deliver to (WeCom answers 200 with invaliduser)."""
        if message.recipients is None:
            return None
        invalid = {u.lower() for u in str(data.get("invaliduser") or "").split("|") if u}
        return [u for u in message.recipients if u.lower() in invalid] or None

    @staticmethod
    def _to(message: OutboundMessage) -> str:
        return "|".join(message.recipients) if message.recipients else message.recipient

    def send(self, message: OutboundMessage, progress: Callable[[int], None], pace: Callable[[], None]) -> SendResult:
        reply = message.reply
        user = self._to(message)
        if isinstance(reply, TextReply | MarkdownReply):
            kind = reply.kind
            parts = split_utf8(reply.text, TEXT_LIMIT)
            if not parts:
                raise Permanent("empty message", 44004)
            msgid = None
            for index in range(message.parts_sent, len(parts)):
                pace()
                data = self.client.send_message(
                    {"touser": user, "msgtype": kind, kind: {"content": parts[index]}, **self._dedup(message)}
                )
                if message.recipients is None:
                    self._check_recipient(data, user)
                msgid = data.get("msgid")
                progress(index + 1)
            return SendResult(msgid=msgid, failed=self._refused(data, message))
        if isinstance(reply, NoticeReply):
            pace()
            data = self.client.send_message(
                {"touser": user, "msgtype": "textcard", "textcard": textcard(reply, self.link), **self._dedup(message)}
            )
            if message.recipients is None:
                self._check_recipient(data, user)
            progress(1)
            return SendResult(msgid=data.get("msgid"), failed=self._refused(data, message))
        if isinstance(reply, CardReply):
            pace()
            card = render("wecom", reply.card, link=self.link)
            try:
                data = self.client.send_message(
                    {"touser": user, "msgtype": "template_card", "template_card": card, **self._dedup(message)}
                )
            except Permanent as exc:
                # task ids are never reused: on a retry, "task_id exists" means the attempt that timed out arrived
                if exc.code == 42014 and (message.attempt > 1 or exc.resent):
                    progress(1)
                    return SendResult()
                raise
            if message.recipients is None:
                self._check_recipient(data, user)
            progress(1)
            return SendResult(
                msgid=data.get("msgid"), response_code=data.get("response_code"), failed=self._refused(data, message)
            )
        if isinstance(reply, CardUpdate):
            if not reply.response_code:
                raise Permanent("no response_code to update the card with", "no_response_code")
            card = render("wecom", reply.card, link=self.link)
            self.client.update_template_card(
                {"userids": [user], "response_code": reply.response_code, "template_card": card}
            )
            progress(1)
            return SendResult()
        raise Permanent(f"WeCom cannot send {type(reply).__name__}")
