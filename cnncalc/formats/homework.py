"""How homework mode writes: checked answers, worked arithmetic, computed values."""

from __future__ import annotations

from .json import dumps

FIELD_NAMES = {
    "shape": "output shape",
    "params": "parameters",
    "size": "output size",
    "macs": "MACs",
    "receptive_field": "receptive field",
    "values": "values",
    "trainable_params": "trainable parameters",
    "buffers": "buffers",
    "activation_bytes": "activation bytes",
    "arrays": "learnable arrays (PyTorch's layout)",
}


def write_check(verdicts, format_name: str, stream) -> None:
    if format_name == "json":
        stream.write("[" + ",\n ".join(dumps(v.to_dict()) for v in verdicts) + "]\n")
        return
    for v in verdicts:
        what = f"{v.loc}: {v.layer} {FIELD_NAMES.get(v.field, v.field)}: {_show(v.expected)}"
        if v.correct:
            stream.write(f"{what} is right\n")
            continue
        stream.write(f"{what} is wrong; the answer is {_answer(v)}\n")
        for line in v.work:
            stream.write(f"    {line}\n")
    right = sum(1 for v in verdicts if v.correct)
    if not verdicts:
        stream.write(
            "no answers to check: add `expect:` under a layer, e.g. `expect: {shape: [8, 28, 28], params: 608}`\n"
        )
    else:
        count = f"{len(verdicts)} answer{'s' if len(verdicts) != 1 else ''}"
        stream.write(f"\n{count}: {right} right, {len(verdicts) - right} wrong\n")


def write_explain(report, work_by_layer: dict, stream) -> None:
    for name, work in work_by_layer.items():
        layer = next(layer for layer in report.layers if layer.name == name)
        stream.write(f"{name} ({layer.type}), output {list(layer.shape)} (channels first)\n")
        for field in ("shape", "params", "arrays", "size", "macs", "receptive_field"):
            lines = work[field]
            if not lines:
                continue
            stream.write(f"  {FIELD_NAMES[field]}:\n")
            for line in lines:
                stream.write(f"    {line}\n")
        stream.write("\n")


def write_values(values: dict, report, stream, switches: dict | None = None) -> None:
    """Every layer's output; ``switches`` (layer name -> per channel a grid of input
    positions) adds where each maximum of a max pooling came from."""
    for layer in report.layers:
        array = values[layer.name]
        stream.write(f"{layer.name} ({layer.type}), output {list(layer.shape)}:\n")
        stream.write(_grid(array) + "\n\n")
        if switches and layer.name in switches:
            stream.write(
                "  switches, the input position (row, column) each maximum came from (what unpooling puts back;\n"
                "  PyTorch's return_indices gives row * W + column):\n"
            )
            grids = switches[layer.name]
            for c, grid in enumerate(grids):
                if len(grids) > 1:
                    stream.write(f"  channel {c}:\n")
                rows = grid if grid and isinstance(grid[0], list) else [grid]
                for row in rows:
                    stream.write("  [" + ", ".join("(" + ", ".join(map(str, place)) + ")" for place in row) + "]\n")
            stream.write("\n")


def _grid(array) -> str:
    """A 2-D map as rows; more channels one after another; a vector on one line."""
    if array.ndim <= 1:
        return "  " + dumps(_tidy(array.tolist()))
    if array.ndim == 2:
        return "  [" + ",\n   ".join(dumps(_tidy(row)) for row in array.tolist()) + "]"
    if array.shape[0] == 1:
        return _grid(array[0])
    return "\n".join(f"  channel {c}:\n{_grid(channel)}" for c, channel in enumerate(array))


def _tidy(values):
    from ..homework import tidy

    return tidy(values, 6)


def _answer(verdict) -> str:
    """The right answer, written the way the student wrote theirs."""
    answer = verdict.answer
    if verdict.field == "shape" and isinstance(verdict.expected, str):
        order = (*answer[1:], answer[0]) if len(answer) > 1 else answer
        return "x".join(str(n) for n in order) + (" (H x W x C)" if len(answer) == 3 else "")
    return _show(answer)


def _show(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if hasattr(value, "_asdict"):
        return ", ".join(f"{k} {list(v)}" for k, v in value._asdict().items())
    return str(value) if not isinstance(value, list) else dumps(value)
