"""The bot in the test's own process: transcripts for handlers and forms without uvicorn, HTTP, signing or RQ.

What stays real: the callbacks a phone would send (the simulator's WeCom XML and DingTalk JSON factories)
read by the production parsers (bot.platforms.wecom.wire.parse; DingTalk's inbound_from_robot, with its
sessionWebhook remembered, and inbound_from_card_callback); the dispatcher's job (bot.dispatch.handle_inbound
— dedup in the database, the inbound log, who is speaking, the form drafts in Redis, `respond`, the outbox
rows); the delivery job (bot.delivery.deliver — claiming rows, pacing, splitting, retries) with the real
senders and clients, whose HTTP calls a transport hands straight to the simulator's FakeWeCom / FakeDingTalk,
which check the card limits and record the messages in the inboxes InProcessChat reads, as the HTTP Chat does.

What is left out: the webhooks (signatures, decryption, status codes, the Redis dedup of redeliveries,
enqueueing the job), RQ (deliveries run here when `work()` is called, in the order they were queued), and
the fakes' injected faults. Tests of those keep the HTTP transcripts (tests/transcript.py's Chat).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import bot.delivery
import bot.dispatch
import scheduler.jobs
import scheduler.sweeper
from bot.config import Settings
from bot.platforms.base import Permanent, Sender
from bot.platforms.dingtalk.card_routes import CARD_PATH
from bot.platforms.dingtalk.cards import inbound_from_card_callback
from bot.platforms.dingtalk.client import DingTalkClient
from bot.platforms.dingtalk.sender import DingTalkSender
from bot.platforms.dingtalk.sessions import remember_session
from bot.platforms.dingtalk.wire import conversation_of, inbound_from_robot
from bot.platforms.wecom.client import WeComClient
from bot.platforms.wecom.sender import WeComSender
from bot.platforms.wecom.wire import parse
from bot.queue import redis_client
from bot.sim.callbacks import CallbackFactory
from bot.sim.dingtalk_callbacks import DingCallback, DingTalkCallbackFactory
from bot.sim.fake_dingtalk import FakeDingTalk
from bot.sim.fake_wecom import FakeWeCom

from transcript import Chat, DingTalkPhone

# never dialled: the transports below answer
WECOM_API = "http://wecom.inproc"
DINGTALK_API = "http://dingtalk.inproc"


class InProcessBot:
    """The dispatcher and the delivery job, run on demand in this process; `settings` as LiveServer's."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        self.fake = FakeWeCom(settings)
        self.queued: list[tuple[list[int], float]] = []  # (outbox ids, delay): what would be RQ delivery jobs
        assert settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id is not None
        client = WeComClient(
            corp_id=settings.wecom_corp_id,
            agent_id=settings.wecom_agent_id,
            secret=settings.wecom_secret.get_secret_value(),
            api_base=WECOM_API,
            redis=redis_client(settings.redis_url),
            duplicate_check_seconds=settings.duplicate_check_seconds,
            http=httpx.Client(base_url=WECOM_API, transport=httpx.MockTransport(self._wecom_api)),
        )
        self.senders: dict[str, Sender] = {"wecom": WeComSender(settings, client=client)}
        self.ding_fake = FakeDingTalk(settings)
        if settings.dingtalk_client_id and settings.dingtalk_client_secret:
            ding = DingTalkClient(
                client_id=settings.dingtalk_client_id,
                client_secret=settings.dingtalk_client_secret.get_secret_value(),
                robot_code=settings.dingtalk_robot_code or settings.dingtalk_client_id,
                api_base=DINGTALK_API,
                oapi_base=DINGTALK_API,
                redis=redis_client(settings.redis_url),
                http=httpx.Client(base_url=DINGTALK_API, transport=httpx.MockTransport(self._dingtalk_api)),
            )
            self.senders["dingtalk"] = DingTalkSender(settings, client=ding)
        monkeypatch.setattr(bot.delivery, "sender_for", self._sender_for)
        for module in (bot.dispatch, bot.delivery, scheduler.jobs, scheduler.sweeper):
            monkeypatch.setattr(module, "enqueue_delivery", self._enqueue)

    # -- instead of RQ --------------------------------------------------------------------------------
    def _enqueue(self, settings: Settings, outbox_ids: list[int], delay: float | None = None) -> None:
        if outbox_ids:
            self.queued.append((list(outbox_ids), delay or 0.0))

    def receive(self, plaintext: str, times: int = 1) -> list[str]:
        """A decrypted WeCom callback, handled as the worker would; returns handle_inbound's outcomes."""
        inbound = parse(plaintext.encode(), self.settings.wecom_corp_id)
        if inbound is None:
            return []  # a type the bot does not handle: the webhook acknowledges it and stops
        payload = inbound.model_dump(mode="json", exclude_none=True)
        return [bot.dispatch.handle_inbound(payload) for _ in range(times)]

    def receive_dingtalk(self, callback: DingCallback, times: int = 1) -> list[str]:
        """A DingTalk robot message or card tap, read as its route reads it, handled as the worker would."""
        if callback.path == CARD_PATH:
            inbound = inbound_from_card_callback(callback.body, received_at=datetime.now(UTC))
        else:
            inbound = inbound_from_robot(callback.body, received_at=datetime.now(UTC))
            remember_session(redis_client(self.settings.redis_url), inbound.sender, conversation_of(callback.body))
        payload = inbound.model_dump(mode="json", exclude_none=True)
        return [bot.dispatch.handle_inbound(payload) for _ in range(times)]

    def work(self, scheduled: bool = False) -> None:
        """Run the queued deliveries, as conftest.drain runs the RQ jobs (scheduled: the delayed ones too)."""
        from conftest import time_travel

        for _ in range(50):
            if scheduled:
                time_travel(self.settings)
            due = [ids for ids, delay in self.queued if scheduled or delay <= 0]
            if not due:
                return
            self.queued = [] if scheduled else [job for job in self.queued if job[1] > 0]
            for ids in due:
                bot.delivery.deliver(ids)

    # -- instead of HTTP to the simulator -------------------------------------------------------------
    def _sender_for(self, platform: str, settings: Settings) -> Sender:
        sender = self.senders.get(platform)
        if sender is None:
            raise Permanent(f"the in-process bot has no {platform} sender")
        return sender

    def _wecom_api(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        path = request.url.path
        data: dict[str, Any]
        if path == "/cgi-bin/gettoken":
            data = self.fake.gettoken(params.get("corpid"), params.get("corpsecret"))
        elif path == "/cgi-bin/message/send":
            data = self.fake.send(params.get("access_token"), json.loads(request.content))
        elif path == "/cgi-bin/message/update_template_card":
            data = self.fake.update_card(params.get("access_token"), json.loads(request.content))
        else:
            return httpx.Response(404)
        return httpx.Response(200, json=data)

    def _dingtalk_api(self, request: httpx.Request) -> httpx.Response:
        fake = self.ding_fake
        body = json.loads(request.content) if request.content else {}
        token = request.headers.get("x-acs-dingtalk-access-token")
        path = request.url.path.removeprefix("/sim/dingtalk")  # sessionWebhooks name the simulator's own path
        apis = {
            ("POST", "/v1.0/oauth2/accessToken"): lambda: fake.access_token(body),
            ("POST", "/v1.0/robot/oToMessages/batchSend"): lambda: fake.batch_send(token, body),
            ("POST", "/v1.0/robot/groupMessages/send"): lambda: fake.group_send(token, body),
            ("POST", "/v1.0/card/instances/createAndDeliver"): lambda: fake.create_and_deliver(token, body),
            ("POST", "/v1.0/card/instances/deliver"): lambda: fake.deliver(token, body),
            ("PUT", "/v1.0/card/instances"): lambda: fake.update(token, body),
            ("POST", "/robot/sendBySession"): lambda: (
                200,
                fake.send_by_session(request.url.params.get("session"), body),
            ),
            ("POST", "/robot/send"): lambda: (200, fake.webhook(dict(request.url.params), body)),
        }
        api = apis.get((request.method, path))
        if api is None:
            return httpx.Response(404)
        status, data = api()
        return httpx.Response(status, json=data)


class InProcessPhone(DingTalkPhone):
    """A person's DingTalk account, speaking to the bot in this process."""

    def __init__(self, bot: InProcessBot, factory: DingTalkCallbackFactory, accounts: dict[str, str]) -> None:
        self.bot = bot
        self.factory = factory
        self.fake = bot.ding_fake
        self.accounts = accounts

    def post(self, callback: DingCallback, times: int = 1) -> None:
        self.bot.receive_dingtalk(callback, times)

    def session(self, user: str) -> dict[str, Any]:
        url, expires = self.fake.open_session(self.account(user), DINGTALK_API)
        return {"session_webhook": url, "session_expires_ms": expires}


class InProcessChat(Chat):
    """tests/transcript.py's Chat over InProcessBot: the same as_/says/taps/expect_… reading the same inboxes,
    on WeCom or (given a phone) DingTalk. (Its `http` is not set: nothing here goes over HTTP.)"""

    def __init__(self, bot: InProcessBot, factory: CallbackFactory, ding: InProcessPhone | None = None) -> None:
        # Chat's attributes, without an HTTP client
        self.bot = bot
        self.factory = factory
        self.fake = bot.fake
        self.work = bot.work
        self.ding = ding  # set: people talk to the bot through DingTalk
        self.platform = "dingtalk" if ding else "wecom"
        self.user = ""
        self._seen: dict[str, int] = {}

    def post(self, plaintext: str, *, times: int = 1) -> list[httpx.Response]:
        self.bot.receive(plaintext, times)
        self.work()
        return []
