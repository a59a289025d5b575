"""How ``cnncalc diff`` reports a ``diff.Diff``: text (a rich table on a terminal, plain when
piped), markdown for a pull-request comment, or JSON (``Diff.to_dict``)."""

from __future__ import annotations

from ..diff import ADDED, CHANGED, FIELD, REMOVED, RENAMED, TOTALS
from ..geometry import GLOBAL
from .columns import (
    aligned,
    bytes_text,
    count_text,
    field_text,
    percent_text,
    print_table,
    shape_text,
    signed,
    signed_bytes,
    without_empty_columns,
)
from .json import dumps

MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~", RENAMED: "~"}
STYLES = {ADDED: "green", REMOVED: "red", CHANGED: "yellow", RENAMED: "yellow"}
LAYER_HEADER = ("", "layer", "type", "output", "params", "MACs", "memory", "RF", "what changed")
LAYER_NUMERIC = (False, False, False, False, True, True, True, True, False)
TOTALS_HEADER = ("", "before", "after", "change")


def write(result, format_name: str, stream, color: str = "auto") -> None:
    if format_name == "json":
        stream.write(dumps(result.to_dict()) + "\n")
    elif format_name == "markdown":
        _markdown(result, stream)
    else:
        from .color import wanted

        _text(result, stream, wanted(color, stream))


def title(result, arrow: str = "->") -> str:
    old, new = result.old, result.new
    names = f"{old.name or old.file} {arrow} {new.name or new.file}"
    return f"{names} ({old.file} {arrow} {new.file}), batch {result.after.batch}, {result.after.dtype}"


def summary(result) -> str:
    counts = result.counts()
    text = f"{counts[ADDED]} layers added, {counts[REMOVED]} removed, {counts[CHANGED]} changed"
    if counts[RENAMED]:
        text += f", {counts[RENAMED]} renamed"
    if counts[FIELD]:
        text += f"; {counts[FIELD]} more with only their receptive field changed"
    return text if result.changed else "no change"


def layer_rows(result, arrow: str = "->") -> list:
    """The cells of every added, removed, changed or renamed layer."""
    rows = []
    for row in result.rows:
        if row.status not in MARKS:
            continue
        old, new = row.old, row.new
        either = new or old
        sign = -1 if row.status == REMOVED else 1
        params = sign * either.params if old is None or new is None else new.params - old.params
        macs = sign * either.macs if old is None or new is None else new.macs - old.macs
        memory = (
            sign * either.activation_bytes
            if old is None or new is None
            else new.activation_bytes - old.activation_bytes
        )
        rows.append(
            (
                MARKS[row.status],
                _pair(old and old.name, new and new.name, str, arrow),
                _pair(old and old.type, new and new.type, str, arrow),
                _pair(old and old.shape, new and new.shape, shape_text, arrow),
                signed(params),
                signed(macs),
                signed_bytes(memory),
                _pair(old and _rf(old), new and _rf(new), str, arrow),
                "; ".join(f"{c.what} {_value(c.before)} {arrow} {_value(c.after)}" for c in row.changes),
            )
        )
    return rows


def _pair(before, after, show, arrow: str) -> str:
    if before is None or after is None or before == after:
        return show(after if after is not None else before)
    return f"{show(before)} {arrow} {show(after)}"


def _rf(layer) -> str:
    field = layer.receptive_field
    return field_text(field if field == GLOBAL else field.size)


def _value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        text = "[" + ", ".join(_value(item) for item in value) + "]"
        return text if len(text) <= 40 else text[:37] + "..."
    return "none" if value is None else str(value)


def field_note(result, arrow: str = "->") -> str | None:
    """One line for the layers whose receptive field alone changed."""
    moved = [row for row in result.rows if row.status == FIELD]
    if not moved:
        return None
    shown = next((row for row in moved if row.new.name == result.after.field_layer), moved[-1])
    return (
        f"{len(moved)} more layers with only their receptive field changed "
        f"(e.g. {shown.new.name}: {_rf(shown.old)} {arrow} {_rf(shown.new)})"
    )


