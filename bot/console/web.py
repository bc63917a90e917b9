"""What every 工作台 page shares: the signed-in viewer and their area, the guard around each page (session, role,
CSRF on every POST, bounded bodies), the audit row written in the transaction it records, and acting through
the features' own functions — the same ones the chat's cards call — with their messages sent through the outbox.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, joinedload
from starlette.datastructures import FormData, UploadFile

from bot import outbox
from bot.config import Settings
from bot.console.nav import MANAGE
from bot.console.pages import HEADERS, notice, page
from bot.console.scope import Area, area_of, mask_phone, mask_text
from bot.dispatch import queue_deliveries
from bot.models import Actor, CardUpdate, Event, Inbound, Kind, MarkdownReply, Outgoing, TextReply
from bot.respond import context_for
from bot.roles import MANAGER_FIRST, Role
from bot.store import logins
from bot.store.db import get_engine, session_scope
from bot.store.tables import AuditLog, Person
from handlers.context import Context

log = logging.getLogger("cadrebot.console")
COOKIE = "cadrebot_console"
NEXT_COOKIE = "cadrebot_console_next"


def safe_next(target: str | None) -> str | None:
    """A page of this console to return to after signing in; anything else (another site, //host) is dropped."""
    if not target or len(target) > 512 or not target.startswith("/console/"):
        return None
    if "//" in target or "\\" in target or ".." in target or any(ord(c) < 32 for c in target):
        return None
    return target


FORM_LIMIT = 64 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024  # a county's roster as XLSX is well under 1 MB


@dataclass(frozen=True)
class Viewer:
    person_id: int
    name: str
    roles: tuple[str, ...]
    role_text: str  # their roles' Chinese names, manager-first
    org_id: int
    org_path: str
    area: Area
    csrf: str
    session_id: int
    platform: str  # where the chat reaches them
    platform_user: str

    @property
    def admin(self) -> bool:
        return Role.ADMIN.value in self.roles

    def has(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)

    def phone(self, number: str | None) -> str:
        return (number or "") if self.admin else mask_phone(number)

    def text(self, value: str | None) -> str:
        return (value or "") if self.admin else mask_text(value)

    def actor(self) -> Actor:
        return Actor(
            person_id=self.person_id,
            name=self.name,
            roles=list(self.roles),
            org_id=self.org_id,
            org_path=self.org_path,
            platform=self.platform,
            platform_user=self.platform_user,
        )


@dataclass
class Call:
    """One request to a page: who asks, what they sent, and the console's shared pieces."""

    request: Request
    viewer: Viewer
    console: Console
    form: FormData | None = None

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default).strip()

    def path(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) else None

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        return page(template, status, viewer=self.viewer, csrf=self.viewer.csrf, here=self.request.url.path, **values)


@dataclass
class Done:
    """What acting through a feature left for the page: what the feature would have said to the person in the
    chat (shown on the page instead), and the outbox rows it wrote for others."""

    said: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


