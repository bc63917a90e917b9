"""Who holds a role somewhere in an org's part of the tree: the roster query the task owners (handlers/tasks),
the plan import (knowledge/plan/) and the reminders (scheduler/) all start from."""

from __future__ import annotations

from sqlalchemy import select
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
