"""The comparison point for bench/webhook.py: an endpoint that only reads the body and answers 200,
served by the same uvicorn settings as the real webhook."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/wecom/callback")
async def callback(request: Request) -> Response:
    await request.body()
    return Response(status_code=200)


@app.get("/healthz")
async def healthz() -> Response:
    return Response(status_code=200)
