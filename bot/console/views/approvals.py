"""审批: the 约谈 drafts and 交通补助 claims the viewer decides — by the cards' own rule (the nearest supervisors,
the claim's approvers) — read, a draft edited, each decided through the same functions the cards call. A
decision here closes the chat's still-open cards for it; one made on a card shows here, read from the row;
nothing is decided twice. The area is in every query: a record outside it is the same 404 as none at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.console import pages
from bot.console.nav import SUPERVISE
from bot.console.web import Call, Console, Viewer
from bot.store.tables import InterviewNotice, Org, Person, Trip
from handlers import open_cards
from handlers.context import Context
from handlers.forms.spec import Invalid
from handlers.tasks import interview
from handlers.trips import filing
from handlers.trips.subsidy import yuan

RECENT = timedelta(days=30)  # decided records shown under 最近已处理
RECENT_ROWS = 20
NOTICE_STATES = {"draft": "待审批", "sent": "已批准发送", "rejected": "不发", "confirmed": "已批准 · 对方已确认"}


# -- reading, with the area in the query --------------------------------------------------------------------


def scoped_notice(s: Session, viewer: Viewer, raw_id: str) -> InterviewNotice | None:
    if not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return s.scalar(
        select(InterviewNotice)
        .where(InterviewNotice.id == int(raw_id), viewer.area.holds(InterviewNotice.target_org_id))
        .options(joinedload(InterviewNotice.target_org), joinedload(InterviewNotice.target_person))
    )


def scoped_trip(s: Session, viewer: Viewer, raw_id: str) -> Trip | None:
    if not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return s.scalar(
        select(Trip)
        .join(Person, Trip.person_id == Person.id)
        .where(Trip.id == int(raw_id), viewer.area.holds(Person.org_id))
        .options(joinedload(Trip.person), joinedload(Trip.approver))
    )


def name_of(s: Session, person_id: int | None) -> str:
    person = s.get(Person, person_id) if person_id else None
    return person.name if person else ""


def notice_view(s: Session, ctx: Context, notice: InterviewNotice) -> dict[str, Any]:
    local = notice.meet_at.astimezone(ctx.tz)
    return {
        "id": notice.id,
        "who": notice.target_org.name + (f" {notice.target_person.name}" if notice.target_person else ""),
        "reason": notice.reason,
        "meet_at": notice.meet_at,
        "meet_local": f"{local:%Y-%m-%dT%H:%M}",
        "place": notice.place,
        "interviewers": notice.interviewers,
        "materials": notice.materials,
        "contact": notice.contact or "",
        "status": notice.status,
        "state": NOTICE_STATES.get(notice.status, notice.status),
        "open": notice.status == "draft",
        "drafted_at": notice.drafted_at,
        "decided_at": notice.decided_at,
        "approver": name_of(s, notice.approver_id),
        "task_id": notice.task_id,
        "mine": interview.may_decide(ctx, notice),
        "soon": notice.status == "draft" and interview.too_soon(ctx, notice),
    }


def trip_view(s: Session, ctx: Context, trip: Trip) -> dict[str, Any]:
    unit = s.get(Org, trip.person.org_id)
    return {
        "id": trip.id,
        "receipt": trip.receipt_no,
        "person": trip.person.name,
        "unit": unit.name if unit else "",
        "day": trip.trip_date,
        "village": trip.village,
        "households": f"{trip.households}户" if trip.households is not None else "—",
        "purpose": trip.purpose or "未填写",
        "amount": yuan(trip.amount),
        "note": trip.rule_note or "",
        "unit_car": trip.unit_car,
        "status": trip.status,
        "state": filing.STATUS_LABELS.get(trip.status, trip.status),
        "open": trip.status == "pending",
        "filed_at": trip.filed_at,
        "decided_at": trip.decided_at,
        "approver": trip.approver.name if trip.approver else "",
        "return_reason": trip.return_reason or "",
        "mine": filing.may_approve(ctx, trip),
    }


def waiting(s: Session, ctx: Context, viewer: Viewer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What waits for the viewer: the area in SQL, then the cards' own rule of who decides each."""
    drafts = s.scalars(
        select(InterviewNotice)
        .where(InterviewNotice.status == "draft", viewer.area.holds(InterviewNotice.target_org_id))
        .options(joinedload(InterviewNotice.target_org), joinedload(InterviewNotice.target_person))
        .order_by(InterviewNotice.drafted_at, InterviewNotice.id)
    ).all()
    claims = s.scalars(
        select(Trip)
        .join(Person, Trip.person_id == Person.id)
        .where(Trip.status == "pending", viewer.area.holds(Person.org_id))
        .options(joinedload(Trip.person))
        .order_by(Trip.filed_at, Trip.id)
    ).all()
    return (
        [notice_view(s, ctx, n) for n in drafts if interview.may_decide(ctx, n)],
        [trip_view(s, ctx, t) for t in claims if filing.may_approve(ctx, t)],
    )


