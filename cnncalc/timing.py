"""Time: a roofline estimate of each layer on a device (device.py), and of the network.

A layer takes as long as the slower of its arithmetic and its memory traffic, plus the
fixed cost of running a layer at all, plus laying its operands out for its kernel::

    time = overhead + max(FLOPs / (peak * efficiency), bytes / bandwidth) + layout
    layout = weight bytes / weights_bandwidth + strided bytes / strided_bandwidth

- FLOPs are twice the MACs (a multiply-add is two operations).
- Bytes are what the layer must read and write once: its inputs, its output, and its
  weights and buffers (a view, such as flatten's, moves nothing). Arithmetic intensity is
  FLOPs per byte; a layer whose intensity is below the device's peak / bandwidth (the
  ridge point) is memory-bound.
- Bandwidth is a cache's when the layer's bytes fit it (its input was just written by the
  layer before), the smallest cache that holds them; else the memory's.
- Efficiency: the peak is for large matrix products. A layer declares the products it
  computes (``LayerType.products``: a convolution is one product per group of its input's
  patches by its filters); a product whose smallest side is ``n`` runs at
  ``n / (n + small_product)`` of the peak (device.py). A product of a single column or
  row is no matrix product but dot products, one an output value: a depthwise convolution
  (one column per channel), a fully connected layer at batch 1 (one row); where the device
  gives a ``dot_length``, dot products of ``k`` terms (the product's inner side: a
  depthwise convolution's taps) run at ``k / (k + dot_length)`` of the peak, else as a
  product of side 1. Both run far below the peak, as measured.
- Window reductions (pooling, local response normalisation: ``LayerType.window_taps``)
  compute no product: where the device gives a ``window_rate``, each value a window reads
  costs ``1 / window_rate`` (CPU frameworks read them one after another).
- Overhead: ``layer_overhead`` for every layer (a view's call costs it too), and
  ``weights_overhead`` more for one with weights or buffers (the fixed part of laying them
  out, below).
- Layout: CPU frameworks lay a layer's operands out anew on every call, in series with its
  kernel: its weights and buffers (into the kernel's own order) where the device gives a
  ``weights_bandwidth``, and the values a strided product reaches a stride apart
  (``LayerType.strided_values``: a convolution with a stride gathers its input's
  positions, a transposed one scatters into its output's) where it gives a
  ``strided_bandwidth``.

A training step adds each layer's backward pass and the optimizer's update. The backward
pass's arithmetic is what the layer type declares (``LayerType.backward_macs``: a product
computes two more of its size, for its input's gradient and its weights'), and its traffic
is the output's gradient read, the inputs' gradients written, what the forward pass saved
for it (``LayerType.saved``) read, and the weights read and their gradient written where
the layer has weights. Layers that need no gradient (before the first trainable weight)
have no backward pass. The update reads and writes every trainable parameter with the
optimizer's state (memory.OPTIMIZER_STATE).

What it leaves out: layers run one after another (no overlap, no fusion); kernels slower
than a product of their shape (the profile's figures are the device's best).
"""

from __future__ import annotations

from .layers.base import prod
from .memory import DTYPE_BYTES, OPTIMIZER_STATE
from .record import Record
from .spec import INPUT_NAME

PASSES = ("forward", "backward")


class Work(Record, fields="macs input_bytes output_bytes weight_bytes smallest_side inner taps strided_bytes"):
    """What one pass of a layer does, for the whole batch: MACs, bytes read from its inputs
    (or gradients), written to its output(s), of its weights, the smallest side of the
    products it computes (None: no product) and that product's inner side, the values its
    window reductions read, and the bytes its product reaches a stride apart."""

    __slots__ = ()

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def bytes(self) -> int:
        return self.input_bytes + self.output_bytes + self.weight_bytes


class Estimate(Record, fields="seconds compute_seconds memory_seconds overhead layout_seconds bound"):
    """A pass's time and its parts; ``bound`` is "compute", "memory", "overhead" (the fixed
    cost is more than both) or "layout" (laying the operands out is more than all three)."""

    __slots__ = ()


class LayerTime(Record, fields="name type work estimate backward_work backward"):
    """One layer's forward ``work`` and ``estimate``; in a training step, its backward pass's
    too (None when it has none, or at inference)."""

    __slots__ = ()

    @property
    def intensity(self) -> float | None:
        """FLOPs per byte of the forward pass (None for a layer that moves nothing)."""
        return self.work.flops / self.work.bytes if self.work.bytes else None

    @property
    def seconds(self) -> float:
        return self.estimate.seconds + (self.backward.seconds if self.backward else 0.0)


