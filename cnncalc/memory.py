"""Memory: what running a network holds, from the report alone.

Inference keeps a tensor alive from the layer that makes it to its last reader; branches
keep their inputs alive until merged. ``liveness`` walks the graph in the order it runs
and gives, per layer, the bytes alive once it has run (its inputs freed if it was their
last reader) and the peak, reached while a layer runs (its inputs and its output both
alive). With ``inplace``, a layer whose type may (``LayerType.inplace``: activations,
dropout) writes over its input when nothing else reads that input.

Training (``training``) holds the parameters and the optimizer's state throughout, and
walks one step as PyTorch runs it (``zero_grad(set_to_none=True)``, forward, backward,
optimizer step): the forward pass keeps what each layer's backward pass needs
(``LayerType.saves``), the backward pass makes gradients of activations and weights and
frees what it has used; the optimizer step adds its temporaries. The step's peak is the
most held at any moment of that walk. Not counted, and the breakdown says so: the
workspace convolution algorithms take, and the loss.
"""

from __future__ import annotations

from .errors import UsageError
from .layers.base import prod
from .record import Record
from .spec import INPUT_NAME

# The largest batch any command takes (a billion examples is past any real run; beyond it
# the figures only grow digits).
MAX_BATCH = 10**9
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}

# Optimizer state per parameter, in parameter-sized arrays.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
# Temporaries of the optimizer step, in arrays the size of the largest weight: PyTorch's
# Adam updates one weight at a time through sqrt(v) and its quotient; SGD works in place.
OPTIMIZER_TEMPORARIES = {"sgd": 0, "momentum": 0, "adam": 2}


class Liveness(Record, fields="after peak peak_layer during"):
    """``after``: per layer (file order), bytes alive once it has run; ``peak`` the most alive
    at once, while ``peak_layer`` runs; ``during``: per layer (file order), bytes alive while
    it runs (its inputs and its output)."""

    __slots__ = ()


class Training(
    Record,
    fields="batch dtype params gradients optimizer_state saved_activations peak_activations total peak_phase peak_layer",
):
    """Bytes for one training step. ``params``: weights and buffers; ``saved_activations``:
    held when the forward pass ends (the input, what the backward pass needs, the outputs);
    ``peak_activations``: the most activations and their gradients held at once; ``total``:
    the step's peak, reached in ``peak_phase`` (forward, backward, optimizer step) at
    ``peak_layer``."""

    __slots__ = ()


class Moment(Record, fields="layer phase per_example fixed"):
    """A moment of a training step, while ``layer`` runs in ``phase``: ``per_example`` bytes of
    activations (the input batch, kept and in-flight tensors, their gradients) per example,
    and ``fixed`` bytes of weight gradients and optimizer temporaries."""

    __slots__ = ()


# Sizes people write for memory budgets: decimal and binary units, as `cnncalc memory --budget` reads them.
SIZE_UNITS = {
    "": 1,
    "k": 2**10,
    "kb": 10**3,
    "kib": 2**10,
    "m": 2**20,
    "mb": 10**6,
    "mib": 2**20,
    "g": 2**30,
    "gb": 10**9,
    "gib": 2**30,
    "t": 2**40,
    "tb": 10**12,
    "tib": 2**40,
}
MAX_SIZE = 2**50  # bytes: 1024 TiB, beyond any machine's memory


def size_bytes(text: str) -> int | None:
    """``24GiB``, ``512MiB``, ``2G`` (binary), ``8GB`` (decimal) or a number of bytes, exactly;
    None for anything else (``inf``, ``1e400``, ``-1GiB``, ``1_000``) or above MAX_SIZE.

    >>> size_bytes("0.5GiB"), size_bytes("8GB"), size_bytes("1e9")
    (536870912, 8000000000, None)
    """
    number = text.strip().rstrip("bBiIkKmMgGtT ")
    unit = text.strip()[len(number) :].strip().lower()
    whole, _, fraction = number.partition(".")
    # Plain decimals only: not inf, nan, 1e400, -1 or 1_000 (all of which float() reads).
    if (
        unit in SIZE_UNITS
        and 0 < len(number) <= 40
        and (whole or fraction)
        and all(part.isascii() and part.isdecimal() for part in (whole, fraction) if part)
    ):
        from fractions import Fraction  # exact: 0.5GiB is 536870912 bytes, not a float's idea of it

        size = int(Fraction(number) * SIZE_UNITS[unit])
        if size <= MAX_SIZE:
            return size
    return None


def check_batch(batch, dtype: str) -> int:
    """Bytes per value of ``dtype``, after checking both (UsageError: exit 2)."""
    if dtype not in DTYPE_BYTES:
        raise UsageError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPE_BYTES)}")
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= MAX_BATCH:
        raise UsageError(f"batch must be a whole number from 1 to {MAX_BATCH:,}, not {batch!r}")
    return DTYPE_BYTES[dtype]


