"""Layers that move values around without learning: ``pad`` and ``upsample``."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import axis_name, explicit_pads, per_axis, per_axis_reach, resample, shifted_field
from .base import Arg, Choice, LayerType, Number, Padding, Scales, np, register


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
