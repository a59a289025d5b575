"""Device profiles: what a device can do, for the roofline of ``cnncalc time`` (timing.py).

A profile is a small YAML file, read like an architecture file (cnncalc.source: safe, and
every error placed at its file, line and column)::

    name: NVIDIA A100 SXM4 40GB
    source: "data sheet: NVIDIA A100 Tensor Core GPU Datasheet"
    peak_flops:                 # per dtype; a multiply-add is two
      float32: 19.5 TFLOP/s
      float16: 312 TFLOP/s      # tensor cores
    memory_bandwidth: 1555 GB/s
    cache: {size: 40 MiB, bandwidth: 5 TB/s}   # optional: a level, or a list of them
    layer_overhead: 5 us        # optional: the fixed cost of running one layer
    weights_overhead: 20 us     # optional: and more for one with weights
    weights_bandwidth: 20 GB/s  # optional: see below
    small_product: 24           # optional: see below
    dot_length: 150             # optional: see below
    window_rate: 0.4 G/s        # optional: see below
    strided_bandwidth: 4 GB/s   # optional: see below

Quantities are a number in the base unit (FLOP/s, bytes/s, bytes, seconds) or a number and
a unit: ``19.5 TFLOP/s`` (also ``TFLOPS``, ``TOP/s``), ``1555 GB/s``, ``2 MiB``,
``5 us``. ``cache`` is one level or a list of them (``[{size: 2 MiB, bandwidth: 60 GB/s},
{size: 24 MiB, bandwidth: 20 GB/s}]``): a layer whose bytes fit a level's size moves them
at its bandwidth (the smallest that fits), others at ``memory_bandwidth``. ``small_product`` is the size at which a matrix product runs at half the peak:
a product whose smallest side is ``n`` runs at ``n / (n + small_product)`` of it (a
depthwise convolution is many products of one column; a fully connected layer at batch 1
one product of one row). ``dot_length`` is the length at which a dot product runs at half
the peak: a product of one column or row is dot products, one an output value, of its
inner side's length (a depthwise convolution's taps); without it, it runs as a product of
side 1. ``window_rate`` is how many values a window reduction (pooling,
local response normalisation) reads per second when it reads them one after another, as
CPU frameworks' pooling kernels do; without it they cost only their bytes.
``weights_overhead`` and ``weights_bandwidth`` (a fixed cost and a rate), and
``strided_bandwidth``, are what a framework pays to lay a layer's operands out anew before
its kernel runs, on every call: its weights and buffers (into the kernel's own order), and
the values a strided product reaches a stride apart (``LayerType.strided_values``: a
strided convolution's input); without them that costs nothing. ``cnncalc calibrate --fit``
fits ``layer_overhead``, ``weights_overhead``, ``weights_bandwidth``, ``small_product``,
``dot_length``, ``window_rate`` and ``strided_bandwidth`` to a framework's measured layer
times. ``cnncalc calibrate`` measures the others on the machine it runs on; ``cnncalc/devices/`` ships a few (``cnncalc devices`` lists them), and
``--device`` takes one of their names or a path.
"""

from __future__ import annotations

import os

from .errors import Loc, SpecError, UsageError, did_you_mean
from .memory import DTYPE_BYTES
from .record import Record

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "devices")
SUFFIX = ".yaml"


class Device(
    Record,
    fields="name source file peak_flops memory_bandwidth caches layer_overhead small_product window_rate "
    "weights_overhead weights_bandwidth strided_bandwidth dot_length",
):
    """A device profile. ``peak_flops``: dtype -> FLOP/s; ``memory_bandwidth`` bytes/s;
    ``caches`` ``(size, bandwidth)`` levels, smallest first (empty: none given);
    ``layer_overhead`` seconds per layer; ``small_product`` the side at which a matrix
    product reaches half the peak (0: every product at the peak); ``dot_length`` the length
    at which a dot product (a product of side 1) does (0: not given); ``window_rate`` values
    per second a window reduction reads, one after another (0: not given, they are free);
    ``weights_overhead`` seconds more for a layer with weights or buffers;
    ``weights_bandwidth`` and ``strided_bandwidth`` bytes/s at which a layer's weights and a
    product's strided reads are laid out anew before its kernel (0: not given, free)."""

    __slots__ = ()

    def bandwidth(self, working_set: int) -> float:
        """Bytes/s for a layer whose bytes are ``working_set``: the smallest cache level that
        holds them, else the memory's."""
        for size, bandwidth in self.caches:
            if working_set <= size:
                return bandwidth
        return self.memory_bandwidth


