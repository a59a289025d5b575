"""How ``cnncalc verify`` reports: a table of every layer's checks and a one-line verdict,
or JSON (``Verification.to_dict``)."""

from __future__ import annotations

from ..geometry import GLOBAL
from .columns import axes_text, bytes_text, count_text, shape_text
from .json import dumps

MARKS = {True: "ok", False: "MISMATCH", None: "-"}


def write(result, format_name: str, stream) -> None:
    if format_name == "json":
        stream.write(dumps(result.to_dict()) + "\n")
        return
    rows = _rows(result)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    for check in result.mismatches:
        stream.write(
            f"{check.layer}: {check.field}: the report says {_value(check.field, check.expected)}, "
            f"the executor measured {_value(check.field, check.measured)}\n"
        )
    for check in result.unmeasured:
        stream.write(f"{check.layer}: {check.field} not measured: {check.note}\n")
    stream.write("\n" + verdict(result) + "\n")


def verdict(result) -> str:
    layers = len({check.layer for check in result.checks})
    memory = f"peak live activations {bytes_text(result.peak_bytes)}"
    if result.mismatches:
        return f"FAILED: {len(result.mismatches)} of {len(result.checks)} figures disagree ({layers} layers; {memory})"
    unmeasured = f", {len(result.unmeasured)} not measurable" if result.unmeasured else ""
    return (
        f"verified: all {len(result.checks)} figures of {layers} layers agree with the executor{unmeasured} ({memory})"
    )


def _rows(result) -> list:
    header = ["layer", "shape", "params", "buffers", "MACs", "receptive field"]
    by_layer: dict = {}
    for check in result.checks:
        by_layer.setdefault(check.layer, {})[check.field] = check
    rows = [header]
    for layer, checks in by_layer.items():
        rows.append(
            [layer] + [_cell(checks[field]) for field in ("shape", "params", "buffers", "macs", "receptive_field")]
        )
    return rows


def _cell(check) -> str:
    if check.ok is None:
        return "-"
    return MARKS[check.ok] if check.ok else f"MISMATCH ({_value(check.field, check.measured)})"


def _value(field: str, value) -> str:
    if value is None:
        return "nothing"
    if field == "shape":
        return shape_text(value)
    if field == "receptive_field":
        if value == GLOBAL:
            return GLOBAL
        return f"size {axes_text(value.size)}, jump {axes_text(value.jump)}, start {axes_text(value.start)}"
    return count_text(value)
