"""What a layer type is, and the one registry of them.

A layer type is a class registered with ``@register``. It declares, in one place, the
whole contract (``LayerType`` below lists every piece with its default):

- ``args``: its arguments as a schema (name, kind, default); ``primary`` is the one that
  ``TYPE: VALUE`` sets. The file reader validates every argument against this schema.
- ``output_shape(a, shapes)``: the shape rule, a pure function of the argument values
  ``a`` and the input shapes (channels first, batch left out).
- ``weights(a, shapes)``: the arrays it learns or keeps (``Weight``), whose sizes are the
  parameter and buffer counts.
- ``macs(a, shapes, out)``: multiply-accumulates for one example.
- ``receptive_field(a, fields, shapes)``: the field of its output units.
- ``window(a, shape)``: the sliding window it applies (``geometry.Window``), or None.
- ``forward(a, xs, weights, kernels)``: the NumPy forward pass the executor runs.
- ``saves`` and friends: what its backward pass keeps, for training memory.
- ``products``, ``window_taps`` and ``backward_macs``: its work as the time model
  (timing.py) reads it: the matrix products it computes, the values its window reductions
  read, the MACs of its backward pass.
- ``probe_args`` and ``probe_offset``: what the receptive-field probe needs (probe.py).
- traits (``mixes_channels``, ``pools``, ``reduces_positions``, ``statistics_over_positions``,
  ``has_channel_bias``, ``removes_channel_bias``, ``recenters_fields``): what it does, in words lint rules and
  homework texts ask instead of a type's or a weight's name.
- ``worked_*``: the homework arithmetic of each figure; ``examples``: small networks that
  use it, which the tests walk through every command.

Defaults suit an element-wise layer with no weights (activations, dropout): same shape,
nothing learned, no MACs, same field. Nothing outside ``cnncalc/layers/`` knows a layer
type by name; ``tests/test_layer_contract.py`` walks every registered type through the
whole checklist, so a type that misses a piece fails a test.
"""

from __future__ import annotations

from ..errors import ArgError, LayerError
from ..geometry import GLOBAL, axis_name
from ..record import Record

REQUIRED = object()  # the default of an argument that must be given


class _ProbeChannels:
    """In ``probe_args``: the probe copy's channel count (2, or more where a layer needs a
    multiple, such as pixel_shuffle's r^2)."""

    def __repr__(self) -> str:
        return "PROBE_CHANNELS"


PROBE_CHANNELS = _ProbeChannels()
GLOBAL_WORK = "global: every output value depends on the whole input"
GLOBAL_INPUT_WORK = "global: its input already sees the whole input"
STATISTICS_WORK = (
    "global: it normalises by statistics taken over every position, so every output value depends on the whole input"
)


class _LazyNumpy:
    """``np`` for the forward passes, imported on first use: reading a file and computing its
    report never needs NumPy, and importing it costs more than the whole report.

    Each name is looked up once, then kept as an attribute of this object: through
    ``__getattr__`` every ``np.multiply`` of a forward pass took 0.5 us (an import statement
    and a lookup), about 1 ms of EfficientNet-B0's forward pass."""

    def __getattr__(self, name):
        import numpy

        value = getattr(numpy, name)
        setattr(self, name, value)
        return value


np = _LazyNumpy()


class Arg(Record, fields="name kind default doc"):
    """One argument of a layer type: its name, what it accepts, its default, one line of doc."""

    __slots__ = ()

    def __new__(cls, name, kind, default=REQUIRED, doc=""):
        return super().__new__(cls, name, kind, default, doc)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class Weight(Record, fields="name shape buffer init axes bias"):
    """An array a layer holds: learnable (``buffer`` False) or a buffer such as a running mean.

    ``init`` says how the executor fills it when the file gives no values: ``fan_in``
    (random, scaled by 1/sqrt(fan-in) so deep networks stay finite), ``small`` (random near
    0), ``one`` (random near 1), ``positive`` (random in [0.5, 1.5]) or a number.
    ``axes`` names its axes as a student reads them, in PyTorch's layout (``("C_out",
    "C_in", "F_H", "F_W")``), or is None; ``bias`` marks an array added to the output (a
    bias or a shift), which the course notes' weight counts leave out.
    """

    __slots__ = ()

    def __new__(cls, name, shape, buffer=False, init="fan_in", axes=None, bias=False):
        return super().__new__(cls, name, tuple(shape), buffer, init, axes, bias)

    @property
    def size(self) -> int:
        return prod(self.shape)


