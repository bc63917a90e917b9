"""RQ workers. SimpleWorker runs jobs in-process (no fork per job): our jobs are short and idempotent, and
a fork per message would cost more than the message. Each worker also runs RQ's scheduler, which moves
delayed jobs (retries, paced deliveries) onto their queues when due.

RQ forks that scheduler from the worker, and the child inherits the worker's Redis sockets. If the worker
is killed (OOM, SIGKILL) the child used to live on as an orphan holding the worker's blocked BLPOP
connection open, so Redis handed the next job to a socket nobody read and the job was lost. The child is
therefore tied to its parent's life (Linux PR_SET_PDEATHSIG), and workers look for an abandoned scheduler
lock every minute instead of every ten.

A job whose worker dies is run again within seconds: its entry in the started registry is a short lease
that the worker's pulse thread renews while the job runs, and every pulse (of every worker) looks for leases
that ran out (bot/leases.py). RQ's own check for abandoned jobs is left out of maintenance: it would retry
such a job later or fail it. The maintenance lock is short-lived, so a worker killed while holding it
does not stop the others' maintenance for RQ's 15 minutes, and an idle worker wakes from its blocking
dequeue every WORKER_TTL - 15 seconds to do it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, worker_registration
from rq.job import Job
from rq.registry import DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
from rq.utils import now

from bot.config import Settings
from bot.leases import LeasedQueue, LeaseTimes, scan_once
from bot.queue import queue_names

log = logging.getLogger("cadrebot.worker")


MAINTENANCE_SECONDS = 60
MAINTENANCE_LOCK_SECONDS = 30
WORKER_TTL = 60
PR_SET_PDEATHSIG = 1
_parent_pid = 0


def _die_with_parent() -> None:
    """Runs in every child forked from a worker (the RQ scheduler): SIGKILL it when the worker dies."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the orphan ends at its next lock refresh instead
        return
    if os.getppid() != _parent_pid:  # the worker died before prctl took effect
        os._exit(0)


def tie_children_to_worker() -> None:
    global _parent_pid
    if _parent_pid or not sys.platform.startswith("linux"):
        return
    _parent_pid = os.getpid()
    os.register_at_fork(after_in_child=_die_with_parent)


def worker_connection(settings: Settings) -> Redis:
    # No socket timeout: the worker blocks on BLPOP for minutes at a time.
    return Redis.from_url(settings.redis_url, socket_connect_timeout=5, health_check_interval=30)


class LeasedWorker(SimpleWorker):
    """RQ's SimpleWorker whose started jobs hold short leases (see the module's docstring)."""

    lease_times = LeaseTimes()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.lease_times.lease

    def clean_registries(self) -> None:
        """RQ's maintenance, without its own hunt for abandoned jobs, under a lock that expires soon."""
        for queue in self.queues:
            lock = queue.connection.set(queue.registry_cleaning_key, 1, nx=True, ex=MAINTENANCE_LOCK_SECONDS)
            if not lock:
                continue
            try:
                for registry in (FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry):
                    registry(queue.name, connection=queue.connection).cleanup()
                worker_registration.clean_worker_registry(queue)
            finally:
                queue.release_maintenance_lock()
        scan_once(self.connection, self.queues, self.lease_times)
        self.last_cleaned_at = now()  # type: ignore[assignment]  # RQ annotates it as None only

    def run_maintenance_tasks(self) -> None:
        """Without RQ's restart of the scheduler: the pulse thread does that, sooner (keep_scheduler)."""
        self.clean_registries()
        self.clean_group_registries()

    def keep_scheduler(self) -> None:
        """Run RQ's scheduler here if its lock is free (its holder died, or this worker's own scheduler)."""
        scheduler = self.scheduler
        if scheduler is not None and (scheduler._process is None or not scheduler._process.is_alive()):
            scheduler.acquire_locks(auto_start=True)

    def renew_leases(self) -> None:
        """The pulse: the worker is alive, and so are the jobs it runs."""
        with self.connection.pipeline() as pipe:
            self.heartbeat(self.worker_ttl + 60, pipeline=pipe)
            for execution in list(self.executions.values()):
                job = execution._job
                if job is not None:
                    registry = StartedJobRegistry(job.origin, connection=self.connection)
                    registry.add_execution(execution, pipeline=pipe, ttl=self.lease_times.lease, xx=True)
            pipe.execute()


def pulse(worker: LeasedWorker, stop: threading.Event) -> None:
    """Every few seconds, whatever the worker is doing (blocked in a dequeue, deep in a slow job): renew its
    leases, then look for other workers' leases that ran out."""
    times = worker.lease_times
    while not stop.wait(times.pulse):
        try:
            worker.renew_leases()
        except RedisError as exc:
            log.warning("could not renew leases now", extra={"error": str(exc)})
            continue
        scan_once(worker.connection, worker.queues, times)
        try:
            worker.keep_scheduler()
        except RedisError as exc:
            log.warning("could not check the scheduler now", extra={"error": str(exc)})


def lease_times(settings: Settings) -> LeaseTimes:
    return LeaseTimes(lease=settings.job_lease_seconds, pulse=settings.job_pulse_seconds)


def make_worker(settings: Settings, name: str | None = None) -> LeasedWorker:
    conn = worker_connection(settings)
    name = name or f"cadrebot-{socket.gethostname()}-{os.getpid()}"
    times = lease_times(settings)
    LeasedQueue.lease_seconds = times.lease
    worker = LeasedWorker(
        queue_names(settings),
        connection=conn,
        name=name,
        queue_class=LeasedQueue,
        maintenance_interval=MAINTENANCE_SECONDS,
        worker_ttl=WORKER_TTL,
    )
    worker.lease_times = times
    return worker


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    from bot.dispatch import warm_up

    tie_children_to_worker()
    warm_up(settings)
    worker = make_worker(settings, name)
    log.info("worker started", extra={"queues": [q.name for q in worker.queues], "worker": worker.name})
    # RQ logs every job at INFO; our own logs say what matters, so RQ speaks up only for problems.
    rq_level = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
    stop = threading.Event()
    beat = threading.Thread(target=pulse, args=(worker, stop), name="pulse", daemon=True)
    beat.start()
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=rq_level)
    finally:
        stop.set()
