"""RQ workers. SimpleWorker runs jobs in-process (no fork per job): our jobs are short and idempotent, and
a fork per message would cost more than the message. Each worker also runs RQ's scheduler, which moves
delayed jobs (retries, paced deliveries) onto their queues when due.

RQ forks that scheduler from the worker, and the child inherits the worker's Redis sockets. If the worker
is killed (OOM, SIGKILL) the child used to live on as an orphan holding the worker's blocked BLPOP
connection open, so Redis handed the next job to a socket nobody read and the job was lost. The child is
therefore tied to its parent's life (Linux PR_SET_PDEATHSIG), and workers look for an abandoned scheduler
lock every minute instead of every ten.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys

from redis import Redis
from rq import SimpleWorker

from bot.config import Settings
from bot.queue import queues

log = logging.getLogger("cadrebot.worker")


MAINTENANCE_SECONDS = 60
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


def make_worker(settings: Settings, name: str | None = None) -> SimpleWorker:
    conn = worker_connection(settings)
    name = name or f"cadrebot-{socket.gethostname()}-{os.getpid()}"
    return SimpleWorker(queues(settings, conn), connection=conn, name=name, maintenance_interval=MAINTENANCE_SECONDS)


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    tie_children_to_worker()
    worker = make_worker(settings, name)
    log.info("worker started", extra={"queues": [q.name for q in worker.queues], "worker": worker.name})
    # RQ logs every job at INFO; our own logs say what matters, so RQ speaks up only for problems.
    rq_level = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
    return worker.work(burst=burst, with_scheduler=True, logging_level=rq_level)
