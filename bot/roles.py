"""Roles people hold and the kinds of organisation in the tree, with their Chinese names."""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    GRID_MEMBER = "grid_member"
    GRID_LEADER = "grid_leader"
    VILLAGE_SECRETARY = "village_secretary"
    VILLAGE_COMMITTEE = "village_committee"
    BRANCH_COMMITTEE = "branch_committee"
    PARTY_MEMBER = "party_member"
    TOWNSHIP_CADRE = "township_cadre"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.GRID_MEMBER: "网格员",
    Role.GRID_LEADER: "网格长",
    Role.VILLAGE_SECRETARY: "村党组织书记",
    Role.VILLAGE_COMMITTEE: "村委委员",
    Role.BRANCH_COMMITTEE: "支部委员",
    Role.PARTY_MEMBER: "党员",
    Role.TOWNSHIP_CADRE: "乡镇干部",
    Role.SUPERVISOR: "督导",
    Role.ADMIN: "管理员",
}
# The order roles are named in: the one a person manages by first, 党员 last (the 工作台, the roster).
MANAGER_FIRST: tuple[Role, ...] = (
    Role.ADMIN,
    Role.SUPERVISOR,
    Role.TOWNSHIP_CADRE,
    Role.VILLAGE_SECRETARY,
    Role.BRANCH_COMMITTEE,
    Role.VILLAGE_COMMITTEE,
    Role.GRID_LEADER,
    Role.GRID_MEMBER,
    Role.PARTY_MEMBER,
)

# Everything a roster file may say for a role: the Chinese name, a few common variants, the code.
ROLE_ALIASES: dict[str, Role] = {
    **{label: role for role, label in ROLE_LABELS.items()},
    **{role.value: role for role in Role},
    "总网格长": Role.GRID_LEADER,
    "村网格长": Role.GRID_LEADER,
    "专职网格员": Role.GRID_MEMBER,
    "兼职网格员": Role.GRID_MEMBER,
    "书记": Role.VILLAGE_SECRETARY,
    "村书记": Role.VILLAGE_SECRETARY,
    "支部书记": Role.VILLAGE_SECRETARY,
    "村委": Role.VILLAGE_COMMITTEE,
    "两委委员": Role.VILLAGE_COMMITTEE,
    "正式党员": Role.PARTY_MEMBER,
    "预备党员": Role.PARTY_MEMBER,
    "留党察看": Role.PARTY_MEMBER,
    "支委": Role.BRANCH_COMMITTEE,
    "支委委员": Role.BRANCH_COMMITTEE,
    "副书记": Role.BRANCH_COMMITTEE,
    "组织委员": Role.BRANCH_COMMITTEE,
    "宣传委员": Role.BRANCH_COMMITTEE,
    "纪检委员": Role.BRANCH_COMMITTEE,
    "镇干部": Role.TOWNSHIP_CADRE,
    "乡干部": Role.TOWNSHIP_CADRE,
    "督导员": Role.SUPERVISOR,
    "admin": Role.ADMIN,
}


# What a roster's role column says about a party member's standing; only 正式 members in good standing vote.
PARTY_STATUS: dict[str, str] = {"党员": "正式", "正式党员": "正式", "预备党员": "预备", "留党察看": "留党察看"}


def parse_role(text: str) -> Role | None:
    return ROLE_ALIASES.get(text.strip()) or ROLE_ALIASES.get(text.strip().lower())


class OrgKind(StrEnum):
    CITY = "市"
    COUNTY = "县"
    TOWNSHIP = "乡镇"
    VILLAGE = "村"
    GRID = "网格"
    BRANCH = "党支部"
    PARTY_GROUP = "党小组"
    DEPARTMENT = "部门"


# Order matters: 党小组 before 组, 党支部 before 部.
_KIND_RULES: list[tuple[re.Pattern[str], OrgKind]] = [
    (re.compile(r"党小组$"), OrgKind.PARTY_GROUP),
    (re.compile(r"(党支部|支部|党总支|党委)$"), OrgKind.BRANCH),
    (re.compile(r"(组织部|部|办|办公室|局|中心|委员会)$"), OrgKind.DEPARTMENT),
    (re.compile(r"(镇|乡|街道|苏木)$"), OrgKind.TOWNSHIP),
    (re.compile(r"(村|社区|居委会|嘎查)$"), OrgKind.VILLAGE),
    (re.compile(r"(组|网格|片区|片)$"), OrgKind.GRID),
    (re.compile(r"(县|区|旗)$"), OrgKind.COUNTY),
    (re.compile(r"市$"), OrgKind.CITY),
]


def org_kind(name: str) -> OrgKind | None:
    """The kind an organisation's name says it is (李家村 → 村, 3组 → 网格), or None."""
    for pattern, kind in _KIND_RULES:
        if pattern.search(name):
            return kind
    return None
