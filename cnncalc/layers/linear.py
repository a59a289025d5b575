"""Fully connected layers and flattening."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import GLOBAL
from .base import GLOBAL_WORK, Arg, Bias, Integer, LayerType, Numbers, Weight, prod, register


@register
class Flatten(LayerType):
    """All axes into one: ``[C, H, W]`` -> ``[C*H*W]``. Every unit now sees the whole input."""

    name = "flatten"
    saves = ()
    reduces_positions = True
    output_is_view = input_grad_is_view = True  # a reshape of contiguous memory

    def output_shape(self, a, shapes):
        return (prod(shapes[0]),)

    def receptive_field(self, a, fields, shapes):
        return GLOBAL

    def forward(self, a, xs, w, k):
        return xs[0].reshape(xs[0].shape[0], -1)

    def worked_shape(self, a, shapes, out):
        return [f"{'*'.join(str(n) for n in shapes[0])} = {out[0]:,} values in a row"]

    def worked_field(self, a, fields, shapes):
        return [GLOBAL_WORK]


@register
class FC(LayerType):
    """Fully connected (PyTorch's Linear, Keras' Dense). A non-flat input is flattened first.

    params = in * units + units (bias); MACs = in * units.

    Example::

        - fc: 4096
    """

    name = "fc"
    aliases = ("linear", "dense", "fully_connected", "innerproduct", "inner_product")
    examples = (((4, 8, 8), "[{fc: 10}]"), ((4, 3, 3), "[flatten, {fc: {units: 5, bias: false}}]"))
    primary = "units"
    mixes_channels = True
    reduces_positions = True
    args = (
        Arg("units", Integer(), doc="output features"),
        Arg("bias", Bias(), True, "a learned bias per unit (or the bias values themselves)"),
        Arg("weights", Numbers(), None, "the weight values, for worked examples (shape [units][in])"),
    )

    def output_shape(self, a, shapes):
        if isinstance(a.bias, tuple) and len(a.bias) != a.units:
            raise LayerError(f"bias has {len(a.bias)} values but the layer has {a.units} units", arg="bias")
        return (a.units,)

    def has_channel_bias(self, a):
        return a.bias is not False

    def weights(self, a, shapes):
        arrays = [Weight("weights", (a.units, prod(shapes[0])))]
        if a.bias is not False:
            arrays.append(Weight("bias", (a.units,), init="small"))
        return tuple(arrays)

    def forward(self, a, xs, w, k):
        return k.dense(xs[0].reshape(xs[0].shape[0], -1), w["weights"], w.get("bias"))

    def worked_shape(self, a, shapes, out):
        inputs = "" if len(shapes[0]) == 1 else f" (its {'*'.join(str(n) for n in shapes[0])} inputs flattened first)"
        return [f"{a.units} units{inputs}"]

    def worked_params(self, a, shapes):
        total = sum(w.size for w in self.weights(a, shapes))
        inputs = prod(shapes[0])
        return (
            f"{inputs}*{a.units} + {a.units} = {total:,}" if a.bias is not False else f"{inputs}*{a.units} = {total:,}"
        )

    def worked_macs(self, a, shapes, out):
        return f"{prod(shapes[0])}*{a.units} = {self.macs(a, shapes, out):,}"

    def worked_field(self, a, fields, shapes):
        return [GLOBAL_WORK]

    def macs(self, a, shapes, out):
        return prod(shapes[0]) * a.units

    def receptive_field(self, a, fields, shapes):
        return GLOBAL
