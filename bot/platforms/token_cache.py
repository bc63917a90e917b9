"""A platform access token shared by every worker: kept in Redis, refreshed by one worker at a time (a lock),
and memoised in-process for a short while so a fan-out does not read Redis once per message."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from redis import Redis

from bot.platforms.base import RetryLater

MEMO_SECONDS = 30.0
# One refresh at a time, but a holder that died (a worker killed mid-fetch) must not stop the others for long:
# the lock outlives a normal fetch a few times over, and a waiter waits just past it, then fetches itself. Two
# fetches overlapping now and then are harmless: within a token's lifetime the platforms hand out the same one.
LOCK_MS = 6_000
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class SharedToken:
    def __init__(self, redis: Redis, key: str, fetch: Callable[[], tuple[str, int]]) -> None:
        """`fetch` asks the platform for a new token and returns (token, seconds it lives)."""
        self.redis = redis
        self.key = key
        self.lock_key = key + ":lock"
        self._fetch = fetch
        self._release = redis.register_script(_RELEASE)
        self._memo: tuple[str, float] | None = None  # (token, monotonic time it was read from Redis)

    def get(self, stale: str | None = None) -> str:
        """A valid token; `stale` is one the platform just refused, which forces a refresh (once, shared)."""
        cached = self.cached()
        if cached and cached != stale:
            return cached
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_MS / 1000 + 1
        while True:
            if self.redis.set(self.lock_key, owner, nx=True, px=LOCK_MS):
                try:
                    cached = self.cached(fresh=True)
                    if cached and cached != stale:
                        return cached
                    token, expires_in = self._fetch()
                    # the Redis copy goes 5 minutes early; a missing or tiny lifetime must not make a refresh storm
                    self.redis.set(self.key, token, ex=max(int(expires_in) - 300, 60))
                    self._memo = (token, time.monotonic())
                    return token
                finally:
                    self._release(keys=[self.lock_key], args=[owner])
            time.sleep(0.05)
            cached = self.cached(fresh=True)
            if cached and cached != stale:
                return cached
            if time.monotonic() > deadline:
                raise RetryLater("another worker's token refresh did not finish", "token_lock", delay=5)

    def cached(self, fresh: bool = False) -> str | None:
        # Redis at most every MEMO_SECONDS: a token stays valid for minutes after its Redis copy expires, and
        # one the platform refuses comes back as `stale`, which skips the memo.
        memo = self._memo
        if memo and not fresh and time.monotonic() - memo[1] < MEMO_SECONDS:
            return memo[0]
        value = self.redis.get(self.key)
        token = (value.decode() if isinstance(value, bytes) else value) or None
        self._memo = (token, time.monotonic()) if token else None
        return token
