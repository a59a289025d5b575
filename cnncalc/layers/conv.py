"""Convolutions: ``conv``, ``deconv`` (transposed) and ``local`` (no weight sharing)."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import (
    axis_name,
    explicit_pads,
    per_axis,
    per_axis_reach,
    resolve_window,
    spread,
    window_field,
    window_output,
    worked_window,
    worked_window_field,
)
from .base import (
    PROBE_CHANNELS,
    Arg,
    Bias,
    Choice,
    Integer,
    LayerType,
    Numbers,
    Padding,
    Sizes,
    Weight,
    np,
    prod,
    register,
    spatial_axis_names,
    window_axis_names,
)

WINDOW_ARGS = (
    Arg("kernel", Sizes(), doc="window size, one number for all axes or one per axis"),
    Arg("stride", Sizes(), 1, "step between windows"),
    Arg("padding", Padding(), 0, 'zeros added around the input: a number, per axis [before, after], "same" or "valid"'),
    Arg("dilation", Sizes(), 1, "spacing between kernel taps"),
)
PADDING_MODE = Arg(
    "padding_mode", Choice("zeros", "reflect", "replicate", "circular"), "zeros", "what the padding is filled with"
)
FILTERS = Arg("filters", Integer(), doc="output channels")
BIAS = Arg("bias", Bias(), True, "a learned bias per output channel (or the bias values themselves)")
WEIGHTS = Arg(
    "weights", Numbers(), None, "the kernel's values, for worked examples (shape [filters][in/groups][kernel...])"
)
IN_CHANNELS = Arg("in_channels", Integer(), None, "input channels; checked against the actual input if given")


def check_in_channels(a, channels: int) -> None:
    if a.in_channels is not None and a.in_channels != channels:
        raise LayerError(f"in_channels is {a.in_channels} but the input has {channels} channels", arg="in_channels")


def check_groups(a, channels: int) -> None:
    groups = a.get("groups", 1)
    if channels % groups:
        raise LayerError(
            f"groups must divide the input channels, but {groups} does not divide {channels}", arg="groups"
        )
    if a.filters % groups:
        raise LayerError(f"groups must divide filters, but {groups} does not divide {a.filters}", arg="groups")


def check_bias(a) -> None:
    if isinstance(a.bias, tuple) and len(a.bias) != a.filters:
        raise LayerError(f"bias has {len(a.bias)} values but the layer has {a.filters} filters", arg="bias")


# The slim probe network: two filters (two, so a softmax over them still changes), one group.
PROBE_ARGS = {"filters": PROBE_CHANNELS, "groups": 1, "in_channels": None, "weights": None, "bias": True}
# And zeros in the padding: a field is what a unit can see, whatever fills the padding
# (mirrored or wrapped pixels would make border units look like no clipped version of the
# others, and leave their field unmeasured).
SLIDING_PROBE_ARGS = {**PROBE_ARGS, "padding_mode": "zeros"}


class _SlidingConvolution(LayerType):
    """What conv and local share: a window slid over the input, ``filters`` outputs per place."""

    primary = "filters"
    spatial = True
    mixes_channels = True
    probe_args = SLIDING_PROBE_ARGS

    def window(self, a, shape: tuple):
        return resolve_window(shape[1:], a.kernel, a.stride, a.padding, a.dilation)

    def output_shape(self, a, shapes):
        (shape,) = shapes
        check_in_channels(a, shape[0])
        check_groups(a, shape[0])
        check_bias(a)
        return (a.filters, *window_output(shape[1:], self.window(a, shape)))

    def receptive_field(self, a, fields, shapes):
        return window_field(fields[0], self.window(a, shapes[0]))

    def strided_values(self, a, shapes, out):
        return prod(shapes[0]) if any(step > 1 for step in self.window(a, shapes[0]).stride) else 0

    def worked_shape(self, a, shapes, out):
        window = self.window(a, shapes[0])
        return [f"channels: the {a.filters} filter{'s' if a.filters != 1 else ''}"] + worked_window(
            shapes[0][1:], window, a.padding == "same"
        )

    def worked_field(self, a, fields, shapes):
        return worked_window_field(fields[0], self.window(a, shapes[0]))

    def worked_macs(self, a, shapes, out):
        groups = a.get("groups", 1)
        taps = "*".join(str(k) for k in per_axis(a.kernel, len(out) - 1, "kernel"))
        return (
            f"{'*'.join(str(n) for n in out)} output values * {taps}*{shapes[0][0] // groups} multiply-adds each "
            f"= {self.macs(a, shapes, out):,}"
        )


@register
class Conv(_SlidingConvolution):
    """Convolution over 1, 2 or 3 spatial axes (PyTorch's Conv1d/2d/3d).

    params = filters * (C_in/groups) * prod(kernel) + filters (bias);
    MACs = prod(output shape) * (C_in/groups) * prod(kernel).
    Depthwise convolution is ``groups`` equal to the input channels.

    Example::

        - conv: {filters: 64, kernel: 3, padding: 1}
    """

    name = "conv"
    aliases = ("convolution",)
    examples = (
        ((3, 9, 9), "[{conv: {filters: 4, kernel: 3, stride: 2, padding: 1}}]"),
        ((4, 9, 9), "[{conv: {filters: 4, kernel: [3, 1], dilation: 2, groups: 4, padding: same}}]"),
        ((2, 11), "[{conv: {filters: 3, kernel: 3, padding: [[2, 0]], bias: false}}]"),
        ((2, 11, 9), "[{conv: {filters: 3, kernel: 3, padding: 2, padding_mode: reflect}}]"),
        ((2, 11), "[{conv: {filters: 3, kernel: 5, padding: same, padding_mode: circular}}]"),
    )
    args = (
        FILTERS,
        *WINDOW_ARGS,
        Arg("groups", Integer(), 1, "split channels into this many independent groups"),
        BIAS,
        PADDING_MODE,
        IN_CHANNELS,
        WEIGHTS,
    )

    def has_channel_bias(self, a):
        return a.bias is not False

    def weights(self, a, shapes):
        channels, ndim = shapes[0][0], len(shapes[0]) - 1
        inputs = "C_in" if a.groups == 1 else "C_in/groups"
        axes = ("C_out", inputs, *window_axis_names(ndim))
        arrays = [Weight("weights", (a.filters, channels // a.groups, *per_axis(a.kernel, ndim, "kernel")), axes=axes)]
        if a.bias is not False:
            arrays.append(Weight("bias", (a.filters,), init="small", axes=("C_out",), bias=True))
        return tuple(arrays)

    def macs(self, a, shapes, out):
        return prod(out) * (shapes[0][0] // a.groups) * prod(per_axis(a.kernel, len(out) - 1, "kernel"))

    def products(self, a, shapes, out):
        # Per group, the input's patches (a row per output position) by the group's filters.
        taps = prod(per_axis(a.kernel, len(out) - 1, "kernel"))
        return (a.groups, prod(out[1:]), shapes[0][0] // a.groups * taps, a.filters // a.groups)

    def worked_params(self, a, shapes):
        # The textbook form: (F*F*C + 1) * K, one bias per filter.
        kernel = "*".join(str(k) for k in per_axis(a.kernel, len(shapes[0]) - 1, "kernel"))
        per_filter = f"{kernel}*{shapes[0][0] // a.groups}"
        total = sum(w.size for w in self.weights(a, shapes))
        if a.bias is False:
            return f"{per_filter} * {a.filters} = {total:,}"
        return f"({per_filter} + 1) * {a.filters} = {total:,}"

    def forward(self, a, xs, w, k):
        (x,) = xs
        result = k.convolve(x, self.window(a, x.shape[1:]), w["weights"], a.groups, a.padding_mode)
        return add_bias(result, w.get("bias"), in_place=True)  # the result is ours, fresh from the kernels


@register
class Local(_SlidingConvolution):
    """Locally connected layer: a convolution whose weights are not shared between places.

    Every output unit has its own kernel and bias (as in Keras' LocallyConnected2D and the
    "without parameter sharing" exercise of CS231n):
    params = prod(output shape) * (C_in * prod(kernel) + 1); MACs as a convolution.
    """

    name = "local"
    aliases = ("locally_connected", "local_conv", "unshared_conv")
    examples = (((2, 7, 7), "[{local: {filters: 3, kernel: 3, stride: 2}}]"),)
    probe_args = {name: value for name, value in SLIDING_PROBE_ARGS.items() if name != "groups"}
    args = (FILTERS, *WINDOW_ARGS, BIAS, PADDING_MODE, IN_CHANNELS, WEIGHTS)

    def output_shape(self, a, shapes):
        if isinstance(a.bias, tuple):
            raise LayerError(
                "a locally connected layer has a bias per output unit; give bias: true or false", arg="bias"
            )
        return super().output_shape(a, shapes)

    def weights(self, a, shapes):
        channels, ndim = shapes[0][0], len(shapes[0]) - 1
        out = self.output_shape(a, shapes)
        places = tuple(f"{name}_out" for name in spatial_axis_names(ndim))
        axes = ("C_out", *places, "C_in", *window_axis_names(ndim))
        arrays = [Weight("weights", (*out, channels, *per_axis(a.kernel, ndim, "kernel")), axes=axes)]
        if a.bias is not False:
            arrays.append(Weight("bias", out, init="small", axes=("C_out", *places), bias=True))
        return tuple(arrays)

    def macs(self, a, shapes, out):
        return prod(out) * shapes[0][0] * prod(per_axis(a.kernel, len(out) - 1, "kernel"))

    def products(self, a, shapes, out):
        # Every position its own: one patch (a row per example) by that position's filters.
        taps = prod(per_axis(a.kernel, len(out) - 1, "kernel"))
        return (prod(out[1:]), 1, shapes[0][0] * taps, a.filters)

    def worked_params(self, a, shapes):
        out = self.output_shape(a, shapes)
        kernel = "*".join(str(k) for k in per_axis(a.kernel, len(shapes[0]) - 1, "kernel"))
        units = "*".join(str(n) for n in out)
        total = sum(w.size for w in self.weights(a, shapes))
        each = f"({kernel}*{shapes[0][0]} + 1)" if a.bias is not False else f"{kernel}*{shapes[0][0]}"
        return f"{units} output units, each with its own {each} parameters = {total:,}"

    def forward(self, a, xs, w, k):
        (x,) = xs
        cols = k.windows(x, self.window(a, x.shape[1:]), a.padding_mode)
        result = k.correlate_unshared(cols, w["weights"])
        return result if "bias" not in w else result + w["bias"]


@register
class Deconv(LayerType):
    """Transposed convolution (PyTorch's ConvTranspose1d/2d/3d), the gradient of a convolution.

    out = (W-1)*S - P_before - P_after + D*(F-1) + output_padding + 1;
    params = C_in * (filters/groups) * prod(kernel) + filters;
    MACs = prod(input shape) * (filters/groups) * prod(kernel).

    Receptive field: output units are ``S`` to an input step, so ``jump = jump_in / S``;
    ``size`` is the largest span of input pixels any one output unit sees (units differ
    when S > 1); ``start`` places unit 0 on the zero-upsampled grid the transposed
    convolution is a convolution over: ``start_in + (P_before - (F_eff-1)/2) * jump_in / S``.
    """

    name = "deconv"
    aliases = ("conv_transpose", "convtranspose", "transposed_conv", "deconvolution", "upconv")
    examples = (
        ((3, 6, 6), "[{deconv: {filters: 2, kernel: 4, stride: 2, padding: 1}}]"),
        ((4, 5), "[{deconv: {filters: 2, kernel: 3, stride: 3, groups: 2, output_padding: 1}}]"),
    )
    primary = "filters"
    spatial = True
    mixes_channels = True
    probe_args = PROBE_ARGS
    args = (
        FILTERS,
        Arg("kernel", Sizes(), doc="window size, one number for all axes or one per axis"),
        Arg("stride", Sizes(), 1, "upsampling step"),
        Arg("padding", Padding(allow_same=False), 0, "removed from each side of the full output"),
        Arg("output_padding", Sizes(minimum=0), 0, "extra rows/columns added after, to pick among the possible sizes"),
        Arg("dilation", Sizes(), 1, "spacing between kernel taps"),
        Arg("groups", Integer(), 1, "split channels into this many independent groups"),
        BIAS,
        IN_CHANNELS,
        WEIGHTS,
    )

    def geometry(self, a, shape):
        ndim = len(shape) - 1
        return (
            per_axis(a.kernel, ndim, "kernel"),
            per_axis(a.stride, ndim, "stride"),
            per_axis(a.dilation, ndim, "dilation"),
            explicit_pads(a.padding, ndim),
            per_axis(a.output_padding, ndim, "output_padding"),
        )

    def output_shape(self, a, shapes):
        (shape,) = shapes
        check_in_channels(a, shape[0])
        check_groups(a, shape[0])
        check_bias(a)
        out = []
        for size, k, s, d, (before, after), extra in zip(shape[1:], *self.geometry(a, shape)):
            if extra >= s and extra >= d:
                raise LayerError(
                    f"output_padding {extra} must be smaller than the stride ({s}) or the dilation ({d})",
                    arg="output_padding",
                )
            length = (size - 1) * s - before - after + d * (k - 1) + extra + 1
            if length < 1:
                raise LayerError(
                    f"the output would have size {length} (padding {before}+{after} removes too much)", arg="padding"
                )
            out.append(length)
        return (a.filters, *out)

    def has_channel_bias(self, a):
        return a.bias is not False

    def weights(self, a, shapes):
        channels = shapes[0][0]
        kernel = self.geometry(a, shapes[0])[0]
        outputs = "C_out" if a.groups == 1 else "C_out/groups"
        axes = ("C_in", outputs, *window_axis_names(len(kernel)))
        arrays = [Weight("weights", (channels, a.filters // a.groups, *kernel), axes=axes)]
        if a.bias is not False:
            arrays.append(Weight("bias", (a.filters,), init="small", axes=("C_out",), bias=True))
        return tuple(arrays)

    def forward(self, a, xs, w, k):
        """Every input value spreads its kernel over the full output, which is then cropped by
        the padding (and grown by output_padding at the end)."""
        (x,) = xs
        kernel, stride, dilation, pads, extra = self.geometry(a, x.shape[1:])
        full = [(size - 1) * s + d * (f - 1) + 1 for size, f, s, d in zip(x.shape[2:], kernel, stride, dilation)]
        grown = [length + e for length, e in zip(full, extra)]
        result = k.scatter(x, w["weights"], a.groups, stride, dilation, grown)
        crop = (slice(None), slice(None)) + tuple(slice(b, length - e) for (b, e), length in zip(pads, grown))
        return add_bias(result[crop], w.get("bias"))

    def macs(self, a, shapes, out):
        kernel = self.geometry(a, shapes[0])[0]
        return prod(shapes[0]) * (a.filters // a.groups) * prod(kernel)

    def strided_values(self, a, shapes, out):
        return prod(out) if any(step > 1 for step in self.geometry(a, shapes[0])[1]) else 0

    def products(self, a, shapes, out):
        # Per group, each input position's channels by the filters' taps (then spread out).
        taps = prod(self.geometry(a, shapes[0])[0])
        return (a.groups, prod(shapes[0][1:]), shapes[0][0] // a.groups, a.filters // a.groups * taps)

    def worked_shape(self, a, shapes, out):
        lines = [f"channels: the {a.filters} filter{'s' if a.filters != 1 else ''}"]
        for axis, (size, k, s, d, (before, after), extra) in enumerate(
            zip(shapes[0][1:], *self.geometry(a, shapes[0]))
        ):
            name = axis_name(axis, len(shapes[0]) - 1)
            lines.append(f"{name}: ({size}-1)*{s} - {before} - {after} + {d}*({k}-1) + {extra} + 1 = {out[axis + 1]}")
        return lines

    def worked_params(self, a, shapes):
        kernel = "*".join(str(k) for k in self.geometry(a, shapes[0])[0])
        total = sum(w.size for w in self.weights(a, shapes))
        core = f"{shapes[0][0]}*{a.filters // a.groups}*{kernel}"
        return f"{core} + {a.filters} = {total:,}" if a.bias is not False else f"{core} = {total:,}"

    def worked_macs(self, a, shapes, out):
        kernel = "*".join(str(k) for k in self.geometry(a, shapes[0])[0])
        inputs = "*".join(str(n) for n in shapes[0])
        return f"{inputs} input values * {a.filters // a.groups}*{kernel} multiply-adds each = {self.macs(a, shapes, out):,}"

    def receptive_field(self, a, fields, shapes):
        kernel, stride, dilation, pads, _ = self.geometry(a, shapes[0])
        return per_axis_reach(spread, fields[0], kernel, stride, dilation, [before for before, _ in pads])


def add_bias(x, bias, in_place: bool = False):
    """Adds one value per channel to ``(N, C, *spatial)``; ``in_place`` (when the caller owns
    ``x``) saves allocating and filling another output-sized array."""
    if bias is None:
        return x
    bias = bias.reshape((1, -1) + (1,) * (x.ndim - 2))
    if in_place and np.result_type(x, bias) == x.dtype:
        x += bias
        return x
    return x + bias
