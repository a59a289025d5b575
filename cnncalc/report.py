"""The report of ``cnncalc summarize``: the figures of every layer (analysis.py, per example)
with the bytes they take for a batch and a dtype (memory.py).

>>> report = analyze_file("architectures/vgg16.yaml")
>>> report.totals.params, report.layers[0].activation_bytes
(138357544, 12845056)
"""

from __future__ import annotations

from .analysis import propagate
from .files import read
from .graph import Graph, build
from .memory import DTYPE_BYTES, activation_bytes, check_batch, liveness
from .record import Record, plain


class LayerReport(
    Record,
    fields="name type inputs shape params trainable_params buffers macs activation_bytes receptive_field weights spec "
    "module live_bytes count count_params",
):
    """The figures of one layer (analysis.LayerFigures) with its bytes: ``activation_bytes``
    of its output for the batch, ``live_bytes`` alive once it has run (memory.liveness);
    ``count`` and ``count_params``: its figures under a counting convention
    (``summarize --count-as``, cnncalc/conventions/), else None."""

    __slots__ = ()


class Totals(
    Record,
    fields="params trainable_params frozen_params buffers macs flops activation_bytes param_bytes buffer_bytes input_bytes "
    "peak_live_bytes",
):
    """Sums over all layers; byte counts use the report's batch and dtype."""

    __slots__ = ()


class Report(Record, fields="name file input batch dtype layers totals counted"):
    """The whole answer for one file; ``counted``: the counting convention's totals
    (conventions.Counted) when one was asked for, else None."""

    __slots__ = ()

    def to_dict(self) -> dict:
        """The JSON report of shared/SPEC.md section 3, as plain data; under a counting
        convention, with ``convention`` (its name, tool, unit...), each layer's ``count`` and
        ``count_params`` and the totals' ``count`` and ``count_params``."""
        data = {
            "name": self.name,
            "input": list(self.input),
            "batch": self.batch,
            "dtype": self.dtype,
            "layers": [
                {
                    "name": layer.name,
                    "type": layer.type,
                    "inputs": list(layer.inputs),
                    "shape": list(layer.shape),
                    "params": layer.params,
                    "trainable_params": layer.trainable_params,
                    "buffers": layer.buffers,
                    "macs": layer.macs,
                    "activation_bytes": layer.activation_bytes,
                    "receptive_field": plain(layer.receptive_field),
                    "module": layer.module[-1][0] if layer.module else "",
                    "live_bytes": layer.live_bytes,
                }
                for layer in self.layers
            ],
            "totals": dict(self.totals._asdict()),
        }
        if self.counted is not None:
            from .conventions import to_dict

            to_dict(self, data)
        return data


def analyze_file(path: str, batch: int = 1, dtype: str = "float32") -> Report:
    """Reads, builds and analyzes one architecture file; see ``analyze_network``."""
    return analyze_network(read(path), batch, dtype)


def analyze_network(network, batch: int = 1, dtype: str = "float32") -> Report:
    """Builds and analyzes a file's network (``spec.NetworkSpec``). Refuses, as ``check``
    would, an ``expect: values`` answer the file gives nothing to compute
    (homework.check_given), so that summarize, explain and lint agree with check on what a
    valid file is."""
    from .homework import check_given

    graph = build(network)
    report = analyze(graph, batch, dtype)
    check_given(graph, report)
    return report


def analyze(graph: Graph, batch: int = 1, dtype: str = "float32") -> Report:
    """The figures of every layer of ``graph`` and what they take for ``batch`` examples of
    ``dtype``."""
    return report_of(graph, propagate(graph), batch, dtype)


def report_of(graph: Graph, figures, batch: int = 1, dtype: str = "float32") -> Report:
    """The report of ``graph`` from figures already propagated (``analysis.propagate``): a
    sweep over batch sizes, or lint checking a budget, propagates once."""
    width = check_batch(batch, dtype)
    shapes = {layer.name: layer.shape for layer in figures.layers}
    live = liveness(graph, shapes, figures.input, batch, width)
    layers = tuple(
        LayerReport(
            **layer._asdict(),
            activation_bytes=activation_bytes(layer.shape, batch, dtype),
            live_bytes=after,
            count=None,
            count_params=None,
        )
        for layer, after in zip(figures.layers, live.after)
    )
    params = figures.params
    trainable = sum(layer.trainable_params for layer in layers)
    macs = sum(layer.macs for layer in layers)
    totals = Totals(
        params=params,
        trainable_params=trainable,
        frozen_params=params - trainable,
        buffers=figures.buffers,
        macs=macs,
        flops=2 * macs,
        activation_bytes=sum(layer.activation_bytes for layer in layers),
        param_bytes=params * width,
        buffer_bytes=figures.buffers * width,
        input_bytes=activation_bytes(figures.input, batch, dtype),
        peak_live_bytes=live.peak,
    )
    return Report(figures.name, figures.file, figures.input, batch, dtype, layers, totals, None)


__all__ = ["DTYPE_BYTES", "LayerReport", "Report", "Totals", "analyze", "analyze_file", "report_of"]
