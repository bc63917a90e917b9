"""Structured logs with personal data and credentials masked.

Every record passes through `mask()` after formatting, so a phone number, an ID number or an access
token in a message, an argument or an exception never reaches the log sink in clear.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![\dA-Za-z])")
_SECRET_PARAM = re.compile(r"((?:access_token|corpsecret|secret|appsecret|key|sign)=)[^&\s\"']+", re.I)


def mask(text: str) -> str:
    """Mask mainland mobile numbers, 18-digit ID numbers and credential query parameters."""
    text = _ID_CARD.sub(r"\1**********\2", text)
    text = _PHONE.sub(r"\1****\3", text)
    return _SECRET_PARAM.sub(r"\1***", text)


_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return mask(json.dumps(out, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        line = super().format(record)
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return mask(line)


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; the URL is masked anyway, but it is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in (
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "rq",
        "rq.worker",
        "rq.cron",
        "rq.scheduler",
        "rq.queue",
    ):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
        if name.startswith("rq") or name == "uvicorn.access":
            lg.setLevel(quiet)  # a line per job or per request is noise; metrics count them
