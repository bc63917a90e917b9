"""Conversation tests that read like the conversation: a person says something, taps a card, and the
test looks at what the bot sent to that person's phone (the fake WeCom API's record).

The same transcript runs on DingTalk when the Chat is given a DingTalkPhone: people are still named by
their WeCom ids in the test, and the phone speaks for their DingTalk account — signed robot callbacks and
card-tap callbacks — and reads the fake DingTalk API's record in the simulator's common shape
(bot.sim.fake_dingtalk.view), so expect_text / expect_card / taps read both platforms alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.sim.callbacks import CallbackFactory
from bot.sim.dingtalk_callbacks import DingCallback, DingTalkCallbackFactory
from bot.sim.fake_dingtalk import FakeDingTalk, view
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import get_engine, session_scope


def rows(server, model: Any, *where: Any) -> list[Any]:
    """The records of `model` in the live server's database (matching `where`), oldest first."""
    with session_scope(get_engine(server.settings.database_url)) as s:
        return list(s.scalars(select(model).where(*where).order_by(model.id)))


def fields_of(card: dict[str, Any]) -> dict[str, str]:
    """A card's fields as the phone shows them: label → value."""
    return {f["keyname"]: f["value"] for f in card["template_card"].get("horizontal_content_list", [])}


class DingTalkPhone:
    """A person's DingTalk account: what they send goes to the bot as DingTalk sends it."""

    def __init__(
        self, http: httpx.Client, factory: DingTalkCallbackFactory, fake: FakeDingTalk, accounts: dict[str, str]
    ) -> None:
        self.http = http
        self.factory = factory
        self.fake = fake
        self.accounts = accounts  # WeCom id (as the tests name people) → DingTalk userId

    def account(self, user: str) -> str:
        found = self.accounts.get(user.lower())
        assert found, f"{user} has no DingTalk account in the roster"
        return found

    def post(self, callback: DingCallback, times: int = 1) -> None:
        for _ in range(times):
            r = self.http.post(callback.path, headers=callback.headers, content=callback.content)
            assert r.status_code == 200, f"callback refused: {r.status_code} {r.text}"

    def session(self, user: str) -> dict[str, Any]:
        url, expires = self.fake.open_session(self.account(user), str(self.http.base_url))
        return {"session_webhook": url, "session_expires_ms": expires}

    def says(self, user: str, text: str) -> None:
        self.post(self.factory.text(self.account(user), text, **self.session(user)))

    def sends_photo(self, user: str, media_id: str) -> None:
        self.post(self.factory.picture(self.account(user), media_id, **self.session(user)))

    def taps(self, user: str, task_id: str, key: str, selections: dict[str, list[str]] | None) -> None:
        self.post(self.factory.card_tap(self.account(user), task_id, key, selections))

    def inbox(self, user: str) -> list[dict[str, Any]]:
        return [view(e) for e in self.fake.inbox(self.account(user))]


