"""The scheduler process's periodic jobs: RQ reads cron strings in the process's time zone, so the process
runs in UTC and the 08:50 Asia/Shanghai plan is registered as 00:50 UTC — checked across local midnight."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

from scheduler.cron import SWEEP_SECONDS, TICK_SECONDS, build

pytestmark = pytest.mark.dated


@pytest.fixture
def utc_process(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    if "TZ" not in os.environ:
        time.tzset()


def jobs(settings):
    return {job.func_name.rsplit(".", 1)[1]: job for job in build(settings).get_jobs()}


def test_the_three_periodic_jobs(make_settings, redis, utc_process) -> None:
    found = jobs(make_settings())
    assert set(found) == {"sweep_outbox", "tick", "plan_all"}
    assert found["sweep_outbox"].interval == SWEEP_SECONDS and found["tick"].interval == TICK_SECONDS
    assert found["plan_all"].cron == "50 0 * * *"  # 08:50 in Asia/Shanghai
    assert all(job.queue_name.endswith("-background") for job in found.values())


@pytest.mark.parametrize(
    ("last_run_utc", "next_run_utc"),
    [
        ("2026-11-27T00:50:00", "2026-11-28T00:50:00"),  # ran this morning: next is tomorrow morning
        ("2026-11-27T15:59:00", "2026-11-28T00:50:00"),  # 23:59 local, just before local midnight
        ("2026-11-27T16:01:00", "2026-11-28T00:50:00"),  # 00:01 local on the 28th: still that morning
        ("2026-12-31T17:00:00", "2027-01-01T00:50:00"),  # 01:00 local on New Year's Day
    ],
)
def test_plan_all_runs_at_0850_local_across_midnight(
    make_settings, redis, utc_process, last_run_utc: str, next_run_utc: str
) -> None:
    plan = jobs(make_settings())["plan_all"]
    plan.latest_enqueue_time = datetime.fromisoformat(last_run_utc).replace(tzinfo=UTC)
    assert plan.get_next_enqueue_time() == datetime.fromisoformat(next_run_utc).replace(tzinfo=UTC)


def test_a_deployment_in_another_zone(make_settings, redis, utc_process) -> None:
    plan = jobs(make_settings(TIMEZONE="Asia/Urumqi"))["plan_all"]  # UTC+6
    assert plan.cron == "50 2 * * *"
