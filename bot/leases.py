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

Running it again is safe: every job is idempotent (the inbound log's unique dedup hash, the outbox's claims).
Each move is one Lua script, so two processes finding the same expired lease move the job once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry

log = logging.getLogger("cadrebot.leases")

MAX_ABANDONS = 3
FAILED_TTL = 14 * 24 * 3600
SCAN_LOCK = "cadrebot:leases:scan"
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
    return moved


# KEYS: a scheduler lock. ARGV: its holder as read, the longest time left (ms) a silent holder's lock has.
_FREE_SILENT = """
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


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
        moved["schedulers"] = free_silent_scheduler_locks(connection, queues)
        return moved
    except RedisError as exc:
        log.warning("could not look for abandoned jobs now", extra={"error": str(exc)})
        return None
