"""收到确认 and 闲聊, declared once (handlers/catalogue.py); both handled by handlers/chat.py. 'other' is also
what the classifier falls back to when nothing else has evidence."""

from __future__ import annotations

from handlers.catalogue import Intent

DECLARED = (
    Intent(name="ack", label="收到确认", rank=70, never_clarified=True),
    Intent(name="other", label="闲聊", rank=110, never_clarified=True),
)
