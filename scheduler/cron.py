"""The scheduler process: RQ's CronScheduler enqueueing periodic jobs on the background queue."""

from __future__ import annotations

import logging

from rq.cron import CronScheduler

from bot.config import Settings
from bot.queue import background_queue, redis_client
from scheduler.sweeper import sweep_outbox

log = logging.getLogger("cadrebot.scheduler")

SWEEP_SECONDS = 30


def build(settings: Settings) -> CronScheduler:
    cron = CronScheduler(connection=redis_client(settings.redis_url), name=f"cadrebot-{settings.queue_name}")
    queue = background_queue(settings).name
    cron.register(sweep_outbox, queue, interval=SWEEP_SECONDS, job_timeout=120, result_ttl=600)
    return cron


def run(settings: Settings) -> None:
    cron = build(settings)
    log.info("scheduler started", extra={"jobs": [j.name for j in cron.get_jobs()]})
    cron.start()
