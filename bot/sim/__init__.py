"""The local simulator: fake WeCom and DingTalk APIs and a phone-like chat page. Mounted only when
CADREBOT_SIM is on."""

from __future__ import annotations

from fastapi import FastAPI

from bot.config import Settings


def mount(app: FastAPI, settings: Settings) -> None:
    from bot.sim import chat, fake_dingtalk, fake_wecom

    api = fake_wecom.build_router(settings)
    app.include_router(api)
    ding = fake_dingtalk.build_router(settings)
    app.include_router(ding)
    if settings.wecom_receives:
        app.include_router(chat.build_router(settings, api.fake, ding.fake))
