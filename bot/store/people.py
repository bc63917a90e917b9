"""Who holds a role somewhere in an org's part of the tree: the roster query the task owners (handlers/tasks),
the plan import (knowledge/plan/) and the reminders (scheduler/) all start from."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.tables import Org, Person, PersonRole


def holders(session: Session, org: Org, roles: tuple[str, ...]) -> list[Person]:
    """Active people with one of `roles` in `org` or below it, in roster order."""
    return list(
        session.scalars(
            select(Person)
            .join(PersonRole)
            .join(Org, Person.org_id == Org.id)
            .where(
                PersonRole.role.in_(roles),
                Person.active.is_(True),
                (Org.id == org.id) | Org.path.like(org.path + "/%"),
            )
            .order_by(Person.id)
            .distinct()
        )
    )


def roster_stamp(session: Session) -> tuple[object, ...]:
    """Changes whenever the roster does (a person added, changed or retired, an org added): the key a cache
    of anything derived from the roster is kept under."""
    # People and orgs are never deleted (a person who leaves is deactivated), so the newest id of each and the
    # latest change to a person say it all: three index lookups in one round trip, however big the roster.
    stamp = session.execute(
        select(
            select(func.max(Person.id)).scalar_subquery(),
            select(func.max(Person.updated_at)).scalar_subquery(),
            select(func.max(Org.id)).scalar_subquery(),
        )
    ).one()
    return tuple(stamp)


def roster_rows(session: Session, org_path: str) -> list[tuple[str, str]]:
    """(name, org path) of every active person under the township of `org_path`, and every org path there."""
    town = "/".join(org_path.split("/")[:2])
    rows = session.execute(
        select(Person.name, Org.path)
        .join(Org, Person.org_id == Org.id)
        .where(Person.active.is_(True), (Org.path == town) | Org.path.like(town + "/%"))
        .order_by(Person.id)
    ).all()
    orgs = session.scalars(select(Org.path).where((Org.path == town) | Org.path.like(town + "/%"))).all()
    return [(name, path) for name, path in rows] + [("", path) for path in orgs]
