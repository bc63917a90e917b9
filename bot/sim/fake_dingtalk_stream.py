"""A stand-in for DingTalk's Stream gateway, for tests and local runs.

  POST /v1.0/gateway/connections/open   clientId + clientSecret → {"endpoint": "ws://…/connect", "ticket": …}
  GET  ws://…/connect?ticket=…          the Stream WebSocket (ticket single-use, valid 90 s)

It behaves like DingTalk where that matters for "nothing lost, nothing twice": a frame that was not ACKed
when its connection ended is pushed again on the next connection (same messageId); frames pushed while
no client is connected wait for one. Every ACK is recorded with its time and messageId. Tests can push
robot messages, pings and `disconnect`, drop the socket without a close handshake, and lose an ACK on
purpose (the frame then counts as unACKed and is pushed again).

Two small servers on background threads: the register call on the standard library's HTTP server, the
WebSocket on `websockets` in its own asyncio loop. Methods are thread-safe.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
TICKET_SECONDS = 90


@dataclass
class Ack:
    message_id: str
    at: float  # time.monotonic() when the gateway read it
    code: int | None
    data: str | None
    connection: int


@dataclass
class Registration:
    ticket: str
    subscriptions: list[dict[str, Any]]
    ua: str | None
    at: float
    used: bool = False


@dataclass
class _Conn:
    number: int
    ws: ServerConnection
    ticket: str
    sent: list[str] = field(default_factory=list)  # messageIds pushed on this connection


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeStreamGateway:
    def __init__(self, client_id: str = "dingfakeappkey", client_secret: str = "fake-app-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.http_port = _free_port()
        self.ws_port = _free_port()
        self.open_url = f"http://127.0.0.1:{self.http_port}/v1.0/gateway/connections/open"
        self.ws_url = f"ws://127.0.0.1:{self.ws_port}/connect"
        self.registrations: list[Registration] = []
        self.refused_registrations = 0
        self.acks: list[Ack] = []
        self.connections: list[str] = []  # the ticket each connection used, in order
        self._frames: dict[str, dict[str, Any]] = {}  # messageId → frame, for every frame pushed
        self._unacked: list[str] = []  # in push order
        self._lose_ack: set[str] = set()
        self._conn: _Conn | None = None
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ws_server: Server | None = None
        self._http = ThreadingHTTPServer(("127.0.0.1", self.http_port), self._handler())
        self._threads: list[threading.Thread] = []

    # -- life ----------------------------------------------------------------------------------------

    def __enter__(self) -> FakeStreamGateway:
        ready = threading.Event()

        def loop_main() -> None:
            asyncio.set_event_loop(self._loop)

            async def start() -> None:
                self._ws_server = await serve(
                    self._serve_ws, "127.0.0.1", self.ws_port, process_request=self._check_ticket, ping_interval=None
                )
                ready.set()

            self._loop.run_until_complete(start())
            self._loop.run_forever()

        self._threads = [
            threading.Thread(target=loop_main, daemon=True, name="fake-stream-ws"),
            threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-stream-http"
            ),
        ]
        for thread in self._threads:
            thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake stream gateway did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

        async def close() -> None:
            for task in asyncio.all_tasks():  # pending `disconnect` closers
                if task is not asyncio.current_task():
                    task.cancel()
            if self._ws_server is not None:
                self._ws_server.close()
                await self._ws_server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        for thread in self._threads:
            thread.join(10)

    # -- register (HTTP) -----------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                status, answer = gateway._register(body if isinstance(body, dict) else {})
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        return Handler

    def _register(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not (isinstance(body.get("subscriptions"), list) and body["subscriptions"]):
            return HTTPStatus.BAD_REQUEST, {"code": "InvalidParameter", "message": "subscriptions is required"}
        with self._cond:
            if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
                self.refused_registrations += 1
                self._cond.notify_all()
                return HTTPStatus.UNAUTHORIZED, {
                    "code": "InvalidAuthentication",
                    "message": "clientId or secret invalid",
                }
            ticket = str(uuid.uuid4())
            self.registrations.append(
                Registration(ticket, list(body.get("subscriptions") or []), body.get("ua"), time.monotonic())
            )
            self._cond.notify_all()
        return HTTPStatus.OK, {"endpoint": self.ws_url, "ticket": ticket}

    # -- the socket ----------------------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = (parse_qs(urlsplit(request.path).query).get("ticket") or [""])[0]
        with self._cond:
            found = next((r for r in self.registrations if r.ticket == ticket), None)
            if found is None or found.used or time.monotonic() - found.at > TICKET_SECONDS:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "ticket unknown, used or expired\n")
            found.used = True
        return None

    async def _serve_ws(self, ws: ServerConnection) -> None:
        ticket = (parse_qs(urlsplit(ws.request.path if ws.request else "").query).get("ticket") or [""])[0]
        with self._cond:
            self.connections.append(ticket)
            conn = _Conn(len(self.connections), ws, ticket)
            self._conn = conn
            waiting = list(self._unacked)
            self._cond.notify_all()
        for message_id in waiting:  # pushed again: not ACKed on an earlier connection, or never sent
            await self._send(conn, self._frames[message_id])
        try:
            async for raw in ws:
                self._record(conn, raw)
        except Exception:  # a dropped socket ends the loop either way
            pass
        finally:
            with self._cond:
                if self._conn is conn:
                    self._conn = None
                self._cond.notify_all()

    async def _send(self, conn: _Conn, frame: dict[str, Any]) -> None:
        try:
            await conn.ws.send(json.dumps(frame, ensure_ascii=False))
            conn.sent.append(frame["headers"]["messageId"])
        except Exception:
            pass  # the connection went away; the frame stays unACKed for the next one

    def _record(self, conn: _Conn, raw: str | bytes) -> None:
        try:
            answer = json.loads(raw)
            message_id = answer["headers"]["messageId"]
        except (ValueError, KeyError, TypeError):
            return
        with self._cond:
            if message_id in self._lose_ack:
                self._lose_ack.discard(message_id)
            else:
                self.acks.append(Ack(message_id, time.monotonic(), answer.get("code"), answer.get("data"), conn.number))
                if message_id in self._unacked:
                    self._unacked.remove(message_id)
            self._cond.notify_all()

    def _call(self, make: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    # -- what tests do -------------------------------------------------------------------------------

    def push_frame(self, frame: dict[str, Any], *, lose_ack: bool = False, track: bool = True) -> str:
        """Push a frame to the connected client (or to the next one). Tracked frames are pushed again until ACKed."""
        message_id = frame["headers"]["messageId"]
        with self._cond:
            self._frames[message_id] = frame
            if track and message_id not in self._unacked:
                self._unacked.append(message_id)
            if lose_ack:
                self._lose_ack.add(message_id)
            conn = self._conn
        if conn is not None:
            self._call(lambda: self._send(conn, frame))
        return message_id

    def push_robot(
        self,
        payload: dict[str, Any],
        *,
        message_id: str | None = None,
        lose_ack: bool = False,
        topic: str = ROBOT_TOPIC,
    ) -> str:
        """A CALLBACK frame carrying a robot message (`data` is a JSON string, as DingTalk sends it)."""
        frame = {
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {
                "appId": "fake-app",
                "connectionId": f"conn-{len(self.connections)}",
                "contentType": "application/json",
                "messageId": message_id or f"{secrets.token_hex(4)}_{int(time.time() * 1000):x}",
                "time": str(int(time.time() * 1000)),
                "topic": topic,
            },
            "data": json.dumps(payload, ensure_ascii=False),
        }
        return self.push_frame(frame, lose_ack=lose_ack)

    def redeliver(self, message_id: str) -> None:
        """Push an earlier frame again with the same messageId, ACKed or not (DingTalk does after a late ACK)."""
        self.push_frame(self._frames[message_id], track=False)

    def redeliver_unacked(self) -> list[str]:
        """Push every frame not ACKed yet again on the current connection (DingTalk's re-push)."""
        waiting = self.unacked
        for message_id in waiting:
            self.push_frame(self._frames[message_id], track=False)
        return waiting

    def ping(self) -> str:
        message_id = f"ping-{secrets.token_hex(4)}"
        frame = {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {"contentType": "application/json", "messageId": message_id, "time": "0", "topic": "ping"},
            "data": json.dumps({"opaque": secrets.token_hex(8)}),
        }
        self.push_frame(frame, track=False)
        return message_id

    def disconnect(self, reason: str = "persistent connection is timeout", close_after: float = 10.0) -> None:
        """Ask the client to reconnect; close the socket ourselves after `close_after` s if it has not."""
        frame = {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {
                "contentType": "application/json",
                "messageId": f"dis-{secrets.token_hex(4)}",
                "topic": "disconnect",
            },
            "data": json.dumps({"reason": reason}),
        }
        with self._cond:
            conn = self._conn
        if conn is None:
            return
        self._call(lambda: self._send(conn, frame))

        async def later() -> None:
            await asyncio.sleep(close_after)
            await conn.ws.close()

        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(later()))

    def drop(self) -> None:
        """Cut the current connection without a close handshake (a network failure)."""
        with self._cond:
            conn = self._conn
        if conn is not None:
            self._loop.call_soon_threadsafe(conn.ws.transport.abort)
            self.wait_for(lambda: self._conn is not conn, what="the dropped connection to end")

    # -- waiting -------------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "a condition") -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise TimeoutError(f"fake stream gateway: timed out waiting for {what}")

    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` connections have been made and one is open now."""
        self.wait_for(
            lambda: len(self.connections) >= count and self._conn is not None, timeout, f"connection #{count}"
        )

    def wait_acked(self, message_id: str, timeout: float = 5.0) -> Ack:
        self.wait_for(lambda: any(a.message_id == message_id for a in self.acks), timeout, f"the ACK of {message_id}")
        with self._cond:
            return next(a for a in self.acks if a.message_id == message_id)

    def acked(self, message_id: str) -> list[Ack]:
        with self._cond:
            return [a for a in self.acks if a.message_id == message_id]

    @property
    def unacked(self) -> list[str]:
        with self._cond:
            return list(self._unacked)

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._conn is not None
