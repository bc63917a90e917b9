"""Settings: a bad value stops start-up with a message naming the variable."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings

GOOD_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CADREBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_the_embedded_ones() -> None:
    s = load_settings()
    assert s.database_url.startswith("sqlite:///")
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.wecom_api_base == "https://qyapi.weixin.qq.com"
    assert not s.wecom_receives and not s.wecom_sends


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / ".env").write_text(f"CADREBOT_WECOM_AES_KEY={GOOD_KEY}\nCADREBOT_WECOM_TOKEN=abc123\n")
    monkeypatch.setenv("CADREBOT_WECOM_CORP_ID", "ww123")
    s = load_settings()
    assert s.wecom_receives
    assert s.wecom_aes_key is not None
    assert s.wecom_aes_key.get_secret_value() == GOOD_KEY


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("CADREBOT_WECOM_AES_KEY", GOOD_KEY[:42], "43 characters"),
        ("CADREBOT_WECOM_AES_KEY", GOOD_KEY[:42] + "$", "letters and digits"),
        ("CADREBOT_WECOM_TOKEN", "has space", "letters or digits"),
        ("CADREBOT_REDIS_URL", "localhost:6379", "redis://"),
        ("CADREBOT_DATABASE_URL", "mysql://x/y", "sqlite:// or postgresql://"),
        ("CADREBOT_DATABASE_URL", "::::", "database URL"),
        ("CADREBOT_WECOM_API_BASE", "ftp://example.com", "http://"),
        ("CADREBOT_WECOM_AGENT_ID", "abc", "integer"),
        ("CADREBOT_TIMEZONE", "Mars/Olympus", "time zone"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str, says: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as exc:
        load_settings()
    message = str(exc.value)
    assert var in message
    assert says in message


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADREBOT_WECOM_SECRET", "super-secret-value")
    monkeypatch.setenv("CADREBOT_WECOM_AES_KEY", GOOD_KEY)
    s = load_settings()
    assert "super-secret-value" not in repr(s) and GOOD_KEY not in repr(s)
