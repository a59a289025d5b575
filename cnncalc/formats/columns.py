"""The columns of a per-layer report and how their values read as text.

Shared by the table, csv and markdown formats so that all three show the same figures.
"""

from __future__ import annotations

from ..geometry import GLOBAL
from ..record import Record


class Column(Record, fields="key header value text numeric"):
    """``value(layer)`` is the raw figure; ``text(raw)`` how people read it."""

    __slots__ = ()


def shape_text(shape) -> str:
    return "x".join(str(n) for n in shape)


def axes_text(values) -> str:
    """One number when every axis agrees (``3``), else one per axis (``3x5``)."""
    values = [number_text(v) for v in values]
    return values[0] if len(set(values)) == 1 else "x".join(values)


def number_text(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def field_part(part: str):
    def value(layer):
        field = layer.receptive_field
        return GLOBAL if field == GLOBAL else getattr(field, part)

    return value


def field_text(value) -> str:
    return value if value == GLOBAL else axes_text(value)


def count_text(n: int) -> str:
    return f"{n:,}"


def bytes_text(n: int) -> str:
    """Binary units, three significant figures: ``12.3 MiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{n:.3g} {unit}" if n < 100 else f"{n:.0f} {unit}"
        n /= 1024
    raise AssertionError


def si_text(n: int) -> str:
    """Decimal units for operation counts: ``15.5 G``."""
    for unit, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}" if n < 100 * scale else f"{n / scale:.0f} {unit}"
    return str(n)


COLUMNS = (
    Column("name", "layer", lambda layer: layer.name, str, False),
    Column("type", "type", lambda layer: layer.type, str, False),
    Column("shape", "output", lambda layer: layer.shape, shape_text, False),
    Column("params", "params", lambda layer: layer.params, count_text, True),
    Column("macs", "MACs", lambda layer: layer.macs, count_text, True),
    Column("activation_bytes", "memory", lambda layer: layer.activation_bytes, bytes_text, True),
    Column("rf_size", "RF", field_part("size"), field_text, True),
    Column("rf_jump", "jump", field_part("jump"), field_text, True),
)


def rows(report, depth: int | None = None) -> list:
    """The report's layers, with module instances nested deeper than ``depth`` folded into
    one row each (named after the instance, typed by its module): parameters, MACs and
    memory summed, shape and receptive field those of the instance's output, inputs the
    rows that feed it. An input inside a folded instance is named by the instance."""
    if depth is None:
        return list(report.layers)
    # In order of first appearance: a layer record, or the name (a str) of a folded instance.
    # Layer records are tuples themselves, so the two must not both be tuples.
    order, members, row_of = [], {}, {}
    for layer in report.layers:
        if len(layer.module) <= depth:
            order.append(layer)
            row_of[layer.name] = layer.name
            continue
        instance, module = layer.module[depth]
        if instance not in members:
            members[instance] = (module, [])
            order.append(instance)
        members[instance][1].append(layer)
        row_of[layer.name] = instance

    def inputs(layers, row: str) -> tuple:
        names = [row_of.get(name, name) for layer in layers for name in layer.inputs]
        return tuple(dict.fromkeys(name for name in names if name != row))

    return [
        _folded(item, *members[item], inputs(members[item][1], item))
        if isinstance(item, str)
        else item._replace(inputs=inputs([item], item.name))
        for item in order
    ]


def _folded(instance: str, module: str, layers: list, inputs: tuple):
    """One row for a module instance's layers."""
    output = next((layer for layer in layers if layer.name == f"{instance}.output"), layers[-1])
    return output._replace(
        name=instance,
        type=module,
        inputs=inputs,
        params=sum(layer.params for layer in layers),
        trainable_params=sum(layer.trainable_params for layer in layers),
        buffers=sum(layer.buffers for layer in layers),
        macs=sum(layer.macs for layer in layers),
        activation_bytes=sum(layer.activation_bytes for layer in layers),
        count=None if output.count is None else sum(layer.count for layer in layers),
        count_params=None if output.count_params is None else sum(layer.count_params for layer in layers),
    )


def count_text_any(n) -> str:
    """A count under a convention: a whole number, or the float a tool keeps (ptflops)."""
    return f"{n:,}" if isinstance(n, int) else f"{float(n):,.6g}"


def columns(report) -> tuple:
    """The columns of ``report``: COLUMNS, or under a counting convention (``--count-as``)
    with the tool's parameters and figure in place of cnncalc's (headed ``thop params``,
    ``thop MACs``)."""
    if report.counted is None:
        return COLUMNS
    convention = report.counted.convention
    replaced = {
        "params": Column(
            "count_params", f"{convention.name} params", lambda layer: layer.count_params, count_text, True
        ),
        "macs": Column(
            "count", f"{convention.name} {convention.unit}", lambda layer: layer.count, count_text_any, True
        ),
    }
    return tuple(replaced.get(column.key, column) for column in COLUMNS)


def counted_lines(report) -> list:
    """The totals under a counting convention, and what else the tool prints (torchinfo)."""
    counted = report.counted
    if counted is None:
        return []
    convention = counted.convention
    per = f"a batch of {counted.batch}" if counted.batch != 1 else "a batch of 1"
    lines = [
        (
            f"{convention.name} {convention.unit}",
            f"{counted.total:,} ({si_text(counted.total)}), params {counted.params:,}: as {convention.tool} counts {per}"
            f" (`cnncalc conventions {convention.name}`)",
        )
    ]
    lines += [(f"{convention.name}: {label}", text) for label, _, text in counted.extra]
    return lines


def title(report) -> str:
    name = report.name or report.file
    return f"{name}: input {shape_text(report.input)}, batch {report.batch}, {report.dtype}"


def totals_lines(report) -> list:
    """``(label, text)`` pairs summarising the totals."""
    t = report.totals
    params = f"{t.params:,} ({bytes_text(t.param_bytes)})"
    if t.frozen_params:
        params += f": {t.trainable_params:,} trainable, {t.frozen_params:,} frozen"
    lines = [("params", params)]
    if t.buffers:
        lines.append(("buffers", f"{t.buffers:,} ({bytes_text(t.buffer_bytes)})"))
    lines += [
        ("MACs", f"{t.macs:,} ({si_text(t.macs)}), FLOPs {t.flops:,} ({si_text(t.flops)})"),
        *counted_lines(report),
        (
            "activations",
            f"{bytes_text(t.activation_bytes)} (all layer outputs), peak live {bytes_text(t.peak_live_bytes)}, "
            f"input {bytes_text(t.input_bytes)}",
        ),
    ]
    return lines


def without_empty_columns(rows: list, numeric) -> tuple:
    """``(rows, numeric)`` without the columns that are empty below the header."""
    keep = [i for i in range(len(rows[0])) if any(row[i] for row in rows[1:])] if len(rows) > 1 else range(len(rows[0]))
    return [tuple(row[i] for i in keep) for row in rows], tuple(numeric[i] for i in keep)


def aligned(rows: list, numeric) -> list:
    """Plain-text lines of a table: ``rows[0]`` the header, underlined; columns whose
    ``numeric`` flag is set right-aligned, the others left."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if right else cell.ljust(w) for cell, w, right in zip(row, widths, numeric)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:  # a column without a header (marks, notes) goes without the rule too
            lines.append("  ".join(("-" if header else " ") * w for header, w in zip(row, widths)).rstrip())
    return lines


def print_table(console, rows: list, numeric, styles=None, title: str | None = None) -> None:
    """A table on a rich ``console`` (a terminal): ``rows[0]`` the header, ``styles`` one rich
    style (or None) per row below it; cells are Text, never read as markup. A table wider
    than the terminal is printed as plain aligned lines instead, which the terminal wraps
    whole: rich would cut figures short or fold them."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    styles = styles or [None] * (len(rows) - 1)
    if sum(widths) + 3 * len(widths) + 1 > console.width:  # padding either side and a rule a column
        if title:
            console.print(Text(title), soft_wrap=True)
        lines = aligned(rows, numeric)
        for n, line in enumerate(lines):
            style = "bold" if n == 0 else None if n == 1 else styles[n - 2]
            console.print(Text(line, style=style or ""), soft_wrap=True)
        return
    # Lines under the header only: vertical rules would cost three characters a column.
    table = Table(
        title=None if title is None else Text(title), title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    for header, right in zip(rows[0], numeric):
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    for row, style in zip(rows[1:], styles):
        table.add_row(*(Text(cell) for cell in row), style=style)
    console.print(table)


def signed(n: int) -> str:
    """A change in a count: ``+5,309,696``, ``-1,024``, ``0``."""
    return f"{n:+,}" if n else "0"


def signed_bytes(n: int) -> str:
    """A change in bytes: ``+3.06 MiB``, ``-512 B``, ``0``."""
    return ("+" if n > 0 else "-") + bytes_text(abs(n)) if n else "0"


def percent_text(before, after) -> str:
    """``(+3.84%)``, or ``(new)`` from nothing; empty without a change."""
    if before == after or before is None or after is None:
        return ""
    return "(new)" if not before else f"({(after - before) * 100 / before:+.3g}%)"
