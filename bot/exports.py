"""Downloads behind signed links: GET /exports/{kind}.xlsx?token=… for the monthly ledgers — patrols (巡查台账),
meetings (三会一课台账), trips (下村走访台账) and subsidy (交通补助发放明细表).

The token says which ledger, who asked, and for which org and month; the person's standing (active, role, scope)
is checked again here, at download time, so a link stops working once the person loses the role or moves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
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
from handlers.ledgers import LEDGERS, render
from handlers.ledgers_common import KINDS, parse_month
from handlers.orgs import scope_of, within
from knowledge.rules import rules_from

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


def ledger_download(settings: Settings, kind: str, payload: dict[str, Any], now: datetime) -> Download:
    """The ledger a verified token asks for, after checking the person may still have it; audited."""
    ledger = LEDGERS[kind]
    person_id, org_path, month = payload.get("p"), payload.get("org"), payload.get("month")
    if payload.get("kind") != kind:  # a link made for one ledger does not open another
        raise Refused(403, f"此链接不是{ledger.label}的下载链接，请在聊天中重新获取。")
    if not isinstance(person_id, int) or not isinstance(org_path, str):
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
            raise Refused(403, f"您没有查看{ledger.label}的权限。")
        if not within(org_path, scope.path):
            raise Refused(403, f"您只能查看{scope.name}范围内的{ledger.label}。")
        org = session.scalar(select(Org).where(Org.path == org_path))
        if org is None:
            raise Refused(404, f"找不到组织「{org_path}」，可能已调整，请在聊天中重新获取链接。")
        rendered = render(
            session, kind, org, year, mon, ZoneInfo(settings.timezone), now, rules_from(settings.rules_file)
        )
        session.add(
            AuditLog(
                at=now,
                actor_person_id=person.id,
                actor=person.name,
                action=f"export.{kind}",
                target=f"{org.path} {month_text}"[:200],
                detail={"records": rendered.records, "via": "link"},
            )
        )
        return Download(rendered.body, rendered.filename, rendered.fallback)


def content_disposition(filename: str, fallback: str) -> str:
    # old clients read the ASCII name; everything current reads filename* (RFC 5987/6266)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    secret = settings.link_secret.get_secret_value() if settings.link_secret else ""

    async def download(kind: str, token: str) -> Response:
        if not secret:
            return JSONResponse({"detail": "下载链接功能尚未启用（未配置 CADREBOT_LINK_SECRET），请联系管理员。"}, 503)
        now = datetime.now(UTC)
        try:
            if not token:
                raise Refused(403, "链接不完整，请在聊天中重新获取")
            payload = check_token(secret, token, now)
            found = await run_in_threadpool(ledger_download, settings, kind, payload, now)
        except Refused as exc:
            log.info("export refused", extra={"kind": kind, "status": exc.status, "reason": exc.detail})
            return JSONResponse({"detail": exc.detail}, exc.status)
        return Response(
            found.body,
            media_type=XLSX,
            headers={
                "Content-Disposition": content_disposition(found.filename, found.fallback),
                "Cache-Control": "no-store",
            },
        )

    def route(kind: str) -> Callable[[str], Awaitable[Response]]:
        async def endpoint(token: str = "") -> Response:
            return await download(kind, token)

        return endpoint

    # one route per kind (not /exports/{kind}.xlsx) so an unknown name is a plain 404 and each has its own name
    for kind in KINDS:
        router.add_api_route(
            f"/exports/{kind}.xlsx", route(kind), methods=["GET"], name=f"export_{kind}", summary=LEDGERS[kind].label
        )
    return router