def activation_bytes(shape: tuple, batch: int, dtype: str) -> int:
    """A tensor of ``shape`` (no batch) for ``batch`` examples: SPEC section 2's
    ``prod(shape) * batch * bytes(dtype)``."""
    return prod(shape) * batch * DTYPE_BYTES[dtype]


def weight_bytes(report, dtype: str) -> int:
    """Parameters and buffers, as stored."""
    return (report.totals.params + report.totals.buffers) * DTYPE_BYTES[dtype]


def run_estimate(graph, report, batch: int, dtype: str = "float32") -> int:
    """What running ``graph`` on the NumPy executor will hold at its peak, roughly from
    above: the most activations alive at once, the weights and a fixed workspace (verify
    refuses a run beyond its memory limit before allocating anything)."""
    shapes = {layer.name: layer.shape for layer in report.layers}
    peak = liveness(graph, shapes, graph.input_shape, batch, DTYPE_BYTES[dtype]).peak
    return peak + weight_bytes(report, dtype) + workspace_bytes(graph)


def workspace_bytes(graph) -> int:
    """What the kernels' blocks and the probe's lit batches hold on top of the arrays: one
    block (kernels.BLOCK_BYTES) and the probe's largest batch (probe.workspace_bytes). A
    fixed 512 MiB here once made ``--max-memory 200MB`` refuse every network."""
    from .kernels import BLOCK_BYTES
    from .probe import workspace_bytes as probe_bytes

    return BLOCK_BYTES + probe_bytes(graph)


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
    during: dict = {}
    for node in graph.in_order():
        reuses = inplace and node.spec.type.inplace and len(node.inputs) == 1 and readers[node.inputs[0]] == 1
        if not reuses:
            live += sizes[node.name]
        during[node.name] = live
        if live > peak:
            peak, peak_layer = live, node.name
        for name in node.inputs:
            readers[name] -= 1
            if readers[name] == 0 and not (reuses and name == node.inputs[0]):
                live -= sizes[name]
        after[node.name] = live
        if readers.get(node.name, 0) == 0:  # nobody reads it: the network's output, handed back
            live -= sizes[node.name]
    return Liveness(
        tuple(after[node.name] for node in graph.nodes),
        peak,
        peak_layer,
        tuple(during[node.name] for node in graph.nodes),
    )


def training(graph, report, batch: int, dtype: str = "float32", optimizer: str = "adam", mixed_precision: bool = False):
    """One training step's memory, at its peak. Mixed precision keeps float32 weights,
    gradients and optimizer state, a float16 copy of the weights, and float16 activations."""
    (weights, gradients, optimizer_state), kept, moments = _step(graph, report, dtype, optimizer, mixed_precision)
    peak = max(moments, key=lambda moment: moment.per_example * batch + moment.fixed)
    return Training(
        batch,
        dtype,
        weights,
        gradients,
        optimizer_state,
        kept * batch,
        max(moment.per_example for moment in moments) * batch,
        weights + optimizer_state + peak.per_example * batch + peak.fixed,
        peak.phase,
        peak.layer,
    )


class Instant(Record, fields="layer phase bytes"):
    """A moment of a run: while ``layer`` runs in ``phase`` (inference; forward, backward or
    optimizer step), ``bytes`` held in all."""

    __slots__ = ()


def inference_timeline(graph, report, inplace: bool = False) -> tuple:
    """Activation bytes held while each layer runs, in the order they run (``liveness``
    for the report's batch and dtype); the most is the report's ``peak_live_bytes``."""
    shapes = {layer.name: layer.shape for layer in report.layers}
    live = liveness(graph, shapes, report.input, report.batch, DTYPE_BYTES[report.dtype], inplace)
    during = dict(zip((node.name for node in graph.nodes), live.during))
    return tuple(Instant(node.name, "inference", during[node.name]) for node in graph.in_order())


def training_timeline(graph, report, optimizer: str = "adam", mixed_precision: bool = False) -> tuple:
    """Bytes held at each moment of a training step (``training``'s walk, for the report's
    batch and dtype): weights and optimizer state throughout, with the activations and
    gradients of that moment. The most is ``training(...).total``."""
    (weights, _, optimizer_state), _, moments = _step(graph, report, report.dtype, optimizer, mixed_precision)
    return tuple(
        Instant(
            moment.layer, moment.phase, weights + optimizer_state + moment.per_example * report.batch + moment.fixed
        )
        for moment in moments
    )


