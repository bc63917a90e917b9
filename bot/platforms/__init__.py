"""The messaging platforms. Everything platform-specific stays below this package; the rest of the bot
asks for a sender by platform name and deals only in bot.models types."""

from __future__ import annotations

from typing import Protocol

from bot.config import Settings
from bot.platforms.base import Sender


class SignIn(Protocol):
    """How a browser proves who it is with a platform's account: a URL to send it to, and the code it comes
    back with turned into the platform's user id."""

    platform: str

    def url(self, redirect_uri: str, state: str, in_app: bool) -> str: ...

    def user_from_code(self, code: str) -> str | None: ...

    def user_from_app_code(self, code: str) -> str | None:
        """The code a page inside the platform's app got from the app itself (DingTalk's H5 免登)."""
        ...


def sender_for(platform: str, settings: Settings) -> Sender:
    if platform == "wecom":
        from bot.platforms.wecom.sender import WeComSender

        return WeComSender.shared(settings)
    if platform == "dingtalk":
        from bot.platforms.dingtalk.sender import DingTalkSender

        return DingTalkSender.shared(settings)
    raise ValueError(f"unknown platform {platform!r}")


def sign_in_for(platform: str, settings: Settings) -> SignIn:
    if platform == "wecom":
        from bot.platforms.wecom.oauth import WeComSignIn

        return WeComSignIn(settings)
    if platform == "dingtalk":
        from bot.platforms.dingtalk.oauth import DingTalkSignIn

        return DingTalkSignIn(settings)
    raise ValueError(f"no sign-in for platform {platform!r}")


def app_of(user_agent: str) -> str | None:
    """Which platform's app a page is opened in, from its webview's User-Agent; None for a plain browser."""
    if "wxwork" in user_agent:
        return "wecom"
    if "DingTalk" in user_agent:
        return "dingtalk"
    return None
