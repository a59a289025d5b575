"""Budgets: limits a project sets on its networks, held by ``cnncalc lint`` (rule ``budget``)
and by ``cnncalc diff`` (its verdict).

In ``pyproject.toml``, one table per file or glob (relative to the pyproject's folder, matched
as lint's ``exclude`` patterns are: the path, its file name or a folder it is in)::

    [tool.cnncalc.budgets."models/*.yaml"]
    max-params = 30_000_000
    max-macs = 5_000_000_000
    batch = 32                       # the batch the memory limits are at (default 1)
    dtype = "float32"                # default float32
    optimizer = "adam"               # of the training step (default adam)
    max-peak-memory = "2GiB"         # inference: weights and the peak of live activations
    max-training-memory = "12GiB"    # the peak of one training step
    min-largest-batch = 64           # the largest batch within memory-budget must be at least this
    memory-budget = "24GiB"
    largest-batch-for = "training"   # or "inference" (default training)
    receptive-field = {"layer4.2.relu3" = {min = 400}, "layer1.0.conv2" = {max = 64}}

A file matched by several tables is held to each. A limit is broken when the figure is
above a ``max-`` or below a ``min-``; the problem points at the ``input:`` line for the
network's totals and at the layer's line for its receptive field.
"""

from __future__ import annotations

from .errors import did_you_mean
from .geometry import GLOBAL
from .memory import DTYPE_BYTES, OPTIMIZER_STATE
from .record import Record

DTYPES = tuple(DTYPE_BYTES)
OPTIMIZERS = tuple(OPTIMIZER_STATE)
LIMITS = ("max-params", "max-macs", "max-peak-memory", "max-training-memory", "min-largest-batch", "receptive-field")
SETTINGS = ("batch", "dtype", "optimizer", "memory-budget", "largest-batch-for")


class Budget(Record, fields="pattern sources limits batch dtype optimizer memory largest_for fields"):
    """One table: ``pattern`` (the file or glob), ``sources`` (limit -> ``pyproject.toml:LINE``
    where it is set, for messages), ``limits`` (key -> value, sizes in bytes), the settings the memory figures are
    taken at, and ``fields``: ``(layer, min, max)`` for receptive fields, a bound None when
    not set, else an int for every axis or a tuple of one per axis."""

    __slots__ = ()


class Check(Record, fields="source limit bound before after over loc message"):
    """One limit held to a file: ``after`` the figure of the file (``before`` the old
    version's in a diff, else None), ``over`` whether it breaks the limit, ``loc`` where the
    problem is (the ``input:`` line, or the layer's), ``message`` saying so."""

    __slots__ = ()

    def to_dict(self) -> dict:
        from .record import plain

        return {
            "budget": self.source,
            "limit": self.limit,
            "bound": plain(self.bound),
            "before": plain(self.before),
            "after": plain(self.after),
            "over": self.over,
            "file": self.loc.file,
            "line": self.loc.line,
            "message": self.message,
        }


def verdict(checks) -> str:
    """``over`` when any limit is broken, ``within`` when all hold, ``none`` without budgets."""
    if not checks:
        return "none"
    return "over" if any(check.over for check in checks) else "within"


# --- holding a network to its budgets --------------------------------------------------------


def check_all(budgets, graph, figures=None, old=None) -> list:
    """Every limit of ``budgets`` held to ``graph`` (``figures``: its analysis.Analysis, when
    already propagated). ``old``: the graph of the previous version, whose figures are given
    alongside (``Check.before``)."""
    if not budgets:
        return []
    from .analysis import propagate

    figures = figures if figures is not None else propagate(graph)
    old_figures = None if old is None else propagate(old)
    checks = []
    for budget in budgets:
        after = _figures(budget, graph, figures)
        before = None if old is None else _figures(budget, old, old_figures)
        checks += _check(budget, graph, after, before)
    return checks


def _figures(budget: Budget, graph, figures) -> tuple:
    """``(headline, report)`` at the budget's batch, dtype, optimizer and memory budget."""
    from .headline import headline
    from .report import report_of

    report = report_of(graph, figures, budget.batch, budget.dtype)
    return headline(graph, report, budget.optimizer, budget.memory), report


