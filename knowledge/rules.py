"""Local rules loaded from data (knowledge/rules/default.toml, or the file CADREBOT_RULES_FILE names):
meeting cadence and quorum readings, the absence warning, and the transport subsidy. Validated on load so
a typo in a deployment's file stops start-up with the field it is in, not a wrong payment later."""

from __future__ import annotations

import tomllib
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


class Rules(BaseModel):
    organisation: Organisation = Organisation()
    subsidy: Subsidy = Subsidy()


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
