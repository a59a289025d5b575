"""``--format csv``: one row per layer with raw figures, for spreadsheets and scripts."""

from __future__ import annotations

from ..geometry import GLOBAL
from .columns import COLUMNS, rows, shape_text

# Lists go into one cell each: axes joined by "x", inputs by spaces.
HEADER = [
    "name",
    "type",
    "inputs",
    "shape",
    "params",
    "trainable_params",
    "buffers",
    "macs",
    "activation_bytes",
    "rf_size",
    "rf_jump",
    "rf_start",
]


def cell(value) -> str:
    """One CSV cell as RFC 4180 (and Python's csv module) writes it: quoted only where it
    holds a comma, a quote or a line break, quotes doubled. (The csv module imports ``re``,
    which alone costs more than a summary; see tests/test_layering.py.)"""
    text = str(value)
    if any(special in text for special in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_row(stream, values) -> None:
    stream.write(",".join(cell(value) for value in values) + "\n")


def write(report, stream, depth: int | None = None) -> None:
    counted = report.counted
    extra = []
    if counted is not None:  # --count-as: the tool's figure and parameters, named after it
        unit = counted.convention.unit.lower().replace("-", "_")
        extra = [f"{counted.convention.name}_{unit}", f"{counted.convention.name}_params"]
    write_row(stream, HEADER + extra)
    for layer in rows(report, depth):
        field = layer.receptive_field
        rf = [GLOBAL] * 3 if field == GLOBAL else [shape_text(part) for part in field]
        write_row(
            stream,
            [
                layer.name,
                layer.type,
                " ".join(layer.inputs),
                shape_text(layer.shape),
                layer.params,
                layer.trainable_params,
                layer.buffers,
                layer.macs,
                layer.activation_bytes,
                *rf,
                *([_number(layer.count), layer.count_params] if counted is not None else []),
            ],
        )


def _number(value):
    """A count as a cell: whole, or the float a tool keeps (ptflops' fractions)."""
    return value if isinstance(value, int) else float(value)


__all__ = ["write", "COLUMNS"]
