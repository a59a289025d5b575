"""Fully connected layers (over the whole input, or at every position) and flattening."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import GLOBAL
from .base import GLOBAL_WORK, PROBE_CHANNELS, Arg, Bias, Flag, Integer, LayerType, Numbers, Weight, np, prod, register


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
        arrays = [Weight("weights", (a.units, prod(shapes[0])), axes=("units", "inputs"))]
        if a.bias is not False:
            arrays.append(Weight("bias", (a.units,), init="small", axes=("units",), bias=True))
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

    def products(self, a, shapes, out):
        return (1, 1, prod(shapes[0]), a.units)  # a row per example

    def receptive_field(self, a, fields, shapes):
        return GLOBAL


@register
class PointwiseFC(LayerType):
    """A fully connected layer applied at every position, across the channels (PyTorch's
    ``nn.Linear`` on a channels-last map, as ConvNeXt writes its blocks): ``[C, H, W]`` ->
    ``[units, H, W]``, the same weights everywhere; a 1x1 convolution in all but layout.

    params = C * units + units (bias); MACs = positions * C * units. On a flat input it is
    ``fc``.

    Example::

        - pointwise_fc: 1536
    """

    name = "pointwise_fc"
    aliases = ("fc_per_position", "linear_per_position", "channel_linear")
    primary = "units"
    mixes_channels = True
    args = (
        Arg("units", Integer(), doc="output features at each position"),
        Arg("bias", Flag(), True, "a learned bias per unit"),
    )
    probe_args = {"units": PROBE_CHANNELS}
    examples = (
        ((6, 4, 5), "[{pointwise_fc: 8}, gelu, {pointwise_fc: {units: 6, bias: false}}]"),
        ((5,), "[{pointwise_fc: 3}]"),
    )

    def has_channel_bias(self, a):
        return a.bias

    def saved(self, a, shapes):
        # On a map, PyTorch's Linear reads a channels-last view, copies it into rows and
        # keeps the copy instead of the input.
        return ("input",) if len(shapes[0]) == 1 else ()

    def saved_extra_bytes(self, a, shapes, out, width):
        return 0 if len(shapes[0]) == 1 else prod(shapes[0]) * width

    def output_shape(self, a, shapes):
        return (a.units, *shapes[0][1:])

    def weights(self, a, shapes):
        arrays = [Weight("weights", (a.units, shapes[0][0]), axes=("units", "C_in"))]
        if a.bias:
            arrays.append(Weight("bias", (a.units,), init="small", axes=("units",), bias=True))
        return tuple(arrays)

    def macs(self, a, shapes, out):
        return prod(shapes[0][1:]) * shapes[0][0] * a.units

    def products(self, a, shapes, out):
        return (1, prod(shapes[0][1:]), shapes[0][0], a.units)  # a row per position

    def worked_shape(self, a, shapes, out):
        return [f"channels: {shapes[0][0]} -> {a.units} at each position; other axes as the input's"]

    def worked_params(self, a, shapes):
        total = sum(w.size for w in self.weights(a, shapes))
        core = f"{shapes[0][0]}*{a.units}"
        return f"{core} + {a.units} = {total:,}" if a.bias else f"{core} = {total:,}"

    def worked_macs(self, a, shapes, out):
        positions = "*".join(str(n) for n in shapes[0][1:]) or "1"
        return f"{positions} positions * {shapes[0][0]}*{a.units} = {self.macs(a, shapes, out):,}"

    def forward(self, a, xs, w, k):
        x = xs[0]
        rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])  # (N * positions, C)
        out = k.dense(rows, w["weights"], w.get("bias"))
        return np.moveaxis(out.reshape(x.shape[0], *x.shape[2:], a.units), -1, 1)
