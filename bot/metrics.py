"""Prometheus metrics. Counters live in the process that counts them; queue depths and outbox backlog
are read from Redis and SQL at scrape time, so /metrics on any API replica shows the whole system."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.config import Settings

log = logging.getLogger("cadrebot.metrics")

CALLBACKS = Counter("cadrebot_callbacks_total", "Platform callbacks by outcome", ["platform", "result"])
CALLBACK_SECONDS = Histogram(
    "cadrebot_callback_seconds",
    "Time to verify, decrypt, parse and queue a callback",
    ["platform"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


# A labelled child looked up once: labels() costs a lock and a dict build on every webhook request.
@cache
def callback_counter(platform: str, result: str) -> Counter:
    return CALLBACKS.labels(platform=platform, result=result)


@cache
def callback_timer(platform: str) -> Histogram:
    return CALLBACK_SECONDS.labels(platform=platform)


DISPATCHED = Counter("cadrebot_dispatched_total", "Inbound messages handled by the dispatcher", ["status"])
DELIVERIES = Counter("cadrebot_deliveries_total", "Outbox delivery attempts by outcome", ["platform", "result"])


class SystemCollector(Collector):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from bot.queue import queues, redis_client
        from bot.store.db import get_engine, session_scope
        from bot.store.tables import Outbox

        depth = GaugeMetricFamily(
            "cadrebot_queue_jobs", "Jobs waiting or failed per RQ queue", labels=["queue", "state"]
        )
        try:
            for q in queues(self.settings, redis_client(self.settings.redis_url)):
                depth.add_metric([q.name, "queued"], q.count)
                depth.add_metric([q.name, "failed"], q.failed_job_registry.count)
                depth.add_metric([q.name, "scheduled"], q.scheduled_job_registry.count)
        except Exception as exc:  # a scrape must not fail because Redis is down
            log.warning("metrics: redis unavailable", extra={"error": str(exc)})
        yield depth

        outbox = GaugeMetricFamily("cadrebot_outbox_messages", "Outbox rows by status", labels=["status"])
        try:
            with session_scope(get_engine(self.settings.database_url)) as s:
                for status, count in s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)):
                    outbox.add_metric([status], count)
        except Exception as exc:
            log.warning("metrics: database unavailable", extra={"error": str(exc)})
        yield outbox


def render(settings: Settings) -> bytes:
    from prometheus_client import REGISTRY

    system = CollectorRegistry()
    system.register(SystemCollector(settings))
    return generate_latest(REGISTRY) + generate_latest(system)
