"""Counting conventions: the figure another tool reports for each layer, reproduced exactly.

Every counter of a network's compute counts something different: bias additions or not,
batchnorm, ReLU, pooling and additions or not, MACs called FLOPs, a transposed convolution
by its input or its output positions. A convention is one tool's way, written down as a
rule per layer type class (``@CONVENTION.counts(conv.Conv)``), each rule's docstring giving
the tool's arithmetic and the source line it comes from; one module per tool:

====================  ===========================================================
``cnncalc``           cnncalc's own MACs (SPEC.md section 2)
``torch``             ``torch.utils.flop_counter.FlopCounterMode`` (torch 2.13)
``torchinfo``         ``torchinfo.summary`` "Mult-Adds" (1.8.0)
``fvcore``            ``fvcore.nn.FlopCountAnalysis`` (0.1.5.post20221221)
``ptflops``           ``ptflops.get_model_complexity_info``, pytorch backend (0.7.5)
``thop``              ``thop.profile`` (0.1.1.post2209072238)
``calflops``          ``calflops.calculate_flops`` FLOPs (0.3.2)
====================  ===========================================================

The network a tool counts is the one ``cnncalc export --to pytorch`` writes: each layer the
``torch.nn`` module that ``interop/pytorch.py`` registers for its type, run in the file's
order, on an input of the report's batch. A model that writes a layer as a functional
call instead (``F.relu(x)`` rather than ``nn.ReLU()``) is counted differently by the
tools that only see modules; ``cnncalc conventions`` says which those are.

>>> from cnncalc.report import analyze_file
>>> counted = count(analyze_file("architectures/vgg16.yaml"), "ptflops")
>>> counted.total, counted.convention.unit
(15523176400, 'MACs')
"""

from __future__ import annotations

import importlib

from ..errors import UsageError
from ..record import Record

# The presets, in the order `cnncalc conventions` lists them: name -> module.
NAMES = ("cnncalc", "torch", "torchinfo", "fvcore", "ptflops", "thop", "calflops")
_MODULES = {name: name if name != "torch" else "torch_flops" for name in NAMES}
_MODULES["cnncalc"] = "own"


class Site(Record, fields="name layer_type a ins out n params trainable used"):
    """What a rule sees of one layer: its type and arguments ``a``, the shapes of its inputs
    ``ins`` and of its output ``out`` (channels first, without the batch), the batch ``n``
    the tool runs, the layer's learnable parameters (``trainable`` of them), and whether
    the network's output depends on it (``used``)."""

    __slots__ = ()

    @property
    def numel_in(self) -> int:
        """Values of the (first) input for the whole batch."""
        return self.n * prod(self.ins[0])

    @property
    def numel_out(self) -> int:
        """Values of the output for the whole batch."""
        return self.n * prod(self.out)