def largest_batch(
    graph, report, budget: int, dtype: str = "float32", optimizer: str = "adam", mixed_precision: bool = False
) -> int:
    """The largest batch whose training step fits ``budget`` bytes (0 if none does): at
    every moment of the step, activations grow with the batch and weight gradients do not."""
    (weights, _, optimizer_state), _, moments = _step(graph, report, dtype, optimizer, mixed_precision)
    room = budget - weights - optimizer_state
    largest = None
    for moment in moments:
        if room < moment.fixed:
            return 0
        fits = (room - moment.fixed) // moment.per_example  # the input alone makes it > 0
        largest = fits if largest is None else min(largest, fits)
    return max(largest or 0, 0)


def largest_inference_batch(graph, report, budget: int, inplace: bool = False) -> int:
    """The largest batch whose inference fits ``budget`` bytes (0 if none does): the weights,
    and the peak of live activations, which grows with the batch."""
    shapes = {layer.name: layer.shape for layer in report.layers}
    per_example = liveness(graph, shapes, graph.input_shape, 1, DTYPE_BYTES[report.dtype], inplace).peak
    return max(0, (budget - weight_bytes(report, report.dtype)) // per_example)


def _step(graph, report, dtype, optimizer, mixed_precision):
    """Walks a training step as PyTorch runs it, from what each layer type says its backward
    pass keeps (``LayerType.saves``): the forward pass keeps those tensors and frees the rest
    after their last reader; the backward pass, in reverse, makes each input's gradient
    (unless the layer passes its own on, ``input_grad_is_view``) and the weights' gradients,
    then frees its output's gradient and what only it kept.

    Returns ``(weights, gradients, optimizer_state)`` in bytes, the activation bytes per
    example kept when the forward pass ends, and the moments of the step (``Moment``).
    """
    width = 2 if mixed_precision else DTYPE_BYTES[dtype]
    master = 4 if mixed_precision else width
    layers = {layer.name: layer for layer in report.layers}
    trainable = report.totals.trainable_params
    weights = (report.totals.params + report.totals.buffers) * master + (trainable * 2 if mixed_precision else 0)
    fixed = (weights, trainable * master, trainable * master * OPTIMIZER_STATE[optimizer])
    nodes = list(graph.in_order())
    shapes = {INPUT_NAME: report.input, **{name: layer.shape for name, layer in layers.items()}}

    # Autograd records only what depends on a trainable weight.
    needs_grad = {INPUT_NAME: False}
    for node in nodes:
        needs_grad[node.name] = layers[node.name].trainable_params > 0 or any(needs_grad[i] for i in node.inputs)

    # Tensors live in storages: their own, or their input's for a view.
    storage = {INPUT_NAME: INPUT_NAME}
    size = {INPUT_NAME: prod(report.input) * width}
    readers: dict = {}  # storage -> forward reads (the loss reads the outputs) still to come
    keepers: dict = {}  # storage -> backward passes that still need it
    kept_by: dict = {}  # layer -> the storages its backward pass needs
    for node in nodes:
        kind = node.spec.type
        if kind.output_is_view:
            storage[node.name] = storage[node.inputs[0]]
        else:
            storage[node.name] = node.name
            size[node.name] = prod(shapes[node.name]) * width
        for name in node.inputs:
            readers[storage[name]] = readers.get(storage[name], 0) + 1
        if needs_grad[node.name]:
            in_shapes = tuple(shapes[i] for i in node.inputs)
            saved = kind.saved(node.spec.args, in_shapes)
            kept = {storage[name] for name in node.inputs} if "input" in saved else set()
            if "output" in saved:
                kept.add(storage[node.name])
            extra = kind.saved_extra_bytes(node.spec.args, in_shapes, shapes[node.name], width)
            if extra:
                kept.add(node.name + "#kept")
                size[node.name + "#kept"] = extra
            kept_by[node.name] = kept
            for key in kept:
                keepers[key] = keepers.get(key, 0) + 1
    read = {name for node in nodes for name in node.inputs}
    outputs = [node.name for node in nodes if node.name not in read]
    for name in outputs:
        readers[storage[name]] = readers.get(storage[name], 0) + 1

    def unused(key) -> bool:
        return key != INPUT_NAME and not readers.get(key) and not keepers.get(key)

    moments = []
    live = size[INPUT_NAME]  # the batch: the training loop holds it throughout
    for node in nodes:
        if storage[node.name] == node.name:
            live += size[node.name]
        if node.name + "#kept" in size:
            live += size[node.name + "#kept"]
        moments.append(Moment(node.name, "forward", live, 0))
        for name in node.inputs:
            readers[storage[name]] -= 1
        for key in {storage[name] for name in node.inputs}:
            if unused(key):
                live -= size[key]

    # The loss hands each output its gradient, and the outputs themselves go.
    gradient_of: dict = {}  # tensor -> the storage holding its gradient
    gradient_refs: dict = {}  # gradient storage -> tensors whose gradient it is
    gradient_size: dict = {}
    held_after_forward = live
    for name in outputs:
        readers[storage[name]] -= 1
        if needs_grad[name]:
            gradient_of[name] = key = "grad " + name
            gradient_refs[key], gradient_size[key] = 1, prod(shapes[name]) * width
            live += gradient_size[key]
    for key in {storage[name] for name in outputs}:
        if unused(key):
            live -= size[key]
    weight_gradients = 0
    for node in reversed(nodes):
        if node.name not in gradient_of:  # needs no gradient, or none reaches it
            continue
        kind = node.spec.type
        weight_gradients += layers[node.name].trainable_params * master
        passing = []  # gradients made here and dropped once added to an existing one
        # Layers read for their shape alone (resize's like:) take no gradient.
        shape_only = len(kind.references(node.spec.args))
        for name in dict.fromkeys(node.inputs[: len(node.inputs) - shape_only]):
            if not needs_grad[name]:
                continue
            # A broadcast input's gradient is the output's summed over the broadcast axes: new.
            if kind.input_grad_is_view and name not in gradient_of and shapes[name] == shapes[node.name]:
                gradient_of[name] = gradient_of[node.name]
                gradient_refs[gradient_of[name]] += 1
                continue
            gradient_bytes = prod(shapes[name]) * width
            live += gradient_bytes
            if name in gradient_of:
                passing.append(gradient_bytes)
            else:
                gradient_of[name] = key = "grad " + node.name + " -> " + name
                gradient_refs[key], gradient_size[key] = 1, gradient_bytes
        moments.append(Moment(node.name, "backward", live, weight_gradients))
        live -= sum(passing)
        own = gradient_of.pop(node.name)
        gradient_refs[own] -= 1
        if not gradient_refs[own]:
            live -= gradient_size[own]
        for key in kept_by.get(node.name, ()):
            keepers[key] -= 1
            if unused(key):
                live -= size[key]
    largest_weight = max(
        (
            weight.size
            for layer in report.layers
            if layer.trainable_params
            for weight in layer.weights
            if not weight.buffer
        ),
        default=0,
    )
    temporaries = largest_weight * master * OPTIMIZER_TEMPORARIES[optimizer]
    moments.append(Moment(None, "optimizer step", size[INPUT_NAME], fixed[1] + temporaries))
    return fixed, held_after_forward, moments


class Plan(Record, fields="name file mode batch dtype options parts total peak_at budget largest"):
    """What ``cnncalc memory`` answers: ``parts`` (label -> bytes) adding up to ``total``, in
    ``mode`` ("inference" or "training"); ``options`` the run's settings (optimizer and mixed
    precision, or in-place activations); ``peak_at`` where a training step peaks; with a
    ``budget``, the ``largest`` batch that fits it."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "mode": self.mode,
            "batch": self.batch,
            "dtype": self.dtype,
            **self.options,
            "bytes": dict(self.parts),
            "total_bytes": self.total,
            **({"peak_at": self.peak_at} if self.peak_at else {}),
            "workspace": "not counted",
            **({} if self.budget is None else {"budget_bytes": self.budget, "largest_batch": self.largest}),
        }


def plan(
    graph,
    report,
    train: bool = False,
    optimizer: str = "adam",
    mixed_precision: bool = False,
    inplace: bool = False,
    budget: int | None = None,
) -> Plan:
    """Inference or training memory of ``report``'s batch and dtype, and with ``budget`` the
    largest batch that fits it."""
    batch, dtype = report.batch, report.dtype
    largest = None
    if train:
        step = training(graph, report, batch, dtype, optimizer, mixed_precision)
        parts = {
            "parameters": step.params,
            "gradients": step.gradients,
            "optimizer_state": step.optimizer_state,
            "saved_activations": step.saved_activations,
            "peak_activations": step.peak_activations,
        }
        if budget is not None:
            largest = largest_batch(graph, report, budget, dtype, optimizer, mixed_precision)
        options = {"optimizer": optimizer, "mixed_precision": mixed_precision}
        return Plan(
            report.name, report.file, "training", batch, dtype, options, parts, step.total,
            {"phase": step.peak_phase, "layer": step.peak_layer}, budget, largest,
        )  # fmt: skip
    width = DTYPE_BYTES[dtype]
    shapes = {layer.name: layer.shape for layer in report.layers}
    weights = weight_bytes(report, dtype)
    live = liveness(graph, shapes, graph.input_shape, batch, width, inplace)
    if budget is not None:
        largest = largest_inference_batch(graph, report, budget, inplace)
    parts = {"parameters": weights, "peak_live_activations": live.peak}
    return Plan(
        report.name, report.file, "inference", batch, dtype, {"inplace": inplace}, parts, weights + live.peak,
        None, budget, largest,
    )  # fmt: skip
