"""The NumPy reference executor: runs an architecture on real arrays.

It checks the report independently of the arithmetic in ``analysis``:

- shapes are those of the arrays each layer's ``forward`` returns;
- parameters and buffers are counted from the arrays the forward pass consumed (made from
  each layer's ``weights`` declaration, or given in the file), so a wrong declaration
  breaks the computation instead of slipping through;
- MACs are counted by the kernels from the sizes of the contractions they run.

Dead arrays are dropped after their last consumer, and the executor measures the peak of
live activation bytes as it goes (each layer's output counted as an array of its own, as the
report's liveness counts it). A layer that is the last reader of an array the executor made
may write its output into it (``Kernels.into``): no allocation, no page faults.

>>> from cnncalc.spec import parse
>>> from cnncalc.source import parse as read_yaml
>>> from cnncalc.graph import build
>>> graph = build(parse(read_yaml("input: [3, 8, 8]\\nlayers: [{conv: {filters: 4, kernel: 3}}]\\n")))
>>> run = execute(graph)
>>> run.layers[0].shape, run.layers[0].params, run.layers[0].macs
((4, 6, 6), 112, 3888)
"""

from __future__ import annotations

import numpy as np

from .errors import LayerError, SpecError
from .kernels import Kernels
from .record import Record
from .spec import INPUT_NAME

# Random values drawn for one weight array at most; a larger one repeats them.
DRAWN = 2**20


class LayerRun(Record, fields="name shape params buffers macs"):
    """What running one layer measured: output shape (no batch), array sizes, MACs per example."""

    __slots__ = ()


class Execution(Record, fields="layers outputs weights peak_bytes weight_bytes"):
    """``layers`` in file order; ``outputs`` and ``weights`` (layer -> {array name: array})
    for the layers named in ``execute(keep=)``."""

    __slots__ = ()


class Arrays(dict):
    """A layer's arrays by name, knowing which of them are ``buffers`` (from the declarations
    they were made from), so a run counts parameters and buffers without asking the layer
    type again: for EfficientNet-B0's 250 layers that asking was 3 ms of a 63 ms forward."""

    buffers: frozenset = frozenset()


def make_arrays(weights, rng, dtype, args=None, probe: bool = False) -> Arrays:
    """Arrays for a layer's ``weights`` declarations: values given in the file where there are
    any, else random per each declaration's ``init``. ``probe`` makes every learnable array
    positive and every additive one zero, so any change of the input passes through."""
    arrays = Arrays()
    arrays.buffers = frozenset(weight.name for weight in weights if weight.buffer)
    for weight in weights:
        given = None if args is None else args.get(weight.name)
        if isinstance(given, tuple):
            arrays[weight.name] = np.array(given, dtype=dtype).reshape(weight.shape)
            continue
        if isinstance(given, (int, float)) and not isinstance(given, bool):  # one number for every entry
            arrays[weight.name] = np.full(weight.shape, given, dtype=dtype)
            continue
        init = weight.init
        # Draw in the target precision: VGG's fc6 alone is 100M values.
        draw = np.dtype(dtype) if np.dtype(dtype) in (np.float32, np.float64) else np.dtype(np.float64)
        if probe:
            values = np.zeros(weight.shape) if init == "small" else rng.uniform(0.5, 1.5, weight.shape)
        elif isinstance(init, (int, float)):
            values = np.full(weight.shape, float(init))
        elif init == "fan_in":
            # Kaiming-uniform, as PyTorch initialises: U(-b, b) with b = sqrt(6 / fan_in).
            # Beyond DRAWN values the draw repeats (VGG's fc6 alone is 100M values: drawing
            # them all took most of a verify); no figure depends on the values.
            fan_in = max(int(np.prod(weight.shape[1:])), 1)
            size = int(np.prod(weight.shape))
            values = rng.random(min(size, DRAWN), dtype=draw)
            values *= np.asarray(2 * np.sqrt(6.0 / fan_in), dtype=draw)
            values -= np.asarray(np.sqrt(6.0 / fan_in), dtype=draw)
            values = (values if size <= DRAWN else np.resize(values, size)).reshape(weight.shape)
        elif init == "small":
            values = 0.1 * rng.standard_normal(weight.shape)
        elif init == "one":
            values = 1.0 + 0.1 * rng.standard_normal(weight.shape)
        elif init == "positive":
            values = rng.uniform(0.5, 1.5, weight.shape)
        else:
            raise ValueError(f"unknown init {init!r} for {weight.name}")
        arrays[weight.name] = values.astype(dtype, copy=False)
    return arrays


