"""Layers that move values around without learning: ``pad``, ``upsample``, ``crop`` and
``channel_shuffle``."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import axis_name, explicit_pads, per_axis, per_axis_reach, resample, shifted_field
from .base import Arg, Choice, Integer, LayerType, Number, Padding, Scales, Sizes, groups_of_channels, np, register


@register
class Pad(LayerType):
    """Adds rows and columns around the input: zeros, a constant, or the input's own values.

    ``reflect`` mirrors without repeating the edge, ``replicate`` repeats the edge,
    ``circular`` wraps around (PyTorch's ReflectionPad, ReplicationPad, CircularPad).

    Example::

        - pad: {padding: [[2, 0], [1, 1]], mode: replicate}   # H: 2 before; W: 1 each side
    """

    name = "pad"
    aliases = ("padding", "zeropad", "zero_pad", "constant_pad")
    # The probe measures what a unit can see, whatever fills the padding (conv.PROBE_ARGS).
    probe_args = {"mode": "zeros"}
    examples = (
        ((2, 8, 8), "[{pad: {padding: [[2, 0], [1, 1]]}}, {conv: {filters: 2, kernel: 3}}]"),
        ((2, 8, 8), "[{pad: {padding: [[2, 0], [1, 1]], mode: replicate}}, {conv: {filters: 2, kernel: 3}}]"),
        ((2, 9), "[{pad: {padding: 3, mode: reflect}}, {maxpool: {kernel: 3, stride: 2}}]"),
        ((2, 8, 8), "[{pad: {padding: 1, mode: constant, value: 0.5}}]"),
    )
    # reflect and replicate keep the input; PyTorch's constant and circular padding keep
    # nothing, which this overcounts where no other layer keeps that input
    saves = ("input",)
    primary = "padding"
    spatial = True
    args = (
        Arg("padding", Padding(allow_same=False), doc="a number, or per axis a number or [before, after]"),
        Arg(
            "mode",
            Choice("zeros", "constant", "reflect", "replicate", "circular"),
            "zeros",
            "what fills the new positions",
        ),
        Arg("value", Number(), 0, "the constant, for mode constant"),
    )

    def output_shape(self, a, shapes):
        (shape,) = shapes
        pads = explicit_pads(a.padding, len(shape) - 1)
        for axis, (size, (before, after)) in enumerate(zip(shape[1:], pads)):
            limit = {"reflect": size - 1, "circular": size}.get(a.mode)
            if limit is not None and max(before, after) > limit:
                raise LayerError(
                    f"{a.mode} padding of {max(before, after)} is more than axis {axis_name(axis, len(shape) - 1)} "
                    f"of size {size} allows ({limit})",
                    arg="padding",
                )
        return (shape[0], *(size + before + after for size, (before, after) in zip(shape[1:], pads)))

    def receptive_field(self, a, fields, shapes):
        return shifted_field(fields[0], explicit_pads(a.padding, len(shapes[0]) - 1))

    def worked_shape(self, a, shapes, out):
        pads = explicit_pads(a.padding, len(shapes[0]) - 1)
        return [
            f"{axis_name(axis, len(pads))}: {size} + {before} + {after} = {size + before + after}"
            for axis, (size, (before, after)) in enumerate(zip(shapes[0][1:], pads))
        ]

    def forward(self, a, xs, w, k):
        self.output_shape(a, (xs[0].shape[1:],))  # the checks
        return k.pad(xs[0], explicit_pads(a.padding, xs[0].ndim - 2), a.mode, a.value)


@register
class Upsample(LayerType):
    """Enlarges the spatial axes by ``scale`` (``out = floor(W * scale)``), nearest neighbour.

    Output unit o copies input unit floor(o / scale), on every axis and in 1-D, 2-D and 3-D
    alike. (PyTorch's 2-D version alone takes shortcuts when an axis keeps its size or
    exactly doubles, copying o or o // 2 whatever the scale; cnncalc does not.)
    """

    name = "upsample"
    aliases = ("upsampling", "interpolate")
    examples = (((2, 6, 6), "[{conv: {filters: 2, kernel: 3}}, {upsample: 2}]"), ((2, 8), "[{upsample: 1.5}]"))
    saves = ()  # the backward pass needs only the sizes
    primary = "scale"
    spatial = True
    args = (
        Arg("scale", Scales(), doc="factor per axis, or one for all"),
        Arg("mode", Choice("nearest"), "nearest", "how new positions are filled"),
    )

    def output_shape(self, a, shapes):
        (shape,) = shapes
        scales = per_axis(a.scale, len(shape) - 1, "scale")
        out = tuple(int(size * scale) for size, scale in zip(shape[1:], scales))
        if min(out) < 1:
            raise LayerError(f"scale {a.scale} leaves an axis empty: {list(shape[1:])} -> {list(out)}", arg="scale")
        return (shape[0], *out)

    def receptive_field(self, a, fields, shapes):
        return per_axis_reach(resample, fields[0], per_axis(a.scale, len(shapes[0]) - 1, "scale"))

    def worked_shape(self, a, shapes, out):
        scales = per_axis(a.scale, len(shapes[0]) - 1, "scale")
        return [
            f"{axis_name(axis, len(scales))}: floor({size} * {scale}) = {length}"
            for axis, (size, scale, length) in enumerate(zip(shapes[0][1:], scales, out[1:]))
        ]

    def forward(self, a, xs, w, k):
        x = xs[0]
        out = self.output_shape(a, (x.shape[1:],))[1:]
        for axis, (size, length, scale) in enumerate(zip(x.shape[2:], out, per_axis(a.scale, x.ndim - 2, "scale"))):
            # PyTorch's nearest neighbour: source = floor(o * (1/scale)), in float32 arithmetic.
            step = np.float32(1.0 / scale)
            source = np.minimum(np.floor(np.arange(length, dtype=np.float32) * step).astype(np.int64), size - 1)
            x = np.take(x, source, axis=axis + 2)
        return x


@register
class Crop(LayerType):
    """Cuts the spatial axes down: to ``size`` (centered; the odd pixel comes off the end), or
    by ``amounts`` per axis ``[before, after]``. U-Net crops its skip connections this way.

    Example::

        - crop: [392, 392]                  # center crop of a 568x568 map: 88 off each side
        - crop: {amounts: [[1, 0], [1, 0]]}
    """

    name = "crop"
    aliases = ("center_crop", "cropping")
    saves = ()
    output_is_view = True  # a slice of the input
    primary = "size"
    spatial = True
    examples = (((2, 9, 9), "[{crop: 5}]"), ((2, 9, 9), "[{crop: {amounts: [[1, 0], [2, 1]]}}]"))
    args = (
        Arg("size", Sizes(), None, "the size to cut down to, centered"),
        Arg("amounts", Padding(allow_same=False), None, "or how much to cut: per axis a number or [before, after]"),
    )

    def cuts(self, a, shape: tuple) -> tuple:
        ndim = len(shape) - 1
        if (a.size is None) == (a.amounts is None):
            raise LayerError("give crop either size (centered) or amounts, one of the two", arg="size")
        if a.amounts is not None:
            return explicit_pads(a.amounts, ndim, "amounts")
        cuts = []
        for axis, (length, target) in enumerate(zip(shape[1:], per_axis(a.size, ndim, "size"))):
            if target > length:
                raise LayerError(f"cannot crop axis {axis_name(axis, ndim)} of size {length} to {target}", arg="size")
            cuts.append(((length - target) // 2, length - target - (length - target) // 2))
        return tuple(cuts)

    def output_shape(self, a, shapes):
        (shape,) = shapes
        out = [length - before - after for length, (before, after) in zip(shape[1:], self.cuts(a, shape))]
        if min(out) < 1:
            raise LayerError(f"cropping leaves nothing: {list(shape[1:])} -> {out}", arg="amounts")
        return (shape[0], *out)

    def worked_shape(self, a, shapes, out):
        cuts = self.cuts(a, shapes[0])
        return [
            f"{axis_name(axis, len(cuts))}: {length} - {before} - {after} = {length - before - after}"
            for axis, (length, (before, after)) in enumerate(zip(shapes[0][1:], cuts))
        ]

    def receptive_field(self, a, fields, shapes):
        return shifted_field(fields[0], tuple((-before, -after) for before, after in self.cuts(a, shapes[0])))

    def forward(self, a, xs, w, k):
        x = xs[0]
        cuts = self.cuts(a, x.shape[1:])
        return x[(slice(None), slice(None), *(slice(b, n - e) for n, (b, e) in zip(x.shape[2:], cuts)))]


@register
class ChannelShuffle(LayerType):
    """Interleaves the channels of ``groups`` groups (ShuffleNet; PyTorch's ChannelShuffle):
    viewed as ``[groups, C/groups]``, transposed, read back, so that the next grouped
    convolution sees channels of every group. Learns nothing; shape and field unchanged.

    Example::

        - channel_shuffle: 2
    """

    name = "channel_shuffle"
    aliases = ("shuffle", "channelshuffle")
    primary = "groups"
    saves = ()  # its gradient is the inverse shuffle
    args = (Arg("groups", Integer(), doc="how many groups of channels are interleaved"),)
    probe_args = {"groups": 1}  # the probe's slim copy has two channels
    examples = (((4, 8, 8), "[{conv: {filters: 6, kernel: 3, groups: 2}}, {channel_shuffle: 3}]"),)

    def output_shape(self, a, shapes):
        return groups_of_channels(a.groups, shapes[0])

    def worked_shape(self, a, shapes, out):
        channels = shapes[0][0]
        return [f"channels: {channels} as {a.groups} groups of {channels // a.groups}, interleaved; shape unchanged"]

    def forward(self, a, xs, w, k):
        x = xs[0]
        self.output_shape(a, (x.shape[1:],))
        grouped = x.reshape(x.shape[0], a.groups, x.shape[1] // a.groups, *x.shape[2:])
        return np.ascontiguousarray(grouped.swapaxes(1, 2)).reshape(x.shape)
