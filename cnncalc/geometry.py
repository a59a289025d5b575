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

from math import gcd

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


def worked_window(spatial: tuple, window: Window, same: bool = False) -> list:
    """One line of arithmetic per axis for ``window_output``, as a student writes it:
    ``H: floor((64 + 0 + 0 - 1*(5-1) - 1)/2) + 1 = 30``."""
    lines = []
    ndim = len(spatial)
    for axis, (size, k, s, d, (before, after)) in enumerate(
        zip(spatial, window.kernel, window.stride, window.dilation, window.pads)
    ):
        name = axis_name(axis, ndim)
        out = window_output_size(size, k, s, d, before, after, window.ceil_mode, name)
        if same:
            target = -(-size // s)
            total = before + after
            lines.append(
                f"{name}: same padding: ceil({size}/{s}) = {target} outputs need "
                f"max(({target}-1)*{s} + {d}*({k}-1) + 1 - {size}, 0) = {total} padding: {before} before, {after} after"
            )
        rounding = "ceil" if window.ceil_mode else "floor"
        padded = f"{size}" + (f" + {before} + {after}" if before or after else "")
        # W + P - F with a plain kernel; W + P - D*(F-1) - 1 with a dilated one (the same sum)
        minus = f"{k}" if d == 1 else f"{d}*({k}-1) - 1"
        line = f"{name}: {rounding}(({padded} - {minus})/{s}) + 1 = "
        span = d * (k - 1) + 1
        rounded = -(-(size + before + after - span) // s) + 1
        if window.ceil_mode and rounded != out:
            line += f"{rounded}, less the last window, which would start in the padding: {out}"
        else:
            line += f"{out}"
        left_over = (size + before + after - span) % s
        if left_over and not window.ceil_mode:
            line += f" ({left_over} {'column' if name == 'W' else 'row'}{'s' * (left_over > 1)} at the end left unused)"
        lines.append(line)
    return lines


def worked_window_field(field, window: Window) -> list:
    """SPEC section 2's recurrence, numbers filled in, for a window over ``field`` (a Field)."""
    if field == GLOBAL:
        return ["global: its input already sees the whole input"]
    lines = []
    ndim = len(field.size)
    for axis, (size, jump, start, span, stride, (before, _)) in enumerate(
        zip(field.size, field.jump, field.start, window.effective_kernel, window.stride, window.pads)
    ):
        name = axis_name(axis, ndim)
        new_start = exact(start + ((span - 1) / 2 - before) * jump)
        lines.append(
            f"{name}: size {size} + ({span}-1)*{_text(jump)} = {size + (span - 1) * jump}, "
            f"jump {_text(jump)}*{stride} = {_text(jump * stride)}, "
            f"start {_text(start)} + (({span}-1)/2 - {before})*{_text(jump)} = {_text(new_start)}"
        )
    return lines


def window_output(spatial: tuple, window: Window) -> tuple:
    ndim = len(spatial)
    return tuple(
        window_output_size(size, k, s, d, before, after, window.ceil_mode, axis_name(i, ndim))
        for i, (size, k, s, d, (before, after)) in enumerate(
            zip(spatial, window.kernel, window.stride, window.dilation, window.pads)
        )
    )


# --- Receptive fields --------------------------------------------------------------------
#
# Output units do not always see alike: after a transposed convolution or an upsampling,
# neighbouring units see different spans. But they repeat: along one axis, unit
# u = period*m + r sees input pixels [lows[r] + m*step, highs[r] + m*step]. A Reach holds
# exactly that, and every layer maps it exactly, because an output unit's field is the
# union of the fields of the input units it reads. With period 1 the mappings below are
# SPEC section 2's recurrences; ``field_of`` turns Reaches into the report's numbers.

MAX_PERIOD = 65_536


class Reach(Record, fields="period step lows highs"):
    """Which input pixels each unit along one axis can see (None: a unit that sees none)."""

    __slots__ = ()

    def span(self, unit: int):
        cycles, phase = divmod(unit, self.period)
        low = self.lows[phase]
        if low is None:
            return None
        return low + cycles * self.step, self.highs[phase] + cycles * self.step


INPUT_REACH = Reach(1, 1, (0,), (0,))


def _gather(reach: Reach, period: int, step: int, sources) -> Reach:
    """The Reach of units that read input units ``sources(unit)``, repeating every ``period``."""
    if period > MAX_PERIOD:
        raise LayerError(f"its output units repeat only every {period:,} units; too irregular to follow")
    lows, highs = [], []
    for phase in range(period):
        spans = [span for span in (reach.span(unit) for unit in sources(phase)) if span is not None]
        lows.append(min(low for low, _ in spans) if spans else None)
        highs.append(max(high for _, high in spans) if spans else None)
    return Reach(period, step, tuple(lows), tuple(highs))


def slide(reach: Reach, kernel: int, stride: int, dilation: int, before: int) -> Reach:
    """A sliding window (convolution, pooling): unit v reads v*S - P_before + t*D."""
    if reach.period == 1 and reach.lows[0] is not None:
        # Every unit alike (the usual case): what _gather finds, in closed form. Unit 0
        # reads input units -P_before (its lowest, as steps are positive) to
        # -P_before + (k-1)*D (its highest).
        step = reach.step
        low = reach.lows[0] - before * step
        high = reach.highs[0] + (kernel - 1) * dilation * step - before * step
        return Reach(1, step * stride, (low,), (high,))
    period = reach.period // gcd(reach.period, stride)
    step = reach.step * (period * stride // reach.period)
    return _gather(reach, period, step, lambda v: [v * stride - before + t * dilation for t in range(kernel)])


def spread(reach: Reach, kernel: int, stride: int, dilation: int, before: int) -> Reach:
    """A transposed convolution: unit o reads input i through tap t when o + P_before = i*S + t*D."""

    def sources(o):
        return [
            (o + before - t * dilation) // stride for t in range(kernel) if (o + before - t * dilation) % stride == 0
        ]

    return _gather(reach, reach.period * stride, reach.step, sources)


def windowed(reach: Reach, window: int, shift: int) -> Reach:
    """Attention within windows of ``window`` units whose edges lie at ``shift`` + multiples
    of ``window`` (Swin's windows, shifted ones as its mask makes them): unit v reads the
    units of its window, ``start = floor((v - shift)/window)*window + shift`` to ``start +
    window - 1``. The first and last windows of an axis are shorter: clipped versions of
    the pattern, as a border clips a convolution's field."""
    period = window * reach.period // gcd(window, reach.period)
    step = reach.step * (period // reach.period)

    def sources(v):
        start = (v - shift) // window * window + shift
        return range(start, start + window)

    return _gather(reach, period, step, sources)


def gridded(reach: Reach, count: int, spacing: int) -> Reach:
    """Attention within grids of ``count`` units ``spacing`` apart (MaxViT's grid attention):
    unit v reads ``v mod spacing + i*spacing`` for i < count. Units ``spacing`` apart read
    the same units: the pattern repeats without moving."""
    return _gather(reach, spacing, 0, lambda v: [v % spacing + i * spacing for i in range(count)])


def adaptive_bounds(size: int, out: int, unit: int) -> tuple:
    """PyTorch's adaptive pooling window of output ``unit``: input units ``start`` to
    ``end - 1``, ``start = floor(unit*size/out)``, ``end = ceil((unit+1)*size/out)``.

    >>> [adaptive_bounds(5, 3, u) for u in range(3)]
    [(0, 2), (1, 4), (3, 5)]
    """
    return unit * size // out, -(-(unit + 1) * size // out)


def adaptive(reach: Reach, size: int, out: int) -> Reach:
    """Adaptive pooling of ``size`` units to ``out``. The output has exactly ``out`` units,
    so its Reach is read off them: the shortest period over which they move rigidly (13 to
    6 units: windows 3 wide, 2 apart, though the formula's pattern would repeat only every
    6 units, 13 apart); where none does, that pattern itself (out/g units, size/g apart,
    g = gcd(size, out))."""
    lows, highs = [], []
    for unit in range(out):
        spans = [span for span in map(reach.span, range(*adaptive_bounds(size, out, unit))) if span is not None]
        lows.append(min(low for low, _ in spans) if spans else None)
        highs.append(max(high for _, high in spans) if spans else None)
    for period in range(1, out):
        moves = {
            (lows[u + period] - lows[u], highs[u + period] - highs[u])
            for u in range(out - period)
            if lows[u] is not None and lows[u + period] is not None
        }
        if len(moves) == 1:
            (moved, moved_high) = moves.pop()
            if moved == moved_high and moved > 0:
                return Reach(period, moved, tuple(lows[:period]), tuple(highs[:period]))
    common = gcd(size, out)
    period, moved = out // common, size // common
    # k windows' periods move k*moved input units: a whole number of the input's own periods
    # once k = reach.period / gcd(reach.period, moved).
    cycles = reach.period // gcd(reach.period, moved)
    step = reach.step * (cycles * moved // reach.period)
    return _gather(reach, period * cycles, step, lambda unit: range(*adaptive_bounds(size, out, unit)))


def shift(reach: Reach, before: int) -> Reach:
    """Padding (or cropping): unit v is input unit v - P_before."""
    return _gather(reach, reach.period, reach.step, lambda v: [v - before])


def resample(reach: Reach, scale) -> Reach:
    """Nearest-neighbour upsampling: unit o copies input unit floor(o / scale)."""
    up, down = ratio(scale)  # scale = up / down: `up` output units per `down` input units
    period = up * reach.period // gcd(reach.period, down)
    step = reach.step * (period * down // up) // reach.period
    return _gather(reach, period, step, lambda o: [o * down // up])


def rescale(reach: Reach, down: int, up: int, sources) -> Reach:
    """A resampling whose output units ``up`` apart read input units ``down`` apart:
    ``sources(o)`` the input units output unit o reads (resize, pixel shuffle)."""
    common = gcd(down, up)
    down, up = down // common, up // common
    period = up * reach.period // gcd(reach.period, down)
    step = reach.step * (period * down // up) // reach.period
    return _gather(reach, period, step, sources)


def union(reaches: list, units: int | None = None) -> Reach:
    """Branches merged unit by unit: each unit sees what it sees in any branch. A branch
    whose pattern repeats in place (a grid attention's) and moving ones merge unit by unit
    over the ``units`` of the axis, when given; other branches whose units step differently
    do not line up, an error."""
    if all(reach.period == 1 and reach.lows[0] is not None for reach in reaches):
        steps = {reach.step for reach in reaches}
        if len(steps) == 1:  # every unit alike in every branch (the usual case), closed form
            lows, highs = [reach.lows[0] for reach in reaches], [reach.highs[0] for reach in reaches]
            return Reach(1, steps.pop(), (min(lows),), (max(highs),))
    period = 1
    for reach in reaches:
        period = period * reach.period // gcd(period, reach.period)
    steps = {reach.step * (period // reach.period) for reach in reaches}
    if len(steps) > 1 and units is not None and 0 in steps:
        # a pattern that repeats in place (grid attention: unit v reads v mod s + i*s, v
        # among them) merged with moving ones: the units line up, the pattern does not repeat
        return _union_units(reaches, units)
    if len(steps) > 1:
        jumps = ", ".join(_text(reach.step / reach.period) for reach in reaches)
        raise LayerError(
            f"the inputs' receptive fields step differently (jumps {jumps}), so their units do not line up"
        )
    lows, highs = [], []
    for phase in range(period):
        spans = [span for span in (reach.span(phase) for reach in reaches) if span is not None]
        lows.append(min(low for low, _ in spans) if spans else None)
        highs.append(max(high for _, high in spans) if spans else None)
    return Reach(period, steps.pop(), tuple(lows), tuple(highs))


def _union_units(reaches: list, units: int) -> Reach:
    """The union of ``reaches`` read off the axis's ``units`` one by one (``_read_off``);
    past the axis (padding) the moving branches' step continues it."""
    lows, highs = [], []
    for unit in range(units):
        spans = [span for span in (reach.span(unit) for reach in reaches) if span is not None]
        lows.append(min(low for low, _ in spans) if spans else None)
        highs.append(max(high for _, high in spans) if spans else None)
    return _read_off(lows, highs, max(reach.step / reach.period for reach in reaches))


def _read_off(lows: list, highs: list, jump) -> Reach:
    """The Reach of an axis's units given one by one: the shortest pattern that repeats over
    them (``adaptive`` does the same); where none does, the units themselves, continued past
    the axis by ``jump`` input pixels a unit."""
    units = len(lows)
    if units > MAX_PERIOD:
        raise LayerError(f"its output units repeat only every {units:,} units; too irregular to follow")
    for period in range(1, units):
        moves = {
            (lows[u + period] - lows[u], highs[u + period] - highs[u]) if lows[u] is not None else None
            for u in range(units - period)
        }
        if len(moves) == 1 and None not in moves:
            moved, moved_high = moves.pop()
            if moved == moved_high:
                return Reach(period, moved, tuple(lows[:period]), tuple(highs[:period]))
    return Reach(units, round(jump * units), tuple(lows), tuple(highs))


def map_field(field, spatial: tuple):
    """A token sequence's field (``sequence_field``) back on the axes of a map of ``spatial``
    (the inverse of making it): along axis ``i`` position ``u`` holds the tokens whose index
    there is ``u`` and sees what they see, read off unit by unit (``_read_off``)."""
    total = 1
    for size in spatial:
        total *= size
    reaches = []
    for axis, reach in enumerate(field):
        stride = 1
        for size in spatial[axis + 1 :]:
            stride *= size
        lows, highs = [None] * spatial[axis], [None] * spatial[axis]
        for token in range(total):
            span = reach.span(token)
            if span is None:
                continue
            unit = (token // stride) % spatial[axis]
            lows[unit] = span[0] if lows[unit] is None else min(lows[unit], span[0])
            highs[unit] = span[1] if highs[unit] is None else max(highs[unit], span[1])
        reaches.append(_read_off(lows, highs, reach.step / reach.period * stride))
    return tuple(reaches)


def per_axis_reach(operation, field, *per_axis_args):
    """Applies a Reach operation on every axis; GLOBAL stays GLOBAL.

    On a token sequence made from a map (``sequence_field``) the one axis of the layer runs
    through every axis of the input: each input axis's Reach maps the sequence's units, so
    the operation's one set of arguments applies to each of them."""
    if field == GLOBAL:
        return GLOBAL
    per_axis_args = [tuple(values) for values in per_axis_args]
    if per_axis_args and len(per_axis_args[0]) != len(field):
        if len(per_axis_args[0]) != 1:
            raise LayerError(f"its {len(per_axis_args[0])} axes do not match the input's field of {len(field)}")
        per_axis_args = [values * len(field) for values in per_axis_args]
    return tuple(operation(reach, *args) for reach, *args in zip(field, *per_axis_args))


def sequence_field(field, spatial: tuple):
    """The field of a map's positions read as one sequence, row after row (the last axis
    fastest): token ``l`` is the position whose index along axis ``i`` is
    ``(l // stride_i) % size_i``, ``stride_i`` the product of the later axes' sizes. The
    field keeps one Reach per axis of the input, each now over the sequence's units: along
    the first axis unit ``l`` moves one row every ``stride_0`` tokens; along a later axis
    the pattern repeats every ``stride_i * size_i`` tokens and moves by 0 (the next row
    starts at the same column). A token keeps exactly the field of its position."""
    if field == GLOBAL:
        return GLOBAL
    if len(field) == 1:
        return field
    reaches = []
    for axis, reach in enumerate(field):
        stride = 1
        for size in spatial[axis + 1 :]:
            stride *= size
        if axis == 0:
            reaches.append(_gather(reach, stride * reach.period, reach.step, lambda unit, s=stride: [unit // s]))
        else:
            cycle = stride * spatial[axis]
            reaches.append(_gather(reach, cycle, 0, lambda unit, s=stride, n=spatial[axis]: [(unit // s) % n]))
    return tuple(reaches)


def input_reach(ndim: int):
    return (INPUT_REACH,) * ndim if ndim else GLOBAL


def field_of(reaches):
    """The report's numbers (SPEC section 2) from exact Reaches: ``size`` the widest span a
    unit sees, ``jump`` the average step between units, ``start`` unit 0's center as the
    steps place it (the mean over one period of center - index * jump). Size 0 where no
    unit sees any of the input."""
    if reaches == GLOBAL:
        return GLOBAL
    sizes, jumps, starts = [], [], []
    for reach in reaches:
        if reach.period == 1 and reach.lows[0] is not None:  # every unit alike: the usual case
            low, high = reach.lows[0], reach.highs[0]
            sizes.append(high - low + 1)
            jumps.append(reach.step)
            starts.append(exact((low + high) / 2))
            continue
        phases = [(r, low, high) for r, (low, high) in enumerate(zip(reach.lows, reach.highs)) if low is not None]
        if not phases:
            # No unit sees any input pixel (say, a strided read of a transposed convolution's
            # gaps): its outputs are biases alone. Size 0; start is then meaningless, 0.
            sizes.append(0)
            jumps.append(exact(reach.step / reach.period))
            starts.append(0)
            continue
        sizes.append(max(high - low + 1 for _, low, high in phases))
        jumps.append(exact(reach.step / reach.period))
        # mean of (low + high)/2 - r*step/period, as one exact fraction
        numerator = sum((low + high) * reach.period - 2 * r * reach.step for r, low, high in phases)
        starts.append(exact(numerator / (2 * reach.period * len(phases))))
    return Field(tuple(sizes), tuple(jumps), tuple(starts))


def window_field(field, window: Window):
    """The field after a sliding window (convolution, pooling)."""
    befores = [before for before, _ in window.pads]
    return per_axis_reach(slide, field, window.kernel, window.stride, window.dilation, befores)


def shifted_field(field, pads: tuple):
    """The field after padding: unit 0 moves ``before`` units out."""
    return per_axis_reach(shift, field, [before for before, _ in pads])


def union_field(fields: list, spatial: tuple | None = None):
    """The field of merged branches; ``spatial``: the merged output's spatial sizes (one for
    a token sequence, whose every axis's Reach runs along it)."""
    if any(field == GLOBAL for field in fields):
        return GLOBAL
    axes = len(fields[0])
    units = [None] * axes if spatial is None else list(spatial) * axes if len(spatial) == 1 else list(spatial)
    return tuple(union([field[axis] for field in fields], units[axis]) for axis in range(axes))


# --- Broadcasting: one rule for every element-wise merge ----------------------------------
#
# Inputs of one rank merge unit by unit where every axis agrees, or where an input has size
# 1 on an axis: that input's single unit is read by every output unit along it (ONNX's and
# NumPy's broadcasting, without adding axes). Squeeze-and-excitation multiplies a
# [C, H, W] map by a [C, 1, 1] gate this way.


def broadcast_shape(shapes) -> tuple:
    """The shape of an element-wise merge of ``shapes``.

    >>> broadcast_shape([(64, 28, 28), (64, 1, 1)])
    (64, 28, 28)
    """
    described = ", ".join(str(list(s)) for s in shapes)
    if any(len(s) != len(shapes[0]) for s in shapes):
        raise LayerError(f"needs inputs with the same number of axes; got {described}", arg="inputs")
    out = []
    for sizes in zip(*shapes):
        wide = {n for n in sizes if n != 1}
        if len(wide) > 1:
            raise LayerError(
                f"needs inputs of one shape, or of shapes that broadcast (on each axis the same size, "
                f"or 1); got {described}",
                arg="inputs",
            )
        out.append(wide.pop() if wide else 1)
    return tuple(out)


def broadcast_field(fields, shapes, out):
    """The field of an element-wise merge: the union of the inputs' fields. An input
    broadcast over the positions (size 1 where the output is longer) is read by every output
    unit, so it makes the output global when its own field is; one that sees only part of
    the input would give units fields that differ from place to place, which no Field can
    hold."""
    merged = []
    for field, shape in zip(fields, shapes):
        if shape[1:] == out[1:]:
            merged.append(field)
        elif field == GLOBAL:
            return GLOBAL
        else:
            raise LayerError(
                f"an input of shape {list(shape)} is broadcast over the positions of {list(out)}, but its "
                "units see only part of the input; cnncalc follows broadcasting of global inputs only "
                "(a [C, 1, 1] gate after global pooling)",
                arg="inputs",
            )
    return union_field(merged, out[1:])


def ratio(scale) -> tuple:
    """``scale`` as a fraction up/down in lowest terms (1.5 -> (3, 2)), read from its decimal
    digits so that 1.7 is 17/10, not the binary float's 7656119366529843/4503599627370496."""
    if isinstance(scale, int):
        return scale, 1
    whole, _, digits = repr(float(scale)).partition(".")
    if "e" in digits or "e" in whole:
        raise LayerError(f"scale {scale} has too many digits to follow exactly")
    down = 10 ** len(digits)
    up = int(whole) * down + int(digits or 0)
    divisor = gcd(up, down)
    return up // divisor, down // divisor


def _text(value) -> str:
    return str(exact(value)) if value == int(value) else f"{value:g}"


def exact(value):
    """An integer where the value is whole, so reports print ``3``, not ``3.0``."""
    return int(value) if value == int(value) else value
