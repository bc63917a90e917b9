"""The shared access token (bot/platforms/token_cache.py) against a real Redis: one refresh at a time, and a
refresh whose worker died does not hold the others up past its lock."""

from __future__ import annotations

import threading
import time

import pytest
from redis import Redis

from bot.platforms import token_cache
from bot.platforms.token_cache import SharedToken

KEY = "cadrebot-test:token"


@pytest.fixture
def fresh(redis: Redis) -> Redis:
    redis.delete(KEY, KEY + ":lock")
    return redis


def test_a_refresh_whose_worker_died_is_taken_over_when_its_lock_runs_out(
    fresh: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_cache, "LOCK_MS", 400)
    fresh.set(KEY + ":lock", "a-worker-that-was-killed", px=400)  # and will never release it
    fetched: list[str] = []

    def fetch() -> tuple[str, int]:
        fetched.append("new")
        return "token-2", 7200

    started = time.monotonic()
    assert SharedToken(fresh, KEY, fetch).get() == "token-2"
    assert fetched == ["new"] and 0.3 < time.monotonic() - started < 1.5
    assert fresh.get(KEY) == b"token-2"


def test_waiters_take_the_token_a_living_refresh_brings(fresh: Redis) -> None:
    calls: list[int] = []
    entered = threading.Event()

    def slow_fetch() -> tuple[str, int]:
        calls.append(1)
        entered.set()
        time.sleep(0.3)
        return "token-1", 7200

    holder = threading.Thread(target=lambda: SharedToken(fresh, KEY, slow_fetch).get())
    holder.start()
    assert entered.wait(5)
    waiter = SharedToken(fresh, KEY, lambda: pytest.fail("a second refresh while the first one lives"))
    assert waiter.get() == "token-1"
    holder.join()
    assert calls == [1]


def test_a_token_the_platform_refused_is_refreshed_once(fresh: Redis) -> None:
    fresh.set(KEY, "old", ex=600)
    tokens = iter(["new"])
    shared = SharedToken(fresh, KEY, lambda: (next(tokens), 7200))
    assert shared.get() == "old"
    assert shared.get(stale="old") == "new"
    assert shared.get(stale="old") == "new"  # another caller with the same stale token: no second fetch
