"""Pooling: ``maxpool``, ``avgpool``, ``lppool``, the global and the adaptive poolings.

A pooling is a convolution's window without weights (same output arithmetic, same
receptive field), applied to each channel alone. Global pooling is pooling whose window
is the whole input.
"""

from __future__ import annotations

from ..geometry import (
    GLOBAL,
    adaptive,
    adaptive_bounds,
    axis_name,
    per_axis,
    per_axis_reach,
    resolve_window,
    window_field,
    window_output,
    worked_window,
    worked_window_field,
)
from .base import GLOBAL_WORK, Arg, Flag, LayerType, Number, Padding, Sizes, np, prod, register

KERNEL = Arg("kernel", Sizes(), doc="window size, one number for all axes or one per axis")
STRIDE = Arg("stride", Sizes(), None, "step between windows (default: the kernel)")
PADDING = Arg("padding", Padding(), 0, 'added around the input: a number, per axis [before, after], "same" or "valid"')
CEIL_MODE = Arg("ceil_mode", Flag(), False, "round the output size up (keeping a last partial window)")


class _Pooling(LayerType):
    primary = "kernel"
    spatial = True
    pools = True

    def window_taps(self, a, shapes, out):
        return prod(out) * prod(self.window(a, shapes[0]).kernel)

    def window(self, a, shape: tuple):
        stride = a.kernel if a.stride is None else a.stride
        return resolve_window(shape[1:], a.kernel, stride, a.padding, a.get("dilation", 1), a.ceil_mode)

    def output_shape(self, a, shapes):
        (shape,) = shapes
        return (shape[0], *window_output(shape[1:], self.window(a, shape)))

    def receptive_field(self, a, fields, shapes):
        return window_field(fields[0], self.window(a, shapes[0]))

    def worked_shape(self, a, shapes, out):
        window = self.window(a, shapes[0])
        lines = [f"channels: the input's {shapes[0][0]}, pooled one by one"]
        return lines + worked_window(shapes[0][1:], window, a.get("padding") == "same")

    def worked_field(self, a, fields, shapes):
        return worked_window_field(fields[0], self.window(a, shapes[0]))

    def window_mean(self, a, x, k, count_include_pad):
        """Window sums divided by how many positions each window covers (PyTorch's divisor:
        padding counts only with ``count_include_pad``, ``ceil_mode``'s overhang never)."""
        window = self.window(a, x.shape[1:])
        axes = tuple(range(-(x.ndim - 2), 0))
        sums = k.windows(x, window, "zeros", 0).sum(axis=axes)
        ones = np.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
        if count_include_pad:
            # count the padding too, but not ceil_mode's positions past it
            ones = k.pad(ones, window.pads, "constant", 1)
            unpadded = ((0, 0),) * len(window.pads)
            counts = k.windows(ones, window._replace(pads=unpadded), "zeros", 0).sum(axis=axes)
            if window.ceil_mode:  # the start rule is about the original padding
                counts = counts[(slice(None), slice(None), *(slice(0, n) for n in sums.shape[2:]))]
        else:
            counts = k.windows(ones, window, "zeros", 0).sum(axis=axes)
        return sums / counts


@register
class MaxPool(_Pooling):
    """The largest value in each window, per channel (PyTorch's MaxPool1d/2d/3d).

    Example::

        - maxpool: 2          # 2x2 windows, stride 2
        - maxpool: {kernel: 3, stride: 2, padding: 1}
    """

    name = "maxpool"
    aliases = ("max_pool", "pool", "maxpooling")
    keeps_switches = True
    examples = (
        ((2, 9, 9), "[{maxpool: {kernel: 3, stride: 2, padding: 1}}]"),
        ((2, 10, 10), "[{maxpool: {kernel: 2, dilation: 2, ceil_mode: true}}]"),
    )
    args = (KERNEL, STRIDE, PADDING, Arg("dilation", Sizes(), 1, "spacing between window taps"), CEIL_MODE)

    def saved_extra_bytes(self, a, shapes, out, width):
        return prod(out) * 8  # where each maximum came from, as int64 indices

    def forward(self, a, xs, w, k):
        x = xs[0]
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        cols = k.windows(x, self.window(a, x.shape[1:]), "zeros", lowest)
        return k.reduce_windows(cols, np.maximum)


