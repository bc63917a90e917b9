"""DingTalk Stream mode: receive robot messages and card taps over an outbound WebSocket (no public address).

Register (POST the open-connection endpoint with the app credentials → endpoint + single-use ticket), connect
to `endpoint?ticket=…`, then for each frame:

* SYSTEM `ping` → echo it back as the ACK at once; SYSTEM `disconnect` → close, register again, reconnect.
* CALLBACK / EVENT → send the ACK **first**, then parse and put the message in a local buffer. A separate
  task moves the buffer into Redis (remember the DingTalk session, queue `handle_inbound` with the job id
  derived from `dingtalk:msg:<msgId>`), so a late ACK never makes DingTalk re-push (it does after ~16–60 s).

Why not the official SDK (dingtalk-stream 0.24.3): its client sends the ACK only after the handler returns,
registers with blocking `requests` inside the event loop, sleeps a fixed 10 s / 3 s between reconnects
(no backoff, no jitter), has no pong timeout (dead connections go unnoticed), hard-codes the endpoint as a
class constant and logs whole frames, sessionWebhook (a bearer URL) included. Bending it to ACK first means
overriding its handlers' private protocol and still inheriting the rest. The protocol is four JSON shapes,
so this is a small client on `websockets` (BSD, already installed with uvicorn[standard]) and httpx.

Semantics:

* ACK before processing: once a frame is ACKed this process owns the message. If Redis cannot take it,
  the message stays in a bounded in-memory buffer and the drain task retries with backoff (0.2 s → 10 s),
  across reconnects. The trade-off: a crash or kill -9 while Redis is down loses what is buffered (logged
  at shutdown with its dedup keys); the alternative — ACK only after Redis — brings back DingTalk's
  redelivery storms on every slow enqueue. When the buffer is full the client stops ACKing: it closes
  the socket without ACKing the frame in hand (DingTalk re-pushes it) and stays away until the buffer
  has drained to half.
* De-dup: a bounded in-process LRU of `headers.messageId` and of the message's dedup key drops re-pushes
  cheaply; the queue's job id (from the dedup key, kept in Redis for the dedup TTL) drops them across
  restarts and replicas; the dispatcher's unique inbound log catches the rest.
* Reconnect: after a `disconnect` frame, a dropped socket or a failed register, wait a jittered,
  exponentially growing delay — "equal jitter": a uniform draw in [d/2, d] with d = 1 s, 2 s, 4 s … capped
  at 60 s — and register again (a ticket is valid once, for 90 s). The step resets once a connection
  has stayed up for 30 s, or on a planned `disconnect`.
* Keep-alive: websockets' own ping every 30 s with a 20 s pong timeout, so a silently dead connection
  (a known SDK problem) is noticed and replaced.

Nothing here logs the ticket, the client secret or message contents.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
from redis.exceptions import RedisError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, WebSocketException

from bot import metrics
from bot.config import Settings
from bot.models import Inbound
from bot.platforms.dingtalk.cards import inbound_from_card_callback
from bot.platforms.dingtalk.sessions import remember_session
from bot.platforms.dingtalk.wire import (
    Conversation,
    DingTalkQuotaExceeded,
    DingTalkWireError,
    conversation_of,
    inbound_from_robot,
)
from bot.queue import QueueUnavailable, enqueue_inbound_batch, redis_client

log = logging.getLogger("cadrebot.dingtalk.stream")

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
OPEN_CONNECTION = "https://api.dingtalk.com/v1.0/gateway/connections/open"
USER_AGENT = "cadrebot/0.1 (DingTalk Stream)"

# The ACK bodies of spec §3.4: a robot message's is ignored; an event's says it was taken.
CALLBACK_ACK_DATA = json.dumps({"response": None})
EVENT_ACK_DATA = json.dumps({"status": "SUCCESS", "message": "success"})


class RegisterError(Exception):
    """The open-connection call did not give an endpoint and a ticket."""

    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0
    cap: float = 60.0
    factor: float = 2.0

    def delay(self, attempt: int, draw: float) -> float:
        """The wait before retry number `attempt` (0-based), `draw` uniform in [0, 1): in [d/2, d]."""
        ceiling = min(self.cap, self.base * self.factor ** min(attempt, 64))
        return ceiling / 2 + ceiling / 2 * draw


@dataclass
class Handoff:
    """An ACKed message on its way to the queue."""

    message_id: str  # headers.messageId of the frame that brought it
    inbound: Inbound
    conversation: Conversation | None = None  # for robot messages (where to reply); None for card taps


HandoffFn = Callable[[list[Handoff]], list[bool]]
Sleep = Callable[[float], Awaitable[None]]


def make_handoff(settings: Settings) -> HandoffFn:
    """Remember each sender's DingTalk session, then queue the batch (one job per dedup key). Blocking;
    runs on a worker thread. Raises QueueUnavailable when Redis is unreachable."""

    def handoff(items: list[Handoff]) -> list[bool]:
        try:
            redis = redis_client(settings.redis_url)
            for item in items:
                if item.conversation is not None:
                    remember_session(redis, item.inbound.sender, item.conversation)
        except RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc
        return enqueue_inbound_batch(settings, [item.inbound for item in items])

    return handoff


class _Seen:
    """A bounded set with least-recently-seen eviction."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)


