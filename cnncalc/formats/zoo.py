"""``cnncalc zoo``: the zoo's networks with their input, parameters and MACs (text or json)."""

from __future__ import annotations

from .columns import shape_text
from .json import dumps


def write(entries: list, format_name: str, stream) -> None:
    """``entries``: dicts of ``name``, ``title``, ``input``, ``params`` and ``macs``."""
    if format_name == "json":
        stream.write("[" + ",\n ".join(dumps(entry) for entry in entries) + "]\n")
        return
    header = ("name", "network", "input", "params", "MACs")
    rows = [header] + [
        (e["name"], e["title"] or "", shape_text(e["input"]), f"{e['params']:,}", f"{e['macs']:,}") for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if i >= 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        stream.write("  ".join(cells).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write("\n`cnncalc summarize NAME` reports one of them, from any folder.\n")
