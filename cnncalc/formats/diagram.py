"""What a drawing of a network shows: one node per layer (or per folded module instance),
one edge per input, module instances as boxes, nodes coloured by a figure.

``build(report)`` gives a ``Diagram`` (plain data); ``place(diagram)`` lays it out
(cnncalc.layout); the svg, dot, mermaid and html formats write it. Text is set in a
monospace font so that a node's width can be known without a renderer: every character
is 0.6 em wide in the usual monospace fonts.

>>> from cnncalc.report import analyze_file
>>> diagram = build(analyze_file("architectures/lenet5.yaml"))
>>> diagram.nodes[1].lines
('C1', 'conv 6x28x28')
>>> diagram.edges[:2]
((0, 1), (1, 2))
"""

from __future__ import annotations

from ..record import Record
from ..spec import INPUT_NAME
from .columns import bytes_text, rows, shape_text, si_text

FONT_SIZE = 12
CHAR_WIDTH = 0.6 * FONT_SIZE  # monospace
LINE_HEIGHT = 15
PADDING_X = 8
PADDING_Y = 5
TITLE_SIZE = 11  # a box's title


class Figure(Record, fields="key label value text"):
    """A figure nodes may be coloured by: ``value(row)`` the number, ``text(n)`` how it reads."""

    __slots__ = ()


FIGURES = {
    "macs": Figure("macs", "MACs", lambda row: row.macs, si_text),
    "params": Figure("params", "parameters", lambda row: row.params, si_text),
    "memory": Figure("memory", "activation memory", lambda row: row.activation_bytes, bytes_text),
}
COLOR_CHOICES = (*FIGURES, "none")


class Node(Record, fields="key kind lines tooltip value color members group"):
    """``kind``: input, layer or module (a folded instance); ``lines``: its label, the name
    first; ``members``: the layers it stands for; ``group``: the innermost box it sits in."""

    __slots__ = ()


class Group(Record, fields="name module parent"):
    """A module instance drawn as a box around its layers; ``parent``: the box it sits in."""

    __slots__ = ()


class Diagram(Record, fields="title nodes edges groups figure low high"):
    """``edges``: (source, target) node indices, one per input of each layer; ``figure``:
    what the colours show (None: nothing), from ``low`` to ``high``."""

    __slots__ = ()


# A sequential palette, light to dark (ColorBrewer's YlOrRd without its darkest steps, so
# black text stays readable on every node).
PALETTE = ((255, 255, 204), (255, 237, 160), (254, 217, 118), (254, 178, 76), (253, 141, 60), (252, 78, 42))
ZERO_COLOR = "#f6f6f6"  # a layer without any of the figure
PLAIN_COLOR = "#ffffff"
INPUT_COLOR = "#e3ecf7"


def build(report, depth: int | None = None, color_by: str = "macs", figures: bool = False) -> Diagram:
    """The diagram of ``report``: module instances nested deeper than ``depth`` folded into
    one node each (as summarize's ``--depth``); nodes coloured by ``color_by`` (macs,
    params, memory or none); ``figures`` adds each node's parameters and MACs."""
    figure = FIGURES.get(color_by)
    items = rows(report, depth)
    groups: list = []
    group_index: dict = {}

    def group_for(path) -> int | None:
        parent = None
        for instance, module in path:
            if instance not in group_index:
                group_index[instance] = len(groups)
                groups.append(Group(instance, module, parent))
            parent = group_index[instance]
        return parent

    values = [figure.value(row) for row in items] if figure else []
    positive = [v for v in values if v > 0]
    low, high = (min(positive), max(positive)) if positive else (0, 0)
    nodes = [
        Node(
            INPUT_NAME,
            "input",
            ("input", shape_text(report.input)),
            f"input {shape_text(report.input)}",
            None,
            INPUT_COLOR,
            (),
            None,
        )
    ]
    index = {INPUT_NAME: 0}
    members_of: dict = {}  # folded instance -> its layers
    if depth is not None:
        for layer in report.layers:
            if len(layer.module) > depth:
                members_of.setdefault(layer.module[depth][0], []).append(layer.name)
    for n, row in enumerate(items):
        folded = depth is not None and len(row.module) > depth
        path = row.module[:depth] if folded else row.module
        group = group_for(path)
        shown = row.name
        if path and shown.startswith(path[-1][0] + "."):
            shown = shown[len(path[-1][0]) + 1 :]  # the box's title says the rest
        lines = [shown, f"{row.type} {shape_text(row.shape)}"]
        if figures:
            lines.append(f"{si_text(row.params)} params, {si_text(row.macs)} MACs")
        value = values[n] if figure else None
        members = tuple(members_of[row.name]) if folded else (row.name,)
        tooltip = f"{row.name} ({'module ' if folded else ''}{row.type}), output {shape_text(row.shape)}"
        tooltip += f"\nparams {row.params:,}\nMACs {row.macs:,}\nmemory {bytes_text(row.activation_bytes)}"
        if folded:
            tooltip += f"\n{len(members)} layers"
        color = PLAIN_COLOR if figure is None else color_of(value, low, high)
        nodes.append(
            Node(row.name, "module" if folded else "layer", tuple(lines), tooltip, value, color, members, group)
        )
        index[row.name] = len(nodes) - 1
    edges = tuple((index[name], index[row.name]) for row in items for name in row.inputs)
    title = f"{report.name or report.file}: input {shape_text(report.input)}"
    return Diagram(title, tuple(nodes), edges, tuple(groups), figure, low, high)


def color_of(value, low, high) -> str:
    """``value`` on the palette, on a log scale from ``low`` to ``high``; 0 is pale grey."""
    if not value:
        return ZERO_COLOR
    from math import log

    t = 0.0 if high <= low else (log(value) - log(low)) / (log(high) - log(low))
    return mix(t)


def mix(t: float) -> str:
    """The palette's colour at ``t`` (0 to 1)."""
    t = min(max(t, 0.0), 1.0) * (len(PALETTE) - 1)
    i = min(int(t), len(PALETTE) - 2)
    f = t - i
    a, b = PALETTE[i], PALETTE[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def node_size(node: Node) -> tuple:
    width = max(len(line) for line in node.lines) * CHAR_WIDTH + 2 * PADDING_X
    return round(width, 1), len(node.lines) * LINE_HEIGHT + 2 * PADDING_Y


def place(diagram: Diagram):
    """The diagram laid out (cnncalc.layout.Placement)."""
    from ..layout import layered

    return layered(
        [node_size(node) for node in diagram.nodes],
        diagram.edges,
        [node.group for node in diagram.nodes],
        [group.parent for group in diagram.groups],
        [len(group_title(group)) * 0.6 * TITLE_SIZE + 12 for group in diagram.groups],
    )


def group_title(group: Group) -> str:
    return f"{group.name} ({group.module})"


def legend_text(diagram: Diagram) -> str:
    if diagram.figure is None:
        return ""
    figure = diagram.figure
    if not diagram.high:
        return f"colour: {figure.label} (none in this network)"
    return (
        f"colour: {figure.label} per node, {figure.text(diagram.low)} to {figure.text(diagram.high)} "
        "(log scale; grey: none)"
    )
