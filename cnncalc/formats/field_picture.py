"""``cnncalc explain --draw``: a layer's receptive field pictured on the input grid.

The picture shows which input pixels can change output unit (0, 0) of the layer, and which
can change its neighbour one step along the last axis, (0, 1): the two fields are ``size``
pixels wide and ``jump`` pixels apart, and unit 0's is centred on ``start`` (SPEC section
2). Where a field reaches past the input's border, it covers padding.

For unit ``u`` on an axis, the field spans ``start + u*jump - (size-1)/2`` to ``start +
u*jump + (size-1)/2``:

>>> from cnncalc.geometry import Field
>>> unit_span(Field((3,), (1,), (0,)), 0, 0)   # a 3x3 convolution with padding 1: unit 0
(-1, 1)
>>> unit_span(Field((7,), (2,), (2,)), 0, 1)   # conv 3, stride 2, then conv 3: unit 1
(1, 7)

As text, two characters a pixel (``#`` unit (0, 0)'s field, ``o`` its neighbour's, ``@``
both, ``.`` other input pixels, ``,`` padding); a large grid is drawn in blocks of pixels.
"""

from __future__ import annotations

from math import ceil, floor

from ..geometry import GLOBAL, axis_name
from .drawing import escape, number

MAX_CELLS = 36  # characters a text grid may be wide (or tall), in cells of 2 characters
SVG_SIDE = 360  # the largest side of the SVG grid, in px


def unit_span(field, axis: int, unit: int) -> tuple:
    """The input pixels (first, last) that can change output unit ``unit`` along ``axis``."""
    size, jump, start = field.size[axis], field.jump[axis], field.start[axis]
    low = floor(start + unit * jump - (size - 1) / 2 + 1e-9)
    return low, low + size - 1


class _Scene:
    """What one picture shows: the input's rows and columns, the two fields on them, the
    area to draw, and the sentences that say it."""

    def __init__(self, report, layer):
        self.name = layer.name
        spatial = report.input[1:]
        field = layer.receptive_field
        self.lines = []
        self.ok = bool(spatial)
        if not spatial:
            self.lines.append(f"{layer.name}: the input has no spatial axes, so there is no grid to draw")
            return
        # The last two axes are the grid (H and W; L alone in 1-D).
        self.axes = list(range(len(spatial)))[-2:]
        self.sizes = [spatial[a] for a in self.axes]
        if len(self.axes) == 1:
            self.sizes = [1, *self.sizes]
        ndim = len(spatial)
        self.names = [axis_name(a, ndim) for a in self.axes]
        grid = "x".join(str(n) for n in spatial)
        if field == GLOBAL:
            self.a = [(0, n - 1) for n in self.sizes]
            self.b = None
            self.lines.append(f"{layer.name}: every unit sees the whole {grid} input (a global field)")
        elif 0 in field.size:
            self.ok = False
            self.lines.append(f"{layer.name}: no unit sees any input pixel (a field of size 0)")
            return
        else:
            self.a = [unit_span(field, a, 0) for a in self.axes]
            out = layer.shape[1:]
            has_neighbour = len(out) == ndim and out[-1] > 1
            self.b = [*self.a[:-1], unit_span(field, self.axes[-1], 1)] if has_neighbour else None
            if len(self.axes) == 1:
                self.a = [(0, 0), *self.a]
                self.b = [(0, 0), *self.b] if self.b else None
            unit = ", ".join("0" for _ in spatial)
            words = {"H": "rows", "W": "columns", "D": "slices", "L": "positions"}
            parts = []
            for axis, (low, high), size in zip(self.axes, self.a[-len(self.axes) :], self.sizes[-len(self.axes) :]):
                word = words.get(axis_name(axis, ndim), "positions")
                padded = max(0, -low) + max(0, high - (size - 1))
                padding = f", {padded} of them padding" if padded else ""
                parts.append(f"{word} {low} to {high} ({high - low + 1}{padding})")
            self.lines.append(f"{layer.name}: output unit ({unit}) sees {' and '.join(parts)} of the {grid} input")
            if self.b:
                neighbour = ", ".join(["0"] * (ndim - 1) + ["1"])
                word = words.get(self.names[-1], "positions")
                low, high = self.b[-1]
                self.lines.append(
                    f"  its neighbour ({neighbour}) sees {word} {low} to {high}: {field.jump[-1]} over (the jump)"
                )
            if ndim == 3:
                self.lines.append(f"  (drawn: H and W; along D it sees slices {unit_span(field, 0, 0)})")
        fields = [self.a] + ([self.b] if self.b else [])
        self.rows = (min(0, *(f[0][0] for f in fields)), max(self.sizes[0] - 1, *(f[0][1] for f in fields)))
        self.cols = (min(0, *(f[1][0] for f in fields)), max(self.sizes[1] - 1, *(f[1][1] for f in fields)))

    def kind(self, rows: tuple, cols: tuple) -> str:
        """The character for a block of pixels (first and last row, first and last column)."""

        def meets(span, axis_range):
            return span[0] <= axis_range[1] and axis_range[0] <= span[1]

        in_a = meets(self.a[0], rows) and meets(self.a[1], cols)
        in_b = self.b is not None and meets(self.b[0], rows) and meets(self.b[1], cols)
        if in_a and in_b:
            return "@"
        if in_a:
            return "#"
        if in_b:
            return "o"
        inside = meets((0, self.sizes[0] - 1), rows) and meets((0, self.sizes[1] - 1), cols)
        return "." if inside else ","


