"""The WeCom server API over httpx: access_token cache and single refresher in Redis, quick retries with
tenacity for the transient failures, and every other error classified so the outbox knows what to do.

  token errors   40014, 41001, 42001 → refresh once and retry once
  transient      -1, 45033, HTTP 5xx, timeouts → a few quick retries with jittered backoff, then RetryLater
  rate limit     45009 → RetryLater after a minute (the block lasts 60 s)
  anything else  → Permanent, with the reason an operator needs (60020 → 企业可信IP …)
"""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import httpx
from redis import Redis
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from bot.platforms.base import DeliveryError, Permanent, RetryLater
from bot.platforms.token_cache import SharedToken

log = logging.getLogger("cadrebot.wecom.client")

TOKEN_ERRORS = {40014, 41001, 42001}
TRANSIENT = {-1, 45033}
RATE_LIMITED = {45009}
REASONS = {
    40001: "应用Secret不正确（CADREBOT_WECOM_SECRET）",
    40003: "无效的UserID",
    40008: "消息类型不合法",
    40013: "企业ID不正确（CADREBOT_WECOM_CORP_ID）",
    40056: "AgentId不正确（CADREBOT_WECOM_AGENT_ID）",
    40058: "参数不合法",
    40091: "应用Secret不正确（CADREBOT_WECOM_SECRET）",
    42014: "卡片task_id为空、重复或过长",
    44004: "消息内容为空",
    45002: "消息内容超过长度限制",
    48002: "应用无权调用该接口",
    60011: "接收人不在应用权限范围内",
    60020: "服务器出口IP不在应用的「企业可信IP」中，请在应用详情里添加",
    60021: "接收人不在应用的可见范围内",
    81013: "接收人账号全部无效或无权限",
    82001: "接收人为空",
    301002: "Secret与应用不匹配",
}


class _Transient(Exception):
    def __init__(self, reason: str, code: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def classify(code: int, errmsg: str) -> DeliveryError:
    if code in RATE_LIMITED:
        return RetryLater("WeCom rate limit (45009)", code, delay=60 + random.uniform(0, 15))
    if code in TRANSIENT:
        return RetryLater(f"WeCom busy ({code})", code, delay=20 + random.uniform(0, 10))
    return Permanent(REASONS.get(code, errmsg or "unknown WeCom error"), code)


class WeComClient:
    def __init__(
        self,
        *,
        corp_id: str,
        agent_id: int,
        secret: str,
        api_base: str,
        redis: Redis,
        timeout: float = 5.0,
        quick_retries: int = 3,
        backoff: float = 0.5,
        duplicate_check_seconds: int = 600,
        http: httpx.Client | None = None,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.redis = redis
        self.quick_retries = quick_retries
        self.backoff = backoff
        self.duplicate_check_seconds = duplicate_check_seconds
        self.http = http or httpx.Client(base_url=api_base.rstrip("/"), timeout=timeout)
        self.shared_token = SharedToken(redis, f"cadrebot:wecom:token:{corp_id}:{agent_id}", self._fetch_token)
        self.token_key = self.shared_token.key

    def __repr__(self) -> str:  # never show the secret
        return f"WeComClient(corp_id={self.corp_id!r}, agent_id={self.agent_id})"

    # -- HTTP with quick retries --------------------------------------------------------------------
    def _request(self, method: str, path: str, params: dict[str, Any], body: Any = None) -> dict[str, Any]:
        retrying = Retrying(
            stop=stop_after_attempt(max(self.quick_retries, 1)),
            wait=wait_exponential(multiplier=self.backoff, max=self.backoff * 8) + wait_random(0, self.backoff),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    again = attempt.retry_state.attempt_number > 1
                    data = self._once(method, path, params, self._resend(path, body) if again else body)
                    if again:
                        data["_resent"] = True
                    return data
        except _Transient as exc:
            raise RetryLater(exc.reason, exc.code, delay=20 + random.uniform(0, 10)) from None
        raise AssertionError("unreachable")

    def _resend(self, path: str, body: Any) -> Any:
        # A request that timed out may have reached WeCom: its quick retry asks WeCom to drop it as a repeat.
        if not path.endswith("/message/send") or self.duplicate_check_seconds <= 0 or "enable_duplicate_check" in body:
            return body
        return {**body, "enable_duplicate_check": 1, "duplicate_check_interval": self.duplicate_check_seconds}

    def _once(self, method: str, path: str, params: dict[str, Any], body: Any) -> dict[str, Any]:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} if content is not None else None
        try:
            resp = self.http.request(method, path, params=params, content=content, headers=headers)
        except httpx.TimeoutException:
            raise _Transient("WeCom did not answer in time", "timeout") from None
        except httpx.TransportError as exc:
            raise _Transient(f"network error: {type(exc).__name__}", "network") from None
        if resp.status_code >= 500:
            raise _Transient(f"HTTP {resp.status_code}", resp.status_code)
        if resp.status_code == 429:
            raise RetryLater("HTTP 429", 429, delay=60)
        if resp.status_code != 200:
            raise Permanent(f"unexpected HTTP {resp.status_code}", resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            raise _Transient("the answer is not JSON", "bad_json") from None
        if not isinstance(data, dict):
            raise _Transient("the answer is not a JSON object", "bad_json")
        code = int(data.get("errcode", 0) or 0)
        if code in TRANSIENT:
            raise _Transient(f"WeCom busy ({code})", code)
        return data

    # -- access_token -------------------------------------------------------------------------------
    def token(self, stale: str | None = None) -> str:
        """A valid token; `stale` is one the platform just refused, which forces a refresh (once, shared)."""
        return self.shared_token.get(stale)

    def _fetch_token(self) -> tuple[str, int]:
        data = self._request("GET", "/cgi-bin/gettoken", {"corpid": self.corp_id, "corpsecret": self._secret})
        code = int(data.get("errcode", 0) or 0)
        if code != 0 or not data.get("access_token"):
            raise classify(code, str(data.get("errmsg", "")))
        log.info("wecom access_token refreshed")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    # -- API calls ----------------------------------------------------------------------------------
    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", path, {}, body)

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.call("GET", path, params)

    def call(self, method: str, path: str, params: dict[str, Any], body: Any = None) -> dict[str, Any]:
        """An API call with the shared access_token, refreshed once if WeCom refuses it; errcode ≠ 0 raised."""
        token = self.token()
        for attempt in (1, 2):
            data = self._request(method, path, {**params, "access_token": token}, body)
            code = int(data.get("errcode", 0) or 0)
            if code in TOKEN_ERRORS:
                if attempt == 2:
                    break  # refused again right after a refresh: try later, not never
                token = self.token(stale=token)
                continue
            if code != 0:
                refused = classify(code, str(data.get("errmsg", "")))
                refused.resent = bool(data.get("_resent"))
                raise refused
            return data
        raise RetryLater("access_token refused twice", "token", delay=30)

    def send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/cgi-bin/message/send", {"agentid": self.agent_id, **body})

    def update_template_card(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/cgi-bin/message/update_template_card", {"agentid": self.agent_id, **body})
