"""The 下村下户 trip as a form: day, village, households, purpose and whether the unit sent a car; a trip in
the future is a plan. The subsidy the rules give is worked out before the card is shown, with its reason.

Evidence beyond the message (a photo, a location) is never asked for unless the rules file requires it, and
then once, with the rule quoted; the cadre may always file without claiming instead (DOMAIN.md §3.4)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.store.tables import Person
from handlers.context import Context
from handlers.forms.dates import show_date
from handlers.forms.spec import Choice, FieldSpec, FormSpec, Invalid, register
from handlers.nlu.chinese_time import first_day
from handlers.nlu.normalize import normalize
from handlers.orgs import my_villages
from handlers.trips.reading import household_count
from handlers.trips.reading import villages as read_villages
from handlers.trips.subsidy import assess, yuan

MAX_AGE_DAYS = 60
UNIT_CAR = re.compile(r"单位(?:派|的)?车|公车|派车|坐单位|单位安排(?:了)?车")
OWN_WAY = re.compile(r"自己|自行|骑车|步行|走路|开自己|私家车|摩托|电动车|没派车|没有派车")
EVIDENCE_WHAT = {"photo": "照片", "location": "位置", "photo_or_location": "照片或位置"}


def parse_date(text: str, ctx: Context) -> str | None:
    day = first_day(normalize(text), ctx.local_now)
    if day is None:
        return None
    today = ctx.local_now.date()
    if day < today - timedelta(days=MAX_AGE_DAYS):
        raise Invalid(f"只能登记近{MAX_AGE_DAYS}天内的走访。")
    if day > today + timedelta(days=60):
        raise Invalid("计划走访最多登记两个月内的。")
    return day.isoformat()


def parse_village(text: str, ctx: Context) -> str | None:
    text = text.strip()
    known = my_villages(ctx.session, ctx.actor.org_id)
    for name in known:
        if name in text or (len(text) >= 2 and name.startswith(text)):
            return name
    found = read_villages(normalize(text))
    return found[0] if len(found) == 1 else None


def parse_households(text: str, _ctx: Context) -> int | None:
    norm = normalize(text)
    n = household_count(norm)
    if n is None:
        m = re.fullmatch(r"\s*(\d{1,3})\s*(?:户|家)?\s*", norm)
        n = int(m.group(1)) if m else None
    if n is not None and not 0 <= n <= 500:
        raise Invalid("户数应在0到500之间。")
    return n


def parse_purpose(text: str, _ctx: Context) -> str | None:
    text = text.strip()
    if len(text) > 200:
        raise Invalid("事由请控制在200字以内。")
    return text or None


def purpose_of(text: str) -> str | None:
    """走访了5户，协调用水纠纷 → 协调用水纠纷: the clause that is neither the trip nor its numbers."""
    clauses = [c.strip() for c in re.split(r"[，,。；;！!]", text) if c.strip()]
    for clause in clauses[1:]:
        if not re.search(r"今天|昨天|明天|走访|入户|下村|\d+户|村$", clause):
            return clause[:100]
    return None


def parse_unit_car(text: str, _ctx: Context) -> bool | None:
    if re.search(r"没(?:有)?派车|不是单位", text):
        return False
    if UNIT_CAR.search(text):
        return True
    if OWN_WAY.search(text) or re.fullmatch(r"\s*(?:否|没有|不是)\s*", text):
        return False
    return None


def show_unit_car(value: bool) -> str:
    return "单位派车" if value else "自行前往"


def planned_of(values: dict[str, Any], today: date) -> bool:
    return bool(values.get("date")) and date.fromisoformat(values["date"]) > today


def village_choices(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(v, v) for v in my_villages(ctx.session, ctx.actor.org_id)]


def derive(ctx: Context, values: dict[str, Any]) -> None:
    """Plan or trip; for a trip, the subsidy the rules give and why; whether evidence is still due."""
    values["claim"], values["amount"], values["claim_note"] = False, None, None
    if not values.get("date") or not values.get("village"):
        return
    if planned_of(values, ctx.local_now.date()):
        values["claim_note"] = "计划走访，走访后再登记"
        return
    if values.get("evidence") == "skip":
        values["claim_note"] = "本次不申请补助"
        return
    person = ctx.session.get(Person, ctx.actor.person_id)
    assert person is not None
    rules = ctx.policy.rules.subsidy
    result = assess(
        ctx.session,
        rules,
        person,
        str(values["village"]),
        date.fromisoformat(values["date"]),
        bool(values.get("unit_car")),
        exclude=values.get("trip_id"),
    )
    values["claim"], values["claim_note"], values["claim_short"] = result.claims, result.note, result.short
    values["amount"] = str(result.amount) if result.amount is not None else None


def evidence_due(values: dict[str, Any]) -> bool:
    return bool(values.get("claim")) and bool(values.get("evidence_required")) and values.get("evidence") is None


def parse_evidence(text: str, _ctx: Context) -> str | None:
    if re.search(r"不申请|跳过|不要补助|算了", text):
        return "skip"
    return None


def start(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    text = str(values.pop("text", ""))
    today = ctx.local_now.date()
    out: dict[str, Any] = {
        "date": values.get("date") or (today.isoformat() if not values.get("planned") else None),
        "village": values.get("village"),
        "households": values.get("households"),
        "purpose": values.get("purpose") or (purpose_of(text) if text else None),
        "unit_car": values.get("unit_car")
        if values.get("unit_car") is not None
        else (parse_unit_car(text, ctx) or False),
        "trip_id": values.get("trip_id"),
    }
    if out["village"] is not None and out["village"] not in my_villages(ctx.session, ctx.actor.org_id):
        known = parse_village(str(out["village"]), ctx)
        out["village"] = known or out["village"]
    rules = ctx.policy.rules.subsidy
    out["evidence_required"] = rules.evidence != "self_report"
    return out


def card_rows(_ctx: Context, values: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("日期", show_date(values["date"])), ("走访村", str(values["village"]))]
    if values.get("households") is not None:
        rows.append(("户数", f"{values['households']}户"))
    if values.get("purpose"):
        rows.append(("事由", str(values["purpose"])))
    rows.append(("用车", show_unit_car(bool(values.get("unit_car")))))
    if values.get("claim") and values.get("amount") is not None:
        from decimal import Decimal

        rows.append(("补助", f"{yuan(Decimal(values['amount']))}（提交后待审批）"))
    elif values.get("claim_note"):
        rows.append(("补助", f"不计：{values.get('claim_short') or values['claim_note']}"))
    return rows


def evidence_question(ctx: Context) -> str:
    rules = ctx.policy.rules.subsidy
    what = EVIDENCE_WHAT.get(rules.evidence, "照片或位置")
    basis = f"按{rules.evidence_basis}，" if rules.evidence_basis else "按本地补助规则，"
    return f"{basis}交通补助需要一张{what}。请现在发送{what}；不申请补助可点下方按钮。"


def file_trip(ctx: Context, form: Any) -> Any:
    from handlers.trips.filing import file_trip as file

    return file(ctx, form)


TRIP = register(
    FormSpec(
        kind="trip",
        title="走访记录",
        fields=(
            FieldSpec(
                name="date",
                label="日期",
                question="请问是哪天走访的？",
                hint="例如「今天」「3月5日」",
                parse=parse_date,
                show=show_date,
                aliases=("时间", "哪天"),
            ),
            FieldSpec(
                name="village",
                label="走访村",
                question="请问去的是哪个村？",
                hint="请回复村名，例如「李家村」",
                parse=parse_village,
                choices=village_choices,
                aliases=("村", "村名", "地点", "哪个村"),
            ),
            FieldSpec(
                name="households",
                label="户数",
                question="走访了几户？",
                hint="例如「5户」",
                parse=parse_households,
                show=lambda n: f"{n}户",
                needed=lambda _v: False,
                aliases=("走访户数", "几户"),
            ),
            FieldSpec(
                name="purpose",
                label="事由",
                question="请简单说明走访事由",
                hint="例如「协调用水纠纷」",
                parse=parse_purpose,
                needed=lambda _v: False,
                aliases=("内容", "事情", "目的"),
            ),
            FieldSpec(
                name="unit_car",
                label="用车",
                question="当天单位派车了吗？",
                hint="请回复「单位派车」或「自行前往」",
                parse=parse_unit_car,
                show=show_unit_car,
                needed=lambda _v: False,
                aliases=("车", "交通", "派车"),
            ),
            FieldSpec(
                name="evidence",
                label="凭证",
                question="交通补助需要照片或位置",
                hint="请发送照片或位置",
                parse=parse_evidence,
                choices=lambda _c, _v: [Choice("skip", "不申请补助")],
                needed=evidence_due,
                shown=lambda _v: False,
                editable=False,
                question_for=evidence_question,
                filled_by_attachment=True,
            ),
        ),
        file=file_trip,
        start=start,
        derive=derive,
        attachments=True,
        rows=card_rows,
    )
)
