"""The simulator's phone-like chat page and its small API.

A message typed on the page becomes a real encrypted, signed WeCom callback POSTed to this server's own
/wecom/callback, and card taps become template_card_event callbacks, so the page exercises exactly the
path WeCom does. Played as a DingTalk user, a message is a signed robot callback to /dingtalk/robot (with a
sessionWebhook from the fake DingTalk API) and a tap a signed card callback to /dingtalk/card/callback.
What the bot sends comes back from the fake API's record.
"""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.config import Settings
from bot.roles import ROLE_LABELS, Role
from bot.sim.callbacks import CallbackFactory
from bot.sim.dingtalk_callbacks import DingCallback, DingTalkCallbackFactory
from bot.sim.fake_dingtalk import FakeDingTalk, view
from bot.sim.fake_wecom import FakeWeCom
from bot.store.db import get_engine, session_scope
from bot.store.tables import Person

STATIC = Path(__file__).with_name("static")


Platform = Literal["wecom", "dingtalk"]


class Say(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    text: str = Field(max_length=10_000)
    platform: Platform = "wecom"


class Tap(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    task_id: str = Field(min_length=1, max_length=128)
    key: str = Field(min_length=1, max_length=1024)
    label: str | None = None
    selections: dict[str, list[str]] = Field(default_factory=dict)
    platform: Platform = "wecom"


class Attach(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    kind: str = Field(pattern="^(image|location|voice)$")
    latitude: float = 30.2741
    longitude: float = 120.1551
    label: str = "李家村村委会"
    platform: Platform = "wecom"


def build_router(settings: Settings, fake: FakeWeCom, ding_fake: FakeDingTalk | None = None) -> APIRouter:
    assert settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id
    factory = CallbackFactory(
        settings.wecom_token.get_secret_value(),
        settings.wecom_aes_key.get_secret_value(),
        settings.wecom_corp_id,
        settings.wecom_agent_id or 1000002,
    )
    ding = None
    if ding_fake is not None and settings.dingtalk_client_id and settings.dingtalk_client_secret:
        ding = DingTalkCallbackFactory(settings.dingtalk_client_id, settings.dingtalk_client_secret.get_secret_value())
    router = APIRouter(prefix="/sim")

    def remember(user: str, entry: dict[str, Any], platform: Platform = "wecom") -> None:
        entry["at"] = time.time()
        fake.redis.rpush(chat_key(platform, user), json.dumps(entry, ensure_ascii=False))

    def dingtalk() -> tuple[DingTalkCallbackFactory, FakeDingTalk]:
        if ding is None or ding_fake is None:
            raise HTTPException(400, "钉钉未配置（CADREBOT_DINGTALK_CLIENT_ID / CLIENT_SECRET）")
        return ding, ding_fake

    async def deliver_ding(request: Request, callback: DingCallback) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            resp = await client.post(callback.path, headers=callback.headers, content=callback.content)
        return {"status": resp.status_code, "body": resp.text}

    def session_of(request: Request, user: str) -> dict[str, Any]:
        _, api = dingtalk()
        url, expires = api.open_session(user, str(request.base_url).rstrip("/"))
        return {"session_webhook": url, "session_expires_ms": expires}

    async def deliver(request: Request, plaintext: str) -> dict[str, Any]:
        callback = factory.envelope(plaintext)
        base = str(request.base_url).rstrip("/")
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            resp = await client.post(
                "/wecom/callback", params=callback.params, content=callback.body, headers={"Content-Type": "text/xml"}
            )
        return {"status": resp.status_code, "body": resp.text}

    @router.get("", include_in_schema=False)
    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @router.get("/api/people")
    async def people() -> JSONResponse:
        def load() -> list[dict[str, Any]]:
            with session_scope(get_engine(settings.database_url)) as s:
                rows = s.scalars(select(Person).where(Person.active.is_(True), Person.wecom_userid.is_not(None)))
                return [
                    {
                        "user": p.wecom_userid,
                        "dingtalk": p.dingtalk_userid if ding is not None else None,
                        "name": p.name,
                        "roles": [ROLE_LABELS[Role(r)] for r in p.roles if r in Role._value2member_map_],
                        "org": p.org.path,
                    }
                    for p in sorted(rows, key=lambda p: (p.org.path, p.id))
                ]

        return JSONResponse(await run_in_threadpool(load))

    @router.post("/api/say")
    async def say(body: Say, request: Request) -> JSONResponse:
        if body.platform == "dingtalk":
            make, _ = dingtalk()
            session = await run_in_threadpool(session_of, request, body.user)
            await run_in_threadpool(remember, body.user, {"from": "me", "type": "text", "text": body.text}, "dingtalk")
            return JSONResponse(await deliver_ding(request, make.text(body.user, body.text, **session)))
        await run_in_threadpool(remember, body.user, {"from": "me", "type": "text", "text": body.text})
        return JSONResponse(await deliver(request, factory.text(body.user, body.text)))

    @router.post("/api/attach")
    async def attach(body: Attach, request: Request) -> JSONResponse:
        if body.platform == "dingtalk":
            if body.kind != "image":  # a DingTalk robot receives neither locations nor, in this page, voice
                raise HTTPException(400, "钉钉机器人收不到位置和语音，请发文字或图片")
            make, _ = dingtalk()
            session = await run_in_threadpool(session_of, request, body.user)
            await run_in_threadpool(remember, body.user, {"from": "me", "type": "text", "text": "[图片]"}, "dingtalk")
            code = "sim-pic-" + str(int(time.time() * 1000))
            return JSONResponse(await deliver_ding(request, make.picture(body.user, code, **session)))
        if body.kind == "image":
            plaintext, shown = factory.image(body.user), "[图片]"
        elif body.kind == "voice":
            plaintext, shown = factory.voice(body.user), "[语音]"
        else:
            plaintext = factory.location(body.user, body.latitude, body.longitude, body.label)
            shown = f"[位置] {body.label}"
        await run_in_threadpool(remember, body.user, {"from": "me", "type": "text", "text": shown})
        return JSONResponse(await deliver(request, plaintext))

    @router.post("/api/tap")
    async def tap(body: Tap, request: Request) -> JSONResponse:
        if body.platform == "dingtalk":
            make, _ = dingtalk()
            shown = f"点击了「{body.label}」" if body.label else "点击了卡片按钮"
            await run_in_threadpool(remember, body.user, {"from": "me", "type": "tap", "text": shown}, "dingtalk")
            callback = make.card_tap(body.user, body.task_id, body.key, body.selections or None)
            return JSONResponse(await deliver_ding(request, callback))
        code = await run_in_threadpool(fake.issue_response_code, body.task_id, [body.user.lower()])
        shown = f"点击了「{body.label}」" if body.label else "点击了卡片按钮"
        await run_in_threadpool(remember, body.user, {"from": "me", "type": "tap", "text": shown})
        plaintext = factory.card_tap(body.user, body.task_id, body.key, code, body.selections or None)
        return JSONResponse(await deliver(request, plaintext))

    @router.post("/api/open")
    async def open_app(body: Say, request: Request) -> JSONResponse:
        if body.platform == "dingtalk":  # DingTalk tells a robot nothing when its chat is opened
            return JSONResponse({"status": 204, "body": ""})
        return JSONResponse(await deliver(request, factory.event(body.user, "enter_agent")))

    @router.get("/api/timeline")
    async def timeline(user: str, platform: Platform = "wecom") -> JSONResponse:
        if not user or len(user) > 64:
            raise HTTPException(400, "user required")
        if platform == "dingtalk":
            _, api = dingtalk()
            return JSONResponse(
                await run_in_threadpool(
                    lambda: build_timeline(fake.redis, "dingtalk", user, [view(e) for e in api.inbox(user)])
                )
            )
        return JSONResponse(
            await run_in_threadpool(lambda: build_timeline(fake.redis, "wecom", user, fake.inbox(user)))
        )

    return router


def chat_key(platform: Platform, user: str) -> str:
    return f"sim:chat:{user.lower()}" if platform == "wecom" else f"sim:chat:{platform}:{user.lower()}"


def build_timeline(redis: Any, platform: Platform, user: str, inbox: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as the person's phone would show it: their messages, the bot's messages, and
    each card in its latest state. `inbox` is what the fake API delivered to them, in WeCom's shapes."""
    mine = [json.loads(x) for x in redis.lrange(chat_key(platform, user), 0, -1)]
    items: list[dict[str, Any]] = list(mine)
    latest: dict[str, dict[str, Any]] = {}
    for entry in inbox:
        if entry.get("api") == "update":
            latest[entry["task_id"]] = entry
            continue
        msgtype = entry.get("msgtype")
        if msgtype in ("text", "markdown"):
            items.append({"from": "bot", "type": msgtype, "text": entry.get("content", ""), "at": entry["at"]})
        elif msgtype == "textcard":
            card = entry.get("textcard") or {}
            text = re.sub(r"<[^>]+>", "\n", card.get("description", "")).strip()
            items.append(
                {
                    "from": "bot",
                    "type": "text",
                    "text": f"【{card.get('title', '')}】\n{html.unescape(text)}",
                    "url": card.get("url"),
                    "button": card.get("btntxt") or "详情",
                    "at": entry["at"],
                }
            )
        elif msgtype == "template_card":
            items.append(
                {
                    "from": "bot",
                    "type": "card",
                    "task_id": entry.get("task_id"),
                    "card": entry.get("template_card"),
                    "at": entry["at"],
                }
            )
        else:
            items.append({"from": "bot", "type": "text", "text": f"[{msgtype}]", "at": entry["at"]})
    for item in items:
        if item.get("type") == "card" and item.get("task_id") in latest:
            update = latest[item["task_id"]]
            if update.get("template_card"):
                item["card"] = update["template_card"]
            if update.get("replace_name"):
                item["card"] = {**item["card"], "replace_text": update["replace_name"]}
    items.sort(key=lambda i: i["at"])
    return items