# --- Quantities: a number, or a number and a unit ----------------------------------------------

PREFIXES = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}


def _units(names, binary: bool = False) -> dict:
    table = {}
    for name in names:
        for prefix, scale in PREFIXES.items():
            table[prefix + name] = scale
        if binary:
            for prefix, scale in BINARY.items():
                table[prefix + name] = scale
    return table


class Quantity(Record, fields="what units example minimum"):
    """What a field holds: ``units`` maps each unit written after the number to its scale."""

    __slots__ = ()


RATE = Quantity("a rate of operations", _units(("FLOP/s", "FLOPS", "FLOPs", "OP/s", "OPS")), "19.5 TFLOP/s", None)
BANDWIDTH = Quantity("a bandwidth", _units(("B/s",), binary=True), "1555 GB/s", None)
SIZE = Quantity("a size", _units(("B",), binary=True), "40 MiB", None)
TIME = Quantity("a time", {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}, "5 us", 0.0)
COUNT = Quantity("a number", {"": 1.0}, "24", 0.0)
VALUES = Quantity("a rate of values", {"/s": 1.0, "k/s": 1e3, "M/s": 1e6, "G/s": 1e9, "T/s": 1e12}, "0.4 G/s", None)


def _number(text: str):
    """A float from a plain decimal such as ``19.5``, ``1555e9`` or ``2E-6``; None otherwise
    (``inf``, ``nan`` and ``1_000`` are not numbers here)."""
    if not text or not all(c.isascii() and (c.isdigit() or c in ".eE+-") for c in text):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def quantity(value, kind: Quantity) -> float:
    """``value`` (a number or ``"19.5 TFLOP/s"``) in the base unit; ValueError says what was
    expected. Positive, or at least ``kind.minimum`` where that is given."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {kind.what} such as {kind.example}")
    if isinstance(value, str):
        text = value.strip()
        split = len(text)
        while split and not _number(text[:split]):
            split -= 1
        number, unit = _number(text[:split]), text[split:].strip()
        if number is None or (unit and unit not in kind.units):
            raise ValueError(f"expected {kind.what} such as {kind.example}, got {value!r}")
        value = number * kind.units.get(unit, 1.0)  # no unit: the base unit
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"expected {kind.what} such as {kind.example}, got {value!r}")
    if kind.minimum is None and value <= 0:
        raise ValueError(f"expected {kind.what} above 0, such as {kind.example}")
    if kind.minimum is not None and value < kind.minimum:
        raise ValueError(f"expected {kind.what} of at least {kind.minimum:g}, such as {kind.example}")
    return value


# --- Reading a profile ----------------------------------------------------------------------

KEYS = (
    "name", "source", "peak_flops", "memory_bandwidth", "cache", "layer_overhead", "weights_overhead", "weights_bandwidth",
    "small_product", "dot_length", "window_rate", "strided_bandwidth",
)  # fmt: skip
REQUIRED = ("name", "peak_flops", "memory_bandwidth")
CACHE_KEYS = ("size", "bandwidth")


def read(path: str) -> Device:
    """The profile in the YAML file at ``path``; SpecError (exit 2) at the line and column of
    the first problem."""
    from .source import load

    return parse(load(path), path)


def parse(document, file: str) -> Device:
    """A profile from YAML values as cnncalc.source reads them (YMap, with positions)."""
    from .source import YList, YMap

    if not isinstance(document, YMap):
        loc = getattr(document, "loc", Loc(file, 1, 1))
        raise SpecError.at(loc, f"a device profile is a mapping with {', '.join(REQUIRED)} (see `cnncalc devices`)")
    _check_keys(document, KEYS, "a device profile")
    for key in REQUIRED:
        if key not in document:
            raise SpecError.at(document.loc, f"a device profile needs `{key}:`")

    def field(key, kind, mapping=document, label=None):
        try:
            return quantity(mapping[key], kind)
        except ValueError as error:
            raise SpecError.at(mapping.value_locs[key], f"{label or key}: {error}") from None

    for key in ("name", "source"):
        if key in document and not isinstance(document[key], str):
            raise SpecError.at(document.value_locs[key], f"{key} must be text")
    rates = document["peak_flops"]
    if not isinstance(rates, YMap) or not rates:
        raise SpecError.at(
            document.value_locs["peak_flops"], "peak_flops: expected a rate per dtype, e.g. {float32: 19.5 TFLOP/s}"
        )
    _check_keys(rates, DTYPE_BYTES, "peak_flops", "dtype")
    peak = {dtype: field(dtype, RATE, rates, f"peak_flops: {dtype}") for dtype in rates}
    caches = []
    if "cache" in document:
        given = document["cache"]
        levels = (
            list(zip(given, given.item_locs)) if isinstance(given, YList) else [(given, document.value_locs["cache"])]
        )
        for level, loc in levels or [(None, document.value_locs["cache"])]:
            if isinstance(level, YMap):
                _check_keys(level, CACHE_KEYS, "cache")
            if not isinstance(level, YMap) or len(level) != len(CACHE_KEYS):
                raise SpecError.at(loc, "cache: expected {size: 2 MiB, bandwidth: 100 GB/s}, or a list of them")
            size = int(field("size", SIZE, level, "cache: size"))
            caches.append((size, field("bandwidth", BANDWIDTH, level, "cache: bandwidth")))
    return Device(
        name=document["name"],
        source=document.get("source", ""),
        file=file,
        peak_flops=peak,
        memory_bandwidth=field("memory_bandwidth", BANDWIDTH),
        caches=tuple(sorted(caches)),
        layer_overhead=field("layer_overhead", TIME) if "layer_overhead" in document else 0.0,
        small_product=field("small_product", COUNT) if "small_product" in document else 0.0,
        window_rate=field("window_rate", VALUES) if "window_rate" in document else 0.0,
        weights_overhead=field("weights_overhead", TIME) if "weights_overhead" in document else 0.0,
        weights_bandwidth=field("weights_bandwidth", BANDWIDTH) if "weights_bandwidth" in document else 0.0,
        strided_bandwidth=field("strided_bandwidth", BANDWIDTH) if "strided_bandwidth" in document else 0.0,
        dot_length=field("dot_length", COUNT) if "dot_length" in document else 0.0,
    )


def _check_keys(mapping, known, where: str, what: str = "key") -> None:
    for key in mapping:
        if key not in known:
            raise SpecError.at(
                mapping.key_locs[key],
                f"{where}: unknown {what} {key!r}{did_you_mean(str(key), known)}; it takes {', '.join(known)}",
            )


# --- Shipped profiles -------------------------------------------------------------------------


def names() -> list:
    """The shipped profiles' names (their files in cnncalc/devices/, without ``.yaml``)."""
    if not os.path.isdir(FOLDER):
        return []
    return sorted(name[: -len(SUFFIX)] for name in os.listdir(FOLDER) if name.endswith(SUFFIX))


def find(name_or_path: str) -> Device:
    """A shipped profile by name, or the profile file at a path (a path that exists wins).
    An unknown name is a UsageError with the closest shipped name."""
    if os.path.exists(name_or_path):
        return read(name_or_path)
    stem = name_or_path[: -len(SUFFIX)] if name_or_path.endswith(SUFFIX) else name_or_path
    if stem in names():
        return read(os.path.join(FOLDER, stem + SUFFIX))
    looks_like_path = os.sep in name_or_path or name_or_path.endswith((SUFFIX, ".yml"))
    what = "no such device profile file" if looks_like_path else "unknown device"
    raise UsageError(
        f"{name_or_path}: error: {what}{did_you_mean(stem, names())}; the shipped devices: {', '.join(names())} "
        "(or the path of a profile; `cnncalc calibrate -o mine.yaml` measures this machine)"
    )


__all__ = ["Device", "find", "names", "parse", "quantity", "read"]
