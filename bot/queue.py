"""Redis connections and the RQ queues.

Three queues, in the order workers take them: inbound (what people said), outbound (deliveries) and
background (sweeps, summaries). An inbound job's id is derived from the message's dedup key, so a redelivered
callback finds its job already there and is dropped — across API replicas, because the check happens in
Redis — and the dispatcher's unique inbound log catches whatever slips past (a Redis restart, say).
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from threading import Lock

from redis import Redis
from redis.exceptions import NoScriptError, RedisError
from rq import Queue, Retry
from rq.job import Job
from rq.scripts import UNIQUE_ENQUEUE_SCRIPT
from rq.utils import now, utcformat

from bot.config import Settings
from bot.models import Inbound

_clients: dict[str, Redis] = {}
_lock = Lock()

INBOUND_RETRY = Retry(max=3, interval=[5, 30, 120])
# A message is answered in well under a second; one still running after this is stuck (a lock never given
# up): stopped, and RQ tries it again.
INBOUND_TIMEOUT = 30
_UNIQUE_SHA = hashlib.sha1(UNIQUE_ENQUEUE_SCRIPT.encode()).hexdigest()
FAILED_TTL = 14 * 24 * 3600
# Outbox rows per delivery job in a fan-out: enough to amortise a job and a transaction, few enough that
# several workers share a big broadcast.
DELIVERY_CHUNK = 50


class QueueUnavailable(Exception):
    """Redis could not take the job: the caller must not acknowledge the callback."""


def redis_client(url: str) -> Redis:
    """One pooled client per URL per process. Short timeouts: a webhook must answer 503 fast."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = Redis.from_url(
                url, socket_connect_timeout=1.0, socket_timeout=3.0, health_check_interval=30
            )
        return client


def reset_clients() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        _queues.clear()
        _templates.clear()


def queue_names(settings: Settings) -> list[str]:
    base = settings.queue_name
    return [f"{base}-inbound", f"{base}-outbound", f"{base}-background"]


_queues: dict[tuple[str, str], list[Queue]] = {}


def queues(settings: Settings, connection: Redis | None = None) -> list[Queue]:
    """The three queues. Cached per connection: a Queue remembers the Redis server version, which RQ
    would otherwise ask for (INFO) on every enqueue."""
    if connection is not None:
        return [Queue(name, connection=connection) for name in queue_names(settings)]
    key = (settings.queue_name, settings.redis_url)
    with _lock:
        cached = _queues.get(key)
    if cached is None:
        conn = redis_client(settings.redis_url)
        cached = [Queue(name, connection=conn) for name in queue_names(settings)]
        with _lock:
            _queues[key] = cached
    return cached


def inbound_queue(settings: Settings) -> Queue:
    return queues(settings)[0]


def outbound_queue(settings: Settings) -> Queue:
    return queues(settings)[1]


def background_queue(settings: Settings) -> Queue:
    return queues(settings)[2]


def inbound_job_id(inbound: Inbound) -> str:
    return "in-" + hashlib.sha256(inbound.dedup_key.encode()).hexdigest()[:40]


def _unique_job_args(job: Job) -> list[bytes | str | int]:
    """RQ's own job hash (Job.to_dict), as the field/value list its unique-enqueue script takes."""
    args: list[bytes | str | int] = [job.id, "R", job.ttl if job.ttl is not None else -1]
    for key, value in job.to_dict().items():
        if value is not None:
            args += [key, value if isinstance(value, bytes | str) else str(value)]
    return args


INBOUND_FUNC = "bot.dispatch.handle_inbound"
GIVE_UP_FUNC = "bot.dispatch.give_up"  # a message whose job killed its worker too often: recorded, and an apology


def _inbound_job(q: Queue, settings: Settings, inbound: Inbound) -> Job:
    """An inbound job as RQ's enqueue builds it."""
    job = q.create_job(
        INBOUND_FUNC,
        args=(inbound.model_dump(mode="json", exclude_none=True),),
        job_id=inbound_job_id(inbound),
        result_ttl=settings.dedup_ttl_seconds,
        failure_ttl=FAILED_TTL,
        timeout=INBOUND_TIMEOUT,
        retry=INBOUND_RETRY,
        description=_description(inbound),
    )
    q._prepare_for_queue(job)  # origin, enqueued_at, status, server version: as RQ's enqueue sets them
    return job


