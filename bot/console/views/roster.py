"""名册: the org tree of the viewer's area with each org's people loaded on demand (a county is 20,000 people,
shown a page at a time), a person's page, and — for administrators — changing a person's roles, deactivating
and reactivating them, and importing a CSV/XLSX roster through the CLI's own whole-or-nothing checks: checked
row by row, previewed, imported only on 确认导入.

Who may change the roster: administrators only. Roles decide what a person sees and may do (a 督导 granting
roles would widen areas, their own included), and the roster will come from the WeCom/DingTalk contacts sync,
which administrators own; so supervisors and everyone else here read, within their area.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from bot.console import held_upload
from bot.console.held_upload import Held
from bot.console.pages import HEADERS, notice
from bot.console.scope import Area
from bot.console.web import UPLOAD_LIMIT, Call, Console
from bot.queue import redis_client
from bot.roles import MANAGER_FIRST, OrgKind, Role
from bot.store import roster as store
from bot.store.roster import COLUMN_LABELS, RosterError, RowError
from bot.store.tables import Org, Person

log = logging.getLogger("cadrebot.console")
ADMIN = (Role.ADMIN,)
PAGE_SIZE = 50
SHOWN = 200  # rows of a preview or of a list of problems on the page; the rest are counted
PURPOSE = "roster"
OPEN_ALL = 40  # a tree this small opens whole; a bigger one opens its top and the way to the chosen org
# the orgs the filter's drop-down offers; grids, branches and party groups are reached through the tree
FILTER_KINDS = {OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.VILLAGE, OrgKind.DEPARTMENT}
STATES = {"": "全部", "active": "在用", "off": "已停用"}
SAVED = {"roles": "角色已更新。", "off": "已停用。此人不能再使用机器人和工作台。", "on": "已重新启用。"}


# -- the tree --------------------------------------------------------------------------------------------


@dataclass
class Node:
    id: int
    name: str
    kind: str
    path: str
    depth: int = 0
    people: int = 0  # active people here and below
    children: list[Node] = field(default_factory=list)
    open: bool = False
    chosen: bool = False


def org_tree(s: Session, area: Area, chosen: int | None) -> tuple[list[Node], list[Node]]:
    """The area's orgs as a tree (roster order: the order they were created in) and the same nodes in tree order;
    the chosen org and its ancestors open. Counts of people per org, never of anything a person did."""
    rows = s.execute(
        select(Org.id, Org.name, Org.kind, Org.path, Org.parent_id).where(area.org_filter()).order_by(Org.id)
    ).all()
    nodes = {r.id: Node(r.id, r.name, r.kind, r.path) for r in rows}
    counts = dict(
        s.execute(
            select(Person.org_id, func.count())
            .join(Org, Person.org_id == Org.id)
            .where(area.org_filter(), Person.active.is_(True))
            .group_by(Person.org_id)
        ).all()
    )
    roots: list[Node] = []
    parents: dict[int, int] = {}
    for r in rows:
        if r.parent_id in nodes:
            nodes[r.parent_id].children.append(nodes[r.id])
            parents[r.id] = r.parent_id
        else:
            roots.append(nodes[r.id])
    ordered: list[Node] = []

    def walk(node: Node, depth: int) -> int:
        node.depth = depth
        ordered.append(node)
        node.people = int(counts.get(node.id, 0)) + sum(walk(c, depth + 1) for c in node.children)
        return node.people

    for root in roots:
        walk(root, 0)
        root.open = True
    if len(ordered) <= OPEN_ALL:
        for node in ordered:
            node.open = True
    at = chosen
    while at is not None and at in nodes:
        nodes[at].open = True
        at = parents.get(at)
    if chosen in nodes:
        nodes[chosen].chosen = True
    return roots, ordered


# -- the people ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    people: list[Person]
    total: int
    page: int
    pages: int


def list_people(s: Session, area: Area, org: Org | None, name: str, state: str, page: int) -> Listing:
    """One page of the people in the area (under `org`, named like `name`), in roster order."""
    wanted = (
        select(Person)
        .join(Org, Person.org_id == Org.id)
        .where(area.org_filter())  # the area, in the query itself
        .options(contains_eager(Person.org))
    )
    if org is not None:
        wanted = wanted.where(or_(Org.id == org.id, Org.path.startswith(org.path + "/", autoescape=True)))
    if name:
        wanted = wanted.where(Person.name.contains(name, autoescape=True))
    if state == "active":
        wanted = wanted.where(Person.active.is_(True))
    elif state == "off":
        wanted = wanted.where(Person.active.is_(False))
    total = s.scalar(select(func.count()).select_from(wanted.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    people = list(s.scalars(wanted.order_by(Person.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).unique())
    return Listing(people=people, total=total, page=page, pages=pages)


def org_in_area(s: Session, area: Area, org_id: str) -> Org | None:
    if not org_id.isdigit():
        return None
    return s.scalar(select(Org).where(Org.id == int(org_id), area.org_filter()))


def person_in_area(s: Session, area: Area, person_id: str) -> Person | None:
    if not person_id.isdigit() or len(person_id) > 12:
        return None
    return s.scalar(
        select(Person)
        .join(Org, Person.org_id == Org.id)
        .where(Person.id == int(person_id), area.org_filter())
        .options(contains_eager(Person.org))
    )


def place(area: Area, path: str) -> str:
    """Where a person sits, as seen from the viewer's area: 李家村/1组 for a village's own people."""
    if area.path is None:
        return path
    parent = area.path.rsplit("/", 1)[0] if "/" in area.path else ""
    return path[len(parent) + 1 :] if parent and path.startswith(parent + "/") else path


def number(text: str, default: int = 1) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else default


# -- the upload ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    where: str
    column: str
    reason: str


def problems(errors: list[RowError]) -> list[Problem]:
    return [
        Problem(
            where=f"第{e.row}行" if e.row else "整个文件",
            column=COLUMN_LABELS.get(e.column, e.column) if e.column else "—",
            reason=e.reason,
        )
        for e in errors
    ]


def safe_name(filename: str, kind: str) -> str:
    """The uploaded file's own name, reduced to what is safe as a file name and in the audit log."""
    stem = re.sub(r"[^\w\-（）()]+", "_", Path(filename).stem).strip("_")[:60] or "roster"
    return stem + kind


