"""The console's pages in the order the bar shows them, and who sees each: the bar only shows the way; every
page checks the role itself (bot/console/web.py) and every query the area (bot/console/scope.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.roles import Role

MANAGE = (Role.ADMIN, Role.SUPERVISOR, Role.TOWNSHIP_CADRE, Role.VILLAGE_SECRETARY, Role.GRID_LEADER)
SUPERVISE = (Role.ADMIN, Role.SUPERVISOR, Role.TOWNSHIP_CADRE)


@dataclass(frozen=True)
class Entry:
    href: str
    label: str
    roles: tuple[Role, ...] | None  # None: anyone on the roster


NAV: tuple[Entry, ...] = (
    Entry("/console", "总览", MANAGE),
    Entry("/console/tasks", "任务", MANAGE),
    Entry("/console/approvals", "审批", SUPERVISE),
    Entry("/console/meetings", "三会一课", MANAGE),
    Entry("/console/patrols", "巡查与事件", MANAGE),
    Entry("/console/notices", "通知", MANAGE),
    Entry("/console/roster", "名册", MANAGE),
    Entry("/console/plan", "工作方案", (Role.ADMIN, Role.SUPERVISOR)),
    Entry("/console/rules", "规则", (Role.ADMIN, Role.SUPERVISOR)),
    Entry("/console/ledgers", "台账", MANAGE),
    Entry("/console/feedback", "投诉建议", None),
)


def entries_for(roles: tuple[str, ...]) -> list[Entry]:
    return [e for e in NAV if e.roles is None or any(r.value in roles for r in e.roles)]


def current(path: str) -> str:
    """The bar entry a page belongs to: the longest href that starts the path."""
    found = max((e.href for e in NAV if path == e.href or path.startswith(e.href + "/")), key=len, default="")
    return found
