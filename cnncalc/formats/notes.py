"""``--format notes``: the course notes' accounting of VGGNet (CS231n, "VGGNet in detail"):
per layer the output in H x W x C, the values it holds (not bytes; in-place activations
and views hold none of their own) and the weights without biases, each with its
arithmetic; then the totals, in values, in bytes for the dtype (decimal MB and binary
MiB) and in parameters with and without biases.
"""

from __future__ import annotations

from .columns import si_text


def notes_shape(shape) -> str:
    """H x W x C, the notes' order: ``224x224x64``; a flat vector as its length."""
    order = (*shape[1:], shape[0]) if len(shape) > 1 else shape
    return "x".join(str(n) for n in order)


def values_text(shape, values: int) -> str:
    """``224*224*64 = 3,211,264 (3.21M)``: the notes' arithmetic, exact, then rounded."""
    order = (*shape[1:], shape[0]) if len(shape) > 1 else shape
    short = si_text(values).replace(" ", "")
    exact = f"{values:,}" + ("" if short == str(values) else f" ({short})")
    return f"{'*'.join(str(n) for n in order)} = {exact}" if len(shape) > 1 else exact


def _size(amount: float) -> str:
    """One decimal from 1 up (58.1), three significant figures below (0.0974)."""
    return f"{amount:.1f}" if amount >= 1 else f"{amount:.3g}"


def write(report, stream) -> None:
    from ..memory import DTYPE_BYTES
    from ..notes import notes_memory

    rows = notes_memory(report)
    table = [("layer", "output", "memory (values)", "weights (no biases)")]
    table += [(row.name, notes_shape(row.shape), values_text(row.shape, row.values), row.weights_text) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    stream.write(f"{report.name or report.file}: the course notes' accounting, per example\n\n")
    for n, line in enumerate(table):
        stream.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * width for width in widths) + "\n")
    values = sum(row.values for row in rows)
    width = DTYPE_BYTES[report.dtype]
    total_bytes = values * width * report.batch
    batch = f" * batch {report.batch}" if report.batch > 1 else ""
    weights = sum(row.weights for row in rows)
    short = si_text(values).replace(" ", "")
    biases = report.totals.params - weights
    stream.write(
        f"\nTOTAL memory: {values:,} values ({short}) * {width} bytes ({report.dtype}){batch}"
        f" = {total_bytes:,} bytes = {_size(total_bytes / 10**6)} MB = {_size(total_bytes / 2**20)} MiB"
        " (forward only; the backward pass keeps about as much again)\n"
        f"TOTAL params: {weights:,} weights ({si_text(weights).replace(' ', '')}) without biases; "
        f"{report.totals.params:,} with the {biases:,} biases\n"
        "(in-place activations and views such as flatten hold no values of their own; every other output counts once)\n"
    )
