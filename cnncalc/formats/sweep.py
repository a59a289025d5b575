"""How ``cnncalc sweep`` reports a ``sweep.Sweep``: a table (rich on a terminal, plain when
piped), CSV with raw figures, or JSON (``Sweep.to_dict``)."""

from __future__ import annotations

from .columns import aligned, bytes_text, count_text, field_text, print_table
from .json import dumps


def write(result, format_name: str, stream, color: str = "auto") -> None:
    if format_name == "json":
        stream.write(dumps(result.to_dict()) + "\n")
    elif format_name == "csv":
        _csv(result, stream)
    else:
        from .color import wanted

        _table(result, stream, wanted(color, stream))


def _setting(value) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def field_header(result) -> str:
    layer = result.layer or next((p.figures.field_layer for p in result.points if p.figures), None)
    return f"RF ({layer})" if layer else "RF"


def header(result) -> list:
    cells = [*(axis.name for axis in result.axes), "params", "MACs", "inference", "training"]
    if result.budget is not None:
        cells.append("largest batch")
    return [*cells, field_header(result), ""]


def title(result) -> str:
    """What the columns measure (the table's headers are kept short for narrow terminals)."""
    swept = {axis.name for axis in result.axes}
    at = "" if "batch" in swept else f"batch {result.batch}, "
    text = (
        f"{result.name or result.file}: {at}{result.dtype}; inference: weights and the peak of live activations; "
        f"training: one step with {result.optimizer}"
    )
    if result.budget is not None:
        text += f"; largest batch: training, in {bytes_text(result.budget)}"
    return text


def rows(result) -> list:
    found = []
    for point in result.points:
        settings = [_setting(value) for value in point.settings]
        figures = point.figures
        if figures is None:
            blanks = 5 + (result.budget is not None)
            found.append([*settings, *(["-"] * blanks), f"invalid: {point.error}"])
            continue
        cells = [
            count_text(figures.params),
            count_text(figures.macs),
            bytes_text(figures.inference_bytes),
            bytes_text(figures.training_bytes),
        ]
        if result.budget is not None:
            cells.append(count_text(figures.largest_training_batch))
        field = "global" if figures.field is None else field_text(figures.field.size)
        found.append([*settings, *cells, field, over_text(point)])
    return found


def over_text(point) -> str:
    """The note of a point that breaks a budget: which limits."""
    return f"over budget: {', '.join(point.over)}" if point.over else ""


def _table(result, stream, rich: bool) -> None:
    cells = [header(result), *rows(result)]
    numeric = [True] * (len(cells[0]) - 1) + [False]
    heading = title(result)
    if not any(row[-1] for row in cells[1:]):  # no point invalid or over budget: no note column
        cells = [row[:-1] for row in cells]
        numeric = numeric[:-1]
    if rich:
        from rich.console import Console
        from rich.text import Text

        console = Console(file=stream, force_terminal=True)
        styles = ["red" if point.figures is None else "yellow" if point.over else None for point in result.points]
        notes = (
            [row[len(result.axes) :] and row[-1] for row in cells[1:]]
            if len(cells[0]) > len(header(result)) - 1
            else []
        )
        table_cells = [row[:-1] for row in cells] if notes else cells
        print_table(console, table_cells, numeric[: len(table_cells[0])], styles, heading)
        for point, note in zip(result.points, notes):  # below the table: a narrow column would hide them
            if note:
                settings = ", ".join(f"{axis.name} {_setting(v)}" for axis, v in zip(result.axes, point.settings))
                console.print(Text(f"{settings}: {note}", style="red" if point.figures is None else "yellow"))
        return
    stream.write(heading + "\n\n" + "\n".join(aligned(cells, numeric)) + "\n")


CSV_FIGURES = (
    "params",
    "macs",
    "inference_bytes",
    "training_bytes",
    "largest_training_batch",
    "largest_inference_batch",
    "field_layer",
    "rf_size",
    "error",
)


def _csv(result, stream) -> None:
    from .csv import cell

    columns = (*CSV_FIGURES, "over_budget") if result.budgets else CSV_FIGURES
    lines = [",".join(cell(name) for name in (*(axis.name for axis in result.axes), *columns))]
    for point in result.points:
        settings = [_setting(value) for value in point.settings]
        figures = point.figures
        if figures is None:
            values = [""] * (len(CSV_FIGURES) - 1) + [point.error] + ([""] if result.budgets else [])
        else:
            field = "global" if figures.field is None else "x".join(map(str, figures.field.size))
            values = [
                figures.params,
                figures.macs,
                figures.inference_bytes,
                figures.training_bytes,
                "" if figures.largest_training_batch is None else figures.largest_training_batch,
                "" if figures.largest_inference_batch is None else figures.largest_inference_batch,
                figures.field_layer or "",
                field,
                "",
                *([" ".join(point.over)] if result.budgets else []),
            ]
        lines.append(",".join(cell(value) for value in (*settings, *values)))
    stream.write("\n".join(lines) + "\n")