class TimeReport(Record, fields="name file input batch dtype device mode optimizer layers update_seconds"):
    """``cnncalc time``'s answer: per layer, and ``update_seconds`` of the optimizer's step
    (training); ``mode`` is "inference" or "training"."""

    __slots__ = ()

    @property
    def forward_seconds(self) -> float:
        return sum(layer.estimate.seconds for layer in self.layers)

    @property
    def backward_seconds(self) -> float:
        return sum(layer.backward.seconds for layer in self.layers if layer.backward)

    @property
    def total_seconds(self) -> float:
        return self.forward_seconds + self.backward_seconds + self.update_seconds

    def totals(self) -> dict:
        layers = self.layers
        forward = {
            "macs": sum(layer.work.macs for layer in layers),
            "flops": sum(layer.work.flops for layer in layers),
            "bytes": sum(layer.work.bytes for layer in layers),
            "seconds": self.forward_seconds,
        }
        result = {"forward": forward}
        if self.mode == "training":
            backward = [layer.backward_work for layer in layers if layer.backward_work]
            result["backward"] = {
                "macs": sum(work.macs for work in backward),
                "flops": sum(work.flops for work in backward),
                "bytes": sum(work.bytes for work in backward),
                "seconds": self.backward_seconds,
            }
            result["update"] = {"seconds": self.update_seconds}
        result["seconds"] = self.total_seconds
        return result

    def to_dict(self) -> dict:
        device = self.device
        return {
            "name": self.name,
            "file": self.file,
            "input": list(self.input),
            "batch": self.batch,
            "dtype": self.dtype,
            "mode": self.mode,
            **({"optimizer": self.optimizer} if self.mode == "training" else {}),
            "device": {
                "name": device.name,
                "source": device.source,
                "peak_flops": device.peak_flops[self.dtype],
                "memory_bandwidth": device.memory_bandwidth,
                "caches": [{"size": size, "bandwidth": bandwidth} for size, bandwidth in device.caches],
                "layer_overhead": device.layer_overhead,
                "weights_overhead": device.weights_overhead,
                "weights_bandwidth": device.weights_bandwidth,
                "small_product": device.small_product,
                "dot_length": device.dot_length,
                "window_rate": device.window_rate,
                "strided_bandwidth": device.strided_bandwidth,
            },
            "layers": [_layer_dict(layer) for layer in self.layers],
            "totals": self.totals(),
        }


def _layer_dict(layer: LayerTime) -> dict:
    result = {"name": layer.name, "type": layer.type, **_pass_dict(layer.work, layer.estimate)}
    if layer.backward is not None:
        result["backward"] = _pass_dict(layer.backward_work, layer.backward)
    return result


def _pass_dict(work: Work, estimate: Estimate) -> dict:
    return {
        "macs": work.macs,
        "flops": work.flops,
        "input_bytes": work.input_bytes,
        "output_bytes": work.output_bytes,
        "weight_bytes": work.weight_bytes,
        "intensity": work.flops / work.bytes if work.bytes else None,
        "bound": estimate.bound,
        "seconds": estimate.seconds,
    }


def efficiency(device, smallest_side, inner: int = 0) -> float:
    """The share of the peak a product whose smallest side is ``smallest_side`` reaches;
    one of side 1 is dot products of ``inner`` terms, where the device gives their
    ``dot_length``."""
    if smallest_side is None:
        return 1.0
    if smallest_side == 1 and inner > 1 and device.dot_length:  # not an outer product (inner side 1)
        return inner / (inner + device.dot_length)
    if not device.small_product:
        return 1.0
    return smallest_side / (smallest_side + device.small_product)


def estimate(work: Work, device, dtype: str) -> Estimate:
    """The roofline time of one pass of one layer."""
    peak = device.peak_flops[dtype] * efficiency(device, work.smallest_side, work.inner)
    compute = work.flops / peak
    if device.window_rate:
        compute += work.taps / device.window_rate
    memory = work.bytes / device.bandwidth(work.bytes)
    overhead = device.layer_overhead + (device.weights_overhead if work.weight_bytes else 0.0)
    layout = work.weight_bytes / device.weights_bandwidth if device.weights_bandwidth else 0.0
    layout += work.strided_bytes / device.strided_bandwidth if device.strided_bandwidth else 0.0
    seconds = overhead + max(compute, memory) + layout
    if layout > max(compute, memory, overhead):
        bound = "layout"
    elif overhead > max(compute, memory):
        bound = "overhead"
    else:
        bound = "compute" if compute >= memory else "memory"
    return Estimate(seconds, compute, memory, overhead, layout, bound)


