"""Receptive fields measured on the executor, not computed from formulas.

Which input pixels can change an output unit? The probe asks each layer's own ``forward``
which of its input positions each of its output units depends on, one spatial axis at a
time, and chains those dependencies through the graph:

- One layer at a time. A layer's input is lit at one position along the axis (every
  channel, the whole extent of the other axes; one batch element per position) and its
  output compared with the same layer run on a constant: the units that changed are those
  that depend on that position. Every weight is positive and every bias zero, so nothing
  cancels: a unit changes exactly when a lit input reaches it. A layer whose output would
  not change at a zero input however another input changed (a product: 0 times a changed
  gate) declares ``probe_offset``, and runs on marks plus that constant against the
  constant alone. A merge's inputs are lit one at a time.
- A pattern per layer. Away from the borders a layer's units depend on positions that move
  rigidly: every ``period`` units, by ``shift`` positions (a convolution: period 1, shift
  its stride; nearest upsampling by 2: period 2, shift 1). The probe reads the period, the
  shift and each phase's positions off the units no border clips, and holds them to every
  unit, clipped ones included: a layer is only accepted as a pattern that explains what
  every one of its units depends on. A layer with too few units to show its pattern is
  measured again on a larger input (the network's input grown along the axis), where the
  pattern must also explain every unit of the original input ("same" padding and
  ceil_mode may resolve differently there). A window read there is first moved by how much
  more or less the layer's own window rule pads before the input here: an input too short
  to show where a window lies (one position) is explained by it at any place. A layer on whose every input position every
  unit depends, at any size (statistics over the positions, global pooling), is global.
- Chained exactly. The positions of the network's input that reach a unit are the union of
  what the positions it depends on reach, so the chained patterns give every layer's units'
  fields on an input of any length, fields far wider than the input included (ResNet-152's
  1,451 pixels on a 224 input), with no border in the way. Branches merge as unions.
- A slim copy. Fields do not depend on channel counts, so the probe runs a copy of the
  network whose layers declare fewer channels (``LayerType.probe_args``), two per conv,
  on an input as short as the network allows on the other axes. A layer's channels are
  lit together and read together: a field is the union over its channels, as the report
  computes it.

- Token sequences. A sequence made of a map's positions (``tokens``) runs through every
  axis of the map, row after row; along one axis of the input its tokens' fields repeat
  every row of tokens (moving by a row along the first axis, not at all along the last),
  a pattern like any other, read and chained the same way (the probe keeps the map's other
  axes whole there: their lengths lay out the tokens). A map made back of a sequence is
  read again along its own axis. A layer where every one of many tokens reads every token
  (attention) is global.

From a layer's chained pattern: ``size`` is the widest span, ``jump`` the shift per unit,
``start`` unit 0's center (averaged over one period where units differ, as for transposed
convolution). Layers with no spatial axes, or behind a global layer, are global.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

from .errors import CnncalcError, LayerError
from .executor import make_arrays, run_layer
from .geometry import GLOBAL, Field
from .kernels import Kernels
from .layers.base import PROBE_CHANNELS, Args
from .record import Record
from .spec import INPUT_NAME

# Channels of the probe copy: two (so a softmax over them still changes), or the first
# count of these every layer takes (pixel_shuffle by r needs a multiple of r^2).
CHANNEL_CHOICES = (2, 4, 8, 9, 16, 18, 25, 32, 36, 64)
# Small positive marks, weights in [0.5, 1.5]: a reached unit differs from its baseline by far more
# than float32's precision, and an unreached one not at all.
DTYPE = np.float32
# Batch elements (one per lit position) run together; bounded so one chunk stays small.
CHUNK_BYTES = 64 * 2**20
MAX_PERIOD = 16
# A chained pattern longer than this many units is given up (it never happens in the zoo:
# periods come from upsampling and transposed convolutions, and strides undo them).
MAX_CHAINED_PERIOD = 256
# Input sizes tried for a layer, as multiples of the file's, until its pattern shows. A
# layer is measured on a larger input only when it has too few units on this one.
SCALES = (1, 2, 4, 8, 16)
# A layer on which every unit depends on every position is global once that holds on an
# input this many times as long as the first (and at least GLOBAL_UNITS long): no window
# is that wide.
GLOBAL_GROWTH = 4
GLOBAL_UNITS = 16
# The largest lit batch a layer is measured with, in values (input and output): beyond it
# the probe gives up on a larger input rather than take the machine's memory.
MAX_VALUES = 2**28
MIN_OTHER_AXIS = 16


class Measured(Record, fields="field reason"):
    """A measured field (``Field`` or ``"global"``), or None with the reason it was not measured."""

    __slots__ = ()


def slim(graph, spatial: tuple, channels: int = CHANNEL_CHOICES[0]):
    """The probe copy of ``graph``: channel-setting arguments set to ``channels``
    (``LayerType.probe_args``), input ``spatial``."""
    nodes = []
    for node in graph.nodes:
        spec = node.spec
        names = {arg.name for arg in spec.type.args}
        overrides = {k: channels if v is PROBE_CHANNELS else v for k, v in spec.type.probe_args.items() if k in names}
        args = Args({**spec.args, **overrides}) if overrides else spec.args
        nodes.append(node._replace(spec=spec._replace(args=args)))
    network = graph.network._replace(input=(channels, *spatial))
    return graph._replace(network=network, nodes=tuple(nodes))


def probe_channels(graph) -> int:
    """The fewest channels of CHANNEL_CHOICES the probe copy runs with."""
    from .analysis import shapes

    for channels in CHANNEL_CHOICES:
        try:
            shapes(slim(graph, graph.network.input[1:], channels))
        except CnncalcError:
            continue
        return channels
    return CHANNEL_CHOICES[0]


def measure_fields(graph, expected=None, progress=None) -> dict:
    """``{layer name: Measured}`` for every layer of ``graph``. ``progress(done, total,
    what)`` is called as the probe advances, layer by layer and axis by axis (a progress
    bar's callback). ``expected`` is accepted for callers that pass the report's fields;
    nothing is computed from it.
    """
    spatial = graph.network.input[1:]
    if not spatial:
        return {node.name: Measured(GLOBAL, None) for node in graph.nodes}
    per_axis = {node.name: [] for node in graph.nodes}  # name -> [(size, jump, start) | GLOBAL | Reason]
    channels = probe_channels(graph)
    total = len(spatial) * len(graph.nodes)
    for axis in range(len(spatial)):
        probes = _Probes(graph, spatial, axis, channels)
        states: dict = {INPUT_NAME: IDENTITY}
        for index, node in enumerate(graph.in_order()):
            states[node.name] = _layer_state(probes, node, states)
            state = states[node.name]
            per_axis[node.name].append(state if isinstance(state, Reason) or state == GLOBAL else state.field())
            if progress is not None:
                progress(axis * len(graph.nodes) + index + 1, total, "measuring receptive fields")
    return {name: _combine(axes) for name, axes in per_axis.items()}


class Reason(str):
    """Why a field was not measured on one axis."""


UNMEASURED_INPUT = "an input's field was not measured: "


def _combine(axes: list) -> Measured:
    for result in axes:
        if isinstance(result, Reason):
            return Measured(None, str(result))
    if any(result == GLOBAL for result in axes):
        return Measured(GLOBAL, None)
    return Measured(Field(*(tuple(values) for values in zip(*axes))), None)


class Pattern(Record, fields="period shift low high"):
    """Which input positions reach each unit along one axis, for units ``j`` of any index:
    from ``shift * (j // period) + low[j % period]`` to ``... + high[j % period]``."""

    __slots__ = ()

    def at(self, units):
        """``(lowest, highest)`` position reaching each of ``units`` (an integer array)."""
        cycles, phases = np.divmod(units, self.period)
        return self.shift * cycles + np.asarray(self.low)[phases], self.shift * cycles + np.asarray(self.high)[phases]

    def field(self) -> tuple:
        """``(size, jump, start)``: the widest span, the shift per unit, unit 0's center."""
        jump = Fraction(self.shift, self.period)
        size = max(high - low + 1 for low, high in zip(self.low, self.high))
        offsets = [Fraction(low + high, 2) - phase * jump for phase, (low, high) in enumerate(zip(self.low, self.high))]
        return size, _number(jump), _number(sum(offsets) / self.period)

    def simplest(self) -> Pattern:
        """The same pattern written with its shortest period."""
        for period in range(1, self.period):
            if self.period % period or (self.shift * period) % self.period:
                continue
            step = self.shift * period // self.period
            if all(
                self.low[phase + period] == self.low[phase] + step
                and self.high[phase + period] == self.high[phase] + step
                for phase in range(self.period - period)
            ):
                return Pattern(period, step, self.low[:period], self.high[:period])
        return self


IDENTITY = Pattern(1, 1, (0,), (0,))


class Window(Record, fields="period shift offsets"):
    """What one layer's units depend on along one axis: unit ``j`` on the positions
    ``shift * (j // period) + offsets[j % period]`` of its input (clipped to the input)."""

    __slots__ = ()


def _chain(window: Window, below: Pattern):
    """The input positions reaching the units of a layer that depends on ``window`` of an
    input whose units ``below`` reaches: for each unit, the extremes over its positions."""
    period = window.period * (below.period // gcd(window.shift, below.period))
    if period > MAX_CHAINED_PERIOD:
        return Reason(f"its units' fields repeat only every {period} units or more")
    lows, highs = [], []
    for unit in range(period):
        cycles, phase = divmod(unit, window.period)
        low, high = below.at(window.shift * cycles + np.asarray(window.offsets[phase]))
        lows.append(int(low.min()))
        highs.append(int(high.max()))
    shift = window.shift * (period // window.period) // below.period * below.shift
    return Pattern(period, shift, tuple(lows), tuple(highs)).simplest()


def _along_units(pattern: Pattern, units: int) -> Pattern:
    """The shortest pattern that moves rigidly over ``units`` units and gives each of them
    the field ``pattern`` gives it (``pattern`` itself if none is shorter)."""
    low, high = pattern.at(np.arange(units))
    for period in range(1, min(pattern.period, units // 2 + 1)):
        moved = low[period:] - low[:-period]
        shift = int(moved[0])
        if shift > 0 and (moved == shift).all() and (high[period:] - high[:-period] == shift).all():
            return Pattern(period, shift, tuple(low[:period].tolist()), tuple(high[:period].tolist()))
    return pattern


def _union(patterns: list):
    """Merged branches: each unit reaches what it reaches through any of them."""
    jumps = {Fraction(p.shift, p.period) for p in patterns}
    if len(jumps) > 1:
        return Reason("its inputs' units step over the input by different amounts, so its units' fields differ")
    period = 1
    for pattern in patterns:
        period = period * pattern.period // gcd(period, pattern.period)
    units = np.arange(period)
    ends = [pattern.at(units) for pattern in patterns]
    low = np.min([e[0] for e in ends], axis=0)
    high = np.max([e[1] for e in ends], axis=0)
    shift = patterns[0].shift * period // patterns[0].period
    return Pattern(period, shift, tuple(int(v) for v in low), tuple(int(v) for v in high)).simplest()


def _layer_state(probes, node, states):
    """The chained pattern of ``node``'s output (a Pattern), GLOBAL, or a Reason."""
    below = [states[name] for name in node.inputs]
    # The Window of an input whose own field is global (or unmeasured) does not matter:
    # only whether the layer reads it at all.
    windows = probes.windows(node, [isinstance(state, Pattern) for state in below])
    if isinstance(windows, Reason):
        return windows
    # Inputs the layer does not read the values of (resize's `like`) do not count.
    read = [(state, window) for state, window in zip(below, windows) if window is not None]
    # A global input read at all, or any input read whole, makes every unit's field the whole.
    if any(state == GLOBAL or window == GLOBAL for state, window in read):
        return GLOBAL
    reached = []
    for state, window in read:
        if isinstance(state, Reason):
            return Reason(UNMEASURED_INPUT + state.removeprefix(UNMEASURED_INPUT))
        reached.append(_chain(window, state))
    for result in reached:
        if isinstance(result, Reason):
            return result
    if not reached:
        return Reason("no unit changed when any of its inputs did")
    result = reached[0] if len(reached) == 1 else _union(reached)
    units = probes.units(node)
    if units is not None and isinstance(result, Pattern):
        # A map made of a token sequence: the chained pattern goes on as the tokens do (into
        # the next row of the map), not along the map's axis; its units are read again.
        result = _along_units(result, units)
    return result


class _Probes:
    """The slim probe graphs of one axis, at the scales tried, made as they are needed."""

    def __init__(self, graph, spatial: tuple, axis: int, channels: int):
        self.graph, self.spatial, self.axis, self.channels = graph, spatial, axis, channels
        self.made: dict = {}
        self.rng = np.random.default_rng(0)
        self.slimmed = slim(graph, spatial, channels)
        # Axes other than the probed one are cut short (see _probe_graph), except where a token
        # sequence is made of the map: the other axes' lengths lay out its tokens.
        self.thin: dict = {}
        if _has_sequences(self.slimmed):
            self.thin = {other: size for other, size in enumerate(spatial) if other != axis}
        self.measured: dict = {}  # layer signature -> windows (see windows())
        self.grown = False  # whether the last layer measured needed a larger input

    def at(self, scale: int):
        """``(nodes by name, shapes by name)`` of the probe graph at ``scale``, or None."""
        if scale not in self.made:
            made = _probe_graph(self.slimmed, self.spatial, self.axis, scale, self.thin)
            if made is None:
                self.made[scale] = None
            else:
                probe, shapes = made
                self.made[scale] = ({node.name: node for node in probe.nodes}, shapes)
        return self.made[scale]

    def windows(self, node, needed: list):
        """Per input of ``node``: its Window (where ``needed``, else True), GLOBAL, or None
        (no unit depends on it); or a Reason for the layer."""
        first = self.at(1)
        if first is None:
            return Reason("the probe could not run this network")
        nodes, shapes = first
        in_shapes = [shapes[name] for name in node.inputs]
        if len(shapes[node.name]) < 2:  # a flat output: every unit sees everything
            return [GLOBAL] * len(node.inputs)
        # A layer like one measured before (same type, arguments and input shapes in the
        # slim copy: ResNet's repeated blocks) depends on its inputs alike.
        spec = nodes[node.name].spec
        key = (spec.type.name, repr(sorted(spec.args.items())), tuple(in_shapes), tuple(needed))
        if key in self.measured:
            return self.measured[key]
        self.grown = False
        result = self._measure(node, nodes[node.name], in_shapes, needed)
        if not self.grown:  # measured on larger inputs, it depends on the shapes there too
            self.measured[key] = result
        return result

    def _measure(self, node, slim_node, in_shapes: list, needed: list):
        original = self._depends(slim_node, in_shapes)
        result = []
        for index, depends in enumerate(original):
            if depends is None or depends is GLOBAL:
                result.append(depends)
                continue
            if not depends.any():
                result.append(None)
                continue
            if not needed[index]:
                result.append(True)
                continue
            result.append(self._window(node, index, depends, sequence=self.is_sequence(in_shapes[index])))
            if isinstance(result[-1], Reason):
                return result[-1]
        return result

    def _window(self, node, index: int, original, sequence: bool = False):
        """The Window of input ``index`` of ``node``, from its dependencies on this input
        (``original``) or on a larger one. ``sequence``: the input is a token sequence made of
        a map."""
        window = _read_window(original)
        if window is not None:
            return window
        whole = original.all()
        if whole and sequence and original.shape[1] >= GLOBAL_UNITS:
            # Every token reads every one of many tokens (attention): global. Not grown: a
            # sequence's layers hold a value per pair of tokens, and a lit batch of 4x the
            # tokens would hold 64x the values (ViT-B/16's 197 tokens: gigabytes).
            return GLOBAL
        elsewhere = None  # a window a larger input showed that this one's units do not follow
        for scale in SCALES[1:]:
            self.grown = True
            made = self.at(scale)
            if made is None:
                break
            nodes, shapes = made
            in_shapes = [shapes[name] for name in node.inputs]
            if _values(in_shapes, shapes[node.name], in_shapes[index][1 + self.along(in_shapes[index])]) > MAX_VALUES:
                break
            depends = self._depends(nodes[node.name], in_shapes, only=index)[index]
            if depends is GLOBAL:
                return GLOBAL
            width = depends.shape[1]
            if whole and depends.all():
                if width >= max(GLOBAL_GROWTH * original.shape[1], GLOBAL_UNITS):
                    return GLOBAL  # every unit depends on every position, however long the input
                continue
            window = _read_window(depends)
            if window is not None:
                window = self._padded_as_here(nodes[node.name], index, window, in_shapes[index])
                if _explains(window, original):
                    return window
                elsewhere = window
        if whole and elsewhere is not None:
            # On this input every unit reads the whole axis, on larger ones a window: the layer
            # fits its windows to its input (Swin drops its shift where one window covers the
            # map). Here one window covers the axis: windows as long as those seen on larger
            # inputs (Swin V2's 8 over a 7x7 map, padded), from the axis's start.
            tile = max(elsewhere.period, original.shape[1])
            window = Window(tile, tile, (tuple(range(tile)),) * tile)
            if _explains(window, original):
                return window
        if whole:
            return Reason("every unit depends on every position of its input on every input the probe could run")
        # Adaptive pooling's windows depend on the input's length, so a larger input shows
        # another pattern; on this one, a pattern seen over one period that explains every
        # unit exactly is still exact (GoogLeNet's auxiliary heads: 4 windows over 14).
        window = _read_window(original, least_periods=1)
        if window is not None and _seen_whole(window, original):
            return window
        if elsewhere is not None:
            return Reason(
                "too few of its units are clear of the input's borders to show its window, and on larger inputs, "
                "where they show one, its padding or windows resolve differently"
            )
        return Reason("its units' dependencies do not repeat as a window's do, on any input the probe could run")

    def _padded_as_here(self, grown_node, index: int, window: Window, grown_shape: tuple) -> Window:
        """``window``, read on a larger input, moved to where the layer's padding puts it on
        the network's own input. "Same" padding resolves by the input's length (a 3x3/2 layer
        pads a 1-position input 1 before it and a 2-position one 0), and an input too short
        to show the window's place is explained by it at either place: the offsets a larger
        input shows are moved by the difference the layer's own window rule gives."""
        if index or self.is_sequence(grown_shape):  # a sliding window reads a layer's first input
            return window
        here = self.at(1)[1][grown_node.inputs[index]]
        kind, args = grown_node.spec.type, grown_node.spec.args
        windows = kind.window(args, here), kind.window(args, grown_shape)
        if None in windows:  # no sliding window of its own (a merge, an adaptive pool)
            return window
        moved = windows[1].pads[self.axis][0] - windows[0].pads[self.axis][0]
        if not moved:
            return window
        return Window(window.period, window.shift, tuple(tuple(o + moved for o in phase) for phase in window.offsets))

    def units(self, node):
        """How many units ``node``'s output has along the probe's axis where it is a map made
        of a token sequence; else None."""
        nodes, shapes = self.at(1)
        if self.is_sequence(shapes[node.name]) or not any(self.is_sequence(shapes[name]) for name in node.inputs):
            return None
        return shapes[node.name][1 + self.axis] if len(shapes[node.name]) > 1 else None

    def along(self, shape: tuple) -> int:
        """The axis the probe follows in a value of ``shape`` (channels first): the probe's
        axis in a map of the input's rank, the one axis of a token sequence made of a map.
        A token's units run through every axis of that map, so along the probe's axis the
        tokens' fields repeat every row of tokens (ViT's 14 tokens a row: period 14), along
        the last axis without moving, as the report's fields of a sequence say
        (geometry.sequence_field); the probe reads those patterns like any other."""
        return 0 if self.is_sequence(shape) else self.axis

    def is_sequence(self, shape: tuple) -> bool:
        """Whether a value of ``shape`` is a token sequence made of a map of two axes or more.
        Along the map's last axis its tokens' fields repeat every row of tokens; along a 2-D
        map's first axis too; along a 3-D map's first and middle axes, every plane of tokens:
        read as a pattern while that is at most MAX_PERIOD tokens (an 8x8x8 map's plane of 64
        is not: "not measured", with the reason)."""
        return len(shape) == 2 and len(self.spatial) > 1

    def _depends(self, node, in_shapes: list, only=None) -> list:
        """Per input of ``node`` (or only input ``only``): a boolean ``(output units, input
        positions)`` array along the axis, whether the unit changes when the input is lit
        at that position; GLOBAL for a flat input (it is lit whole)."""
        in_shapes = _cropped(node, in_shapes, self.axis, len(self.spatial))
        offset = DTYPE(node.spec.type.probe_offset)
        declared = node.spec.type.weights(node.spec.args, tuple(in_shapes))
        weights = make_arrays(declared, self.rng, DTYPE, probe=True)
        constants = [np.full((1, *shape), offset, dtype=DTYPE) for shape in in_shapes]
        baseline = run_layer(node, constants, weights, Kernels())
        result = []
        for index, shape in enumerate(in_shapes):
            if only is not None and index != only:
                result.append(None)
                continue
            if len(shape) < 2:
                result.append(GLOBAL)
                continue
            axis = self.along(shape)
            width = shape[1 + axis]
            per_element = 4 * (sum(np.prod(s) for s in in_shapes) + np.prod(baseline.shape[1:]))
            chunk = max(1, min(width, CHUNK_BYTES // max(1, int(per_element))))
            rows = []
            for first in range(0, width, chunk):
                positions = np.arange(first, min(width, first + chunk))
                # The inputs not lit are the constant for every element (a read-only view).
                xs = [np.broadcast_to(c, (len(positions), *c.shape[1:])) for c in constants]
                xs[index] = _lit(shape, axis, positions)
                if offset:
                    xs[index] += offset
                out = run_layer(node, xs, weights, Kernels())
                changed = out != baseline
                others = tuple(d for d in range(1, changed.ndim) if d != 2 + self.along(changed.shape[1:]))
                rows.append(changed.any(axis=others))
            result.append(np.concatenate(rows, axis=0).T.copy())  # (output units, input positions)
        return result


def workspace_bytes(graph) -> int:
    """Roughly from above, what measuring one layer holds at once: a batch of lit inputs
    (one element per position of the longest axis, each a few maps of the input's size with
    the probe's channels and the other axes cut short), at most a chunk and its temporaries."""
    spatial = graph.input_shape[1:]
    if not spatial:
        return 0
    longest = max(spatial)
    other = int(np.prod([min(size, MIN_OTHER_AXIS) for size in spatial])) // min(longest, MIN_OTHER_AXIS)
    element = 16 * probe_channels(graph) * longest * other * 4
    return 4 * max(element, min(longest * element, CHUNK_BYTES))


def _cropped(node, in_shapes: list, axis: int, ndim: int) -> list:
    """``in_shapes`` with the axes other than ``axis`` cut to MIN_OTHER_AXIS where the layer
    takes that: lit positions light those axes whole, so their length changes nothing a
    layer's units depend on along ``axis``; it only costs time (Inception's input has to
    be 75 long at least, for its last layers). Not for a layer between a map and a token
    sequence (``ndim`` spatial axes and one): there the other axes' lengths lay out the
    tokens."""
    from .analysis import layer_shape

    ranks = {len(shape) for shape in in_shapes} | {len(layer_shape(node, tuple(in_shapes)))}
    if not ranks <= {1, ndim + 1}:
        return in_shapes
    cropped = [
        shape
        if len(shape) < 2
        else tuple(size if index == 1 + axis else min(size, MIN_OTHER_AXIS) for index, size in enumerate(shape))
        for shape in in_shapes
    ]
    try:
        layer_shape(node, tuple(cropped))
    except LayerError:
        return in_shapes
    return cropped


def _values(in_shapes, out_shape, width: int) -> int:
    """Values the lit batch of one layer holds: one element per position of ``width``."""
    return width * (sum(int(np.prod(s)) for s in in_shapes) + int(np.prod(out_shape)))


def _lit(shape: tuple, axis: int, positions):
    """One batch element per position: every channel lit at that position along ``axis``,
    the whole extent of the other axes, channel c with the mark c + 1 (channels must differ:
    a softmax over equal channels would not change at all)."""
    lit = np.zeros((len(positions), *shape), dtype=DTYPE)
    along = np.moveaxis(lit, 2 + axis, 1)  # (elements, positions, channels, *other axes): a view
    marks = np.arange(1, shape[0] + 1, dtype=DTYPE).reshape((-1,) + (1,) * (len(shape) - 2))
    along[np.arange(len(positions)), positions] = marks
    return lit


def _read_window(depends, least_periods: int = 2):
    """The Window ``depends`` (units by positions) shows, if it shows one: a rigid pattern
    over the unclipped units that explains every unit, seen over ``least_periods`` periods
    at least."""
    units, width = depends.shape
    reached = depends.any(axis=1)
    low = np.where(reached, depends.argmax(axis=1), np.iinfo(np.int64).max)
    high = np.where(reached, width - 1 - depends[:, ::-1].argmax(axis=1), -1)
    for periods in ((1,), None):  # most layers repeat every unit: try that first
        regular = _regular_units(low, high, periods, least_periods)
        if regular is not None:
            window = _window_from(depends, low, *regular)
            if window is not None:
                return window
    return None


def _window_from(depends, low, period: int, regular_units: list):
    """The Window the ``regular_units`` show, if it explains every unit."""
    first = regular_units[0]
    shift = int(low[first + period] - low[first])
    offsets = {}
    for unit in regular_units:
        phase, cycles = unit % period, unit // period
        if phase not in offsets:
            offsets[phase] = tuple((np.flatnonzero(depends[unit]) - shift * cycles).tolist())
            if len(offsets) == period:
                break
    if len(offsets) < period:
        return None
    window = Window(period, shift, tuple(offsets[phase] for phase in range(period)))
    return window if _explains(window, depends) else None


def _seen_whole(window: Window, depends) -> bool:
    """Whether every phase of ``window`` shows on a unit no border clips: one whose positions
    stay a gap (the widest step between them, the dilation) away from both ends of the
    input, where a clipped window's next position would still be inside."""
    units, width = depends.shape
    for phase in range(window.period):
        whole = False
        for unit in range(phase, units, window.period):
            positions = np.flatnonzero(depends[unit])
            if len(positions) == 0:
                continue
            gap = int(np.diff(positions).max()) if len(positions) > 1 else 1
            if positions[0] >= gap and positions[-1] <= width - 1 - gap:
                whole = True
                break
        if not whole:
            return False
    return True


def _explains(window: Window, depends) -> bool:
    """Whether ``window`` accounts for every unit of ``depends`` exactly: each unit depends
    on the window's positions that lie inside the input, and on no others."""
    units, width = depends.shape
    expected = np.zeros((units, width + 1), dtype=bool)  # column ``width``: positions outside
    cycles, phases = np.divmod(np.arange(units), window.period)
    for phase in range(window.period):
        rows = np.flatnonzero(phases == phase)
        positions = window.shift * cycles[rows, None] + np.asarray(window.offsets[phase])[None, :]
        positions[(positions < 0) | (positions >= width)] = width
        expected[rows[:, None], positions] = True
    return bool((expected[:, :width] == depends).all())


def _has_sequences(graph) -> bool:
    """Whether a layer of ``graph`` makes a token sequence of a map of two or more axes."""
    from .analysis import shapes

    ndim = len(graph.network.input) - 1
    try:
        return ndim > 1 and any(len(shape) == 2 for shape in shapes(graph).values())
    except CnncalcError:
        return False


def _probe_graph(slimmed, spatial: tuple, axis: int, scale: int, thin: dict):
    """``(graph, shapes)``: the slim graph ``slimmed`` on an input ``scale`` times longer on
    ``axis`` and as short as the network allows on the other axes (lit positions light those
    axes whole, so their length does not change what is measured; it only costs time), with
    its layers' shapes; None if no such input works. ``thin`` (other axis -> length) keeps
    the lengths found, tried first next time."""
    from .analysis import shapes

    def shaped(sizes):
        network = slimmed.network._replace(input=(slimmed.network.input[0], *sizes))
        return slimmed._replace(network=network)

    sizes = list(spatial)
    sizes[axis] *= scale
    for other in range(len(spatial)):
        if other == axis:
            continue
        # Not too short either: a dilated window over a very short axis may see only padding.
        shortest = min(spatial[other], MIN_OTHER_AXIS)
        tried = [*range(shortest, min(spatial[other], 64) + 1), spatial[other]]
        if other in thin:
            tried.insert(0, thin[other])
        for candidate in tried:
            trial = list(sizes)
            trial[other] = candidate
            try:
                shapes(shaped(trial))
            except CnncalcError:
                continue
            sizes[other] = thin[other] = candidate
            break
    probe = shaped(sizes)
    try:
        return probe, shapes(probe)
    except CnncalcError:
        return None


def _regular_units(low, high, periods=None, least_periods: int = 2):
    """``(period, units)``: the units whose fields no border clips.

    Away from the borders the fields move rigidly: every ``period`` units both ends shift
    by the same (positive) amount. A border breaks that (the clipped end stops or skips), so
    the period whose rigid stretch covers the most units (the smaller on ties, and at least
    two periods of it) tells which units are unclipped, provided the pattern explains every
    other unit as a clipped version of itself. Within the stretch, a unit narrower than
    others of its phase is clipped too and left out.
    """
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    count = len(low)
    valid = high >= low
    candidates = []  # (units covered, period, first unit of the stretch, shift per period)
    for period in periods or range(1, min(MAX_PERIOD, count // 2) + 1):
        if period > count // 2:
            break
        # shifts[u]: how far unit u + period's field is from unit u's, if it moved rigidly (else -1)
        moved = low[period:] - low[:-period]
        # Fields that repeat without moving (the same positions every ``period`` units: a
        # token sequence along a map's last axis, row after row) are a pattern too, if its
        # phases differ; units that all read the same positions are not a window's.
        rigid = valid[:-period] & valid[period:] & (moved == high[period:] - high[:-period]) & (moved >= 0)
        if period == 1:
            rigid &= moved > 0
        shifts = np.where(rigid, moved, -1)
        first, length = _longest_run(shifts)
        if length >= least_periods * period:  # two periods of rigid motion, not one coincidence
            phases = slice(first, first + period)
            if shifts[first] == 0 and len(set(zip(low[phases], high[phases]))) == 1:
                continue
            candidates.append((length + period, period, first, int(shifts[first])))
    for covered, period, first, shift in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if not _explains_spans(low, high, period, first, shift):
            continue  # a coincidence: the pattern does not hold over the other units
        units = np.arange(first, first + covered)
        spans = high[units] - low[units]
        widest = np.zeros(period, dtype=np.int64)
        np.maximum.at(widest, units % period, spans)
        units = units[spans == widest[units % period]].tolist()
        if len(units) > period and units[period] == units[0] + period:
            return period, units
    return None


def _explains_spans(low, high, period: int, first: int, shift: int) -> bool:
    """Whether the pattern seen from unit ``first`` accounts for every unit: clipping can only
    shrink a field, so each unit's span must lie within the span the pattern predicts."""
    units = np.flatnonzero(high >= low)
    base = first + (units - first) % period
    cycles = (units - base) // period
    return bool(((low[units] >= low[base] + cycles * shift) & (high[units] <= high[base] + cycles * shift)).all())


def _longest_run(values) -> tuple:
    """``(start, length)`` of the first longest stretch of equal values that are not -1."""
    if len(values) == 0:
        return 0, 0
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    lengths = np.diff(np.concatenate((starts, [len(values)])))
    lengths[values[starts] < 0] = 0
    best = int(lengths.argmax())
    return int(starts[best]), int(lengths[best])


def _number(value: Fraction):
    return int(value) if value.denominator == 1 else float(value)
