"""Server-side SVG charts for the activity page (no build step, no CDN, no script).

Plain bar charts: categories (act codes, specialties, cabins) or a time series (weeks,
months). Text is escaped; sizes are fixed so the page layout does not jump. Each chart has a
``<title>`` and ``role="img"`` with an ``aria-label`` for screen readers; the table under the
chart on the page carries the same numbers.
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 720, 260
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 56, 12, 28, 56
_BAR = "#1f5fa8"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 4
    if value <= 40:  # small counts: four whole-number grid steps
        return 4 * -(-int(value) // 4) if value == int(value) else 4 * (int(value) // 4 + 1)
    step = 10 ** (len(str(int(value))) - 1)
    return ((int(value) // step) + 1) * step


def bar_chart(title: str, items: list[tuple[str, float]], *, empty_text: str) -> str:
    """An SVG bar chart of (label, value) pairs (labels thinned out when there are many)."""
    t = escape(title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}">'
        f"<title>{t}</title>"
        f'<text x="{_PAD_L}" y="18" font-size="14" font-family="sans-serif" '
        f'font-weight="bold" fill="#111">{t}</text>'
    )
    if not items:
        return (
            head + f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
            f'font-size="13" font-family="sans-serif" fill="#444">{escape(empty_text)}</text></svg>'
        )
    top = _nice_max(max(v for _, v in items))
    plot_w = WIDTH - _PAD_L - _PAD_R
    plot_h = HEIGHT - _PAD_T - _PAD_B
    slot = plot_w / len(items)
    bar_w = max(1.0, slot * 0.8)
    parts = [head]
    for i in range(5):  # horizontal grid with values
        v = top * i / 4
        y = _PAD_T + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{_PAD_L}" x2="{WIDTH - _PAD_R}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/><text x="{_PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" font-family="sans-serif" fill="#333">{v:g}</text>'
        )
    every = max(1, len(items) // 12)
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = _PAD_L + i * slot + (slot - bar_w) / 2
        y = _PAD_T + plot_h - h
        lab = escape(str(label))
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{_BAR}"><title>{lab}: {value:g}</title></rect>'
        )
        if i % every == 0:
            cx = x + bar_w / 2
            ly = HEIGHT - _PAD_B + 14
            parts.append(
                f'<text x="{cx:.1f}" y="{ly}" font-size="10" font-family="sans-serif" '
                f'fill="#333" text-anchor="end" transform="rotate(-35 {cx:.1f} {ly})">'
                f"{lab[:24]}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