class Console:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.console_secret.get_secret_value() if settings.console_secret else ""
        self.secure = bool(settings.public_url and settings.public_url.startswith("https://"))
        self.engine = get_engine(settings.database_url)
        self.tz = ZoneInfo(settings.timezone)

    def now(self) -> datetime:
        return datetime.now(UTC)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as s:
            yield s

    # -- who is asking ---------------------------------------------------------------------------------

    def viewer(self, request: Request) -> Viewer | None:
        with self.session() as s:
            return self.viewer_in(s, request.cookies.get(COOKIE))

    def viewer_in(self, s: Session, cookie: str | None) -> Viewer | None:
        signed = logins.signed_in(s, self.secret, cookie, self.now())
        if signed is None:
            return None
        person = s.get(Person, signed.person_id, options=[joinedload(Person.org), joinedload(Person.role_rows)])
        assert person is not None  # the session's query joined it
        held = sorted((Role(r) for r in person.roles if r in MANAGER_FIRST), key=MANAGER_FIRST.index)
        # the chat they signed in from is where the console's messages to them go
        platform, user = outbox.address_of(person, signed.via if signed.via != "link" else "wecom") or ("wecom", "")
        return Viewer(
            person_id=person.id,
            name=person.name,
            roles=tuple(r.value for r in held),
            role_text="、".join(r.label for r in held) or "成员",
            org_id=person.org_id,
            org_path=person.org.path,
            area=area_of(s, person.org_id, person.roles),
            csrf=signed.csrf,
            session_id=signed.session_id,
            platform=platform,
            platform_user=user,
        )

    # -- pages -----------------------------------------------------------------------------------------

    def off(self) -> Response:
        return notice("工作台尚未启用", "管理员尚未配置工作台（CADREBOT_CONSOLE_SECRET），请联系管理员。", 503)

    def route(
        self,
        router: APIRouter,
        path: str,
        *,
        methods: tuple[str, ...] = ("GET",),
        roles: tuple[Role, ...] | None = MANAGE,
        upload: bool = False,
    ) -> Callable[[Callable[[Call], Response]], Callable[[Call], Response]]:
        """A page: signed in (else to /console, which signs in), holding one of `roles` (None: anyone on the roster),
        a POST with the session's CSRF token and a body within bounds. The page itself runs off the event loop."""

        def register(fn: Callable[[Call], Response]) -> Callable[[Call], Response]:
            async def endpoint(request: Request) -> Response:
                if not self.secret:
                    return self.off()
                viewer = await run_in_threadpool(self.viewer, request)
                if viewer is None:
                    if request.method != "GET":
                        return notice("登录已失效", "请重新打开工作台后再试。", 401, ("重新登录", "/console"))
                    # signed in first, then back to this page (a link from the chat names one task or notice)
                    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/console?{urlencode({'next': back})}", status_code=303, headers=HEADERS)
                if roles is not None and not viewer.has(*roles):
                    return notice("没有权限", "您的角色不能使用这个页面。", 403, ("返回总览", "/console"))
                form = None
                if request.method == "POST":
                    form = await self.read_form(request, upload)
                    if form is None:
                        return notice("提交的内容过大", "请缩小文件或内容后再试。", 413, ("返回", path_back(request)))
                    token = request.headers.get("x-csrf-token") or form.get("csrf")
                    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), viewer.csrf.encode()):
                        return notice("请求无效", "页面已过期，请刷新后再试。", 403, ("返回", path_back(request)))
                call = Call(request=request, viewer=viewer, console=self, form=form)
                try:
                    return await run_in_threadpool(fn, call)
                finally:
                    if form is not None:
                        await form.close()

            router.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False)
            return fn

        return register

    async def read_form(self, request: Request, upload: bool) -> FormData | None:
        """The posted form, or None when it is bigger than a form (or an upload) may be."""
        limit = UPLOAD_LIMIT if upload else FORM_LIMIT
        try:
            declared = int(request.headers.get("content-length", "0"))
        except ValueError:
            return None
        if declared > limit:
            return None
        try:
            return await request.form(max_files=1 if upload else 0, max_fields=200, max_part_size=limit)
        except Exception:  # starlette raises its own errors for a malformed or oversized body
            log.info("console form refused", exc_info=True)
            return None

    def not_found(self) -> Response:
        """The answer for an id that does not exist and for one outside the viewer's area: the same 404."""
        return notice("找不到这条记录", "记录不存在，或不在您管理的范围内。", 404, ("返回总览", "/console"))

    # -- acting ------------------------------------------------------------------------------------------

    def audit(self, s: Session, viewer: Viewer, action: str, target: str | None = None, **detail: object) -> None:
        """In the transaction of what it records: the action and its audit row stand or fall together."""
        s.add(
            AuditLog(
                at=self.now(),
                actor_person_id=viewer.person_id,
                actor=viewer.name,
                action=action,
                target=target,
                detail={"via": "console", **detail},
            )
        )

    def context(self, s: Session, viewer: Viewer) -> Context:
        """A feature's Context for the viewer acting from the console: what the feature says to "the sender"
        comes back to the page (Done.said); what it sends to others goes out through the outbox as usual."""
        now = self.now()
        inbound = Inbound(
            platform=viewer.platform,
            tenant="console",
            sender=viewer.platform_user,
            message_id=f"console:{uuid.uuid4().hex}",
            dedup_key=f"console:{uuid.uuid4().hex}",
            created_at=now,
            kind=Kind.EVENT,
            event=Event(name="console"),
        )
        return context_for(self.settings, s, viewer.actor(), inbound, now)

    def finish(self, s: Session, ctx: Context) -> Done:
        """Split what the feature produced: its words to the viewer for the page, the rest into the outbox."""
        done = Done()
        onward: list[Outgoing] = []
        for item in ctx.out:
            reply = item.reply
            if item.person_id is None and item.person_ids is None:
                if isinstance(reply, TextReply | MarkdownReply):
                    done.said.append(reply.text)
                    continue
                if isinstance(reply, CardUpdate) and not reply.retire:
                    continue  # the tapped card's new look: there is no tapped card here
            onward.append(item)
        sender = s.get(Person, ctx.actor.person_id)
        done.outbox_ids = outbox.write(s, onward, ctx.now, platform=ctx.actor.platform, sender=sender)
        return done

    def send(self, done: Done) -> None:
        """After the commit: queue the deliveries; if Redis is away, the outbox sweeper sends them later."""
        try:
            queue_deliveries(self.settings, done.outbox_ids)
        except RedisError:
            log.warning("console: could not queue delivery now; the sweeper will", extra={"outbox": done.outbox_ids})


def path_back(request: Request) -> str:
    return request.url.path if request.url.path.startswith("/console") else "/console"
