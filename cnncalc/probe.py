"""Receptive fields measured on the executor, not computed from formulas.

Which input pixels can change an output unit? The probe lights part of the input and
watches which units change, running each layer's own ``forward``:

- Slabs. Along one spatial axis, a *prefix* slab lights every input position up to ``t``
  (all channels, the whole extent of the other axes); a unit changes under it exactly when
  the lowest input position that can influence it is at most ``t``. Running every ``t`` at
  once (one batch element each) gives, for every unit of every layer, that lowest
  position; *suffix* slabs give the highest. A unit's field is the span between them.
- Support, not values. Each layer is run on maps of which of its inputs changed (zero where
  nothing did, a positive number per channel where something did), with every weight
  positive and every bias zero, and its output is turned back into such a map by comparing
  with the same layer run on zeros: a unit changes exactly when a changed input reaches it
  (an untouched unit computes the same operations on the same zeros, so the comparison is
  exact). A layer whose output would not change at a zero input however another input
  changed (a product: 0 times a changed gate) declares ``probe_offset``, and runs on marks
  plus that constant against the constant alone.
- A slim copy. Fields do not depend on channel counts, so the probe runs a copy of the
  network whose layers declare fewer channels (``LayerType.probe_args``), two per conv.

From the spans of the units whose field lies inside the input (not clipped by a border):
``size`` is the widest span, ``jump`` the step between units' centers (averaged over one
period where units differ, as for transposed convolution), ``start`` unit 0's center
extrapolated back from them. Layers with no spatial axes, or whose units all see the whole
input while the report says "global", are global. If no unit lies inside the input, the
probe tries again on a larger input (2x, 3x, 4x); if that fails too, the field is left
unmeasured. A measurement on a larger input counts only if it also explains every unit of
the original input, since "same" padding and ceil_mode may resolve differently there.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import CnncalcError
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
FLAT = np.zeros((1, 1), dtype=np.float32)  # stands for a flat layer's output
# Batch elements (one per slab) run together; bounded so one chunk stays small.
CHUNK_BYTES = 256 * 2**20
MAX_PERIOD = 16
# Input sizes tried, as multiples of the file's, until every field is measured. A larger
# input may resolve "same" padding or ceil_mode differently; its measurement only counts
# if it also explains every unit seen on the original input (_holds_at).
SCALES = (1, 2, 3, 4)
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
    from .analysis import propagate

    for channels in CHANNEL_CHOICES:
        try:
            propagate(slim(graph, graph.network.input[1:], channels))
        except CnncalcError:
            continue
        return channels
    return CHANNEL_CHOICES[0]


def measure_fields(graph, expected=None, progress=None) -> dict:
    """``{layer name: Measured}`` for every layer of ``graph``. ``progress(done, total,
    what)`` is called as the probe's passes over each axis finish (a progress bar's callback).

    ``expected`` (layer name -> reported field) only decides whether a unit that sees the
    whole input confirms a "global" report; it is never used to compute a measurement. (Nor
    is the report of the larger inputs: it only says whether a measurement there may stand
    for this input where nothing on this input pins it down, see _holds_at.)
    """
    spatial = graph.network.input[1:]
    if not spatial:
        return {node.name: Measured(GLOBAL, None) for node in graph.nodes}
    per_axis = {node.name: [] for node in graph.nodes}  # name -> [(size, jump, start) | GLOBAL | reason]
    channels = probe_channels(graph)
    for axis in range(len(spatial)):
        results: dict = {}
        original = {}
        for scale in SCALES:
            probe = _probe_graph(graph, spatial, axis, scale, channels)
            if probe is None:
                break
            what = f"measuring receptive fields, axis {axis + 1} of {len(spatial)}" + (
                f" (x{scale})" if scale > 1 else ""
            )
            spans = _spans(
                probe, axis, None if progress is None else lambda done, total, what=what: progress(done, total, what)
            )
            reported = _reported(probe, axis)
            if scale == 1:
                original, original_reported = spans, reported
            width = spatial[axis] * scale
            for node in graph.nodes:
                previous = results.get(node.name)
                if previous is None or isinstance(previous, Reason):  # not yet measured
                    result = _axis_field(spans[node.name], width, (expected or {}).get(node.name))
                    if scale > 1 and not isinstance(result, Reason):
                        holds, pinned = _holds_at(original[node.name], spans[node.name], spatial[axis])
                        # Unpinned, it stands only where the geometry does not depend on the size
                        # ("same" padding and ceil_mode may resolve differently on the larger input).
                        same = original_reported[node.name] == reported[node.name]
                        if not (holds and (pinned or same)):
                            result = Reason(
                                "the fields could only be measured on a larger input, which does not confirm them "
                                "on this one"
                            )
                    results[node.name] = result
            if not any(isinstance(result, Reason) for result in results.values()):
                break
        for node in graph.nodes:
            per_axis[node.name].append(results.get(node.name, Reason("the probe could not run this network")))
    return {name: _combine(axes) for name, axes in per_axis.items()}


class Reason(str):
    """Why a field was not measured on one axis."""


def _combine(axes: list) -> Measured:
    for result in axes:
        if isinstance(result, Reason):
            return Measured(None, str(result))
    if any(result == GLOBAL for result in axes):
        return Measured(GLOBAL, None)
    return Measured(Field(*(tuple(values) for values in zip(*axes))), None)


def _sequences(graph) -> set:
    """The layers whose output is a token sequence made from a map (fewer spatial axes than
    the input, but some): their units run through every axis of the input, so along one
    input axis a pattern of fields may repeat without moving (``geometry.sequence_field``)."""
    from .analysis import propagate

    ndim = len(graph.network.input) - 1
    return {layer.name for layer in propagate(graph).layers if 1 <= len(layer.shape) - 1 < ndim}


def _probe_graph(graph, spatial: tuple, axis: int, scale: int, channels: int):
    """A slim graph whose input is ``scale`` times longer on ``axis`` and as short as the
    network allows on the other axes (slabs light those axes whole, so their length does not
    change what is measured; it only costs time). None if no such input works. A network
    that makes a token sequence of a map keeps the other axes whole: there the length of a
    row is how far apart the tokens' fields move."""
    from .analysis import propagate  # only to know whether a shape is valid

    sizes = list(spatial)
    sizes[axis] *= scale
    keep_others = bool(_sequences(graph))
    for other in range(len(spatial)):
        if other == axis or keep_others:
            continue
        # Not too short either: a dilated window over a very short axis may see only padding.
        shortest = min(spatial[other], MIN_OTHER_AXIS)
        for candidate in [*range(shortest, min(spatial[other], 64) + 1), spatial[other]]:
            trial = list(sizes)
            trial[other] = candidate
            try:
                propagate(slim(graph, tuple(trial), channels))
            except CnncalcError:
                continue
            sizes[other] = candidate
            break
    probe = slim(graph, tuple(sizes), channels)
    try:
        propagate(probe)
    except CnncalcError:
        return None
    return probe


