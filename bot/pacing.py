"""Per-recipient pacing in Redis: no person gets more than N messages in any 60 seconds.

WeCom drops the 31st message in a minute silently, so the limit is enforced before sending, shared by all
workers, as a sliding window (a sorted set of send times per recipient).
"""

from __future__ import annotations

import time
import uuid

from redis import Redis

WINDOW = 60.0

_SCRIPT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class Paced(Exception):
    """Over the limit: try again after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"paced for {delay:.1f}s")
        self.delay = delay


class Pacer:
    def __init__(self, redis: Redis, limit: int, window: float = WINDOW, prefix: str = "cadrebot:pace") -> None:
        self.redis = redis
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT)

    def acquire(self, platform: str, recipient: str) -> None:
        """Take one slot or raise Paced with the wait."""
        wait = self.acquire_many([(platform, recipient)])[(platform, recipient)]
        if wait > 0:
            raise Paced(wait)

    def acquire_many(self, recipients: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
        """One slot for each (platform, recipient), in one round trip: 0 where taken, else the wait."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for platform, recipient in recipients:
                self._script(
                    keys=[f"{self.prefix}:{platform}:{recipient}"],
                    args=[now, self.window, self.limit, uuid.uuid4().hex],
                    client=pipe,
                )
            waits = pipe.execute()
        return {
            key: (float(wait) + 0.05 if float(wait) > 0 else 0.0) for key, wait in zip(recipients, waits, strict=True)
        }
