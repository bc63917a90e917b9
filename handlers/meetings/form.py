"""The 三会一课 record as a form (DOMAIN.md §1.3, trimmed to what a phone message carries): type, date and
time, 应到/实到, absentees, topic, and whether it was an election. The quorum is derived from the roster
and shown on the confirmation card before anything is filed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.store.tables import AttendanceCall, LeaveRequest, Org
from handlers.context import Context
from handlers.forms.dates import past_day, show_date
from handlers.forms.spec import Choice, FieldSpec, FormSpec, Invalid, register
from handlers.meetings import branch as br
from handlers.nlu.chinese_time import extract
from handlers.nlu.normalize import normalize
from handlers.nlu.numbers import to_int
from handlers.nlu.people import looks_like_name, plausible_name
from handlers.nlu.readers import meeting_type as read_type
from knowledge.quorum import check
from knowledge.rules import MEETING_TYPES

MAX_AGE_DAYS = 90
parse_date = past_day(
    MAX_AGE_DAYS, future="会议记录登记已开过的会，日期不能晚于今天。", too_old=f"只能登记近{MAX_AGE_DAYS}天内开的会。"
)
ELECTION = re.compile(r"选举|换届|补选|选出|投票选")
TOPIC = re.compile(
    r"(?:议题|主题|内容)(?:是|为|[:：])\s*(?P<t>[^。；;]{2,80})|(?P<verb>学习|传达|研究|讨论|部署|审议)(?P<rest>[^，,。；;]{2,60})"
)
NOBODY = re.compile(r"^(?:无|没有|没|都到了|全到了|全到|都来了|无人缺席|没人缺席)[。.!！]*$")


def branch_for(ctx: Context) -> Org | None:
    return br.branch_of(ctx.session, ctx.actor.org_id)


def parse_type(text: str, _ctx: Context) -> str | None:
    text = text.strip()
    return text if text in MEETING_TYPES else read_type(normalize(text))


def read_time(text: str, ctx: Context) -> str | None:
    for span in extract(normalize(text), ctx.local_now, "past"):
        if span.grain in ("hour", "minute") and not span.deadline:
            return f"{span.start:%H:%M}"
    return None


def parse_count(text: str, _ctx: Context) -> int | None:
    found = re.search(r"(\d+|[零一二两三四五六七八九十百]+)\s*(?:人|名|个|位)?", normalize(text).strip())
    if not found:
        return None
    n = to_int(found.group(1))
    if n is None:
        return None
    if not 1 <= n <= 500:
        raise Invalid("人数应在1到500之间。")
    return n


def parse_present(text: str, ctx: Context) -> int | None:
    return parse_count(text, ctx)


def parse_absent(text: str, _ctx: Context) -> list[str] | None:
    text = text.strip()
    if NOBODY.match(text):
        return []
    words = [w for w in re.split(r"[、,，\s和及与]+", re.sub(r"(?:请假|缺席|没来|未到)", " ", text)) if w]
    names = [w for w in words if looks_like_name(w) or plausible_name(w)]
    return names if names and len(names) == len(words) else None


def show_people(value: list[str]) -> str:
    return "、".join(value) if value else "无"


def parse_topic(text: str, _ctx: Context) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) > 200:
        raise Invalid("议题请控制在200字以内。")
    return text


def topic_of(text: str) -> str | None:
    m = TOPIC.search(text)
    if not m:
        return None
    return (m.group("t") or (m.group("verb") + m.group("rest"))).strip() or None


def type_choices(_ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(t, t) for t in MEETING_TYPES]


def roster_expected(ctx: Context, values: dict[str, Any]) -> int | None:
    branch = branch_for(ctx)
    if branch is None:
        return None
    kind = values.get("meeting_type")
    if kind == "支部委员会":
        return len(br.committee(ctx.session, branch)) or None
    if kind == "党小组会":
        group = br.group_of(ctx.session, ctx.actor.org_id)
        return len(br.group_members(ctx.session, group)) if group is not None else None
    return len(br.members(ctx.session, branch)) or None


def expected_choices(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    n = roster_expected(ctx, values)
    return [Choice(n, f"{n}人（按名册）")] if n else []


def present_choices(_ctx: Context, values: dict[str, Any]) -> list[Choice]:
    expected, absent = values.get("expected"), values.get("absent")
    if expected and absent is not None and len(absent) < expected:
        return [Choice(expected - len(absent), f"{expected - len(absent)}人")]
    if expected:
        return [Choice(expected, f"{expected}人（全到）")]
    return []


def derive(ctx: Context, values: dict[str, Any]) -> None:
    """应到/实到 of the members with a vote, and the quorum, from the numbers and the roster."""
    expected, present, kind = values.get("expected"), values.get("present"), values.get("meeting_type")
    if expected is not None and present is not None and present > expected:
        values["present"] = None  # asked again; the parser says why
        present = None
    absent = values.get("absent")
    if expected is not None and present is None and absent and len(absent) < expected:
        present = values["present"] = expected - len(absent)  # 实到 + 缺席 = 应到
    values["quorum"] = None
    if expected is None or present is None or kind not in ("支部党员大会", "支部委员会"):
        return
    expected_voting, present_voting = expected, present
    branch = branch_for(ctx)
    if kind == "支部党员大会" and branch is not None:
        absent = set(values.get("absent") or [])
        without_vote = [p for p in br.members(ctx.session, branch) if not br.votes(p)]
        expected_voting = max(expected - len(without_vote), 0)
        present_voting = max(present - sum(1 for p in without_vote if p.name not in absent), 0)
    rules = ctx.policy.rules.organisation.quorum
    q = check(
        kind,
        expected_voting,
        present_voting,
        election=bool(values.get("election")),
        general=rules.branch_general,
        committee=rules.branch_committee,
    )
    values["expected_voting"], values["present_voting"] = expected_voting, present_voting
    values["quorum_ok"], values["quorum_text"] = q.ok, q.text
    if q.ok:
        values["quorum"] = f"符合（到{present_voting}/应{expected_voting}）"
    elif q.ok is False:
        values["quorum"] = f"不足（需{q.needed}人，到{present_voting}人）"


def open_call(ctx: Context, branch: Org, kind: str | None, day: date) -> AttendanceCall | None:
    """The 参会通知 this meeting answers, if one went out in the days before it."""
    query = (
        select(AttendanceCall)
        .where(
            AttendanceCall.branch_id == branch.id,
            AttendanceCall.meeting_id.is_(None),
            AttendanceCall.held_on >= day - timedelta(days=3),
            AttendanceCall.held_on <= day,
        )
        .order_by(AttendanceCall.id.desc())
    )
    for call in ctx.session.scalars(query):
        if kind is None or call.meeting_type == kind:
            return call
    return None


def from_call(ctx: Context, call: AttendanceCall, values: dict[str, Any]) -> None:
    absent = [a.person.name for a in call.answers if a.answer != "attend"]
    values.setdefault("meeting_type", call.meeting_type)
    if values.get("meeting_type") is None:
        values["meeting_type"] = call.meeting_type
    if values.get("expected") is None:
        values["expected"] = len(call.answers) + 1  # the secretary who sent it is there
    if values.get("absent") is None:
        values["absent"] = absent
    if values.get("present") is None and values.get("expected") is not None:
        values["present"] = values["expected"] - len(values["absent"])
    if values.get("time") is None and call.starts_at is not None:
        values["time"] = f"{call.starts_at.astimezone(ctx.tz):%H:%M}"
    values["call_id"] = call.id


def start(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    text = str(values.pop("text", ""))
    out: dict[str, Any] = {
        "meeting_type": values.get("meeting_type"),
        "date": values.get("date") or ctx.local_now.date().isoformat(),
        "time": values.get("time") or (read_time(text, ctx) if text else None),
        "expected": values.get("expected"),
        "present": values.get("present"),
        "absent": values.get("absent"),
        "topic": values.get("topic") or (topic_of(text) if text else None),
        "election": True if values.get("election") or ELECTION.search(text) else None,
    }
    try:
        if parse_date(out["date"], ctx) is None:
            out["date"] = None
    except Invalid:
        out["date"] = None
    branch = branch_for(ctx)
    if branch is not None and out["date"]:
        call = (
            ctx.session.get(AttendanceCall, values["call_id"])
            if values.get("call_id")
            else open_call(ctx, branch, out["meeting_type"], date.fromisoformat(out["date"]))
        )
        if call is not None:
            from_call(ctx, call, out)
    if out.get("expected") is not None and out.get("absent") and out.get("present") is None:
        out["present"] = out["expected"] - len(out["absent"])
    return out


def absent_text(ctx: Context, values: dict[str, Any]) -> str:
    """张强（外出务工）、陈刚 — reasons from recorded leave."""
    names = values.get("absent") or []
    branch = branch_for(ctx)
    reasons: dict[str, str] = {}
    call = ctx.session.get(AttendanceCall, values["call_id"]) if values.get("call_id") else None
    for answer in call.answers if call else []:
        if answer.answer == "leave" and answer.reason:
            reasons[answer.person.name] = answer.reason
    if branch is not None and names:
        for leave in ctx.session.scalars(
            select(LeaveRequest).where(LeaveRequest.branch_id == branch.id, LeaveRequest.status == "open")
        ):
            if leave.name in names and leave.reason:
                reasons[leave.name] = leave.reason  # the member's own words win over a quick reason
    return "、".join(f"{n}（{reasons[n]}）" if n in reasons else n for n in names) or "无"


def card_rows(ctx: Context, values: dict[str, Any]) -> list[tuple[str, str]]:
    kind = values.get("meeting_type") or ""
    when = show_date(values["date"]) + (f" {values['time']}" if values.get("time") else "")
    rows = [("类型", kind + ("（选举）" if values.get("election") else "")), ("时间", when)]
    rows.append(("人数", f"应到{values.get('expected')}人，实到{values.get('present')}人"))
    if values.get("absent") is not None:
        rows.append(("缺席", absent_text(ctx, values)))
    if values.get("quorum"):
        rows.append(("法定人数", values["quorum"]))
    if values.get("topic"):
        rows.append(("议题", values["topic"]))
    return rows


def file_meeting(ctx: Context, form: Any) -> Any:
    from handlers.meetings.filing import file_meeting as file

    return file(ctx, form)


MEETING = register(
    FormSpec(
        kind="meeting",
        title="会议记录",
        fields=(
            FieldSpec(
                name="meeting_type",
                label="类型",
                question="请选择会议类型",
                hint="请回复会议类型，例如「支部委员会」",
                parse=parse_type,
                choices=type_choices,
                aliases=("会议类型", "会议", "类别"),
            ),
            FieldSpec(
                name="date",
                label="日期",
                question="请问会议是哪天开的？",
                hint="例如「今天」「3月5日」",
                parse=parse_date,
                show=show_date,
                aliases=("时间", "会议日期", "哪天"),
            ),
            FieldSpec(
                name="time",
                label="时间",
                question="请问几点开始？",
                hint="例如「下午3点」",
                parse=read_time,
                needed=lambda _v: False,
                aliases=("几点", "开始时间"),
            ),
            FieldSpec(
                name="expected",
                label="应到",
                question="应到多少人？",
                hint="请回复人数，例如「9人」",
                parse=parse_count,
                show=lambda n: f"{n}人",
                choices=expected_choices,
                aliases=("应到人数", "应到会"),
            ),
            FieldSpec(
                name="present",
                label="实到",
                question="实到多少人？",
                hint="请回复人数，例如「8人」",
                parse=parse_present,
                show=lambda n: f"{n}人",
                choices=present_choices,
                aliases=("实到人数", "到会", "到会人数"),
            ),
            FieldSpec(
                name="absent",
                label="缺席",
                question="缺席的是哪几位？",
                hint="请回复姓名，例如「张强、陈刚」，都到了回复「无」",
                parse=parse_absent,
                show=show_people,
                needed=lambda _v: False,
                shown=lambda v: v.get("absent") is not None,
                aliases=("缺席人员", "请假人员", "没来的"),
            ),
            FieldSpec(
                name="quorum",
                label="法定人数",
                question="",
                hint="",
                parse=lambda _t, _c: None,
                needed=lambda _v: False,
                shown=lambda v: v.get("quorum") is not None,
                editable=False,
            ),
            FieldSpec(
                name="topic",
                label="议题",
                question="请问会议议题是什么？",
                hint="例如「学习党的二十届三中全会精神」",
                parse=parse_topic,
                needed=lambda _v: False,
                aliases=("主题", "内容", "会议内容"),
            ),
            FieldSpec(
                name="election",
                label="选举",
                question="",
                hint="",
                parse=lambda t, _c: (
                    True if re.search(r"是|有|选举", t) else (False if re.search(r"否|不是|没有", t) else None)
                ),
                show=lambda v: "是" if v else "否",
                needed=lambda _v: False,
                shown=lambda v: bool(v.get("election")),
            ),
        ),
        file=file_meeting,
        start=start,
        derive=derive,
        attachments=True,
        rows=card_rows,
    )
)
