"""A score histogram as an SVG drawn on the server: bars per tenth of the points, each with its
count, scaled to the tallest; no plotting library, no script."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 600, 240, 8, 36, 22


def histogram_svg(bins: list[dict], title: str) -> Markup:
    tallest = max([b["count"] for b in bins] + [1])
    slot = (WIDTH - 2 * LEFT) / len(bins)
    scale = (HEIGHT - BOTTOM - TOP) / tallest
    parts = [f'<svg class="histogram" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" y2="{HEIGHT - BOTTOM}" class="axis"/>']
    for i, b in enumerate(bins):
        x, height = LEFT + i * slot, b["count"] * scale
        y = HEIGHT - BOTTOM - height
        parts.append(f'<g class="bin" data-low="{b["low"]:g}" data-count="{b["count"]}">'
                     f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{slot - 8:.1f}" height="{height:.1f}" rx="3"/>'
                     f'<text x="{x + slot / 2:.1f}" y="{y - 6:.1f}" class="count">{b["count"] or ""}</text>'
                     f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16:.1f}" class="label">'
                     f'{b["low"]:g}–{b["high"]:g}</text>'
                     f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 22:.1f}" class="short">{b["low"]:g}</text></g>')
    parts.append(f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 4}" class="caption">score (students per range)</text></svg>')
    return Markup("".join(parts))
