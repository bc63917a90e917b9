"""DingTalk interactive-card limits (spec §4.5.1) and the step that makes a cardParamMap of strings.

cardParamMap is Map<String,String>: numbers and booleans as strings, objects and arrays as JSON strings; a
key at most 100 bytes, a value at most 1 KB. Text lengths below are in characters, chosen for a phone
screen; the byte limit is enforced last, on the finished strings.
"""

from __future__ import annotations

import json
from typing import Any

TITLE = 40
DESCRIPTION = 200
LABEL = 10
VALUE = 60
FIELDS = 8
BUTTONS = 6
BUTTON_TEXT = 10
OPTIONS = 20
OPTION_TEXT = 20
SELECTS = 3
DONE_TEXT = 40
KEY_BYTES = 100
VALUE_BYTES = 1024


def clip_bytes(text: str, limit: int = VALUE_BYTES) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[: limit - 3].decode(errors="ignore") + "…"


def as_param(value: Any) -> str:
    """One cardParamMap value: a string within 1 KB. A list that does not fit loses its last items."""
    if isinstance(value, str):
        return clip_bytes(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        items = list(value)
        while items:
            text = json.dumps(items, ensure_ascii=False)
            if len(text.encode()) <= VALUE_BYTES:
                return text
            items.pop()
        return "[]"
    text = json.dumps(value, ensure_ascii=False)
    if len(text.encode()) > VALUE_BYTES and isinstance(value, dict) and isinstance(value.get("options"), list):
        return as_param_dict(value)
    return text


def as_param_dict(value: dict[str, Any]) -> str:
    options = list(value["options"])
    while options:
        text = json.dumps({**value, "options": options}, ensure_ascii=False)
        if len(text.encode()) <= VALUE_BYTES:
            return text
        options.pop()
    return json.dumps({**value, "options": []}, ensure_ascii=False)


def problems(params: dict[str, Any]) -> list[str]:
    """What DingTalk would refuse in a cardParamMap; [] when it is fine (used by the fake API and tests)."""
    found = []
    for key, value in params.items():
        if not isinstance(key, str) or len(key.encode()) > KEY_BYTES:
            found.append(f"key {key!r}: a string of at most {KEY_BYTES} bytes")
        if not isinstance(value, str):
            found.append(f"{key}: not a string ({type(value).__name__})")
        elif len(value.encode()) > VALUE_BYTES:
            found.append(f"{key}: {len(value.encode())} bytes > {VALUE_BYTES}")
    return found
