"""The sender's place in the organisation tree, for quick choices: their grids, their township's villages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import OrgKind
from bot.store.tables import Org


def ancestor(session: Session, org_id: int, kind: OrgKind) -> Org | None:
    org = session.get(Org, org_id)
    while org is not None and org.kind != kind.value:
        org = org.parent
    return org


def under(session: Session, org: Org, kind: OrgKind, limit: int = 10) -> list[Org]:
    return list(
        session.scalars(
            select(Org).where(Org.path.like(org.path + "/%"), Org.kind == kind.value).order_by(Org.path).limit(limit)
        )
    )


def my_grids(session: Session, org_id: int) -> list[str]:
    """A grid member's own grid, or the grids of the village the sender belongs to."""
    org = session.get(Org, org_id)
    if org is not None and org.kind == OrgKind.GRID.value:
        return [org.name]
    village = ancestor(session, org_id, OrgKind.VILLAGE)
    return [g.name for g in under(session, village, OrgKind.GRID)] if village else []


def my_villages(session: Session, org_id: int) -> list[str]:
    """The villages of the sender's township (a township cadre's round), or their own village."""
    township = ancestor(session, org_id, OrgKind.TOWNSHIP)
    if township is not None:
        return [v.name for v in under(session, township, OrgKind.VILLAGE)]
    village = ancestor(session, org_id, OrgKind.VILLAGE)
    return [village.name] if village else []


# Who sees what: the org subtree a person may look into, by their highest role.
SCOPE_BY_ROLE: tuple[tuple[tuple[str, ...], tuple[OrgKind, ...]], ...] = (
    (("admin", "supervisor"), (OrgKind.TOWNSHIP, OrgKind.COUNTY, OrgKind.CITY)),
    (("township_cadre",), (OrgKind.TOWNSHIP, OrgKind.COUNTY, OrgKind.CITY)),
    (("village_secretary", "grid_leader"), (OrgKind.VILLAGE,)),
)


def scope_of(session: Session, org_id: int, roles: list[str]) -> Org | None:
    """The top of the part of the tree a person manages (their county, township or village), or None for
    people who manage nobody (a grid member sees only their own records)."""
    for role_names, kinds in SCOPE_BY_ROLE:
        if any(r in roles for r in role_names):
            org = session.get(Org, org_id)
            while org is not None and org.kind not in {k.value for k in kinds}:
                org = org.parent
            return org or session.get(Org, org_id)
    return None


def within(org_path: str, scope_path: str) -> bool:
    return org_path == scope_path or org_path.startswith(scope_path + "/")


def find_org(session: Session, wanted: str) -> list[Org]:
    """The org a path names: [it] on an exact path, else every org whose path ends with it (石桥镇/李家村 is enough
    when only one org ends so) — one is the answer, several mean the path must be written out, none: unknown."""
    wanted = wanted.strip().strip("/")
    exact = session.scalar(select(Org).where(Org.path == wanted))
    if exact is not None:
        return [exact]
    tails = session.scalars(select(Org).where(Org.path.endswith("/" + wanted, autoescape=True)))
    return sorted(tails, key=lambda o: o.path)