def text(report, layer) -> str:
    """The picture in characters, with the sentences that say what it shows."""
    scene = _Scene(report, layer)
    if not scene.ok:
        return "\n".join(scene.lines) + "\n"
    height, width = scene.rows[1] - scene.rows[0] + 1, scene.cols[1] - scene.cols[0] + 1
    block = max(1, ceil(max(height, width) / MAX_CELLS))
    out = list(scene.lines)
    scale = "one pixel a cell" if block == 1 else f"each cell a block of {block}x{block} pixels"
    out.append(f"  # unit (0, 0)'s field   o its neighbour's   @ both   . input   , padding   ({scale})")
    # Rows and columns are numbered where something begins or ends: the input, the fields.
    gutter = 8  # "  " and a row number
    header = [" "] * (gutter + 2 * ceil(width / block))
    end = 0
    for mark in sorted({scene.cols[0], 0, scene.sizes[1] - 1, *scene.a[1], *(scene.b[1] if scene.b else ())}):
        at = gutter + 2 * ((mark - scene.cols[0]) // block)
        label = str(mark)
        first = at - len(label) + 1 if mark < 0 else at  # a negative number ends over its cell
        if first > end and first + len(label) <= len(header) + 2:
            header[first : first + len(label)] = label
            end = first + len(label)
    out.append("".join(header).rstrip())
    marks = sorted({scene.rows[0], 0, scene.sizes[0] - 1, *scene.a[0]})
    for top in range(scene.rows[0], scene.rows[1] + 1, block):
        rows = (top, min(top + block - 1, scene.rows[1]))
        mark = next((m for m in marks if rows[0] <= m <= rows[1]), None)
        label = " " * 6 if mark is None else f"{mark:>5} "
        cells = [
            scene.kind(rows, (left, min(left + block - 1, scene.cols[1])))
            for left in range(scene.cols[0], scene.cols[1] + 1, block)
        ]
        out.append("  " + label + " ".join(cells))
    return "\n".join(out) + "\n"


def svg(report, layers) -> str:
    """The pictures of ``layers`` as one SVG, one under another."""
    panels, y, width = [], 10.0, 400.0
    for layer in layers:
        body, w, h = _panel(_Scene(report, layer), y)
        panels.append(body)
        width = max(width, w)
        y += h + 24
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{number(width + 20)}" height="{number(y)}" '
        f'viewBox="0 0 {number(width + 20)} {number(y)}" font-family="sans-serif" font-size="12">\n'
        "<style>.pad { fill: #eceff3; } .input { fill: #ffffff; stroke: #5b6470; } .cell { fill: none; "
        "stroke: #d0d7de; stroke-width: 0.5; } .a { fill: #fd8d3c; fill-opacity: 0.55; stroke: #d9480f; "
        "stroke-width: 1.5; } .b { fill: none; stroke: #1971c2; stroke-width: 2; stroke-dasharray: 5 3; } "
        ".centre { fill: #bd3100; } .label { fill: #59636e; font-size: 11px; }</style>\n" + "".join(panels) + "</svg>\n"
    )