def on_disk(held: Held, work: Callable[[Path], Response]) -> Response:
    """read_table reads a path: the held bytes in a private temporary directory for the length of `work`."""
    with tempfile.TemporaryDirectory(prefix="cadrebot-roster-") as folder:
        path = Path(folder) / safe_name(held.filename, held.kind)
        path.write_bytes(held.data)
        return work(path)


def add(router: APIRouter, console: Console) -> None:
    def back_to(url: str) -> Response:
        return RedirectResponse(url, status_code=303, headers=HEADERS)

    def redis_away() -> Response:
        return notice("暂时无法上传", "系统暂时无法保存上传的文件，请稍后再试。", 503, ("返回名册", "/console/roster"))

    # -- reading --------------------------------------------------------------------------------------------

    @console.route(router, "/console/roster")
    def roster(call: Call) -> Response:
        viewer = call.viewer
        name, state = call.query("q")[:50], call.query("state")
        state = state if state in STATES else ""
        with console.session() as s:
            org: Org | None = None
            if call.query("org"):
                org = org_in_area(s, viewer.area, call.query("org"))
                if org is None:
                    return console.not_found()
            elif not name and viewer.area.org_id is not None:
                org = s.get(Org, viewer.area.org_id)  # at first: the whole area, a page at a time
            listing = list_people(s, viewer.area, org, name, state, number(call.query("page")))
            values: dict[str, Any] = {
                "listing": listing,
                "org": org,
                "q": name,
                "state": state,
                "states": STATES,
                "place": lambda path: place(viewer.area, path),
                "role_text": store.role_text,
            }
            fragment = call.request.headers.get("hx-target") == "people"
            if fragment and not call.request.headers.get("hx-history-restore-request"):
                return call.render("roster_people.html", **values)
            roots, ordered = org_tree(s, viewer.area, org.id if org else None)
            choices = [n for n in ordered if n.kind in FILTER_KINDS or (org is not None and n.id == org.id)]
            return call.render("roster.html", roots=roots, choices=choices, **values)

    @console.route(router, "/console/roster/person/{person_id}")
    def person(call: Call) -> Response:
        with console.session() as s:
            found = person_in_area(s, call.viewer.area, call.path("person_id"))
            if found is None:
                return console.not_found()
            saved = SAVED.get(call.query("saved"))
            return show_person(call, found, flash=[saved] if saved else [])

    def show_person(call: Call, found: Person, status: int = 200, **values: object) -> Response:
        return call.render(
            "roster_person.html",
            status,
            person=found,
            roles=MANAGER_FIRST,
            role_text=store.role_text,
            place=place(call.viewer.area, found.org.path),
            **{"flash": [], "error": "", **values},
        )

    # -- changing one person (administrators) --------------------------------------------------------------

    @console.route(router, "/console/roster/person/{person_id}/roles", methods=("POST",), roles=ADMIN)
    def change_roles(call: Call) -> Response:
        viewer = call.viewer
        asked = call.form.getlist("role") if call.form is not None else []
        chosen = [Role(r) for r in MANAGER_FIRST if r.value in asked]
        with console.session() as s:
            found = person_in_area(s, viewer.area, call.path("person_id"))
            if found is None:
                return console.not_found()
            if len(chosen) != len(set(asked)):
                return show_person(call, found, 400, error="提交的角色无法识别，请刷新页面后重新选择。")
            if not chosen:
                return show_person(call, found, 400, error="请至少选择一个角色。不再任职的人员请停用。")
            if found.id == viewer.person_id and Role.ADMIN not in chosen:
                return show_person(call, found, 400, error="不能取消您自己的管理员角色，请由另一位管理员操作。")
            before = sorted(found.roles)
            if store.set_roles(s, found, chosen, console.now()):
                console.audit(
                    s,
                    viewer,
                    "console.roster_roles",
                    f"person:{found.id}",
                    name=found.name,
                    before=before,
                    after=sorted(r.value for r in chosen),
                )
            target = found.id
        return back_to(f"/console/roster/person/{target}?saved=roles")

    @console.route(router, "/console/roster/person/{person_id}/active", methods=("POST",), roles=ADMIN)
    def change_active(call: Call) -> Response:
        viewer = call.viewer
        wanted = call.field("active")
        with console.session() as s:
            found = person_in_area(s, viewer.area, call.path("person_id"))
            if found is None:
                return console.not_found()
            if wanted not in ("0", "1"):
                return show_person(call, found, 400, error="请求无效，请刷新页面后再试。")
            if found.id == viewer.person_id and wanted == "0":
                return show_person(call, found, 400, error="不能停用您自己，请由另一位管理员操作。")
            active = wanted == "1"
            if store.set_active(s, found, active, console.now()):
                action = "console.roster_reactivate" if active else "console.roster_deactivate"
                console.audit(s, viewer, action, f"person:{found.id}", name=found.name)
            target = found.id
        return back_to(f"/console/roster/person/{target}?saved={'on' if active else 'off'}")

    # -- importing a file (administrators) -----------------------------------------------------------------

    def upload_page(call: Call, status: int = 200, **values: object) -> Response:
        defaults: dict[str, object] = {"problems": [], "more": 0, "filename": "", "limit_mb": UPLOAD_LIMIT >> 20}
        return call.render("roster_upload.html", status, **{**defaults, **values})

    def refused(call: Call, s: Session, filename: str, errors: list[RowError], status: int = 200) -> Response:
        console.audit(s, call.viewer, "console.roster_refused", filename, problems=len(errors))
        listed = problems(errors)
        return upload_page(call, status, problems=listed[:SHOWN], more=max(0, len(listed) - SHOWN), filename=filename)

    @console.route(router, "/console/roster/upload", roles=ADMIN)
    def upload_form(call: Call) -> Response:
        return upload_page(call)

    @console.route(router, "/console/roster/upload", methods=("POST",), roles=ADMIN, upload=True)
    def upload(call: Call) -> Response:
        sent = call.upload("file")
        if sent is None or not sent.filename:
            return upload_page(
                call, 400, problems=problems([RowError(0, None, "请选择要上传的名册文件（.csv 或 .xlsx）")])
            )
        data = sent.file.read(UPLOAD_LIMIT + 1)
        filename = Path(sent.filename).name[:100]
        try:
            kind = store.file_kind(data, filename)
        except RosterError as exc:
            with console.session() as s:
                return refused(call, s, filename, exc.errors, 415)
        held = Held(filename=filename, kind=kind, data=data)

        def check(path: Path) -> Response:
            with console.session() as s:
                try:
                    rows = store.checked_rows(s, path)
                except RosterError as exc:
                    return refused(call, s, filename, exc.errors)
                preview = store.preview_import(s, rows)
                try:
                    token = held_upload.hold(redis_client(console.settings.redis_url), PURPOSE, call.viewer, held)
                except RedisError:
                    log.warning("console: could not hold a roster upload", exc_info=True)
                    return redis_away()
                console.audit(
                    s,
                    call.viewer,
                    "console.roster_preview",
                    filename,
                    rows=preview.rows,
                    new=len(preview.new),
                    changed=len(preview.changed),
                    orgs_created=len(preview.orgs_created),
                )
                return call.render(
                    "roster_preview.html",
                    preview=preview,
                    filename=filename,
                    token=token,
                    shown=SHOWN,
                    role_text=store.role_text,
                    minutes=held_upload.HOLD_SECONDS // 60,
                )

        return on_disk(held, check)

    @console.route(router, "/console/roster/upload/confirm", methods=("POST",), roles=ADMIN)
    def confirm(call: Call) -> Response:
        try:
            held = held_upload.take(redis_client(console.settings.redis_url), PURPOSE, call.viewer, call.field("token"))
        except RedisError:
            log.warning("console: could not take a roster upload", exc_info=True)
            return redis_away()
        if held is None:
            return notice(
                "这次上传已失效",
                f"预览超过{held_upload.HOLD_SECONDS // 60}分钟、已经导入过或不属于本次登录。请重新上传名册文件。",
                400,
                ("重新上传", "/console/roster/upload"),
            )

        def load(path: Path) -> Response:
            try:
                # checked again as it is written: the roster may have changed since the preview
                with console.session() as s:
                    report = store.import_roster(s, path, actor=call.viewer.name)
                    console.audit(
                        s,
                        call.viewer,
                        "console.roster_import",
                        held.filename,
                        rows=report.rows,
                        created=report.created,
                        updated=report.updated,
                        unchanged=report.unchanged,
                        orgs_created=report.orgs_created,
                    )
            except RosterError as exc:
                with console.session() as s:
                    return refused(call, s, held.filename, exc.errors)
            except IntegrityError:
                conflict = RowError(0, None, "名册中的账号与已有人员冲突（同一账号不能属于两个人），未导入任何数据")
                with console.session() as s:
                    return refused(call, s, held.filename, [conflict], 409)
            return call.render("roster_imported.html", report=report, filename=held.filename)

        return on_disk(held, load)

    @console.route(router, "/console/roster/upload/cancel", methods=("POST",), roles=ADMIN)
    def cancel(call: Call) -> Response:
        with suppress(RedisError):  # else it expires on its own
            held_upload.drop(redis_client(console.settings.redis_url), PURPOSE, call.viewer, call.field("token"))
        return back_to("/console/roster/upload")
