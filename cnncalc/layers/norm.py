"""Normalisation and regularisation: ``batchnorm``, ``lrn``, ``dropout``, ``groupnorm``."""

from __future__ import annotations

from .base import Arg, Flag, Integer, LayerType, Number, Weight, groups_of_channels, np, prod, register


@register
class BatchNorm(LayerType):
    """Batch normalisation, per channel (PyTorch's BatchNorm1d/2d/3d), as run for inference.

    Learns a scale and a shift per channel (2C parameters) and keeps a running mean and
    variance (2C buffers, reported apart from the parameters).
    """

    name = "batchnorm"
    aliases = ("batch_norm", "bn", "batchnormalization")
    args = (
        Arg("eps", Number(low=0), 1e-5, "added to the variance"),
        Arg("momentum", Number(low=0, high=1), 0.1, "weight of the newest batch in the running statistics"),
        Arg("affine", Flag(), True, "learn a scale and a shift"),
        Arg("track_running_stats", Flag(), True, "keep running mean and variance"),
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
            arrays += [Weight("scale", (channels,), init="one"), Weight("shift", (channels,), init="small")]
        if a.track_running_stats:
            arrays += [
                Weight("running_mean", (channels,), buffer=True, init="small"),
                Weight("running_var", (channels,), buffer=True, init="positive"),
            ]
        return tuple(arrays)

    def forward(self, a, xs, w, k):
        x = xs[0]
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if a.track_running_stats:
            mean, var = w["running_mean"].reshape(shape), w["running_var"].reshape(shape)
        else:  # no running statistics: even at inference, the batch's own are used
            axes = (0, *range(2, x.ndim))
            mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        # (x - mean) / sqrt(var + eps) * scale + shift, folded into one factor and one offset
        # per channel: two passes over the activations instead of four, each with a new array
        # (ResNet-50's batchnorms: 21-25 ms -> 10 ms of its forward pass).
        factor = 1 / np.sqrt(var + a.eps)
        if a.affine:
            factor = factor * w["scale"].reshape(shape)
        offset = -mean * factor
        if a.affine:
            offset = offset + w["shift"].reshape(shape)
        out = x * factor
        out += offset
        return out


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
        return (Weight("scale", (channels,), init="one"), Weight("shift", (channels,), init="small"))

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
