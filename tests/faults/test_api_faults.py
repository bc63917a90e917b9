"""The WeCom API misbehaves — HTTP 5xx, answers too slow (that still arrive), the access token expired
(42001), the rate limit (45009) — each on its own, under a 300-person notice and 20 people's messages.
Retries come back as time passes (made to pass: rows aged, scheduled jobs released); every member gets
the notice once and every speaker one answer. And a slow network: every call answered just inside the
client's timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.sim.fake_wecom import FakeWeCom
from faults.helpers import (
    NOTICE,
    Rig,
    county,
    finish,
    grid_members,
    needs,
    no_repeats,
    notice_tally,
    private_redis,
    quiet,
    reply_tally,
    report,
)

PEOPLE = 300
SPEAKERS = 20
TIMEOUT = 0.5  # the bot's HTTP timeout for WeCom calls
pytestmark = needs("redis-server")


def expired_token(fake: FakeWeCom) -> None:
    fake.expire_tokens()  # the cached token is refused from now on (42001)
    fake.set_fault("send", 3, errcode=42001)  # and three more refusals: one call refused even after a refresh


FAULTS: dict[str, Callable[[FakeWeCom], None]] = {
    "http_502": lambda fake: fake.set_fault("send", 8, http_status=502),
    "timeout": lambda fake: fake.set_fault("send", 6, delay=TIMEOUT * 2),  # answered late: WeCom did deliver
    "token_expired_42001": expired_token,
    "rate_limit_45009": lambda fake: fake.set_fault("send", 6, errcode=45009),
}


def run_through(rig: Rig, arm: Callable[[FakeWeCom], None], speakers: int = SPEAKERS) -> None:
    """The supervisor previews a notice; then, with the fault armed, taps send while members speak."""
    rig.post("dudao", NOTICE)
    rig.work()
    preview = rig.preview()
    arm(rig.fake)
    rig.tap_send(preview)
    for member in grid_members(PEOPLE)[:speakers]:
        rig.post(member, "你好")
    rig.work()
    left = finish(rig.settings)
    quiet(rig.live)  # calls the bot gave up on may still land
    assert set(left) == {"delivered"}, left


@pytest.mark.parametrize("fault", list(FAULTS))
def test_wecom_api_fault(fault: str, make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url, HTTP_TIMEOUT_SECONDS=TIMEOUT) as rig,
    ):
        run_through(rig, FAULTS[fault])
        assert not rig.fake.redis.exists("sim:wecom:fault:send"), "the fault was not met"
        assert no_repeats(rig.fake) == 0
        members = grid_members(PEOPLE)
        report(f"{fault}: notice", notice_tally(rig.fake, members), started)
        report(f"{fault}: answers", reply_tally(rig.fake, members[:SPEAKERS]), started)


def test_slow_network_just_inside_the_timeout(make_settings, db_url, tmp_path) -> None:
    started = time.monotonic()
    latency = TIMEOUT * 0.8
    with (
        private_redis(tmp_path) as redis,
        county(make_settings, db_url, tmp_path, PEOPLE, REDIS_URL=redis.url, HTTP_TIMEOUT_SECONDS=TIMEOUT) as rig,
    ):
        rig.fake.set_latency(latency)  # every call, the token's too
        run_through(rig, lambda fake: None, speakers=8)  # each answer is a round trip of its own: a few
        assert no_repeats(rig.fake) == 0
        members = grid_members(PEOPLE)
        report(f"latency {latency:.2f}s, timeout {TIMEOUT}s: notice", notice_tally(rig.fake, members), started)
        report(f"latency {latency:.2f}s, timeout {TIMEOUT}s: answers", reply_tally(rig.fake, members[:8]), started)
