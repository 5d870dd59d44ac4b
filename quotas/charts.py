"""Charts drawn on the server as inline SVG: no script, no outside library, no network (intranets are
offline). Two kinds:

- ``progress_chart``: counted purchases month by month (bars) and cumulated (a line) against the
  straight-line schedule towards the reserved amount (a dashed line), with today marked;
- ``completion_bars``: one horizontal bar per county (or unit) for its completion rate, with the 100 % line.

Callers pass every word shown (already translated); all text is escaped here. Coordinates are pixels, so
they are floats; the amounts they stand for stay ``Decimal`` everywhere else.
"""

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from quotas.reports.figures import elapsed_fraction
from quotas.reports.formatting import percent

INK, MUTED, LINE, RED, GREEN, AMBER, BAR = (
    "#1f2328",
    "#656d76",
    "#d8dee4",
    "#b3261e",
    "#1a7f37",
    "#9a6700",
    "#f2b8b5",
)
FONT = 'font-family="inherit" font-size="12"'


def _nice_step(top: float, ticks: int = 4) -> float:
    """A round axis step (1, 2 or 5 × 10^n) giving about ``ticks`` steps up to ``top``."""
    raw = max(top, 1.0) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _yuan(value: float) -> str:
    return f"¥{value:,.0f}"


def progress_chart(
    monthly: Sequence[Decimal],
    reserved: Decimal,
    year: int,
    today: date,
    *,
    month_names: Sequence[str],
    title: str,
    purchased_label: str,
    cumulative_label: str,
    schedule_label: str,
    today_label: str,
) -> Markup:
    """Monthly counted purchases of ``year`` (12 amounts, January first) against the straight line from 0
    on 1 January to ``reserved`` on 31 December; the cumulated line stops at the current month."""
    width, height, left, right, top, bottom = 720, 300, 96, 16, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    cumulative, running = [], Decimal(0)
    for amount in monthly:
        running += amount
        cumulative.append(running)
    months_begun = 12 if year < today.year else (0 if year > today.year else today.month)
    peak = float(max([reserved, *cumulative[: max(months_begun, 1)], *monthly, Decimal(1)]))
    step = _nice_step(peak * 1.05)
    y_max = step * math.ceil(peak * 1.05 / step)

    def x(month_fraction: float) -> float:
        return left + plot_w * month_fraction

    def y(value) -> float:
        return top + plot_h * (1 - float(value) / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    tick = 0.0
    while tick <= y_max + 1e-6:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>'
            f"{escape(_yuan(tick))}</text>"
        )
        tick += step
    slot = plot_w / 12
    for index, amount in enumerate(monthly):
        bar_h = plot_h * float(amount) / y_max if amount > 0 else 0
        parts.append(
            f'<rect x="{left + slot * index + slot * 0.2:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.6:.1f}" height="{bar_h:.1f}" fill="{BAR}">'
            f"<title>{escape(month_names[index])} {escape(purchased_label)}: ¥{amount:,.2f}</title></rect>"
            f'<text x="{left + slot * (index + 0.5):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="{MUTED}" {FONT}>{escape(month_names[index])}</text>'
        )
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" y2="{y(reserved):.1f}" stroke="{INK}" '
        f'stroke-width="1.5" stroke-dasharray="6 4">'
        f"<title>{escape(schedule_label)}: ¥{reserved:,.2f}</title></line>"
    )
    if months_begun:
        points = [f"{x(0):.1f},{y(0):.1f}"]
        for index in range(months_begun):
            month_end = (index + 1) / 12
            if year == today.year and index == months_begun - 1:
                month_end = float(elapsed_fraction(year, today))  # the current month: up to today
            points.append(f"{x(month_end):.1f},{y(cumulative[index]):.1f}")
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{RED}" stroke-width="2.5">'
            f"<title>{escape(cumulative_label)}: ¥{cumulative[months_begun - 1]:,.2f}</title></polyline>"
        )
    if year == today.year:
        marker = x(float(elapsed_fraction(year, today)))
        parts.append(
            f'<line x1="{marker:.1f}" x2="{marker:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{MUTED}" '
            f'stroke-dasharray="2 3"/><text x="{marker:.1f}" y="{top - 8}" text-anchor="middle" '
            f'fill="{MUTED}" {FONT}>{escape(today_label)}</text>'
        )
    parts.append(
        _legend(
            8,
            height - 10,
            [
                (f'<rect x="{{x}}" y="{height - 19}" width="12" height="10" fill="{BAR}"/>', purchased_label),
                (
                    f'<line x1="{{x}}" x2="{{x2}}" y1="{height - 14}" y2="{height - 14}" stroke="{RED}" '
                    f'stroke-width="2.5"/>',
                    cumulative_label,
                ),
                (
                    f'<line x1="{{x}}" x2="{{x2}}" y1="{height - 14}" y2="{height - 14}" stroke="{INK}" '
                    f'stroke-dasharray="6 4"/>',
                    schedule_label,
                ),
            ],
        )
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _text_width(text: str) -> float:
    """About how wide ``text`` is at 12px: a Chinese character is square, a Latin one about half that."""
    return sum(12 if ord(char) > 0x2E80 else 6.5 for char in text)


def _legend(left: float, baseline: float, entries: list[tuple[str, str]]) -> str:
    """Legend entries side by side: a symbol (an SVG snippet with ``{x}`` / ``{x2}`` for its position) and
    its label, each placed after the previous one's text."""
    parts, x = [], left
    for symbol, text in entries:
        parts.append(symbol.format(x=f"{x:.1f}", x2=f"{x + 24:.1f}"))
        parts.append(f'<text x="{x + 30:.1f}" y="{baseline}" fill="{INK}" {FONT}>{escape(text)}</text>')
        x += 30 + _text_width(text) + 24
    return "".join(parts)


def _colour(value: Decimal | None) -> str:
    if value is None:
        return LINE
    if value >= 1:
        return GREEN
    if value >= Decimal("0.8"):
        return AMBER
    return RED


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def completion_bars(items: Sequence[tuple[str, Decimal | None]], *, title: str, target_label: str) -> Markup:
    """One bar per (name, completion) pair; the scale reaches at least 120 %, and a line marks 100 %."""
    label_w, bar_w, right, row_h, top = 170, 470, 70, 26, 24
    width = label_w + bar_w + right
    height = top + row_h * max(len(items), 1) + 8
    highest = max([value for _name, value in items if value is not None] + [Decimal("1.2")])
    scale = float(highest)

    def x(value) -> float:
        return label_w + bar_w * float(value) / scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (name, value) in enumerate(items):
        y = top + row_h * index
        length = x(value) - label_w if value is not None and value > 0 else 0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}" {FONT}>'
            f"{escape(_short(name))}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" height="15" fill="{_colour(value)}">'
            f"<title>{escape(name)}: {escape(percent(value))}</title></rect>"
            f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" fill="{MUTED}" {FONT}>'
            f"{escape(percent(value))}</text>"
        )
    target = x(1)
    parts.append(
        f'<line x1="{target:.1f}" x2="{target:.1f}" y1="{top - 6}" y2="{height - 4}" stroke="{INK}" '
        f'stroke-dasharray="4 3"/><text x="{target:.1f}" y="{top - 10}" text-anchor="middle" '
        f'fill="{INK}" {FONT}>{escape(target_label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
