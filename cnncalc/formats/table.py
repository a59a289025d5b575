"""``--format table`` (the default): a rich table on a terminal, aligned plain text otherwise.

Plain text when piped keeps ``cnncalc summarize f.yaml | grep conv`` free of escape codes
and box drawing, and costs no rich import.
"""

from __future__ import annotations

from .columns import COLUMNS, rows, title, totals_lines


def write(report, stream, depth: int | None = None) -> None:
    if getattr(stream, "isatty", lambda: False)():
        _write_rich(report, stream, depth)
    else:
        _write_plain(report, stream, depth)


def _cells(report, depth) -> list:
    return [[c.text(c.value(layer)) for c in COLUMNS] for layer in rows(report, depth)]


def _write_plain(report, stream, depth) -> None:
    rows = [[c.header for c in COLUMNS], *_cells(report, depth)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    stream.write(title(report) + "\n\n")
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if c.numeric else cell.ljust(w) for cell, w, c in zip(row, widths, COLUMNS)]
        stream.write("  ".join(cells).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write("\n")
    label_width = max(len(label) for label, _ in totals_lines(report))
    for label, text in totals_lines(report):
        stream.write(f"{label.ljust(label_width)}  {text}\n")


def _write_rich(report, stream, depth) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text  # cells as Text: layer names are never read as markup

    console = Console(file=stream)
    table = Table(title=Text(title(report)), title_justify="left", header_style="bold")
    for c in COLUMNS:
        table.add_column(c.header, justify="right" if c.numeric else "left", no_wrap=True)
    for row in _cells(report, depth):
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold")
    totals.add_column()
    for label, text in totals_lines(report):
        totals.add_row(Text(label), Text(text))
    console.print(totals)
