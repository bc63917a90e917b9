"""Which function handles what. Keys are intents ("help"), events ("event:enter_agent"), media kinds
("media:image") and, for card taps, the flow that owns the card ("card:help")."""

from __future__ import annotations

from collections.abc import Callable

from handlers.context import Context

Handler = Callable[[Context], None]
_HANDLERS: dict[str, Handler] = {}


def handles(*keys: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for key in keys:
            if key in _HANDLERS and _HANDLERS[key] is not fn:
                raise ValueError(f"two handlers for {key!r}")
            _HANDLERS[key] = fn
        return fn

    return register


def handler_for(key: str) -> Handler | None:
    return _HANDLERS.get(key)


def registered() -> list[str]:
    return sorted(_HANDLERS)


FLOWS = (
    "handlers.help",
    "handlers.welcome",
    "handlers.media",
    "handlers.chat",
    "handlers.clarify",
    "handlers.patrol.report",
    "handlers.patrol.events",
    "handlers.withdraw",
    "handlers.patrol.withdraw",
    "handlers.meetings.withdraw",
    "handlers.trips.withdraw",
    "handlers.meetings.report",
    "handlers.meetings.attendance",
    "handlers.trips.report",
    "handlers.trips.filing",
    "handlers.tasks.progress",
    "handlers.tasks.interview",
    "handlers.ask",
    "handlers.cancel",
    "handlers.broadcast",
)


def load() -> None:
    """Import every flow module, which registers its handlers."""
    import importlib

    for module in FLOWS:
        importlib.import_module(module)
