"""What every platform's sender offers the delivery job, and the errors it raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.models import Reply


class DeliveryError(Exception):
    def __init__(self, reason: str, code: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.resent = False  # the answer was to a quick re-send of a request that timed out

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}" if self.code is not None else self.reason


class RetryLater(DeliveryError):
    """Transient: busy, rate-limited, timed out. Try again after `delay` seconds."""

    def __init__(self, reason: str, code: int | str | None = None, delay: float = 30.0) -> None:
        super().__init__(reason, code)
        self.delay = delay


class Permanent(DeliveryError):
    """Will never succeed as it is: a configuration problem or a recipient who cannot receive."""


@dataclass
class OutboundMessage:
    outbox_id: int
    recipient: str
    reply: Reply
    parts_sent: int = 0
    attempt: int = 1  # a retry may repeat a send the platform did get (a timeout): ask it to drop repeats
    recipients: list[str] | None = None  # a batch: the same message to all of them in one call


@dataclass
class SendResult:
    msgid: str | None = None
    response_code: str | None = None
    failed: list[str] | None = None  # recipients of a batch the platform refused (left, outside the app's range)


class Sender(Protocol):
    def send(self, message: OutboundMessage, progress: Callable[[int], None], pace: Callable[[], None]) -> SendResult:
        """Send; call pace() before each platform message and progress(n) after the n-th part is sent."""
        ...
