"""Activations: element-wise (or, for softmax, across channels); same shape, same field.

The base ``LayerType`` already describes them (identity shape, no weights, no MACs), so
each is a name, its arguments and its documentation.
"""

from __future__ import annotations

from ..errors import LayerError
from .base import Arg, Choice, Integer, LayerType, Number, Weight, np, register


def sigmoid(x, out):
    """``1 / (1 + exp(-x))`` as ``(1 + tanh(x / 2)) / 2``: no overflow for large negative x, one
    transcendental function in the input's precision and no branches (float32: within 1.2e-7
    of torch.sigmoid, 4x faster than the exp form with np.where). Written into ``out`` (a
    ``Kernels.elementwise`` formula)."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5


def floating(x):
    """The type of a formula's result on ``x``: a float (an integer map's at least float64)."""
    return np.result_type(x, 0.5)


def erf(x):
    from ..kernels import erf as kernel_erf

    return kernel_erf(x)


class Elementwise(LayerType):
    """An activation: computed value by value (softmax: position by position), so it may
    overwrite its input (``inplace``).

    Formulas of several passes are run by ``Kernels.elementwise``, chunk by chunk (each
    chunk's passes in cache, no intermediate the size of the map): on a 96x112x112 map at
    batch 8, silu 18 -> 9 ms, gelu 210 -> 61, hardswish 19 -> 10, sigmoid 14 -> 9. One-pass
    ones (relu, relu6) are one ufunc call: chunks only cost them their calls."""

    inplace = True


@register
class ReLU(Elementwise):
    """``max(0, x)``."""

    name = "relu"
    saves = ("output",)  # their gradient is a function of the output

    def forward(self, a, xs, w, k):
        return np.maximum(xs[0], 0, out=k.into(xs))


@register
class ReLU6(Elementwise):
    """``min(max(0, x), 6)`` (MobileNet)."""

    name = "relu6"

    def forward(self, a, xs, w, k):
        return np.clip(xs[0], 0, 6, out=k.into(xs))


@register
class LeakyReLU(Elementwise):
    """``x`` if positive, else ``negative_slope * x``."""

    name = "leaky_relu"
    aliases = ("leakyrelu", "lrelu")
    primary = "negative_slope"
    args = (Arg("negative_slope", Number(), 0.01, "slope for negative inputs"),)

    def forward(self, a, xs, w, k):
        return np.where(xs[0] >= 0, xs[0], a.negative_slope * xs[0])


@register
class PReLU(Elementwise):
    """Leaky ReLU whose slope is learned: one slope, or one per channel (``num_parameters: C``)."""

    name = "prelu"
    primary = "num_parameters"
    probe_args = {"num_parameters": 1}
    args = (
        Arg("num_parameters", Integer(), 1, "1, or the number of channels"),
        Arg("init", Number(), 0.25, "initial slope"),
    )

    def output_shape(self, a, shapes):
        channels = shapes[0][0]
        if a.num_parameters not in (1, channels):
            raise LayerError(
                f"num_parameters must be 1 or the input's {channels} channels, not {a.num_parameters}",
                arg="num_parameters",
            )
        return shapes[0]

    def weights(self, a, shapes):
        return (Weight("slope", (a.num_parameters,), init=a.init),)

    def forward(self, a, xs, w, k):
        x = xs[0]
        slope = w["slope"].reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim > 1 else w["slope"]
        return np.where(x >= 0, x, slope * x)


@register
class ELU(Elementwise):
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""

    name = "elu"
    primary = "alpha"
    args = (Arg("alpha", Number(), 1.0, "scale of the negative part"),)

    def forward(self, a, xs, w, k):
        return np.where(xs[0] > 0, xs[0], a.alpha * np.expm1(np.minimum(xs[0], 0)))


@register
class SELU(Elementwise):
    """Scaled ELU with the fixed constants of Klambauer et al. (2017)."""

    name = "selu"

    # The constants of Klambauer et al., as PyTorch has them.
    ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

    def forward(self, a, xs, w, k):
        x = xs[0]
        return self.SCALE * np.where(x > 0, x, self.ALPHA * np.expm1(np.minimum(x, 0)))


@register
class GELU(Elementwise):
    """``x * Phi(x)``, Phi the standard normal CDF (``approximate: tanh`` for the tanh form)."""

    name = "gelu"
    args = (Arg("approximate", Choice("none", "tanh"), "none", "exact, or the tanh approximation"),)

    def forward(self, a, xs, w, k):
        formula = self.tanh_form if a.approximate == "tanh" else self.formula
        return k.elementwise(formula, xs, dtype=floating(xs[0]), scratch=True)

    @staticmethod
    def formula(x, out, scratch):
        # 0.5 * x * (1 + erf(x / sqrt 2))
        np.divide(x, 2**0.5, out=scratch)
        scratch[...] = erf(scratch)
        scratch += 1
        np.multiply(x, 0.5, out=out)
        out *= scratch

    @staticmethod
    def tanh_form(x, out, scratch):
        # 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
        np.power(x, 3, out=scratch)
        scratch *= 0.044715
        scratch += x
        scratch *= (2 / np.pi) ** 0.5
        np.tanh(scratch, out=scratch)
        scratch += 1
        np.multiply(x, 0.5, out=out)
        out *= scratch


@register
class SiLU(Elementwise):
    """``x * sigmoid(x)`` (also called swish)."""

    name = "silu"
    aliases = ("swish",)

    def forward(self, a, xs, w, k):
        return k.elementwise(self.formula, xs, dtype=floating(xs[0]), scratch=True)

    @staticmethod
    def formula(x, out, scratch):
        # x * sigmoid(x) = h + h * tanh(h) with h = x / 2: four passes over the map, not five.
        np.multiply(x, 0.5, out=out)
        np.tanh(out, out=scratch)
        scratch *= out
        out += scratch


@register
class HardSwish(Elementwise):
    """``x * relu6(x + 3) / 6`` (MobileNet v3)."""

    name = "hardswish"
    aliases = ("hard_swish", "hswish")

    def forward(self, a, xs, w, k):
        return k.elementwise(self.formula, xs, dtype=floating(xs[0]), scratch=True)

    @staticmethod
    def formula(x, out, scratch):
        np.add(x, 3, out=scratch)
        np.clip(scratch, 0, 6, out=scratch)
        np.multiply(scratch, x, out=out)
        out /= 6


@register
class HardSigmoid(Elementwise):
    """``relu6(x + 3) / 6``."""

    name = "hardsigmoid"
    aliases = ("hard_sigmoid",)

    def forward(self, a, xs, w, k):
        return k.elementwise(self.formula, xs, dtype=floating(xs[0]))

    @staticmethod
    def formula(x, out):
        np.add(x, 3, out=out)
        np.clip(out, 0, 6, out=out)
        out /= 6


@register
class Sigmoid(Elementwise):
    """``1 / (1 + exp(-x))``."""

    name = "sigmoid"
    saves = ("output",)  # their gradient is a function of the output
    aliases = ("logistic",)

    def forward(self, a, xs, w, k):
        return k.elementwise(sigmoid, xs, dtype=floating(xs[0]))


@register
class Tanh(Elementwise):
    """Hyperbolic tangent."""

    name = "tanh"
    saves = ("output",)  # their gradient is a function of the output

    def forward(self, a, xs, w, k):
        return np.tanh(xs[0])


@register
class Softplus(Elementwise):
    """``log(1 + exp(beta * x)) / beta``."""

    name = "softplus"
    args = (Arg("beta", Number(low=0, open_low=True), 1.0, "sharpness"),)

    def forward(self, a, xs, w, k):
        # PyTorch's threshold of 20: above it, softplus is x to float precision.
        scaled = a.beta * xs[0]
        return np.where(scaled > 20, xs[0], np.log1p(np.exp(np.minimum(scaled, 20))) / a.beta)


@register
class Softmax(Elementwise):
    """``exp(x) / sum(exp(x))`` across channels (features, for a flat input), at each position."""

    name = "softmax"
    saves = ("output",)  # their gradient is a function of the output
    mixes_channels = True

    def forward(self, a, xs, w, k):
        shifted = np.exp(xs[0] - xs[0].max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


@register
class LogSoftmax(Elementwise):
    """``log(softmax(x))`` across channels."""

    name = "log_softmax"
    saves = ("output",)  # their gradient is a function of the output
    mixes_channels = True
    aliases = ("logsoftmax",)

    def forward(self, a, xs, w, k):
        shifted = xs[0] - xs[0].max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@register
class Identity(Elementwise):
    """Passes its input through unchanged (a named point in the graph)."""

    name = "identity"
    saves = ()
    output_is_view = input_grad_is_view = True

    def forward(self, a, xs, w, k):
        return xs[0]
