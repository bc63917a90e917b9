"""Local rules loaded from data (knowledge/rules/default.toml, or the file CADREBOT_RULES_FILE names):
meeting cadence and quorum readings, the absence warning, and the transport subsidy. Validated on load so
a typo in a deployment's file stops start-up with the field it is in, not a wrong payment later."""

from __future__ import annotations

import tomllib
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

DEFAULT_RULES = Path(__file__).with_name("rules") / "default.toml"
Period = Literal["month", "quarter", "half_year", "year"]
MEETING_TYPES = ("支部党员大会", "支部委员会", "党小组会", "党课", "主题党日", "组织生活会")


class Quorum(BaseModel):
    branch_general: Literal["more_than_half", "two_thirds"] = "more_than_half"
    branch_committee: Literal["more_than_half", "two_thirds"] = "more_than_half"
    election: Literal["four_fifths"] = "four_fifths"


class Absence(BaseModel):
    warn_after_months: int = Field(2, ge=1, le=12)


class Organisation(BaseModel):
    cadence: dict[str, Period] = Field(default_factory=dict)
    quorum: Quorum = Quorum()
    absence: Absence = Absence()

    def model_post_init(self, _context: object) -> None:
        unknown = [t for t in self.cadence if t not in MEETING_TYPES]
        if unknown:
            raise ValueError(f"organisation.cadence: unknown meeting types {unknown}; use {MEETING_TYPES}")


class Band(BaseModel):
    name: str
    villages: list[str]
    per_day: Decimal = Field(ge=0)


class ReturnReasons(BaseModel):
    reasons: list[str] = Field(default_factory=lambda: ["信息不完整", "不符合补助条件"], min_length=1, max_length=9)


class Subsidy(BaseModel):
    name: str = "下村下户交通补助"
    basis: str = ""
    per_day: Decimal = Field(Decimal(0), ge=0)
    monthly_cap: Decimal | None = Field(None, ge=0)
    one_claim_per_day: bool = True
    unit_car_pays: bool = False
    eligible_roles: list[str] = Field(default_factory=list)
    approver_roles: list[str] = Field(default_factory=lambda: ["supervisor"])
    evidence: Literal["self_report", "photo", "location", "photo_or_location"] = "self_report"
    evidence_basis: str = ""
    bands: list[Band] = Field(default_factory=list)
    return_reasons: ReturnReasons = ReturnReasons()

    def rate_for(self, village: str) -> tuple[Decimal, str | None]:
        """The day rate for a trip to `village`, and the band that set it (None for the default rate)."""
        for band in self.bands:
            if village in band.villages:
                return band.per_day, band.name
        return self.per_day, None


class Reminders(BaseModel):
    offsets: list[int] = Field(default_factory=lambda: [14, 7, 3, 1])
    at: time = time(9, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    cadence_day: int = Field(20, ge=1, le=28)
    quarter_days_before: int = Field(15, ge=1, le=80)

    def model_post_init(self, _context: object) -> None:
        if any(n < 0 or n > 365 for n in self.offsets):
            raise ValueError("reminders.offsets: days before a deadline, 0–365")


class LadderStep(BaseModel):
    step: Literal["提示", "催办", "通报", "约谈"]
    after_days: int = Field(ge=0, le=365)


class Interview(BaseModel):
    notice_workdays: int = Field(2, ge=0, le=30)
    at: time = time(9, 30)
    place: str = "镇党委会议室"
    interviewers: str = "镇党委组织委员"
    materials: list[str] = Field(default_factory=lambda: ["任务推进情况说明", "整改措施和完成时间表"])
    contact: str = ""


def default_ladder() -> list[LadderStep]:
    return [
        LadderStep(step="提示", after_days=1),
        LadderStep(step="催办", after_days=3),
        LadderStep(step="通报", after_days=7),
        LadderStep(step="约谈", after_days=14),
    ]


class Rules(BaseModel):
    organisation: Organisation = Organisation()
    subsidy: Subsidy = Subsidy()
    reminders: Reminders = Reminders()
    ladder: list[LadderStep] = Field(default_factory=default_ladder)
    interview: Interview = Interview()

    def model_post_init(self, _context: object) -> None:
        days = [s.after_days for s in self.ladder]
        if days != sorted(days) or len({s.step for s in self.ladder}) != len(self.ladder):
            raise ValueError("ladder: each step once, in order, with after_days not decreasing")


class RulesError(Exception):
    pass


def load_rules(path: Path | None = None) -> Rules:
    path = path or DEFAULT_RULES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"cannot read the rules file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Rules.model_validate(data)
    except (ValidationError, ValueError) as exc:
        raise RulesError(f"{path}: {exc}") from None


@lru_cache(maxsize=8)
def rules_from(path: str | None) -> Rules:
    return load_rules(Path(path) if path else None)