def run_layer(node, xs, weights_arrays, kernels: Kernels):
    """One layer's forward pass, with the file position added to its errors."""
    spec = node.spec
    try:
        return spec.type.forward(spec.args, xs, weights_arrays, kernels)
    except LayerError as error:
        raise SpecError.at(spec.arg_loc(error.arg), f'layer "{node.name}" ({spec.written_type}): {error}') from None


def _owner(array):
    """The array that owns ``array``'s memory (itself, or the base NumPy gives a view of it),
    or None where NumPy does not say: a view of a view made by ``as_strided``, of a buffer."""
    base = array.base
    if base is None:
        return array
    return base if type(base) is np.ndarray and base.base is None else None


def _aliases(out, owner, array) -> bool:
    """Whether ``out`` (owned by ``owner``, ``_owner(out)``) may share memory with ``array``.
    Arrays of one owner may (a view of a view made by NumPy's indexing, reshaping or
    transposing has the owner as its base); of two owners, never. A bounds check otherwise.
    Comparing owners, not bounds, cost ~1 us less a layer (EfficientNet-B0's 250 layers ask
    several times each: its batchnorms hold four arrays)."""
    if owner is not None:
        other = _owner(array)
        if other is not None:
            return owner is other
    return np.may_share_memory(out, array)


def execute(
    graph, batch: int = 1, seed: int = 0, dtype="float32", inputs=None, keep=(), weights=None, progress=None
) -> Execution:
    """Runs ``graph`` on a random batch (or on ``inputs``, shaped ``(N, *input)``).

    ``keep`` names layers whose output and weight arrays to return (``"all"``: every one).
    ``weights`` (layer -> {array name: array}, e.g. a previous run's) skips making them.
    ``progress(done, total, what)`` is called after each layer (a progress bar's callback).
    """
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = rng.standard_normal((batch, *graph.input_shape)).astype(dtype)
    batch = inputs.shape[0]
    consumers: dict = {}
    for node in graph.nodes:
        for name in node.inputs:
            consumers[name] = consumers.get(name, 0) + 1
    live = {INPUT_NAME: inputs}
    # Arrays the executor made and nobody else holds (not the caller's inputs, not a kept
    # output, not a view of an array that another layer still reads, nor of weights): a
    # layer that is the last to read one may write its result into it (Kernels.into).
    owned: set = set()
    live_bytes = peak = inputs.nbytes
    weight_bytes = 0
    runs: dict = {}
    kept: dict = {}
    kept_weights: dict = {}
    for done, node in enumerate(graph.in_order(), 1):
        xs = [live[name] for name in node.inputs]
        if weights is None:
            declared = node.spec.type.weights(node.spec.args, tuple(x.shape[1:] for x in xs))
            arrays = make_arrays(declared, rng, dtype, node.spec.args)
        else:
            arrays = weights[node.name]
        buffers = getattr(arrays, "buffers", None)
        if buffers is None and arrays:  # arrays given as a plain dict: the declarations say which are buffers
            declared = node.spec.type.weights(node.spec.args, tuple(x.shape[1:] for x in xs))
            buffers = {w.name for w in declared if w.buffer}
        handed = tuple([name in owned and consumers[name] == 1 for name in node.inputs])
        kernels = Kernels(handed)
        out = run_layer(node, xs, arrays, kernels)
        owner = _owner(out)
        # An output that is an input, or a view of one (identity, dropout, crop, chunk), makes
        # that input's memory another layer's too: from now on nobody may write into it.
        sharing = [name for name, x, given in zip(node.inputs, xs, handed) if not given and _aliases(out, owner, x)]
        if sharing:
            owned.difference_update(sharing)
        mine = not sharing and not (keep == "all" or node.name in keep)
        params = buffer_values = 0
        for name, array in arrays.items():  # one loop: what the run counts, and whether out is a weight's
            weight_bytes += array.nbytes
            if name in buffers:
                buffer_values += array.size
            else:
                params += array.size
            if mine and _aliases(out, owner, array):
                mine = False
        if mine:
            owned.add(node.name)
        runs[node.name] = LayerRun._make((node.name, out.shape[1:], params, buffer_values, kernels.macs // batch))
        live[node.name] = out
        live_bytes += out.nbytes
        peak = max(peak, live_bytes)
        if keep == "all" or node.name in keep:
            kept[node.name] = out
            kept_weights[node.name] = arrays
        for name in node.inputs:
            consumers[name] -= 1
            if consumers[name] == 0 and name in live:
                live_bytes -= live.pop(name).nbytes
        if consumers.get(node.name, 0) == 0:  # nobody reads it: the network's output
            live_bytes -= live.pop(node.name).nbytes
        if progress is not None:
            progress(done, len(graph.nodes), "running the network")
    return Execution(tuple(runs[node.name] for node in graph.nodes), kept, kept_weights, peak, weight_bytes)
