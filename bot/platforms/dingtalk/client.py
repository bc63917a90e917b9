"""The DingTalk server APIs over httpx: the app access token cached in Redis with one refresher, quick
retries with tenacity for the transient failures, and every other error classified for the outbox.

Two API families answer differently (spec §4):
  api.dingtalk.com (new)   HTTP 4xx with {"code", "message"}; header x-acs-dingtalk-access-token
  oapi / webhooks (old)    HTTP 200 with {"errcode", "errmsg"}; errcode 0 is success

  token errors    400 InvalidAuthentication (new), 40014/42001 (old)  → refresh once and retry once
  transient       HTTP 5xx, timeouts, errcode -1                       → quick retries, then RetryLater
  rate limits     403 Forbidden.AccessDenied.Qps*/Qpm* and 90018/90002 → quick retries (≥ 1 s), then RetryLater
                  410100/130101 (custom robot, 10-minute block)        → RetryLater after 10 minutes
                  the egress-IP ban ({"status":1111,"wait":5})          → RetryLater after `wait` minutes
  session gone    300001 (sessionWebhook expired)                      → SessionGone: the sender falls back
  anything else   → Permanent, with the reason an operator needs
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

import httpx
from redis import Redis
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from bot.pacing import Paced, Pacer
from bot.platforms.base import Permanent, RetryLater
from bot.platforms.dingtalk.crypto import robot_sign
from bot.platforms.token_cache import SharedToken

log = logging.getLogger("cadrebot.dingtalk.client")

BATCH_USERS = 20  # oToMessages/batchSend takes at most 20 userIds (its error text says 100: trust 20)
WEBHOOK_PER_MINUTE = 20  # a custom robot is blocked for 10 minutes after the 21st message in a minute
TOKEN_ERRORS = {"InvalidAuthentication", "invalidAuthentication"}
OLD_TOKEN_ERRORS = {40014, 42001, 40001}
OLD_TRANSIENT = {-1}
OLD_RATE_LIMITED = {90018, 90002}
WEBHOOK_RATE_LIMITED = {410100, 130101}
SESSION_GONE = 300001
REASONS = {  # the reason an operator needs, by DingTalk's code
    "invalidClientIdOrSecret": "AppKey/AppSecret 不正确（CADREBOT_DINGTALK_CLIENT_ID / CLIENT_SECRET）",
    "invalidParameter.robotCode.notExsit": "robotCode 不存在（CADREBOT_DINGTALK_ROBOT_CODE，一般等于 AppKey）",
    "invalidParameter.userIds.overMax": "一次最多发给20人",
    "invalidParameter.msgParam.invalid": "消息内容不合法（msgParam）",
    "bot.stopped": "机器人已停用",
    "group.disbanded": "群已解散",
    "session.notExisted": "会话不存在",
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": "应用没有该接口的权限（开发者后台 → 权限管理）",
    "Forbidden.AccessDenied.ApiCountLimitForOrg": "本月接口调用次数已用完（标准版每月5000次）",
    "param.cardAlreadyExist": "outTrackId 已被使用",
    "param.cardNotExist": "卡片不存在（outTrackId）",
    310000: "机器人安全设置不符：关键词、加签（时间戳/签名）或IP白名单",
    400101: "机器人 access_token 不存在（CADREBOT_DINGTALK_WEBHOOK）",
    400102: "机器人已停用",
    400105: "不支持的消息类型",
    400106: "机器人不存在",
    400013: "群已被解散",
    40035: "缺少参数 json",
    43004: "Content-Type 不正确",
    90020: "本月接口调用次数已用完（标准版每月5000次）",
}


class SessionGone(Permanent):
    """The sessionWebhook expired or is unknown (300001): send through the OpenAPI instead."""


class _Transient(Exception):
    def __init__(self, reason: str, code: int | str | None = None, delay: float = 20.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.delay = delay


def _later(reason: str, code: int | str, base: float) -> RetryLater:
    return RetryLater(reason, code, delay=base + random.uniform(0, base / 4))


def classify_new(status: int, code: str, message: str) -> Exception:
    """An api.dingtalk.com error answer → RetryLater or Permanent."""
    if code.startswith("Forbidden.AccessDenied.Q"):  # QpsLimitForAppkeyAndApi, QpmLimit…, QpsLimitForApi
        return _later(f"DingTalk rate limit ({code})", code, 5)
    if code == "Forbidden.AccessDenied.ApiCountLimitForOrg":
        return _later(REASONS[code], code, 3600)
    if status == 429:
        return _later("HTTP 429", 429, 60)
    return Permanent(REASONS.get(code) or message or f"DingTalk error HTTP {status}", code or status)


def classify_old(errcode: int, errmsg: str) -> Exception:
    """An oapi / webhook errcode → RetryLater, SessionGone or Permanent."""
    if errcode == SESSION_GONE:
        return SessionGone("sessionWebhook 已失效 (300001)", errcode)
    if errcode in WEBHOOK_RATE_LIMITED:
        return _later(f"机器人发送太快，被限流10分钟 ({errcode})", errcode, 600)
    if errcode in OLD_RATE_LIMITED:
        return _later(f"DingTalk rate limit ({errcode})", errcode, 5)
    if errcode == 90020:
        return _later(REASONS[errcode], errcode, 3600)
    if errcode in OLD_TRANSIENT:
        return _later(f"DingTalk busy ({errcode})", errcode, 20)
    reason = REASONS.get(errcode, errmsg or "unknown DingTalk error")
    if errcode == 310000 and errmsg:
        reason = f"{reason}: {errmsg}"
    return Permanent(reason, errcode)


class DingTalkClient:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        robot_code: str,
        api_base: str,
        redis: Redis,
        oapi_base: str = "https://oapi.dingtalk.com",
        webhook: str | None = None,
        webhook_secret: str | None = None,
        timeout: float = 5.0,
        quick_retries: int = 3,
        backoff: float = 0.5,
        http: httpx.Client | None = None,
    ) -> None:
        self.client_id = client_id
        self.robot_code = robot_code
        self._secret = client_secret
        self._webhook = webhook
        self._webhook_secret = webhook_secret
        self.redis = redis
        self.oapi_base = oapi_base.rstrip("/")
        self.quick_retries = quick_retries
        self.backoff = backoff
        self.http = http or httpx.Client(base_url=api_base.rstrip("/"), timeout=timeout)
        self.shared_token = SharedToken(redis, f"cadrebot:dingtalk:token:{client_id}", self._fetch_token)
        self.token_key = self.shared_token.key
        self._webhook_pacer = Pacer(redis, WEBHOOK_PER_MINUTE, prefix="cadrebot:dingtalk:webhook")

    def __repr__(self) -> str:  # never show the secret, the webhook or a session
        return f"DingTalkClient(client_id={self.client_id!r}, robot_code={self.robot_code!r})"

    # -- HTTP with quick retries --------------------------------------------------------------------
    def _request(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON object) after quick retries of the transient failures."""
        retrying = Retrying(
            stop=stop_after_attempt(max(self.quick_retries, 1)),
            wait=wait_exponential(multiplier=self.backoff, max=self.backoff * 8) + wait_random(0, self.backoff),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, body, headers)
        except _Transient as exc:
            raise _later(exc.reason, exc.code or "transient", exc.delay) from None
        raise AssertionError("unreachable")

    def _once(self, method: str, url: str, body: Any, headers: dict[str, str] | None) -> tuple[int, dict[str, Any]]:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            resp = self.http.request(method, url, content=content, headers=sent)
        except httpx.TimeoutException:
            raise _Transient("DingTalk did not answer in time", "timeout") from None
        except httpx.TransportError as exc:
            raise _Transient(f"network error: {type(exc).__name__}", "network") from None
        if resp.status_code >= 500:
            raise _Transient(f"HTTP {resp.status_code}", resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            # the egress-IP ban answers with an HTML page
            raise _later("DingTalk answered with a page, not JSON (IP rate ban?)", "not_json", 300) from None
        if not isinstance(data, dict):
            raise _Transient("the answer is not a JSON object", "bad_json")
        if data.get("status") == 1111:  # per-IP ban: {"status":1111,"wait":5,...}, wait in minutes
            raise _later("DingTalk banned this IP for a while", "ip_ban", 60 * float(data.get("wait") or 5))
        code = str(data.get("code") or "")
        if resp.status_code in (403, 429) and code.startswith("Forbidden.AccessDenied.Q"):
            raise _Transient(f"DingTalk rate limit ({code})", code, delay=5)
        errcode = data.get("errcode")
        if errcode is not None and _int(errcode) in OLD_TRANSIENT | OLD_RATE_LIMITED:
            raise _Transient(f"DingTalk busy ({errcode})", _int(errcode), delay=5)
        return resp.status_code, data

    # -- access token -------------------------------------------------------------------------------
    def token(self, stale: str | None = None) -> str:
        """A valid token; `stale` is one the platform just refused, which forces a refresh (once, shared)."""
        return self.shared_token.get(stale)

    def _fetch_token(self) -> tuple[str, int]:
        status, data = self._request(
            "POST", "/v1.0/oauth2/accessToken", {"appKey": self.client_id, "appSecret": self._secret}
        )
        if status != 200 or not data.get("accessToken"):
            raise classify_new(status, str(data.get("code") or ""), str(data.get("message") or ""))
        log.info("dingtalk access token refreshed")
        return str(data["accessToken"]), _int(data.get("expireIn")) or 7200

    # -- the new API ----------------------------------------------------------------------------------
    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """An api.dingtalk.com call with the token; a refused token is refreshed and the call made again."""
        token = self.token()
        for attempt in (1, 2):
            status, data = self._request(method, path, body, {"x-acs-dingtalk-access-token": token})
            if status == 200:
                return data
            code = str(data.get("code") or "")
            if code in TOKEN_ERRORS or status == 401:
                if attempt == 2:
                    break  # refused again right after a refresh: try later, not never
                token = self.token(stale=token)
                continue
            raise classify_new(status, code, str(data.get("message") or ""))
        raise RetryLater("access token refused twice", "token", delay=30)

    def batch_send_to_users(self, user_ids: list[str], msg_key: str, msg_param: dict[str, Any]) -> dict[str, Any]:
        """1:1 robot messages (oToMessages/batchSend); answers processQueryKey, invalidStaffIdList,
        flowControlledStaffIdList."""
        if not 0 < len(user_ids) <= BATCH_USERS:
            raise Permanent(f"batchSend takes 1 to {BATCH_USERS} users, not {len(user_ids)}", "userIds")
        return self.call(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            {"robotCode": self.robot_code, "userIds": user_ids, "msgKey": msg_key, "msgParam": _param(msg_param)},
        )

    def group_send(self, open_conversation_id: str, msg_key: str, msg_param: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "POST",
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.robot_code,
                "openConversationId": open_conversation_id,
                "msgKey": msg_key,
                "msgParam": _param(msg_param),
            },
        )

    def create_and_deliver_card(
        self,
        *,
        template_id: str,
        out_track_id: str,
        card_param_map: dict[str, str],
        user_ids: list[str],
        callback_route_key: str | None = None,
    ) -> dict[str, Any]:
        """An interactive card to each user's 1:1 chat with the robot (§4.5.1). Taps come back on the
        Stream card topic, or to the registered HTTP route when `callback_route_key` is given."""
        body: dict[str, Any] = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": _strings(card_param_map)},
            "openSpaceId": _robot_spaces(user_ids),
            "imRobotOpenSpaceModel": {"supportForward": False},
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.robot_code},
            "userIdType": 1,
            **_callback(callback_route_key),
        }
        return self.call("POST", "/v1.0/card/instances/createAndDeliver", body)

    def deliver_card(self, out_track_id: str, user_ids: list[str]) -> dict[str, Any]:
        """An existing card (same outTrackId) to more users: the later chunks of a batch, or a retry."""
        body = {
            "outTrackId": out_track_id,
            "openSpaceId": _robot_spaces(user_ids),
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.robot_code},
            "userIdType": 1,
        }
        return self.call("POST", "/v1.0/card/instances/deliver", body)

    def update_card(
        self, out_track_id: str, card_param_map: dict[str, str], *, for_user: str | None = None
    ) -> dict[str, Any]:
        """New card values (§4.5.2), by key. With `for_user`, only that person's view changes (privateData)."""
        values = {"cardParamMap": _strings(card_param_map)}
        body: dict[str, Any] = {"outTrackId": out_track_id, "userIdType": 1}
        if for_user:
            body["privateData"] = {for_user: values}
            body["cardUpdateOptions"] = {"updatePrivateDataByKey": True}
        else:
            body["cardData"] = values
            body["cardUpdateOptions"] = {"updateCardDataByKey": True}
        return self.call("PUT", "/v1.0/card/instances", body)

    # -- the old-style webhooks ----------------------------------------------------------------------
    # -- signing a person in (the web console) ----------------------------------------------------------
    def user_from_auth_code(self, auth_code: str) -> str | None:
        """DingTalk's web login: the authCode → the person's own token → their unionId → the corp's userid.
        None when DingTalk does not take the code or the person is not in the corp."""
        status, data = self._request(
            "POST",
            "/v1.0/oauth2/userAccessToken",
            {
                "clientId": self.client_id,
                "clientSecret": self._secret,
                "code": auth_code,
                "grantType": "authorization_code",
            },
        )
        user_token = data.get("accessToken") if status == 200 else None
        if not user_token:
            return None
        status, me = self._request(
            "GET", "/v1.0/contact/users/me", None, {"x-acs-dingtalk-access-token": str(user_token)}
        )
        union = me.get("unionId") if status == 200 else None
        if not union:
            return None
        return self._userid_from("/topapi/user/getbyunionid", {"unionid": union})

    def user_from_h5_code(self, code: str) -> str | None:
        """The H5 micro-app's 免登 code → the corp's userid, with the app's own token. None when DingTalk does
        not take the code."""
        return self._userid_from("/topapi/v2/user/getuserinfo", {"code": code})

    def _userid_from(self, path: str, body: dict[str, Any]) -> str | None:
        """An old-style topapi call that answers result.userid, with the corp token (renewed once if stale)."""
        token = self.token()
        for attempt in (1, 2):
            _, found = self._request("POST", f"{self.oapi_base}{path}?access_token={token}", body)
            errcode = _int(found.get("errcode", 0))
            if errcode in OLD_TOKEN_ERRORS and attempt == 1:
                token = self.token(stale=token)
                continue
            result = found.get("result") if errcode == 0 else None
            userid = result.get("userid") if isinstance(result, dict) else None
            return str(userid) if userid else None
        return None

    def send_by_session(self, webhook_url: str, body: dict[str, Any]) -> dict[str, Any]:
        """A reply through the message's sessionWebhook (§1.4). Raises SessionGone on 300001."""
        _, data = self._request("POST", webhook_url, body)
        return _old_ok(data)

    def webhook_send(self, body: dict[str, Any]) -> dict[str, Any]:
        """A message through the custom group robot (§4.1): paced to 20 a minute, signed per request."""
        if not self._webhook:
            raise Permanent("no custom robot webhook configured (CADREBOT_DINGTALK_WEBHOOK)", "no_webhook")
        try:
            self._webhook_pacer.acquire("robot", self.client_id)
        except Paced as exc:
            raise RetryLater("custom robot: 20 messages a minute", "webhook_pace", delay=exc.delay) from None
        url = httpx.URL(self._webhook)
        if self._webhook_secret:
            # fresh for every request (a reused timestamp goes stale in an hour); httpx encodes once
            timestamp = str(int(time.time() * 1000))
            url = url.copy_merge_params({"timestamp": timestamp, "sign": robot_sign(self._webhook_secret, timestamp)})
        _, data = self._request("POST", str(url), body)
        return _old_ok(data)


