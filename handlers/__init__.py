"""Understanding and doing: one module per intent. Importing this package registers every handler."""

from handlers import fallback, help, media, welcome  # noqa: F401  (registration by import)
from handlers.context import Context
from handlers.intents import classify
from handlers.registry import handler_for, handles, registered

__all__ = ["Context", "classify", "handler_for", "handles", "registered"]
