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


def flow_modules() -> list[str]:
    """Every module of the `handlers` package, found by walking it: any of them may register handlers or forms,
    so a new flow is loaded by existing, not by being listed."""
    import pkgutil

    import handlers

    return sorted(info.name for info in pkgutil.walk_packages(handlers.__path__, "handlers.") if not info.ispkg)


def load() -> None:
    """Import every handlers module, which registers its handlers (and forms)."""
    import importlib

    for module in flow_modules():
        importlib.import_module(module)
