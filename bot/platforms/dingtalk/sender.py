"""Replies → DingTalk: the sessionWebhook while it lasts, the robot OpenAPI otherwise, the card API for cards.

  text / markdown / notice  one person: the person's 1:1 sessionWebhook while `session_for` says it is good
                            (no token, no API quota), else oToMessages/batchSend; 300001 (session gone)
                            falls back to batchSend for that part and the rest. A session from a group chat
                            is not used: a personal reply or reminder must not land in a group.
                            A batch: batchSend, 20 people a call.
  card                      an interactive card (createAndDeliver, outTrackId = the card's task id) to each
                            person's 1:1 chat; a batch's later chunks are delivered to the same card. Taps
                            come back through bot.platforms.dingtalk.cards.inbound_from_card_callback.
                            Without a card template configured: the card's markdown as a robot message.
  card update               PUT /v1.0/card/instances, the tapper's view only (privateData), as WeCom's
                            update_template_card changes it for the given userids only.

Texts are split at TEXT_LIMIT bytes; every part and every chunk of 20 is paced and recorded as sent, so a
retry resumes where the last attempt stopped. Session webhooks are bearer credentials: never logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from threading import Lock
from typing import Any, ClassVar

from bot.config import Settings
from bot.models import CardReply, CardUpdate, MarkdownReply, NoticeReply, TextReply
from bot.platforms.base import OutboundMessage, Permanent, RetryLater, SendResult
from bot.platforms.dingtalk.cards import CardOptions, card_options
from bot.platforms.dingtalk.client import BATCH_USERS, DingTalkClient, SessionGone
from bot.platforms.dingtalk.sessions import session_for
from bot.queue import redis_client
from bot.text import split_utf8
from cards.render import render

# DingTalk documents no byte limit for a robot text; msgParam may be 15,000 bytes and a markdown text 5,000
# characters (spec §4.3/§4.4). 4,000 bytes keeps a part well inside both, JSON escaping included.
TEXT_LIMIT = 4000
TITLE_CHARS = 30  # the markdown title: what the chat list and the notification show


def markdown_title(text: str) -> str:
    for line in text.splitlines():
        plain = re.sub(r"[#>*`_\[\]]", "", line).strip()
        if plain:
            return plain[:TITLE_CHARS]
    return "村务助手"


def _message(kind: str, text: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(msgKey, msgParam) for the OpenAPI and the same message as a webhook body."""
    if kind == "markdown":
        title = markdown_title(text)
        return (
            "sampleMarkdown",
            {"title": title, "text": text},
            {"msgtype": "markdown", "markdown": {"title": title, "text": text}},
        )
    return "sampleText", {"content": text}, {"msgtype": "text", "text": {"content": text}}


def _notice(reply: NoticeReply, link: str | None) -> tuple[str, dict[str, Any], dict[str, Any]]:
    text = f"#### {reply.title}\n\n{reply.text}"
    url = reply.url or link
    if not url:
        return _message("markdown", text)
    card = {"title": reply.title, "text": text, "singleTitle": reply.button, "singleURL": url}
    return "sampleActionCard", card, {"msgtype": "actionCard", "actionCard": {**card, "btnOrientation": "0"}}


def _user_of(space: str) -> str:
    """A deliver result's spaceId ("dtv1.card//IM_ROBOT.user1" or "IM_ROBOT.user1" or "user1") → the user."""
    tail = space.rsplit("//", 1)[-1]
    return tail.split(".", 1)[1] if tail.startswith("IM_ROBOT.") else tail


