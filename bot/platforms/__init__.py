"""The messaging platforms. Everything platform-specific stays below this package; the rest of the bot
asks for a sender by platform name and deals only in bot.models types."""

from __future__ import annotations

from bot.config import Settings
from bot.platforms.base import Sender


def sender_for(platform: str, settings: Settings) -> Sender:
    if platform == "wecom":
        from bot.platforms.wecom.sender import WeComSender

        return WeComSender.shared(settings)
    if platform == "dingtalk":
        from bot.platforms.dingtalk.sender import DingTalkSender

        return DingTalkSender.shared(settings)
    raise ValueError(f"unknown platform {platform!r}")
