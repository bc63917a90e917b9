"""RQ workers. SimpleWorker runs jobs in-process (no fork per job): our jobs are short and idempotent, and
a fork per message would cost more than the message. Each worker also runs RQ's scheduler, which moves
delayed jobs (retries, paced deliveries) onto their queues when due."""

from __future__ import annotations

import logging
import os
import socket

from redis import Redis
from rq import SimpleWorker

from bot.config import Settings
from bot.queue import queues

log = logging.getLogger("cadrebot.worker")


def worker_connection(settings: Settings) -> Redis:
    # No socket timeout: the worker blocks on BLPOP for minutes at a time.
    return Redis.from_url(settings.redis_url, socket_connect_timeout=5, health_check_interval=30)


def make_worker(settings: Settings, name: str | None = None) -> SimpleWorker:
    conn = worker_connection(settings)
    name = name or f"cadrebot-{socket.gethostname()}-{os.getpid()}"
    return SimpleWorker(queues(settings, conn), connection=conn, name=name)


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    worker = make_worker(settings, name)
    log.info("worker started", extra={"queues": [q.name for q in worker.queues], "worker": worker.name})
    # RQ logs every job at INFO; our own logs say what matters, so RQ speaks up only for problems.
    rq_level = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
    return worker.work(burst=burst, with_scheduler=True, logging_level=rq_level)