class Args(dict):
    """A layer's argument values, every declared argument present; read as ``a.kernel``."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# --- Argument kinds: what a value may be, and its normal form ------------------------------


class Kind:
    """Checks one YAML value for an argument and returns its normal form (or raises ArgError)."""

    expected = "a value"

    def parse(self, value):
        return value

    def schema(self) -> dict:
        """The JSON Schema of what ``parse`` accepts (for ``cnncalc schema``)."""
        return {}

    def fail(self, value):
        raise ArgError(f"expected {self.expected}, got {_show(value)}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


class Integer(Kind):
    """A whole number, at least ``minimum``."""

    def __init__(self, minimum: int = 1):
        self.minimum = minimum
        self.expected = {0: "a whole number >= 0", 1: "a positive whole number"}.get(
            minimum, f"a whole number >= {minimum}"
        )

    def parse(self, value):
        if not _is_int(value) or value < self.minimum:
            self.fail(value)
        return value

    def schema(self) -> dict:
        return {"type": "integer", "minimum": self.minimum}


class Sizes(Integer):
    """A whole number for every spatial axis, or a list of one per axis (kernel, stride...)."""

    def __init__(self, minimum: int = 1):
        super().__init__(minimum)
        self.expected += " or a list of them, one per axis"

    def parse(self, value):
        if isinstance(value, list):
            if not value or not all(_is_int(v) and v >= self.minimum for v in value):
                self.fail(value)
            return tuple(value)
        return super().parse(value)

    def schema(self) -> dict:
        one = super().schema()
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}


class Padding(Kind):
    """``same``, ``valid``, a number, or per axis a number or a ``[before, after]`` pair."""

    expected = 'a whole number >= 0, a list with one per axis (each a number or [before, after]), "same" or "valid"'

    def __init__(self, allow_same: bool = True):
        self.allow_same = allow_same
        if not allow_same:
            self.expected = "a whole number >= 0 or a list with one per axis (each a number or [before, after])"

    def parse(self, value):
        if (
            isinstance(value, str)
            and value.lower() in ("same", "valid")
            and (self.allow_same or value.lower() == "valid")
        ):
            return value.lower()
        if _is_int(value) and value >= 0:
            return value
        if isinstance(value, list) and value:
            axes = []
            for entry in value:
                if _is_int(entry) and entry >= 0:
                    axes.append(entry)
                elif isinstance(entry, list) and len(entry) == 2 and all(_is_int(p) and p >= 0 for p in entry):
                    axes.append((entry[0], entry[1]))
                else:
                    self.fail(value)
            return tuple(axes)
        self.fail(value)

    def schema(self) -> dict:
        number = {"type": "integer", "minimum": 0}
        pair = {"type": "array", "items": number, "minItems": 2, "maxItems": 2}
        words = ["same", "valid"] if self.allow_same else ["valid"]
        return {
            "anyOf": [{"enum": words}, number, {"type": "array", "items": {"anyOf": [number, pair]}, "minItems": 1}]
        }


class Flag(Kind):
    expected = "true or false"

    def parse(self, value):
        if not isinstance(value, bool):
            self.fail(value)
        return value

    def schema(self) -> dict:
        return {"type": "boolean"}


class Number(Kind):
    """A real number within ``[low, high]`` (either end optional, ``open`` excludes them)."""

    def __init__(self, low=None, high=None, open_low=False, open_high=False):
        self.low, self.high, self.open_low, self.open_high = low, high, open_low, open_high
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if open_low else '>='} {low}")
        if high is not None:
            bounds.append(f"{'<' if open_high else '<='} {high}")
        self.expected = "a number" + (" " + " and ".join(bounds) if bounds else "")

    def parse(self, value):
        if isinstance(value, str):
            # YAML 1.1 reads 1e-5 (no dot) as a string; it is plainly meant as a number.
            try:
                value = float(value)
            except ValueError:
                self.fail(value)
        if not _is_number(value) or value != value:
            self.fail(value)
        low, high = self.low, self.high
        if low is not None and (value < low or (self.open_low and value == low)):
            self.fail(value)
        if high is not None and (value > high or (self.open_high and value == high)):
            self.fail(value)
        return value

    def schema(self) -> dict:
        result = {"type": "number"}
        if self.low is not None:
            result["exclusiveMinimum" if self.open_low else "minimum"] = self.low
        if self.high is not None:
            result["exclusiveMaximum" if self.open_high else "maximum"] = self.high
        return result


class Scales(Number):
    """A positive number for every axis, or one per axis (upsampling factors)."""

    def __init__(self):
        super().__init__(low=0, open_low=True)
        self.expected = "a positive number or a list of them, one per axis"

    def parse(self, value):
        if isinstance(value, list):
            if not value:
                self.fail(value)
            return tuple(super(Scales, self).parse(v) for v in value)
        return super().parse(value)

    def schema(self) -> dict:
        one = super().schema()
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}


class Choice(Kind):
    def __init__(self, *options: str):
        self.options = options
        self.expected = "one of " + ", ".join(options)

    def parse(self, value):
        if not isinstance(value, str) or value.lower() not in self.options:
            from ..errors import did_you_mean

            raise ArgError(
                f"expected {self.expected}, got {_show(value)}"
                + (did_you_mean(value, self.options) if isinstance(value, str) else "")
            )
        return value.lower()

    def schema(self) -> dict:
        return {"enum": list(self.options)}


class Names(Kind):
    """Two or more layer names (the inputs of a merge)."""

    expected = "a list of two or more layer names"

    def parse(self, value):
        if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) and v for v in value):
            self.fail(value)
        return tuple(value)

    def schema(self) -> dict:
        return {"type": "array", "items": {"type": "string"}, "minItems": 2}


class LayerName(Kind):
    """The name of a layer (or ``input``), resolved as ``from`` is: a layer whose output the
    layer reads for its shape alone (``LayerType.references``)."""

    expected = "a layer's name (or input)"

    def parse(self, value):
        if not isinstance(value, str) or not value.strip():
            self.fail(value)
        return value

    def schema(self) -> dict:
        return {"type": "string", "minLength": 1}


class Numbers(Kind):
    """A nested list of numbers (given weights or input values), as a tuple of tuples."""

    expected = "a number or a (nested) list of numbers"

    def parse(self, value):
        if _is_number(value):
            return value
        if isinstance(value, list) and value:
            return tuple(self.parse(v) for v in value)
        self.fail(value)

    def schema(self) -> dict:
        # A fraction such as "1/9" is a number as worked examples write it (spec.fraction).
        return {
            "anyOf": [
                {"type": ["number", "array"]},
                {"type": "string", "pattern": r"^ *-? *[0-9]+ */ *[0-9]*[1-9][0-9]* *$"},
            ]
        }


class Bias(Kind):
    """``true``/``false``, or the bias values themselves (one per output channel)."""

    expected = "true, false or a list of numbers"

    def parse(self, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, list) and value and all(_is_number(v) for v in value):
            return tuple(value)
        self.fail(value)

    def schema(self) -> dict:
        return {"anyOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}]}


# --- Layer types ---------------------------------------------------------------------------


class LayerType:
    """Base of every layer type; the defaults describe an element-wise layer without weights."""

    name = ""
    aliases: tuple = ()
    primary: str | None = None
    args: tuple = ()
    # A merge takes its inputs as its primary argument (a list of names) instead of `from`.
    merges = False
    # Whether the input must have spatial axes ([C, L], [C, H, W], [C, D, H, W]).
    spatial = False
    # Whether the layer may write its output over its input (element-wise layers; memory.py).
    inplace = False
    # Training memory (memory.py), as PyTorch's autograd keeps it. ``saves``: what the
    # backward pass keeps from the forward, "input" and/or "output" (most layers need their
    # input; ReLU, sigmoid and tanh their output); ``saved_extra_bytes`` adds arrays of its
    # own. ``output_is_view``: the output shares the input's memory (flatten).
    # ``input_grad_is_view``: the backward pass hands its output's gradient (or slices of
    # it) to its inputs without copying (flatten, add, concat).
    saves: tuple = ("input",)
    output_is_view = False
    input_grad_is_view = False

    # Traits: what the layer does, declared. Lint rules, homework texts and the probe ask
    # these, never a type's name or the name of a weight.
    # ``mixes_channels``: an output channel depends on several input channels (conv, fc).
    mixes_channels = False
    # ``pools``: combines each channel's values over a window of positions, learning
    # nothing (max, average and power pooling, global pooling).
    pools = False
    # ``reduces_positions``: every output unit reads every position of its input, so the
    # output has no spatial layout of its own (global pooling, flatten, fc).
    reduces_positions = False
    # ``keeps_switches``: pools by picking one input of each window, whose position (the
    # "switch") unpooling reuses (max pooling); ``cnncalc run`` shows them.
    keeps_switches = False
    # The probe (probe.py) runs each layer on maps of which inputs changed, against the same
    # layer run on a constant: ``probe_offset`` is that constant. Zero suits every layer in
    # which a changed input changes the output; a product needs 1 (0 * anything = 0 would
    # hide a changed gate).
    probe_offset = 0.0

    @property
    def doc(self) -> str:
        return (self.__doc__ or "").strip()

    def statistics_over_positions(self, a: Args) -> bool:
        """Whether it normalises by statistics taken over the positions of one example (or of
        the batch): then every output unit depends on every input position, and its
        receptive field is global (GroupNorm, InstanceNorm, batch statistics)."""
        return False

    def recenters_fields(self, a: Args) -> bool:
        """Whether its output units' fields are no longer centered on the units' own places:
        window attention's unit sees its whole window, centered on the window. Field centers
        then stop telling where units are (lint's misaligned-merge asks)."""
        return False

    def has_channel_bias(self, a: Args) -> bool:
        """Whether it learns a bias per output channel (conv, fc), which a following
        ``removes_channel_bias`` layer would cancel."""
        return False

    def removes_channel_bias(self, a: Args, shapes: tuple) -> bool:
        """Whether it subtracts each channel's mean, so that a constant added to a channel
        before it makes no difference (batch normalisation, instance normalisation)."""
        return False

    def references(self, a: Args) -> tuple:
        """The layers named in its arguments (``LayerName``) whose outputs it reads for their
        shape alone, such as resize's ``like``. The graph gives them to it as further inputs,
        after the ones it computes from; their values change nothing, so they add nothing to
        its receptive field and take no gradient from it."""
        return tuple(
            a[arg.name] for arg in self.args if isinstance(arg.kind, LayerName) and a.get(arg.name) is not None
        )

    def window(self, a: Args, shape: tuple):
        """The sliding window it applies to an input of ``shape`` (``geometry.Window``), or
        None for a layer without one."""
        return None

    def forward(self, a: Args, xs: list, w: dict, k):
        """The NumPy forward pass: ``xs`` the input arrays (batch first), ``w`` the arrays of
        ``weights`` by name, ``k`` the kernels (cnncalc/kernels.py), which count MACs."""
        raise NotImplementedError(f"layer type {self.name} has no forward pass")

    def arg(self, name: str) -> Arg | None:
        for arg in self.args:
            if arg.name == name:
                return arg
        return None

    def output_shape(self, a: Args, shapes: tuple) -> tuple:
        return shapes[0]

    def weights(self, a: Args, shapes: tuple) -> tuple:
        return ()

    def macs(self, a: Args, shapes: tuple, out: tuple) -> int:
        return 0

    def receptive_field(self, a: Args, fields: tuple, shapes: tuple):
        if self.statistics_over_positions(a):
            return GLOBAL
        return fields[0]

    def products(self, a: Args, shapes: tuple, out: tuple) -> tuple:
        """The matrix products its forward pass amounts to, for one example: ``(count, rows,
        inner, columns)``, ``count`` products of a ``rows x inner`` matrix by an ``inner x
        columns`` one (``count * rows * inner * columns`` is its MACs; rows grow with the
        batch), a tuple of several such (attention: its projections and its maps' products,
        whose MACs add up), or ``()`` for a layer that computes none. The time model (timing.py) asks
        for their smallest side: a matrix unit reaches its peak only on long ones."""
        return ()

    def window_taps(self, a: Args, shapes: tuple, out: tuple) -> int:
        """Values its window reductions read for one example, one output's window after
        another (pooling: each output's window; local response normalisation: each output's
        window of channels). Not products, so no matrix unit runs them; the time model
        (timing.py) charges them at the device's ``window_rate``."""
        return 0

    def strided_values(self, a: Args, shapes: tuple, out: tuple) -> int:
        """Values per example its product reads or writes a stride apart rather than one
        after another: a convolution with a stride above 1 gathers its input's positions
        (every input value: PyTorch's CPU kernels lay the strided input out anew), a
        transposed one scatters into its output's. The time model (timing.py) charges their
        bytes at the device's ``strided_bandwidth``, before the product, besides its roofline."""
        return 0

    def backward_macs(self, a: Args, shapes: tuple, out: tuple, input_grad: bool, weight_grad: bool) -> int:
        """Multiply-accumulates of its backward pass for one example: for a product (conv,
        fc), one more product of the forward pass's size for its input's gradient (when its
        input needs one) and one for its weights' (when they are trained)."""
        return self.macs(a, shapes, out) * (int(input_grad) + int(weight_grad))

    def saved(self, a: Args, shapes: tuple) -> tuple:
        """What its backward pass keeps of its own tensors, "input" and/or "output"; the
        class's ``saves`` unless the arguments change it."""
        return self.saves

    def saved_extra_bytes(self, a: Args, shapes: tuple, out: tuple, width: int) -> int:
        """Bytes per example the backward pass keeps besides its input and output (``width``:
        bytes per activation value)."""
        return 0

    # -- worked arithmetic (homework mode): how a student would write each figure down ----

    def worked_shape(self, a: Args, shapes: tuple, out: tuple) -> list:
        if out == shapes[0]:
            return [f"the same shape as its input: {list(out)}"]
        return [f"{list(shapes[0])} -> {list(out)}"]

    def worked_params(self, a: Args, shapes: tuple) -> str:
        return _worked_sizes([w for w in self.weights(a, shapes) if not w.buffer], "no learnable parameters")

    def worked_macs(self, a: Args, shapes: tuple, out: tuple) -> str:
        return "0: no multiply-accumulates are counted for this layer (only conv, deconv, local and fc)"

    def worked_field(self, a: Args, fields: tuple, shapes: tuple) -> list:
        """``fields``: the inputs' receptive fields as reported (Field or GLOBAL)."""
        if self.statistics_over_positions(a):
            return [STATISTICS_WORK]
        if fields[0] == GLOBAL:
            return [GLOBAL_INPUT_WORK]
        return ["as its input's: each output unit sees what the input unit at its place sees"]

    # Arguments that set channel counts, and their values in the slim copy of the network
    # that measures receptive fields (fields do not depend on channels; see probe.py).
    probe_args: dict = {}
    # Small networks that use the type, ``(input shape, YAML list of layers)``: the contract
    # test runs each through summarize, the executor, verify, memory, lint and explain.
    # Types without required arguments are tried as ``[TYPE]`` on ``[4, 8, 8]`` too.
    examples: tuple = ()


REGISTRY: dict = {}


def normalize(type_name: str) -> str:
    """How type names are looked up: ``MaxPool2d``, ``max_pool`` and ``maxpool`` are one."""
    return type_name.lower().replace("_", "").replace("-", "")


def register(cls):
    """Class decorator: adds one instance of the layer type under its name and aliases."""
    layer_type = cls()
    for key in {normalize(name) for name in (cls.name, *cls.aliases)}:
        if key in REGISTRY:
            raise RuntimeError(f"layer type name {key!r} registered twice")
        REGISTRY[key] = layer_type
    return cls


def lookup(type_name: str):
    """``(layer_type, dims)``: the type for a name as written, and the spatial dimensionality
    a PyTorch-style suffix demands (``conv2d`` -> 2), or None. Raises KeyError."""
    key = normalize(type_name)
    if key in REGISTRY:
        return REGISTRY[key], None
    if len(key) > 2 and key[-1] == "d" and key[-2] in "123" and key[:-2] in REGISTRY:
        return REGISTRY[key[:-2]], int(key[-2])
    raise KeyError(type_name)


def prod(values) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _worked_sizes(weights, none: str) -> str:
    """``8*3*5*5 + 8 = 608`` from the arrays' shapes."""
    if not weights:
        return f"0: {none}"
    total = sum(w.size for w in weights)
    terms = ["*".join(str(n) for n in w.shape) for w in weights]
    return f"{' + '.join(terms)} = {total:,}" if len(terms) > 1 or "*" in terms[0] else f"{total:,}"


def spatial_axis_names(ndim: int) -> tuple:
    """``("H", "W")`` for a 2-D map (``("L",)``, ``("D", "H", "W")``)."""
    return tuple(axis_name(axis, ndim) for axis in range(ndim))


def window_axis_names(ndim: int) -> tuple:
    """A kernel's axes: ``("F_H", "F_W")`` for a 2-D map."""
    return tuple(f"F_{name}" for name in spatial_axis_names(ndim))


def groups_of_channels(groups: int, shape: tuple) -> tuple:
    """``shape`` unchanged, after checking that ``groups`` divides its channels."""
    if shape[0] % groups:
        raise LayerError(f"groups must divide the channels, but {groups} does not divide {shape[0]}", arg="groups")
    return shape


def needs_spatial(name: str, shape: tuple) -> None:
    if len(shape) < 2:
        raise LayerError(
            f"{name} needs an input with spatial axes ([C, L], [C, H, W] or [C, D, H, W]); got the flat {list(shape)}"
        )


__all__ = [
    "Arg",
    "Args",
    "Weight",
    "Kind",
    "Integer",
    "Sizes",
    "Padding",
    "Flag",
    "Number",
    "Scales",
    "Choice",
    "Names",
    "LayerName",
    "Numbers",
    "Bias",
    "LayerType",
    "REGISTRY",
    "register",
    "lookup",
    "prod",
    "GLOBAL",
    "REQUIRED",
    "PROBE_CHANNELS",
    "needs_spatial",
    "groups_of_channels",
    "spatial_axis_names",
    "window_axis_names",
    "normalize",
]
