"""Leases on running jobs (bot/leases.py, bot/worker.py), against a real Redis: a job whose lease ran out goes
back to the front of its queue once, however many processes find it; a living job, a finished one and one
that keeps killing its workers are treated as such; a dead scheduler's locks are freed and a living one's kept;
the maintenance lock is short-lived."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest
from pydantic import ValidationError
from redis import Redis
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.scheduler import SCHEDULER_LOCKING_KEY_TEMPLATE

from bot.config import Settings
from bot.leases import (
    MAX_ABANDONS,
    TAKEN,
    LeasedQueue,
    LeaseTimes,
    free_silent_scheduler_locks,
    lease_expired_jobs,
    return_lost_takes,
    scan_once,
)
from bot.worker import MAINTENANCE_LOCK_SECONDS, LeasedWorker

LEASE = LeaseTimes(lease=20, pulse=5)


def leases(redis: Redis, queue: Queue) -> dict[bytes, float]:
    """The started registry: each entry's lease, as the time it runs out."""
    key = StartedJobRegistry(queue.name, connection=redis).key
    return dict(cast(list[tuple[bytes, float]], redis.zrange(key, 0, -1, withscores=True)))


def started(redis: Redis, queue: Queue, job_id: str) -> tuple[LeasedWorker, Job]:
    """A job taken by a worker and started, as RQ's worker does before running it."""
    job = queue.enqueue("builtins.print", job_id=job_id)
    worker = LeasedWorker([queue], connection=redis, name=f"w-{job_id}")
    worker.lease_times = LEASE
    taken = Queue.dequeue_any([queue], None, connection=redis)
    assert taken is not None and taken[0].id == job.id
    execution = worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    assert execution.job_id == job.id
    return worker, job


