"""The few figures a model change is judged by: parameters, MACs, inference and training
memory, the largest batch within a memory budget and the receptive field of the last map.

``cnncalc diff`` shows them before and after, ``cnncalc sweep`` for every point of a sweep,
and budgets (``cnncalc.budget``) hold them to limits. Bytes come from memory.py, counts
from the report; this module only gathers them.

>>> from cnncalc.graph import build
>>> from cnncalc.report import analyze
>>> from cnncalc.spec import read
>>> graph = build(read("architectures/vgg16.yaml"))
>>> figures = headline(graph, analyze(graph))
>>> figures.params, figures.field_layer, figures.field.size
(138357544, 'pool5', (212, 212))
"""

from __future__ import annotations

from .geometry import GLOBAL
from .record import Record


class Headline(
    Record,
    fields="params macs inference_bytes training_bytes budget largest_training_batch largest_inference_batch "
    "field_layer field batch dtype optimizer",
):
    """``inference_bytes``: weights and the peak of live activations for ``batch``;
    ``training_bytes``: the peak of one training step with ``optimizer`` (memory.training);
    with a ``budget`` (bytes), the largest batch each fits in (else None); ``field``: the
    receptive field (geometry.Field) of ``field_layer``, the last layer whose field is not
    global (the map a classifier's head reads; a fully convolutional network's output)."""

    __slots__ = ()

    def to_dict(self) -> dict:
        field = None if self.field is None else {"size": list(self.field.size), "jump": list(self.field.jump)}
        return {
            "params": self.params,
            "macs": self.macs,
            "inference_bytes": self.inference_bytes,
            "training_bytes": self.training_bytes,
            **(
                {}
                if self.budget is None
                else {
                    "budget_bytes": self.budget,
                    "largest_training_batch": self.largest_training_batch,
                    "largest_inference_batch": self.largest_inference_batch,
                }
            ),
            "field_layer": self.field_layer,
            "receptive_field": field,
        }


def last_field(report, layer: str | None = None) -> tuple:
    """``(name, Field)`` of ``layer``, or of the last layer whose field is not global;
    ``(None, None)`` when every layer's is (a network of fully connected layers)."""
    for item in reversed(report.layers):
        if (layer is None and item.receptive_field != GLOBAL) or item.name == layer:
            return item.name, None if item.receptive_field == GLOBAL else item.receptive_field
    return None, None


def headline(graph, report, optimizer: str = "adam", budget: int | None = None, layer: str | None = None) -> Headline:
    """The headline figures of ``report`` (its batch and dtype) for ``graph``."""
    from .memory import largest_batch, largest_inference_batch, training, weight_bytes

    step = training(graph, report, report.batch, report.dtype, optimizer)
    largest_training = largest_inference = None
    if budget is not None:
        largest_training = largest_batch(graph, report, budget, report.dtype, optimizer)
        largest_inference = largest_inference_batch(graph, report, budget)
    name, field = last_field(report, layer)
    return Headline(
        report.totals.params,
        report.totals.macs,
        weight_bytes(report, report.dtype) + report.totals.peak_live_bytes,
        step.total,
        budget,
        largest_training,
        largest_inference,
        name,
        field,
        report.batch,
        report.dtype,
        optimizer,
    )