class DingTalkSender:
    _shared: ClassVar[dict[tuple[str, ...], DingTalkSender]] = {}
    _lock: ClassVar[Lock] = Lock()

    def __init__(
        self, settings: Settings, client: DingTalkClient | None = None, options: CardOptions | None = None
    ) -> None:
        if client is None:
            if not (settings.dingtalk_client_id and settings.dingtalk_client_secret):
                raise Permanent("DingTalk sending is not configured (CADREBOT_DINGTALK_CLIENT_ID/CLIENT_SECRET)")
            client = DingTalkClient(
                client_id=settings.dingtalk_client_id,
                client_secret=settings.dingtalk_client_secret.get_secret_value(),
                robot_code=settings.dingtalk_robot_code or settings.dingtalk_client_id,
                api_base=settings.dingtalk_api_base,
                oapi_base=settings.dingtalk_oapi_base,
                webhook=settings.dingtalk_webhook.get_secret_value() if settings.dingtalk_webhook else None,
                webhook_secret=(
                    settings.dingtalk_webhook_secret.get_secret_value() if settings.dingtalk_webhook_secret else None
                ),
                redis=redis_client(settings.redis_url),
                timeout=settings.http_timeout_seconds,
            )
        self.client = client
        self.settings = settings
        self.options = options or card_options(settings)
        self.link = settings.public_url

    @classmethod
    def shared(cls, settings: Settings) -> DingTalkSender:
        """One sender (and HTTP connection pool) per configuration per process."""
        key = (settings.dingtalk_client_id or "", settings.dingtalk_api_base, settings.redis_url)
        with cls._lock:
            sender = cls._shared.get(key)
            if sender is None:
                sender = cls._shared[key] = cls(settings)
            return sender

    # -- the entry point ------------------------------------------------------------------------------
    def send(self, message: OutboundMessage, progress: Callable[[int], None], pace: Callable[[], None]) -> SendResult:
        reply = message.reply
        if isinstance(reply, CardUpdate):
            return self._update(message, reply, progress, pace)
        if isinstance(reply, CardReply) and self.options.interactive:
            return self._card(message, reply, progress, pace)
        if isinstance(reply, TextReply | MarkdownReply):
            parts = split_utf8(reply.text, TEXT_LIMIT)
            if not parts:
                raise Permanent("empty message", "empty")
            messages = [_message(reply.kind, part) for part in parts]
        elif isinstance(reply, NoticeReply):
            messages = [_notice(reply, self.link)]
        elif isinstance(reply, CardReply):  # no card template: show the content, nothing to tap
            shown = render("dingtalk", reply.card)["markdown"]
            messages = [("sampleMarkdown", shown, {"msgtype": "markdown", "markdown": shown})]
        else:
            raise Permanent(f"DingTalk cannot send {type(reply).__name__}")
        if message.recipients is not None:
            return self._batch(message, messages, progress, pace)
        return self._one(message, messages, progress, pace)

    # -- one person -----------------------------------------------------------------------------------
    def _one(
        self,
        message: OutboundMessage,
        messages: list[tuple[str, dict[str, Any], dict[str, Any]]],
        progress: Callable[[int], None],
        pace: Callable[[], None],
    ) -> SendResult:
        user = message.recipient
        session = session_for(self.client.redis, user, datetime.now(UTC))
        webhook = session.session_webhook if session and session.conversation_type == "1" else None
        msgid = None
        for index in range(message.parts_sent, len(messages)):
            key, param, body = messages[index]
            pace()
            if webhook:
                try:
                    self.client.send_by_session(webhook, body)
                    progress(index + 1)
                    continue
                except SessionGone:
                    webhook = None  # expired early: this part and the rest through the OpenAPI
            data = self.client.batch_send_to_users([user], key, param)
            self._check(data, user)
            msgid = data.get("processQueryKey") or msgid
            progress(index + 1)
        return SendResult(msgid=msgid)

    @staticmethod
    def _check(data: dict[str, Any], user: str) -> None:
        if user in (data.get("invalidStaffIdList") or []):
            raise Permanent("接收人不在应用可见范围内或账号无效 (invalidStaffIdList)", "invalidStaffIdList")
        if user in (data.get("flowControlledStaffIdList") or []):
            raise RetryLater("DingTalk held the message back (flowControlledStaffIdList)", "flowControlled", delay=60)

    # -- many people, 20 a call -----------------------------------------------------------------------
    def _batch(
        self,
        message: OutboundMessage,
        messages: list[tuple[str, dict[str, Any], dict[str, Any]]],
        progress: Callable[[int], None],
        pace: Callable[[], None],
    ) -> SendResult:
        users = message.recipients or []
        chunks = [users[i : i + BATCH_USERS] for i in range(0, len(users), BATCH_USERS)]
        # chunk by chunk, each chunk all parts: everyone reads the parts in order
        steps = [(chunk, m) for chunk in chunks for m in messages]
        failed: list[str] = []
        msgid = None
        for index in range(message.parts_sent, len(steps)):
            chunk, (key, param, _) = steps[index]
            pace()
            data = self.client.batch_send_to_users(chunk, key, param)
            refused = set(data.get("invalidStaffIdList") or []) | set(data.get("flowControlledStaffIdList") or [])
            failed += [u for u in chunk if u in refused and u not in failed]
            msgid = data.get("processQueryKey") or msgid
            progress(index + 1)
        return SendResult(msgid=msgid, failed=failed or None)

    # -- interactive cards ----------------------------------------------------------------------------
    def _card(
        self, message: OutboundMessage, reply: CardReply, progress: Callable[[int], None], pace: Callable[[], None]
    ) -> SendResult:
        card = reply.card
        if not card.task_id:
            raise Permanent("a card without a task id cannot be tracked (outTrackId)", "no_task_id")
        params = render("dingtalk", card)["cardParamMap"]
        users = message.recipients if message.recipients is not None else [message.recipient]
        chunks = [users[i : i + BATCH_USERS] for i in range(0, len(users), BATCH_USERS)]
        failed: list[str] = []
        carrier = None
        for index in range(message.parts_sent, len(chunks)):
            chunk = chunks[index]
            pace()
            if index == 0:
                try:
                    data = self.client.create_and_deliver_card(
                        template_id=self.options.template_id or "",
                        out_track_id=card.task_id,
                        card_param_map=params,
                        user_ids=chunk,
                        callback_route_key=self.options.route_key,
                    )
                except Permanent as exc:
                    # task ids are never reused: an existing card is the attempt that timed out, which
                    # arrived; delivering it again reaches whoever it did not reach
                    if exc.code != "param.cardAlreadyExist":
                        raise
                    data = self.client.deliver_card(card.task_id, chunk)
            else:
                data = self.client.deliver_card(card.task_id, chunk)
            result = inner if isinstance(inner := data.get("result"), dict) else data
            for delivered in result.get("deliverResults") or []:
                who = _user_of(str(delivered.get("spaceId") or ""))
                if delivered.get("success") is False and who not in failed:
                    failed.append(who)
                carrier = carrier or delivered.get("carrierId")
            progress(index + 1)
        if message.recipients is None and failed:
            raise Permanent("接收人无法接收卡片（不在应用可见范围内或账号无效）", "deliver_failed")
        # the outTrackId is what a later update (a card retired unanswered) needs
        return SendResult(msgid=carrier, response_code=card.task_id, failed=failed or None)

    def _update(
        self, message: OutboundMessage, reply: CardUpdate, progress: Callable[[int], None], pace: Callable[[], None]
    ) -> SendResult:
        if not self.options.interactive:
            return SendResult()  # the card went out as a message: there is nothing to change
        task_id = reply.card.task_id or reply.response_code
        if not task_id:
            raise Permanent("no outTrackId to update the card with", "no_task_id")
        pace()
        params = render("dingtalk", reply.card)["cardParamMap"]
        self.client.update_card(task_id, params, for_user=message.recipient)
        progress(1)
        return SendResult()