def _description(inbound: Inbound) -> str:
    return f"{inbound.platform} {inbound.kind} from {inbound.sender}"


class InboundJobTemplate:
    """Inbound job hashes stamped from one job RQ built itself.

    Building a Job and its hash costs ~100 µs a message on the webhook's event loop, and all but five of its
    fields (id, data, description, created_at, enqueued_at) are the same for every message. The template
    is taken from RQ's own Job, so its fields follow RQ's.
    """

    STAMPED = ("data", "description", "created_at", "enqueued_at")

    def __init__(self, q: Queue, settings: Settings, sample: Inbound) -> None:
        job = _inbound_job(q, settings, sample)
        args = _unique_job_args(job)
        self.ttl = args[2]
        pairs = list(zip(args[3::2], args[4::2], strict=True))
        self.fields = [key for key, _ in pairs]
        self.values = [value for _, value in pairs]
        self.slots = {key: self.fields.index(key) for key in self.STAMPED}
        self.dumps = job.serializer.dumps
        self.job_key = q.job_class.key_for

    def args(self, inbound: Inbound, stamp: str) -> tuple[str, list[bytes | str | int]]:
        """The job's key and the unique-enqueue script's arguments, as _unique_job_args gives them."""
        payload = inbound.model_dump(mode="json", exclude_none=True)
        values = list(self.values)
        values[self.slots["data"]] = zlib.compress(self.dumps((INBOUND_FUNC, None, (payload,), {})))
        values[self.slots["description"]] = _description(inbound)
        values[self.slots["created_at"]] = values[self.slots["enqueued_at"]] = stamp
        job_id = inbound_job_id(inbound)
        out: list[bytes | str | int] = [job_id, "R", self.ttl]
        for key, value in zip(self.fields, values, strict=True):
            out += [key, value]
        return self.job_key(job_id), out


_templates: dict[tuple[str, str], InboundJobTemplate] = {}


def inbound_template(settings: Settings, sample: Inbound) -> InboundJobTemplate:
    key = (settings.queue_name, settings.redis_url)
    template = _templates.get(key)
    if template is None:
        template = _templates[key] = InboundJobTemplate(inbound_queue(settings), settings, sample)
    return template


def enqueue_inbound_batch(settings: Settings, inbounds: list[Inbound]) -> list[bool]:
    """Queue messages for the dispatcher in one Redis round trip, however many there are.

    Returns, per message, True if it was queued now and False if its job already exists (a redelivery).
    Raises QueueUnavailable when Redis cannot take them; then none of them may be acknowledged.

    The job id is derived from the message's dedup key, so the job itself is the dedup marker: no
    separate key that could survive while its job was lost. Each job goes through RQ's own unique-enqueue
    script (exists? else save and push, atomically), all of them pipelined: one round trip, and two replicas
    racing on the same message cannot both queue it.
    """
    try:
        inbound_queue(settings).get_redis_server_version()  # once per process; RQ stamps it on each job
        return send_inbound_batch(settings, prepare_inbound_batch(settings, inbounds))
    except RedisError as exc:
        raise QueueUnavailable(str(exc)) from exc


@dataclass
class PreparedBatch:
    fresh: list[bool]  # per message: not a repeat of an earlier one in the same batch
    jobs: list[tuple[str, list[bytes | str | int]]]  # per new job: its key and the script's arguments


def prepare_inbound_batch(settings: Settings, inbounds: list[Inbound]) -> PreparedBatch:
    """The jobs, as RQ's enqueue builds them. No I/O once the queue knows the Redis version."""
    fresh: list[bool] = []
    jobs: list[tuple[str, list[bytes | str | int]]] = []
    if not inbounds:
        return PreparedBatch(fresh, jobs)
    template = inbound_template(settings, inbounds[0])
    stamp = utcformat(now())
    seen: set[str] = set()
    for inbound in inbounds:
        job_id = inbound_job_id(inbound)
        if job_id in seen:
            fresh.append(False)
            continue
        seen.add(job_id)
        fresh.append(True)
        jobs.append(template.args(inbound, stamp))
    return PreparedBatch(fresh, jobs)


