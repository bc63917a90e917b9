"""The monthly 下村走访台账 and 交通补助发放明细表, as print-ready Excel workbooks.

The 台账 lists every trip done in the month by people under an org (planned and withdrawn ones left out), with
the state of its subsidy claim. The 发放明细表 lists only approved claims, person by person with a 小计, a 合计
(also in capital figures, as payment documents require), the rule it pays under and the lines for signatures.
Both go by the person's org today, not where they went: a township cadre's trips are the township's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.store.tables import Org, Person, Trip
from handlers.ledgers_common import (
    WRAP,
    YUAN,
    as_bytes,
    banner,
    blank_row,
    empty_row,
    frame,
    in_tree,
    month_bounds,
    natural,
    period_line,
    print_area,
    put,
    table,
    totals_line,
    workbook,
)
from knowledge.rules import Rules

SHEET = "下村走访台账"
SUBSIDY_SHEET = "交通补助发放明细表"
HEADERS = ("序号", "日期", "姓名", "单位", "走访村", "户数", "事由", "用车", "补助状态", "补助金额", "登记编号")
WIDTHS = (6, 11, 8, 12, 10, 6, 30, 9, 16, 12, 18)
SUBSIDY_HEADERS = ("序号", "姓名", "单位", "日期", "走访村", "金额", "审批人", "审批时间", "领款人签字")
SUBSIDY_WIDTHS = (6, 8, 12, 11, 10, 12, 8, 12, 12)
CLAIM_LABELS = {"pending": "待审批", "approved": "已通过", "returned": "已退回", "recorded": "不申报"}
NOT_DONE = ("planned", "withdrawn")
EMPTY = "本月暂无下村走访记录"
SUBSIDY_EMPTY = "本月暂无已通过的补助"
SIGNATURES = "经办人：＿＿＿　审核人：＿＿＿　分管领导：＿＿＿　日期：＿＿＿"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TripRow:
    trip_id: int
    trip_date: date
    person_id: int
    person: str
    unit: str  # the person's org
    unit_path: str
    village: str
    households: int | None
    purpose: str | None
    unit_car: bool
    status: str  # recorded | pending | approved | returned
    amount: Decimal | None
    approver: str | None
    decided_at: datetime | None  # aware UTC
    return_reason: str | None
    receipt_no: str

    @property
    def claim(self) -> str:
        label = CLAIM_LABELS.get(self.status, self.status)
        return f"{label}（{self.return_reason}）" if self.status == "returned" and self.return_reason else label

    @property
    def claimed(self) -> Decimal | None:
        """The amount worth showing: what is asked (待审批) or granted (已通过); a returned claim pays nothing."""
        return self.amount if self.status in ("pending", "approved") else None


def trip_rows(session: Session, scope: Org, year: int, month: int) -> list[TripRow]:
    """The month's trips (not planned, not withdrawn) of the people whose org lies in `scope`, by date."""
    start, end = month_bounds(year, month)
    approver = aliased(Person)
    found = session.execute(
        select(Trip, Person.name, Org, approver.name)
        .join(Person, Trip.person_id == Person.id)
        .join(Org, Person.org_id == Org.id)
        .outerjoin(approver, Trip.approver_id == approver.id)
        .where(
            Trip.status.not_in(NOT_DONE),
            Trip.trip_date >= start,
            Trip.trip_date < end,
            in_tree(Org.path, scope.path),
        )
    ).all()
    rows = [
        TripRow(
            trip_id=trip.id,
            trip_date=trip.trip_date,
            person_id=trip.person_id,
            person=name,
            unit=org.name,
            unit_path=org.path,
            village=trip.village,
            households=trip.households,
            purpose=trip.purpose,
            unit_car=bool(trip.unit_car),
            status=trip.status,
            amount=trip.amount,
            approver=approver_name,
            decided_at=trip.decided_at,
            return_reason=trip.return_reason,
            receipt_no=trip.receipt_no,
        )
        for trip, name, org, approver_name in found
    ]
    rows.sort(key=lambda r: (r.trip_date, natural(r.unit_path), r.person, r.trip_id))
    return rows


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _number(amount: Decimal | None) -> float | None:
    # a number in the cell, so Excel can add it up; the format shows 2 decimals and 元
    return None if amount is None else float(amount.quantize(ZERO, ROUND_HALF_UP))


