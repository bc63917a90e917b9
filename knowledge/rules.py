"""Local rules loaded from data (knowledge/rules/default.yaml, or the file CADREBOT_RULES_FILE names):
meeting cadence and quorum readings, the absence warning, the transport subsidy, reminders and quiet hours,
the overdue ladder and the 约谈 notice. Validated on load, unknown keys included, so a typo in a
deployment's file stops start-up with the setting it is in, not a wrong payment later."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from bot.roles import Role
from knowledge.rules_file import RulesError, dump, explain, read_data

DEFAULT_RULES = Path(__file__).with_name("rules") / "default.yaml"
Period = Literal["month", "quarter", "half_year", "year"]
MEETING_TYPES = ("支部党员大会", "支部委员会", "党小组会", "党课", "主题党日", "组织生活会")
ROLES = tuple(r.value for r in Role)


def _clock(value: object) -> object:
    # only "HH:MM" text: a bare number would pass as seconds after midnight (9 → 00:00:09)
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        return value.strip().zfill(5)
    raise ValueError('a time of day is written "HH:MM" in quotes, e.g. "09:00"')


Clock = Annotated[time, BeforeValidator(_clock)]


class Strict(BaseModel):
    """Every section: a key the model does not know is an error (a typo must not fall back to a default)."""

    model_config = ConfigDict(extra="forbid")


def _roles(value: list[str]) -> list[str]:
    unknown = [r for r in value if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; use {', '.join(ROLES)}")
    return value


class Quorum(Strict):
    branch_general: Literal["more_than_half", "two_thirds"] = "more_than_half"
    branch_committee: Literal["more_than_half", "two_thirds"] = "more_than_half"
    election: Literal["four_fifths"] = "four_fifths"


class Absence(Strict):
    warn_after_months: int = Field(2, ge=1, le=12)


class Organisation(Strict):
    cadence: dict[str, Period] = Field(default_factory=dict)
    quorum: Quorum = Quorum()
    absence: Absence = Absence()

    @field_validator("cadence")
    @classmethod
    def _known_meetings(cls, value: dict[str, Period]) -> dict[str, Period]:
        unknown = [t for t in value if t not in MEETING_TYPES]
        if unknown:
            raise ValueError(f"unknown meeting types {unknown}; use {', '.join(MEETING_TYPES)}")
        return value


class Band(Strict):
    name: str
    villages: list[str]
    per_day: Decimal = Field(ge=0)


class ReturnReasons(Strict):
    reasons: list[str] = Field(default_factory=lambda: ["信息不完整", "不符合补助条件"], min_length=1, max_length=9)


class Subsidy(Strict):
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

    _known_roles = field_validator("eligible_roles", "approver_roles")(_roles)

    def rate_for(self, village: str) -> tuple[Decimal, str | None]:
        """The day rate for a trip to `village`, and the band that set it (None for the default rate)."""
        for band in self.bands:
            if village in band.villages:
                return band.per_day, band.name
        return self.per_day, None


class Reminders(Strict):
    offsets: list[Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=lambda: [14, 7, 3, 1])
    at: Clock = time(9, 0)
    quiet_start: Clock = time(21, 0)
    quiet_end: Clock = time(8, 0)
    cadence_day: int = Field(20, ge=1, le=28)
    quarter_days_before: int = Field(15, ge=1, le=80)


class LadderStep(Strict):
    step: Literal["提示", "催办", "通报", "约谈"]
    after_days: int = Field(ge=0, le=365)


class Interview(Strict):
    notice_workdays: int = Field(2, ge=0, le=30)
    at: Clock = time(9, 30)
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


class Rules(Strict):
    organisation: Organisation = Organisation()
    subsidy: Subsidy = Subsidy()
    reminders: Reminders = Reminders()
    ladder: list[LadderStep] = Field(default_factory=default_ladder)
    interview: Interview = Interview()

    @field_validator("ladder")
    @classmethod
    def _ladder_in_order(cls, value: list[LadderStep]) -> list[LadderStep]:
        days = [s.after_days for s in value]
        if days != sorted(days) or len({s.step for s in value}) != len(value):
            raise ValueError("each step once, in order, with after_days not decreasing")
        return value


def load_rules(path: Path | None = None) -> Rules:
    """The rules in `path` (default: the bundled file), or RulesError naming the file, line and setting."""
    path = path or DEFAULT_RULES
    data, text = read_data(path)
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError(explain(path, exc, Rules, text)) from None


@lru_cache(maxsize=8)
def rules_from(path: str | None) -> Rules:
    return load_rules(Path(path) if path else None)


def write_rules(target: Path, changes: Mapping[str, Any], source: Path | None = None) -> Path:
    """A copy of `source` (default: the bundled file) with dotted settings changed, e.g.
    {"reminders.quiet_start": "08:00"}, written as YAML to `target` — for tests, benchmarks and a quick
    deployment variant. The result is validated first, so a misspelt setting fails here."""
    source = source or DEFAULT_RULES
    data, _ = read_data(source)
    for key, value in changes.items():
        *parents, name = key.split(".")
        section = data
        for part in parents:
            section = section.setdefault(part, {})
        section[name] = value
    try:
        Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError(explain(target, exc, Rules, "")) from None
    target.write_text(dump(data), encoding="utf-8")
    return target


PERIOD_NAMES = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"}


def describe(rules: Rules) -> list[tuple[str, str]]:
    """A few lines an operator can read against their county's documents (for `cadrebot rules check`)."""
    hm = "{:%H:%M}".format
    s, r = rules.subsidy, rules.reminders
    cap = f"，每人每月上限 {s.monthly_cap} 元" if s.monthly_cap is not None else "，每月不设上限"
    bands = "；".join(f"{b.name} {b.per_day} 元/天（{'、'.join(b.villages)}）" for b in s.bands)
    quiet = "不设" if r.quiet_start == r.quiet_end else f"{hm(r.quiet_start)}–{hm(r.quiet_end)}"
    return [
        ("会议周期 (meetings)", "，".join(f"{k} {PERIOD_NAMES[v]}" for k, v in rules.organisation.cadence.items())),
        ("交通补助 (subsidy)", f"{s.per_day} 元/天{cap}" + (f"；{bands}" if bands else "")),
        ("提醒 (reminders)", f"截止前 {'、'.join(map(str, r.offsets))} 天，{hm(r.at)} 发送"),
        ("免打扰 (quiet hours)", quiet),
        ("逾期阶梯 (ladder)", " → ".join(f"{x.step}（逾期{x.after_days}天）" for x in rules.ladder)),
    ]
