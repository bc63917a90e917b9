"""`cadrebot run` finds or starts Redis, and keeps simulator credentials stable across restarts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import runner
from bot.config import decode_aes_key


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_start_redis_keeps_its_data_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    started = runner.start_redis()
    assert started is not None
    proc, url = started
    try:
        assert runner.redis_reachable(url)
        assert (tmp_path / "var" / "redis").is_dir()
        if not runner.port_free(6379):
            assert not url.endswith(":6379/0")  # 6379 taken: another port, not a clash
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not runner.redis_reachable(url)


def test_simulator_credentials_are_valid_and_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = runner.sim_credentials()
    decode_aes_key(first["CADREBOT_WECOM_AES_KEY"])
    assert first == runner.sim_credentials()
    assert (tmp_path / "var" / "sim.env").stat().st_mode & 0o077 == 0  # secrets readable by the owner only