@dataclass(frozen=True)
class Totals:
    trips: int
    people: int
    households: int
    approved: Decimal
    pending: Decimal

    @classmethod
    def of(cls, rows: Sequence[TripRow]) -> Totals:
        return cls(
            trips=len(rows),
            people=len({r.person_id for r in rows}),
            households=sum(r.households or 0 for r in rows),
            approved=sum((r.amount or ZERO for r in rows if r.status == "approved"), ZERO),
            pending=sum((r.amount or ZERO for r in rows if r.status == "pending"), ZERO),
        )

    @property
    def sentence(self) -> str:
        return (
            f"下村走访{self.trips}次，{self.people}人，走访{self.households}户；"
            f"补助已通过{money(self.approved)}元，待审批{money(self.pending)}元。"
        )


# -- amounts in capital figures -------------------------------------------------------------------------

DIGITS = "零壹贰叁肆伍陆柒捌玖"
GROUP_UNITS = ("", "万", "亿", "万亿")


def _capital_integer(n: int) -> str:
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out, zero = "", False  # zero: digits skipped since the last one written, owed as a single 零
    for i in range(len(groups) - 1, -1, -1):
        if groups[i] == 0:
            zero = zero or bool(out)
            continue
        for digit, unit in zip(f"{groups[i]:04d}", ("仟", "佰", "拾", ""), strict=True):
            if digit == "0":
                zero = zero or bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            out += DIGITS[int(digit)] + unit
        out += GROUP_UNITS[i]
    return out


def rmb_capital(amount: Decimal) -> str:
    """300 → 叁佰元整, 1005.5 → 壹仟零伍元伍角整, 100.05 → 壹佰元零伍分 (the 大写 of a payment document)."""
    cents = int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if cents < 0:
        return "负" + rmb_capital(-amount)
    if cents == 0:
        return "零元整"
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = _capital_integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    return text + (DIGITS[fen] + "分" if fen else "整")


# -- the workbooks --------------------------------------------------------------------------------------


def _trip_sheet(ws: Worksheet, scope: Org, rows: Sequence[TripRow], period: str) -> None:
    lines = (
        (
            row.trip_date,
            row.person,
            row.unit,
            row.village,
            row.households,
            row.purpose or None,
            "单位派车" if row.unit_car else "自行",
            row.claim,
            _number(row.claimed),
            row.receipt_no,
        )
        for row in rows
    )
    title = f"{scope.name}下村走访台账"
    wrap = {7, 9}  # 事由; 补助状态 carries the reason a claim was returned
    r = table(ws, title, period, HEADERS, WIDTHS, lines, empty=EMPTY, formats={2: "yyyy-mm-dd", 10: YUAN}, wrap=wrap)
    t = Totals.of(rows)
    totals = {2: t.trips, 3: t.people, 6: t.households, 7: t.sentence, 10: _number(t.approved)}
    formats = {2: '0"次"', 3: '0"人"', 6: '0"户"', 10: '"已通过"#,##0.00"元"'}
    totals_line(ws, r, len(HEADERS), totals, formats=formats, wrap=7)


def _cap_text(cap: Decimal) -> str:
    return f"{cap:,.0f}" if cap == cap.to_integral_value() else money(cap)


def basis_line(rules: Rules) -> str:
    """补助依据：〈rule name〉（〈basis〉）；每人每月不超过300元。"""
    subsidy = rules.subsidy
    text = f"补助依据：{subsidy.name}"
    if subsidy.basis:
        text += f"（{subsidy.basis}）"
    if subsidy.monthly_cap is not None:
        text += f"；每人每月不超过{_cap_text(subsidy.monthly_cap)}元"
    return text + "。"


