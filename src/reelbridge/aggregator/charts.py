"""Charts drawn by the server as SVG (no chart library, nothing to download): a
player's balance over time and GGR per game per day.

Money stays exact: values are integer units, axis labels are ``display_amount`` of
integer ticks, and positions are integer tenths of a pixel computed with integer
arithmetic; the only numbers that are not money are pixels.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from reelbridge._types import Units
from reelbridge.aggregator.reports import GgrRow, Point
from reelbridge.protocol import display_amount

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 78, 14, 14, 30
PALETTE = ("#2d5bd8", "#e07a1f", "#17956f", "#b03a8c", "#6a55d8", "#c4a007", "#d2453b", "#2a8fb8")


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the words that describe it (for screen readers and tests)."""

    svg: Markup
    summary: str
    legend: tuple[tuple[str, str], ...] = ()  # (colour, label)


def ticks(low: Units, high: Units, count: int = 4) -> list[Units]:
    """Round axis values (1, 2 or 5 × 10ⁿ units apart) from at most ``low`` to at
    least ``high``, at most about ``count`` steps."""
    span = max(high - low, 1)
    step = 1
    while True:
        factor = next((m for m in (1, 2, 5) if span // (step * m) <= count), None)
        if factor is not None:
            step *= factor
            break
        step *= 10
    value = (low // step) * step
    values = [value]
    while value < high:
        value += step
        values.append(value)
    return values


def _y(value: Units, low: Units, high: Units) -> int:
    """Tenths of a pixel from the top for ``value`` on an axis from ``low`` to ``high``."""
    height = (HEIGHT - TOP - BOTTOM) * 10
    return TOP * 10 + (high - value) * height // max(high - low, 1)


def _px(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def _axis(low: Units, high: Units, currency: str) -> str:
    parts = []
    for tick in ticks(low, high):
        if not low <= tick <= high:
            continue
        y = _px(_y(tick, low, high))
        label = escape(display_amount(tick, currency))
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>'
            f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end">{label}</text>'
        )
    return "".join(parts)


def _svg(body: str, label: str) -> Markup:
    return Markup(  # noqa: S704 (every text in the chart is escaped where it is made)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _day(day: int) -> str:
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).strftime("%b %d")


def balance_chart(points: list[Point], currency: str) -> Chart | None:
    """The balance after each journal row, oldest first (None without rows)."""
    if not points:
        return None
    values = [p.balance for p in points]
    marks = ticks(min(values), max(max(values), min(values) + 1))  # the range it moved in
    low, high = marks[0], marks[-1]
    inner = (WIDTH - LEFT - RIGHT) * 10
    count = len(points)

    def x(i: int) -> int:
        return LEFT * 10 + (inner * i // (count - 1) if count > 1 else inner // 2)

    coords = [(x(i), _y(v, low, high)) for i, v in enumerate(values)]
    line = " ".join(f"{_px(a)},{_px(b)}" for a, b in coords)
    base = _px(_y(low, low, high))
    area = f"{_px(coords[0][0])},{base} {line} {_px(coords[-1][0])},{base}"
    last = coords[-1]
    first_at = points[0].at // 1_000_000
    last_at = points[-1].at // 1_000_000
    when = [
        datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%b %d %H:%M")
        for t in (first_at, last_at)
    ]
    body = (
        _axis(low, high, currency)
        + f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>'
        + f'<polygon class="area" points="{area}"/><polyline class="line" points="{line}"/>'
        + f'<circle class="dot" cx="{_px(last[0])}" cy="{_px(last[1])}" r="4"/>'
        + f'<text x="{LEFT}" y="{HEIGHT - 8}">{escape(when[0])}</text>'
        + f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{escape(when[1])}</text>'
    )
    summary = (
        f"{count} movements; from {display_amount(values[0], currency)} to "
        f"{display_amount(values[-1], currency)} {currency}; highest "
        f"{display_amount(max(values), currency)}"
    )
    return Chart(_svg(body, f"Balance over time: {summary}"), summary)


def ggr_chart(rows: list[GgrRow], currency: str, days: list[int]) -> Chart | None:
    """GGR (stakes − wins) per game per day: a group of bars per day, one per game,
    above the zero line when the casino won, below it when the players did."""
    if not rows or not days:
        return None
    games = sorted({r.game_id for r in rows})
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(games)}
    value = {(r.day, r.game_id): r.ggr for r in rows}
    low = min(0, *value.values())
    high = max(0, *value.values(), 1)
    marks = ticks(low, high)
    low, high = min(low, marks[0]), max(high, marks[-1])
    slot = (WIDTH - LEFT - RIGHT) * 10 // len(days)
    bar = max(min(slot * 7 // 10 // len(games), 360), 20)
    zero = _y(0, low, high)
    body = [_axis(low, high, currency)]
    every = max(1, len(days) // 10)
    for i, day in enumerate(days):
        start = LEFT * 10 + slot * i + (slot - bar * len(games)) // 2
        for j, game in enumerate(games):
            amount = value.get((day, game))
            if amount is None:
                continue
            top, bottom = sorted((_y(amount, low, high), zero))
            title = f"{game}, {_day(day)}: {display_amount(amount, currency)} {currency}"
            body.append(
                f'<rect x="{_px(start + bar * j)}" y="{_px(top)}" width="{_px(bar - 10)}" '
                f'height="{_px(max(bottom - top, 10))}" fill="{colour[game]}" rx="2">'
                f"<title>{escape(title)}</title></rect>"
            )
        if i % every == 0:
            middle = _px(LEFT * 10 + slot * i + slot // 2)
            body.append(
                f'<text x="{middle}" y="{HEIGHT - 8}" text-anchor="middle">{_day(day)}</text>'
            )
    body.append(
        f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_px(zero)}" y2="{_px(zero)}"/>'
    )
    total = sum(value.values())
    summary = (
        f"GGR {display_amount(total, currency)} {currency} over {len(days)} day(s), "
        f"{len(games)} game(s)"
    )
    legend = tuple((colour[g], g) for g in games)
    return Chart(_svg("".join(body), summary), summary, legend)
