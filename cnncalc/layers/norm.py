"""Normalisation and regularisation: ``batchnorm``, ``lrn``, ``dropout``."""

from __future__ import annotations

from .base import Arg, Flag, Integer, LayerType, Number, Weight, np, prod, register


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