class Convention:
    """One tool's way of counting. ``unit`` is what the tool calls its figure (MACs, FLOPs,
    mult-adds), ``meaning`` what one unit is; ``call`` how the tool was run to get it;
    ``batch`` whether it counts the whole batch or one example. Rules are registered with
    ``counts`` (the figure) and ``params`` (the tool's parameter count, where it differs
    from PyTorch's ``sum(p.numel() for p in model.parameters())``)."""

    def __init__(self, name, tool, unit, meaning, call, source, params_doc="", doc=""):
        self.name, self.tool, self.unit, self.meaning = name, tool, unit, meaning
        self.call, self.source, self.params_doc, self.doc = call, source, params_doc, doc
        self.rules: dict = {}  # layer type class -> rule(site) -> int
        self.params_rules: dict = {}  # layer type class -> rule(site) -> int
        self.default_params = _all_params
        self.refused: dict = {}  # layer type class -> why the tool cannot count it
        # What else the tool prints that cnncalc reproduces: extra(report, sites, layers)
        # -> [(label, value, text)] (torchinfo's memory lines), or None.
        self.extra = None
        # Why the tool fails on the whole network (calflops on one without parameters), or None.
        self.refuses_network = None

    def counts(self, *classes):
        """Registers a rule for the given layer type classes."""

        def register(rule):
            for cls in classes:
                if cls in self.rules:
                    raise RuntimeError(f"{self.name}: {cls.__name__} has two rules")
                self.rules[cls] = rule
            return rule

        return register

    def params(self, *classes):
        """Registers a parameter-count rule for the given layer type classes."""

        def register(rule):
            for cls in classes:
                self.params_rules[cls] = rule
            return rule

        return register

    def refuses(self, reasons: dict):
        """Layer type classes the tool cannot see (no PyTorch module computes them), with why."""
        self.refused.update(reasons)

    def rule(self, layer_type):
        """The counting rule of ``layer_type`` (an instance), or None when refused."""
        cls = type(layer_type)
        if cls in self.rules:
            return self.rules[cls]
        if cls in self.refused:
            return None
        raise LookupError(f"{self.name}: no rule for layer type {layer_type.name}")

    def params_rule(self, layer_type):
        return self.params_rules.get(type(layer_type), self.default_params)

    def describe(self) -> dict:
        """What the convention is, as plain data (the JSON report's ``convention``)."""
        return {
            "name": self.name,
            "tool": self.tool,
            "unit": self.unit,
            "meaning": self.meaning,
            "call": self.call,
            "source": self.source,
            "params": self.params_doc,
        }


def _all_params(site) -> int:
    """All learnable parameters, as ``sum(p.numel() for p in model.parameters())``."""
    return site.params


def trainable_params(site) -> int:
    """Only the parameters that learn (``requires_grad``): a frozen layer's count 0."""
    return site.trainable


def prod(values) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def get(name: str) -> Convention:
    """The convention of a preset name (``thop``); raises UsageError for an unknown one."""
    if name not in _MODULES:
        from ..errors import did_you_mean

        raise UsageError(
            f"no counting convention {name!r}{did_you_mean(name, NAMES)}; the presets are {', '.join(NAMES)}"
        )
    return importlib.import_module(f"{__name__}.{_MODULES[name]}").CONVENTION


class NotCountable(Exception):
    """Raised by a rule for a layer the tool fails on (it raises, it refuses the module)."""


class LayerCount(Record, fields="name type count params rule"):
    """One layer's figure under a convention, its parameter count, and the rule that made it."""

    __slots__ = ()


class Counted(Record, fields="convention layers total params trainable_params batch extra"):
    """A report counted as a tool counts it: per layer, the totals, and ``extra``, what
    else the tool prints that cnncalc reproduces (``(label, value, text)`` triples: the
    lines of torchinfo's summary)."""

    __slots__ = ()


def sites(report) -> list:
    """The :class:`Site` of every layer of ``report``."""
    shapes = {"input": tuple(report.input)}
    shapes.update({layer.name: tuple(layer.shape) for layer in report.layers})
    used = _reaching_output(report)
    return [
        Site(
            layer.name,
            layer.spec.type,
            layer.spec.args,
            tuple(shapes[name] for name in layer.inputs),
            tuple(layer.shape),
            report.batch,
            layer.params,
            layer.trainable_params,
            layer.name in used,
        )
        for layer in report.layers
    ]


def _reaching_output(report) -> set:
    """Names of the layers the network's output (the last layer's) depends on."""
    if not report.layers:
        return set()
    inputs = {layer.name: layer.inputs for layer in report.layers}
    reached, stack = set(), [report.layers[-1].name]
    while stack:
        name = stack.pop()
        if name in reached or name not in inputs:
            continue
        reached.add(name)
        stack.extend(inputs[name])
    return reached


