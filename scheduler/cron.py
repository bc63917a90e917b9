"""The scheduler process: RQ's CronScheduler enqueueing periodic jobs on the background queue.

RQ matches cron strings against the process's own clock, so this process runs in UTC (set below) and the
local times the rules speak of (09:00 Asia/Shanghai) are converted with `knowledge.calendar.cron_utc`.
Beside the cron loop, a thread looks for jobs whose worker died (bot/leases.py) as every worker does: with
the scheduler up, a dead worker's job is found even when every other worker is deep in a long job.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from zoneinfo import ZoneInfo

from rq.cron import CronScheduler

from bot.config import Settings
from bot.leases import LeaseTimes, scan_once
from bot.queue import background_queue, queues, redis_client
from knowledge.calendar import cron_utc
from scheduler.jobs import plan_all, tick
from scheduler.sweeper import sweep_outbox

log = logging.getLogger("cadrebot.scheduler")

SWEEP_SECONDS = 30
TICK_SECONDS = 60


def build(settings: Settings) -> CronScheduler:
    cron = CronScheduler(connection=redis_client(settings.redis_url), name=f"cadrebot-{settings.queue_name}")
    queue = background_queue(settings).name
    cron.register(sweep_outbox, queue, interval=SWEEP_SECONDS, job_timeout=120, result_ttl=600)
    # a failed tick needs no retry: the next one, a minute later, picks up everything still due
    cron.register(tick, queue, interval=TICK_SECONDS, job_timeout=600, result_ttl=600)
    # the day's plan just before the 09:00 reminders go out, local time
    cron.register(plan_all, queue, cron=cron_utc(50, 8, ZoneInfo(settings.timezone)), job_timeout=600)
    return cron


def run(settings: Settings) -> None:
    os.environ["TZ"] = "UTC"  # RQ reads cron strings in the process's time zone; ours are UTC
    time.tzset()
    cron = build(settings)
    log.info("scheduler started", extra={"jobs": [j.name for j in cron.get_jobs()]})
    times = LeaseTimes(lease=settings.job_lease_seconds, pulse=settings.job_pulse_seconds)
    threading.Thread(target=watch_leases, args=(settings, times), name="leases", daemon=True).start()
    cron.start()


def watch_leases(settings: Settings, times: LeaseTimes, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    conn = redis_client(settings.redis_url)
    while not stop.wait(times.pulse):
        scan_once(conn, queues(settings), times)
