"""Small charts as inline SVG for the HTML report: per-layer bars, receptive field and jump
by depth, memory over a run. Plain strings, no scripts; the same input gives the same bytes.

Each chart is drawn in a fixed 800-unit-wide box that the page scales; its labels are SVG
text, so the page keeps charts at least about 560 px wide (and lets them scroll sideways on a
phone) rather than shrink the labels.
"""

from __future__ import annotations

from math import log2

from .drawing import escape, number

WIDTH = 800
LEFT = 70  # room for the axis labels
RIGHT = 10
TOP = 12
BOTTOM = 22
PLOT = WIDTH - LEFT - RIGHT


def _svg(height: int, body: list, label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="11">' + "".join(body) + "</svg>"
    )


def _axis_y(ticks, y_of, height: int) -> list:
    """Horizontal grid lines with labels at the left."""
    out = []
    for value, text in ticks:
        y = y_of(value)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{number(y)}" y2="{number(y)}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{number(y + 4)}" text-anchor="end">{escape(text)}</text>'
        )
    out.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{height - BOTTOM}"/>')
    return out


def _linear_ticks(high: float, text) -> list:
    """0, a half and the whole of the largest value."""
    return [(0, "0"), (high / 2, text(round(high / 2))), (high, text(high))] if high else [(0, "0")]


def bars(names, values, text, label: str, height: int = 170) -> str:
    """One bar per layer, in file order; each bar names its layer (``data-name``) and says
    its value in a tooltip."""
    high = max(values, default=0)
    bottom = height - BOTTOM
    span = bottom - TOP

    def y_of(value):
        return bottom - (value / high * span if high else 0)

    out = _axis_y(_linear_ticks(high, text), y_of, height)
    step = PLOT / max(len(values), 1)
    for i, (name, value) in enumerate(zip(names, values)):
        if not value:
            continue
        y = y_of(value)
        out.append(
            f'<rect class="bar" data-name="{escape(name)}" x="{number(LEFT + i * step)}" y="{number(y)}" '
            f'width="{number(max(step * 0.8, 0.6))}" height="{number(bottom - y)}">'
            f"<title>{escape(name)}: {escape(text(value))}</title></rect>"
        )
    out.append(
        f'<text class="tick" x="{LEFT}" y="{height - 6}">first layer</text>'
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{height - 6}" text-anchor="end">last layer</text>'
    )
    return _svg(height, out, label)


def field_chart(points, input_size: int, label: str, height: int = 240) -> str:
    """Receptive field size and jump (input pixels, log scale) by depth. ``points``: per
    depth ``(depth, size, jump, names)`` where size and jump are the largest at that depth;
    ``input_size``: the input's largest side, drawn as a dashed line."""
    if not points:
        return _svg(40, [f'<text x="{LEFT}" y="24">every layer sees the whole input</text>'], label)
    top_value = max([size for _, size, _, _ in points] + [input_size, 2])
    levels = max(1, int(log2(top_value)) + 1)
    bottom = height - BOTTOM
    span = bottom - TOP
    deepest = max(depth for depth, _, _, _ in points) or 1

    def y_of(value):
        return bottom - log2(max(value, 1)) / levels * span

    def x_of(depth):
        return LEFT + depth / deepest * PLOT

    ticks = [(2**k, f"{2**k:,}") for k in range(0, levels + 1, max(1, (levels + 1) // 6))]
    out = _axis_y(ticks, y_of, height)
    y = y_of(input_size)
    out.append(
        f'<line class="input-size" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{number(y)}" y2="{number(y)}"/>'
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{number(y - 4)}" text-anchor="end">input {input_size:,}</text>'
    )
    for css, index in (("size", 1), ("jump", 2)):
        path = " ".join(f"{number(x_of(p[0]))},{number(y_of(p[index]))}" for p in points)
        out.append(f'<polyline class="line {css}" points="{path}"/>')
    for depth, size, jump, names in points:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        out.append(
            f'<circle class="dot" cx="{number(x_of(depth))}" cy="{number(y_of(size))}" r="2.5">'
            f"<title>depth {depth}: receptive field {size:,}, jump {jump:,} ({escape(shown)})</title></circle>"
        )
    out.append(
        f'<text class="tick" x="{LEFT}" y="{height - 6}">depth 1</text>'
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{height - 6}" text-anchor="end">depth {deepest}</text>'
    )
    return _svg(height, out, label)


PHASE_CLASS = {"inference": "inference", "forward": "forward", "backward": "backward", "optimizer step": "optimizer"}


def timeline(instants, text, label: str, height: int = 200) -> str:
    """Bytes held at each moment of a run (memory.Instant), as an area; phases shaded, the
    peak marked with its value and where it falls."""
    high = max((i.bytes for i in instants), default=0)
    bottom = height - BOTTOM
    span = bottom - TOP - 14  # room above the peak for its label
    count = len(instants)

    def y_of(value):
        return bottom - (value / high * span if high else 0)

    def x_of(i):
        return LEFT + (i + 0.5) / max(count, 1) * PLOT

    out = []
    # Phase bands behind the area.
    start = 0
    for i in range(1, count + 1):
        if i == count or instants[i].phase != instants[start].phase:
            phase = instants[start].phase
            x0, x1 = LEFT + start / count * PLOT, LEFT + i / count * PLOT
            out.append(
                f'<rect class="phase {PHASE_CLASS.get(phase, "other")}" x="{number(x0)}" y="{TOP}" '
                f'width="{number(x1 - x0)}" height="{bottom - TOP}"/>'
            )
            if phase != "inference" and x1 - x0 > 7 * len(phase):  # named where there is room; hover says it all
                out.append(f'<text class="tick" x="{number(x0 + 4)}" y="{bottom - 5}">{escape(phase)}</text>')
            start = i
    out += _axis_y(_linear_ticks(high, text), y_of, height)
    points = [f"{LEFT},{bottom}"] + [f"{number(x_of(i))},{number(y_of(m.bytes))}" for i, m in enumerate(instants)]
    points.append(f"{WIDTH - RIGHT},{bottom}")
    out.append(f'<polygon class="area" points="{" ".join(points)}"/>')
    for i, moment in enumerate(instants):
        where = f"{moment.layer} ({moment.phase})" if moment.layer else moment.phase
        out.append(
            f'<rect class="hit" x="{number(LEFT + i / count * PLOT)}" y="{TOP}" width="{number(PLOT / count)}" '
            f'height="{bottom - TOP}"><title>{escape(where)}: {escape(text(moment.bytes))}</title></rect>'
        )
    if instants:
        peak = max(range(count), key=lambda i: (instants[i].bytes, -i))
        moment = instants[peak]
        x, y = x_of(peak), y_of(moment.bytes)
        where = f" at {moment.layer}" if moment.layer else ""
        anchor = "end" if x > WIDTH / 2 else "start"
        shift = -6 if anchor == "end" else 6
        out.append(
            f'<circle class="peak" cx="{number(x)}" cy="{number(y)}" r="4"/>'
            f'<text class="peak-label" x="{number(x + shift)}" y="{number(y - 4)}" text-anchor="{anchor}">'
            f"peak {escape(text(moment.bytes))}{escape(where)} ({escape(moment.phase)})</text>"
        )
    return _svg(height, out, label)