def totals_rows(result) -> list:
    """``(label, before, after, change)`` of the totals and the headline figures."""
    old, new, before, after = result.old.totals, result.new.totals, result.before, result.after
    rows = []
    for key, label in TOTALS:
        a, b = getattr(old, key), getattr(new, key)
        if (
            key in ("trainable_params", "buffers")
            and a == old.params * (key == "trainable_params")
            and (b == new.params * (key == "trainable_params"))
        ):
            continue  # every parameter trainable, no buffers: nothing to say
        bytes_figure = key.endswith("bytes")
        show = bytes_text if bytes_figure else count_text
        change = (signed_bytes if bytes_figure else signed)(b - a)
        rows.append((label, show(a), show(b), f"{change} {percent_text(a, b)}".strip()))
    for _, label, a, b in result.counted_totals():
        rows.append((label, count_text(a), count_text(b), f"{signed(b - a)} {percent_text(a, b)}".strip()))
    at = f"batch {after.batch}"
    memory = (
        (f"inference memory ({at})", before.inference_bytes, after.inference_bytes),
        (f"training memory ({at}, {after.optimizer})", before.training_bytes, after.training_bytes),
    )
    for label, a, b in memory:
        rows.append((label, bytes_text(a), bytes_text(b), f"{signed_bytes(b - a)} {percent_text(a, b)}".strip()))
    if after.budget is not None:
        for kind in ("training", "inference"):
            a, b = getattr(before, f"largest_{kind}_batch"), getattr(after, f"largest_{kind}_batch")
            label = f"largest {kind} batch in {bytes_text(after.budget)}"
            rows.append((label, count_text(a), count_text(b), f"{signed(b - a)} {percent_text(a, b)}".strip()))
    if before.field_layer or after.field_layer:
        layers = (
            before.field_layer
            if before.field_layer == after.field_layer
            else (f"{before.field_layer} / {after.field_layer}")
        )
        a, b = _size(before.field), _size(after.field)
        change = ""
        if before.field is not None and after.field is not None and len(set(a.split("x") + b.split("x"))) <= 2:
            change = signed(int(b.split("x")[0]) - int(a.split("x")[0])) if a != b else "0"
        rows.append((f"receptive field ({layers})", a, b, change))
    return rows


def _size(field) -> str:
    return "-" if field is None else field_text(field.size)


def budget_lines(result) -> list:
    """One line per limit (``ok`` or ``OVER``), the old version's figure alongside."""
    lines = []
    for check in result.budgets:
        mark = "OVER" if check.over else "ok"
        lines.append(f"{mark:4}  {check.message}{_before(check)}")
    return lines


def _before(check) -> str:
    """The old version's figure, where it differs."""
    if check.before is None or check.before == check.after:
        return ""
    if isinstance(check.before, tuple):
        return f"; before: {'x'.join(map(str, check.before))}"
    return f"; before: {check.before:,}" if isinstance(check.before, int) else f"; before: {check.before}"


def verdict_text(result) -> str | None:
    if not result.budgets:
        return None
    broken = [check for check in result.budgets if check.over]
    if broken:
        return f"verdict: over budget ({len(broken)} of {len(result.budgets)} limits broken)"
    return f"verdict: within budget (all {len(result.budgets)} limits hold)"


def _text(result, stream, rich: bool) -> None:
    layers, numeric = without_empty_columns([LAYER_HEADER, *layer_rows(result)], LAYER_NUMERIC)
    totals = [TOTALS_HEADER, *totals_rows(result)]
    notes = [summary(result)]
    if rich:
        from rich.console import Console
        from rich.text import Text

        console = Console(file=stream, force_terminal=True)
        console.print(Text(title(result), style="bold"))
        console.print(Text(notes[0]))
        if len(layers) > 1:
            styles = [STYLES[row.status] for row in result.rows if row.status in MARKS]
            print_table(console, layers, numeric, styles)
        for line in filter(None, [field_note(result)]):
            console.print(Text(line))
        print_table(console, totals, (False, True, True, True))
        for line in budget_lines(result):
            console.print(Text(line, style="red" if line.startswith("OVER") else None))
        verdict = verdict_text(result)
        if verdict:
            console.print(Text(verdict, style="bold red" if "over" in verdict else "bold green"))
        return
    out = [title(result), notes[0], ""]
    if len(layers) > 1:
        out += [*aligned(layers, numeric), ""]
    note = field_note(result)
    if note:
        out += [note, ""]
    out += aligned(totals, (False, True, True, True))
    if result.budgets:
        out += ["", *budget_lines(result), verdict_text(result)]
    stream.write("\n".join(out) + "\n")


def _markdown(result, stream) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [f"**{cell(title(result, '→'))}**", "", summary(result), ""]
    out += ["| | before | after | change |", "|---|---:|---:|---:|"]
    out += ["| " + " | ".join(cell(text) for text in row) + " |" for row in totals_rows(result)]
    layers, numeric = without_empty_columns([LAYER_HEADER, *layer_rows(result, "→")], LAYER_NUMERIC)
    if len(layers) > 1:
        out += ["", "| " + " | ".join(layers[0]) + " |"]
        out.append("|" + "|".join("---:" if right else "---" for right in numeric) + "|")
        out += ["| " + " | ".join(cell(text) for text in row) + " |" for row in layers[1:]]
    note = field_note(result, "→")
    if note:
        out += ["", note]
    if result.budgets:
        out += ["", f"**{verdict_text(result)}**", ""]
        out += [f"- {'**over**' if c.over else 'ok'}: {cell(c.message + _before(c))}" for c in result.budgets]
    stream.write("\n".join(out) + "\n")
