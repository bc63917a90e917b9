"""The bot in the test's own process: transcripts for handlers and forms without uvicorn, HTTP, signing or RQ.

What stays real: the WeCom callback XML a phone would send (the simulator's CallbackFactory) read by the
production parser (bot.platforms.wecom.wire.parse); the dispatcher's job (bot.dispatch.handle_inbound —
dedup in the database, the inbound log, who is speaking, the form drafts in Redis, `respond`, the outbox
rows); the delivery job (bot.delivery.deliver — claiming rows, pacing, splitting, retries) with the real
WeCom sender and client, whose HTTP calls a transport hands straight to the simulator's FakeWeCom, which
checks the card limits and records the messages in the inboxes InProcessChat reads, as the HTTP Chat does.

What is left out: the webhook (signature, decryption, the Redis dedup of redeliveries, enqueueing the
job), RQ (deliveries are run here when `work()` is called, in the order they were queued), the fake's
injected faults, and DingTalk. Tests of those keep the HTTP transcripts (tests/transcript.py's Chat).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import bot.delivery
import bot.dispatch
import scheduler.jobs
import scheduler.sweeper
from bot.config import Settings
from bot.platforms.base import Permanent, Sender
from bot.platforms.wecom.client import WeComClient
from bot.platforms.wecom.sender import WeComSender
from bot.platforms.wecom.wire import parse
from bot.queue import redis_client
from bot.sim.callbacks import CallbackFactory
from bot.sim.fake_wecom import FakeWeCom

from transcript import Chat

WECOM_API = "http://wecom.inproc"  # never dialled: the transport below answers


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
        self.sender = WeComSender(settings, client=client)
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
        if platform != "wecom":
            raise Permanent(f"the in-process chat delivers to WeCom only, not {platform}")
        return self.sender

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


class InProcessChat(Chat):
    """tests/transcript.py's Chat over InProcessBot: the same as_/says/taps/expect_… reading the same inboxes.
    (Its `http` is not set: nothing here goes over HTTP.)"""

    def __init__(self, bot: InProcessBot, factory: CallbackFactory) -> None:
        # Chat's attributes, but no HTTP client and no DingTalk phone
        self.bot = bot
        self.factory = factory
        self.fake = bot.fake
        self.work = bot.work
        self.ding = None
        self.platform = "wecom"
        self.user = ""
        self._seen: dict[str, int] = {}

    def post(self, plaintext: str, *, times: int = 1) -> list[httpx.Response]:
        self.bot.receive(plaintext, times)
        self.work()
        return []