def _subsidy_sheet(ws: Worksheet, scope: Org, rows: Sequence[TripRow], period: str, rules: Rules, tz: ZoneInfo) -> None:
    r = frame(ws, f"{scope.name}交通补助发放明细表", period, SUBSIDY_HEADERS, SUBSIDY_WIDTHS, orientation="portrait")
    ncols = len(SUBSIDY_HEADERS)
    approved = sorted(
        (row for row in rows if row.status == "approved"),
        key=lambda row: (natural(row.unit_path), row.person, row.person_id, row.trip_date, row.trip_id),
    )
    if not approved:
        r = empty_row(ws, r, ncols, SUBSIDY_EMPTY)
    cap = rules.subsidy.monthly_cap
    people = 0
    for n, (_, lines_iter) in enumerate(groupby(approved, key=lambda row: row.person_id), start=1):
        lines = list(lines_iter)
        people += 1
        first = r
        for line in lines:
            values: tuple[Any, ...] = (
                n,
                line.person,
                line.unit,
                line.trip_date,
                line.village,
                _number(line.amount),
                line.approver,
                line.decided_at.astimezone(tz).strftime("%m-%d %H:%M") if line.decided_at else None,
                None,
            )
            for col, value in enumerate(values, start=1):
                put(ws, r, col, value, fmt={4: "yyyy-mm-dd", 6: YUAN}.get(col))
            r += 1
        subtotal = sum((line.amount or ZERO for line in lines), ZERO)
        blank_row(ws, r, ncols, bold=True)
        put(ws, r, 4, "小计", bold=True)
        put(ws, r, 5, len(lines), bold=True, fmt='0"次"')
        put(ws, r, 6, _number(subtotal), bold=True, fmt=YUAN)
        if cap is not None and subtotal > cap:  # approvals should have stopped this; say so on paper
            put(ws, r, 7, f"超过每月上限{_cap_text(cap)}元", bold=True).alignment = WRAP
            ws.merge_cells(start_row=r, start_column=7, end_row=r, end_column=8)
        # one 序号, name, unit and signature box per person, across their lines and 小计
        for col in (1, 2, 3, 9):
            ws.merge_cells(start_row=first, start_column=col, end_row=r, end_column=col)
        r += 1
    total = sum((row.amount or ZERO for row in approved), ZERO)
    blank_row(ws, r, ncols, bold=True)
    put(ws, r, 1, "合计", bold=True)
    put(ws, r, 2, people, bold=True, fmt='0"人"')
    put(ws, r, 5, len(approved), bold=True, fmt='0"次"')
    put(ws, r, 6, _number(total), bold=True, fmt=YUAN)
    r += 1
    blank_row(ws, r, ncols, bold=True)
    put(ws, r, 1, f"合计金额（大写）：人民币{rmb_capital(total)}", bold=True).alignment = WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    ws.row_dimensions[r].height = 24
    r += 1
    banner(ws, r, ncols, basis_line(rules), size=10.5, bold=False, align="left", wrap=True)
    ws.row_dimensions[r].height = 32
    r += 2  # a blank line before the signatures
    banner(ws, r, ncols, SIGNATURES, size=12, bold=False, align="left")
    ws.row_dimensions[r].height = 36
    print_area(ws, r, ncols)


def build_trip_ledger(
    session: Session,
    scope: Org,
    year: int,
    month: int,
    tz: ZoneInfo,
    now: datetime,
    rows: Iterable[TripRow] | None = None,
) -> Workbook:
    """The 下村走访台账 workbook for `scope` and the month; `rows` saves a query when the caller has them."""
    found = list(rows) if rows is not None else trip_rows(session, scope, year, month)
    period = period_line(scope, year, month, tz, now)
    return workbook((SHEET, lambda ws: _trip_sheet(ws, scope, found, period)))


def build_subsidy_statement(
    session: Session,
    scope: Org,
    year: int,
    month: int,
    tz: ZoneInfo,
    now: datetime,
    rules: Rules,
    rows: Iterable[TripRow] | None = None,
) -> Workbook:
    """The 交通补助发放明细表: the month's approved claims only (`rows` may hold other trips; they are skipped)."""
    found = list(rows) if rows is not None else trip_rows(session, scope, year, month)
    period = period_line(scope, year, month, tz, now)
    return workbook((SUBSIDY_SHEET, lambda ws: _subsidy_sheet(ws, scope, found, period, rules, tz)))


trip_ledger_bytes = as_bytes(build_trip_ledger)
subsidy_statement_bytes = as_bytes(build_subsidy_statement)


def trip_ledger_filename(scope: Org, month: str) -> str:
    return f"{scope.name}下村走访台账-{month}.xlsx"


def subsidy_statement_filename(scope: Org, month: str) -> str:
    return f"{scope.name}交通补助发放明细表-{month}.xlsx"
