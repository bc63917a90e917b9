"""The FastAPI application: platform webhooks, /healthz, /metrics and, when enabled, the simulator."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from bot import metrics
from bot.config import Settings, get_settings
from bot.console.routes import build_router as console_router
from bot.exports import build_router as exports_router
from bot.platforms.dingtalk.card_routes import build_router as dingtalk_cards_router
from bot.platforms.dingtalk.routes import build_router as dingtalk_router
from bot.platforms.wecom.routes import build_router as wecom_router
from bot.queue import redis_client
from bot.store.db import get_engine

log = logging.getLogger("cadrebot.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="cadrebot", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    # Flat, not include_router: FastAPI matches an included router through a wrapper on every request.
    for router in (
        wecom_router(settings),
        dingtalk_router(settings),
        dingtalk_cards_router(settings),
        exports_router(settings),
        console_router(settings),
    ):
        app.router.routes.extend(router.routes)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        checks = await run_in_threadpool(health, settings)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        body = await run_in_threadpool(metrics.render, settings)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    if settings.sim:
        from bot.sim import mount

        mount(app, settings)
    return app


def health(settings: Settings) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with get_engine(settings.database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis_client(settings.redis_url).ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    return checks


def app_from_env() -> FastAPI:
    """uvicorn factory entry point (cadrebot serve)."""
    from bot.logs import setup_logging
    from bot.startup import checked_settings

    settings = checked_settings()
    setup_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    # What is loaded now lives as long as the process: out of the collector's sight, a collection under load
    # walks only what requests made, and stops the loop for less.
    gc.collect()
    gc.freeze()
    return app
