"""Who belongs to which 党支部 and 党小组, read from the roster's org tree.

A party member belongs to the branch above them in the tree (…/李家村党支部/第一党小组); one listed at the
village or a grid (…/李家村/2组) belongs to the village's branch. Only 正式 members in good standing vote.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import OrgKind, Role
from bot.store.tables import Org, Person, PersonRole
from handlers.orgs import ancestor

LEADERS = (Role.VILLAGE_SECRETARY.value, Role.BRANCH_COMMITTEE.value)


def branch_of(session: Session, org_id: int) -> Org | None:
    branch = ancestor(session, org_id, OrgKind.BRANCH)
    if branch is not None:
        return branch
    village = ancestor(session, org_id, OrgKind.VILLAGE)
    if village is None:
        return None
    return session.scalar(
        select(Org).where(Org.path.like(village.path + "/%"), Org.kind == OrgKind.BRANCH.value).order_by(Org.path)
    )


def group_of(session: Session, org_id: int) -> Org | None:
    return ancestor(session, org_id, OrgKind.PARTY_GROUP)


def _party_people(session: Session, top: Org) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(PersonRole)
            .join(Org, Person.org_id == Org.id)
            .where(
                PersonRole.role == Role.PARTY_MEMBER.value,
                Person.active.is_(True),
                (Org.id == top.id) | Org.path.like(top.path + "/%"),
            )
            .order_by(Person.id)
        )
    )


def members(session: Session, branch: Org) -> list[Person]:
    """Every party member of the branch, in roster order."""
    village = branch.parent if branch.parent is not None and branch.parent.kind == OrgKind.VILLAGE.value else branch
    found = []
    for person in _party_people(session, village):
        home = branch_of(session, person.org_id)
        if home is not None and home.id == branch.id:
            found.append(person)
    return found


def group_members(session: Session, group: Org) -> list[Person]:
    return _party_people(session, group)


def committee(session: Session, branch: Org) -> list[Person]:
    """The 支委会: the secretary and the branch committee members."""
    village = branch.parent if branch.parent is not None else branch
    people = session.scalars(
        select(Person)
        .join(PersonRole)
        .join(Org, Person.org_id == Org.id)
        .where(
            PersonRole.role.in_(LEADERS),
            Person.active.is_(True),
            (Org.id == village.id) | Org.path.like(village.path + "/%"),
        )
        .order_by(Person.id)
        .distinct()
    )
    return [p for p in people if (b := branch_of(session, p.org_id)) is not None and b.id == branch.id]


def secretaries(session: Session, branch: Org) -> list[Person]:
    return [p for p in committee(session, branch) if Role.VILLAGE_SECRETARY.value in p.roles]


def votes(person: Person) -> bool:
    return (person.party_status or "正式") == "正式"


def find(people: list[Person], name: str) -> Person | None:
    return next((p for p in people if p.name == name), None)
