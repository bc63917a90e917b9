"""The FAQ file (knowledge/faq.yaml, or CADREBOT_FAQ_FILE): questions the plan does not answer, validated on
load so a broken deployment file stops with the entry and the field named."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_FAQ = Path(__file__).with_name("faq.yaml")


# YAML folds a long answer's lines with spaces; between Chinese characters a space is a typo on a phone.
CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=40)
    questions: list[str] = Field(min_length=1)
    answer: str = Field(min_length=1, max_length=400)
    source: str = Field(min_length=1)
    next: str = ""

    @field_validator("answer", "next")
    @classmethod
    def _no_folding_spaces(cls, text: str) -> str:
        return CJK_GAP.sub("", text).strip()


class FaqError(Exception):
    pass


@lru_cache(maxsize=4)
def load_faq(path: Path = DEFAULT_FAQ) -> tuple[FaqEntry, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaqError(f"cannot read the FAQ file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise FaqError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise FaqError(f"{path}: expected a list of entries (- title: …)")
    entries = []
    for n, raw in enumerate(data, 1):
        try:
            entries.append(FaqEntry.model_validate(raw))
        except ValidationError as exc:
            problems = "; ".join(f"({'.'.join(str(p) for p in e['loc'])}): {e['msg']}" for e in exc.errors())
            raise FaqError(f"{path}: entry {n} {problems}") from None
    titles = [e.title for e in entries]
    if len(set(titles)) != len(titles):
        raise FaqError(f"{path}: titles must be unique")
    return tuple(entries)