def count(report, name: str) -> Counted:
    """Every layer of ``report`` counted as the preset ``name`` counts it. Raises UsageError
    for a layer the tool cannot see (a type PyTorch has no module for)."""
    convention = get(name)
    if convention.refuses_network is not None:
        why = convention.refuses_network(report)
        if why:
            raise UsageError(f"{report.file}: error: {convention.tool} cannot count this network: {why}")
    layer_sites = sites(report)
    layers = []
    for site, layer in zip(layer_sites, report.layers):
        rule = convention.rule(site.layer_type)
        where = f'{report.file}: error: layer "{site.name}" ({site.layer_type.name})'
        if rule is None:
            why = convention.refused[type(site.layer_type)]
            raise UsageError(f"{where} has no PyTorch form ({why}), so {convention.tool} cannot count it")
        try:
            figure = rule(site)
        except NotCountable as error:
            raise UsageError(f"{where}: {convention.tool} fails on it: {error}") from None
        params = convention.params_rule(site.layer_type)(site)
        layers.append(LayerCount(site.name, layer.type, figure, params, rule))
    total = sum(layer.count for layer in layers)
    if not isinstance(total, int):  # ptflops: int(flops_count) of a sum with fractions
        total = int(total)
    params = sum(layer.params for layer in layers)
    trainable = report.totals.trainable_params
    extra = convention.extra(report, layer_sites, layers) if convention.extra else ()
    return Counted(convention, tuple(layers), total, params, trainable, report.batch, tuple(extra))


def counted_report(report, name: str):
    """``report`` with each layer's ``count`` and ``count_params`` under the preset ``name``
    and its ``counted`` totals (what ``summarize --count-as`` prints)."""
    counted = count(report, name)
    layers = tuple(
        layer._replace(count=mine.count, count_params=mine.params) for layer, mine in zip(report.layers, counted.layers)
    )
    return report._replace(layers=layers, counted=counted)


def number(value):
    """A count as JSON and tables take it: an int, or a float where a tool keeps a fraction."""
    return value if isinstance(value, int) else float(value)


def to_dict(report, data: dict) -> None:
    """Adds a counted report's figures to its JSON ``data`` (report.to_dict)."""
    counted = report.counted
    data["convention"] = counted.convention.describe()
    if counted.extra:
        data["convention"]["summary"] = {label: value for label, value, _ in counted.extra}
    for layer, entry in zip(report.layers, data["layers"]):
        entry["count"] = number(layer.count)
        entry["count_params"] = layer.count_params
    data["totals"]["count"] = counted.total
    data["totals"]["count_params"] = counted.params


class Gap(Record, fields="type layers ours theirs ours_rule theirs_rule"):
    """One layer type's share of the difference between cnncalc's MACs and a tool's figure:
    how many ``layers`` of the type, the sums of both figures, and each side's rule."""

    __slots__ = ()


def gaps(report, name: str) -> tuple:
    """``(ours, theirs, rows)``: cnncalc's and the tool's counts of ``report``, and one
    :class:`Gap` per layer type, in the order the types first appear."""
    ours, theirs = count(report, "cnncalc"), count(report, name)
    rows: dict = {}
    for mine, other in zip(ours.layers, theirs.layers):
        row = rows.get(mine.type)
        if row is None:
            rows[mine.type] = Gap(mine.type, 1, mine.count, other.count, mine.rule, other.rule)
        else:
            rows[mine.type] = row._replace(
                layers=row.layers + 1, ours=row.ours + mine.count, theirs=row.theirs + other.count
            )
    return ours, theirs, tuple(rows.values())


def summary_line(rule) -> str:
    """A rule's arithmetic: the first paragraph of its docstring, on one line."""
    text = (rule.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def source_line(rule) -> str:
    """Where the tool's source says so: the docstring's last paragraph."""
    paragraphs = (rule.__doc__ or "").strip().split("\n\n")
    return " ".join(paragraphs[-1].split()) if len(paragraphs) > 1 else ""


__all__ = ["NAMES", "Convention", "Counted", "Gap", "Site", "count", "gaps", "get", "sites"]
