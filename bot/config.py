"""Settings from the environment (prefix CADREBOT_) and an optional .env file.

Secrets are SecretStr so they never appear in a repr or a log line. A bad value stops start-up with a
message that names the variable, e.g. "CADREBOT_WECOM_AES_KEY: must be 43 characters …". The files the
settings name (rules, FAQ) are read by the features that own them; bot/startup.py checks them at start-up,
so this kernel module imports nothing above it.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CADREBOT_"
WECOM_API = "https://qyapi.weixin.qq.com"
DINGTALK_API = "https://api.dingtalk.com"
DINGTALK_OAPI = "https://oapi.dingtalk.com"
DINGTALK_STREAM = "https://api.dingtalk.com/v1.0/gateway/connections/open"


class SettingsError(Exception):
    """Raised with a readable, variable-named explanation of every bad setting."""


def decode_aes_key(value: str) -> bytes:
    """EncodingAESKey (43 base64 characters) → the 32-byte AES key, or ValueError with the reason."""
    if len(value) != 43:
        raise ValueError(f"must be 43 characters, got {len(value)}")
    if not re.fullmatch(r"[A-Za-z0-9+/]{43}", value):
        raise ValueError("must contain only letters and digits (base64 without the trailing '=')")
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"is not valid base64: {exc}") from None
    if len(key) != 32:
        raise ValueError("does not decode to 32 bytes")
    return key


def _check_url(value: str, schemes: tuple[str, ...], what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"{what} must start with one of {', '.join(s + '://' for s in schemes)}")
    if parts.scheme not in ("unix", "sqlite") and not parts.hostname:
        raise ValueError(f"{what} has no host")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # storage
    database_url: str = "sqlite:///./var/cadrebot.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "cadrebot"

    # WeCom self-built app (企业微信自建应用)
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = WECOM_API
    # where a browser goes to sign in (网页授权 inside WeCom, 扫码登录 on a PC); the simulator's fake in `make run`
    wecom_oauth_base: str = "https://open.weixin.qq.com"
    wecom_login_base: str = "https://login.work.weixin.qq.com"

    # DingTalk enterprise-internal app and its robot (钉钉企业内部应用 + 机器人)
    dingtalk_client_id: str | None = None  # AppKey
    dingtalk_client_secret: SecretStr | None = None  # AppSecret; also the key of the robot callback sign
    dingtalk_robot_code: str | None = None  # the client id when unset
    dingtalk_corp_id: str | None = None
    dingtalk_agent_id: int | None = Field(None, ge=1)  # work notifications (工作通知)
    dingtalk_token: SecretStr | None = None  # event subscription 签名token
    dingtalk_aes_key: SecretStr | None = None  # event subscription 加密aes_key
    dingtalk_owner_key: str | None = None  # the key inside event ciphertexts; the client id when unset
    dingtalk_api_base: str = DINGTALK_API
    dingtalk_oapi_base: str = DINGTALK_OAPI
    dingtalk_login_base: str = "https://login.dingtalk.com"  # the web login the 工作台 sends a browser to
    # the JSAPI the H5 micro-app's page loads for 免登 (the simulator serves a stand-in for the app's bridge)
    dingtalk_jsapi_url: str = "/console/static/vendor/dingtalk-jsapi-3.2.9.min.js"
    dingtalk_webhook: SecretStr | None = None  # a custom group robot's URL (its access_token is a credential)
    dingtalk_webhook_secret: SecretStr | None = None  # that robot's 加签 secret (SEC…)
    dingtalk_stream_endpoint: str = DINGTALK_STREAM
    dingtalk_sign_window_seconds: int = Field(3600, ge=60, le=3600)
    dingtalk_card_template_id: str | None = None  # the generic interactive card template ("….schema")
    dingtalk_card_route_key: str | None = None  # callbackRouteKey for HTTP card callbacks; unset: over Stream

    # the webhook
    callback_window_seconds: int = Field(300, ge=30, le=3600)
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=10 * 1024 * 1024)
    dedup_ttl_seconds: int = Field(2 * 24 * 3600, ge=60)

    # delivery
    per_user_per_minute: int = Field(30, ge=1, le=1000)
    duplicate_check_seconds: int = Field(600, ge=0, le=4 * 3600)
    http_timeout_seconds: float = Field(5.0, gt=0, le=60)
    max_delivery_attempts: int = Field(8, ge=1, le=50)

    # people
    stranger_notice_seconds: int = Field(24 * 3600, ge=60)

    # forms and reports
    form_ttl_hours: int = Field(24, ge=1, le=24 * 14)
    withdraw_minutes: int = Field(30, ge=0, le=24 * 60)
    attach_minutes: int = Field(10, ge=0, le=24 * 60)
    event_limit_hours: int = Field(24, ge=1, le=24 * 30)

    # workers: a running job's lease, and how often it is renewed (a dead worker's job runs again within both)
    job_lease_seconds: int = Field(20, ge=2, le=600)
    job_pulse_seconds: float = Field(5.0, ge=0.2, le=60)

    # broadcasts: people per platform call (WeCom allows 1,000)
    broadcast_batch: int = Field(1000, ge=1, le=1000)

    # local rules (meeting cadence, quorum readings, transport subsidy); the bundled example when unset
    rules_file: str | None = None

    # questions the work plan does not answer (knowledge/faq.yaml when unset)
    faq_file: str | None = None

    # signed download links (巡查台账 for supervisors)
    link_secret: SecretStr | None = None
    link_hours: int = Field(24, ge=1, le=24 * 30)

    # the 工作台 web console: signs its session cookies (unset: the console is off)
    console_secret: SecretStr | None = None
    # WeCom's 可信域名 ownership check: the file it hands out (WW_verify_….txt), served from the domain's root
    wecom_verify_file: str | None = Field(None, pattern=r"^WW_verify_[A-Za-z0-9]{1,64}\.txt$")
    wecom_verify_text: str | None = Field(None, max_length=256)

    # the local simulator (never on in production)
    sim: bool = False
    public_url: str | None = None

    # process and logs
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(2, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    timezone: str = "Asia/Shanghai"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(v)
        except ArgumentError:
            raise ValueError("is not a database URL (e.g. sqlite:///./var/cadrebot.db)") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        return _check_url(v, ("redis", "rediss", "unix"), "a Redis URL")

    @field_validator(
        "wecom_api_base",
        "wecom_oauth_base",
        "wecom_login_base",
        "public_url",
        "dingtalk_api_base",
        "dingtalk_oapi_base",
    )
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        return _check_url(v, ("http", "https"), "the address").rstrip("/")

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            decode_aes_key(v.get_secret_value())
        return v

    @field_validator("wecom_token")
    @classmethod
    def _token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9]{1,32}", v.get_secret_value()):
            raise ValueError("must be 1–32 letters or digits (WeCom's Token rule)")
        return v

    @field_validator("wecom_corp_id")
    @classmethod
    def _corp_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", v):
            raise ValueError("must be letters and digits, as shown under 我的企业 → 企业ID")
        return v

    @field_validator("dingtalk_stream_endpoint")
    @classmethod
    def _stream_endpoint(cls, v: str) -> str:
        return _check_url(v, ("http", "https"), "the address")

    @field_validator("dingtalk_webhook")
    @classmethod
    def _ding_webhook(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            _check_url(
                v.get_secret_value(), ("http", "https"), "the robot webhook (https://oapi.dingtalk.com/robot/send?…)"
            )
        return v

    @field_validator("dingtalk_client_id", "dingtalk_robot_code", "dingtalk_corp_id", "dingtalk_owner_key")
    @classmethod
    def _ding_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", v):
            raise ValueError("must be 1–64 letters, digits, '_' or '-', as the developer console shows it")
        return v

    @field_validator("dingtalk_token")
    @classmethod
    def _ding_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9]{3,32}", v.get_secret_value()):
            raise ValueError("must be 3–32 letters or digits (DingTalk's 签名token rule)")
        return v

    @field_validator("dingtalk_aes_key")
    @classmethod
    def _ding_aes_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            value = v.get_secret_value()
            if len(value) != 43 or not value.isascii() or not value.isalnum():
                raise ValueError(f"must be 43 letters or digits (DingTalk's 加密aes_key), got {len(value)} characters")
            decode_aes_key(value)
        return v

    @model_validator(mode="after")
    def _ding_defaults(self) -> Settings:
        # robotCode and the events' owner key are the AppKey for an enterprise-internal app (spec §2.1).
        if self.dingtalk_robot_code is None:
            self.dingtalk_robot_code = self.dingtalk_client_id
        if self.dingtalk_owner_key is None:
            self.dingtalk_owner_key = self.dingtalk_client_id
        return self

    @model_validator(mode="after")
    def _pulse_inside_lease(self) -> Settings:
        if self.job_pulse_seconds * 2 > self.job_lease_seconds:
            raise ValueError("CADREBOT_JOB_PULSE_SECONDS must be at most half of CADREBOT_JOB_LEASE_SECONDS")
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone (e.g. Asia/Shanghai)") from None
        return v

    # -- derived -----------------------------------------------------------------------------
    @property
    def wecom_receives(self) -> bool:
        """Callbacks can be verified and decrypted."""
        return bool(self.wecom_corp_id and self.wecom_token and self.wecom_aes_key)

    @property
    def wecom_sends(self) -> bool:
        """Messages can be sent through the API."""
        return bool(self.wecom_corp_id and self.wecom_secret and self.wecom_agent_id is not None)

    @property
    def dingtalk_receives(self) -> bool:
        """Robot messages over HTTP can be verified (the sign's key is the AppSecret)."""
        return self.dingtalk_client_secret is not None

    @property
    def dingtalk_receives_events(self) -> bool:
        """Event subscription pushes (事件订阅 HTTP 推送) can be verified and decrypted."""
        return bool(self.dingtalk_token and self.dingtalk_aes_key and self.dingtalk_owner_key)


def explain(problems: list[tuple[str, str]]) -> str:
    """(field, what is wrong) pairs → the message start-up stops with, one variable a line."""
    lines = ["配置有误 (bad configuration):"]
    lines += [f"  {ENV_PREFIX}{field.upper()}: {msg}" for field, msg in problems]
    return "\n".join(lines)


def _explain(exc: ValidationError) -> str:
    return explain(
        [(str(err["loc"][0]) if err["loc"] else "?", err["msg"].removeprefix("Value error, ")) for err in exc.errors()]
    )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise SettingsError naming every bad variable."""
    try:
        return Settings(**overrides)  # validated here, so any value may come in
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
