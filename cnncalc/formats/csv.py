"""``--format csv``: one row per layer with raw figures, for spreadsheets and scripts."""

from __future__ import annotations

import csv

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


def write(report, stream, depth: int | None = None) -> None:
    out = csv.writer(stream, lineterminator="\n")
    out.writerow(HEADER)
    for layer in rows(report, depth):
        field = layer.receptive_field
        rf = [GLOBAL] * 3 if field == GLOBAL else [shape_text(part) for part in field]
        out.writerow(
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
            ]
        )


__all__ = ["write", "COLUMNS"]
