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
    memory summed, shape and receptive field those of the instance's output."""
    if depth is None:
        return list(report.layers)
    result, members = [], {}
    for layer in report.layers:
        if len(layer.module) <= depth:
            result.append(layer)
            continue
        instance, module = layer.module[depth]
        if instance not in members:
            members[instance] = []
            result.append([instance, module])  # a list: layer reports are tuples themselves
        members[instance].append(layer)
    folded = []
    for item in result:
        if not isinstance(item, list):
            folded.append(item)
            continue
        instance, module = item
        layers = members[instance]
        output = next((layer for layer in layers if layer.name == f"{instance}.output"), layers[-1])
        folded.append(
            output._replace(
                name=instance,
                type=module,
                inputs=tuple(name for name in layers[0].inputs if not name.startswith(f"{instance}.")),
                params=sum(layer.params for layer in layers),
                trainable_params=sum(layer.trainable_params for layer in layers),
                buffers=sum(layer.buffers for layer in layers),
                macs=sum(layer.macs for layer in layers),
                activation_bytes=sum(layer.activation_bytes for layer in layers),
            )
        )
    return folded


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
        (
            "activations",
            f"{bytes_text(t.activation_bytes)} (all layer outputs), peak live {bytes_text(t.peak_live_bytes)}, "
            f"input {bytes_text(t.input_bytes)}",
        ),
    ]
    return lines
