"""投诉建议: anyone signed in submits a complaint or suggestion and follows their own; the administrators see all of
them, answer (the answer reaches the sender in the chat) and close them. Everyone else sees only their own — an
id that is not theirs answers 404 — and the free text is shown through the viewer's masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session, joinedload

from bot.console.pages import HEADERS
from bot.console.web import Call, Console, Viewer
from bot.roles import Role
from bot.store.tables import Feedback, Person
from handlers import feedback as feature

PAGE_SIZE = 30
EXCERPT = 60
FILTERS = (("open", "待答复"), ("answered", "已答复"), ("closed", "已办结"), ("all", "全部"))
BADGES = {"open": "late", "answered": "doing", "closed": "done"}
VIA = {"chat": "聊天", "console": "工作台"}


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """Whose items the viewer may see, in the query: an administrator everyone's, anyone else their own."""
    return true() if viewer.admin else Feedback.person_id == viewer.person_id


@dataclass(frozen=True)
class Shown:
    """One item as the page shows it: its free text already through the viewer's masking."""

    id: int
    receipt: str
    kind: str
    status: str
    status_text: str
    badge: str
    via: str
    created_at: datetime
    sender: str
    unit: str
    text: str
    excerpt: str
    answer: str
    answered_by: str
    answered_at: datetime | None
    closed_at: datetime | None


def shown(item: Feedback, viewer: Viewer, names: dict[int, str]) -> Shown:
    text = viewer.text(item.text)
    return Shown(
        id=item.id,
        receipt=item.receipt_no,
        kind=feature.kind_label(item.kind),
        status=item.status,
        status_text=feature.STATUS_LABELS.get(item.status, item.status),
        badge=BADGES.get(item.status, ""),
        via=VIA.get(item.via, item.via),
        created_at=item.created_at,
        sender=item.person.name if item.person else "（已不在名册）",
        unit=item.org.path,
        text=text,
        excerpt=text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
        answer=viewer.text(item.answer),
        answered_by=names.get(item.answered_by or 0, ""),
        answered_at=item.answered_at,
        closed_at=item.closed_at,
    )


def names_of(s: Session, items: list[Feedback]) -> dict[int, str]:
    ids = {i.answered_by for i in items if i.answered_by}
    if not ids:
        return {}
    return {pid: name for pid, name in s.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))}


def one(s: Session, viewer: Viewer, raw: str) -> Feedback | None:
    if not raw.isdigit():
        return None
    return s.scalar(
        select(Feedback)
        .where(Feedback.id == int(raw), visible(viewer))
        .options(joinedload(Feedback.person), joinedload(Feedback.org))
    )


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def add(router: APIRouter, console: Console) -> None:
    def listing(
        call: Call, status: int = 200, errors: list[str] | None = None, kind: str = "", text: str = ""
    ) -> Response:
        viewer = call.viewer
        wanted = call.query("status") or ("open" if viewer.admin else "all")
        if wanted not in dict(FILTERS):
            wanted = "all"
        page = int(call.query("page")) if call.query("page").isdigit() and int(call.query("page")) > 0 else 1
        with console.session() as s:
            tally: dict[str, int] = {
                status: n
                for status, n in s.execute(
                    select(Feedback.status, func.count()).where(visible(viewer)).group_by(Feedback.status)
                )
            }
            query = select(Feedback).where(visible(viewer))
            if wanted != "all":
                query = query.where(Feedback.status == wanted)
            items = list(
                s.scalars(
                    query.options(joinedload(Feedback.person), joinedload(Feedback.org))
                    .order_by(Feedback.created_at.desc(), Feedback.id.desc())
                    .offset((page - 1) * PAGE_SIZE)
                    .limit(PAGE_SIZE + 1)
                )
            )
            names = names_of(s, items)
            rows = [shown(i, viewer, names) for i in items[:PAGE_SIZE]]
        filters = [(key, label, sum(tally.values()) if key == "all" else tally.get(key, 0)) for key, label in FILTERS]
        return call.render(
            "feedback.html",
            status,
            items=rows,
            filters=filters,
            wanted=wanted,
            page=page,
            more=len(items) > PAGE_SIZE,
            errors=errors or [],
            kind=kind,
            text=text,
            limit=feature.MAX_TEXT,
        )

    def detail(
        call: Call, item_id: str, status: int = 200, errors: list[str] | None = None, draft: str = ""
    ) -> Response:
        with console.session() as s:
            item = one(s, call.viewer, item_id)
            if item is None:
                return console.not_found()
            view = shown(item, call.viewer, names_of(s, [item]))
            flash = []
            done = call.query("done")
            if done == "filed" and item.person_id == call.viewer.person_id:
                flash.append(feature.receipt_line(item))
            elif done == "answered" and item.status == "answered":
                flash.append(feature.answered_line(view.sender))
            elif done == "closed" and item.status == "closed":
                flash.append(feature.closed_line(item))
        return call.render(
            "feedback_item.html",
            status,
            item=view,
            errors=errors or [],
            flash=flash,
            draft=draft,
            limit=feature.MAX_ANSWER,
        )

    @console.route(router, "/console/feedback", roles=None)
    def feedback_page(call: Call) -> Response:
        return listing(call)

    @console.route(router, "/console/feedback", methods=("POST",), roles=None)
    def submit(call: Call) -> Response:
        kind, text = call.field("kind"), call.field("text")
        with console.session() as s:
            ctx = console.context(s, call.viewer)
            try:
                item = feature.record(ctx, kind, text, "console")
            except feature.Refused as exc:
                return listing(call, 400, [str(exc)], kind, text)
            console.audit(s, call.viewer, "console.feedback.submit", item.receipt_no, kind=item.kind)
            done = console.finish(s, ctx)
            item_id = item.id
        console.send(done)
        return see_other(f"/console/feedback/{item_id}?done=filed")

    @console.route(router, "/console/feedback/{item_id}", roles=None)
    def item_page(call: Call) -> Response:
        return detail(call, call.path("item_id"))

    def act(call: Call, step: str) -> Response:
        """Answer or close, as the administrator, through the feature; its message to the sender goes out after
        the commit."""
        raw = call.path("item_id")
        with console.session() as s:
            item = one(s, call.viewer, raw)
            if item is None:
                return console.not_found()
            ctx = console.context(s, call.viewer)
            try:
                if step == "answered":
                    feature.answer(ctx, item, call.field("answer"))
                else:
                    feature.close(ctx, item)
            except feature.Refused as exc:  # refused before anything changed: nothing to write
                return detail(call, raw, 400, [str(exc)], call.field("answer"))
            done = console.finish(s, ctx)
            action = "answer" if step == "answered" else "close"
            console.audit(s, call.viewer, f"console.feedback.{action}", item.receipt_no, to=item.person_id)
        console.send(done)
        return see_other(f"/console/feedback/{raw}?done={step}")

    @console.route(router, "/console/feedback/{item_id}/answer", methods=("POST",), roles=(Role.ADMIN,))
    def answer(call: Call) -> Response:
        return act(call, "answered")

    @console.route(router, "/console/feedback/{item_id}/close", methods=("POST",), roles=(Role.ADMIN,))
    def close(call: Call) -> Response:
        return act(call, "closed")
