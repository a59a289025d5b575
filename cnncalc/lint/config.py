"""``[tool.cnncalc.lint]``: the configuration of ``cnncalc lint``, merged with the command line.

[tool.cnncalc.lint]
select = ["shape", "graph", "stride-leaves-input-unused"]   # default: every rule on by default
extend-select = ["head-field-smaller-than-input"]           # and these too (rules off by default)
ignore = ["dominant-layer"]
strict = true                                               # warnings fail too
include = ["models/**/*.yaml"]                              # what a directory walk lints
exclude = ["legacy", "*.generated.yaml"]                    # never linted
dominant-layer-share = 0.9                                  # rule options
head-field-share = 0.25

Each linted file takes its settings from the nearest ``pyproject.toml`` above it that has
a ``[tool.cnncalc]`` table (ruff's rule), or from ``--config FILE`` for every file. The
file is checked like an architecture file: an unknown key gets a "did you mean", a value
of the wrong kind an error naming the file, the line and the key; both exit 2.

Budgets, ``[tool.cnncalc.budgets."GLOB"]`` tables, are read and checked here too (their
keys are cnncalc.budget's); each file is held to the tables whose glob matches it, as
``options["budgets"]``.

A ``--config`` file other than a ``pyproject.toml`` (a ``cnncalc.toml``) keeps the same
keys under ``[lint]`` and ``[budgets."GLOB"]``.
"""

from __future__ import annotations

import os

from ..errors import UsageError, did_you_mean
from . import Config, all_rule_ids

OPTIONS = ("dominant-layer-share", "head-field-share")
# The tables of [tool.cnncalc] (of a --config file other than a pyproject.toml: at its top).
SECTIONS = ("lint", "budgets")
# Where read() puts the budgets (budget.Budget) beside the lint keys; no lint key has this name.
BUDGETS = "budgets"


def _rules(value) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return 'expected a list of rule ids, e.g. ["dropout-probability"]'
    return None


def _patterns(value) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return 'expected a list of glob patterns, e.g. ["legacy/*.yaml"]'
    return None


def _flag(value) -> str | None:
    return None if isinstance(value, bool) else "expected true or false (without quotes)"


