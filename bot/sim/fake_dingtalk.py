"""A stand-in for DingTalk's server APIs at the same paths (under /sim/dingtalk), with DingTalk's answers.

  POST /v1.0/oauth2/accessToken              appKey + appSecret → accessToken (7200 s)
  POST /v1.0/robot/oToMessages/batchSend     ≤ 20 userIds; unknown ones in invalidStaffIdList
  POST /v1.0/robot/groupMessages/send
  POST /v1.0/card/instances/createAndDeliver outTrackId once only; cardParamMap strings ≤ 1 KB
  POST /v1.0/card/instances/deliver          PUT /v1.0/card/instances (update, public or one user's view)
  POST /robot/sendBySession?session=…        the sessionWebhook a robot message carries (300001 when gone)
  POST /robot/send?access_token=…            the custom group robot: sign checked; the 21st message in a
                                             minute gets 410100 and the robot is blocked for 10 minutes

The new API answers errors as HTTP 4xx {"code","message"}; the old ones as 200 {"errcode","errmsg"}.
Faults can be switched on per API (an HTTP status with a code, an errcode, or a delay, for N calls).
Everything it was sent is recorded in Redis — a log and an inbox per user — so the workers, the API and
the tests share one record. `view()` turns an entry into the simulator's common record shape (the one the
fake WeCom API keeps), so the chat page and the transcripts read both platforms alike.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from redis import Redis
from sqlalchemy import select

from bot.config import Settings
from bot.platforms.dingtalk.crypto import robot_sign
from bot.queue import redis_client
from bot.sim.faults import SimulatedPlatform, add_control_routes, fault_answer, json_body
from bot.store.db import get_engine, session_scope
from bot.store.tables import Person
from cards import dingtalk_limits

PREFIX = "sim:dingtalk"
MSG_KEYS = {"sampleText", "sampleMarkdown", "sampleActionCard", "sampleLink", "sampleImageMsg"}
SESSION_SECONDS = 90 * 60
WEBHOOK_PER_MINUTE = 20
WEBHOOK_BLOCK_SECONDS = 600


# The JSAPI as the page inside the app sees it: ready() and requestAuthCode({corpId, clientId}) → {code}.
JSAPI_STAND_IN = """(function () {
  "use strict";
  function requestAuthCode(params) {
    var query = "corpId=" + encodeURIComponent(params.corpId || "") + "&clientId=" + encodeURIComponent(params.clientId || "");
    return fetch("/sim/dingtalk/h5/authcode?" + query, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (data) { if (!r.ok) { throw data; } return data; });
    });
  }
  window.dd = { env: { platform: "ios" }, ready: function (fn) { fn(); }, requestAuthCode: requestAuthCode };
})();
"""


def new_err(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "requestid": secrets.token_hex(8)}


def old_err(code: int, msg: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": msg}


class FakeDingTalk(SimulatedPlatform):
    prefix = PREFIX

    def __init__(self, settings: Settings, redis: Redis | None = None) -> None:
        self.settings = settings
        self.redis = redis or redis_client(settings.redis_url)
        self._users: tuple[float, set[str]] = (0.0, set())

    # -- state ----------------------------------------------------------------------------------------
    def known_users(self) -> set[str]:
        at, users = self._users
        if time.monotonic() - at > 2:
            with session_scope(get_engine(self.settings.database_url)) as s:
                users = {u for u in s.scalars(select(Person.dingtalk_userid).where(Person.active.is_(True))) if u}
            self._users = (time.monotonic(), users)
        left = {u.decode() if isinstance(u, bytes) else u for u in self.redis.smembers(f"{PREFIX}:left")}
        return users - left

    def leave(self, user: str) -> None:
        self.redis.sadd(f"{PREFIX}:left", user)

    def access_token(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        secret = self.settings.dingtalk_client_secret
        if body.get("appKey") != self.settings.dingtalk_client_id or not secret:
            return new_err(400, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
        if body.get("appSecret") != secret.get_secret_value():
            return new_err(400, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
        token = "simdt-" + secrets.token_hex(20)
        self.redis.set(f"{PREFIX}:token:{token}", 1, ex=7200)
        self.redis.incr(f"{PREFIX}:stats:token")
        return 200, {"accessToken": token, "expireIn": 7200}

    def token_problem(self, token: str | None) -> tuple[int, dict[str, Any]] | None:
        if not token or not self.redis.exists(f"{PREFIX}:token:{token}"):
            return new_err(400, "InvalidAuthentication", "不合法的access_token")
        return None

    def expire_tokens(self) -> int:
        keys = list(self.redis.scan_iter(f"{PREFIX}:token:*"))
        if keys:
            self.redis.delete(*keys)
        return len(keys)

    # -- signing in (DingTalk's web login): authCode → the user's token → their unionId → their userid -----
    def user_access_token(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        secret = self.settings.dingtalk_client_secret
        if body.get("clientId") != self.settings.dingtalk_client_id or not secret:
            return new_err(400, "invalidClientId", "无效的clientId")
        if body.get("clientSecret") != secret.get_secret_value():
            return new_err(400, "invalidClientSecret", "无效的clientSecret")
        if body.get("grantType") != "authorization_code":
            return new_err(400, "invalidGrantType", "grantType不合法")
        raw = self.redis.getdel(f"{PREFIX}:oauth:{body.get('code')}") if body.get("code") else None
        if raw is None:
            return new_err(400, "invalidAuthCode", "不合法的临时授权码")
        token = "simdtu-" + secrets.token_hex(20)
        self.redis.set(f"{PREFIX}:usertoken:{token}", raw, ex=7200)
        return 200, {"accessToken": token, "refreshToken": secrets.token_hex(16), "expireIn": 7200}

    def users_me(self, token: str | None) -> tuple[int, dict[str, Any]]:
        raw = self.redis.get(f"{PREFIX}:usertoken:{token}") if token else None
        if raw is None:
            return new_err(401, "InvalidAuthentication", "不合法的access_token")
        user = raw.decode() if isinstance(raw, bytes) else str(raw)
        return 200, {"nick": user, "unionId": f"union-{user}", "openId": f"open-{user}"}

    def userid_by_unionid(self, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if self.token_problem(token):
            return old_err(40014, "不合法的access_token")
        union = str(body.get("unionid") or "")
        user = union.removeprefix("union-")
        if not union.startswith("union-") or user not in self.known_users():
            return old_err(60121, "找不到该用户")
        return {"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": user}}

    def issue_app_code(self, user: str) -> str:
        """The H5 免登 code the DingTalk app hands a page inside it: one use, 5 minutes; kept apart from the web
        login's authCodes, which getuserinfo does not take."""
        code = secrets.token_urlsafe(32)
        self.redis.set(f"{PREFIX}:h5code:{code}", user, ex=300)
        return code

    def userid_by_app_code(self, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if self.token_problem(token):
            return old_err(40014, "不合法的access_token")
        raw = self.redis.getdel(f"{PREFIX}:h5code:{body.get('code')}") if body.get("code") else None
        user = raw.decode() if isinstance(raw, bytes) else raw
        if not user or user not in self.known_users():
            return old_err(40078, "不存在的临时授权码")
        return {"errcode": 0, "errmsg": "ok", "result": {"userid": user, "sys": False, "sys_level": 0}}

    def tokens_issued(self) -> int:
        return int(self.redis.get(f"{PREFIX}:stats:token") or 0)

    # -- robot messages -------------------------------------------------------------------------------
    def _robot(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if body.get("robotCode") != (self.settings.dingtalk_robot_code or self.settings.dingtalk_client_id):
            return new_err(400, "invalidParameter.robotCode.notExsit", "robotCode不存在")
        if body.get("msgKey") not in MSG_KEYS:
            return new_err(400, "invalidParameter.msgKey.invalid", "msgKey不合法")
        param = body.get("msgParam")
        if not isinstance(param, str):  # a JSON *string*, not an object
            return new_err(400, "invalidParameter.msgParam.invalid", "msgParam必须是JSON字符串")
        try:
            parsed = json.loads(param)
        except ValueError:
            return new_err(400, "invalidParameter.msgParam.invalid", "msgParam不是合法的JSON")
        if not isinstance(parsed, dict) or len(param.encode()) > 15000:
            return new_err(400, "invalidParameter.msgParam.invalid", "msgParam不合法")
        return None

    def batch_send(self, token: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self.token_problem(token) or self._robot(body)
        if problem:
            return problem
        users = body.get("userIds")
        if not isinstance(users, list) or not users:
            return new_err(400, "invalidParameter.userIds.empty", "userIds不能为空")
        if len(users) > 20:
            return new_err(400, "invalidParameter.userIds.overMax", "userIds超过最大值100")
        known = self.known_users()
        valid = [u for u in users if u in known]
        invalid = [u for u in users if u not in known]
        key = secrets.token_hex(16)
        entry = {
            "api": "batchSend",
            "msgKey": body["msgKey"],
            "msgParam": json.loads(body["msgParam"]),
            "users": valid,
            "processQueryKey": key,
            "status": "delivered",
        }
        if valid:
            self.record(entry, valid)
        return 200, {"processQueryKey": key, "invalidStaffIdList": invalid, "flowControlledStaffIdList": []}

    def group_send(self, token: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self.token_problem(token) or self._robot(body)
        if problem:
            return problem
        cid = body.get("openConversationId")
        if not isinstance(cid, str) or not cid:
            return new_err(400, "invalidParameter.openConversationId.empty", "openConversationId不能为空")
        key = secrets.token_hex(16)
        self.record(
            {
                "api": "groupSend",
                "conversation": cid,
                "msgKey": body["msgKey"],
                "msgParam": json.loads(body["msgParam"]),
            },
            [f"group:{cid}"],
        )
        return 200, {"processQueryKey": key}

    # -- sessionWebhook ---------------------------------------------------------------------------------
    def open_session(self, user: str, base_url: str, seconds: int = SESSION_SECONDS) -> tuple[str, int]:
        """A sessionWebhook for a robot message from `user`: (URL, expiry in ms), as DingTalk puts in it."""
        session = secrets.token_urlsafe(24)
        self.redis.set(f"{PREFIX}:session:{session}", user, ex=seconds)
        return f"{base_url.rstrip('/')}/sim/dingtalk/robot/sendBySession?session={session}", int(
            (time.time() + seconds) * 1000
        )

    def expire_sessions(self) -> int:
        keys = list(self.redis.scan_iter(f"{PREFIX}:session:*"))
        if keys:
            self.redis.delete(*keys)
        return len(keys)

    def send_by_session(self, session: str | None, body: dict[str, Any]) -> dict[str, Any]:
        user = self.redis.get(f"{PREFIX}:session:{session}") if session else None
        if user is None:
            return old_err(300001, "session 不存在")
        msgtype = body.get("msgtype")
        if msgtype not in ("text", "markdown", "actionCard", "link", "feedCard"):
            return old_err(400105, "不支持的消息类型")
        if not isinstance(body.get(msgtype), dict):
            return old_err(40035, "缺少参数 json")
        who = user.decode() if isinstance(user, bytes) else user
        self.record({"api": "session", "msgtype": msgtype, msgtype: body[msgtype], "users": [who]}, [who])
        return old_err(0, "ok")

    # -- the custom group robot -------------------------------------------------------------------------
    def webhook(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        configured = self.settings.dingtalk_webhook.get_secret_value() if self.settings.dingtalk_webhook else ""
        expected = parse_qs(urlsplit(configured).query).get("access_token", [None])[0]
        if not query.get("access_token") or query.get("access_token") != expected:
            return old_err(400101, "access_token不存在")
        secret = self.settings.dingtalk_webhook_secret
        if secret:
            timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return old_err(310000, "invalid timestamp")
            if sign != robot_sign(secret.get_secret_value(), timestamp):
                return old_err(310000, "sign not match")
        if self.redis.exists(f"{PREFIX}:webhook:blocked"):
            return old_err(410100, "发送速度太快而限流")
        now = time.time()
        key = f"{PREFIX}:webhook:minute"
        self.redis.zremrangebyscore(key, "-inf", now - 60)
        if self.redis.zcard(key) >= WEBHOOK_PER_MINUTE:
            self.redis.set(f"{PREFIX}:webhook:blocked", 1, ex=WEBHOOK_BLOCK_SECONDS)
            return old_err(410100, "发送速度太快而限流")
        self.redis.zadd(key, {secrets.token_hex(8): now})
        self.redis.expire(key, 120)
        msgtype = body.get("msgtype")
        if msgtype not in ("text", "markdown", "actionCard", "link", "feedCard"):
            return old_err(400105, "不支持的消息类型")
        self.record({"api": "webhook", "msgtype": msgtype, msgtype: body.get(msgtype)}, ["group:webhook"])
        return old_err(0, "ok")

    # -- interactive cards ------------------------------------------------------------------------------
    @staticmethod
    def _users_of(space: str) -> list[str] | None:
        if not space.startswith("dtv1.card//"):
            return None
        users = []
        for part in space[len("dtv1.card//") :].split(";"):
            kind, _, user = part.partition(".")
            if kind != "IM_ROBOT" or not user:
                return None
            users.append(user)
        return users

    def _deliver(self, track: str, body: dict[str, Any], params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        users = self._users_of(str(body.get("openSpaceId") or ""))
        if not users:
            return new_err(400, "param.openSpaceIdInvalid", "openSpaceId不合法")
        model = body.get("imRobotOpenDeliverModel") or {}
        robot = self.settings.dingtalk_robot_code or self.settings.dingtalk_client_id
        if model.get("spaceType") != "IM_ROBOT" or model.get("robotCode") != robot:
            return new_err(400, "param.robotCodeInvalid", "imRobotOpenDeliverModel不合法")
        known = self.known_users()
        results = [
            {"spaceType": "IM_ROBOT", "spaceId": user, "success": user in known, "carrierId": secrets.token_hex(8)}
            for user in users
        ]
        delivered = [user for user in users if user in known]
        if delivered:
            self.record({"api": "card", "outTrackId": track, "cardParamMap": params, "users": delivered}, delivered)
        return 200, {"success": True, "result": {"outTrackId": track, "deliverResults": results}}

    def create_and_deliver(self, token: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self.token_problem(token)
        if problem:
            return problem
        track = body.get("outTrackId")
        if not isinstance(track, str) or not track or len(track) > 128:
            return new_err(400, "param.outTrackIdInvalid", "outTrackId不合法")
        if not body.get("cardTemplateId"):
            return new_err(400, "param.cardTemplateIdEmpty", "cardTemplateId不能为空")
        if body.get("callbackType") not in ("STREAM", "HTTP") or (
            body.get("callbackType") == "HTTP" and not body.get("callbackRouteKey")
        ):
            return new_err(400, "param.callbackInvalid", "callbackType / callbackRouteKey 不合法")
        params = (body.get("cardData") or {}).get("cardParamMap")
        if not isinstance(params, dict):
            return new_err(400, "param.cardDataInvalid", "cardData.cardParamMap 必须是对象")
        found = dingtalk_limits.problems(params)
        if found:
            return new_err(400, "param.cardParamMapInvalid", found[0])
        if not self.redis.set(f"{PREFIX}:card:{track}", json.dumps(params, ensure_ascii=False), nx=True, ex=30 * 86400):
            return new_err(400, "param.cardAlreadyExist", "卡片已存在")
        return self._deliver(track, body, params)

    def deliver(self, token: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self.token_problem(token)
        if problem:
            return problem
        raw = self.redis.get(f"{PREFIX}:card:{body.get('outTrackId')}")
        if raw is None:
            return new_err(400, "param.cardNotExist", "卡片不存在")
        return self._deliver(str(body["outTrackId"]), body, json.loads(raw))

    def update(self, token: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = self.token_problem(token)
        if problem:
            return problem
        track = str(body.get("outTrackId") or "")
        raw = self.redis.get(f"{PREFIX}:card:{track}")
        if raw is None:
            return new_err(400, "param.cardNotExist", "卡片不存在")
        private = body.get("privateData") or {}
        public = (body.get("cardData") or {}).get("cardParamMap")
        if not private and not isinstance(public, dict):
            return new_err(400, "param.cardDataInvalid", "cardData 或 privateData 必须有一个")
        for values in [public or {}, *[(v or {}).get("cardParamMap") or {} for v in private.values()]]:
            found = dingtalk_limits.problems(values)
            if found:
                return new_err(400, "param.cardParamMapInvalid", found[0])
        if isinstance(public, dict):
            merged = {**json.loads(raw), **public}
            self.redis.set(f"{PREFIX}:card:{track}", json.dumps(merged, ensure_ascii=False), ex=30 * 86400)
            self.record({"api": "card_update", "outTrackId": track, "cardParamMap": public, "users": []}, [])
        for user, values in private.items():
            params = (values or {}).get("cardParamMap") or {}
            self.record({"api": "card_update", "outTrackId": track, "cardParamMap": params, "users": [user]}, [user])
        return 200, {"success": True, "result": True}


# -- the common record shape -------------------------------------------------------------------------


def _loads(value: str | None, default: Any) -> Any:
    try:
        return json.loads(value) if value else default
    except ValueError:
        return default


def _template_card(params: dict[str, str], track: str) -> dict[str, Any]:
    """A card's variables → the simulator's card shape (WeCom's template_card field names)."""
    card: dict[str, Any] = {"main_title": {"title": params.get("title", "")}, "task_id": track}
    if params.get("description"):
        card["main_title"]["desc"] = params["description"]
    fields = _loads(params.get("fields"), [])
    if fields:
        card["horizontal_content_list"] = [{"keyname": f["label"], "value": f["value"]} for f in fields]
    buttons = _loads(params.get("buttons"), [])
    if buttons:
        card["button_list"] = [{"text": b["text"], "key": b["key"]} for b in buttons]
    selection = _loads(params.get("selection"), None)
    if selection:
        card["button_selection"] = {
            "question_key": selection["key"],
            "title": selection["title"],
            "option_list": selection["options"],
        }
    selects = _loads(params.get("selects"), [])
    if selects:
        card["select_list"] = [
            {"question_key": s["key"], "title": s["title"], "option_list": s["options"]} for s in selects
        ]
    choices = _loads(params.get("choices"), None)
    if choices:
        card["checkbox"] = {
            "question_key": choices["key"],
            "option_list": [{**o, "is_checked": o["id"] in choices.get("checked", [])} for o in choices["options"]],
            "mode": 1 if choices.get("multiple") else 0,
        }
    submit = _loads(params.get("submit"), None)
    if submit:
        card["submit_button"] = submit
    if params.get("done_text"):
        card["replace_text"] = params["done_text"]
    kind = "vote_interaction" if choices else "multiple_interaction" if selects else "button_interaction"
    card["card_type"] = kind if params.get("interactive") == "true" or buttons else "text_notice"
    return card


def _notice(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": card.get("title", ""),
        "description": card.get("text", ""),
        "url": card.get("singleURL", ""),
        "btntxt": card.get("singleTitle", ""),
    }


def view(entry: dict[str, Any]) -> dict[str, Any]:
    """One recorded DingTalk entry in the simulator's common shape: {"msgtype": "text"|"markdown",
    "content"}, {"msgtype": "template_card", "task_id", "template_card"} or {"api": "update", …}."""
    api = entry.get("api")
    common = {"seq": entry.get("seq"), "at": entry.get("at"), "platform": "dingtalk", "via": api}
    if api in ("card", "card_update"):
        card = _template_card(entry.get("cardParamMap") or {}, entry.get("outTrackId", ""))
        if api == "card_update":
            return {**common, "api": "update", "task_id": entry.get("outTrackId"), "template_card": card}
        return {**common, "msgtype": "template_card", "task_id": entry.get("outTrackId"), "template_card": card}
    if api in ("batchSend", "groupSend"):
        key, param = entry.get("msgKey"), entry.get("msgParam") or {}
        if key == "sampleText":
            return {**common, "msgtype": "text", "content": param.get("content", "")}
        if key == "sampleMarkdown":
            return {**common, "msgtype": "markdown", "content": param.get("text", "")}
        if key == "sampleActionCard":  # a notice with its link: the common shape of a notice is WeCom's textcard
            return {**common, "msgtype": "textcard", "content": param.get("text", ""), "textcard": _notice(param)}
        return {**common, "msgtype": "other", "content": json.dumps(param, ensure_ascii=False)}
    msgtype = entry.get("msgtype")
    body = entry.get(msgtype) or {} if isinstance(msgtype, str) else {}
    if msgtype == "text":
        return {**common, "msgtype": "text", "content": body.get("content", "")}
    if msgtype == "actionCard" and body.get("singleURL"):
        return {**common, "msgtype": "textcard", "content": body.get("text", ""), "textcard": _notice(body)}
    if msgtype in ("markdown", "actionCard"):
        return {**common, "msgtype": "markdown", "content": body.get("text", "")}
    return {**common, "msgtype": "other", "content": json.dumps(body, ensure_ascii=False)}


# -- the router ----------------------------------------------------------------------------------------


async def _faulted(fake: FakeDingTalk, api: str) -> JSONResponse | None:
    return await fault_answer(
        await run_in_threadpool(fake.fault, api),
        lambda spec: {"code": spec.get("code") or "injected", "message": "injected fault"},
        lambda code: old_err(code, "injected fault"),
    )


class FakeDingTalkRouter(APIRouter):
    """The fake's routes, carrying the fake itself for the chat page to share."""

    fake: FakeDingTalk


def build_router(settings: Settings) -> FakeDingTalkRouter:
    fake = FakeDingTalk(settings)
    router = FakeDingTalkRouter(prefix="/sim/dingtalk")

    def answer(result: tuple[int, dict[str, Any]]) -> JSONResponse:
        return JSONResponse(result[1], status_code=result[0])

    async def new_api(request: Request, api: str, handler: Any) -> JSONResponse:
        injected = await _faulted(fake, api)
        if injected:
            return injected
        body = await json_body(request)
        if body is None:
            return answer(new_err(400, "InvalidParameter", "the body is not a JSON object"))
        token = request.headers.get("x-acs-dingtalk-access-token")
        return answer(await run_in_threadpool(handler, token, body))

    @router.post("/v1.0/oauth2/accessToken")
    async def access_token(request: Request) -> JSONResponse:
        injected = await _faulted(fake, "token")
        if injected:
            return injected
        body = await json_body(request) or {}
        return answer(await run_in_threadpool(fake.access_token, body))

    @router.get("/oauth2/auth")
    async def web_login(request: Request) -> Response:
        """DingTalk's web login page: with a member signed in (?sim_user= or the /sim page's cookie), straight back
        to redirect_uri with an authCode; else a chooser standing in for the scan."""
        q = request.query_params
        if q.get("client_id") != settings.dingtalk_client_id or q.get("response_type") != "code":
            return HTMLResponse("<p>参数错误</p>", status_code=400)
        redirect = q.get("redirect_uri") or ""
        if urlsplit(redirect).scheme not in ("http", "https"):
            return HTMLResponse("<p>redirect_uri 参数错误</p>", status_code=400)
        user = fake.signed_in_member(request)
        if not user:
            return fake.member_chooser(request, "钉钉", await run_in_threadpool(fake.known_users))
        return await run_in_threadpool(fake.back_with_code, redirect, "authCode", user, q.get("state", ""))

    @router.post("/v1.0/oauth2/userAccessToken")
    async def user_access_token(request: Request) -> JSONResponse:
        body = await json_body(request) or {}
        return answer(await run_in_threadpool(fake.user_access_token, body))

    @router.get("/v1.0/contact/users/me")
    async def users_me(request: Request) -> JSONResponse:
        token = request.headers.get("x-acs-dingtalk-access-token")
        return answer(await run_in_threadpool(fake.users_me, token))

    @router.post("/topapi/user/getbyunionid")
    async def getbyunionid(request: Request, access_token: str | None = None) -> JSONResponse:
        body = await json_body(request) or {}
        return JSONResponse(await run_in_threadpool(fake.userid_by_unionid, access_token, body))

    @router.post("/topapi/v2/user/getuserinfo")
    async def getuserinfo(request: Request, access_token: str | None = None) -> JSONResponse:
        body = await json_body(request) or {}
        return JSONResponse(await run_in_threadpool(fake.userid_by_app_code, access_token, body))

    @router.get("/jsapi.js")
    async def jsapi() -> Response:
        """Stands in for DingTalk's JSAPI inside the app: requestAuthCode asks this fake for the signed-in
        member's 免登 code, as the real app's native bridge would."""
        return Response(JSAPI_STAND_IN, media_type="text/javascript")

    @router.get("/h5/authcode")
    async def app_code(request: Request) -> JSONResponse:
        q = request.query_params
        if q.get("corpId") != (settings.dingtalk_corp_id or "") or q.get("clientId") != settings.dingtalk_client_id:
            return JSONResponse({"errorCode": "7", "errorMessage": "corpId或clientId不匹配"}, status_code=400)
        user = fake.signed_in_member(request)
        if not user:
            return JSONResponse({"errorCode": "3", "errorMessage": "未登录钉钉"}, status_code=403)
        return JSONResponse({"code": await run_in_threadpool(fake.issue_app_code, user)})

    @router.post("/v1.0/robot/oToMessages/batchSend")
    async def batch_send(request: Request) -> JSONResponse:
        return await new_api(request, "batchSend", fake.batch_send)

    @router.post("/v1.0/robot/groupMessages/send")
    async def group_send(request: Request) -> JSONResponse:
        return await new_api(request, "groupSend", fake.group_send)

    @router.post("/v1.0/card/instances/createAndDeliver")
    async def create_and_deliver(request: Request) -> JSONResponse:
        return await new_api(request, "card", fake.create_and_deliver)

    @router.post("/v1.0/card/instances/deliver")
    async def deliver(request: Request) -> JSONResponse:
        return await new_api(request, "card", fake.deliver)

    @router.put("/v1.0/card/instances")
    async def update(request: Request) -> JSONResponse:
        return await new_api(request, "update", fake.update)

    @router.post("/robot/sendBySession")
    async def by_session(request: Request, session: str | None = None) -> JSONResponse:
        injected = await _faulted(fake, "session")
        if injected:
            return injected
        body = await json_body(request)
        if body is None:
            return JSONResponse(old_err(40035, "缺少参数 json"))
        return JSONResponse(await run_in_threadpool(fake.send_by_session, session, body))

    @router.post("/robot/send")
    async def webhook(request: Request) -> JSONResponse:
        injected = await _faulted(fake, "webhook")
        if injected:
            return injected
        body = await json_body(request)
        if body is None:
            return JSONResponse(old_err(40035, "缺少参数 json"))
        query = dict(request.query_params)
        return JSONResponse(await run_in_threadpool(fake.webhook, query, body))

    expirers = {"expire_tokens": fake.expire_tokens, "expire_sessions": fake.expire_sessions}
    add_control_routes(router, fake, "batchSend", expirers)
    return router
