"""``cnncalc draw``: a network's diagram (formats/diagram.py) as SVG, Graphviz DOT, Mermaid
or PNG.

SVG is laid out here (cnncalc.layout), needs no other program, and is the same bytes for
the same file and options. DOT and Mermaid are text for docs: Graphviz and Mermaid lay them
out themselves. PNG is the SVG converted by the first converter found: ``rsvg-convert``
(librsvg), the ``cairosvg`` package, or Graphviz's ``dot`` (its own layout, from the DOT).
"""

from __future__ import annotations

from .diagram import (
    CHAR_WIDTH,
    FONT_SIZE,
    LINE_HEIGHT,
    PADDING_X,
    PADDING_Y,
    TITLE_SIZE,
    Diagram,
    group_title,
    legend_text,
    mix,
    node_size,
    place,
)

MARGIN = 12
FONT = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
STYLE = """
.node rect { stroke: #5b6470; stroke-width: 1; }
.node.module rect { stroke-width: 2.5; }
.node.input rect { stroke-dasharray: 3 2; }
.node .name { font-weight: bold; }
.edge { fill: none; stroke: #7d8590; stroke-width: 1.2; }
.box { fill: #eef2f8; fill-opacity: 0.55; stroke: #9aa9c0; stroke-dasharray: 5 3; }
.box-title { font-size: 11px; fill: #46536b; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.legend { font-size: 11px; fill: #333; }
.heading { font-weight: bold; }
"""
FORMATS = ("svg", "dot", "mmd", "png")


def escape(text: str) -> str:
    """Text for XML content and attribute values."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def number(value: float) -> str:
    return f"{round(value, 1):g}"


def svg(diagram: Diagram, standalone: bool = True) -> str:
    """The diagram as SVG. Each layer is a ``<g class="node layer" data-name=...>``, each
    folded instance a ``node module``, each input of a layer one ``<path class="edge"
    data-from=... data-to=...>``, each box a ``<rect class="box" data-name=...>``. ``standalone``: with
    the XML declaration (a file of its own), not inside an HTML page."""
    placement = place(diagram)
    legend = legend_text(diagram)
    header = LINE_HEIGHT + 6 + (LINE_HEIGHT + 4 if legend else 0)
    width = max(placement.width + 2 * MARGIN, len(diagram.title) * CHAR_WIDTH + 2 * MARGIN, 200.0)
    if legend:
        width = max(width, len(legend) * 0.6 * 11 + 2 * MARGIN + 110)
    height = placement.height + header + 2 * MARGIN
    dx, dy = MARGIN, MARGIN + header
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cnncalc-drawing" width="{number(width)}" '
        f'height="{number(height)}" viewBox="0 0 {number(width)} {number(height)}" '
        f'font-family="{FONT}" font-size="{FONT_SIZE}">\n'
    )
    out.append(f"<title>{escape(diagram.title)}</title>\n<style>{STYLE}</style>\n")
    out.append(
        '<defs><marker id="cnncalc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7d8590"/></marker></defs>\n'
    )
    out.append(f'<text class="heading" x="{MARGIN}" y="{MARGIN + FONT_SIZE}">{escape(diagram.title)}</text>\n')
    if legend:
        y = MARGIN + LINE_HEIGHT + 6 + 11
        out.append(f'<g class="legend-bar"><text class="legend" x="{MARGIN}" y="{y}">{escape(legend)}</text>\n')
        x0 = MARGIN + len(legend) * 0.6 * 11 + 10
        steps = 10
        for i in range(steps):
            out.append(
                f'<rect x="{number(x0 + i * 10)}" y="{y - 10}" width="10" height="12" fill="{mix(i / (steps - 1))}"/>'
            )
        out.append("</g>\n")
    boxes = [(group, box) for group, box in zip(diagram.groups, placement.groups) if box is not None]
    out.append('<g class="groups">\n')
    for group, (x0, y0, x1, y1) in boxes:
        out.append(
            f'<rect class="box" data-name="{escape(group.name)}" x="{number(x0 + dx)}" y="{number(y0 + dy)}" '
            f'width="{number(x1 - x0)}" height="{number(y1 - y0)}" rx="6"/>\n'
        )
    out.append('</g>\n<g class="edges">\n')
    for (source, target), points in zip(diagram.edges, placement.edges):
        out.append(
            f'<path class="edge" data-from="{escape(diagram.nodes[source].key)}" '
            f'data-to="{escape(diagram.nodes[target].key)}" d="{_path(points, dx, dy)}" '
            'marker-end="url(#cnncalc-arrow)"/>\n'
        )
    # Titles over the edges, which may cross a box's top.
    out.append('</g>\n<g class="group-titles">\n')
    for group, (x0, y0, _, _) in boxes:
        out.append(
            f'<text class="box-title" x="{number(x0 + dx + 6)}" y="{number(y0 + dy + TITLE_SIZE + 3)}">'
            f"{escape(group_title(group))}</text>\n"
        )
    out.append('</g>\n<g class="nodes">\n')
    for node, (x, y) in zip(diagram.nodes, placement.nodes):
        w, h = node_size(node)
        left, top = x - w / 2 + dx, y - h / 2 + dy
        out.append(
            f'<g class="node {node.kind}" data-name="{escape(node.key)}"><title>{escape(node.tooltip)}</title>'
            f'<rect x="{number(left)}" y="{number(top)}" width="{number(w)}" height="{number(h)}" rx="4" '
            f'fill="{node.color}"/>'
        )
        for i, line in enumerate(node.lines):
            css = ' class="name"' if i == 0 else ""
            baseline = top + PADDING_Y + (i + 1) * LINE_HEIGHT - 4
            out.append(f'<text{css} x="{number(left + PADDING_X)}" y="{number(baseline)}">{escape(line)}</text>')
        out.append("</g>\n")
    out.append("</g>\n</svg>\n")
    return "".join(out)


def _path(points, dx: float, dy: float) -> str:
    """Straight down where an edge passes through a rank, an S-curve between ranks."""
    (x, y), *rest = points
    parts = [f"M{number(x + dx)},{number(y + dy)}"]
    for nx, ny in rest:
        if nx == x:
            parts.append(f"L{number(nx + dx)},{number(ny + dy)}")
        else:
            middle = (y + ny) / 2 + dy
            parts.append(
                f"C{number(x + dx)},{number(middle)} {number(nx + dx)},{number(middle)} "
                f"{number(nx + dx)},{number(ny + dy)}"
            )
        x, y = nx, ny
    return " ".join(parts)


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(diagram: Diagram) -> str:
    """The diagram in Graphviz's DOT language: nodes, clusters for the boxes, edges."""
    out = [
        f"digraph {_dot_string(diagram.title)} {{\n",
        f"  graph [rankdir=TB, fontname={_dot_string('monospace')}, label={_dot_string(diagram.title)}, "
        "labelloc=t, nodesep=0.25, ranksep=0.3];\n",
        '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10, penwidth=1];\n',
        '  edge [color="#7d8590"];\n',
    ]

    def node_line(n: int, indent: str) -> str:
        node = diagram.nodes[n]
        extra = ", penwidth=2.5" if node.kind == "module" else ""
        label = "\n".join(node.lines)
        return f"{indent}n{n} [label={_dot_string(label)}, fillcolor={_dot_string(node.color)}{extra}];\n"

    _nested(diagram, out, node_line, _dot_cluster_open, lambda indent: f"{indent}}}\n")
    for source, target in diagram.edges:
        out.append(f"  n{source} -> n{target};\n")
    out.append("}\n")
    return "".join(out)


