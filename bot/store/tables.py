"""The SQL tables. Times are stored in UTC (naive on SQLite, aware in Python) and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JsonType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns an aware UTC datetime, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Org(Base):
    """市/县/乡镇/村/网格/党支部/党小组, as a tree; `path` is the names joined with '/'."""

    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Org | None] = relationship(remote_side=[id])


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)  # stored lower-case
    dingtalk_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    # 正式 | 预备 | 留党察看 for party members (only 正式 members in good standing vote), None for others
    party_status: Mapped[str | None] = mapped_column(String(8))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # indexed: the roster's stamp (bot/store/people.py) reads its latest value for every message
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    org: Mapped[Org] = relationship()
    role_rows: Mapped[list[PersonRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]


class PersonRole(Base):
    __tablename__ = "person_roles"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class InboundLog(Base):
    """Every message and event the bot processed, once: the unique dedup hash makes a redelivery a no-op."""

    __tablename__ = "inbound_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    dedup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(128))
    sender: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    intent: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="processed")  # processed | stranger | failed
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outbox(Base):
    """Every message the bot sends. Written in the handler's transaction; delivered at least once."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))  # platform user id ("*" for a batch)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    # one message, identical for many people (a broadcast): sent in one call, up to the platform's limit
    recipients: Mapped[list[str] | None] = mapped_column(JsonType)
    failed_recipients: Mapped[list[str] | None] = mapped_column(JsonType)
    tag: Mapped[str | None] = mapped_column(String(40), index=True)  # broadcast:7, reminder:12 …
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_log.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    task_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|delivered|failed
    # the job sending it (status sending): that job, run again after its worker died, takes the row back
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_msgid: Mapped[str | None] = mapped_column(String(128))
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)


class CardRecord(Base):
    """A card that was sent: who it is for, which flow owns it, and the codes needed to update it."""

    __tablename__ = "cards"
    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    card: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | done | expired
    response_code: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))  # a person's name, or "cli", "system"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class ConsoleSession(Base):
    """A signed-in 工作台 session. The cookie holds a random token; only its SHA-256 is kept, so a copy of the
    database opens nobody's session. A session ends at its expiry, at sign-out, or when its person is
    deactivated (every page's query joins the person and asks that they are active)."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # wecom | dingtalk | link
    csrf: Mapped[str] = mapped_column(String(64))  # every form of the session carries it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginLink(Base):
    """A one-time sign-in link the bot sends in the chat (「工作台」): minutes long, single use, one person's."""

    __tablename__ = "login_links"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Counter(Base):
    """Per-day sequences for receipt numbers (XC-20260305-003): one row per prefix and day."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class PatrolReport(Base):
    """One 网格巡查 record as filed by a grid member: 无异常, or the problems found and how they were handled."""

    __tablename__ = "patrol_reports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)  # grid or village
    village_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    grid: Mapped[str] = mapped_column(String(100))
    patrol_date: Mapped[date] = mapped_column(Date, index=True)
    issues: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    location_text: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="filed")  # filed | withdrawn
    source_text: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    reporter: Mapped[Person] = relationship(foreign_keys=[reporter_id])
    org: Mapped[Org] = relationship(foreign_keys=[org_id])
    event: Mapped[GridEvent | None] = relationship(back_populates="report", uselist=False)

    __table_args__ = (Index("ix_patrol_reporter_date", "reporter_id", "patrol_date"),)


class Attachment(Base):
    """A photo, file or location sent with a report (never required)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))  # patrol | …
    owner_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # image | location | file | video
    media_id: Mapped[str | None] = mapped_column(String(256))
    url: Mapped[str | None] = mapped_column(String(1000))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(200))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_log.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id"),)