def _spans(graph, axis: int, tick=None) -> dict:
    """Per layer: ``(lowest, highest)`` input position along ``axis`` reaching each output unit
    as integer arrays; None for flat layers. ``tick(done, total)`` after each pass."""
    spatial = graph.network.input[1:]
    spans = {node.name: None for node in graph.nodes}
    rng = np.random.default_rng(0)
    weights: dict = {}
    baselines: dict = {}
    width = spatial[axis]
    channels = graph.network.input[0]
    example_bytes = 16 * channels * int(np.prod(spatial)) * 4  # a few live maps each
    chunk = max(1, min(width, CHUNK_BYTES // example_bytes))
    passes = 2 * -(-width // chunk)
    for kind in ("prefix", "suffix"):
        for first in range(0, width, chunk):
            thresholds = np.arange(first, min(width, first + chunk))
            lit = _propagate(graph, _slabs(spatial, channels, axis, kind, thresholds), rng, weights, baselines)
            for name, changed in lit.items():
                if changed.ndim == len(spatial) + 2:
                    spans[name] = _record(spans[name], kind, thresholds, _cross_section(changed, axis))
                elif changed.ndim == 3:  # a token sequence made from a map: units along it
                    spans[name] = _record(spans[name], kind, thresholds, changed.any(axis=1))
            if tick is not None:
                tick((kind == "suffix") * passes // 2 + first // chunk + 1, passes)
    return spans


def _slabs(spatial, channels: int, axis: int, kind: str, thresholds):
    positions = np.arange(spatial[axis])
    if kind == "prefix":
        mask = positions[None, :] <= thresholds[:, None]
    else:
        mask = positions[None, :] >= thresholds[:, None]
    shape = [len(thresholds), 1] + [1] * len(spatial)
    shape[2 + axis] = spatial[axis]
    mask = mask.reshape(shape)
    return _marks(np.broadcast_to(mask, (len(thresholds), channels, *spatial)))


def _marks(changed):
    """Which units changed, as values a next layer passes on: 0 where nothing changed, and
    channel c's number plus one where something did. (Channels must differ: a softmax over
    equal channels would not change at all.)"""
    if changed.ndim < 2:
        return changed.astype(DTYPE)
    numbers = np.arange(1, changed.shape[1] + 1, dtype=DTYPE).reshape((1, -1) + (1,) * (changed.ndim - 2))
    return changed * numbers


def _propagate(graph, inputs, rng, weights: dict, baselines: dict) -> dict:
    """Layer by layer, which units change when ``inputs`` (marks, see _marks) change from zero."""
    changed = {INPUT_NAME: inputs}
    for node in graph.in_order():
        xs = [changed[name] for name in node.inputs]
        if all(x.ndim == 2 for x in xs):
            # Below a flat layer (flatten, fc) every unit sees everything: nothing to learn.
            changed[node.name] = FLAT
            continue
        shapes = tuple(x.shape[1:] for x in xs)
        # Around the constant the type asks for (LayerType.probe_offset): 0 for most, 1 for a
        # product, where a changed gate times an unchanged 0 would not show.
        offset = DTYPE(node.spec.type.probe_offset)
        if node.name not in weights:
            declared = node.spec.type.weights(node.spec.args, shapes)
            weights[node.name] = make_arrays(declared, rng, DTYPE, probe=True)
            constants = [np.full((1, *shape), offset, dtype=DTYPE) for shape in shapes]
            baselines[node.name] = run_layer(node, constants, weights[node.name], Kernels())
        out = run_layer(node, [x + offset for x in xs] if offset else xs, weights[node.name], Kernels())
        changed[node.name] = _marks(out != baselines[node.name])
    del changed[INPUT_NAME]
    return changed


def _cross_section(changed, axis: int):
    """``(batch, units along axis)``: whether the unit changed in any channel, at any position
    of the other axes. (The slab is the same all along those axes, so every position whose
    window sees the input at all changes alike; one at a border may see only padding.)"""
    others = tuple(2 + other for other in range(changed.ndim - 2) if other != axis)
    return changed.any(axis=(1, *others))


def _record(layer_spans, kind: str, thresholds, along):
    units = along.shape[1]
    if layer_spans is None:
        layer_spans = (np.full(units, np.iinfo(np.int64).max), np.full(units, -1))
    low, high = layer_spans
    if kind == "prefix":  # lit at threshold t: the lowest reaching position is <= t
        candidates = np.where(along, thresholds[:, None], np.iinfo(np.int64).max).min(axis=0)
        np.minimum(low, candidates, out=low)
    else:  # lit at t: the highest reaching position is >= t
        candidates = np.where(along, thresholds[:, None], -1).max(axis=0)
        np.maximum(high, candidates, out=high)
    return layer_spans


def _axis_field(layer_spans, width: int, expected):
    """``(size, jump, start)`` on one axis, GLOBAL, or a Reason."""
    if layer_spans is None:
        return GLOBAL
    low, high = layer_spans
    if expected == GLOBAL and ((low == 0) & (high == width - 1)).all():
        return GLOBAL
    regular = _regular_units(low, high)
    if regular is None:
        return Reason("no unit's field lies inside the input (the fields reach its borders)")
    period, units = regular
    centers = {u: Fraction(int(low[u]) + int(high[u]), 2) for u in units}
    first = units[0]
    jump = (centers[first + period] - centers[first]) / period
    offsets = [centers[u] - u * jump for u in range(first, first + period)]
    size = max(int(high[u] - low[u]) + 1 for u in units)
    return size, _number(jump), _number(sum(offsets) / period)


def _regular_units(low, high):
    """``(period, units)``: the units whose fields no border clips.

    Away from the borders the fields move rigidly: every ``period`` units both ends shift
    by the same (positive) amount. A border breaks that (the clipped end stops or skips), so
    the period whose rigid stretch covers the most units (the smaller on ties, and at least
    two periods of it) tells which units are unclipped, provided the pattern explains every
    other unit as a clipped version of itself. Within the stretch, a unit narrower than
    others of its phase is clipped too and left out.

    Where no such pattern moves, one that repeats in place is tried: units a period apart
    that see the very same positions (a token sequence's fields along a later axis of its
    map, MaxViT's grid attention).
    """
    found = _regular(low, high, False)
    return found if found is not None else _regular(low, high, True)


def _regular(low, high, still: bool):
    """``_regular_units`` with patterns that move (``still`` False) or that repeat in
    place (True: a pattern of at least two units that differ, units a period apart
    reading the same positions)."""
    count = len(low)
    candidates = []  # (units covered, period, first unit of the stretch, shift per period)
    for period in range(2 if still else 1, min(MAX_PERIOD, count // 2) + 1):
        # shifts[u]: how far unit u + period's field is from unit u's, if it moved rigidly
        shifts = [None] * count
        for u in range(count - period):
            v = u + period
            moved = low[v] - low[u]
            if (
                high[u] >= low[u]
                and high[v] >= low[v]
                and moved == high[v] - high[u]
                and (moved == 0 if still else moved > 0)
            ):
                shifts[u] = int(moved)
        first, length = _longest_run(shifts)
        if length >= 2 * period:  # two periods of rigid motion, not one coincidence
            candidates.append((length + period, period, first, shifts[first]))
    for covered, period, first, shift in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if not _explains(low, high, period, first, shift):
            continue  # a coincidence: the pattern does not hold over the other units
        if still and len({int(low[u]) for u in range(first, first + period)}) < 2:
            continue  # units that all see the same: no pattern to tell a field by
        units = list(range(first, first + covered))
        widest: dict = {}
        for u in units:
            widest[u % period] = max(widest.get(u % period, 0), int(high[u] - low[u]))
        units = [u for u in units if int(high[u] - low[u]) == widest[u % period]]
        if len(units) > period and all(u in units for u in range(units[0], units[0] + period + 1)):
            return period, units
    return None


def _reported(probe, axis: int) -> dict:
    """The report's field of every layer of a probe graph on one axis."""
    from .analysis import propagate

    return {
        layer.name: field if field == GLOBAL else (field.size[axis], field.jump[axis], field.start[axis])
        for layer in propagate(probe).layers
        for field in (layer.receptive_field,)
    }


def _holds_at(original, enlarged, width: int) -> tuple:
    """``(holds, pinned)``: whether the pattern measured on the enlarged input explains the
    original input's units, and whether it pins at least one of them down (see below).
    (When every unit's field covers the whole original input, any placement fits, and
    "same" padding may resolve differently there.)"""
    if original is None or enlarged is None:
        return original is None and enlarged is None, True
    regular = _regular_units(*enlarged)
    if regular is None:
        return False, False
    period, units = regular
    low, high = enlarged
    first = units[0]
    shift = int(low[first + period] - low[first])
    base_low = [int(low[first + r]) for r in range(period)]
    base_high = [int(high[first + r]) for r in range(period)]
    pinned = False
    for u in range(len(original[0])):
        if original[1][u] < original[0][u]:
            continue
        offset = u - first
        phase, cycles = offset % period, offset // period
        low_u, high_u = base_low[phase] + cycles * shift, base_high[phase] + cycles * shift
        if original[0][u] < low_u or original[1][u] > high_u:
            return False, False
        # Pinned: an end away from the borders that the pattern places exactly, or a unit
        # unclipped on the larger input with the very same span on this one.
        pinned |= 0 < original[0][u] == low_u or original[1][u] == high_u < width - 1
        pinned |= u in units and original[0][u] == low[u] and original[1][u] == high[u]
    return True, pinned


def _explains(low, high, period: int, first: int, shift: int) -> bool:
    """Whether the pattern seen from unit ``first`` accounts for every unit: clipping can only
    shrink a field, so each unit's span must lie within the span the pattern predicts."""
    for u in range(len(low)):
        if high[u] < low[u]:
            continue
        base = first + (u - first) % period
        cycles = (u - base) // period
        if low[u] < low[base] + cycles * shift or high[u] > high[base] + cycles * shift:
            return False
    return True


def _longest_run(values) -> tuple:
    """``(start, length)`` of the longest stretch of equal values that are not None."""
    best = (0, 0)
    start = 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start] or values[start] is None:
            if values[start] is not None and index - start > best[1]:
                best = (start, index - start)
            start = index
    return best


def _number(value: Fraction):
    return int(value) if value.denominator == 1 else float(value)
