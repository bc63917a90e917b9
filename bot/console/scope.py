"""Who sees what in the 工作台: the part of the org tree a person manages, as a clause every page's query carries
(never by hiding links), and the masking of phone and ID numbers for everyone but administrators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from bot.roles import Role
from bot.store.tables import Org
from handlers.orgs import scope_of, within


@dataclass(frozen=True)
class Area:
    """The subtree under `path` (None: the whole tree, an administrator's), or nothing at all (`empty`) for a
    person who manages nobody — they still reach the pages that are about themselves (投诉建议)."""

    path: str | None
    name: str
    org_id: int | None
    empty: bool = False

    def org_filter(self) -> ColumnElement[bool]:
        """A WHERE clause on Org: the orgs in this area."""
        if self.empty:
            return false()
        if self.path is None:
            return true()
        # the path itself or anything under it; LIKE on the unique path index, escaped for % and _
        return or_(Org.path == self.path, Org.path.startswith(self.path + "/", autoescape=True))

    def org_ids(self) -> Select[int]:
        return select(Org.id).where(self.org_filter())

    def holds(self, org_id_column: Any) -> ColumnElement[bool]:
        """A WHERE clause on any table with an org column: its org is in this area."""
        if self.path is None and not self.empty:
            return true()
        return org_id_column.in_(self.org_ids())

    def covers(self, org_path: str) -> bool:
        return not self.empty and (self.path is None or within(org_path, self.path))


def area_of(session: Session, org_id: int, roles: list[str]) -> Area:
    if Role.ADMIN.value in roles:
        return Area(path=None, name="全部", org_id=None)
    top = scope_of(session, org_id, roles)
    if top is None:
        return Area(path=None, name="", org_id=None, empty=True)
    return Area(path=top.path, name=top.name, org_id=top.id)


# -- masking -------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_phone(number: str | None) -> str:
    """139****1101: enough to tell two people apart, not enough to ring them."""
    if not number:
        return ""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_text(text: str | None) -> str:
    """Free text (a patrol note, a complaint) with any mobile or 身份证 number in it masked."""
    if not text:
        return ""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(3)[-1:].rjust(4, "*"), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