@register
class AvgPool(_Pooling):
    """The mean of each window, per channel (PyTorch's AvgPool1d/2d/3d)."""

    name = "avgpool"
    aliases = ("avg_pool", "average_pool", "avgpooling", "averagepooling")
    examples = (((2, 9, 9), "[{avgpool: {kernel: 3, stride: 2, padding: 1, count_include_pad: false}}]"),)
    args = (
        KERNEL,
        STRIDE,
        PADDING,
        CEIL_MODE,
        Arg("count_include_pad", Flag(), True, "count padding zeros in the mean's divisor"),
    )

    def forward(self, a, xs, w, k):
        return self.window_mean(a, xs[0], k, a.count_include_pad)


@register
class LpPool(_Pooling):
    """Power-average pooling: ``(sum x^p)^(1/p)`` over each window (PyTorch's LPPool1d/2d/3d).

    With ``norm: 2`` this is L2-norm pooling.
    """

    name = "lppool"
    aliases = ("lp_pool", "l2pool", "power_average_pool")
    examples = (((2, 9, 9), "[{lppool: {kernel: 3, stride: 2}}]"),)
    args = (KERNEL, STRIDE, Arg("norm", Number(low=0, open_low=True), 2, "the power p"), CEIL_MODE)

    def saved_extra_bytes(self, a, shapes, out, width):
        # PyTorch composes it: x^p (input-sized) and four output-sized steps are kept
        return (prod(shapes[0]) + 4 * prod(out)) * width

    def window(self, a, shape):
        stride = a.kernel if a.stride is None else a.stride
        return resolve_window(shape[1:], a.kernel, stride, 0, 1, a.ceil_mode)

    def forward(self, a, xs, w, k):
        # As PyTorch: the mean of x^p over the window, times the kernel's size, to the 1/p.
        x = xs[0].astype(np.result_type(xs[0].dtype, np.float32))  # integers -> float, floats keep their width
        mean = self.window_mean(a, x**a.norm, k, True)
        size = prod(self.window(a, x.shape[1:]).kernel)
        return (np.sign(mean) * np.maximum(np.abs(mean), 0) * size) ** (1.0 / a.norm)


class _GlobalPooling(LayerType):
    spatial = True
    pools = True
    reduces_positions = True

    def worked_field(self, a, fields, shapes):
        return [GLOBAL_WORK]

    def output_shape(self, a, shapes):
        (shape,) = shapes
        return (shape[0],) + (1,) * (len(shape) - 1)

    def window_taps(self, a, shapes, out):
        return prod(shapes[0])  # one window: every position of each channel

    def receptive_field(self, a, fields, shapes):
        return GLOBAL


@register
class GlobalAvgPool(_GlobalPooling):
    """The mean of each channel over all positions: ``[C, H, W]`` -> ``[C, 1, 1]``."""

    name = "global_avgpool"
    aliases = ("global_avg_pool", "global_average_pool", "gap", "global_average_pooling")
    saves = ()  # a mean: the backward pass needs only the sizes

    def forward(self, a, xs, w, k):
        return xs[0].mean(axis=tuple(range(2, xs[0].ndim)), keepdims=True)


@register
class GlobalMaxPool(_GlobalPooling):
    """The largest value of each channel over all positions: ``[C, H, W]`` -> ``[C, 1, 1]``."""

    name = "global_maxpool"
    aliases = ("global_max_pool", "global_max_pooling")

    def saved_extra_bytes(self, a, shapes, out, width):
        return prod(out) * 8  # where each maximum came from, as int64 indices

    def forward(self, a, xs, w, k):
        return xs[0].max(axis=tuple(range(2, xs[0].ndim)), keepdims=True)