def local_ip() -> str:
    """The address of the interface that routes outwards (a UDP connect sends nothing)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def _ticket_url(endpoint: str, ticket: str) -> str:
    return f"{endpoint}{'&' if '?' in endpoint else '?'}ticket={quote_plus(ticket)}"


def _ack(message_id: str, data: str, headers: dict[str, Any] | None = None) -> str:
    sent = {**(headers or {}), "messageId": message_id, "contentType": "application/json"}
    return json.dumps({"code": 200, "headers": sent, "message": "OK", "data": data}, ensure_ascii=False)


class StreamClient:
    """One Stream connection at a time, re-registered on every reconnect; `run()` until `stop()`."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        handoff: HandoffFn,
        endpoint: str = OPEN_CONNECTION,
        subscribe_events: bool = False,
        backoff: Backoff = Backoff(),
        queue_backoff: Backoff = Backoff(0.2, 10.0),
        stable_after: float = 30.0,
        sleep: Sleep | None = None,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        buffer_limit: int = 1000,
        seen_size: int = 10_000,
        max_batch: int = 100,
        shutdown_grace: float = 10.0,
        ping_interval: float = 30.0,
        ping_timeout: float = 20.0,
        http_timeout: float = 10.0,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.handoff = handoff
        self.endpoint = endpoint
        self.subscribe_events = subscribe_events
        self.backoff = backoff
        self.queue_backoff = queue_backoff
        self.stable_after = stable_after
        self._sleep = sleep or asyncio.sleep
        self._draw = draw
        self._clock = clock
        self._now = now
        self.buffer_limit = buffer_limit
        self.max_batch = max_batch
        self.shutdown_grace = shutdown_grace
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.http_timeout = http_timeout
        self._buffer: deque[Handoff] = deque()
        self._seen = _Seen(seen_size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._room: asyncio.Event | None = None
        self._stop_requested = threading.Event()
        self.connections = 0  # sessions opened, for tests and logs

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> StreamClient:
        if settings.dingtalk_client_id is None or settings.dingtalk_client_secret is None:
            # `cadrebot dingtalk-stream` says which one is missing before it gets here
            raise ValueError("Stream mode needs CADREBOT_DINGTALK_CLIENT_ID and CADREBOT_DINGTALK_CLIENT_SECRET")
        return cls(
            client_id=settings.dingtalk_client_id,
            client_secret=settings.dingtalk_client_secret.get_secret_value(),
            endpoint=settings.dingtalk_stream_endpoint,
            handoff=make_handoff(settings),
            **kwargs,
        )

    # -- control -------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the client to finish the frame in hand, close the socket and drain its buffer. Thread-safe."""
        self._stop_requested.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _time(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def _pause(self, delay: float) -> None:
        """Sleep (the injected sleep, so tests see the delays), cut short by stop()."""
        assert self._stop is not None
        sleeper = asyncio.ensure_future(self._sleep(delay))
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeper, stopper):
            task.cancel()

    # -- the connection loop -------------------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._wake, self._room = asyncio.Event(), asyncio.Event(), asyncio.Event()
        if self._stop_requested.is_set():
            self._stop.set()
        drain = asyncio.create_task(self._drain(), name="dingtalk-stream-drain")
        attempt = 0
        try:
            async with httpx.AsyncClient(timeout=self.http_timeout) as http:
                while not self._stop.is_set():
                    if len(self._buffer) >= self.buffer_limit:
                        await self._wait_for_room()
                        continue
                    planned, lasted = False, 0.0
                    try:
                        endpoint, ticket = await self._register(http)
                        planned, lasted = await self._session(endpoint, ticket)
                    except RegisterError as exc:
                        self._log_register_failure(exc)
                    except (OSError, httpx.HTTPError, WebSocketException, TimeoutError) as exc:
                        log.warning(
                            "dingtalk stream connection lost",
                            extra={"error": type(exc).__name__, "detail": str(exc)[:200]},
                        )
                    except Exception:  # a bug must not end the stream: log it and reconnect with backoff
                        log.exception("dingtalk stream failed unexpectedly")
                    if self._stop.is_set():
                        break
                    if planned or lasted >= self.stable_after:
                        attempt = 0
                    delay = self.backoff.delay(attempt, self._draw())
                    attempt += 1
                    log.info("dingtalk stream reconnecting", extra={"delay_s": round(delay, 2), "attempt": attempt})
                    await self._pause(delay)
        finally:
            self._stop.set()
            self._wake.set()
            await self._finish(drain)

    async def _finish(self, drain: asyncio.Task[None]) -> None:
        """Give the buffer `shutdown_grace` seconds to reach Redis; say loudly what could not."""
        try:
            await asyncio.wait_for(asyncio.shield(drain), self.shutdown_grace)
        except TimeoutError:
            drain.cancel()
            lost = [item.inbound.dedup_key for item in self._buffer]
            log.error(
                "dingtalk stream stopped with ACKed messages not queued (Redis unreachable); they are lost",
                extra={"count": len(lost), "dedup_keys": lost[:50]},
            )
        log.info("dingtalk stream stopped")

    async def _wait_for_room(self) -> None:
        assert self._room is not None and self._stop is not None
        log.warning(
            "dingtalk stream buffer full; not connected until Redis takes messages again",
            extra={"buffered": len(self._buffer)},
        )
        self._room.clear()
        room = asyncio.ensure_future(self._room.wait())
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({room, stopper}, return_when=asyncio.FIRST_COMPLETED)
        room.cancel()
        stopper.cancel()

    def _log_register_failure(self, exc: RegisterError) -> None:
        if exc.status in (400, 401, 403):
            log.error(
                "dingtalk stream register refused: check CADREBOT_DINGTALK_CLIENT_ID and "
                "CADREBOT_DINGTALK_CLIENT_SECRET (the app's AppKey/AppSecret) and that Stream mode is enabled",
                extra={"status": exc.status, "reason": exc.reason, "client_id": self.client_id},
            )
        else:
            log.warning("dingtalk stream register failed", extra={"status": exc.status, "reason": exc.reason})

    async def _register(self, http: httpx.AsyncClient) -> tuple[str, str]:
        subscriptions = [{"type": "CALLBACK", "topic": ROBOT_TOPIC}, {"type": "CALLBACK", "topic": CARD_TOPIC}]
        if self.subscribe_events:
            subscriptions.append({"type": "EVENT", "topic": "*"})
        body = {
            "clientId": self.client_id,
            "clientSecret": self._secret,
            "subscriptions": subscriptions,
            "ua": USER_AGENT,
            "localIp": local_ip(),
        }
        response = await http.post(self.endpoint, json=body, headers={"Accept": "application/json"})
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200:
            code = answer.get("code", "") if isinstance(answer, dict) else ""
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            raise RegisterError(response.status_code, f"{code} {message}".strip()[:200] or response.reason_phrase)
        endpoint = answer.get("endpoint") if isinstance(answer, dict) else None
        ticket = answer.get("ticket") if isinstance(answer, dict) else None
        if not isinstance(endpoint, str) or not isinstance(ticket, str) or not endpoint or not ticket:
            raise RegisterError(response.status_code, "answer has no endpoint and ticket")
        return endpoint, ticket

    async def _session(self, endpoint: str, ticket: str) -> tuple[bool, float]:
        """One connection until it ends. Returns (ended by a planned `disconnect`, seconds it was up)."""
        assert self._stop is not None
        opened = self._time()
        planned = False
        try:
            async with connect(
                _ticket_url(endpoint, ticket),
                open_timeout=self.http_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                close_timeout=2,
                user_agent_header=USER_AGENT,
            ) as ws:
                opened = self._time()
                self.connections += 1
                log.info("dingtalk stream connected", extra={"host": urlsplit(endpoint).hostname})
                stopper = asyncio.ensure_future(self._stop.wait())
                try:
                    while not self._stop.is_set():
                        receiving = asyncio.ensure_future(ws.recv())
                        await asyncio.wait({receiving, stopper}, return_when=asyncio.FIRST_COMPLETED)
                        if not receiving.done():
                            receiving.cancel()  # stopping: nothing half-read is lost, recv is cancel-safe
                            break
                        if not await self._on_frame(ws, receiving.result()):
                            planned = True
                            break
                finally:
                    stopper.cancel()
        except InvalidHandshake as exc:
            raise RegisterError(None, f"websocket handshake refused: {str(exc)[:150]}") from exc
        except ConnectionClosed as exc:
            log.warning("dingtalk stream socket closed", extra={"code": exc.rcvd.code if exc.rcvd else None})
        return planned, self._time() - opened

    # -- frames --------------------------------------------------------------------------------------

    async def _on_frame(self, ws: ClientConnection, raw: str | bytes) -> bool:
        """Handle one frame. False ends the connection (DingTalk asked us to reconnect, or we are full)."""
        try:
            frame = json.loads(raw)
            headers = frame.get("headers") or {}
            kind, topic, message_id = frame.get("type"), headers.get("topic"), headers.get("messageId")
        except (ValueError, AttributeError):
            log.warning("dingtalk stream frame is not a JSON object; ignored")
            return True
        if kind == "SYSTEM":
            if topic == "ping":
                await ws.send(_ack(message_id or "", frame.get("data") or "{}", headers))
            elif topic == "disconnect":
                log.info("dingtalk stream asked to reconnect", extra={"reason": _reason(frame.get("data"))})
                return False
            else:
                log.debug("dingtalk stream system frame ignored", extra={"topic": topic})
            return True
        if kind not in ("CALLBACK", "EVENT") or not isinstance(message_id, str) or not message_id:
            log.warning("dingtalk stream frame of unknown type or without messageId", extra={"type": kind})
            return True
        if len(self._buffer) >= self.buffer_limit:
            # Not ACKed, so DingTalk pushes it again; we come back once Redis has taken the backlog.
            log.error("dingtalk stream buffer full; leaving the stream", extra={"buffered": len(self._buffer)})
            return False
        # The ACK goes out before anything else is done with the frame.
        await ws.send(_ack(message_id, EVENT_ACK_DATA if kind == "EVENT" else CALLBACK_ACK_DATA))
        self._accept(kind, topic, message_id, frame.get("data"))
        return True

    def _accept(self, kind: str, topic: str | None, message_id: str, data: Any) -> None:
        """After the ACK: de-dup, parse, buffer. Never raises: a bad frame must not end the stream."""
        if message_id in self._seen:
            metrics.callback_counter("dingtalk", "duplicate").inc()
            log.info("dingtalk stream frame delivered again; dropped", extra={"message_id": message_id})
            return
        self._seen.add(message_id)
        if kind == "EVENT":
            log.info("dingtalk stream event acknowledged, not handled", extra={"topic": topic})
            return
        try:
            payload = json.loads(data) if isinstance(data, str | bytes) else data
            if not isinstance(payload, dict):
                raise ValueError("data is not a JSON object")
            handoff = self._parse(topic, message_id, payload)
        except Exception as exc:  # the wire parsers' errors and anything unexpected in a payload
            if isinstance(exc, DingTalkQuotaExceeded):
                metrics.callback_counter("dingtalk", "quota").inc()
                log.error("dingtalk robot quota exceeded; messages are being lost", extra={"message_id": message_id})
                return
            metrics.callback_counter("dingtalk", "bad_message").inc()
            log.warning(
                "dingtalk stream message could not be read; dropped",
                extra={"message_id": message_id, "topic": topic, "error": type(exc).__name__, "detail": str(exc)[:200]},
            )
            return
        if handoff is None:
            return
        key = handoff.inbound.dedup_key
        if key in self._seen:
            metrics.callback_counter("dingtalk", "duplicate").inc()
            log.info("dingtalk stream message pushed again; dropped", extra={"message_id": message_id})
            return
        self._seen.add(key)
        self._buffer.append(handoff)
        assert self._wake is not None
        self._wake.set()

    def _parse(self, topic: str | None, message_id: str, payload: dict[str, Any]) -> Handoff | None:
        received = self._now()
        if topic == ROBOT_TOPIC:
            inbound = inbound_from_robot(payload, received_at=received)
            try:
                conversation = conversation_of(payload)
            except DingTalkWireError as exc:
                conversation = None  # still a message; replies go through the OpenAPI instead
                log.warning("dingtalk message without a usable session", extra={"reason": exc.reason})
            return Handoff(message_id, inbound, conversation)
        if topic == CARD_TOPIC:
            # No message_id: a re-push may come with a new messageId, and the tap's own content (person, card,
            # button, choices) is what makes it the same tap. The card is updated through the card API
            # later, not through this frame's ACK.
            return Handoff(message_id, inbound_from_card_callback(payload, received_at=received))
        metrics.callback_counter("dingtalk", "ignored").inc()
        log.info("dingtalk stream callback topic not handled", extra={"topic": topic})
        return None

    # -- buffer → Redis ------------------------------------------------------------------------------

    async def _drain(self) -> None:
        """Move buffered messages into the queue, oldest first, retrying while Redis is away."""
        assert self._wake is not None and self._stop is not None and self._room is not None
        attempt = 0
        while True:
            if not self._buffer:
                if self._stop.is_set():
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._buffer[i] for i in range(min(self.max_batch, len(self._buffer)))]
            try:
                fresh = await asyncio.to_thread(self.handoff, batch)
            except QueueUnavailable as exc:
                delay = self.queue_backoff.delay(attempt, self._draw())
                attempt += 1
                log.warning(
                    "queue unavailable; holding ACKed dingtalk messages and retrying",
                    extra={"buffered": len(self._buffer), "delay_s": round(delay, 2), "error": str(exc)[:200]},
                )
                await self._sleep(delay)
                continue
            except Exception:
                # A bug, not an outage: retrying cannot help, and holding it would block everything behind it.
                log.exception(
                    "dingtalk messages could not be queued; dropped",
                    extra={"dedup_keys": [item.inbound.dedup_key for item in batch]},
                )
                fresh = None
            attempt = 0
            for index in range(len(batch)):
                self._buffer.popleft()
                if fresh is not None:
                    result = "queued" if fresh[index] else "duplicate"
                    metrics.callback_counter("dingtalk", result).inc()
            if len(self._buffer) <= self.buffer_limit // 2:
                self._room.set()


def _reason(data: Any) -> str:
    try:
        parsed = json.loads(data) if isinstance(data, str) else data
        return str(parsed.get("reason", ""))[:200] if isinstance(parsed, dict) else ""
    except ValueError:
        return ""


def run_stream(settings: Settings) -> None:
    """Run the Stream client in the foreground until SIGTERM or SIGINT."""
    import signal

    client = StreamClient.from_settings(settings)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, client.stop)
        await client.run()

    asyncio.run(main())