def _int(value: object) -> int:
    """A JSON number or numeric string; anything else (null, a list, "abc") counts as 0."""
    try:
        return int(value) if isinstance(value, str | int | float) else 0
    except ValueError:
        return 0


def _old_ok(data: dict[str, Any]) -> dict[str, Any]:
    errcode = _int(data.get("errcode", 0))  # may be the string "0"
    if errcode != 0:
        raise classify_old(errcode, str(data.get("errmsg") or ""))
    return data


def _param(msg_param: dict[str, Any]) -> str:
    # msgParam is a JSON *string*; UTF-8 rather than \u escapes keeps it under the byte limits
    return json.dumps(msg_param, ensure_ascii=False)


def _strings(values: dict[str, Any]) -> dict[str, str]:
    """cardParamMap is Map<String,String>: anything else is refused or shown wrongly."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, int | float):
            out[key] = str(value)
        else:
            out[key] = json.dumps(value, ensure_ascii=False)
    return out


def _robot_spaces(user_ids: list[str]) -> str:
    return "dtv1.card//" + ";".join(f"IM_ROBOT.{u}" for u in user_ids)


def _callback(route_key: str | None) -> dict[str, str]:
    return {"callbackType": "HTTP", "callbackRouteKey": route_key} if route_key else {"callbackType": "STREAM"}
