"""The course notes' memory accounting (CS231n, "Convolutional Neural Networks", "VGGNet
in detail"): per layer the values its output holds and its weights without biases.
``cnncalc summarize FILE --format notes`` prints it (``formats/notes.py``).
"""

from __future__ import annotations

from .layers.base import prod
from .record import Record
from .spec import INPUT_NAME


class NotesRow(Record, fields="name shape values weights weights_text"):
    """One line of the course notes' memory table: ``values`` held by the layer's output
    (one example), ``weights`` its learnable values without biases, and how they add up."""

    __slots__ = ()


def notes_memory(report) -> list:
    """The course notes' accounting (CS231n, "VGGNet in detail"): the input, then every
    layer that holds an output of its own, counted in values, not bytes. An activation that
    may overwrite its input (``LayerType.inplace``: ReLU, dropout, softmax) does when nothing
    else reads that input, so it adds nothing; a view (flatten) adds nothing either.
    Weights leave the biases out, as the notes' table does.

    >>> from cnncalc.report import analyze_file
    >>> rows = notes_memory(analyze_file("architectures/vgg16.yaml"))
    >>> rows[1].values, rows[1].weights_text
    (3211264, '(3*3*3)*64 = 1,728')
    """
    readers: dict = {}
    for layer in report.layers:
        for name in layer.inputs:
            readers[name] = readers.get(name, 0) + 1
    rows = [NotesRow(INPUT_NAME, tuple(report.input), prod(report.input), 0, "0")]
    for layer in report.layers:
        kind = layer.spec.type
        overwrites = kind.inplace and len(layer.inputs) == 1 and readers.get(layer.inputs[0], 0) == 1
        if kind.output_is_view or overwrites:
            continue
        arrays = [w for w in layer.weights if not w.buffer and not w.bias]
        count = sum(prod(w.shape) for w in arrays)
        terms = " + ".join(_weights_term(w.shape) for w in arrays)
        text = f"{terms} = {count:,}" if arrays and "*" in terms or len(arrays) > 1 else f"{count:,}"
        rows.append(NotesRow(layer.name, tuple(layer.shape), prod(layer.shape), count, text))
    return rows


def _weights_term(shape: tuple) -> str:
    """The notes' way: a filter's values times the filters, ``(3*3*64)*128``; a matrix
    ``inputs*outputs``. Arrays are stored outputs first (PyTorch's layout)."""
    if len(shape) > 2:
        return f"({'*'.join(str(n) for n in (*shape[2:], shape[1]))})*{shape[0]}"
    return "*".join(str(n) for n in reversed(shape))
