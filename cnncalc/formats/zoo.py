"""``cnncalc zoo``: the zoo's networks with their input, parameters, MACs, peak inference
memory and last feature map's receptive field (text, markdown or json)."""

from __future__ import annotations

from .columns import bytes_text, shape_text
from .json import dumps

HEADER = ("name", "network", "input", "params", "MACs", "peak memory", "last map's field")
NOTE = (
    "Peak memory: the most activations alive at once in inference, batch 1, float32 (`cnncalc memory`). "
    "The field: the receptive field of the last layer that still has a map, in input pixels "
    "(global where a squeeze-and-excitation gate already lets every unit see the whole input)."
)


def write(entries: list, format_name: str, stream) -> None:
    """``entries``: dicts of ``name``, ``title``, ``input``, ``params``, ``macs``,
    ``peak_bytes`` and ``last_map_field`` (app.zoo_entry)."""
    if format_name == "json":
        stream.write("[" + ",\n ".join(dumps(entry) for entry in entries) + "]\n")
        return
    rows = [_cells(entry) for entry in entries]
    if format_name == "markdown":
        stream.write("| " + " | ".join(HEADER) + " |\n|" + "|".join(["---"] * 3 + ["---:"] * 4) + "|\n")
        for row in rows:
            stream.write("| " + " | ".join([f"`{row[0]}`", *row[1:]]) + " |\n")
        stream.write(f"\n{NOTE}\n")
        return
    rows = [HEADER, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if i >= 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        stream.write("  ".join(cells).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write(f"\n{NOTE}\n`cnncalc summarize NAME` reports one of them, from any folder.\n")


def _cells(entry: dict) -> tuple:
    field = entry["last_map_field"]
    return (
        entry["name"],
        entry["title"] or "",
        shape_text(entry["input"]),
        f"{entry['params']:,}",
        f"{entry['macs']:,}",
        bytes_text(entry["peak_bytes"]),
        "global" if field is None else "x".join(str(n) for n in field),
    )
