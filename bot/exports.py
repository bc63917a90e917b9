"""Downloads behind signed links: GET /exports/patrols.xlsx?token=… (the monthly 巡查台账).

The token says who asked and for which org and month; the person's standing (active, role, scope) is checked
again here, at download time, so a link stops working once the person loses the role or moves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from bot.config import Settings
from bot.links import BadLink, verify
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Org, Person
from handlers.orgs import scope_of, within
from handlers.patrol.ledger import ledger_bytes, ledger_filename, ledger_rows, parse_month

log = logging.getLogger("cadrebot.exports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str
    fallback: str


def check_token(secret: str, token: str, now: datetime) -> dict[str, Any]:
    """The payload, or Refused: 410 for a genuine but expired link, 403 for anything else."""
    try:
        return verify(secret, token, now)
    except BadLink as exc:
        try:
            verify(secret, token, EPOCH)  # passes only when the signature is good and time is all that failed
        except BadLink:
            raise Refused(403, str(exc)) from None
        raise Refused(410, str(exc)) from None


def patrol_ledger(settings: Settings, payload: dict[str, Any], now: datetime) -> Download:
    person_id, org_path, month = payload.get("p"), payload.get("org"), payload.get("month")
    if payload.get("kind") != "patrols" or not isinstance(person_id, int) or not isinstance(org_path, str):
        raise Refused(403, "链接无效")
    try:
        year, mon = parse_month(str(month))
    except ValueError:
        raise Refused(403, "链接无效") from None
    month_text = f"{year:04d}-{mon:02d}"
    with session_scope(get_engine(settings.database_url)) as session:
        person = session.get(Person, person_id)
        if person is None or not person.active:
            raise Refused(403, "您的账号已停用或不在名册中，无法下载。如有疑问请联系管理员。")
        scope = scope_of(session, person.org_id, person.roles)
        if scope is None:
            raise Refused(403, "您没有查看巡查台账的权限。")
        if not within(org_path, scope.path):
            raise Refused(403, f"您只能查看{scope.name}范围内的巡查台账。")
        org = session.scalar(select(Org).where(Org.path == org_path))
        if org is None:
            raise Refused(404, f"找不到组织「{org_path}」，可能已调整，请在聊天中重新获取链接。")
        rows = ledger_rows(session, org, year, mon)
        body = ledger_bytes(session, org, year, mon, ZoneInfo(settings.timezone), now, rows)
        session.add(
            AuditLog(
                at=now,
                actor_person_id=person.id,
                actor=person.name,
                action="export.patrols",
                target=f"{org.path} {month_text}"[:200],
                detail={"records": len(rows), "via": "link"},
            )
        )
        return Download(body, ledger_filename(org, month_text), f"patrols-{month_text}.xlsx")


def content_disposition(filename: str, fallback: str) -> str:
    # old clients read the ASCII name; everything current reads filename* (RFC 5987/6266)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    secret = settings.link_secret.get_secret_value() if settings.link_secret else ""

    @router.get("/exports/patrols.xlsx")
    async def patrols(token: str = "") -> Response:
        if not secret:
            return JSONResponse({"detail": "下载链接功能尚未启用（未配置 CADREBOT_LINK_SECRET），请联系管理员。"}, 503)
        now = datetime.now(UTC)
        try:
            if not token:
                raise Refused(403, "链接不完整，请在聊天中重新获取")
            payload = check_token(secret, token, now)
            download = await run_in_threadpool(patrol_ledger, settings, payload, now)
        except Refused as exc:
            log.info("export refused", extra={"status": exc.status, "reason": exc.detail})
            return JSONResponse({"detail": exc.detail}, exc.status)
        return Response(
            download.body,
            media_type=XLSX,
            headers={
                "Content-Disposition": content_disposition(download.filename, download.fallback),
                "Cache-Control": "no-store",
            },
        )

    return router
