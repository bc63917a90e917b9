"""What every platform's HTTP endpoints share: the capped body read and the JSON problem answer.

Each platform package (wecom/, dingtalk/) imports from here and never from the other, so they stay independent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


class BodyTooLarge(Exception):
    """The body is over the cap (declared or streamed)."""


def problem(status: int, error: str, reason: str, code: int | None = None) -> JSONResponse:
    body: dict[str, object] = {"error": error, "reason": reason}
    if code is not None:
        body["code"] = code
    return JSONResponse(body, status_code=status)


def callback_route(router: APIRouter, path: str) -> Callable[[Endpoint], Endpoint]:
    """Register a platform's POST callback as a plain Starlette route.

    A callback takes only the Request, and FastAPI's per-request dependency solving and response handling
    cost about as much as the rest of the webhook's framework path together.
    """

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_route(path, endpoint, methods=["POST"])
        return endpoint

    return register


async def read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 18 or int(declared) > limit)
    ):
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
