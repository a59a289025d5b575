"""Activations: element-wise (or, for softmax, across channels); same shape, same field.

The base ``LayerType`` already describes them (identity shape, no weights, no MACs), so
each is a name, its arguments and its documentation.
"""

from __future__ import annotations

from ..errors import LayerError
from .base import Arg, Choice, Integer, LayerType, Number, Weight, register


@register
class ReLU(LayerType):
    """``max(0, x)``."""

    name = "relu"


@register
class ReLU6(LayerType):
    """``min(max(0, x), 6)`` (MobileNet)."""

    name = "relu6"


@register
class LeakyReLU(LayerType):
    """``x`` if positive, else ``negative_slope * x``."""

    name = "leaky_relu"
    aliases = ("leakyrelu", "lrelu")
    primary = "negative_slope"
    args = (Arg("negative_slope", Number(), 0.01, "slope for negative inputs"),)


@register
class PReLU(LayerType):
    """Leaky ReLU whose slope is learned: one slope, or one per channel (``num_parameters: C``)."""

    name = "prelu"
    primary = "num_parameters"
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
        return (Weight("slope", (a.num_parameters,)),)


@register
class ELU(LayerType):
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""

    name = "elu"
    primary = "alpha"
    args = (Arg("alpha", Number(), 1.0, "scale of the negative part"),)


@register
class SELU(LayerType):
    """Scaled ELU with the fixed constants of Klambauer et al. (2017)."""

    name = "selu"


@register
class GELU(LayerType):
    """``x * Phi(x)``, Phi the standard normal CDF (``approximate: tanh`` for the tanh form)."""

    name = "gelu"
    args = (Arg("approximate", Choice("none", "tanh"), "none", "exact, or the tanh approximation"),)


@register
class SiLU(LayerType):
    """``x * sigmoid(x)`` (also called swish)."""

    name = "silu"
    aliases = ("swish",)


@register
class HardSwish(LayerType):
    """``x * relu6(x + 3) / 6`` (MobileNet v3)."""

    name = "hardswish"
    aliases = ("hard_swish", "hswish")


@register
class HardSigmoid(LayerType):
    """``relu6(x + 3) / 6``."""

    name = "hardsigmoid"
    aliases = ("hard_sigmoid",)


@register
class Sigmoid(LayerType):
    """``1 / (1 + exp(-x))``."""

    name = "sigmoid"
    aliases = ("logistic",)


@register
class Tanh(LayerType):
    """Hyperbolic tangent."""

    name = "tanh"


@register
class Softplus(LayerType):
    """``log(1 + exp(beta * x)) / beta``."""

    name = "softplus"
    args = (Arg("beta", Number(low=0, open_low=True), 1.0, "sharpness"),)


@register
class Softmax(LayerType):
    """``exp(x) / sum(exp(x))`` across channels (features, for a flat input), at each position."""

    name = "softmax"


@register
class LogSoftmax(LayerType):
    """``log(softmax(x))`` across channels."""

    name = "log_softmax"
    aliases = ("logsoftmax",)


@register
class Identity(LayerType):
    """Passes its input through unchanged (a named point in the graph)."""

    name = "identity"