def test_a_started_job_holds_a_lease_not_rqs_timeout_plus_a_minute(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    before = time.time()
    started(redis, queue, "job-a")
    [score] = leases(redis, queue).values()
    assert before + LEASE.lease - 1 <= score <= time.time() + LEASE.lease + 1


def test_an_expired_lease_puts_the_job_back_at_the_front_once(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    started(redis, queue, "job-a")
    queue.enqueue("builtins.print", job_id="waiting")
    later = time.time() + LEASE.lease + 1
    assert lease_expired_jobs(redis, [queue], now=later) == {"requeued": 1, "failed": 0}
    assert lease_expired_jobs(redis, [queue], now=later) == {"requeued": 0, "failed": 0}  # a second scanner
    assert queue.job_ids == ["job-a", "waiting"]
    job = Job.fetch("job-a", connection=redis)
    assert job.get_status() == JobStatus.QUEUED
    assert StartedJobRegistry(queue.name, connection=redis).count == 0


def test_a_living_lease_and_a_finished_job_are_left_alone(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    started(redis, queue, "alive")
    _, job = started(redis, queue, "done")
    job.set_status(JobStatus.FINISHED)  # finished; only its registry entry was left behind
    now = time.time() + 1
    assert lease_expired_jobs(redis, [queue], now=now) == {"requeued": 0, "failed": 0}
    later = time.time() + LEASE.lease + 1
    assert lease_expired_jobs(redis, [queue], now=later) == {"requeued": 1, "failed": 0}
    assert queue.job_ids == ["alive"]


def test_the_pulse_renews_a_running_jobs_lease(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    worker, _ = started(redis, queue, "slow")
    key = StartedJobRegistry(queue.name, connection=redis).key
    redis.zadd(key, dict.fromkeys(leases(redis, queue), 0), xx=True)  # as if the lease had almost run out
    worker.renew_leases()
    [score] = leases(redis, queue).values()
    assert score >= time.time() + LEASE.lease - 2
    assert lease_expired_jobs(redis, [queue]) == {"requeued": 0, "failed": 0}


def test_a_job_that_kills_every_worker_is_failed_after_a_few_tries(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    outcomes = []
    for attempt in range(MAX_ABANDONS + 1):
        if attempt == 0:
            started(redis, queue, "poison")
        else:
            job = Job.fetch("poison", connection=redis)
            worker = LeasedWorker([queue], connection=redis, name=f"again-{attempt}")
            assert Queue.dequeue_any([queue], None, connection=redis) is not None
            worker.prepare_execution(job)
            worker.prepare_job_execution(job)
        outcomes.append(lease_expired_jobs(redis, [queue], now=time.time() + LEASE.lease + 1))
    assert outcomes[:MAX_ABANDONS] == [{"requeued": 1, "failed": 0}] * MAX_ABANDONS
    assert outcomes[-1] == {"requeued": 0, "failed": 1}
    assert queue.job_ids == []
    assert "poison" in FailedJobRegistry(queue.name, connection=redis).get_job_ids()
    assert Job.fetch("poison", connection=redis).get_status() == JobStatus.FAILED


def test_a_silent_schedulers_locks_are_freed_and_a_living_ones_kept(redis: Redis) -> None:
    dead, alive = Queue("dead-scheduler", connection=redis), Queue("live-scheduler", connection=redis)
    redis.set(SCHEDULER_LOCKING_KEY_TEMPLATE % dead.name, "gone", ex=61 - 15)  # not refreshed for 15 s
    redis.set(SCHEDULER_LOCKING_KEY_TEMPLATE % alive.name, "here", ex=61 - 1)  # refreshed a second ago
    assert free_silent_scheduler_locks(redis, [dead, alive]) == 1
    assert redis.get(SCHEDULER_LOCKING_KEY_TEMPLATE % dead.name) is None
    assert redis.get(SCHEDULER_LOCKING_KEY_TEMPLATE % alive.name) == b"here"


def test_one_scan_at_a_time_and_rqs_fifteen_minute_lock_does_not_stop_it(redis: Redis) -> None:
    queue = Queue("lease-test", connection=redis)
    redis.set(queue.registry_cleaning_key, 1, ex=899)  # left by an RQ worker killed while cleaning
    assert scan_once(redis, [queue], LEASE) == {"requeued": 0, "failed": 0, "lost": 0, "schedulers": 0}
    assert scan_once(redis, [queue], LEASE) is None  # another process scanned this round


def test_maintenance_takes_a_short_lock_and_gives_it_back(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue("lease-test", connection=redis)
    worker = LeasedWorker([queue], connection=redis, name="cleaner")
    seen: list[int] = []
    monkeypatch.setattr(Queue, "release_maintenance_lock", lambda q: seen.append(redis.ttl(q.registry_cleaning_key)))
    worker.clean_registries()
    assert seen and 0 < seen[0] <= MAINTENANCE_LOCK_SECONDS
    monkeypatch.undo()
    other = Queue("lease-test-2", connection=redis)
    LeasedWorker([other], connection=redis, name="cleaner-2").clean_registries()
    assert not redis.exists(other.registry_cleaning_key)


def test_the_pulse_must_fit_in_the_lease_twice() -> None:
    assert Settings(job_lease_seconds=20, job_pulse_seconds=5).job_pulse_seconds == 5
    assert LeaseTimes().worst_recovery <= 30  # a dead worker's job runs again well within a minute
    with pytest.raises(ValidationError, match="half"):
        Settings(job_lease_seconds=10, job_pulse_seconds=6)


# -- the moment between taking a job off its queue and starting it ----------------------------------------


def test_a_take_is_recorded_and_dropped_by_the_next_take(redis: Redis) -> None:
    high, low = Queue("take-high", connection=redis), Queue("take-low", connection=redis)
    low.enqueue("builtins.print", job_id="low-1")
    high.enqueue("builtins.print", job_id="high-1")
    taken = LeasedQueue.dequeue_any([high, low], None, connection=redis)
    assert taken is not None and taken[0].id == "high-1"  # the first queue first
    assert redis.zrange(TAKEN, 0, -1) == [f"{high.key}|high-1".encode()]
    taken = LeasedQueue.dequeue_any([high, low], None, connection=redis)
    assert taken is not None and taken[0].id == "low-1"
    assert redis.zrange(TAKEN, 0, -1) == [f"{low.key}|low-1".encode()]
    assert LeasedQueue.dequeue_any([high, low], None, connection=redis) is None
    assert redis.zcard(TAKEN) == 0


def test_a_job_taken_by_a_worker_that_died_before_starting_it_goes_back(redis: Redis) -> None:
    queue, other = Queue("take-lost", connection=redis), Queue("take-other", connection=redis)
    queue.enqueue("builtins.print", job_id="lost")
    assert LeasedQueue.dequeue_any([queue, other], None, connection=redis) is not None
    # the worker is killed here: the job is on no queue and in no registry
    assert queue.job_ids == [] and StartedJobRegistry(queue.name, connection=redis).count == 0
    assert return_lost_takes(redis, [queue], now=time.time() + 1) == 0  # its lease has not run out yet
    later = time.time() + LeasedQueue.lease_seconds + 1
    assert return_lost_takes(redis, [queue], now=later) == 1
    assert return_lost_takes(redis, [queue], now=later) == 0
    assert queue.job_ids == ["lost"]


def test_a_take_whose_job_started_is_only_forgotten(redis: Redis) -> None:
    queue, other = Queue("take-started", connection=redis), Queue("take-other", connection=redis)
    job = queue.enqueue("builtins.print", job_id="fine")
    assert LeasedQueue.dequeue_any([queue, other], None, connection=redis) is not None
    job.set_status(JobStatus.STARTED)
    assert return_lost_takes(redis, [queue], now=time.time() + LeasedQueue.lease_seconds + 1) == 0
    assert queue.job_ids == [] and redis.zcard(TAKEN) == 0


def test_a_blocking_take_wakes_for_the_first_queue_and_looks_at_the_others_soon(redis: Redis) -> None:
    high, low = Queue("wait-high", connection=redis), Queue("wait-low", connection=redis)
    threading.Timer(0.3, lambda: high.enqueue("builtins.print", job_id="urgent")).start()
    taken = LeasedQueue.dequeue_any([high, low], 5, connection=redis)
    assert taken is not None and taken[0].id == "urgent"
    threading.Timer(0.3, lambda: low.enqueue("builtins.print", job_id="later")).start()
    taken = LeasedQueue.dequeue_any([high, low], 5, connection=redis)
    assert taken is not None and taken[0].id == "later"
    with pytest.raises(DequeueTimeout):
        LeasedQueue.dequeue_any([high, low], 1, connection=redis)
