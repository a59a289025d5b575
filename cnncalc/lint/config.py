"""``[tool.cnncalc.lint]``: the configuration of ``cnncalc lint``, merged with the command line.

[tool.cnncalc.lint]
select = ["shape", "graph", "stride-leaves-input-unused"]   # default: every rule
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

A ``--config`` file other than a ``pyproject.toml`` (a ``cnncalc.toml``) keeps the same
keys under ``[lint]``.
"""

from __future__ import annotations

import os

from ..errors import UsageError, did_you_mean
from . import Config, all_rule_ids

OPTIONS = ("dominant-layer-share", "head-field-share")


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
    "ignore": _rules,
    "strict": _flag,
    "include": _patterns,
    "exclude": _patterns,
    "dominant-layer-share": _share,
    "head-field-share": _share,
}


class Settings:
    """The command line's part: merged into the configuration found for each file."""

    def __init__(self, select=None, ignore=(), strict=False, exclude=(), config_file=None):
        self.select = list(select) if select else None
        self.ignore = tuple(ignore)
        self.strict = strict
        self.exclude = tuple(exclude)
        self.config_file = config_file
        self._tables: dict = {}  # folder -> (table, folder of its file)
        self._given = None if config_file is None else read(config_file)
        for rule in [*(self.select or []), *self.ignore]:
            check_rule(rule, "cnncalc lint", "--select/--ignore: ")

    def for_path(self, path: str) -> Config:
        """The configuration that governs ``path`` (a file or a folder being walked)."""
        if self._given is not None:
            table, root = self._given, os.path.dirname(os.path.abspath(self.config_file))
        else:
            folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
            table, root = self._discover(folder)
        select = self.select if self.select is not None else table.get("select")
        return Config(
            None if select is None else tuple(select),
            (*table.get("ignore", ()), *self.ignore),
            {key: table[key] for key in OPTIONS if key in table},
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
        unknown = [key for key in section if key != "lint"]
        if unknown:
            raise UsageError(
                f"{_where(path, text, unknown[0])}: error: [tool.cnncalc] has no key {unknown[0]!r}"
                f"{did_you_mean(unknown[0], ['lint'])}; it has: lint"
            )
        table = _table(section.get("lint", {}), "[tool.cnncalc] lint", path, text, "lint")
        name = "[tool.cnncalc.lint]"
    else:
        table = _table(document.get("lint", {}), "lint", path, text, "lint")
        unknown = [key for key in document if key != "lint"]
        if unknown:
            raise UsageError(
                f"{_where(path, text, unknown[0])}: error: unknown table or key {unknown[0]!r}; use [lint]"
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
        if key in ("select", "ignore"):
            for rule in value:
                check_rule(rule, _where(path, text, key), f"{name} {key}: ")
    return table


def _table(value, name: str, path: str, text: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{_where(path, text, key)}: error: {name}: expected a table, got {_toml(value)}")
    return value


def _where(path: str, text: str, key: str) -> str:
    """``path:LINE`` of the first line that sets ``key`` (or opens its table), else ``path``."""
    import re

    pattern = re.compile(rf"""^\s*(\[\s*)?(["']?)(?:[\w.\-"']*\.)?{re.escape(key)}\2\s*(=|\])""")
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
