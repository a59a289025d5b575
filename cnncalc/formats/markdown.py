"""``--format markdown``: a GitHub table, then the totals, for pasting into docs and PRs."""

from __future__ import annotations

from .columns import columns, rows, title, totals_lines


def write(report, stream, depth: int | None = None) -> None:
    shown_columns = columns(report)
    stream.write(f"**{title(report)}**\n\n")
    stream.write("| " + " | ".join(c.header for c in shown_columns) + " |\n")
    stream.write("|" + "|".join("---:" if c.numeric else "---" for c in shown_columns) + "|\n")
    for layer in rows(report, depth):
        cells = (c.text(c.value(layer)).replace("|", "\\|") for c in shown_columns)
        stream.write("| " + " | ".join(cells) + " |\n")
    stream.write("\n")
    for label, text in totals_lines(report):
        stream.write(f"- **{label}**: {text}\n")
