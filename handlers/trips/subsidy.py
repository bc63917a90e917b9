"""The transport subsidy (交通补助) for a trip, from the rules file only: who may claim, the day rate (or the
destination band's), one claim per day, none on a day the unit sent a car, the monthly cap, who approves.
Every outcome comes with the sentence that explains it, so the cadre sees why, not just a number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.tables import Org, Person, PersonRole, Trip
from handlers.orgs import scope_of, within
from knowledge.calendar import month_last
from knowledge.rules import Subsidy

CLAIMED = ("pending", "approved")


@dataclass(frozen=True)
class Assessment:
    claims: bool
    amount: Decimal | None
    note: str  # why this amount, or why none
    short: str | None = None  # the same, to fit one line of a card


def yuan(amount: Decimal | None) -> str:
    if amount is None:
        return "0元"
    return f"{amount.normalize():f}元" if amount == amount.to_integral() else f"{amount:.2f}元"


def month_total(session: Session, person_id: int, day: date, exclude: int | None = None) -> Decimal:
    query = select(func.coalesce(func.sum(Trip.amount), 0)).where(
        Trip.person_id == person_id,
        Trip.status.in_(CLAIMED),
        Trip.trip_date >= day.replace(day=1),
        Trip.trip_date <= day.replace(day=month_last(day.year, day.month)),
    )
    if exclude is not None:
        query = query.where(Trip.id != exclude)
    return Decimal(str(session.scalar(query) or 0))


def eligible(rules: Subsidy, roles: list[str]) -> bool:
    return not rules.eligible_roles or any(r in rules.eligible_roles for r in roles)


def assess(
    session: Session,
    rules: Subsidy,
    person: Person,
    village: str,
    day: date,
    unit_car: bool,
    exclude: int | None = None,
) -> Assessment:
    if not eligible(rules, person.roles):
        return Assessment(False, None, "您的岗位不在交通补助范围内")
    if unit_car and not rules.unit_car_pays:
        return Assessment(False, None, "当天单位派车，不计交通补助")
    if rules.one_claim_per_day:
        query = select(Trip).where(Trip.person_id == person.id, Trip.trip_date == day, Trip.status.in_(CLAIMED))
        if exclude is not None:
            query = query.where(Trip.id != exclude)
        other = session.scalars(query).first()
        if other is not None:
            return Assessment(
                False,
                None,
                f"{day.month}月{day.day}日已申报过交通补助（{other.receipt_no}），同一天只能申报一次",
                f"同日已申报（{other.receipt_no}）",
            )
    rate, band = rules.rate_for(village)
    if rate <= 0:
        return Assessment(False, None, "按规则本次走访不计交通补助")
    basis = f"{band}{yuan(rate)}/天" if band else f"{yuan(rate)}/天"
    if rules.monthly_cap is not None:
        used = month_total(session, person.id, day, exclude)
        room = rules.monthly_cap - used
        if room <= 0:
            return Assessment(False, None, f"本月交通补助已达上限{yuan(rules.monthly_cap)}")
        if room < rate:
            return Assessment(True, room, f"{basis}，本月上限{yuan(rules.monthly_cap)}，本次计{yuan(room)}")
    return Assessment(True, rate, basis)


def approvers(session: Session, rules: Subsidy, person: Person) -> list[Person]:
    """Whoever holds an approver role over the claimant, at the level nearest to them (the township's
    supervisor rather than the county's); never the claimant."""
    candidates = session.scalars(
        select(Person)
        .join(PersonRole)
        .where(PersonRole.role.in_(rules.approver_roles), Person.active.is_(True), Person.id != person.id)
        .order_by(Person.id)
        .distinct()
    ).all()
    claimant = session.get(Org, person.org_id)
    assert claimant is not None
    scored: list[tuple[int, Person]] = []
    for candidate in candidates:
        scope = scope_of(session, candidate.org_id, candidate.roles)
        if scope is not None and within(claimant.path, scope.path):
            scored.append((scope.path.count("/"), candidate))
    if not scored:
        return []
    deepest = max(depth for depth, _ in scored)
    return [p for depth, p in scored if depth == deepest]
