"""使用帮助, declared once (handlers/catalogue.py); handled by handlers/help.py, whose topics are the other
intents' help lines."""

from __future__ import annotations

from handlers.catalogue import Intent

DECLARED = (Intent(name="help", label="使用帮助", rank=80, never_clarified=True),)