def decided(s: Session, ctx: Context, viewer: Viewer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Decided lately in the area, on a card or here: the rows say so, whoever decided."""
    since = ctx.now - RECENT
    notices = s.scalars(
        select(InterviewNotice)
        .where(
            InterviewNotice.status != "draft",
            InterviewNotice.decided_at >= since,
            viewer.area.holds(InterviewNotice.target_org_id),
        )
        .options(joinedload(InterviewNotice.target_org), joinedload(InterviewNotice.target_person))
        .order_by(InterviewNotice.decided_at.desc(), InterviewNotice.id.desc())
        .limit(RECENT_ROWS)
    ).all()
    trips = s.scalars(
        select(Trip)
        .join(Person, Trip.person_id == Person.id)
        .where(Trip.status.in_(("approved", "returned")), Trip.decided_at >= since, viewer.area.holds(Person.org_id))
        .options(joinedload(Trip.person), joinedload(Trip.approver))
        .order_by(Trip.decided_at.desc(), Trip.id.desc())
        .limit(RECENT_ROWS)
    ).all()
    return [notice_view(s, ctx, n) for n in notices], [trip_view(s, ctx, t) for t in trips]


def when_value(text: str, console: Console) -> datetime | None:
    """The form's 约谈时间 (a datetime-local field, Shanghai time), or None when it is not one."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=console.tz) if value.tzinfo is None else value


# -- the pages ----------------------------------------------------------------------------------------------


def add(router: APIRouter, console: Console) -> None:
    def interview_page(
        call: Call, s: Session, ctx: Context, notice: InterviewNotice, status: int = 200, **extra: Any
    ) -> Response:
        values: dict[str, Any] = {"flash": [], "bad": [], "problems": {}, "typed": None, **extra}
        return call.render("approvals_interview.html", status, notice=notice_view(s, ctx, notice), **values)

    def trip_page(call: Call, s: Session, ctx: Context, trip: Trip, status: int = 200, **extra: Any) -> Response:
        values: dict[str, Any] = {"flash": [], "bad": [], **extra}
        reasons = list(enumerate(filing.return_reasons(ctx)))
        return call.render("approvals_trip.html", status, trip=trip_view(s, ctx, trip), reasons=reasons, **values)

    @console.route(router, "/console/approvals", roles=SUPERVISE)
    def approvals(call: Call) -> Response:
        with console.session() as s:
            ctx = console.context(s, call.viewer)
            drafts, claims = waiting(s, ctx, call.viewer)
            done_notices, done_trips = decided(s, ctx, call.viewer)
        return call.render(
            "approvals.html", drafts=drafts, claims=claims, done_notices=done_notices, done_trips=done_trips
        )

    @console.route(router, "/console/approvals/interview/{notice_id}", roles=SUPERVISE)
    def notice_page(call: Call) -> Response:
        with console.session() as s:
            notice = scoped_notice(s, call.viewer, call.path("notice_id"))
            if notice is None:
                return console.not_found()
            return interview_page(call, s, console.context(s, call.viewer), notice)

    @console.route(router, "/console/approvals/interview/{notice_id}/decide", methods=("POST",), roles=SUPERVISE)
    def decide_notice(call: Call) -> Response:
        choice = call.field("choice")
        if choice not in ("approve", "reject"):
            return bad_choice()
        with console.session() as s:
            notice = scoped_notice(s, call.viewer, call.path("notice_id"))
            if notice is None:
                return console.not_found()
            ctx = console.context(s, call.viewer)
            decision = interview.decide_interview(
                ctx, notice, "approve" if choice == "approve" else "reject", in_console=True
            )
            done = console.finish(s, ctx)
            open_cards.handled(s, decision.closed)
            console.audit(
                s,
                call.viewer,
                f"console.interview.{choice}",
                f"interview:{notice.id}",
                decided=decision.decided,
                cards=len(decision.closed),
            )
            status = (
                200 if decision.decided else refused_status(interview.may_decide(ctx, notice), notice.status != "draft")
            )
            said = done.said or ([decision.card_text] if decision.card_text else [])
            answer = interview_page(
                call,
                s,
                ctx,
                notice,
                status,
                flash=said if decision.decided else [],
                bad=[] if decision.decided else said,
            )
        console.send(done)
        return answer

    @console.route(router, "/console/approvals/interview/{notice_id}/edit", methods=("POST",), roles=SUPERVISE)
    def edit_notice(call: Call) -> Response:
        texts = {name: call.field(name) for name in ("place", "interviewers", "materials")}
        when = when_value(call.field("when"), console)
        with console.session() as s:
            notice = scoped_notice(s, call.viewer, call.path("notice_id"))
            if notice is None:
                return console.not_found()
            ctx = console.context(s, call.viewer)
            typed = {"when": call.field("when"), **texts}
            if not interview.may_decide(ctx, notice):
                console.audit(s, call.viewer, "console.interview.edit", f"interview:{notice.id}", done=False)
                return interview_page(call, s, ctx, notice, 403, bad=["您没有审批这份约谈通知的权限。"], typed=typed)
            problems = interview.edit_problems(ctx, when, texts)
            if problems:
                return interview_page(call, s, ctx, notice, 400, problems=problems, typed=typed)
            assert when is not None  # edit_problems says so when it is missing
            try:
                interview.revise_interview(ctx, notice, when, texts["place"], texts["interviewers"], texts["materials"])
            except Invalid as refused:
                console.audit(s, call.viewer, "console.interview.edit", f"interview:{notice.id}", done=False)
                return interview_page(call, s, ctx, notice, 409, bad=[str(refused)])
            done = console.finish(s, ctx)
            console.audit(
                s,
                call.viewer,
                "console.interview.edit",
                f"interview:{notice.id}",
                done=True,
                when=when.isoformat(),
                place=notice.place,
            )
            answer = interview_page(call, s, ctx, notice, flash=done.said)
        console.send(done)
        return answer

    @console.route(router, "/console/approvals/trip/{trip_id}", roles=SUPERVISE)
    def claim_page(call: Call) -> Response:
        with console.session() as s:
            trip = scoped_trip(s, call.viewer, call.path("trip_id"))
            if trip is None:
                return console.not_found()
            return trip_page(call, s, console.context(s, call.viewer), trip)

    @console.route(router, "/console/approvals/trip/{trip_id}/decide", methods=("POST",), roles=SUPERVISE)
    def decide_claim(call: Call) -> Response:
        choice = call.field("choice")
        if choice not in ("approve", "return"):
            return bad_choice()
        with console.session() as s:
            trip = scoped_trip(s, call.viewer, call.path("trip_id"))
            if trip is None:
                return console.not_found()
            ctx = console.context(s, call.viewer)
            reasons = filing.return_reasons(ctx)
            picked = call.field("reason")
            reason = reasons[int(picked)] if picked.isdigit() and int(picked) < len(reasons) else None
            decision = filing.decide_trip(
                ctx, trip, "approve" if choice == "approve" else "return", reason, in_console=True
            )
            done = console.finish(s, ctx)
            open_cards.handled(s, decision.closed)
            console.audit(
                s,
                call.viewer,
                f"console.trip.{choice}",
                trip.receipt_no,
                decided=decision.decided,
                reason=reason,
                cards=len(decision.closed),
            )
            if decision.decided:
                # 通过 says nothing to the approver in the chat (the card changes): say here what the card says
                said = done.said or [f"{trip.receipt_no}：{decision.card_text}。已通知{trip.person.name}。"]
                answer = trip_page(call, s, ctx, trip, flash=said)
            else:
                status = refused_status(filing.may_approve(ctx, trip), trip.status != "pending")
                answer = trip_page(call, s, ctx, trip, status, bad=done.said)
        console.send(done)
        return answer


def bad_choice() -> Response:
    return pages.notice("请求无效", "请在审批页面上点按钮操作。", 400, ("返回审批", "/console/approvals"))


def refused_status(allowed: bool, decided_already: bool) -> int:
    """Why nothing was decided: not the viewer's to decide (403), decided already (409), or the form (400)."""
    if not allowed:
        return 403
    return 409 if decided_already else 400
