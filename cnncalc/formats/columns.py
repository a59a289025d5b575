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
