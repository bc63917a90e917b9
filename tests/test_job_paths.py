"""The dotted paths RQ stores in Redis for queued and scheduled jobs still resolve after code moves: a job
queued by the previous release (during a rolling deploy, or waiting in a scheduled set) must find its
function in the new one. A module that moves keeps an alias at its old path, listed here."""

from __future__ import annotations

import pytest
from rq.utils import import_attribute

JOB_PATHS = [
    "bot.dispatch.handle_inbound",  # bot.queue builds inbound jobs by this name
    "bot.delivery.deliver",  # bot.queue.enqueue_delivery
    "scheduler.jobs.plan_all",  # scheduler.cron registers these
    "scheduler.jobs.tick",
    "scheduler.jobs.fire_due",
    "scheduler.jobs.fire_batch",
    "scheduler.sweeper.sweep_outbox",
]


@pytest.mark.parametrize("path", JOB_PATHS)
def test_a_stored_job_path_still_resolves(path: str) -> None:
    func = import_attribute(path)
    assert callable(func) and f"{func.__module__}.{func.__qualname__}" == path
