"""The local simulator: fake WeCom and DingTalk APIs and a phone-like chat page. Mounted only when
CADREBOT_SIM is on."""

from __future__ import annotations

from fastapi import FastAPI

from bot.config import Settings


def mount(app: FastAPI, settings: Settings) -> None:
    from bot.sim import chat, fake_dingtalk, fake_wecom

    api = fake_wecom.build_router(settings)
    ding = fake_dingtalk.build_router(settings)
    routers = [api, ding, *([chat.build_router(settings, api.fake, ding.fake)] if settings.wecom_receives else [])]
    for router in routers:
        app.router.routes.extend(router.routes)  # flat, as the app's own: the fakes sit on the benchmarks' path