def _check(budget: Budget, graph, after: tuple, before: tuple | None) -> list:
    from .formats.columns import bytes_text

    (figures, report), (old, old_report) = after, (before or (None, None))
    input_loc = graph.network.input_loc
    at = f"batch {budget.batch}, {budget.dtype}"
    checks = []

    def held(limit: str, bound, value, old_value, above: bool, what: str, show, loc=input_loc) -> None:
        over = value > bound if above else value < bound
        side = "over" if above else "below"
        relation = f"{side} the budget's {show(bound)}" if over else f"within the budget's {show(bound)}"
        by = ""
        if over:
            gap = abs(value - bound)
            by = f" by {show(gap)}" + (f" ({gap * 100 / bound:.1f}%)" if bound else "")
        source = budget.sources[limit]
        message = f"{what}: {show(value)}, {relation}{by} ({limit}, {source})"
        checks.append(Check(source, limit, bound, old_value, value, over, loc, message))

    def count(n) -> str:
        return f"{n:,}"

    def size(n) -> str:
        return f"{bytes_text(n)} ({n:,} bytes)"

    limits = budget.limits
    if "max-params" in limits:
        held("max-params", limits["max-params"], figures.params, old and old.params, True, "parameters", count)
    if "max-macs" in limits:
        held("max-macs", limits["max-macs"], figures.macs, old and old.macs, True, "MACs", count)
    if "max-peak-memory" in limits:
        what = f"inference memory ({at})"
        held("max-peak-memory", limits["max-peak-memory"], figures.inference_bytes,
             old and old.inference_bytes, True, what, size)  # fmt: skip
    if "max-training-memory" in limits:
        what = f"training memory ({at}, {budget.optimizer})"
        held("max-training-memory", limits["max-training-memory"], figures.training_bytes,
             old and old.training_bytes, True, what, size)  # fmt: skip
    if "min-largest-batch" in limits:
        key = f"largest_{budget.largest_for}_batch"
        what = f"largest {budget.largest_for} batch in {bytes_text(budget.memory)} ({budget.dtype})"
        held("min-largest-batch", limits["min-largest-batch"], getattr(figures, key),
             old and getattr(old, key), False, what, count)  # fmt: skip
    for layer, least, most in budget.fields:
        checks += _field_checks(budget, graph, report, old_report, layer, least, most)
    return checks


def _field_checks(budget: Budget, graph, report, old_report, layer: str, least, most) -> list:
    """A named layer's receptive field against ``least`` and ``most`` (per axis); a global
    field is the whole input: above any maximum, never below a minimum."""
    node = next((node for node in graph.nodes if node.name == layer), None)
    if node is None:
        names = [node.name for node in graph.nodes]
        message = (
            f"the budget's receptive-field names a layer {layer!r} this network does not have"
            f"{did_you_mean(layer, names)} (receptive-field, {budget.sources['receptive-field']})"
        )
        return [
            Check(
                budget.sources["receptive-field"],
                "receptive-field",
                layer,
                None,
                None,
                True,
                graph.network.input_loc,
                message,
            )
        ]
    loc = node.spec.name_loc or node.spec.loc
    field = next(item.receptive_field for item in report.layers if item.name == layer)
    old_field = None
    if old_report is not None:
        old_field = next((item.receptive_field for item in old_report.layers if item.name == layer), None)
    size = GLOBAL if field == GLOBAL else field.size
    old_size = None if old_field is None else GLOBAL if old_field == GLOBAL else old_field.size
    checks = []
    for key, bound in (("min", least), ("max", most)):
        if bound is None:
            continue
        bounds = bound if isinstance(bound, tuple) else (bound,) * (len(size) if size != GLOBAL else 1)
        if size == GLOBAL:
            over = key == "max"
        elif len(bounds) != len(size):
            over = True
        else:
            over = any(s < b if key == "min" else s > b for s, b in zip(size, bounds))
        shown = "global (the whole input)" if size == GLOBAL else "x".join(map(str, size))
        bound_text = "x".join(map(str, bounds))
        word = "minimum" if key == "min" else "maximum"
        if over and size != GLOBAL and len(bounds) != len(size):
            relation = f"has {len(size)} axes, but the budget's {word} gives {len(bounds)}"
        elif over:
            relation = f"{'below' if key == 'min' else 'over'} the budget's {word} of {bound_text}"
        else:
            relation = f"within the budget's {word} of {bound_text}"
        source = budget.sources["receptive-field"]
        message = f'receptive field of "{layer}": {shown} pixels, {relation} (receptive-field, {source})'
        checks.append(Check(source, f"receptive-field {key}", bound, old_size, size, over, loc, message))
    return checks


def matching(budgets, path: str, root: str) -> tuple:
    """The budgets whose pattern matches ``path`` (relative to ``root``, the folder of the
    configuration file)."""
    import os

    from .lint.walk import _match

    relative = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return tuple(budget for budget in budgets if _match(relative, budget.pattern))
