"""``cnncalc calibrate --fit``: a device profile's framework figures fitted to measured times.

NumPy measures what the machine does (peak, bandwidths: calibrate.py); what a framework's
kernels add to it is the framework's, and only its own times show it. Given each layer's
measured time and each network's whole forward (``bench/latency.py`` writes them, one JSON
line per network: ``{"file", "forward": s, "layers": {name: s}}``), this fits the seven
figures of the time model (timing.py) that say what the framework does, each a physical
quantity with its unit:

- ``layer_overhead``: seconds to call a layer;
- ``weights_overhead``: seconds more to call one with weights or buffers;
- ``weights_bandwidth``: bytes per second at which a layer's weights are laid out for its
  kernel, on every call;
- ``small_product``: the side at which a matrix product runs at half the peak;
- ``dot_length``: the length at which a dot product (a product of side 1) does;
- ``window_rate``: values per second a window reduction reads;
- ``strided_bandwidth``: bytes per second at which a strided product's input is laid out.

The peak, the memory and the caches stay as measured. What is minimised, over the
networks given: each network's squared log error of its total (the forward, which is what
``cnncalc time`` predicts), plus a tenth of each layer's squared log error weighted by its
share of its network's time (so each figure is held to the layers it describes, not only
to a balance of totals). The search is deterministic (``fit``; no SciPy needed).

A fit is checked on networks it did not see: ``bench/run.py`` fits on half the zoo and
reports on the other half (``split``).
"""

from __future__ import annotations

import json

from .errors import UsageError
from .record import Record

FITTED = (
    "layer_overhead", "weights_overhead", "weights_bandwidth", "small_product", "dot_length", "window_rate",
    "strided_bandwidth",
)  # fmt: skip
# Where the search starts, whatever the profile says: some microseconds a call, a product
# side of 20, dot products of 100, a few hundred million values a second, some GB/s.
START = {
    "layer_overhead": 10e-6,
    "weights_overhead": 10e-6,
    "weights_bandwidth": 1e9,
    "small_product": 20.0,
    "dot_length": 100.0,
    "window_rate": 5e8,
    "strided_bandwidth": 5e9,
}
LAYER_WEIGHT = 0.1  # the layers' term against the totals'
COARSE_STEP = 1 / 64  # the one-figure-at-a-time search's last step, a factor of e**(1/64)
LEAST_SQUARES_ROUNDS = 200  # Levenberg-Marquardt's, at most (it stops when nothing moves)


class Sample(Record, fields="file forward layers"):
    """One network's measured times: ``forward`` seconds of its whole forward pass, and
    ``layers`` each layer's seconds by name."""

    __slots__ = ()


def _network_file(name: str, path: str, number: int) -> str:
    """A measured network's file: as written (from here), beside the times file (bench writes
    paths from the repository's top), or a zoo name; a UsageError at once for none of them,
    before calibrate's measuring."""
    import os

    from .zoo import resolve

    for candidate in (name, os.path.join(os.path.dirname(path), name)):
        if os.path.exists(candidate):
            return candidate
    if os.path.exists(resolve(name)):
        return name
    raise UsageError(f"{path}:{number}: error: no network file {name!r} (from here or beside {path}), nor zoo network")


