"""``--format table`` (the default): a rich table on a terminal, aligned plain text otherwise.

Plain text when piped keeps ``cnncalc summarize f.yaml | grep conv`` free of escape codes
and box drawing, and costs no rich import. ``--color`` decides as formats.color says.

On a narrow terminal the rich table never cuts a figure short: numbers and shapes keep their
full width, long layer names wrap, and when even that does not fit, the least
needed columns are left out (jump first, then memory, type, RF), with a note saying so.
"""

from __future__ import annotations

from .columns import Column, columns, rows, title, totals_lines

# Which columns go first when the terminal is too narrow for all of them.
DROP_ORDER = ("macs_share", "rf_jump", "activation_bytes", "type", "rf_size")
# The rich table's own column (the plain table, csv and json are a contract and keep theirs):
# each row's share of the network's MACs, as a bar and a percentage.
SHARE = Column("macs_share", "MACs %", lambda layer: layer.macs, str, False)
BAR_WIDTH = 6
EIGHTHS = "▏▎▍▌▋▊▉"
# Only layer names wrap (a shape or a count cut in two reads as two numbers), down to this.
WRAPPING = "name"
NARROWEST_NAME = 8


def write(report, stream, depth: int | None = None, color: str = "auto") -> None:
    from .color import wanted

    if wanted(color, stream):
        _write_rich(report, stream, depth)
    else:
        _write_plain(report, stream, depth)


def _cells(report, depth) -> list:
    shown = columns(report)
    return [[c.text(c.value(layer)) for c in shown] for layer in rows(report, depth)]


def _write_plain(report, stream, depth) -> None:
    shown_columns = columns(report)
    rows = [[c.header for c in shown_columns], *_cells(report, depth)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(shown_columns))]
    stream.write(title(report) + "\n\n")
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if c.numeric else cell.ljust(w) for cell, w, c in zip(row, widths, shown_columns)]
        stream.write("  ".join(cells).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write("\n")
    label_width = max(len(label) for label, _ in totals_lines(report))
    for label, text in totals_lines(report):
        stream.write(f"{label.ljust(label_width)}  {text}\n")


def share_bar(part: int, whole: int, largest: int) -> str:
    """``part`` of ``whole`` as a percentage, after a bar of up to BAR_WIDTH characters (in
    eighths) that ``largest`` fills; nothing for none.

    >>> share_bar(1, 4, 2), share_bar(0, 4, 2), share_bar(2, 4, 2)
    ('███     25.0%', '', '██████  50.0%')
    """
    if not whole or not part:
        return ""
    full, rest = divmod(round(part / largest * BAR_WIDTH * 8), 8)
    bar = "█" * full + (EIGHTHS[rest - 1] if rest else "")
    return f"{bar:<{BAR_WIDTH}} {part / whole:>6.1%}"


def _write_rich(report, stream, depth) -> None:
    from rich.console import Console

    console = Console(file=stream, force_terminal=True)
    layers = rows(report, depth)
    # The bar beside the MACs it shows; under --count-as the tool's figure stands alone.
    base = columns(report)
    shown_columns = (*base[:5], SHARE, *base[5:]) if report.counted is None else base
    largest = max((layer.macs for layer in layers), default=0)
    cells = [
        [
            share_bar(layer.macs, report.totals.macs, largest) if c is SHARE else c.text(c.value(layer))
            for c in shown_columns
        ]
        for layer in layers
    ]
    headers = [c.header for c in shown_columns]
    numeric = {c.header for c in shown_columns if c.numeric}
    drop = [c.header for key in DROP_ORDER for c in shown_columns if c.key == key]
    wrapping = next(c.header for c in shown_columns if c.key == WRAPPING)
    print_rich_table(console, title(report), headers, cells, numeric, drop, wrapping)
    print_totals(console, totals_lines(report))


def print_rich_table(console, title_text, headers, rows, numeric, drop_order, wrapping) -> None:
    """A rich table that never cuts a figure short: only the ``wrapping`` column's cells
    wrap, down to NARROWEST_NAME; when even that does not fit, the columns of
    ``drop_order`` are left out in turn, with a note saying so."""
    from rich.table import Table
    from rich.text import Text  # cells as Text: layer names are never read as markup

    widths = {name: max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(headers)}
    shown = list(headers)

    def needed(columns) -> int:  # each column: its text, a space either side and a rule
        return sum(min(widths[c], NARROWEST_NAME) if c == wrapping else widths[c] for c in columns) + (
            3 * len(columns) + 1
        )

    for name in drop_order:
        if needed(shown) <= console.width:
            break
        shown = [c for c in shown if c != name]
    table = Table(title=Text(title_text), title_justify="left", header_style="bold")
    for name in shown:
        justify = "right" if name in numeric else "left"
        if name == wrapping:
            table.add_column(name, justify=justify, overflow="fold", min_width=min(widths[name], NARROWEST_NAME))
        else:
            table.add_column(name, justify=justify, no_wrap=True, min_width=widths[name])
    index = [headers.index(name) for name in shown]
    for row in rows:
        table.add_row(*(Text(row[i]) for i in index))
    console.print(table)
    if len(shown) < len(headers):
        left_out = ", ".join(name for name in headers if name not in shown)
        console.print(Text(f"(left out at this width: {left_out}; a wider terminal or --format csv shows them)"))


def print_totals(console, lines) -> None:
    """``(label, text)`` pairs, labels in bold."""
    from rich.table import Table
    from rich.text import Text

    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold")
    totals.add_column()
    for label, text in lines:
        totals.add_row(Text(label), Text(text))
    console.print(totals)
