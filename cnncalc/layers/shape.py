"""Layers that move values around without learning: ``pad``, ``upsample``, ``crop`` and
``channel_shuffle``."""

from __future__ import annotations

import math

from ..errors import LayerError
from ..geometry import (
    GLOBAL,
    Reach,
    axis_name,
    explicit_pads,
    per_axis,
    per_axis_reach,
    ratio,
    resample,
    rescale,
    shifted_field,
    slide,
)
from .base import (
    Arg,
    Choice,
    Flag,
    Integer,
    LayerName,
    LayerType,
    Number,
    Padding,
    Scales,
    Sizes,
    groups_of_channels,
    np,
    register,
)


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


@register
class Chunk(LayerType):
    """One of ``chunks`` equal parts of the channels (PyTorch's ``x.chunk(chunks, dim=1)``):
    ShuffleNet v2 splits its channels in two and reads each half in a different branch. As
    PyTorch: parts of ceil(C/chunks) channels, the last one smaller where C does not divide.

    Example::

        - chunk: {chunks: 2, index: 0}
          name: left
        - chunk: {chunks: 2, index: 1}
          from: features
          name: right
    """

    name = "chunk"
    aliases = ("channel_split", "split_channels")
    primary = "chunks"
    probe_args = {"chunks": 1, "index": 0}  # every channel: the field is the same
    saves = ()
    output_is_view = True  # a slice of the input's channels
    args = (
        Arg("chunks", Integer(), doc="how many parts the channels are cut into"),
        Arg("index", Integer(minimum=0), 0, "which part, from 0"),
    )
    examples = (
        ((4, 6, 6), "[{conv: {filters: 6, kernel: 3}, name: f}, {chunk: 2}, {chunk: {chunks: 2, index: 1}, from: f}]"),
        ((7, 5), "[{chunk: {chunks: 3, index: 2}}]"),
    )

    def channels(self, a, channels: int) -> tuple:
        size = -(-channels // a.chunks)
        start = a.index * size
        if start >= channels:
            raise LayerError(
                f"the {channels} channels make only {-(-channels // size)} chunks of {size}; index {a.index} is past them",
                arg="index",
            )
        return start, min(start + size, channels)

    def output_shape(self, a, shapes):
        start, stop = self.channels(a, shapes[0][0])
        return (stop - start, *shapes[0][1:])

    def worked_shape(self, a, shapes, out):
        start, stop = self.channels(a, shapes[0][0])
        size = -(-shapes[0][0] // a.chunks)
        return [f"channels: ceil({shapes[0][0]}/{a.chunks}) = {size} per chunk; chunk {a.index}: {start} to {stop - 1}"]

    def forward(self, a, xs, w, k):
        start, stop = self.channels(a, xs[0].shape[1])
        return xs[0][:, start:stop]


class _PixelShuffling(LayerType):
    primary = "factor"
    spatial = True
    saves = ()
    args = (Arg("factor", Integer(), doc="the upscale (shuffle) or downscale (unshuffle) factor r"),)

    def worked_shape(self, a, shapes, out):
        return [f"{list(shapes[0])} -> {list(out)}, with r = {a.factor}"]


@register
class PixelShuffle(_PixelShuffling):
    """Channels into space (PyTorch's PixelShuffle, sub-pixel convolution): ``[C*r^2, H, W]``
    -> ``[C, H*r, W*r]``; output position h reads input position floor(h / r)."""

    name = "pixel_shuffle"
    aliases = ("pixelshuffle", "depth_to_space")
    examples = (
        ((8, 3, 4), "[{pixel_shuffle: 2}]"),
        ((4, 5, 5), "[{conv: {filters: 9, kernel: 3}}, {pixel_shuffle: 3}]"),
    )

    def output_shape(self, a, shapes):
        (shape,) = shapes
        if len(shape) != 3:
            raise LayerError(f"pixel_shuffle works on [C, H, W] maps; got {list(shape)}")
        r = a.factor
        if shape[0] % (r * r):
            raise LayerError(f"the channels ({shape[0]}) must be a multiple of factor^2 = {r * r}", arg="factor")
        return (shape[0] // (r * r), shape[1] * r, shape[2] * r)

    def receptive_field(self, a, fields, shapes):
        r = a.factor
        return per_axis_reach(lambda reach: rescale(reach, 1, r, lambda o: [o // r]), fields[0])

    def forward(self, a, xs, w, k):
        x, r = xs[0], a.factor
        n, c, h, width = x.shape
        out = x.reshape(n, c // (r * r), r, r, h, width).transpose(0, 1, 4, 2, 5, 3)
        return np.ascontiguousarray(out).reshape(n, c // (r * r), h * r, width * r)


@register
class PixelUnshuffle(_PixelShuffling):
    """Space into channels (PyTorch's PixelUnshuffle): ``[C, H*r, W*r]`` -> ``[C*r^2, H, W]``;
    output position h reads input positions h*r to h*r + r - 1."""

    name = "pixel_unshuffle"
    aliases = ("pixelunshuffle", "space_to_depth")
    examples = (((2, 6, 4), "[{pixel_unshuffle: 2}]"),)

    def output_shape(self, a, shapes):
        (shape,) = shapes
        if len(shape) != 3:
            raise LayerError(f"pixel_unshuffle works on [C, H, W] maps; got {list(shape)}")
        r = a.factor
        if shape[1] % r or shape[2] % r:
            raise LayerError(f"the height and width ({shape[1]}, {shape[2]}) must be multiples of {r}", arg="factor")
        return (shape[0] * r * r, shape[1] // r, shape[2] // r)

    def receptive_field(self, a, fields, shapes):
        return per_axis_reach(slide, fields[0], [a.factor] * 2, [a.factor] * 2, [1, 1], [0, 0])

    def forward(self, a, xs, w, k):
        x, r = xs[0], a.factor
        n, c, h, width = x.shape
        out = x.reshape(n, c, h // r, r, width // r, r).transpose(0, 1, 3, 5, 2, 4)
        return np.ascontiguousarray(out).reshape(n, c * r * r, h // r, width // r)


@register
class Resize(LayerType):
    """Resampling to a ``size``, by a ``scale``, or to the size of another layer's output
    (``like``; PyTorch's ``F.interpolate``): ``nearest``, ``bilinear`` (linear in 1-D,
    trilinear in 3-D: linear along every axis) or ``bicubic`` (2-D), with ``align_corners``
    as PyTorch's.

    ``like`` names a layer, or ``input`` (inside a module, the instance's input), and takes
    its spatial size, as ``F.interpolate(x, size=y.shape[-2:])`` does: segmentation heads
    resize their logits to the network input's size, and DeepLab's image pooling its 1x1
    map back to the size of the map it pooled. The file then holds for any input size. The
    named layer's values change nothing: it adds nothing to the receptive field.

    Output unit o reads the input around ``src = (o + 0.5) * r - 0.5`` (``r`` = in/out for
    a size, 1/scale for a scale; ``o * (in-1)/(out-1)`` with ``align_corners``): nearest
    ``floor(o * r)``; linear the two units beside src, cubic the four (only the one unit
    at src when src is whole). Its receptive field is the union of theirs, extended past
    the borders where PyTorch clamps (as padding is).

    Example::

        - resize: {size: [224, 224], mode: bilinear}
        - resize: {like: input, mode: bilinear}
    """

    name = "resize"
    aliases = ("interpolate_to", "resample", "upsample_bilinear")
    spatial = True
    saves = ()  # the backward pass needs only the sizes
    args = (
        Arg("size", Sizes(), None, "the output size, one number for all axes or one per axis"),
        Arg("scale", Scales(), None, "or the factor per axis (out = floor(W * scale))"),
        Arg("like", LayerName(), None, "or a layer (or input) whose spatial size the output takes"),
        Arg("mode", Choice("nearest", "bilinear", "bicubic"), "nearest", "how new positions are filled"),
        Arg("align_corners", Flag(), False, "map the corner pixels' centers onto each other (linear and cubic)"),
    )
    examples = (
        ((2, 5, 6), "[{resize: {size: [10, 12], mode: bilinear}}]"),
        ((2, 8, 7), "[{resize: {scale: 2, mode: bicubic}}]"),
        ((2, 9), "[{resize: {size: 17, mode: bilinear, align_corners: true}}]"),
        ((2, 16, 16), "[{resize: {scale: 0.5, mode: bilinear}}]"),
        ((2, 6, 6), "[{conv: {filters: 2, kernel: 3}}, {resize: {size: [12, 12], mode: nearest}}]"),
        (
            (2, 12, 10),
            "[{conv: {filters: 3, kernel: 3, stride: 2, padding: 1}}, {resize: {like: input, mode: bilinear}},"
            " {maxpool: 2, name: small, from: input}, {resize: {like: small, mode: nearest}}]",
        ),
    )

    def ratios(self, a, shapes: tuple) -> tuple:
        """Per axis ``(out, (numerator, denominator))``: the output size and r = in/out as a
        fraction (PyTorch's source scale). ``shapes``: the input's, then ``like``'s."""
        shape = shapes[0]
        ndim = len(shape) - 1
        if sum(way is not None for way in (a.size, a.scale, a.like)) != 1:
            raise LayerError("give resize one of size, scale and like", arg="size")
        if a.mode == "bicubic" and ndim != 2:
            raise LayerError(f"bicubic works on [C, H, W] maps; got {list(shape)}", arg="mode")
        if a.like is not None and len(shapes[1]) != len(shape):
            raise LayerError(
                f'like: "{a.like}" is {list(shapes[1])}, but the input {list(shape)}: '
                "both need the same number of spatial axes",
                arg="like",
            )
        result = []
        for axis, size in enumerate(shape[1:]):
            if a.size is not None or a.like is not None:
                out = per_axis(a.size, ndim, "size")[axis] if a.like is None else shapes[1][1 + axis]
                source_scale = (size, out)
            else:
                scale = per_axis(a.scale, ndim, "scale")[axis]
                out = int(size * scale)
                if out < 1:
                    raise LayerError(f"scale {scale} leaves axis {axis_name(axis, ndim)} empty", arg="scale")
                up, down = ratio(scale)
                source_scale = (down, up)
            if a.align_corners and a.mode != "nearest":
                source_scale = (size - 1, out - 1) if out > 1 else (0, 1)
            result.append((out, source_scale))
        return tuple(result)

    def output_shape(self, a, shapes):
        return (shapes[0][0], *(out for out, _ in self.ratios(a, shapes)))

    def sources(self, a, source_scale, o: int) -> list:
        """The input units output unit ``o`` reads (unclamped), exactly."""
        from fractions import Fraction  # imports re: only where a resize needs it

        numerator, denominator = source_scale
        if a.mode == "nearest":
            return [o * numerator // denominator]
        if a.align_corners:
            src = Fraction(o * numerator, denominator)
        else:
            src = Fraction((2 * o + 1) * numerator, 2 * denominator) - Fraction(1, 2)
        low = math.floor(src)
        if src == low:
            return [low]
        return [low, low + 1] if a.mode == "bilinear" else [low - 1, low, low + 1, low + 2]

    def receptive_field(self, a, fields, shapes):
        if fields[0] == GLOBAL:
            return GLOBAL
        reaches = []
        for reach, (_, source_scale) in zip(fields[0], self.ratios(a, shapes)):
            numerator, denominator = source_scale
            if numerator == 0:  # one output unit, reading unit 0
                reaches.append(Reach(1, reach.step, *zip(reach.span(0))))
                continue
            reaches.append(
                rescale(reach, numerator, denominator, lambda o, scale=source_scale: self.sources(a, scale, o))
            )
        return tuple(reaches)

    def worked_shape(self, a, shapes, out):
        lines = []
        for axis, (size, (length, _)) in enumerate(zip(shapes[0][1:], self.ratios(a, shapes))):
            name = axis_name(axis, len(out) - 1)
            if a.size is not None:
                lines.append(f"{name}: {size} -> {length}, as given")
            elif a.like is not None:
                lines.append(f'{name}: {size} -> {length}, as "{a.like}" has')
            else:
                scale = per_axis(a.scale, len(out) - 1, "scale")[axis]
                lines.append(f"{name}: floor({size} * {scale}) = {length}")
        return lines

    def forward(self, a, xs, w, k):
        x = xs[0]
        out_dtype = x.dtype if x.dtype.kind == "f" else np.float64
        x = x.astype(np.float64)
        shapes = tuple(y.shape[1:] for y in xs)
        for axis, ((length, (numerator, denominator)), size) in enumerate(zip(self.ratios(a, shapes), x.shape[2:])):
            x = self._along(a, x, 2 + axis, size, length, numerator / denominator if denominator else 0.0)
        return x.astype(out_dtype, copy=False)

    @staticmethod
    def _along(a, x, axis: int, size: int, length: int, ratio: float):
        """One axis resampled as PyTorch does it (clamped at the borders)."""
        o = np.arange(length, dtype=np.float64)
        if a.mode == "nearest":
            return np.take(x, np.minimum(np.floor(o * ratio).astype(np.int64), size - 1), axis=axis)
        src = o * ratio if a.align_corners else (o + 0.5) * ratio - 0.5
        if a.mode == "bilinear":
            src = np.maximum(src, 0.0)
            low = np.minimum(np.floor(src).astype(np.int64), size - 1)
            t = src - low
            high = np.minimum(low + 1, size - 1)
            shape = [1] * x.ndim
            shape[axis] = length
            t = t.reshape(shape)
            return np.take(x, low, axis=axis) * (1 - t) + np.take(x, high, axis=axis) * t
        low = np.floor(src).astype(np.int64)
        t = src - low
        shape = [1] * x.ndim
        shape[axis] = length
        total = 0
        for offset, weight in zip((-1, 0, 1, 2), _cubic_weights(t)):
            index = np.clip(low + offset, 0, size - 1)
            total = total + np.take(x, index, axis=axis) * weight.reshape(shape)
        return total


def _cubic_weights(t, A: float = -0.75) -> tuple:
    """The cubic convolution weights of the four units around src (PyTorch's A = -0.75)."""

    def near(d):  # |d| <= 1
        return ((A + 2) * d - (A + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A

    return far(t + 1), near(t), near(1 - t), far(2 - t)