class _AdaptivePooling(LayerType):
    """Pooling to a given output size, PyTorch's rule: output unit i of an axis of W pools
    input units floor(i*W/out) to ceil((i+1)*W/out) - 1, so windows may differ by one and
    overlap (AlexNet's and VGG's ``AdaptiveAvgPool2d((6, 6))`` / ``((7, 7))``)."""

    primary = "size"
    spatial = True
    pools = True
    args = (Arg("size", Sizes(), doc="output size, one number for all axes or one per axis"),)

    def window_taps(self, a, shapes, out):
        # Windows differ by one and may overlap: each axis's window lengths, summed.
        taps = shapes[0][0]
        for size, length in zip(shapes[0][1:], out[1:]):
            taps *= sum(stop - start for start, stop in (adaptive_bounds(size, length, u) for u in range(length)))
        return taps

    def sizes(self, a, shape: tuple) -> tuple:
        return per_axis(a.size, len(shape) - 1, "size")

    def output_shape(self, a, shapes):
        (shape,) = shapes
        return (shape[0], *self.sizes(a, shape))

    def receptive_field(self, a, fields, shapes):
        (shape,) = shapes
        sizes = self.sizes(a, shape)
        if all(n == 1 for n in sizes):
            return GLOBAL  # one window over everything: global pooling
        return per_axis_reach(adaptive, fields[0], shape[1:], sizes)

    def worked_shape(self, a, shapes, out):
        lines = [f"channels: the input's {shapes[0][0]}, pooled one by one"]
        for axis, (size, length) in enumerate(zip(shapes[0][1:], out[1:])):
            windows = sorted({b - s for s, b in (adaptive_bounds(size, length, u) for u in range(length))})
            lines.append(
                f"{axis_name(axis, len(out) - 1)}: {length} windows over {size}, unit i from floor(i*{size}/{length}) "
                f"to ceil((i+1)*{size}/{length}) - 1 ({' or '.join(str(w) for w in windows)} wide)"
            )
        return lines

    def worked_field(self, a, fields, shapes):
        if all(n == 1 for n in self.sizes(a, shapes[0])):
            return [GLOBAL_WORK]
        if fields[0] == GLOBAL:
            return ["global: its input already sees the whole input"]
        return ["the union of the fields of the input units each window pools (windows may differ by one unit)"]

    def forward(self, a, xs, w, k):
        x = xs[0]
        sizes = self.sizes(a, x.shape[1:])
        if all(length == 1 for length in sizes):
            # One window over every position (squeeze-and-excitation's squeeze): one reduction
            # over a flat row per channel, not one axis after another.
            flat = x.reshape(*x.shape[:2], -1)
            return self.reduce(flat, 2).reshape(*x.shape[:2], *sizes)
        for axis, length in enumerate(sizes):
            size = x.shape[2 + axis]
            if length == size:  # windows of one unit each: the axis as it is
                continue
            parts = [
                self.reduce(np.take(x, range(*adaptive_bounds(size, length, u)), axis=2 + axis), 2 + axis)
                for u in range(length)
            ]
            x = np.stack(parts, axis=2 + axis)
        return x


@register
class AdaptiveAvgPool(_AdaptivePooling):
    """The mean of each adaptive window, per channel (PyTorch's AdaptiveAvgPool1d/2d/3d).

    Example::

        - adaptive_avgpool: [7, 7]      # torchvision's VGG, at any input size
    """

    name = "adaptive_avgpool"
    aliases = ("adaptive_avg_pool", "adaptiveavgpool", "adaptive_average_pool")
    examples = (((2, 13, 9), "[{adaptive_avgpool: [6, 4]}]"), ((2, 10), "[{adaptive_avgpool: 5}]"))

    @staticmethod
    def reduce(values, axis):
        if axis == values.ndim - 1 and values.dtype in (np.float32, np.float64):
            # A product with ones, then a division: BLAS reads a channels-last map's places as
            # they lie (EfficientNet-B0's squeeze-and-excitation squeezes at batch 1: 96x112x112
            # 0.40 -> 0.21 ms, 240x28x28 0.03 -> 0.008). Not in float16, whose products add up
            # in float16 (12,544 tens overflow it) where mean adds pairwise.
            return values @ np.ones(values.shape[-1], dtype=values.dtype) / values.shape[-1]
        return values.mean(axis=axis)


@register
class AdaptiveMaxPool(_AdaptivePooling):
    """The largest value of each adaptive window, per channel (PyTorch's AdaptiveMaxPool1d/2d/3d)."""

    name = "adaptive_maxpool"
    aliases = ("adaptive_max_pool", "adaptivemaxpool")
    examples = (((2, 7, 12), "[{adaptive_maxpool: [3, 4]}]"), ((2, 6, 6, 6), "[{adaptive_maxpool: [1, 1, 1]}]"))

    def saved_extra_bytes(self, a, shapes, out, width):
        return prod(out) * 8  # where each maximum came from, as int64 indices

    @staticmethod
    def reduce(values, axis):
        return values.max(axis=axis)