class GridEvent(Base):
    """A problem a grid member could not settle alone, followed through its life-cycle by the village."""

    __tablename__ = "grid_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_reports.id", ondelete="SET NULL"), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    location_text: Mapped[str | None] = mapped_column(String(200))
    # reported → accepted → dispatched → handled → closed; rejected from reported
    status: Mapped[str] = mapped_column(String(16), default="reported", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[PatrolReport | None] = relationship(back_populates="event")
    reporter: Mapped[Person] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    phases: Mapped[list[EventPhase]] = relationship(order_by="EventPhase.id", cascade="all, delete-orphan")


class EventPhase(Base):
    """The append-only log of an event's steps: who did what, when, with what remark."""

    __tablename__ = "event_phases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("grid_events.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    opinion: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttendanceCall(Base):
    """A 参会通知 sent before a meeting: each member answers 参加 or 请假; the tally pre-fills the record."""

    __tablename__ = "attendance_calls"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    meeting_type: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date | None] = mapped_column(Date)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tally_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))

    answers: Mapped[list[AttendanceAnswer]] = relationship(
        order_by="AttendanceAnswer.id", cascade="all, delete-orphan", back_populates="call"
    )


class AttendanceAnswer(Base):
    __tablename__ = "attendance_answers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("attendance_calls.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    answer: Mapped[str | None] = mapped_column(String(8))  # attend | leave | None (no answer yet)
    reason: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[AttendanceCall] = relationship(back_populates="answers")
    person: Mapped[Person] = relationship()

    __table_args__ = (Index("ux_attendance_answer", "call_id", "person_id", unique=True),)


class Meeting(Base):
    """A 三会一课 record: type, when, 应到/实到 (and of them the members with a vote), absentees, the quorum."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    meeting_type: Mapped[str] = mapped_column(String(16), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    topic: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    expected_voting: Mapped[int | None] = mapped_column(Integer)
    present_voting: Mapped[int | None] = mapped_column(Integer)
    election: Mapped[bool] = mapped_column(Boolean, default=False)
    quorum_ok: Mapped[bool | None] = mapped_column(Boolean)
    quorum_text: Mapped[str | None] = mapped_column(String(200))
    recorder_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="filed")  # filed | withdrawn
    source_text: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    absences: Mapped[list[MeetingAbsence]] = relationship(order_by="MeetingAbsence.id", cascade="all, delete-orphan")
    branch: Mapped[Org] = relationship(foreign_keys=[branch_id])


class MeetingAbsence(Base):
    __tablename__ = "meeting_absences"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(String(100))
    on_leave: Mapped[bool] = mapped_column(Boolean, default=False)


class LeaveRequest(Base):
    """请假 for organisational life, recorded against the branch's next meeting (of the type, if named)."""

    __tablename__ = "leave_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(String(100))
    meeting_type: Mapped[str | None] = mapped_column(String(16))
    for_date: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | used | withdrawn
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Trip(Base):
    """A 下村下户 trip: planned, or done and (when the rules allow) claiming the transport subsidy."""

    __tablename__ = "trips"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    village: Mapped[str] = mapped_column(String(100))
    trip_date: Mapped[date] = mapped_column(Date, index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(Text)
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_car: Mapped[bool] = mapped_column(Boolean, default=False)
    # planned | recorded (no claim) | pending (awaiting approval) | approved | returned | withdrawn
    status: Mapped[str] = mapped_column(String(16), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    rule_note: Mapped[str | None] = mapped_column(String(200))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(String(200))
    source_text: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    approver: Mapped[Person | None] = relationship(foreign_keys=[approver_id])

    __table_args__ = (Index("ix_trips_person_date", "person_id", "trip_date"),)


class Task(Base):
    """One organisation's obligation under a work-plan item, with its deadline (完成时限) and owner."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    clause: Mapped[str | None] = mapped_column(Text)
    # None: a plan task with no single date (长期坚持, 每月…, or none written): listed as 长期, never reminded
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    owner_unit: Mapped[str | None] = mapped_column(String(200))  # the plan's 责任单位 / 牵头单位, as written
    recurrence: Mapped[str | None] = mapped_column(String(16))  # weekly | monthly | quarterly | yearly
    # open | in_progress | blocked | done | archived (already past its deadline when imported from a plan, or
    # dropped from the plan: kept, never reminded)
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Org] = relationship()
    owner: Mapped[Person | None] = relationship()
    updates: Mapped[list[TaskUpdate]] = relationship(order_by="TaskUpdate.id", cascade="all, delete-orphan")

    __table_args__ = (Index("ux_tasks_code_org", "code", "org_id", unique=True),)


class TaskUpdate(Base):
    """The history of a task's progress: who said what, when."""

    __tablename__ = "task_updates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """A supervisor's or secretary's notice to a group within their scope, and who confirmed it."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    scope_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    audience: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sender: Mapped[Person] = relationship()
    recipients: Mapped[list[BroadcastRecipient]] = relationship(
        order_by="BroadcastRecipient.id", cascade="all, delete-orphan", back_populates="broadcast"
    )


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    broadcast: Mapped[Broadcast] = relationship(back_populates="recipients")
    person: Mapped[Person] = relationship()

    __table_args__ = (Index("ux_broadcast_recipient", "broadcast_id", "person_id", unique=True),)


class Reminder(Base):
    """Every automated push, planned ahead under an idempotency key and fired once: T-n reminders, ladder
    steps, 三会一课 cadence reminders, broadcast summaries."""

    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # remind | ladder | cadence | summary
    step: Mapped[str] = mapped_column(String(32))  # T-7 | 提示 | 催办 | 通报 | 约谈 | 支部委员会 | 1h …
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | sent | skipped
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))

    task: Mapped[Task | None] = relationship()

    __table_args__ = (Index("ix_reminders_status_due", "status", "due_at"),)


