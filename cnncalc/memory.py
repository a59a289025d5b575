"""Memory: what running a network holds, from the report alone.

Inference keeps a tensor alive from the layer that makes it to its last reader; branches
keep their inputs alive until merged. ``liveness`` walks the graph in the order it runs
and gives, per layer, the bytes alive once it has run (its inputs freed if it was their
last reader) and the peak, reached while a layer runs (its inputs and its output both
alive). With ``inplace``, a layer whose type may (``LayerType.inplace``: activations,
dropout) writes over its input when nothing else reads that input.

Training (``training``) holds the parameters, their gradients, the optimizer's state and
the activations saved for the backward pass (every layer's output and the input); the
workspace of convolution algorithms is not counted, and the breakdown says so.
"""

from __future__ import annotations

from .analysis import DTYPE_BYTES
from .layers.base import prod
from .record import Record
from .spec import INPUT_NAME

# Optimizer state per parameter, in parameter-sized arrays.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}


class Liveness(Record, fields="after peak peak_layer"):
    """``after``: per layer (file order), bytes alive once it has run; ``peak`` the most alive
    at once, while ``peak_layer`` runs."""

    __slots__ = ()


class Training(Record, fields="batch dtype params gradients optimizer_state saved_activations total per_example"):
    """Bytes for one training step; ``per_example`` is the part that grows with the batch."""

    __slots__ = ()


def liveness(graph, shapes: dict, input_shape: tuple, batch: int, width: int, inplace: bool = False) -> Liveness:
    """``shapes``: layer name -> output shape (no batch); ``width``: bytes per value."""
    sizes = {INPUT_NAME: prod(input_shape) * batch * width}
    for name, shape in shapes.items():
        sizes[name] = prod(shape) * batch * width
    readers: dict = {}
    for node in graph.nodes:
        for name in node.inputs:
            readers[name] = readers.get(name, 0) + 1
    live = sizes[INPUT_NAME]
    peak, peak_layer = live, INPUT_NAME
    after: dict = {}
    for node in graph.in_order():
        reuses = inplace and node.spec.type.inplace and len(node.inputs) == 1 and readers[node.inputs[0]] == 1
        if not reuses:
            live += sizes[node.name]
        if live > peak:
            peak, peak_layer = live, node.name
        for name in node.inputs:
            readers[name] -= 1
            if readers[name] == 0 and not (reuses and name == node.inputs[0]):
                live -= sizes[name]
        after[node.name] = live
        if readers.get(node.name, 0) == 0:  # nobody reads it: the network's output, handed back
            live -= sizes[node.name]
    return Liveness(tuple(after[node.name] for node in graph.nodes), peak, peak_layer)


def training(report, batch: int, dtype: str = "float32", optimizer: str = "adam", mixed_precision: bool = False):
    """One training step's memory. Mixed precision keeps float32 master weights, gradients
    and optimizer state, with activations and a float16 copy of the weights in float16."""
    width = DTYPE_BYTES[dtype]
    params = report.totals.params
    state = OPTIMIZER_STATE[optimizer]
    values = prod(report.input) + sum(prod(layer.shape) for layer in report.layers)
    if mixed_precision:
        weights = params * (4 + 2) + report.totals.buffers * 4
        gradients = params * 4
        optimizer_state = params * 4 * state
        per_example = values * 2
    else:
        weights = (params + report.totals.buffers) * width
        gradients = params * width
        optimizer_state = params * width * state
        per_example = values * width
    saved = per_example * batch
    total = weights + gradients + optimizer_state + saved
    return Training(batch, dtype, weights, gradients, optimizer_state, saved, total, per_example)


def largest_batch(report, budget: int, **options) -> int:
    """The largest batch whose training step fits ``budget`` bytes (0 if none does)."""
    fixed = training(report, 0, **options)
    if fixed.total > budget or fixed.per_example == 0:
        return 0
    return (budget - fixed.total) // fixed.per_example