class Chat:
    def __init__(
        self,
        http: httpx.Client,
        factory: CallbackFactory,
        fake: FakeWeCom,
        work: Callable[..., None],
        ding: DingTalkPhone | None = None,
    ) -> None:
        self.http = http
        self.factory = factory
        self.fake = fake
        self.work = work
        self.ding = ding  # set: people talk to the bot through DingTalk
        self.platform = "dingtalk" if ding else "wecom"
        self.user = ""
        self._seen: dict[str, int] = {}

    # -- what a person does ---------------------------------------------------------------------------
    def as_(self, user: str) -> Chat:
        self.user = user
        self._seen.setdefault(user.lower(), 0)
        return self

    def post(self, plaintext: str, *, times: int = 1) -> list[httpx.Response]:
        callback = self.factory.envelope(plaintext)
        responses = [
            self.http.post("/wecom/callback", params=callback.params, content=callback.body) for _ in range(times)
        ]
        for r in responses:
            assert r.status_code == 200, f"callback refused: {r.status_code} {r.text}"
            assert r.content == b""
        self.work()
        return responses

    def says(self, text: str) -> Chat:
        if self.ding:
            self.ding.says(self.user, text)
            self.work()
            return self
        self.post(self.factory.text(self.user, text))
        return self

    def opens_app(self) -> Chat:
        if self.ding:
            pytest.skip("a DingTalk robot gets no event when its chat is opened")
        self.post(self.factory.event(self.user, "enter_agent"))
        return self

    def taps(self, card: dict[str, Any], button: str, *, choosing: str | None = None) -> Chat:
        """Tap a button (by its text or key); `choosing` picks an option of the card's drop-down first."""
        template = card["template_card"]
        keys = [b["key"] for b in template.get("button_list", []) if button in (b["text"], b["key"])]
        assert keys, f"no button {button!r} on the card: {[b['text'] for b in template.get('button_list', [])]}"
        selections = None
        if choosing is not None:
            drop = template["button_selection"]
            ids = [o["id"] for o in drop["option_list"] if choosing in (o["text"], o["id"])]
            assert ids, f"no option {choosing!r}: {[o['text'] for o in drop['option_list']]}"
            selections = {drop["question_key"]: ids[:1]}
        if self.ding:
            self.ding.taps(self.user, card["task_id"], keys[0], selections)
            self.work()
            return self
        code = self.fake.issue_response_code(card["task_id"], [self.user.lower()])
        self.post(self.factory.card_tap(self.user, card["task_id"], keys[0], code, selections))
        return self

    def sends_photo(self, media_id: str = "photo-1") -> Chat:
        if self.ding:
            self.ding.sends_photo(self.user, media_id)
            self.work()
            return self
        self.post(self.factory.image(self.user, media_id=media_id))
        return self

    def sends_location(self, lat: float, lng: float, label: str) -> Chat:
        if self.ding:
            pytest.skip("a DingTalk robot receives no location messages")
        self.post(self.factory.location(self.user, lat, lng, label))
        return self

    # -- what the phone shows -------------------------------------------------------------------------
    def new(self) -> list[dict[str, Any]]:
        inbox = self.ding.inbox(self.user) if self.ding else self.fake.inbox(self.user)
        start = self._seen[self.user.lower()]
        self._seen[self.user.lower()] = len(inbox)
        return inbox[start:]

    def expect_text(self, contains: str) -> str:
        got = self.new()
        texts = [e.get("content", "") for e in got if e.get("msgtype") in ("text", "markdown")]
        for text in texts:
            if contains in text:
                return text
        raise AssertionError(f"{self.user} got no text containing {contains!r}; got {got}")

    def expect_card(self, title_contains: str, got: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        got = self.new() if got is None else got
        for entry in got:
            card = entry.get("template_card", {})
            if entry.get("msgtype") == "template_card" and title_contains in card["main_title"]["title"]:
                return entry
        raise AssertionError(f"{self.user} got no card titled like {title_contains!r}; got {got}")

    def expect(
        self, *, text: str | None = None, card_update: str | None = None, card: str | None = None
    ) -> list[dict[str, Any]]:
        """Several things at once (a tap usually brings a text, a card update and maybe a new card)."""
        got = self.new()
        if card is not None:
            self.expect_card(card, got)
        if text is not None:
            assert any(text in e.get("content", "") for e in got), f"no text with {text!r} in {got}"
        if card_update is not None:
            assert any(
                e.get("api") == "update" and card_update in (e.get("template_card") or {}).get("replace_text", "")
                for e in got
            ), f"no card update with {card_update!r} in {got}"
        return got

    def expect_nothing(self) -> None:
        got = self.new()
        assert not got, f"{self.user} was not supposed to get anything; got {got}"


def card_words(entry: dict[str, Any]) -> str:
    """Every word a card shows, wherever its layout puts them (title, description, sub-title, rows, buttons):
    tests assert what a person reads, not which field of the card carries it."""
    card = entry.get("template_card") or entry.get("card") or entry
    words: list[str] = []

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, str):
            if key not in {"task_id", "key", "url", "type", "card_type", "id", "question_key", "response_code"}:
                words.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    walk(card)
    return "\n".join(words)
