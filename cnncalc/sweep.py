"""How a network's figures change with its input size, the batch or a parameter:
``cnncalc sweep net.yaml --input 128..512/32 --batch 1..64*2 --param width=0.5,0.75,1``.

Values are written as lists (``0.5,0.75,1``), arithmetic ranges (``128..512/32``: from 128 to
512 in steps of 32) or geometric ones (``1..64*2``: 1, 2, 4 ... 64), or a mix
(``1,3,8..32*2``). ``--input`` sets every spatial axis (``224``) or each (``224x320``); the
channels stay the file's. ``--param NAME=VALUES`` sets a top-level parameter of the file
(``params:``) or a module's (``MODULE.NAME``); see spec.parse.

Every point is the cartesian product of the axes (parameters outermost, then the input,
then the batch). With budgets (``[tool.cnncalc.budgets]``, see budget.py), each point says
which limits it breaks, its figures taken at the budget's own batch and dtype. The file is read and built once per parameter value and propagated once
per input size; batches reuse the propagation. A point the arithmetic refuses (a map too
small for a kernel) is kept, with the error that size gives.

>>> values("128..512/128", "--input"), values("1..8*2", "--batch"), values("0.5..1/0.25,2", "--param", whole=False)
((128, 256, 384, 512), (1, 2, 4, 8), (0.5, 0.75, 1, 2))
"""

from __future__ import annotations

from .errors import SpecError, UsageError
from .record import Record

# The most points one sweep may have: far past any table a person reads, and bounded work.
MAX_POINTS = 10_000


class Axis(Record, fields="name values"):
    """One swept setting: ``input``, ``batch`` or a parameter's name, with its values."""

    __slots__ = ()


class Point(Record, fields="settings figures error over"):
    """``settings``: the value of each axis, in the axes' order; ``figures`` a
    headline.Headline, or None with ``error`` the message this point gives; ``over``: the
    budget limits it breaks (None without budgets, or for an invalid point)."""

    __slots__ = ()


class Sweep(Record, fields="name file axes points batch dtype optimizer budget layer budgets"):
    """Every point of a sweep; ``batch`` the batch of points that do not sweep it; ``layer``
    the layer whose receptive field is reported (None: the last one that is not global);
    ``budgets`` whether budgets were held to the points."""

    __slots__ = ()

    def to_dict(self) -> dict:
        points = []
        for point in self.points:
            entry = {axis.name: value for axis, value in zip(self.axes, point.settings)}
            if point.figures is None:
                entry.update(valid=False, error=point.error)
            else:
                entry.update(valid=True, **point.figures.to_dict())
                if point.over is not None:
                    entry["budget"] = {"verdict": "over" if point.over else "within", "over": list(point.over)}
            points.append(entry)
        return {
            "name": self.name,
            "file": self.file,
            "axes": [{"name": axis.name, "values": list(axis.values)} for axis in self.axes],
            "batch": self.batch,
            "dtype": self.dtype,
            "optimizer": self.optimizer,
            **({} if self.budget is None else {"budget_bytes": self.budget}),
            "points": points,
        }


def values(text: str, option: str, whole: bool = True) -> tuple:
    """The values ``text`` lists (see the module's docstring); ``whole``: whole numbers of at
    least 1 only (sizes, batches), else any finite number or true/false (parameters). A
    UsageError naming ``option`` for anything else."""
    found: list = []
    for part in text.split(","):
        part = part.strip()
        if ".." in part:
            found += _range(part, option, whole)
        else:
            found.append(_number(part, option, whole, text))
        if len(found) > MAX_POINTS:
            raise UsageError(f"{option} {text!r}: more than {MAX_POINTS:,} values")
    return tuple(found)


def _range(part: str, option: str, whole: bool) -> list:
    """``A..B/STEP`` or ``A..B*FACTOR``, worked in decimals (0.1 steps land on 0.3, not on
    0.30000000000000004)."""
    start_text, _, rest = part.partition("..")
    geometric = "*" in rest
    stop_text, _, step_text = rest.partition("*" if geometric else "/")
    start, stop = _decimal(start_text, option, whole, part), _decimal(stop_text, option, whole, part)
    step = _decimal(step_text, option, False, part) if step_text else 1
    if stop < start:
        raise UsageError(f"{option} {part!r}: a range runs from a number up to a larger one, e.g. 128..512/32")
    if (geometric and step <= 1) or (not geometric and step <= 0):
        kind = "a factor above 1 (1..64*2)" if geometric else "a step above 0 (128..512/32)"
        raise UsageError(f"{option} {part!r}: a range needs {kind}")
    found, value = [], start
    while value <= stop:
        if whole and value != int(value):
            raise UsageError(f"{option} {part!r}: the range reaches {value}, not a whole number")
        found.append(_plain(value))
        if len(found) > MAX_POINTS:
            raise UsageError(f"{option} {part!r}: more than {MAX_POINTS:,} values")
        value = value * step if geometric else value + step
    return found


def _number(text: str, option: str, whole: bool, context: str):
    if not whole and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    return _plain(_decimal(text, option, whole, context))


