"""A stand-in for WeCom's server API at the same paths, with WeCom's error codes and behaviour.

  GET  /cgi-bin/gettoken                    corpid + corpsecret → access_token (7200 s)
  POST /cgi-bin/message/send                text, markdown, textcard, template_card
  POST /cgi-bin/message/update_template_card

It behaves like WeCom where that matters for "nothing lost, nothing twice": 40014/41001/42001 for bad,
missing or expired tokens; recipients outside the roster reported in `invaliduser` (81013 when all are);
more than 30 messages a minute to one member dropped silently; identical requests suppressed when
`enable_duplicate_check` is on; text over 2048 bytes truncated silently; task_id rules (42014).
Faults can be switched on per API (an errcode, an HTTP status or a delay, for the next N calls).

Everything it was sent is recorded in Redis, so the workers, the API and the tests share one record.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import NoScriptError
from sqlalchemy import select

from bot.config import Settings
from bot.queue import redis_client
from bot.sim.faults import SimulatedPlatform, Spec, add_control_routes, fault_answer, json_body
from bot.store.db import get_engine, session_scope
from bot.store.tables import Person
from cards import wecom_limits
from cards.wecom_limits import problems

PREFIX = "sim:wecom"
CARD_TYPES = set(wecom_limits.CARD_TYPES)
INTERACTIVE = set(wecom_limits.INTERACTIVE)
CARD_ERRORS = (  # the first problem found → the errcode WeCom gives for it (90313)
    ("task_id", 42014),
    ("main_title", 42033),
    ("card_action", 42045),
    ("horizontal_content_list:", 42035),
    ("horizontal_content_list[", 42027),
    ("button_list[", 42038),
    ("button_list", 42038),
    ("button_selection", 42037),
    ("checkbox", 42037),
    ("select_list", 42047),
    ("submit_button", 42049),
    ("keys must be unique", 42039),
)
MSG_TYPES = {"text", "markdown", "textcard", "template_card", "image", "voice", "video", "file", "news", "mpnews"}
PER_MEMBER_PER_MINUTE = 30
TEXT_LIMIT = 2048


def err(code: int, msg: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": msg}


class FakeWeCom(SimulatedPlatform):
    prefix = PREFIX

    def __init__(self, settings: Settings, redis: Redis | None = None) -> None:
        self.settings = settings
        self.redis = redis or redis_client(settings.redis_url)
        self._users: tuple[float, set[str]] = (0.0, set())
        self._rate_script = self.redis.register_script(self._RATE)
        self._accept_script = self.redis.register_script(self._ACCEPT)

    # -- state helpers ------------------------------------------------------------------------------
    def known_users(self, left: set[str] | None = None) -> set[str]:
        at, users = self._users
        if time.monotonic() - at > 2:
            with session_scope(get_engine(self.settings.database_url)) as s:
                users = {u.lower() for u in s.scalars(select(Person.wecom_userid).where(Person.active.is_(True))) if u}
            self._users = (time.monotonic(), users)
        if left is None:
            left = {u.decode() if isinstance(u, bytes) else u for u in self.redis.smembers(f"{PREFIX}:left")}
        return users - left

    def leave(self, user: str) -> None:
        """A member who left the company (or the app's visible range): WeCom reports them in invaliduser."""
        self.redis.sadd(f"{PREFIX}:left", user.lower())

    def inbox_key(self, user: str) -> str:
        return f"{PREFIX}:inbox:{user.lower()}"  # WeCom user ids are case-insensitive

    def check_token(self, token: str | None) -> dict[str, Any] | None:
        return self._token_and_left(token)[0]

    def _token_and_left(self, token: str | None) -> tuple[dict[str, Any] | None, set[str]]:
        """The token's standing and who has left, in one round trip."""
        if not token:
            return err(41001, "access_token missing"), set()
        pipe = self.redis.pipeline(transaction=False)
        self._probe_token(pipe, token)
        return self._standing(pipe.execute())

    def _probe_token(self, pipe: Pipeline, token: str) -> None:
        pipe.exists(f"{PREFIX}:token:{token}")
        pipe.exists(f"{PREFIX}:expired:{token}")
        pipe.smembers(f"{PREFIX}:left")

    @staticmethod
    def _standing(replies: list[Any]) -> tuple[dict[str, Any] | None, set[str]]:
        valid, expired, left = replies
        gone = {u.decode() for u in left}
        if valid:
            return None, gone
        if expired:
            return err(42001, "access_token expired"), gone
        return err(40014, "invalid access_token"), gone

    def probe_send(self, token: str | None) -> tuple[Spec | None, tuple[dict[str, Any] | None, set[str]]]:
        """The send API's fault switch and the token's standing, in one round trip."""
        if not token:
            return self.fault("send"), (err(41001, "access_token missing"), set())
        pipe = self.redis.pipeline(transaction=False)
        self.probe_fault(pipe, "send")
        self._probe_token(pipe, token)
        armed, latency, *standing = pipe.execute()
        return self.fault_from_probe("send", armed, latency), self._standing(standing)

    def expire_tokens(self) -> int:
        count = 0
        for key in self.redis.scan_iter(f"{PREFIX}:token:*"):
            token = key.decode().rsplit(":", 1)[1]
            self.redis.set(f"{PREFIX}:expired:{token}", 1, ex=7200)
            self.redis.delete(key)
            count += 1
        return count

    # -- the API ------------------------------------------------------------------------------------
    def gettoken(self, corpid: str | None, secret: str | None) -> dict[str, Any]:
        if corpid != self.settings.wecom_corp_id:
            return err(40013, "invalid corpid")
        expected = self.settings.wecom_secret.get_secret_value() if self.settings.wecom_secret else None
        if not secret or secret != expected:
            return err(40001, "invalid credential")
        token = "sim-" + secrets.token_hex(24)
        self.redis.set(f"{PREFIX}:token:{token}", 1, ex=7200)
        self.redis.incr(f"{PREFIX}:stats:gettoken")
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    _RATE = """
    local key, now, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
    redis.call("ZREMRANGEBYSCORE", key, "-inf", now - 60)
    if redis.call("ZCARD", key) >= limit then return 0 end
    redis.call("ZADD", key, now, ARGV[3])
    redis.call("EXPIRE", key, 120)
    return 1
    """

    def _within_rate(self, users: list[str]) -> list[bool]:
        """Per member: may WeCom deliver one more message this minute (it drops the 31st silently)?"""
        now = time.time()
        for attempt in (1, 2):
            # EVALSHA straight into the pipeline: a Script in a pipeline costs a SCRIPT EXISTS round trip each time
            pipe = self.redis.pipeline(transaction=False)
            for user in users:
                pipe.evalsha(
                    self._rate_script.sha, 1, f"{PREFIX}:rate:{user}", now, PER_MEMBER_PER_MINUTE, secrets.token_hex(8)
                )
            try:
                return [bool(ok) for ok in pipe.execute()]
            except NoScriptError:
                if attempt == 2:
                    raise
                self.redis.script_load(self._RATE)  # Redis restarted: scripts are not kept
        raise AssertionError("unreachable")

    # Accepting a message is one atomic step, as on WeCom's side: the task id taken, the content remembered for
    # the duplicate check, the message in the log and the inboxes — all of it, or (Redis gone mid-way) none.
    _ACCEPT = """
    local task, digest, log = KEYS[1], KEYS[2], KEYS[3]
    local data, check, interval, now, suppressed = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
    if task ~= "" and redis.call("EXISTS", task) == 1 then return "task_exists" end
    local seq = redis.call("INCR", KEYS[4])
    local function numbered(text)  -- the entry's sequence number is known only here
      local at = string.find(text, '"seq": 0', 1, true)
      return string.sub(text, 1, at - 1) .. '"seq": ' .. seq .. string.sub(text, at + 8)
    end
    data, suppressed = numbered(data), numbered(suppressed)
    if check == "1" then
      local last = redis.call("GET", digest)
      if last and now - tonumber(last) < interval then
        redis.call("RPUSH", log, suppressed)
        return "duplicate"
      end
    end
    redis.call("SET", digest, now, "EX", 14400)
    if task ~= "" then redis.call("SET", task, 1, "EX", 2592000) end
    redis.call("RPUSH", log, data)
    if KEYS[5] ~= "" then redis.call("SET", KEYS[5], ARGV[6], "EX", 259200) end
    for i = 6, #KEYS do redis.call("RPUSH", KEYS[i], data) end
    return "ok"
    """

    def _accept(
        self, body: dict[str, Any], entry: dict[str, Any], users: list[str], response_code: str | None = None
    ) -> str:
        content = {k: v for k, v in body.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
        digest = hashlib.sha1(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        task_id = entry.get("task_id") if entry.get("msgtype") == "template_card" else None
        entry = {"seq": 0, **entry, "at": time.time()}  # the script numbers it
        suppressed = {**entry, "status": "suppressed_duplicate", "touser": []}
        keys = [
            f"{PREFIX}:task:{task_id}" if task_id else "",
            f"{PREFIX}:dup:{digest}",
            f"{PREFIX}:log",
            f"{PREFIX}:seq",
            f"{PREFIX}:rc:{response_code}" if response_code else "",
            *[f"{PREFIX}:inbox:{u.lower()}" for u in users],
        ]
        args = [
            json.dumps(entry, ensure_ascii=False),
            "1" if body.get("enable_duplicate_check") else "0",
            int(body.get("duplicate_check_interval") or 1800),
            entry["at"],
            json.dumps(suppressed, ensure_ascii=False),
            json.dumps({"task_id": task_id, "users": users}) if response_code else "",
        ]
        result = self._accept_script(keys=keys, args=args)
        return result.decode() if isinstance(result, bytes) else str(result)

    def _check_card(self, card: dict[str, Any]) -> dict[str, Any] | None:
        """WeCom's template_card rules (cards/wecom_limits.py), answered with WeCom's error codes."""
        card_type = card.get("card_type")
        if card_type not in CARD_TYPES:
            return err(42031, "invalid card_type")
        found = problems(card)
        if found:
            first = found[0]
            code = next((c for prefix, c in CARD_ERRORS if first.startswith(prefix)), 40058)
            return err(code, first)
        return None  # a task id already used is refused by the accept script, atomically

    def send(
        self, token: str | None, body: dict[str, Any], standing: tuple[dict[str, Any] | None, set[str]] | None = None
    ) -> dict[str, Any]:
        problem, left = standing or self._token_and_left(token)
        if problem:
            return problem
        if body.get("agentid") != self.settings.wecom_agent_id:
            return err(40056, "invalid agentid")
        msgtype = body.get("msgtype")
        if msgtype not in MSG_TYPES:
            return err(40008, "invalid message type")
        users = [u for u in str(body.get("touser") or "").split("|") if u]
        if not users:
            return err(82001, "all touser toparty totag invalid")
        if len(users) > 1000:
            return err(40058, "touser exceed max 1000")
        known = self.known_users(left)
        valid = [u for u in users if u.lower() in known]
        invalid = [u.lower() for u in users if u.lower() not in known]
        if not valid:
            return err(81013, "user & party & tag all invalid")

        entry: dict[str, Any] = {"api": "send", "msgtype": msgtype, "touser": [u.lower() for u in valid]}
        truncated = False
        if msgtype in ("text", "markdown"):
            content = str((body.get(msgtype) or {}).get("content") or "")
            if not content:
                return err(44004, "empty content")
            raw = content.encode()
            if len(raw) > TEXT_LIMIT:  # WeCom truncates silently
                content = raw[:TEXT_LIMIT].decode(errors="ignore")
                truncated = True
            entry["content"] = content
        elif msgtype == "template_card":
            card = body.get("template_card") or {}
            problem = self._check_card(card)
            if problem:
                return problem
            entry["template_card"] = card
            entry["task_id"] = card.get("task_id")
        elif msgtype == "textcard":
            card = body.get("textcard") or {}
            if not card.get("title") or not card.get("description") or not card.get("url"):
                return err(40058, "textcard title, description and url are required")
            if len(card["title"].encode()) > 128 or len(card["description"].encode()) > 512:
                return err(45002, "textcard too long")
            entry["textcard"] = card
        else:
            entry["payload"] = body.get(msgtype)

        msgid = secrets.token_hex(16)
        entry["msgid"] = msgid
        allowed = self._within_rate([u.lower() for u in valid])
        delivered = [u for u, ok in zip(valid, allowed, strict=True) if ok]
        dropped = [u.lower() for u, ok in zip(valid, allowed, strict=True) if not ok]
        entry["touser"] = [u.lower() for u in delivered]
        entry["status"] = "delivered"
        if truncated:
            entry["truncated"] = True
        interactive = msgtype == "template_card" and entry["template_card"].get("card_type") in INTERACTIVE
        code = secrets.token_hex(20) if interactive else None
        outcome = self._accept(body, entry, entry["touser"], code)
        if outcome == "task_exists":
            return err(42014, "taskid has existed or empty or exceed max len")
        if outcome == "duplicate":
            return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": msgid}
        if dropped:
            self.record({**entry, "touser": dropped, "status": "dropped_rate_limit"}, [])
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "msgid": msgid}
        if code:
            answer["response_code"] = code
        return answer

    # -- signing in (网页授权, 扫码登录) -------------------------------------------------------------------
    def getuserinfo(self, token: str | None, code: str | None) -> dict[str, Any]:
        problem = self.check_token(token)
        if problem:
            return problem
        raw = self.redis.getdel(f"{PREFIX}:oauth:{code}") if code else None
        if raw is None:
            return err(40029, "invalid code")
        user = raw.decode() if isinstance(raw, bytes) else str(raw)
        if user not in self.known_users():  # not a member: WeCom knows them only by an openid
            return {"errcode": 0, "errmsg": "ok", "openid": "o" + hashlib.sha1(user.encode()).hexdigest()[:27]}
        return {"errcode": 0, "errmsg": "ok", "userid": user, "user_ticket": secrets.token_hex(16)}

    def redirect_problem(self, appid: str | None, redirect_uri: str | None, agentid: str | None) -> str | None:
        """What WeCom would show instead of redirecting: a wrong corp, agent or a domain that is not 可信域名."""
        if appid != self.settings.wecom_corp_id:
            return "appid 参数错误"
        if agentid is not None and agentid != str(self.settings.wecom_agent_id):
            return "agentid 参数错误"
        if not redirect_uri or urlsplit(redirect_uri).scheme not in ("http", "https"):
            return "redirect_uri 参数错误"
        trusted = urlsplit(self.settings.public_url).netloc if self.settings.public_url else None
        if trusted and urlsplit(redirect_uri).netloc != trusted:
            return "redirect_uri 需使用应用可信域名"
        return None

    def issue_response_code(self, task_id: str, users: list[str]) -> str:
        code = secrets.token_hex(20)
        self.redis.set(f"{PREFIX}:rc:{code}", json.dumps({"task_id": task_id, "users": users}), ex=72 * 3600)
        return code

    def update_card(self, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        problem = self.check_token(token)
        if problem:
            return problem
        if body.get("agentid") != self.settings.wecom_agent_id:
            return err(40056, "invalid agentid")
        code = body.get("response_code")
        raw = self.redis.getdel(f"{PREFIX}:rc:{code}") if code else None
        if raw is None:
            return err(42016, "response_code not found or already used")
        info = json.loads(raw)
        users = [u.lower() for u in (body.get("userids") or info["users"])]
        entry: dict[str, Any] = {"api": "update", "task_id": info["task_id"], "userids": users, "status": "delivered"}
        if "template_card" in body:
            entry["template_card"] = body["template_card"]
        elif "button" in body:
            entry["replace_name"] = (body.get("button") or {}).get("replace_name")
        else:
            return err(40058, "template_card or button required")
        self.record(entry, users)
        return {"errcode": 0, "errmsg": "ok", "invaliduser": ""}


async def _apply_fault(fake: FakeWeCom, api: str) -> JSONResponse | None:
    return await _faulted(await run_in_threadpool(fake.fault, api))


async def _faulted(spec: dict[str, Any] | None) -> JSONResponse | None:
    return await fault_answer(spec, lambda _: {"error": "injected"}, lambda code: err(code, "injected fault"))


class FakeWeComRouter(APIRouter):
    """The fake's routes, carrying the fake itself for the chat page to share."""

    fake: FakeWeCom


def build_router(settings: Settings) -> FakeWeComRouter:
    fake = FakeWeCom(settings)
    router = FakeWeComRouter(prefix="/sim/wecom")

    @router.get("/cgi-bin/gettoken")
    async def gettoken(corpid: str | None = None, corpsecret: str | None = None) -> JSONResponse:
        injected = await _apply_fault(fake, "gettoken")
        if injected:
            return injected
        return JSONResponse(await run_in_threadpool(fake.gettoken, corpid, corpsecret))

    def fault_or_send(
        token: str | None, raw: bytes, check: bool = True
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """One trip to the thread pool for the usual case: no fault armed, so the message is taken."""
        spec, standing = fake.probe_send(token) if check else (None, None)
        if spec:
            return spec, {}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return None, err(47001, "data format error")
        return None, fake.send(token, body, standing)

    async def send(request: Request) -> JSONResponse:
        access_token = request.query_params.get("access_token")
        raw = await request.body()
        spec, answer = await run_in_threadpool(fault_or_send, access_token, raw)
        if spec:
            injected = await _faulted(spec)
            if injected:
                return injected
            _, answer = await run_in_threadpool(fault_or_send, access_token, raw, False)  # a delay only
        return JSONResponse(answer)

    # A plain route: the fan-out benchmark sends through it, and FastAPI's per-request work would be most of its cost
    router.add_route("/sim/wecom/cgi-bin/message/send", send, methods=["POST"])

    @router.post("/cgi-bin/message/update_template_card")
    async def update(request: Request, access_token: str | None = None) -> JSONResponse:
        injected = await _apply_fault(fake, "update")
        if injected:
            return injected
        body = await json_body(request)
        if body is None:
            return JSONResponse(err(47001, "data format error"))
        return JSONResponse(await run_in_threadpool(fake.update_card, access_token, body))

    # -- signing in: the pages a member's WeCom (or a PC browser's scan) shows, and the code exchange --------
    def sign_in(request: Request, scan: bool) -> Response:
        q = request.query_params
        problem = fake.redirect_problem(q.get("appid"), q.get("redirect_uri"), q.get("agentid") if scan else None)
        if problem is None and not scan and (q.get("response_type") != "code" or q.get("scope") != "snsapi_base"):
            problem = "scope 参数错误"
        if problem:
            return HTMLResponse(f"<p>{html.escape(problem)}</p>", status_code=400)
        user = fake.signed_in_member(request)
        if not user:
            return fake.member_chooser(request, "企业微信", fake.known_users())
        return fake.back_with_code(str(q.get("redirect_uri")), "code", user.lower(), q.get("state", ""))

    @router.get("/connect/oauth2/authorize")
    async def authorize(request: Request) -> Response:
        return await run_in_threadpool(sign_in, request, False)

    @router.get("/wwlogin/sso/login")
    async def sso_login(request: Request) -> Response:
        return await run_in_threadpool(sign_in, request, True)

    @router.get("/open-console")
    async def open_console(user: str = "") -> Response:
        """The /sim page's 「打开工作台」: sign the simulated WeCom in as `user`, then scan in to the console."""
        if not user or len(user) > 64:
            return HTMLResponse("<p>请先在 /sim 选择一位人员</p>", status_code=400)
        answer = RedirectResponse("/console/signin/wecom", status_code=303)
        answer.set_cookie(fake.member_cookie, user.lower(), path="/sim/wecom", httponly=True, samesite="lax")
        return answer

    @router.get("/cgi-bin/auth/getuserinfo")
    async def getuserinfo(access_token: str | None = None, code: str | None = None) -> JSONResponse:
        injected = await _apply_fault(fake, "getuserinfo")
        if injected:
            return injected
        return JSONResponse(await run_in_threadpool(fake.getuserinfo, access_token, code))

    add_control_routes(router, fake, "send", {"expire_tokens": fake.expire_tokens})
    return router