class InterviewNotice(Base):
    """A 约谈通知 drafted by the bot; it goes out only after a supervisor approves it (DOMAIN.md §4.3)."""

    __tablename__ = "interview_notices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    target_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    target_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    meet_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    interviewers: Mapped[str] = mapped_column(String(200))
    materials: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | sent | rejected | confirmed
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task | None] = relationship()
    target_org: Mapped[Org] = relationship(foreign_keys=[target_org_id])
    target_person: Mapped[Person | None] = relationship(foreign_keys=[target_person_id])


class WorkPlan(Base):
    """An imported work plan (工作方案): the text as read and who imported it. Importing the same title and year
    again replaces its sections; one plan a year is active (knowledge/plan/store.py)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(200))  # the file it came from
    text: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(100))  # a person's name and account, or "cli"
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ux_plans_title_year", "title", "year", unique=True),)


class WorkPlanSection(Base):
    """One section of a stored plan, as knowledge/plan/model.Section has it; deadlines and targets as JSON."""

    __tablename__ = "plan_sections"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # preamble | goal | part | action | task | guarantee
    number: Mapped[str] = mapped_column(String(16), default="")
    code: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(500))
    parent: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text)
    deadline_text: Mapped[str] = mapped_column(Text, default="")
    open_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(200), default="")  # 责任单位 as written
    recurrence: Mapped[str] = mapped_column(String(16), default="")
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)  # [{due, raw, label}]
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)  # [{text, value, unit, …}]
    level: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ux_plan_sections_position", "plan_id", "position", unique=True),)


class Feedback(Base):
    """投诉建议: a complaint or suggestion from a cadre (the chat's 「投诉建议：…」 or the console's form), answered and
    closed by an administrator; the answer reaches the sender in the chat."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # complaint | suggestion
    text: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(16))  # chat | console
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | answered | closed
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    org: Mapped[Org] = relationship()


__all__ = [
    "Attachment",
    "AttendanceAnswer",
    "AttendanceCall",
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastRecipient",
    "CardRecord",
    "Counter",
    "EventPhase",
    "Feedback",
    "GridEvent",
    "InboundLog",
    "InterviewNotice",
    "LeaveRequest",
    "Meeting",
    "MeetingAbsence",
    "Org",
    "Outbox",
    "PatrolReport",
    "Person",
    "PersonRole",
    "Reminder",
    "Task",
    "TaskUpdate",
    "Trip",
    "WorkPlan",
    "WorkPlanSection",
]
