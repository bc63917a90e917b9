"""Who hears about a task: its owner, the village secretary, the township's supervisors and cadres."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import OrgKind, Role
from bot.store.people import holders
from bot.store.tables import Org, Person, PersonRole, Task
from handlers.orgs import ancestor, scope_of, within


def owner_of(session: Session, task: Task) -> Person | None:
    if task.owner is not None and task.owner.active:
        return task.owner
    people = holders(session, task.org, (Role.VILLAGE_SECRETARY.value, Role.TOWNSHIP_CADRE.value))
    return people[0] if people else None


def nearest_supervisors(session: Session, org: Org, exclude: int | None = None) -> list[Person]:
    """Supervisors whose scope holds `org`, at the level nearest to it (the township's before the county's)."""
    candidates = session.scalars(
        select(Person)
        .join(PersonRole)
        .where(PersonRole.role == Role.SUPERVISOR.value, Person.active.is_(True))
        .order_by(Person.id)
        .distinct()
    ).all()
    scored = []
    for person in candidates:
        scope = scope_of(session, person.org_id, person.roles)
        if person.id != exclude and scope is not None and within(org.path, scope.path):
            scored.append((scope.path.count("/"), person))
    if not scored:
        return []
    deepest = max(depth for depth, _ in scored)
    return [p for depth, p in scored if depth == deepest]


def township_contacts(session: Session, org: Org) -> list[Person]:
    """The township's supervisors and cadres for an org inside it (通报 goes to them)."""
    township = org if org.kind == OrgKind.TOWNSHIP.value else ancestor(session, org.id, OrgKind.TOWNSHIP)
    if township is None:
        return nearest_supervisors(session, org)
    found = {p.id: p for p in holders(session, township, (Role.SUPERVISOR.value,))}
    for person in session.scalars(
        select(Person)
        .join(PersonRole)
        .where(PersonRole.role == Role.TOWNSHIP_CADRE.value, Person.org_id == township.id, Person.active.is_(True))
    ):
        found.setdefault(person.id, person)
    for person in nearest_supervisors(session, org):
        found.setdefault(person.id, person)
    return sorted(found.values(), key=lambda p: p.id)


def copy_to(session: Session, task: Task, owner: Person | None) -> list[Person]:
    """催办 is copied to the village secretary, or to the township when the owner is the secretary."""
    secretaries = [
        p for p in holders(session, task.org, (Role.VILLAGE_SECRETARY.value,)) if owner is None or p.id != owner.id
    ]
    return secretaries or nearest_supervisors(session, task.org, exclude=owner.id if owner else None)
