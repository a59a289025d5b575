"""``cnncalc report``: one self-contained HTML page about a network.

Everything is inline (styles, the script, the drawing and the charts as SVG, the worked
arithmetic as JSON): the page makes no request, opens from a file without a network, prints,
and fits a phone's width. Clicking a layer, in the drawing, the table or a chart, shows its
``cnncalc explain`` text. The same inputs give the same bytes.
"""

from __future__ import annotations

from .. import __version__
from ..geometry import GLOBAL
from ..record import Record
from . import charts
from .columns import COLUMNS, bytes_text, count_text, si_text, title, totals_lines
from .drawing import escape, svg
from .json import dumps


class Page(Record, fields="report diagram explain run_order problems verification inference training optimizer"):
    """What the page shows: ``report``; ``diagram`` (formats.diagram); ``explain``: node or
    layer name -> its worked arithmetic; ``run_order``: layer names in the order they run;
    ``problems``: lint's findings; ``verification`` (or None when not asked);
    ``inference`` and ``training``: memory.Instant timelines; ``optimizer``: the training
    step's optimizer."""

    __slots__ = ()


STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa; --accent: #d9480f; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 24px 48px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: #fff; }
header { max-width: 1100px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 0 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1em; margin: 14px 0 4px; }
.sub { color: var(--muted); margin: 0 0 8px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0 0; }
nav a { color: #0969da; text-decoration: none; }
section { margin: 26px 0; max-width: 1100px; }
dl.totals { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.totals dt { font-weight: 600; }
dl.totals dd { margin: 0; font-variant-numeric: tabular-nums; }
.hint { color: var(--muted); font-size: 0.9em; margin: 0 0 6px; }
.scroll { overflow: auto; -webkit-overflow-scrolling: touch; }
.drawing { max-height: 80vh; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.drawing svg { display: block; }
.cnncalc-drawing .node { cursor: pointer; }
.cnncalc-drawing .node:hover rect, .cnncalc-drawing .node.selected rect { stroke: var(--accent); stroke-width: 2.5; }
table { border-collapse: collapse; font-size: 0.85em; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--soft); position: sticky; top: 0; cursor: pointer; user-select: none; text-align: left; }
th.num, td.num { text-align: right; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.selected { background: #fff4e6; }
.table-box { max-height: 70vh; border: 1px solid var(--line); border-radius: 6px; }
.chart-box { overflow-x: auto; }
svg.chart { display: block; width: 100%; min-width: 560px; height: auto; }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .axis { stroke: #8c959f; }
svg.chart .tick { fill: var(--muted); }
svg.chart .bar { fill: #fd8d3c; cursor: pointer; }
svg.chart .bar:hover, svg.chart .bar.selected { fill: #bd3100; }
svg.chart .line { fill: none; stroke-width: 2; }
svg.chart .size { stroke: #d9480f; }
svg.chart .jump { stroke: #1971c2; stroke-dasharray: 5 3; }
svg.chart .dot { fill: #d9480f; }
svg.chart .input-size { stroke: #8c959f; stroke-dasharray: 2 3; }
svg.chart .area { fill: #fdae6b; fill-opacity: 0.75; stroke: #e6550d; stroke-width: 1; }
svg.chart .phase { fill: transparent; }
svg.chart .phase.forward { fill: #f1f8ff; }
svg.chart .phase.backward { fill: #fff8f0; }
svg.chart .phase.optimizer { fill: #f3f0ff; }
svg.chart .hit { fill: transparent; }
svg.chart .peak { fill: #bd3100; }
svg.chart .peak-label { fill: #bd3100; font-weight: 600; }
.legend { font-size: 0.85em; color: var(--muted); }
.legend .swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 4px; }
ul.problems { padding-left: 18px; margin: 0; }
ul.problems li { margin: 2px 0; }
.severity-error { color: #cf222e; font-weight: 600; }
.severity-warning { color: #9a6700; font-weight: 600; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #cf222e; font-weight: 600; }
pre { font: 12px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
pre.verify { background: var(--soft); padding: 8px; border-radius: 6px; max-height: 50vh; overflow: auto; white-space: pre; }
#panel { position: fixed; top: 12px; right: 12px; bottom: 12px; width: min(460px, 45vw); background: #fff;
  border: 1px solid var(--line); border-radius: 8px; box-shadow: 0 8px 24px rgba(0,0,0,.18); padding: 12px 14px;
  overflow: auto; z-index: 10; }
#panel[hidden] { display: none; }
#panel h2 { font-size: 1.05em; word-break: break-all; padding-right: 36px; }
#panel button { position: absolute; top: 8px; right: 8px; font-size: 1.2em; background: none; border: 0; cursor: pointer; }
@media (max-width: 700px) {
  body { padding: 10px 10px 40px; font-size: 14px; }
  #panel { top: auto; left: 0; right: 0; bottom: 0; width: auto; max-height: 55vh; border-radius: 10px 10px 0 0; }
  .drawing { max-height: 70vh; }
}
@media print {
  body { padding: 0; font-size: 10pt; }
  nav, .hint, #panel { display: none !important; }
  .scroll, .drawing, .table-box, .chart-box { overflow: visible; max-height: none; border: 0; }
  .drawing svg { width: 100%; height: auto; }
  svg.chart { min-width: 0; }
  th { position: static; }
  section { break-inside: auto; }
  .chart-figure, dl.totals, h2, h3 { break-inside: avoid; break-after: avoid-page; }
  a { color: inherit; text-decoration: none; }
}
"""

SCRIPT = """
(function () {
  "use strict";
  var texts = JSON.parse(document.getElementById("cnncalc-explain").textContent);
  var panel = document.getElementById("panel");
  var heading = panel.querySelector("h2");
  var body = panel.querySelector("pre");
  function select(name) {
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    document.querySelectorAll("[data-name]").forEach(function (e) {
      if (e.getAttribute("data-name") === name) { e.classList.add("selected"); }
    });
  }
  function show(name) {
    if (!Object.prototype.hasOwnProperty.call(texts, name)) { return; }
    heading.textContent = name;
    body.textContent = texts[name];
    panel.hidden = false;
    panel.scrollTop = 0;
    select(name);
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-name]");
    if (target && !panel.contains(target)) { show(target.getAttribute("data-name")); }
  });
  panel.querySelector("button").addEventListener("click", function () { panel.hidden = true; });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { panel.hidden = true; } });
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("th");
    heads.forEach(function (th, column) {
      th.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        var numeric = th.classList.contains("num");
        function key(row) {
          var cell = row.cells[column];
          var value = cell.getAttribute("data-v");
          return numeric ? parseFloat(value === null ? cell.textContent : value) : cell.textContent;
        }
        function place(row) { return parseInt(row.cells[0].textContent, 10); }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var order = numeric ? x - y : x.localeCompare(y);
          if (descending) { order = -order; }
          return order === 0 ? place(a) - place(b) : order;  // ties in file order
        });
        rows.forEach(function (row) { tbody.appendChild(row); });
      });
    });
  });
})();
"""


def write(page: Page, stream) -> None:
    stream.write(html(page))


def html(page: Page) -> str:
    report = page.report
    name = report.name or report.file
    sections = [
        ("totals", "Totals", _totals(page)),
        ("drawing", "The network", _drawing(page)),
        ("layers", "Layers", _table(report)),
        ("per-layer", "Per layer: parameters, MACs, memory", _per_layer(report)),
        ("fields", "Receptive field and jump by depth", _fields(page)),
        ("memory", "Memory over a run", _memory(page)),
        ("lint", "Lint", _lint(page)),
        ("verify", "Verification", _verify(page)),
    ]
    nav = "".join(f'<a href="#{key}">{escape(heading)}</a>' for key, heading, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{escape(heading)}</h2>\n{content}\n</section>\n' for key, heading, content in sections
    )
    # "<" only ever stands inside JSON strings: as \u003c it can never end the script element
    # early (</script>) nor open a comment in it (<!--).
    explain = dumps(page.explain).replace("<", "\\u003c")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(name)}: cnncalc report</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(name)}</h1>"
        f'<p class="sub">{escape(title(report))}; from {escape(report.file)}, by cnncalc {__version__}</p>'
        f"<nav>{nav}</nav></header>\n<main>\n{body}</main>\n"
        '<aside id="panel" hidden aria-live="polite"><button type="button" aria-label="close">&#x2715;</button>'
        "<h2></h2><pre></pre></aside>\n"
        f'<script type="application/json" id="cnncalc-explain">{explain}</script>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _totals(page: Page) -> str:
    lines = list(totals_lines(page.report))
    if page.training:
        peak = max(page.training, key=lambda moment: moment.bytes)
        where = f", at {peak.layer}" if peak.layer else ""
        lines.append(
            (
                "training step",
                f"peak {bytes_text(peak.bytes)} in the {peak.phase}{where} "
                f"({page.optimizer}, weights and optimizer state included)",
            )
        )
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" for label, text in lines)
    return f'<dl class="totals">{rows}</dl>'


def _drawing(page: Page) -> str:
    return (
        '<p class="hint">Click a layer for its arithmetic (the text of <code>cnncalc explain</code>). '
        "Boxes are module instances.</p>"
        f'<div class="scroll drawing">{svg(page.diagram, standalone=False)}</div>'
    )


def _table(report) -> str:
    head = '<th class="num">#</th>' + "".join(
        f'<th class="{"num" if c.numeric else "text"}">{escape(c.header)}</th>' for c in COLUMNS
    )
    head += '<th class="num">MACs %</th>'
    total_macs = report.totals.macs
    rows = []
    for n, layer in enumerate(report.layers, 1):
        cells = [f'<td class="num">{n}</td>']
        for c in COLUMNS:
            value = c.value(layer)
            text = c.text(value)
            if c.numeric:
                sort = _sort_value(value)
                cells.append(f'<td class="num" data-v="{sort}">{escape(text)}</td>')
            else:
                cells.append(f"<td>{escape(text)}</td>")
        share = layer.macs / total_macs * 100 if total_macs else 0
        cells.append(f'<td class="num" data-v="{share:.4f}">{share:.1f}</td>')
        rows.append(f'<tr data-name="{escape(layer.name)}">{"".join(cells)}</tr>')
    return (
        '<p class="hint">Click a column to sort by it, a row for the layer\'s arithmetic.</p>'
        f'<div class="scroll table-box"><table class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody></table></div>"
    )


def _sort_value(value) -> str:
    """A number to sort by: the value, the largest axis of a field, or above all for global."""
    if value == GLOBAL:
        return "1e300"
    if isinstance(value, tuple):
        return f"{max(value, default=0):g}"
    return str(value)


def _per_layer(report) -> str:
    names = [layer.name for layer in report.layers]
    parts = []
    for label, values, text in (
        ("parameters", [layer.params for layer in report.layers], count_text),
        ("MACs", [layer.macs for layer in report.layers], si_text),
        ("activation memory (output, whole batch)", [layer.activation_bytes for layer in report.layers], bytes_text),
    ):
        high = max(values, default=0)
        top = names[values.index(high)] if high else ""
        caption = f"{label}: largest {text(high)}" + (f" ({top})" if top else "")
        parts.append(
            f'<figure class="chart-figure"><h3>{escape(caption)}</h3><div class="chart-box">'
            f"{charts.bars(names, values, text, label)}</div></figure>"
        )
    return '<p class="hint">One bar per layer, in file order; click a bar for its arithmetic.</p>' + "".join(parts)


def _fields(page: Page) -> str:
    """The largest receptive field and jump among the layers at each depth (the number of
    layers on the longest path from the input)."""
    report = page.report
    by_name = {layer.name: layer for layer in report.layers}
    depth = {}
    points: dict = {}
    for name in page.run_order:
        layer = by_name[name]
        depth[name] = 1 + max((depth.get(i, 0) for i in layer.inputs), default=0)
        field = layer.receptive_field
        if field == GLOBAL:
            continue
        size, jump, names = points.get(depth[name], (0, 0, []))
        names.append(name)
        points[depth[name]] = (max(size, *field.size), max(jump, *field.jump), names)
    spatial = report.input[1:]
    series = [(d, *points[d]) for d in sorted(points)]
    chart = charts.field_chart(series, max(spatial, default=1), "receptive field and jump by depth")
    global_from = next((name for name in page.run_order if by_name[name].receptive_field == GLOBAL), None)
    notes = (
        '<p class="legend"><span class="swatch" style="background:#d9480f"></span>receptive field (input pixels, '
        'the largest axis) <span class="swatch" style="background:#1971c2"></span>jump (dashed), log scale; '
        "depth: layers on the longest path from the input."
    )
    if global_from:
        notes += f" From {escape(global_from)} on, units see the whole input (global)."
    return notes + f'</p><figure class="chart-figure"><div class="chart-box">{chart}</div></figure>'


def _memory(page: Page) -> str:
    report = page.report
    parts = [
        '<p class="hint">What is held at each moment; hover for the layer. Weights and optimizer state are in '
        "the training step's figure, not in inference's.</p>",
        f"<h3>Inference, batch {report.batch}, {escape(report.dtype)}: activations alive while each layer runs</h3>",
        f'<figure class="chart-figure"><div class="chart-box">'
        f"{charts.timeline(page.inference, bytes_text, 'inference memory')}</div></figure>",
    ]
    if page.training:
        parts += [
            f"<h3>A training step ({escape(page.optimizer)}): forward, backward, optimizer step</h3>",
            f'<figure class="chart-figure"><div class="chart-box">'
            f"{charts.timeline(page.training, bytes_text, 'training memory')}</div></figure>",
        ]
    return "".join(parts)


def _lint(page: Page) -> str:
    if not page.problems:
        return '<p class="ok">All checks passed: no lint findings.</p>'
    items = "".join(
        f'<li><span class="severity-{escape(p.severity)}">{escape(p.severity)}</span> line {p.line}:{p.column} '
        f"[{escape(p.rule)}] {escape(p.message)}</li>"
        for p in page.problems
    )
    count = f"{len(page.problems)} finding{'s' if len(page.problems) != 1 else ''}"
    return f'<p>{count}:</p><ul class="problems">{items}</ul>'


def _verify(page: Page) -> str:
    if page.verification is None:
        return (
            '<p class="legend">Not run: <code>cnncalc report --verify</code> runs the network in NumPy and holds '
            "every figure against it.</p>"
        )
    from io import StringIO

    from .verification import verdict, write

    text = StringIO()
    write(page.verification, "table", text)
    css = "bad" if page.verification.mismatches else "ok"
    return (
        f'<p class="{css}">{escape(verdict(page.verification))}</p><pre class="verify">{escape(text.getvalue())}</pre>'
    )


__all__ = ["Page", "html", "write"]