def send_inbound_batch(settings: Settings, batch: PreparedBatch) -> list[bool]:
    """The round trip of enqueue_inbound_batch."""
    try:
        queued = _enqueue_unique(inbound_queue(settings), batch.jobs)
    except RedisError as exc:
        raise QueueUnavailable(str(exc)) from exc
    results = iter(queued)
    return [bool(next(results)) if new else False for new in batch.fresh]


def _enqueue_unique(q: Queue, jobs: list[tuple[str, list[bytes | str | int]]]) -> list[int]:
    """RQ's UNIQUE_ENQUEUE_SCRIPT per job, by its hash, in one pipeline: 1 queued, 0 already there."""
    for attempt in (1, 2):
        with q.connection.pipeline(transaction=False) as pipe:
            pipe.sadd(q.redis_queues_keys, q.key)
            for job_key, args in jobs:
                pipe.evalsha(_UNIQUE_SHA, 2, job_key, q.key, *args)
            replies = pipe.execute(raise_on_error=False)[1:]
        if attempt == 1 and any(isinstance(r, NoScriptError) for r in replies):
            # Redis restarted (scripts are not kept): no job ran, so load the script and send them again.
            q.connection.script_load(UNIQUE_ENQUEUE_SCRIPT)
            continue
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return [int(r) for r in replies]
    raise AssertionError("unreachable")


def enqueue_inbound(settings: Settings, inbound: Inbound) -> bool:
    return enqueue_inbound_batch(settings, [inbound])[0]


class InboundBatcher:
    """Joins the messages of concurrent webhook requests into one enqueue.

    Under load, requests arriving while a batch is in Redis wait for the next one, so the round trip and
    the thread hand-off are paid once per batch instead of once per request; alone, a request is queued at
    once. A request is answered only when its batch is in Redis. The jobs are built on the event loop and
    only the round trip runs on the thread: work on the thread contends for the GIL with the loop, and
    every hand-back can wait a whole switch interval (5 ms), per job if the jobs were built there.
    """

    def __init__(self, settings: Settings, max_batch: int = 200) -> None:
        self.settings = settings
        self.max_batch = max_batch
        self._pending: list[tuple[Inbound, asyncio.Future[bool]]] = []
        self._busy = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enqueue")

    async def submit(self, inbound: Inbound) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((inbound, future))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._flush, loop)  # let requests already read in this loop turn join
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        inbounds = [inbound for inbound, _ in batch]
        work: asyncio.Future[list[bool]]
        if inbound_queue(self.settings).redis_server_version:  # building the jobs needs no round trip
            try:
                prepared = prepare_inbound_batch(self.settings, inbounds)
            except Exception as exc:  # a future left unsettled would hang its request
                work = loop.create_future()
                work.set_exception(exc)
            else:
                work = loop.run_in_executor(self._executor, send_inbound_batch, self.settings, prepared)
        else:
            work = loop.run_in_executor(self._executor, enqueue_inbound_batch, self.settings, inbounds)
        work.add_done_callback(lambda done: self._settle(loop, batch, done))

    def _settle(
        self, loop: asyncio.AbstractEventLoop, batch: list[tuple[Inbound, asyncio.Future[bool]]], done: asyncio.Future
    ) -> None:
        error = done.exception()
        for index, (_, future) in enumerate(batch):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(done.result()[index])
        if self._pending:
            self._flush(loop)
        else:
            self._busy = False


def enqueue_delivery(settings: Settings, outbox_ids: list[int], delay: float | None = None) -> None:
    """Queue delivery of outbox rows, in order. Idempotent: delivering a delivered row does nothing."""
    if not outbox_ids:
        return
    q = outbound_queue(settings)
    kwargs = {"job_timeout": 300, "result_ttl": 3600, "failure_ttl": FAILED_TTL}
    if delay and delay > 0:
        q.enqueue_in(timedelta(seconds=delay), "bot.delivery.deliver", outbox_ids, **kwargs)
    else:
        q.enqueue("bot.delivery.deliver", outbox_ids, **kwargs)
