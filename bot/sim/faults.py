"""What the fake WeCom and DingTalk APIs share: the record of what they were sent (a log and an inbox per
user, in Redis, so the workers, the API and the tests read one record), faults switched on per API for the
next N calls (an HTTP status, an error code, a delay), a latency on every call, and the control endpoints
the tests and the chat page use (POST /_faults, GET and DELETE /_sent)."""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from redis import Redis
from redis.client import Pipeline

Spec = dict[str, Any]


class SimulatedPlatform:
    """The record and the fault switches of one fake platform, under its Redis `prefix`."""

    prefix: ClassVar[str]
    redis: Redis

    # -- signing a member in to a web page (OAuth): who the simulated app is signed in as, and the code ------
    @property
    def member_cookie(self) -> str:
        return f"sim_{self.prefix.removeprefix('sim:')}_user"  # sim_wecom_user, sim_dingtalk_user

    def signed_in_member(self, request: Request) -> str | None:
        """?sim_user= (the /sim page's choice, or a pick on the chooser) or the cookie the last sign-in left."""
        return request.query_params.get("sim_user") or request.cookies.get(self.member_cookie)

    def issue_sign_in_code(self, user: str) -> str:
        """The code the platform puts on the redirect once a member has signed in: one use, 5 minutes."""
        code = secrets.token_urlsafe(32)
        self.redis.set(f"{self.prefix}:oauth:{code}", user, ex=300)
        return code

    def back_with_code(self, redirect: str, code_name: str, user: str, state: str) -> RedirectResponse:
        """The redirect to the page that asked, with the code and its state; the member stays signed in."""
        join = "&" if "?" in redirect else "?"
        answer = RedirectResponse(
            f"{redirect}{join}{urlencode({code_name: self.issue_sign_in_code(user), 'state': state})}", 302
        )
        path = "/" + self.prefix.replace(":", "/")
        answer.set_cookie(self.member_cookie, user, path=path, httponly=True, samesite="lax")
        return answer

    @staticmethod
    def member_chooser(request: Request, app: str, users: Iterable[str]) -> HTMLResponse:
        """No member signed in: a page to pick one, standing in for the scan from a phone."""
        base = str(request.url.remove_query_params("sim_user"))
        join = "&" if "?" in base else "?"
        items = "".join(
            f'<li><a href="{html.escape(base + join + urlencode({"sim_user": u}))}">{html.escape(u)}</a></li>'
            for u in sorted(users)
        )
        return HTMLResponse(
            '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>模拟{app}登录</title><h1>模拟{app}：选择登录成员</h1><ul>{items}</ul>"
        )

    def inbox_key(self, user: str) -> str:
        return f"{self.prefix}:inbox:{user}"

    def record(self, entry: dict[str, Any], users: list[str]) -> dict[str, Any]:
        entry["seq"] = self.redis.incr(f"{self.prefix}:seq")
        entry["at"] = time.time()
        data = json.dumps(entry, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(f"{self.prefix}:log", data)
        for user in users:
            pipe.rpush(self.inbox_key(user), data)
        pipe.execute()
        return entry

    def sent(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.redis.lrange(f"{self.prefix}:log", 0, -1)]

    def inbox(self, user: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.redis.lrange(self.inbox_key(user), 0, -1)]

    def reset(self) -> None:
        keys = list(self.redis.scan_iter(f"{self.prefix}:*"))
        for i in range(0, len(keys), 500):
            self.redis.delete(*keys[i : i + 500])

    # -- faults ---------------------------------------------------------------------------------------
    def fault(self, api: str) -> Spec | None:
        """Take one use of the fault switched on for `api` (or for any API), if there is one; else the
        latency, if one is set."""
        pipe = self.redis.pipeline(transaction=False)
        self.probe_fault(pipe, api)
        armed, latency = pipe.execute()
        return self.fault_from_probe(api, armed, latency)

    def probe_fault(self, pipe: Pipeline, api: str) -> None:
        """Queue the two reads that tell whether `api` has a fault or a latency: a caller may add them to
        a round trip of its own."""
        pipe.exists(f"{self.prefix}:fault:{api}", f"{self.prefix}:fault:any")
        pipe.get(f"{self.prefix}:latency")

    def fault_from_probe(self, api: str, armed: int, latency: bytes | None) -> Spec | None:
        slow = {"delay": float(latency)} if latency else None
        if not armed:
            return slow  # the usual case: one round trip
        for name in (api, "any"):
            key = f"{self.prefix}:fault:{name}"
            every = int(self.redis.hget(key, "every") or 1)
            if every > 1 and self.redis.hincrby(key, "seen", 1) % every:
                return slow  # not this call: only every n-th one
            remaining = self.redis.hincrby(key, "remaining", -1)
            if remaining >= 0:
                raw = self.redis.hget(key, "spec")
                if remaining == 0:
                    self.redis.delete(key)
                spec = json.loads(raw) if raw else {}
                return {**spec, "delay": spec.get("delay") or (slow or {}).get("delay")}
            self.redis.delete(key)
        return slow

    def set_fault(
        self,
        api: str,
        count: int,
        *,
        http_status: int | None = None,
        code: str | None = None,
        errcode: int | None = None,
        delay: float | None = None,
        every: int = 1,
    ) -> None:
        """The next `count` calls to `api` ("any": to every API) answer with this instead; with `every`,
        only every n-th call does, until `count` of them have."""
        spec = {"http_status": http_status, "code": code, "errcode": errcode, "delay": delay}
        self.redis.hset(
            f"{self.prefix}:fault:{api}",
            mapping={"remaining": count, "spec": json.dumps(spec), "every": every, "seen": 0},
        )

    def set_latency(self, seconds: float) -> None:
        """Every API call answers after this long, as the platform does from far away (0: at once)."""
        if seconds > 0:
            self.redis.set(f"{self.prefix}:latency", seconds)
        else:
            self.redis.delete(f"{self.prefix}:latency")


async def fault_answer(
    spec: Spec | None, http_error: Callable[[Spec], dict[str, Any]], errcode_error: Callable[[int], dict[str, Any]]
) -> JSONResponse | None:
    """The answer a fault gives (after its delay), in the platform's shapes; None: answer as usual."""
    if not spec:
        return None
    if spec.get("delay"):
        await asyncio.sleep(float(spec["delay"]))
    if spec.get("http_status"):
        return JSONResponse(http_error(spec), status_code=int(spec["http_status"]))
    if spec.get("errcode") is not None:
        return JSONResponse(errcode_error(int(spec["errcode"])))
    return None


async def json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object; None when the body is not one."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def add_control_routes(
    router: APIRouter, fake: SimulatedPlatform, default_api: str, expirers: Mapping[str, Callable[[], int]]
) -> None:
    """POST /_faults arms a fault ({"api", "count", "http_status", "code", "errcode", "delay", "every"}) or, with one
    of `expirers`' names set ({"expire_tokens": true}), expires what it names; /_sent reads or clears."""

    @router.post("/_faults")
    async def set_fault(request: Request) -> JSONResponse:
        spec = await json_body(request) or {}
        for name, expire in expirers.items():
            if spec.get(name):
                return JSONResponse({"expired": await run_in_threadpool(expire)})
        await run_in_threadpool(
            lambda: fake.set_fault(
                str(spec.get("api", default_api)),
                int(spec.get("count", 1)),
                http_status=spec.get("http_status"),
                code=spec.get("code"),
                errcode=spec.get("errcode"),
                delay=spec.get("delay"),
                every=int(spec.get("every", 1)),
            )
        )
        return JSONResponse({"ok": True})

    @router.get("/_sent")
    async def sent() -> JSONResponse:
        return JSONResponse(await run_in_threadpool(fake.sent))

    @router.delete("/_sent")
    async def reset() -> JSONResponse:
        await run_in_threadpool(fake.reset)
        return JSONResponse({"ok": True})

    router.fake = fake  # type: ignore[attr-defined]  # the tests and the chat page reach the fake here
