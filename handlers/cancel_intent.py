"""撤回上报, declared once (handlers/catalogue.py); handled by handlers/cancel.py (the draft being filled, or the
last report filed within the window)."""

from __future__ import annotations

from handlers.catalogue import Intent

DECLARED = (Intent(name="cancel", label="撤回上报", rank=90, offered=True, never_clarified=True),)