def _decimal(text: str, option: str, whole: bool, context: str):
    """A plain decimal number (no exponent, no inf or nan, no underscores), exactly."""
    from decimal import Decimal

    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    number = None
    if digits.isascii() and 0 < len(digits) <= 30 and digits.replace(".", "", 1).isdecimal():
        number = Decimal(text)
    if number is None or (whole and (number != int(number) or number < 1)):
        expected = "whole numbers of at least 1" if whole else "numbers (or true, false)"
        raise UsageError(
            f"{option} {context!r}: {text!r} is not a value; write {expected}, a list (a,b,c) or a range "
            "(128..512/32, 1..64*2)"
        )
    return number


def _plain(number):
    """A Decimal as the int or float a YAML file would give."""
    return int(number) if number == int(number) else float(number)


def sizes(text: str) -> tuple:
    """``--input``: a size for every spatial axis (``224``) or one per axis (``224x320``),
    listed or ranged as ``values`` reads them (``128..512/32``, ``224x224,320x240``)."""
    if "x" not in text:
        return values(text, "--input")
    found = []
    for part in text.split(","):
        axes = tuple(values(size, "--input")[0] for size in part.split("x"))
        found.append(axes)
    return tuple(found)


def parameter(text: str) -> Axis:
    """``--param width=0.5,0.75,1``."""
    name, equals, listed = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise UsageError(f"--param {text!r}: write NAME=VALUES, e.g. width=0.5,0.75,1.0 (or MODULE.NAME=...)")
    return Axis(name, values(listed, f"--param {name}", whole=False))


def sweep(
    file: str,
    document,
    axes: tuple,
    batch: int = 1,
    dtype: str = "float32",
    optimizer: str = "adam",
    budget: int | None = None,
    layer: str | None = None,
    budgets=(),
) -> Sweep:
    """Every point of ``axes`` (Axis: ``input``, ``batch``, else a parameter) for the file's
    YAML ``document``, each held to ``budgets`` (budget.Budget)."""
    import itertools

    from .analysis import propagate
    from .budget import check_all
    from .graph import build
    from .headline import headline
    from .memory import check_batch
    from .report import report_of
    from .spec import parse

    check_batch(batch, dtype)
    total = 1
    for axis in axes:
        total *= len(axis.values)
    if total > MAX_POINTS:
        raise UsageError(f"the sweep has {total:,} points, more than {MAX_POINTS:,}")
    as_written = build(parse(document, file))  # the file as written must be usable (else exit 2)
    names = [axis.name for axis in axes]
    params = [axis for axis in axes if axis.name not in ("input", "batch")]
    inputs = next((axis.values for axis in axes if axis.name == "input"), (None,))
    batches = next((axis.values for axis in axes if axis.name == "batch"), (batch,))
    results: dict = {}
    checked = False
    for chosen in itertools.product(*(axis.values for axis in params)):
        given = dict(zip((axis.name for axis in params), chosen))
        try:
            graph = build(parse(document, file, given)) if given else as_written
        except SpecError as error:
            for size, examples in itertools.product(inputs, batches):
                results[(chosen, size, examples)] = _refused(error)
            continue
        if not checked:
            _check_layer(graph, layer, file)
            checked = True
        for size in inputs:
            sized = graph if size is None else _resized(graph, size, file)
            try:
                figures = propagate(sized)
            except SpecError as error:
                for examples in batches:
                    results[(chosen, size, examples)] = _refused(error)
                continue
            # A budget sets its own batch: the limits broken depend on the size and parameters only.
            # Each limit once, though two budget tables may both set it.
            checks = check_all(budgets, sized, figures) if budgets else None
            over = None if checks is None else tuple(dict.fromkeys(check.limit for check in checks if check.over))
            for examples in batches:
                report = report_of(sized, figures, examples, dtype)
                results[(chosen, size, examples)] = (headline(sized, report, optimizer, budget, layer), over)
    points = []
    for settings in itertools.product(*(axis.values for axis in axes)):
        setting = dict(zip(names, settings))
        key = (tuple(setting[axis.name] for axis in params), setting.get("input"), setting.get("batch", batch))
        result = results[key]
        if isinstance(result, str):
            points.append(Point(settings, None, result, None))
        else:
            figures, over = result
            points.append(Point(settings, figures, None, over))
    name = as_written.network.name
    return Sweep(name, file, tuple(axes), tuple(points), batch, dtype, optimizer, budget, layer, bool(budgets))


def _refused(error: SpecError) -> str:
    """What a point that cannot be computed shows: the first problem, without the file's name."""
    diagnostic = error.diagnostics[0]
    where = f"line {diagnostic.loc.line}: " if diagnostic.loc.line else ""
    return where + diagnostic.message


def _resized(graph, size, file: str):
    """``graph`` on an input of ``size`` (one number for every spatial axis, or a tuple)."""
    shape = graph.network.input
    spatial = len(shape) - 1
    if spatial == 0:
        raise UsageError(f"{file}: error: --input sweeps spatial sizes, and this input {list(shape)} has none")
    axes = size if isinstance(size, tuple) else (size,) * spatial
    if len(axes) != spatial:
        raise UsageError(
            f"--input {'x'.join(map(str, axes))}: the input {list(shape)} has {spatial} spatial axes; "
            f"give one size for all, or {spatial} joined by x"
        )
    return graph._replace(network=graph.network._replace(input=(shape[0], *axes)))


def _check_layer(graph, layer: str | None, file: str) -> None:
    if layer is not None and all(node.name != layer for node in graph.nodes):
        from .errors import did_you_mean

        names = [node.name for node in graph.nodes]
        raise UsageError(f"{file}: error: --layer: no layer named {layer!r}{did_you_mean(layer, names)}")
