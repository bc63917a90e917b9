"""The console's entry: signing in (WeCom 网页授权 inside the app, 扫码登录 on a PC, a one-time link from the
chat), the session cookie, signing out. Pages check the session on every request, in the same query as the
person's standing; every form carries the session's CSRF token; sign-ins and sign-outs are audited."""

from __future__ import annotations

import hmac
import importlib
import logging
import pkgutil
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.routing import Mount

from bot.config import Settings
from bot.console import views
from bot.console.pages import HEADERS, notice, page
from bot.console.views import overview
from bot.console.web import COOKIE, NEXT_COOKIE, Call, Console, safe_next
from bot.platforms import app_of, sign_in_for
from bot.store import logins
from bot.store.db import session_scope
from bot.store.tables import AuditLog, Person

log = logging.getLogger("cadrebot.console")
STATE_COOKIE = "cadrebot_console_state"
STATIC = Path(__file__).parent / "static"
NAMES = {"wecom": "企业微信", "dingtalk": "钉钉"}


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    console = Console(settings)
    secret, secure, engine = console.secret, console.secure, console.engine
    now, off = console.now, console.off

    def signed_in_answer(person_id: int, via: str, request: Request) -> Response:
        """The session opened, its cookie set, on to the page asked for before signing in, else the 总览."""
        with session_scope(engine) as s:
            opened = logins.open_session(s, secret, person_id, via, now())
            person = s.get(Person, person_id)
            s.add(
                AuditLog(
                    at=now(),
                    actor_person_id=person_id,
                    actor=person.name if person else "?",
                    action="console.sign_in",
                    detail={"via": via},
                )
            )
        target = safe_next(request.cookies.get(NEXT_COOKIE)) or "/console"
        answer = RedirectResponse(target, status_code=303, headers=HEADERS)
        answer.delete_cookie(NEXT_COOKIE, path="/console")
        answer.set_cookie(
            COOKIE,
            opened.cookie,
            max_age=logins.SESSION_HOURS * 3600,
            path="/console",
            httponly=True,
            secure=secure,
            samesite="lax",  # lax, not strict: the sign-in arrives as a top-level redirect from WeCom
        )
        answer.delete_cookie(STATE_COOKIE, path="/console")
        return answer

    @router.get("/console")
    async def home(request: Request) -> Response:
        if not secret:
            return off()
        viewer = await run_in_threadpool(console.viewer, request)
        target = safe_next(request.query_params.get("next"))
        if viewer is None:
            return remember(target, signing_in(request))
        if target:
            return RedirectResponse(target, status_code=303, headers=HEADERS)
        return await run_in_threadpool(overview.show, Call(request=request, viewer=viewer, console=console))

    def signing_in(request: Request) -> Response:
        app = app_of(request.headers.get("user-agent", ""))
        if app == "dingtalk" and available(app) and dingtalk_corp(request):
            return in_dingtalk(request)  # the H5 micro-app: the app itself vouches for the person (免登)
        if app is not None and available(app):
            return start(app, in_app=True)  # inside the app: its own sign-in, no page to click through
        return RedirectResponse("/console/signin", status_code=303, headers=HEADERS)

    def remember(target: str | None, answer: Response) -> Response:
        """The page to return to, kept beside the sign-in (the platforms' redirects carry only the state)."""
        if target:
            answer.set_cookie(
                NEXT_COOKIE, target, max_age=600, path="/console", httponly=True, secure=secure, samesite="lax"
            )
        return answer

    @router.get("/console/signin")
    async def signin() -> Response:
        if not secret:
            return off()
        return page(
            "signin.html",
            viewer=None,
            wecom=available("wecom"),
            dingtalk=available("dingtalk"),
            link_minutes=logins.LINK_MINUTES,
        )

    def available(platform: str) -> bool:
        if platform == "wecom":
            return settings.wecom_sends
        return bool(settings.dingtalk_client_id and settings.dingtalk_client_secret)

    def start(platform: str, in_app: bool) -> Response:
        state = secrets.token_urlsafe(16)
        redirect = f"{settings.public_url or ''}/console/auth/{platform}"
        answer = RedirectResponse(sign_in_for(platform, settings).url(redirect, state, in_app), 302, headers=HEADERS)
        return with_state(answer, state)

    def with_state(answer: Response, state: str) -> Response:
        # the state comes back with the code and must match this cookie: a sign-in nobody started is refused
        answer.set_cookie(
            STATE_COOKIE, state, max_age=600, path="/console", httponly=True, secure=secure, samesite="lax"
        )
        return answer

    def dingtalk_corp(request: Request) -> str:
        """The corp id the JSAPI asks with: the settings', else the app home page's ?corpId=$CORPID$."""
        return settings.dingtalk_corp_id or request.query_params.get("corpId", "")[:64]

    def in_dingtalk(request: Request) -> Response:
        state = secrets.token_urlsafe(16)
        answer = page(
            "dingtalk_app.html",
            viewer=None,
            corp_id=dingtalk_corp(request),
            client_id=settings.dingtalk_client_id or "",
            state=state,
            jsapi=settings.dingtalk_jsapi_url,
        )
        return with_state(answer, state)

    @router.get("/console/signin/{platform}")
    async def signin_with(request: Request, platform: str) -> Response:
        if not secret:
            return off()
        if platform not in NAMES or not available(platform):
            return notice("无法这样登录", "本系统尚未接入这个平台，请用聊天中的登录链接。", 404)
        return start(platform, in_app=app_of(request.headers.get("user-agent", "")) == platform)

    @router.get("/console/auth/{platform}")
    async def auth(request: Request, platform: str, state: str = "") -> Response:
        if not secret:
            return off()
        if platform not in NAMES or not available(platform):
            return notice("无法这样登录", "本系统尚未接入这个平台。", 404)
        # WeCom names the code `code`, DingTalk's web login `authCode`
        code = request.query_params.get("code") or request.query_params.get("authCode") or ""
        expected = request.cookies.get(STATE_COOKIE, "")
        if not code or not state or not expected or not hmac.compare_digest(state.encode(), expected.encode()):
            return notice(
                "登录已失效", "这次登录没有从本页开始或已超时，请重新打开工作台。", 400, ("重新登录", "/console")
            )
        way = sign_in_for(platform, settings)
        # app=1: a code the app itself gave the page (DingTalk's 免登); else the OAuth redirect's code
        exchange = way.user_from_app_code if request.query_params.get("app") == "1" else way.user_from_code
        userid = await run_in_threadpool(exchange, code)
        if userid is None:
            return notice(
                "无法确认您的身份",
                f"{NAMES[platform]}没有确认这次登录，请重新打开工作台。",
                403,
                ("重新登录", "/console"),
            )
        person_id = await run_in_threadpool(active_person, platform, userid)
        if person_id is None:
            log.info("console sign-in refused: not on the roster", extra={"platform": platform})
            return notice("您不在名册中", f"您的{NAMES[platform]}账号不在本系统名册中或已停用，请联系管理员。", 403)
        return await run_in_threadpool(signed_in_answer, person_id, platform, request)

    def active_person(platform: str, userid: str) -> int | None:
        column = Person.wecom_userid if platform == "wecom" else Person.dingtalk_userid
        with session_scope(engine) as s:
            return s.scalar(select(Person.id).where(column == userid, Person.active.is_(True)))

    @router.get("/console/link/{token}")
    async def link(token: str) -> Response:
        if not secret:
            return off()

        def standing() -> str:
            with session_scope(engine) as s:
                return logins.link_standing(s, token, now())

        state = await run_in_threadpool(standing)
        if state != "ok":
            return link_refused(state)
        # a page to tap, not a sign-in on GET: link previews in the chat fetch the link and must not use it up
        return page("link.html", viewer=None, token=token)

    def link_refused(state: str) -> Response:
        text = {
            "used": "这个登录链接已经用过了。",
            "expired": f"这个登录链接已过期（{logins.LINK_MINUTES}分钟内有效）。",
        }.get(state, "这个登录链接无效。")
        return notice(
            "链接不能再用", text + "请在聊天中给机器人发送「工作台」重新获取。", 410 if state != "unknown" else 404
        )

    @router.post("/console/link/{token}")
    async def use_link(request: Request, token: str) -> Response:
        if not secret:
            return off()

        def take() -> tuple[int | None, str]:
            with session_scope(engine) as s:
                return logins.use_link(s, token, now()), logins.link_standing(s, token, now())

        person_id, state = await run_in_threadpool(take)
        if person_id is None:
            return link_refused(state if state != "ok" else "unknown")
        return await run_in_threadpool(signed_in_answer, person_id, "link", request)

    @console.route(router, "/console/signout", methods=("POST",), roles=None)
    def signout(call: Call) -> Response:
        with session_scope(engine) as s:
            logins.close_session(s, call.viewer.session_id, now())
            console.audit(s, call.viewer, "console.sign_out")
        answer = RedirectResponse("/console/signin", status_code=303, headers=HEADERS)
        answer.delete_cookie(COOKIE, path="/console")
        return answer

    # every page module under bot/console/views/ adds its own routes
    for found in sorted(pkgutil.iter_modules(views.__path__), key=lambda m: m.name):
        importlib.import_module(f"{views.__name__}.{found.name}").add(router, console)

    if settings.wecom_verify_file and settings.wecom_verify_text:
        proof = settings.wecom_verify_text

        async def domain_proof() -> Response:  # WeCom fetches it once when the admin sets the 可信域名
            return PlainTextResponse(proof)

        router.add_api_route(f"/{settings.wecom_verify_file}", domain_proof, methods=["GET"], include_in_schema=False)

    @router.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:  # asked for by every page without an icon of its own (/sim, /healthz)
        return FileResponse(
            STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
        )

    router.routes.append(Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"))
    return router