def smallest_product(products: tuple, batch: int) -> tuple:
    """``(smallest side, inner side)`` of the product with the smallest side among a layer's
    products (``LayerType.products``) for ``batch`` examples (the rows grow with the batch);
    ``(None, 0)`` for a layer that computes none."""
    if not products:
        return None, 0
    if isinstance(products[0], tuple):  # several products (attention's projections and maps)
        return min((smallest_product(product, batch) for product in products), key=lambda pair: pair[0])
    _, rows, inner, columns = products
    return min(rows * batch, inner, columns), inner


def forward_work(layer_type, a, in_shapes: tuple, out: tuple, weights: int, batch: int, width: int) -> Work:
    """The forward pass of one layer: ``weights`` its parameters and buffers (values)."""
    if layer_type.output_is_view:
        return Work(0, 0, 0, 0, None, 0, 0, 0)
    side, inner = smallest_product(layer_type.products(a, in_shapes, out), batch)
    return Work(
        macs=layer_type.macs(a, in_shapes, out) * batch,
        input_bytes=sum(prod(shape) for shape in in_shapes) * batch * width,
        output_bytes=prod(out) * batch * width,
        weight_bytes=weights * width,
        smallest_side=side,
        inner=inner,
        taps=layer_type.window_taps(a, in_shapes, out) * batch,
        strided_bytes=layer_type.strided_values(a, in_shapes, out) * batch * width,
    )


def backward_work(
    layer_type, a, in_shapes: tuple, out: tuple, inputs_need_grad: tuple, layer, batch: int, width: int
) -> Work:
    """The backward pass of one layer (see the module's docstring)."""
    trainable = layer.trainable_params > 0
    input_grad = any(inputs_need_grad)
    macs = layer_type.backward_macs(a, in_shapes, out, input_grad, trainable) * batch
    saved = layer_type.saved(a, in_shapes)
    reads = prod(out)  # the output's gradient
    if "input" in saved:
        reads += sum(prod(shape) for shape in in_shapes)
    if "output" in saved:
        reads += prod(out)
    extra = layer_type.saved_extra_bytes(a, in_shapes, out, width)
    writes = (
        0
        if layer_type.input_grad_is_view
        else sum(prod(shape) for shape, needed in zip(in_shapes, inputs_need_grad) if needed)
    )
    weights = layer.params + layer.buffers if input_grad and macs else 0  # read to pass the gradient on
    weights += layer.trainable_params if trainable else 0  # their gradient, written
    side, inner = smallest_product(layer_type.products(a, in_shapes, out), batch)
    return Work(
        macs=macs,
        input_bytes=reads * batch * width + extra * batch,
        output_bytes=writes * batch * width,
        weight_bytes=weights * width,
        smallest_side=side,
        inner=inner,
        taps=layer_type.window_taps(a, in_shapes, out) * batch,  # the gradient goes back through each window
        strided_bytes=layer_type.strided_values(a, in_shapes, out) * batch * width,  # and the same strides
    )


def time_network(graph, report, device, train: bool = False, optimizer: str = "adam") -> TimeReport:
    """The time of ``report``'s batch and dtype on ``device``: inference, or with ``train``
    a training step (forward, backward, the optimizer's update)."""
    batch, dtype = report.batch, report.dtype
    width = DTYPE_BYTES[dtype]
    shapes = {INPUT_NAME: report.input, **{layer.name: layer.shape for layer in report.layers}}
    by_name = {layer.name: layer for layer in report.layers}
    # Autograd records only what depends on a trainable weight (as memory.training walks it).
    needs_grad = {INPUT_NAME: False}
    for node in graph.in_order():
        needs_grad[node.name] = by_name[node.name].trainable_params > 0 or any(needs_grad[i] for i in node.inputs)
    layers = []
    for layer in report.layers:
        kind, a = layer.spec.type, layer.spec.args
        in_shapes = tuple(shapes[name] for name in layer.inputs)
        work = forward_work(kind, a, in_shapes, layer.shape, layer.params + layer.buffers, batch, width)
        back_work = back = None
        if train and needs_grad[layer.name]:
            needed = tuple(needs_grad[name] for name in layer.inputs)
            back_work = backward_work(kind, a, in_shapes, layer.shape, needed, layer, batch, width)
            back = estimate(back_work, device, dtype)
        layers.append(LayerTime(layer.name, layer.type, work, estimate(work, device, dtype), back_work, back))
    update = 0.0
    if train:
        trainable = report.totals.trainable_params
        # The update reads each parameter, its gradient and its state, and writes the parameter and state.
        state = OPTIMIZER_STATE[optimizer]
        update = trainable * width * (2 + 2 * state + 1) / device.memory_bandwidth
    return TimeReport(
        report.name, report.file, report.input, batch, dtype, device, "training" if train else "inference",
        optimizer, tuple(layers), update,
    )  # fmt: skip


__all__ = ["Estimate", "LayerTime", "TimeReport", "Work", "estimate", "time_network"]