def _dot_cluster_open(g: int, group, indent: str) -> str:
    return (
        f"{indent}subgraph cluster_{g} {{\n{indent}  label={_dot_string(group_title(group))}; "
        f'style="rounded,dashed"; color="#9aa9c0"; fontsize=10;\n'
    )


def _nested(diagram: Diagram, out: list, node_line, open_group, close_group) -> None:
    """Writes nodes inside their groups, nested, in file order."""
    children: dict = {}
    for g, group in enumerate(diagram.groups):
        children.setdefault(group.parent, []).append(("group", g))
    for n, node in enumerate(diagram.nodes):
        children.setdefault(node.group, []).append(("node", n))
    # Each group's items in the order they first appear among the nodes.
    first = {}
    for n, node in enumerate(diagram.nodes):
        g = node.group
        while g is not None and g not in first:
            first[g] = n
            g = diagram.groups[g].parent

    def key(item):
        kind, i = item
        return (first.get(i, 0) if kind == "group" else i, kind == "node")

    def write(parent, indent: str) -> None:
        for kind, i in sorted(children.get(parent, []), key=key):
            if kind == "node":
                out.append(node_line(i, indent))
            else:
                out.append(open_group(i, diagram.groups[i], indent))
                write(i, indent + "  ")
                out.append(close_group(indent))

    write(None, "  ")


def _mermaid_text(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(">", "&gt;")


def mermaid(diagram: Diagram) -> str:
    """The diagram as a Mermaid flowchart (``flowchart TB``), boxes as subgraphs."""
    out = ["flowchart TB\n"]

    def node_line(n: int, indent: str) -> str:
        node = diagram.nodes[n]
        label = "<br/>".join(_mermaid_text(line) for line in node.lines)
        shape = f'[["{label}"]]' if node.kind == "module" else f'["{label}"]'
        return f"{indent}n{n}{shape}\n"

    def open_group(g: int, group, indent: str) -> str:
        return f'{indent}subgraph g{g}["{_mermaid_text(group_title(group))}"]\n'

    _nested(diagram, out, node_line, open_group, lambda indent: f"{indent}end\n")
    for source, target in diagram.edges:
        out.append(f"  n{source} --> n{target}\n")
    for n, node in enumerate(diagram.nodes):
        out.append(f"  style n{n} fill:{node.color},stroke:#5b6470,color:#000\n")
    return "".join(out)


class NoConverter(Exception):
    """No program to turn SVG into PNG is installed."""


PNG_HELP = (
    "writing PNG needs one of: rsvg-convert (apt-get install librsvg2-bin, brew install librsvg), "
    "the cairosvg package (pip install cairosvg) or Graphviz (apt-get install graphviz, brew install graphviz); "
    "or write .svg, which needs nothing"
)


def png(diagram: Diagram) -> bytes:
    """The SVG as PNG, by the first converter found (NoConverter when there is none)."""
    import shutil
    import subprocess

    converter = shutil.which("rsvg-convert")
    if converter:
        return subprocess.run(
            [converter, "--format", "png"], input=svg(diagram).encode(), capture_output=True, check=True
        ).stdout
    try:
        import cairosvg  # type: ignore[import-not-found]
    except ImportError:
        cairosvg = None
    if cairosvg is not None:
        return cairosvg.svg2png(bytestring=svg(diagram).encode())
    converter = shutil.which("dot")
    if converter:
        return subprocess.run([converter, "-Tpng"], input=dot(diagram).encode(), capture_output=True, check=True).stdout
    raise NoConverter(PNG_HELP)