def read_measured(path: str) -> list:
    """The samples in a JSON-lines file as ``bench/latency.py`` writes it."""
    samples = []
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as error:
        raise UsageError(f"{path}: error: cannot read the measured times: {error.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            sample = Sample(
                str(entry["file"]), float(entry["forward"]), {str(k): float(v) for k, v in entry["layers"].items()}
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UsageError(
                f'{path}:{number}: error: expected a JSON line {{"file": ..., "forward": seconds, "layers": '
                "{name: seconds}} (as bench/latency.py writes)"
            ) from None
        if not sample.forward > 0 or not all(seconds > 0 for seconds in sample.layers.values()):
            raise UsageError(f"{path}:{number}: error: every time must be above 0 seconds")
        samples.append(sample._replace(file=_network_file(sample.file, path, number)))
    if not samples:
        raise UsageError(f"{path}: error: no measured networks in it")
    return samples


class Table(Record, fields="network measured forward flops side inner taps bytes bandwidth weights strided weighted"):
    """Every layer of the samples as NumPy arrays, one entry a layer: its network's index,
    its measured seconds, and its forward work as timing.forward_work counts it (``side``
    0 for no product, ``inner`` that product's inner side; ``bandwidth`` the device's for its bytes, which the fit keeps;
    ``weights`` and ``strided`` bytes; ``weighted`` 1 where it has weights); ``forward`` each network's measured whole forward."""

    __slots__ = ()


def tabulate(samples: list, device, dtype: str = "float32") -> Table:
    """The samples' layers as a Table (batch 1, ``dtype``); a layer the sample lacks is a
    UsageError."""
    import numpy as np

    from .files import read
    from .graph import build
    from .report import analyze
    from .timing import time_network
    from .zoo import resolve

    columns = {name: [] for name in Table._fields if name != "forward"}
    for index, sample in enumerate(samples):
        graph = build(read(resolve(sample.file)))
        for layer in time_network(graph, analyze(graph, 1, dtype), device).layers:
            if layer.name not in sample.layers:
                raise UsageError(f"{sample.file}: error: no measured time for its layer {layer.name!r}")
            work = layer.work
            row = {
                "network": index,
                "measured": sample.layers[layer.name],
                "flops": work.flops,
                "side": work.smallest_side or 0,
                "inner": work.inner,
                "taps": work.taps,
                "bytes": work.bytes,
                "bandwidth": device.bandwidth(work.bytes),
                "weights": work.weight_bytes,
                "strided": work.strided_bytes,
                "weighted": 1 if work.weight_bytes else 0,
            }
            for name, value in row.items():
                columns[name].append(value)
    arrays = {
        name: np.array(values, dtype=np.int64 if name == "network" else float) for name, values in columns.items()
    }
    return Table(forward=np.array([sample.forward for sample in samples]), **arrays)


def predict(table: Table, peak: float, figures: dict):
    """Each layer's seconds by timing.estimate's formula, on arrays (tests hold the two
    equal): overhead + max(compute, memory) + layout."""
    import numpy as np

    side, inner = table.side, table.inner
    products = side / (side + figures["small_product"])
    dots = inner / np.maximum(inner + figures["dot_length"], 1e-30)
    efficiency = np.where((side == 1) & (inner > 1), dots, np.where(side > 0, products, 1.0))
    compute = table.flops / (peak * efficiency) + table.taps / figures["window_rate"]
    memory = table.bytes / table.bandwidth
    layout = table.weights / figures["weights_bandwidth"] + table.strided / figures["strided_bandwidth"]
    overhead = figures["layer_overhead"] + figures["weights_overhead"] * table.weighted
    return overhead + np.maximum(compute, memory) + layout


def totals(table: Table, seconds):
    """Each network's sum of ``seconds`` (one value a layer)."""
    import numpy as np

    return np.bincount(table.network, seconds, minlength=len(table.forward))


def residuals(table: Table, peak: float, figures: dict):
    """The errors whose squares ``loss`` sums: each network's log error of its total, then
    each layer's log error times the square root of its weight."""
    import numpy as np

    seconds = predict(table, peak, figures)
    network_error = np.log(totals(table, seconds) / table.forward)
    share = table.measured / totals(table, table.measured)[table.network]
    layer_error = np.log(np.maximum(seconds, 1e-12) / table.measured)
    return np.concatenate([network_error, np.sqrt(LAYER_WEIGHT * share) * layer_error])


def loss(table: Table, peak: float, figures: dict) -> float:
    """What the fit minimises (see the module's docstring)."""
    import numpy as np

    return float(np.sum(residuals(table, peak, figures) ** 2))


def fit(table: Table, device, dtype: str = "float32") -> dict:
    """The seven figures (FITTED) that minimise ``loss`` on ``table``, starting from START
    (whatever the device's own are: the same times give the same figures): first one figure
    at a time, in steps on a log scale that halve down to COARSE_STEP, then Levenberg and
    Marquardt's damped least squares, which also follows a valley along which two figures
    trade against each other (a layer's overhead and a weighted layer's)."""
    import numpy as np

    peak = device.peak_flops[dtype]

    def value(point) -> float:
        return float(np.sum(errors(point) ** 2))

    def errors(point):
        return residuals(table, peak, dict(zip(FITTED, np.exp(point))))

    point = np.log([START[name] for name in FITTED])
    best, step = value(point), 1.0
    while step >= COARSE_STEP:
        improved = False
        for index in range(len(point)):
            for move in (step, -step):
                trial = point.copy()
                trial[index] += move
                score = value(trial)
                if score < best:
                    best, point, improved = score, trial, True
        if not improved:
            step /= 2
    damping = 1e-3
    for _ in range(LEAST_SQUARES_ROUNDS):
        current = errors(point)
        jacobian = np.empty((len(current), len(point)))
        for index in range(len(point)):
            nudged = point.copy()
            nudged[index] += 1e-6
            jacobian[:, index] = (errors(nudged) - current) / 1e-6
        normal = jacobian.T @ jacobian
        gradient = jacobian.T @ current
        while damping < 1e12:
            change = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), -gradient)
            score = value(point + change)
            if score < best:
                best, point, damping = score, point + change, damping / 3
                break
            damping *= 3
        else:
            break
        if np.max(np.abs(change)) < 1e-9:
            break
    figures = dict(zip(FITTED, (float(x) for x in np.exp(point))))
    # A figure no measured layer depends on (no strided convolution, no pooling, no layer with
    # weights among the networks) is not fitted: the device's own stays (calibrate's NumPy
    # figure, or 0, "not given").
    for name in unpinned(table):
        figures[name] = getattr(device, name)
    return figures


def unpinned(table: Table) -> list:
    """The figures of FITTED that no layer of ``table`` depends on."""
    import numpy as np

    used = {
        "layer_overhead": len(table.measured) > 0,
        "weights_overhead": bool(np.any(table.weighted)),
        "weights_bandwidth": bool(np.any(table.weights)),
        "small_product": bool(np.any(table.side > 1)),
        "dot_length": bool(np.any((table.side == 1) & (table.inner > 1))),
        "window_rate": bool(np.any(table.taps)),
        "strided_bandwidth": bool(np.any(table.strided)),
    }
    return [name for name in FITTED if not used[name]]


def split(samples: list) -> tuple:
    """Two halves for a hold-out check: the samples ranked by measured forward time, every
    other one to each half (each half spans the small and the large networks alike)."""
    ranked = sorted(range(len(samples)), key=lambda index: samples[index].forward)
    first = sorted(ranked[0::2])
    second = sorted(ranked[1::2])
    return [samples[index] for index in first], [samples[index] for index in second]


def fitted_device(device, figures: dict):
    """``device`` with the fitted figures in place of its own."""
    return device._replace(**figures)


__all__ = [
    "FITTED", "Sample", "Table", "fit", "fitted_device", "loss", "predict", "read_measured", "residuals", "split",
    "tabulate",
]  # fmt: skip
