"""Charts drawn on the server as inline SVG: no script, so nothing for the CSP to refuse and nothing to load in
a WeCom webview. Each chart scales with its viewBox (readable at a 390 px phone's width); every mark carries a
<title> (what a long press or a hover tells) and data-* attributes saying what it encodes, so tests can read
the chart as the page shows it. Colours are presentation attributes; the CSP forbids style attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # viewBox units; the page draws the chart at the card's width
FONT = 12
INK, MUTED, LINE = "#1f2329", "#646a73", "#dee0e3"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.values.values())


@dataclass(frozen=True)
class Cell:
    state: str  # yes | no | open (the current period, not over yet)
    title: str


def _svg(height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}" '
        f'font-family="-apple-system, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def stacked_bars(label: str, bars: Sequence[Bar], series: Sequence[Series], unit: str = "项") -> Markup:
    """One horizontal bar per row (an org), its segments the series in order, all bars on one scale (the largest
    total fills the width) so rows compare at a glance; the total is written at the bar's end."""
    left, right, row, thick = 96, 40, 28, 18
    span = WIDTH - left - right
    most = max((b.total for b in bars), default=0) or 1
    body: list[str] = []
    for i, bar in enumerate(bars):
        top = 6 + i * row
        middle = top + thick / 2
        body.append(
            f'<text x="{left - 6}" y="{middle:g}" text-anchor="end" dominant-baseline="central" fill="{INK}">'
            f"<title>{escape(bar.label)}</title>{escape(_short(bar.label, 7))}</text>"
        )
        body.append(
            f'<rect x="{left}" y="{top}" width="{span}" height="{thick}" fill="#f5f6f7" data-role="track"></rect>'
        )
        x = float(left)
        for s in series:
            value = bar.values.get(s.key, 0)
            if not value:
                continue
            width = span * value / most
            body.append(
                f'<rect x="{x:.2f}" y="{top}" width="{width:.2f}" height="{thick}" fill="{s.colour}" '
                f'data-row="{escape(bar.label)}" data-series="{s.key}" data-value="{value}">'
                f"<title>{escape(bar.label)} {escape(s.label)} {value}{unit}</title></rect>"
            )
            x += width
        body.append(
            f'<text x="{x + 4:.2f}" y="{middle:g}" dominant-baseline="central" fill="{MUTED}" '
            f'data-total="{escape(bar.label)}">{bar.total}</text>'
        )
    return _svg(12 + len(bars) * row, label, body)


def month_grid(
    label: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[Cell]]], slots: int = 12
) -> Markup:
    """Rows (branches) × columns (months of the year so far): a filled square where it was held, an empty one
    where not, a dashed one for the month still under way. Always `slots` columns wide, so a chart drawn in
    March is at the same scale as one drawn in December."""
    left, cell, gap, head = 96, 18, 3, 20
    pitch = (WIDTH - left) / slots
    body: list[str] = []
    for j, name in enumerate(columns):
        centre = left + j * pitch + pitch / 2
        body.append(
            f'<text x="{centre:.2f}" y="13" text-anchor="middle" fill="{MUTED}" font-size="10">{escape(name)}</text>'
        )
    for i, (name, cells) in enumerate(rows):
        top = head + i * (cell + gap)
        body.append(
            f'<text x="{left - 6}" y="{top + cell / 2:g}" text-anchor="end" dominant-baseline="central" fill="{INK}">'
            f"<title>{escape(name)}</title>{escape(_short(name, 7))}</text>"
        )
        for j, c in enumerate(cells):
            x = left + j * pitch + (pitch - cell) / 2
            paint = {
                "yes": 'fill="#2e7d32"',
                "no": f'fill="#eceff1" stroke="{LINE}"',
                "open": f'fill="#ffffff" stroke="{MUTED}" stroke-dasharray="3 2"',
            }[c.state]
            body.append(
                f'<rect x="{x:.2f}" y="{top}" width="{cell}" height="{cell}" rx="3" {paint} '
                f'data-row="{escape(name)}" data-column="{escape(columns[j])}" data-state="{c.state}">'
                f"<title>{escape(c.title)}</title></rect>"
            )
    return _svg(head + len(rows) * (cell + gap) + 2, label, body)


def paired_bars(
    label: str, columns: Sequence[str], series: Sequence[Series], values: Sequence[Sequence[int]]
) -> Markup:
    """Side-by-side vertical bars per column (a week): `values[k][j]` is series k in column j; the count is
    written above each bar that has one."""
    left, bottom, top, height = 8, 22, 16, 150
    plot = height - bottom - top
    pitch = (WIDTH - left) / max(len(columns), 1)
    bar = min(14.0, (pitch - 6) / max(len(series), 1))
    most = max((v for row in values for v in row), default=0) or 1
    base = height - bottom
    body = [f'<line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{LINE}"></line>']
    for j, name in enumerate(columns):
        start = left + j * pitch + (pitch - bar * len(series)) / 2
        body.append(
            f'<text x="{left + j * pitch + pitch / 2:.2f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="10">{escape(name)}</text>'
        )
        for k, s in enumerate(series):
            value = values[k][j]
            tall = plot * value / most
            x = start + k * bar
            body.append(
                f'<rect x="{x:.2f}" y="{base - tall:.2f}" width="{bar - 1:.2f}" height="{tall:.2f}" fill="{s.colour}" '
                f'data-column="{escape(name)}" data-series="{s.key}" data-value="{value}">'
                f"<title>{escape(name)} {escape(s.label)} {value}件</title></rect>"
            )
            if value:
                body.append(
                    f'<text x="{x + (bar - 1) / 2:.2f}" y="{base - tall - 3:.2f}" text-anchor="middle" '
                    f'fill="{MUTED}" font-size="10">{value}</text>'
                )
    return _svg(height, label, body)
