"""The four monthly ledgers by kind, so the CLI and the download route build any of them the same way:
patrols (巡查台账), meetings (三会一课台账), trips (下村走访台账), subsidy (交通补助发放明细表)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.store.tables import Org
from handlers.ledgers_common import KINDS
from handlers.meetings.ledger import meeting_ledger_bytes, meeting_ledger_filename, meeting_rows
from handlers.patrol.ledger import ledger_bytes, ledger_filename, ledger_rows
from handlers.trips.ledger import (
    subsidy_statement_bytes,
    subsidy_statement_filename,
    trip_ledger_bytes,
    trip_ledger_filename,
    trip_rows,
)
from knowledge.rules import Rules


@dataclass(frozen=True)
class Kind:
    name: str  # the CLI word, the download path and the audit action (export.〈name〉)
    label: str  # what people call the file
    noun: str  # what one line of it is, for "已导出 6 条巡查记录"
    filename: Callable[[Org, str], str]  # (scope, "2026-03") → 石桥镇巡查台账-2026-03.xlsx


LEDGERS: dict[str, Kind] = {
    "patrols": Kind("patrols", "巡查台账", "巡查记录", ledger_filename),
    "meetings": Kind("meetings", "三会一课台账", "会议记录", meeting_ledger_filename),
    "trips": Kind("trips", "下村走访台账", "走访记录", trip_ledger_filename),
    "subsidy": Kind("subsidy", "交通补助发放明细表", "补助记录", subsidy_statement_filename),
}
assert tuple(LEDGERS) == KINDS, "a ledger kind links can name must have a builder here"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    filename: str  # 石桥镇巡查台账-2026-03.xlsx
    fallback: str  # patrols-2026-03.xlsx, for clients that cannot read a Chinese file name
    records: int  # the lines it lists (for the subsidy statement: approved claims)


def render(
    session: Session, kind: str, scope: Org, year: int, month: int, tz: ZoneInfo, now: datetime, rules: Rules
) -> Rendered:
    """The workbook of `kind` for `scope` and the month, as bytes with its file names and line count."""
    if kind == "patrols":
        patrols = ledger_rows(session, scope, year, month)
        body, records = ledger_bytes(session, scope, year, month, tz, now, patrols), len(patrols)
    elif kind == "meetings":
        meetings = meeting_rows(session, scope, year, month)
        body, records = meeting_ledger_bytes(session, scope, year, month, tz, now, rules, meetings), len(meetings)
    elif kind == "trips":
        trips = trip_rows(session, scope, year, month)
        body, records = trip_ledger_bytes(session, scope, year, month, tz, now, trips), len(trips)
    elif kind == "subsidy":
        approved = [t for t in trip_rows(session, scope, year, month) if t.status == "approved"]
        body, records = subsidy_statement_bytes(session, scope, year, month, tz, now, rules, approved), len(approved)
    else:
        raise ValueError(f"unknown ledger kind {kind!r}; use one of {KINDS}")
    text = f"{year:04d}-{month:02d}"
    return Rendered(body, LEDGERS[kind].filename(scope, text), f"{kind}-{text}.xlsx", records)
