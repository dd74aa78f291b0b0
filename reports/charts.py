"""Charts drawn on the server as inline SVG: no script, no network, readable in print.

Each chart is a picture of a table the page shows under it (the text alternative), so the
SVG is `role="img"` with a title and a one-line description, and every bar carries its
number in a <title> for pointer users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe (Okabe-Ito), distinguishable in greyscale print by the order they stack in.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
APART = "#8c8c8c"  # the series drawn beside the stack (revoked badges)
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def _nice_max(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(*, chart_id: str, title: str, description: str, labels: list[str],
              stacked: list[Series], apart: Series | None = None) -> SafeString:
    """Bars per label: `stacked` series piled up, `apart` as a thinner bar beside them."""
    count = max(1, len(labels))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(s.values[i] for s in stacked) for i in range(len(labels))]
    top = _nice_max(max(totals + (apart.values if apart else []) + [0]))
    slot = plot_w / count
    bar_w = slot * (0.55 if apart else 0.7)
    side_w = slot * 0.2 if apart else 0

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" data-bars="{len(labels)}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in range(5):
        value = top * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#444">{_number(value)}</text>')
    # Every label, or every other (third...) when they would overlap.
    every = max(1, math.ceil((6.5 * max((len(label) for label in labels), default=1) + 8) / slot))
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar_w - side_w) / 2
        base = 0.0
        for number, series in enumerate(stacked):
            value = series.values[index]
            if value:
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y(base + value):.1f}" width="{bar_w:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                    f'<title>{escape(label)}, {escape(series.name)}: {_number(value)}</title></rect>')
            base += value
        if apart is not None and apart.values[index]:
            value = apart.values[index]
            parts.append(
                f'<rect class="bar apart" x="{x + bar_w + 1:.1f}" y="{y(value):.1f}" '
                f'width="{side_w:.1f}" height="{y(0) - y(value):.1f}" fill="{APART}">'
                f'<title>{escape(label)}, {escape(apart.name)}: {_number(value)}</title></rect>')
        if index % every == 0:
            parts.append(f'<text x="{LEFT + index * slot + slot / 2:.1f}" y="{TOP + plot_h + 16}" '
                         f'text-anchor="middle" font-size="11" fill="#444">{escape(label)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 f'stroke="#444" stroke-width="1"/>')
    legend = [*stacked, *([apart] if apart else [])]
    x = LEFT
    for number, series in enumerate(legend):
        colour = APART if apart is not None and series is apart else PALETTE[number % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 22}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 13}" font-size="11" fill="#222">'
                     f'{escape(series.name)}</text>')
        x += 24 + 7 * len(series.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
