"""Normalisation, scaling and regularisation: ``batchnorm``, ``groupnorm``, ``layernorm``,
``instancenorm``, ``lrn``, ``spatial_lrn``, ``layer_scale``, ``dropout``, ``stochastic_depth``."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import resolve_window, window_field, worked_window, worked_window_field
from .base import Arg, Choice, Flag, Integer, LayerType, Number, Weight, groups_of_channels, np, prod, register


def scale(x, out, factor):
    """``x * factor``, per channel (a ``Kernels.elementwise`` formula)."""
    np.multiply(x, factor, out=out)


def scale_and_shift(x, out, factor, offset):
    """``x * factor + offset``, per channel (a ``Kernels.elementwise`` formula)."""
    np.multiply(x, factor, out=out)
    out += offset


@register
class BatchNorm(LayerType):
    """Batch normalisation, per channel (PyTorch's BatchNorm1d/2d/3d), as run for inference.

    Learns a scale and a shift per channel (2C parameters) and keeps a running mean and
    variance (2C buffers, reported apart from the parameters). With ``counter: true`` it
    also counts the batches its statistics have seen, one buffer value more: Caffe's
    BatchNorm keeps such a count as its third blob (the moving-average factor), so a Caffe
    file's BatchNorm counts 2C + 1 values, as Caffe's blobs do. PyTorch keeps one too
    (``num_batches_tracked``, an integer), which cnncalc leaves out by default.
    """

    name = "batchnorm"
    aliases = ("batch_norm", "bn", "batchnormalization")
    examples = (((4, 8, 8), "[batchnorm]"), ((4, 8, 8), "[{batchnorm: {affine: false, counter: true}}]"))
    args = (
        Arg("eps", Number(low=0), 1e-5, "added to the variance"),
        Arg("momentum", Number(low=0, high=1), 0.1, "weight of the newest batch in the running statistics"),
        Arg("affine", Flag(), True, "learn a scale and a shift"),
        Arg("track_running_stats", Flag(), True, "keep running mean and variance"),
        Arg("counter", Flag(), False, "also count the batches seen (a buffer of one value, as Caffe keeps)"),
    )

    def statistics_over_positions(self, a):
        # Without running statistics the batch's own are used, even at inference: every
        # output depends on every position (of every example in the batch).
        return not a.track_running_stats

    def removes_channel_bias(self, a, shapes):
        # Training subtracts each channel's batch mean (and the running mean learns it).
        return True

    def weights(self, a, shapes):
        channels = shapes[0][0]
        arrays = []
        if a.affine:
            arrays += [Weight("scale", (channels,), init="one"), Weight("shift", (channels,), init="small", bias=True)]
        if a.track_running_stats:
            arrays += [
                Weight("running_mean", (channels,), buffer=True, init="small"),
                Weight("running_var", (channels,), buffer=True, init="positive"),
            ]
            if a.counter:
                arrays.append(Weight("count", (), buffer=True, init="one"))
        return tuple(arrays)

    def forward(self, a, xs, w, k):
        x = xs[0]
        if a.track_running_stats:
            mean, var = w["running_mean"], w["running_var"]
        else:  # no running statistics: even at inference, the batch's own are used
            axes = (0, *range(2, x.ndim))
            mean, var = x.mean(axis=axes), x.var(axis=axes)
        # (x - mean) / sqrt(var + eps) * scale + shift, folded into one factor and one offset
        # per channel: two passes over the activations instead of four, each with a new array
        # (ResNet-50's batchnorms: 21-25 ms -> 10 ms of its forward pass). The per-channel
        # arithmetic is written into the two vectors it makes: a run of small maps feels each
        # call (EfficientNet-B0 at 32x32, 49 batchnorms: 29 -> 16 us each, with np's lookups).
        affine = a.affine
        factor = np.add(var, a.eps, dtype=np.result_type(var, x, a.eps))  # integer maps: float64
        np.sqrt(factor, out=factor)
        np.divide(w["scale"] if affine else 1, factor, out=factor)
        offset = np.multiply(mean, factor)
        np.subtract(w["shift"] if affine else 0, offset, out=offset)
        # Written into the input when the executor hands it over (Kernels.into). In one
        # chunk: two passes gain nothing from staying in cache, and chunks cost their calls
        # (in chunks, ResNet-50's batchnorms at batch 8 took 83-86 ms against 79-81).
        return k.elementwise(scale_and_shift, xs, factor, offset, chunked=False)


@register
class LRN(LayerType):
    """Local response normalisation across ``size`` neighbouring channels (AlexNet).

    ``b_c = a_c / (k + alpha/size * sum of a^2 over the window)^beta``, as PyTorch's
    LocalResponseNorm (which divides alpha by size).
    """

    name = "lrn"
    aliases = ("local_response_norm", "localresponsenorm")
    examples = (((6, 8, 8), "[{lrn: 5}]"),)
    mixes_channels = True
    primary = "size"
    args = (
        Arg("size", Integer(), doc="channels in the window"),
        Arg("alpha", Number(), 1e-4, "scale"),
        Arg("beta", Number(), 0.75, "exponent"),
        Arg("k", Number(), 1.0, "additive constant"),
    )

    def window_taps(self, a, shapes, out):
        return prod(out) * a.size  # each output sums the squares of `size` channels

    def saved_extra_bytes(self, a, shapes, out, width):
        # PyTorch composes it: the padded squares, and the power's base and result (the
        # few padding channels are left out)
        return 3 * prod(out) * width

    def forward(self, a, xs, w, k):
        x = xs[0]
        # Sums of squares over a window of channels, as a difference of running sums; the
        # window is centered, with size//2 channels before and (size-1)//2 after.
        squares = np.pad(x * x, [(0, 0), (a.size // 2 + 1, (a.size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
        running = np.cumsum(squares, axis=1)
        sums = running[:, a.size :] - running[:, : -a.size]
        return x / (a.k + a.alpha * sums / a.size) ** a.beta


@register
class SpatialLRN(LayerType):
    """Local response normalisation over a ``size`` x ``size`` window of positions within each
    channel (Caffe's LRN with ``norm_region: WITHIN_CHANNEL``, as its CIFAR-10 "full" model
    uses it):

    ``b = a / (k + alpha/size^2 * sum of a^2 over the window)^beta``

    Caffe builds it from a square, an average pooling (``size``, stride 1, padding
    ``(size-1)/2``, the padding counted in the mean) and a power: ``k`` is 1 there. ``size``
    is odd, so the map keeps its size; the receptive field grows as a stride-1 pooling's by
    ``size - 1``. No parameters. (One window per axis: ``size^n`` positions on n axes.)

    Example::

        - spatial_lrn: {size: 3, alpha: 5.0e-5}
    """

    name = "spatial_lrn"
    aliases = ("lrn_within_channel", "within_channel_lrn")
    primary = "size"
    spatial = True
    # Its input divides the window's sum: where the input is 0, a neighbour changes nothing the
    # probe could see.
    probe_offset = 1.0
    examples = (((2, 8, 8), "[{spatial_lrn: 3}]"), ((3, 7, 5), "[{spatial_lrn: {size: 5, alpha: 1.0, beta: 0.5}}]"))
    args = (
        Arg("size", Integer(), doc="positions along each axis of the window (odd)"),
        Arg("alpha", Number(), 1e-4, "scale"),
        Arg("beta", Number(), 0.75, "exponent"),
        Arg("k", Number(), 1.0, "additive constant"),
    )

    def window(self, a, shape: tuple):
        if a.size % 2 == 0:
            raise LayerError(f"size {a.size}: the window is centered on each position, so its size is odd", arg="size")
        return resolve_window(shape[1:], a.size, 1, (a.size - 1) // 2)

    def output_shape(self, a, shapes):
        self.window(a, shapes[0])
        return shapes[0]

    def receptive_field(self, a, fields, shapes):
        return window_field(fields[0], self.window(a, shapes[0]))

    def window_taps(self, a, shapes, out):
        return prod(out) * a.size ** (len(out) - 1)

    def saved_extra_bytes(self, a, shapes, out, width):
        return 3 * prod(out) * width  # the squares, their window means and the power's base

    def forward(self, a, xs, w, k):
        x = xs[0]
        window = self.window(a, x.shape[1:])
        axes = tuple(range(-(x.ndim - 2), 0))
        sums = k.windows(x * x, window, "zeros", 0).sum(axis=axes)
        return x / (a.k + a.alpha * sums / a.size ** (x.ndim - 2)) ** a.beta

    def worked_shape(self, a, shapes, out):
        return worked_window(shapes[0][1:], self.window(a, shapes[0]))

    def worked_field(self, a, fields, shapes):
        return worked_window_field(fields[0], self.window(a, shapes[0]))


@register
class Dropout(LayerType):
    """Zeroes each unit with probability ``p`` while training; the identity at inference."""

    name = "dropout"
    primary = "p"
    inplace = True
    saves = ()
    args = (Arg("p", Number(low=0, high=1), 0.5, "probability of zeroing a unit"),)

    def saved_extra_bytes(self, a, shapes, out, width):
        # PyTorch's CPU kernel keeps its scaled mask in the activations' type (CUDA's
        # keeps one byte per value).
        return prod(out) * width

    def forward(self, a, xs, w, k):
        return xs[0]


@register
class GroupNorm(LayerType):
    """Group normalisation (PyTorch's GroupNorm): the channels split into ``groups`` groups,
    each normalised by the mean and variance over its channels and every position of one
    example; then a learned scale and shift per channel (2C parameters, no buffers).

    Its statistics are taken over all positions, so every output unit depends on the whole
    input: the receptive field after it is global. ``groups: 1`` normalises over the whole
    example (LayerNorm over C, H and W); ``groups`` equal to the channels is instance
    normalisation.

    Example::

        - groupnorm: 32
    """

    name = "groupnorm"
    aliases = ("group_norm", "gn", "groupnormalization")
    primary = "groups"
    args = (
        Arg("groups", Integer(), doc="how many groups the channels are split into"),
        Arg("eps", Number(low=0), 1e-5, "added to the variance"),
        Arg("affine", Flag(), True, "learn a scale and a shift per channel"),
    )
    probe_args = {"groups": 1}  # the probe's slim copy has two channels
    examples = (((4, 8, 8), "[{conv: {filters: 6, kernel: 3}}, {groupnorm: 3}]"), ((8,), "[{groupnorm: 2}]"))

    def output_shape(self, a, shapes):
        return groups_of_channels(a.groups, shapes[0])

    def statistics_over_positions(self, a):
        return True

    def removes_channel_bias(self, a, shapes):
        # Only one channel per group subtracts each channel's own mean; wider groups leave
        # each channel's bias less the group's mean.
        return a.groups == shapes[0][0]

    def weights(self, a, shapes):
        if not a.affine:
            return ()
        channels = shapes[0][0]
        return (Weight("scale", (channels,), init="one"), Weight("shift", (channels,), init="small", bias=True))

    def saved_extra_bytes(self, a, shapes, out, width):
        return 2 * a.groups * width  # the mean and 1/std of every group, as PyTorch keeps them

    def forward(self, a, xs, w, k):
        x = xs[0]
        self.output_shape(a, (x.shape[1:],))
        grouped = x.reshape(x.shape[0], a.groups, -1)
        mean = grouped.mean(axis=2, keepdims=True)
        var = grouped.var(axis=2, keepdims=True)
        out = ((grouped - mean) / np.sqrt(var + a.eps)).reshape(x.shape)
        if a.affine:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            out = out * w["scale"].reshape(shape) + w["shift"].reshape(shape)
        return out.astype(x.dtype, copy=False)


@register
class LayerNorm(LayerType):
    """Layer normalisation: each value less the mean, over the standard deviation, of the
    values it is normalised with; then a learned scale and shift.

    ``over: channels`` (the default) normalises the channels at every position: ConvNeXt's
    ``LayerNorm2d``, and ``nn.LayerNorm(C)`` on a channels-last map; on a flat input, its
    features (``nn.LayerNorm(F)``). Params 2C. ``over: all`` normalises each example as a
    whole (``nn.LayerNorm([C, H, W])``), with a scale and a shift per value (2*C*H*W params);
    its statistics are taken over every position, so the field after it is global.

    Example::

        - layernorm: {eps: 1.0e-6}
    """

    name = "layernorm"
    aliases = ("layer_norm", "ln", "layernorm2d", "layernormalization")
    mixes_channels = True
    args = (
        Arg("over", Choice("channels", "all"), "channels", "the channels at each position, or the whole example"),
        Arg("eps", Number(low=0), 1e-5, "added to the variance"),
        Arg("affine", Flag(), True, "learn a scale (and a shift) per normalised value"),
        Arg("bias", Flag(), True, "learn the shift too (with affine)"),
    )
    examples = (
        ((6, 5, 4), "[{conv: {filters: 4, kernel: 3}}, layernorm]"),
        ((6, 5, 4), "[{layernorm: {over: all, eps: 1.0e-6}}]"),
        ((4, 5), "[{fc: 8}, {layernorm: {affine: false}}]"),
    )

    def statistics_over_positions(self, a):
        return a.over == "all"

    def normalised_shape(self, a, shape: tuple) -> tuple:
        return tuple(shape) if a.over == "all" else (shape[0],)

    def weights(self, a, shapes):
        if not a.affine:
            return ()
        shape = self.normalised_shape(a, shapes[0])
        arrays = [Weight("scale", shape, init="one")]
        if a.bias:
            arrays.append(Weight("shift", shape, init="small", bias=True))
        return tuple(arrays)

    def saved_extra_bytes(self, a, shapes, out, width):
        # the input (a channels-last view of it for a map), and a mean and 1/std per group
        groups = 1 if a.over == "all" else prod(shapes[0][1:])
        return 2 * groups * width

    def forward(self, a, xs, w, k):
        x = xs[0]
        axes = tuple(range(1, x.ndim)) if a.over == "all" else (1,)
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        out = (x - mean) / np.sqrt(var + a.eps)
        if a.affine:
            shape = (1, *w["scale"].shape) + (1,) * (x.ndim - 1 - w["scale"].ndim)
            out = out * w["scale"].reshape(shape)
            if a.bias:
                out = out + w["shift"].reshape(shape)
        return out.astype(x.dtype, copy=False)


@register
class InstanceNorm(LayerType):
    """Instance normalisation (PyTorch's InstanceNorm1d/2d/3d): each channel of each example
    normalised by its own mean and variance over the positions. As PyTorch: no affine scale
    and shift, no running statistics unless asked (``affine``: 2C params;
    ``track_running_stats``: 2C buffers, used at inference instead of the example's own).

    With the example's own statistics every output depends on every position: the field
    after it is global.
    """

    name = "instancenorm"
    aliases = ("instance_norm", "instancenormalization")
    spatial = True
    args = (
        Arg("eps", Number(low=0), 1e-5, "added to the variance"),
        Arg("momentum", Number(low=0, high=1), 0.1, "weight of the newest batch in the running statistics"),
        Arg("affine", Flag(), False, "learn a scale and a shift per channel"),
        Arg("track_running_stats", Flag(), False, "keep running statistics, and use them at inference"),
    )
    examples = (
        ((3, 6, 5), "[{conv: {filters: 4, kernel: 3, bias: false}}, instancenorm]"),
        ((3, 7), "[{instancenorm: {affine: true, track_running_stats: true}}]"),
    )

    def statistics_over_positions(self, a):
        return not a.track_running_stats

    def removes_channel_bias(self, a, shapes):
        return True

    def weights(self, a, shapes):
        channels = shapes[0][0]
        arrays = []
        if a.affine:
            arrays += [Weight("scale", (channels,), init="one"), Weight("shift", (channels,), init="small", bias=True)]
        if a.track_running_stats:
            arrays += [
                Weight("running_mean", (channels,), buffer=True, init="small"),
                Weight("running_var", (channels,), buffer=True, init="positive"),
            ]
        return tuple(arrays)

    def saved_extra_bytes(self, a, shapes, out, width):
        # A mean and 1/std per channel; with affine, PyTorch also keeps the scale repeated
        # for every example (it runs batch normalisation over N*C channels).
        return (3 if a.affine else 2) * shapes[0][0] * width

    def forward(self, a, xs, w, k):
        x = xs[0]
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if a.track_running_stats:
            mean, var = w["running_mean"].reshape(shape), w["running_var"].reshape(shape)
        else:
            axes = tuple(range(2, x.ndim))
            mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        out = (x - mean) / np.sqrt(var + a.eps)
        if a.affine:
            out = out * w["scale"].reshape(shape) + w["shift"].reshape(shape)
        return out.astype(x.dtype, copy=False)


@register
class LayerScale(LayerType):
    """A learned multiplier per channel (ConvNeXt's and CaiT's layer scale): C parameters,
    initialised to ``init``; with ``bias``, a learned shift per channel after it too (Caffe's
    Scale layer with ``bias_term``, standing alone): 2C parameters.

    Example::

        - layer_scale: 1.0e-6
        - layer_scale: {init: 1.0, bias: true}
    """

    name = "layer_scale"
    aliases = ("layerscale", "channel_scale")
    primary = "init"
    args = (
        Arg("init", Number(), 1e-6, "the multipliers' starting value"),
        Arg("bias", Flag(), False, "a learned shift per channel after the multiplier"),
    )
    examples = (
        ((4, 5, 5), "[{conv: {filters: 3, kernel: 3}}, {layer_scale: 0.5}]"),
        ((6,), "[layer_scale]"),
        ((3, 4, 4), "[{layer_scale: {init: 1.0, bias: true}}]"),
    )

    def weights(self, a, shapes):
        scale = Weight("scale", (shapes[0][0],), init="one")
        if not a.bias:
            return (scale,)
        return (scale, Weight("shift", (shapes[0][0],), init="small", bias=True))

    def has_channel_bias(self, a):
        return a.bias

    def forward(self, a, xs, w, k):
        if a.bias:
            return k.elementwise(scale_and_shift, xs, w["scale"], w["shift"], chunked=False)
        return k.elementwise(scale, xs, w["scale"], chunked=False)


@register
class StochasticDepth(LayerType):
    """Drops a whole residual branch with probability ``p`` while training (torchvision's
    StochasticDepth): per example (``mode: row``) or for the whole batch (``mode: batch``),
    the survivors scaled by 1/(1-p). The identity at inference; in training memory, the
    mask it keeps (one value per example in row mode).
    """

    name = "stochastic_depth"
    aliases = ("stochasticdepth", "drop_path", "droppath")
    primary = "p"
    saves = ()
    args = (
        Arg("p", Number(low=0, high=1), 0.1, "probability of dropping the branch"),
        Arg("mode", Choice("row", "batch"), "row", "per example, or the whole batch at once"),
    )
    examples = (((4, 6, 6), "[{conv: {filters: 4, kernel: 3, padding: 1}, name: branch}, {stochastic_depth: 0.2},"
                 " {add: [stochastic_depth1, input]}]"),)  # fmt: skip

    def saved_extra_bytes(self, a, shapes, out, width):
        # The branch times a kept mask: autograd keeps the mask, one value per example in
        # row mode (in batch mode one for the whole batch, left out).
        return width if a.mode == "row" else 0

    def forward(self, a, xs, w, k):
        return xs[0]
