"""Leases on running jobs, so a job whose worker died is run again within seconds, not minutes.

RQ marks a started job abandoned only when its entry in the queue's started registry expires — by default
the job's timeout + 60 s after it started — and looks for abandoned jobs only when a worker runs its
maintenance between jobs, which an idle worker does once per blocking dequeue (~7 minutes). Here a started
job's entry is a short lease instead, renewed every few seconds by its worker's pulse thread while the job
runs (bot/worker.py), and every worker's pulse thread and the scheduler process look for expired leases every
few seconds: an expired lease is a dead worker. Its job goes back to the front of its queue, at most
MAX_ABANDONS times (a message that kills every worker that touches it is failed, not retried for ever).

RQ's scheduler (which moves retries and delayed deliveries onto their queues when due) runs in one worker and
holds a lock per queue for 61 s, refreshed every second. A lock not refreshed for SCHEDULER_SILENT seconds
belongs to a dead scheduler and is freed by the same scan, so another worker's pulse takes over within
seconds instead of at its next maintenance, a minute or more later.

One moment is not covered by RQ's registry at all: a worker listening on several queues pops a job with
BLPOP and only then writes it into the started registry, so a worker killed in between takes the job with
it. LeasedQueue's dequeue takes a job and records it as taken (TAKEN: queue|job, scored by its lease) in one
script; the record is dropped by the worker's next take, when the job was surely started. A record left
behind whose job is neither started nor on its queue any more was lost in that moment, and is put back.

Running it again is safe: every job is idempotent (the inbound log's unique dedup hash, the outbox's claims).
Each move is one Lua script, so two processes finding the same expired lease move the job once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.registry import FailedJobRegistry, StartedJobRegistry

from bot.queue import FAILED_TTL, GIVE_UP_FUNC, INBOUND_FUNC

log = logging.getLogger("cadrebot.leases")

MAX_ABANDONS = 3
SCAN_LOCK = "cadrebot:leases:scan"
TAKEN = "cadrebot:leases:taken"
TAKEN_BATCH = 1000
IDLE_WAIT = 1  # seconds an idle worker blocks on its first queue before looking at all of them again
SCHEDULER_LOCK_TTL = 61  # RQScheduler's interval (1 s) + 60
SCHEDULER_SILENT = 10


@dataclass(frozen=True)
class LeaseTimes:
    """How long a started job's lease lasts, and how often it is renewed and expired leases looked for.
    A dead worker's job runs again at most lease + pulse seconds after the death."""

    lease: int = 20
    pulse: float = 5.0

    @property
    def worst_recovery(self) -> float:
        return self.lease + self.pulse


# KEYS: started registry, job hash, queue list, failed registry.
# ARGV: registry member (job_id:execution_id), now, job id, max abandons, failed-registry expiry.
_RECLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], 'status') ~= 'started' then return 0 end
local abandons = redis.call('HINCRBY', KEYS[2], 'cadrebot_abandons', 1)
if abandons > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[2], 'status', 'failed', 'exc_info', 'abandoned: its worker died ' .. (abandons - 1) .. ' times')
  redis.call('ZADD', KEYS[4], tonumber(ARGV[2]) + tonumber(ARGV[5]), ARGV[3])
  return 2
end
redis.call('HSET', KEYS[2], 'status', 'queued')
redis.call('LPUSH', KEYS[3], ARGV[3])
return 1
"""


def lease_expired_jobs(connection: Redis, queues: list[Queue], now: float | None = None) -> dict[str, int]:
    """Every job whose lease has run out goes back to the front of its queue (or, after MAX_ABANDONS, to the
    failed registry). Returns how many of each."""
    now = time.time() if now is None else now
    reclaim = connection.register_script(_RECLAIM)
    moved = {"requeued": 0, "failed": 0}
    for queue in queues:
        registry = StartedJobRegistry(queue.name, connection=connection)
        failed = FailedJobRegistry(queue.name, connection=connection)
        for raw in connection.zrangebyscore(registry.key, 0, now):
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            job_id = member.split(":", 1)[0]
            result = reclaim(
                keys=[registry.key, queue.job_class.key_for(job_id), queue.key, failed.key],
                args=[member, now, job_id, MAX_ABANDONS, FAILED_TTL],
            )
            if result == 1:
                moved["requeued"] += 1
                log.warning("job's worker died; queued again", extra={"job": job_id, "queue": queue.name})
            elif result == 2:
                moved["failed"] += 1
                log.error("job killed its worker too often; failed", extra={"job": job_id, "queue": queue.name})
                give_up(queue, job_id)
    return moved


def give_up(queue: Queue, job_id: str) -> None:
    """A message nobody could handle still gets an answer: a job that records it as failed and apologises,
    without running the handler that kept dying."""
    try:
        job = queue.job_class.fetch(job_id, connection=queue.connection)
        if job.func_name != INBOUND_FUNC or not job.args:
            return
        queue.enqueue(GIVE_UP_FUNC, job.args[0], job_id=f"{job_id}-gave-up", failure_ttl=FAILED_TTL)
    except Exception as exc:  # a job hash gone or unreadable: the failed registry still holds the record
        log.warning("could not queue the apology for an abandoned message", extra={"job": job_id, "error": str(exc)})


# KEYS: a scheduler lock. ARGV: its holder as read, the longest time left (ms) a silent holder's lock has.
_FREE_SILENT = """
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# KEYS: TAKEN, the queue keys in order. ARGV: the lease's end, the record of this worker's previous take.
_TAKE = """
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[1], ARGV[2]) end
for i = 2, #KEYS do
  local id = redis.call('LPOP', KEYS[i])
  if id then
    redis.call('ZADD', KEYS[1], ARGV[1], KEYS[i] .. '|' .. id)
    return {KEYS[i], id}
  end
end
return false
"""

