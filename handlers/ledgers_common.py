"""What the monthly ledgers (巡查台账, 三会一课台账, 下村走访台账, 交通补助发放明细表) share: the month, the org
subtree, the print-ready sheet frame (title, period line, repeated header, A4, page numbers) and the signed
download link."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import wraps
from io import BytesIO
from typing import Any, Literal, ParamSpec
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import QueryableAttribute

from bot.links import sign
from bot.store.tables import Org
from handlers.context import Policy

# Every ledger a link or the CLI can produce; the name is also the download path (/exports/{kind}.xlsx).
KINDS = ("patrols", "meetings", "trips", "subsidy")
FONT = "宋体"
_thin = Side(style="thin")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
CENTRE = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
YUAN = '#,##0.00"元"'
P = ParamSpec("P")


def parse_month(text: str) -> tuple[int, int]:
    """'2026-03' → (2026, 3)."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM，例如 2026-03（收到的是 {text!r}）")
    return int(match.group(1)), int(match.group(2))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The month's first day and the first day of the next (a half-open range for queries)."""
    start = date(year, month, 1)
    return start, date(year + month // 12, month % 12 + 1, 1)


def natural(text: str) -> tuple[Any, ...]:
    # so that 2组 comes before 10组
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def in_tree(column: QueryableAttribute[str] | ColumnElement[str], path: str) -> ColumnElement[bool]:
    """`column` (an org path) is `path` or below it; 李家村二 is not below 李家村."""
    return or_(column == path, column.startswith(path + "/", autoescape=True))


# -- the sheet ------------------------------------------------------------------------------------------


def font(bold: bool = False, size: float = 10.5) -> Font:
    return Font(name=FONT, bold=bold, size=size)


def put(ws: Worksheet, row: int, col: int, value: Any, *, bold: bool = False, fmt: str | None = None) -> Cell:
    """One bordered, centred table cell."""
    cell: Cell = ws.cell(row=row, column=col, value=value)
    cell.font = font(bold)
    cell.border = BORDER
    cell.alignment = CENTRE
    if fmt:
        cell.number_format = fmt
    return cell


def banner(
    ws: Worksheet, row: int, ncols: int, text: str, *, size: float, bold: bool, align: str, wrap: bool = False
) -> None:
    """A line of text across the whole table, without borders (title, period, notes, signatures)."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    cell = ws.cell(row=row, column=1, value=text)
    cell.font = font(bold, size)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap or None)


def frame(
    ws: Worksheet,
    title: str,
    period: str,
    headers: Sequence[str],
    widths: Sequence[int],
    *,
    orientation: Literal["landscape", "portrait"] = "landscape",
    header_height: float = 22,
) -> int:
    """Title, period line and header; the header repeats on every printed page. Returns the first data row."""
    ncols = len(headers)
    banner(ws, 1, ncols, title, size=16, bold=True, align="center")
    ws.row_dimensions[1].height = 30
    banner(ws, 2, ncols, period, size=10.5, bold=False, align="left")
    for col, (name, width) in enumerate(zip(headers, widths, strict=True), start=1):
        put(ws, 3, col, name, bold=True).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[3].height = header_height  # taller when a header wraps onto two lines
    ws.print_title_rows = "3:3"
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    footer = ws.oddFooter
    assert footer is not None  # openpyxl gives every sheet an empty one; typed as optional
    footer.center.text = "第 &P 页，共 &N 页"
    return 4


def empty_row(ws: Worksheet, row: int, ncols: int, text: str) -> int:
    """A bordered line across the table saying there is nothing this month; returns the next row."""
    for col in range(1, ncols + 1):
        put(ws, row, col, text if col == 1 else None)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.row_dimensions[row].height = 24
    return row + 1


def blank_row(ws: Worksheet, row: int, ncols: int, *, bold: bool = False) -> None:
    """Borders for a whole line before its few cells are filled (a totals line)."""
    for col in range(1, ncols + 1):
        put(ws, row, col, None, bold=bold)


def print_area(ws: Worksheet, last_row: int, ncols: int) -> None:
    ws.print_area = f"A1:{get_column_letter(ncols)}{last_row}"


def period_line(scope: Org, year: int, month: int, tz: ZoneInfo, now: datetime) -> str:
    last = calendar.monthrange(year, month)[1]
    exported = now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"单位：{scope.path}　期间：{year}年{month}月1日—{month}月{last}日　导出时间：{exported}"


def table(
    ws: Worksheet,
    title: str,
    period: str,
    headers: Sequence[str],
    widths: Sequence[int],
    lines: Iterable[Sequence[Any]],
    *,
    empty: str,
    formats: Mapping[int, str] | None = None,
    wrap: Collection[int] = (),
    orientation: Literal["landscape", "portrait"] = "landscape",
    header_height: float = 22,
) -> int:
    """A ledger's sheet up to its totals: the frame, then one numbered line a record (序号 first, `formats`
    and `wrap` by column number), or the line saying there is none. Returns the row for the totals."""
    r = frame(ws, title, period, headers, widths, orientation=orientation, header_height=header_height)
    ncols = len(headers)
    written = 0
    for n, line in enumerate(lines, start=1):
        for col, value in enumerate((n, *line), start=1):
            cell = put(ws, r, col, value, fmt=(formats or {}).get(col))
            if col in wrap:
                cell.alignment = WRAP
        r += 1
        written = n
    if not written:
        r = empty_row(ws, r, ncols, empty)
    return r


def totals_line(
    ws: Worksheet, row: int, ncols: int, cells: Mapping[int, Any], *, formats: Mapping[int, str], wrap: int
) -> None:
    """The bold 合计 line that ends a ledger's sheet (`wrap`: the column of its sentence), then the print area."""
    blank_row(ws, row, ncols, bold=True)
    put(ws, row, 1, "合计", bold=True)
    for col, value in cells.items():
        cell = put(ws, row, col, value, bold=True, fmt=formats.get(col))
        if col == wrap:
            cell.alignment = WRAP
    ws.row_dimensions[row].height = 30
    print_area(ws, row, ncols)


def workbook(*sheets: tuple[str, Callable[[Worksheet], None]]) -> Workbook:
    """A workbook of these sheets in this order, each filled by its function."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    for n, (title, fill) in enumerate(sheets):
        ws = first if n == 0 else wb.create_sheet(title)
        ws.title = title
        fill(ws)
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def as_bytes(build: Callable[P, Workbook]) -> Callable[P, bytes]:
    """The .xlsx file of what `build` makes, for the download link and the CLI."""

    @wraps(build)
    def file(*args: P.args, **kwargs: P.kwargs) -> bytes:
        return workbook_bytes(build(*args, **kwargs))

    return file


# -- the signed link ------------------------------------------------------------------------------------


def export_link(policy: Policy, kind: str, person_id: int, org_path: str, month: str, now: datetime) -> str | None:
    """A signed download link for the chat; None when links are not configured. The download route checks
    that the token's kind matches its path, so a link for one ledger never opens another."""
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}; use one of {KINDS}")
    if not policy.link_secret or not policy.public_url:
        return None
    payload = {"kind": kind, "p": person_id, "org": org_path, "month": month}
    token = sign(policy.link_secret, payload, now, policy.link_hours)
    return f"{policy.public_url.rstrip('/')}/exports/{kind}.xlsx?token={quote(token, safe='')}"