def _panel(scene: _Scene, y0: float) -> tuple:
    """One layer's picture at height ``y0``: its body, width and height."""
    out = []
    y = y0
    for line in scene.lines:
        y += 15
        out.append(f'<text x="10" y="{number(y)}">{escape(line.strip())}</text>')
    text_width = 20 + 6.8 * max((len(line.strip()) for line in scene.lines), default=0)
    if not scene.ok:
        return "<g>" + "".join(out) + "</g>\n", text_width, y - y0
    y += 14
    rows, cols = scene.rows, scene.cols
    height, width = rows[1] - rows[0] + 1, cols[1] - cols[0] + 1
    cell = min(14.0, SVG_SIDE / max(height, width))
    left, top = 40.0, y

    def x_of(col):
        return left + (col - cols[0]) * cell

    def y_of(row):
        return top + (row - rows[0]) * cell

    out.append(
        f'<rect class="pad" x="{number(left)}" y="{number(top)}" width="{number(width * cell)}" '
        f'height="{number(height * cell)}"/>'
        f'<rect class="input" x="{number(x_of(0))}" y="{number(y_of(0))}" width="{number(scene.sizes[1] * cell)}" '
        f'height="{number(scene.sizes[0] * cell)}"/>'
    )
    if cell >= 4:  # pixels large enough to outline one by one
        for r in range(rows[0], rows[1] + 2):
            out.append(
                f'<line class="cell" x1="{number(left)}" x2="{number(left + width * cell)}" '
                f'y1="{number(y_of(r))}" y2="{number(y_of(r))}"/>'
            )
        for c in range(cols[0], cols[1] + 2):
            out.append(
                f'<line class="cell" x1="{number(x_of(c))}" x2="{number(x_of(c))}" '
                f'y1="{number(top)}" y2="{number(top + height * cell)}"/>'
            )
    for css, spans in (("a", scene.a), ("b", scene.b)):
        if spans is None:
            continue
        (r0, r1), (c0, c1) = spans
        out.append(
            f'<rect class="{css}" x="{number(x_of(c0))}" y="{number(y_of(r0))}" width="{number((c1 - c0 + 1) * cell)}" '
            f'height="{number((r1 - r0 + 1) * cell)}"/>'
        )
    # Axis labels: the input's first and last row and column.
    out.append(
        f'<text class="label" x="{number(x_of(0))}" y="{number(top - 3)}">0</text>'
        f'<text class="label" x="{number(x_of(scene.sizes[1] - 1))}" y="{number(top - 3)}">{scene.sizes[1] - 1}</text>'
        f'<text class="label" x="{number(left - 4)}" y="{number(y_of(0) + min(cell, 12))}" text-anchor="end">0</text>'
        f'<text class="label" x="{number(left - 4)}" y="{number(y_of(scene.sizes[0] - 1) + min(cell, 12))}" '
        f'text-anchor="end">{scene.sizes[0] - 1}</text>'
    )
    legend_y = top + height * cell + 16
    out.append(
        f'<text class="label" x="{number(left)}" y="{number(legend_y)}">filled: unit (0, 0)\'s field; dashed: its '
        "neighbour's; grey: padding</text>"
    )
    body = f'<g class="field" data-name="{escape(scene.name)}">' + "".join(out) + "</g>\n"
    return body, max(left + width * cell, 420.0, text_width), legend_y - y0 + 4