def _share(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        return "expected a number above 0 and at most 1, e.g. 0.5"
    return None


KEYS = {
    "select": _rules,
    "extend-select": _rules,
    "ignore": _rules,
    "strict": _flag,
    "include": _patterns,
    "exclude": _patterns,
    "dominant-layer-share": _share,
    "head-field-share": _share,
}


class Settings:
    """The command line's part: merged into the configuration found for each file."""

    def __init__(self, select=None, ignore=(), strict=False, exclude=(), config_file=None, extend_select=()):
        self.select = list(select) if select else None
        self.extend_select = tuple(extend_select)
        self.ignore = tuple(ignore)
        self.strict = strict
        self.exclude = tuple(exclude)
        self.config_file = config_file
        self._tables: dict = {}  # folder -> (table, folder of its file)
        self._given = None if config_file is None else read(config_file)
        for rule in [*(self.select or []), *self.ignore, *self.extend_select]:
            check_rule(rule, "cnncalc lint", "--select/--ignore: ")

    def for_path(self, path: str) -> Config:
        """The configuration that governs ``path`` (a file or a folder being walked)."""
        if self._given is not None:
            table, root = self._given, os.path.dirname(os.path.abspath(self.config_file))
        else:
            folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
            table, root = self._discover(folder)
        select = self.select if self.select is not None else table.get("select")
        extend = (*table.get("extend-select", ()), *self.extend_select)
        if extend:  # ruff's extend-select: these on top of the selection (of the rules on by default)
            from . import on_by_default

            select = (*(on_by_default() if select is None else select), *extend)
        options = {key: table[key] for key in OPTIONS if key in table}
        if table.get(BUDGETS):
            from ..budget import matching

            options[BUDGETS] = matching(table[BUDGETS], path, root)
        return Config(
            None if select is None else tuple(select),
            (*table.get("ignore", ()), *self.ignore),
            options,
            self.strict or table.get("strict", False),
            tuple(table.get("include", ())),
            ((root, tuple(table.get("exclude", ()))), (os.getcwd(), self.exclude)),
        )

    def _discover(self, folder: str) -> tuple:
        if folder not in self._tables:
            candidate = os.path.join(folder, "pyproject.toml")
            table = read(candidate, quiet=True) if os.path.isfile(candidate) else None
            parent = os.path.dirname(folder)
            if table is not None:
                self._tables[folder] = (table, folder)
            elif parent == folder:
                self._tables[folder] = ({}, folder)
            else:
                self._tables[folder] = self._discover(parent)
        return self._tables[folder]


def check_rule(rule: str, where: str, what: str = "") -> None:
    """An unknown rule id is an error at ``where`` (a file and line, or the command), in ``what``."""
    known = all_rule_ids()
    if rule not in known:
        raise UsageError(
            f"{where}: error: {what}unknown lint rule {rule!r}{did_you_mean(rule, known)}; "
            f"the rules: {', '.join(sorted(known))}"
        )


def read(path: str, quiet: bool = False) -> dict | None:
    """The lint table of a TOML file, checked; ``{}`` when it has none. With ``quiet`` (the
    discovery of pyproject.toml files), None for a file without a ``[tool.cnncalc]`` table."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise UsageError(f"{path}: error: cannot read: {error.strerror or error}") from None
    if quiet and b"cnncalc" not in data:
        return None  # a pyproject.toml of something else: not even parsed
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: error: not UTF-8 (byte {error.start + 1} cannot be read), as TOML must be") from None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same reader, from PyPI
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: error: not valid TOML: {error}") from None
    pyproject = os.path.basename(path) == "pyproject.toml" or "tool" in document
    if pyproject:
        tool = document.get("tool", {})
        if not isinstance(tool, dict) or "cnncalc" not in tool:
            return None if quiet else {}
        section = _table(tool["cnncalc"], "[tool.cnncalc]", path, text, "tool.cnncalc")
        unknown = [key for key in section if key not in SECTIONS]
        if unknown:
            raise UsageError(
                f"{_where(path, text, unknown[0])}: error: [tool.cnncalc] has no key {unknown[0]!r}"
                f"{did_you_mean(unknown[0], SECTIONS)}; it has: {', '.join(SECTIONS)}"
            )
        table = _table(section.get("lint", {}), "[tool.cnncalc] lint", path, text, "lint")
        name = "[tool.cnncalc.lint]"
    else:
        section = document
        table = _table(document.get("lint", {}), "lint", path, text, "lint")
        unknown = [key for key in document if key not in SECTIONS]
        if unknown:
            raise UsageError(
                f"{_where(path, text, unknown[0])}: error: unknown table or key {unknown[0]!r}"
                f"{did_you_mean(unknown[0], SECTIONS)}; use [lint] or [budgets]"
            )
        name = "[lint]"
    for key, value in table.items():
        if key not in KEYS:
            raise UsageError(
                f"{_where(path, text, key)}: error: {name} has no key {key!r}{did_you_mean(key, KEYS)}; "
                f"the keys: {', '.join(KEYS)}"
            )
        problem = KEYS[key](value)
        if problem is not None:
            raise UsageError(f"{_where(path, text, key)}: error: {name} {key}: {problem}; got {_toml(value)}")
        if key in ("select", "ignore", "extend-select"):
            for rule in value:
                check_rule(rule, _where(path, text, key), f"{name} {key}: ")
    if "budgets" in section:
        table = {**table, BUDGETS: read_budgets(section["budgets"], path, text)}
    return table


def _table(value, name: str, path: str, text: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{_where(path, text, key)}: error: {name}: expected a table, got {_toml(value)}")
    return value


def _where(path: str, text: str, key: str) -> str:
    """``path:LINE`` of the first line that sets ``key`` (or opens its table), else ``path``."""
    import re

    pattern = re.compile(rf"""^\s*(\[\s*)?(["']?)(?:[\w.\-"']*\.)?{re.escape(key)}\2\s*(=|\]|\.)""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return f"{path}:{number}"
    return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value)


# --- [tool.cnncalc.budgets]: the keys are cnncalc.budget's -----------------------------------


def read_budgets(value, path: str, text: str) -> tuple:
    """The ``budgets`` table of a configuration file, checked: every key a file or glob whose
    value is a table of known limits and settings. A problem is a UsageError naming the file
    and the line (exit 2), with a "did you mean" for an unknown key."""
    if not isinstance(value, dict):
        raise UsageError(f"{_where_in(path, text, 'budgets')}: error: budgets: expected a table of files or globs")
    budgets = []
    for pattern, table in value.items():
        place = _where_in(path, text, pattern)
        if not isinstance(table, dict):
            raise UsageError(
                f"{place}: error: budgets: {pattern!r} must be a table of limits, e.g. "
                f'[tool.cnncalc.budgets."{pattern}"] with max-params = 25_000_000'
            )
        budgets.append(_budget(pattern, table, path, text, place))
    return tuple(budgets)


def _budget(pattern: str, table: dict, path: str, text: str, place: str):
    from ..budget import DTYPES, LIMITS, OPTIMIZERS, SETTINGS, Budget

    keys = (*LIMITS, *SETTINGS)
    for key in table:
        if key not in keys:
            raise UsageError(
                f"{_where_in(path, text, pattern, key)}: error: budget {pattern!r} has no key {key!r}"
                f"{did_you_mean(key, keys)}; the keys: {', '.join(keys)}"
            )

    def fail(key: str, expected: str) -> None:
        raise UsageError(
            f"{_where_in(path, text, pattern, key)}: error: budget {pattern!r}: {key}: expected {expected}, "
            f"got {_toml(table[key])}"
        )

    limits = {}
    for key in ("max-params", "max-macs"):
        if key in table:
            if not _whole(table[key], 0):
                fail(key, "a whole number, e.g. 25_000_000")
            limits[key] = table[key]
    for key in ("max-peak-memory", "max-training-memory", "memory-budget"):
        if key in table:
            size = _size(table[key])
            if size is None:
                fail(key, 'a size such as "8GiB", "512MB" or a number of bytes')
            limits[key] = size
    if "min-largest-batch" in table:
        if not _whole(table["min-largest-batch"], 1):
            fail("min-largest-batch", "a whole number of at least 1")
        if "memory-budget" not in table:
            raise UsageError(
                f"{_where_in(path, text, pattern, 'min-largest-batch')}: error: budget {pattern!r}: min-largest-batch "
                'needs memory-budget, the memory the batch must fit in (e.g. memory-budget = "24GiB")'
            )
        limits["min-largest-batch"] = table["min-largest-batch"]
    batch = table.get("batch", 1)
    if not _whole(batch, 1) or batch > 10**9:
        fail("batch", "a whole number from 1 to 1,000,000,000")
    for key, choices in (
        ("dtype", DTYPES),
        ("optimizer", OPTIMIZERS),
        ("largest-batch-for", ("training", "inference")),
    ):
        if key in table and table[key] not in choices:
            fail(key, "one of " + ", ".join(f'"{choice}"' for choice in choices))
    fields = []
    if "receptive-field" in table:
        layers = table["receptive-field"]
        if not isinstance(layers, dict) or not layers:
            fail("receptive-field", 'a table of layer names, e.g. {"layer4.2.relu3" = {min = 400}}')
        for layer, bounds in layers.items():
            bounds_ok = isinstance(bounds, dict) and bounds and set(bounds) <= {"min", "max"}
            if not bounds_ok or not all(_field_bound(bound) for bound in bounds.values()):
                raise UsageError(
                    f"{_where_in(path, text, pattern, 'receptive-field')}: error: budget {pattern!r}: receptive-field: "
                    f"{layer!r}: expected {{min = N}}, {{max = N}} or both, N a whole number of pixels (or one per "
                    f"axis, [H, W]); got {_toml(bounds)}"
                )
            fields.append((layer, _axes(bounds.get("min")), _axes(bounds.get("max"))))
        limits["receptive-field"] = True
    shown = _shown(path)
    sources = {key: _where_in(shown, text, pattern, key) for key in LIMITS if key in table}
    return Budget(
        pattern,
        sources,
        limits,
        batch,
        table.get("dtype", "float32"),
        table.get("optimizer", "adam"),
        limits.get("memory-budget"),
        table.get("largest-batch-for", "training"),
        tuple(fields),
    )


def _shown(path: str) -> str:
    """The configuration file's path as messages give it: relative to the working folder
    when it is below it."""
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _whole(value, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _size(value) -> int | None:
    if _whole(value, 1):
        return value if value <= 2**50 else None
    if isinstance(value, str):
        from ..memory import size_bytes

        return size_bytes(value)
    return None


def _field_bound(value) -> bool:
    if isinstance(value, list):
        return 1 <= len(value) <= 3 and all(_whole(item, 1) for item in value)
    return _whole(value, 1)


def _axes(value):
    return tuple(value) if isinstance(value, list) else value


def _where_in(path: str, text: str, *keys: str) -> str:
    """``path:LINE`` of the line that sets the last of ``keys``, looked for after the line of
    each key before it (a glob, then a key in its table); else of the last key found."""
    import re

    lines, start, found = text.splitlines(), 0, None
    for key in keys:
        pattern = re.compile(rf"""^\s*(\[\s*)?(?:[\w.\-"']*\.)?(["']?){re.escape(key)}\2\s*(=|\])""")
        loose = re.compile(rf"""(["']?){re.escape(key)}\1\s*=""")
        for number in range(start, len(lines)):
            if pattern.match(lines[number]) or (found is not None and loose.search(lines[number])):
                found, start = number + 1, number + 1
                break
    return f"{path}:{found}" if found else path