# KEYS: TAKEN, the job hash, its queue. ARGV: the record, now, the job id.
_RETURN_LOST = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], 'status') ~= 'queued' then return 0 end
if redis.call('LPOS', KEYS[3], ARGV[3]) then return 0 end
redis.call('LPUSH', KEYS[3], ARGV[3])
return 1
"""

_last_take: dict[int, str] = {}  # per connection (one worker per process): the record its next take drops
_take_lock = threading.Lock()


class LeasedQueue(Queue):
    """RQ's Queue whose multi-queue dequeue records what it takes (see the module's docstring)."""

    lease_seconds = LeaseTimes().lease

    @classmethod
    def lpop(
        cls, queue_keys: Sequence[str], timeout: int | None, connection: Redis | None = None
    ) -> tuple[Any, Any] | None:
        assert connection is not None
        take = connection.register_script(_TAKE)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with _take_lock:
                previous = _last_take.pop(id(connection), "")
                got = take(keys=[TAKEN, *queue_keys], args=[time.time() + cls.lease_seconds, previous])
                if got:
                    queue_key, job_id = (v.decode() if isinstance(v, bytes) else str(v) for v in got)
                    _last_take[id(connection)] = f"{queue_key}|{job_id}"
                    return queue_key, job_id
            if deadline is None:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise DequeueTimeout(timeout, queue_keys)
            # Wait for the first (most urgent) queue without taking from it: a job moved from its head to its
            # head. The other queues are looked at again within IDLE_WAIT.
            connection.blmove(queue_keys[0], queue_keys[0], max(1, min(IDLE_WAIT, int(left))), "LEFT", "LEFT")


def return_lost_takes(connection: Redis, queues: list[Queue], now: float | None = None) -> int:
    """Jobs taken by a worker that died before starting them: back on their queues."""
    now = time.time() if now is None else now
    back = connection.register_script(_RETURN_LOST)
    job_class = queues[0].job_class if queues else Queue.job_class
    returned = 0
    for raw in connection.zrangebyscore(TAKEN, 0, now, start=0, num=TAKEN_BATCH):
        record = raw.decode() if isinstance(raw, bytes) else str(raw)
        queue_key, _, job_id = record.rpartition("|")
        returned += int(back(keys=[TAKEN, job_class.key_for(job_id), queue_key], args=[record, now, job_id]))
    if returned:
        log.warning("jobs taken by a worker that died before starting them: queued again", extra={"jobs": returned})
    return returned


def free_silent_scheduler_locks(connection: Redis, queues: list[Queue]) -> int:
    """Scheduler locks whose holder stopped refreshing them: freed for a living worker to take."""
    from rq.scheduler import SCHEDULER_LOCKING_KEY_TEMPLATE

    free = connection.register_script(_FREE_SILENT)
    keys = [SCHEDULER_LOCKING_KEY_TEMPLATE % q.name for q in queues]
    freed = 0
    for key, holder in zip(keys, connection.mget(keys), strict=True):
        if holder is not None:
            freed += int(free(keys=[key], args=[holder, (SCHEDULER_LOCK_TTL - SCHEDULER_SILENT) * 1000]))
    if freed:
        log.warning("a dead scheduler's locks freed", extra={"locks": freed})
    return freed


def scan_once(connection: Redis, queues: list[Queue], times: LeaseTimes) -> dict[str, int] | None:
    """lease_expired_jobs, by one process at a time (the others skip this round); None when skipped or when
    Redis is away (the next round tries again)."""
    try:
        if not connection.set(SCAN_LOCK, 1, nx=True, px=max(int(times.pulse * 1000) - 100, 100)):
            return None
        moved = lease_expired_jobs(connection, queues)
        moved["lost"] = return_lost_takes(connection, queues)
        moved["schedulers"] = free_silent_scheduler_locks(connection, queues)
        return moved
    except RedisError as exc:
        log.warning("could not look for abandoned jobs now", extra={"error": str(exc)})
        return None
