"""Sliding-window arithmetic, per spatial axis, shared by convolution and pooling.

Pure functions of sizes and arguments. They raise ``LayerError`` naming the argument at
fault; the engine adds the file position. The formulas are those of the contract
(shared/SPEC.md section 2):

    out = floor((W + P_before + P_after - D*(F-1) - 1) / S) + 1

>>> window_output_size(224, kernel=3, stride=1, dilation=1, before=1, after=1)
224
>>> window_output_size(227, kernel=11, stride=4, dilation=1, before=0, after=0)
55
"""

from __future__ import annotations

from .errors import LayerError
from .record import Record

# The receptive field of a unit that sees everything (after flatten, fc, global pooling).
GLOBAL = "global"

AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_name(axis: int, ndim: int) -> str:
    names = AXIS_NAMES.get(ndim)
    return names[axis] if names else f"axis {axis}"


class Window(Record, fields="kernel stride dilation pads ceil_mode"):
    """A sliding window resolved for one input: one entry per spatial axis.

    ``pads`` holds ``(before, after)`` pairs.
    """

    __slots__ = ()

    @property
    def effective_kernel(self) -> tuple:
        """``D*(F-1) + 1``: the span of input pixels one window covers."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))


class Field(Record, fields="size jump start"):
    """Receptive field per spatial axis, in input pixels (see SPEC.md section 2).

    ``size``: span of input pixels that can influence one output unit.
    ``jump``: distance between the fields of neighbouring output units.
    ``start``: center of output unit 0's field (may be fractional or negative).
    """

    __slots__ = ()

    @classmethod
    def of_input(cls, ndim: int) -> Field:
        return cls((1,) * ndim, (1,) * ndim, (0,) * ndim)


def per_axis(value, ndim: int, arg: str) -> tuple:
    """An argument written once for all axes, or once per axis, as one entry per axis."""
    if isinstance(value, tuple):
        if len(value) != ndim:
            raise LayerError(
                f"{arg} has {len(value)} entries but the input has {ndim} spatial "
                f"{'axis' if ndim == 1 else 'axes'}; give one number for all axes or {ndim}",
                arg=arg,
            )
        return value
    return (value,) * ndim


def explicit_pads(padding, ndim: int, arg: str = "padding") -> tuple:
    """``(before, after)`` per axis from an int, a per-axis list or ``[before, after]`` pairs."""
    if padding == "valid":
        return ((0, 0),) * ndim
    return tuple(p if isinstance(p, tuple) else (p, p) for p in per_axis(padding, ndim, arg))


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple:
    """TensorFlow's ``same``: ``out = ceil(W/S)``, the odd pixel of padding goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return (total // 2, total - total // 2)


def resolve_window(spatial: tuple, kernel, stride, padding, dilation=1, ceil_mode=False) -> Window:
    """Broadcasts the window arguments to ``len(spatial)`` axes and resolves ``same``."""
    ndim = len(spatial)
    kernel = per_axis(kernel, ndim, "kernel")
    stride = per_axis(stride, ndim, "stride")
    dilation = per_axis(dilation, ndim, "dilation")
    if padding == "same":
        pads = tuple(same_pads(*axis) for axis in zip(spatial, kernel, stride, dilation))
    else:
        pads = explicit_pads(padding, ndim)
    return Window(kernel, stride, dilation, pads, ceil_mode)


def window_output_size(size, kernel, stride, dilation, before, after, ceil_mode=False, axis="W") -> int:
    """One axis of a convolution or pooling output (SPEC.md section 2)."""
    span = dilation * (kernel - 1) + 1
    padded = size + before + after
    if padded < span:
        what = f"kernel {kernel}" + (f" with dilation {dilation} (spans {span})" if dilation > 1 else "")
        raise LayerError(
            f"{what} does not fit the input on axis {axis}: {size} + padding {before}+{after} = {padded} < {span}",
            arg="kernel",
        )
    if ceil_mode:
        out = -(-(padded - span) // stride) + 1
        # PyTorch drops a last window that would start inside the right padding.
        if (out - 1) * stride >= size + before:
            out -= 1
    else:
        out = (padded - span) // stride + 1
    return out


def window_output(spatial: tuple, window: Window) -> tuple:
    ndim = len(spatial)
    return tuple(
        window_output_size(size, k, s, d, before, after, window.ceil_mode, axis_name(i, ndim))
        for i, (size, k, s, d, (before, after)) in enumerate(
            zip(spatial, window.kernel, window.stride, window.dilation, window.pads)
        )
    )


def window_field(field, window: Window):
    """The receptive field after a sliding window (conv, pooling), per the contract:

    size = size_in + (F_eff-1)*jump_in; jump = jump_in*S; start = start_in + ((F_eff-1)/2 - P_before)*jump_in
    """
    if field == GLOBAL:
        return GLOBAL
    sizes, jumps, starts = [], [], []
    for size, jump, start, span, stride, (before, _) in zip(
        field.size, field.jump, field.start, window.effective_kernel, window.stride, window.pads
    ):
        sizes.append(size + (span - 1) * jump)
        jumps.append(jump * stride)
        starts.append(exact(start + ((span - 1) / 2 - before) * jump))
    return Field(tuple(sizes), tuple(jumps), tuple(starts))


def shifted_field(field, pads: tuple):
    """Padding or cropping: the same field, with output unit 0 moved by ``-before`` pixels."""
    if field == GLOBAL:
        return GLOBAL
    starts = tuple(exact(start - before * jump) for start, jump, (before, _) in zip(field.start, field.jump, pads))
    return Field(field.size, field.jump, starts)


def union_field(fields: list):
    """Several branches merged unit by unit: the union of their fields; jumps must agree."""
    if any(f == GLOBAL for f in fields):
        return GLOBAL
    first = fields[0]
    for other in fields[1:]:
        if other.jump != first.jump:
            raise LayerError(
                f"the inputs' receptive fields step differently (jump {list(first.jump)} vs "
                f"{list(other.jump)}), so their units do not line up"
            )
    sizes, starts = [], []
    for axis in range(len(first.size)):
        low = min(f.start[axis] - (f.size[axis] - 1) / 2 for f in fields)
        high = max(f.start[axis] + (f.size[axis] - 1) / 2 for f in fields)
        sizes.append(exact(high - low + 1))
        starts.append(exact((low + high) / 2))
    return Field(tuple(sizes), first.jump, tuple(starts))


def exact(value):
    """An integer where the value is whole, so reports print ``3``, not ``3.0``."""
    return int(value) if value == int(value) else value
