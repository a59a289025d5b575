"""``[tool.cnncalc.lint]`` in the nearest ``pyproject.toml``, merged with the command line.

[tool.cnncalc.lint]
select = ["shape", "graph", "stride-leaves-input-unused"]   # default: every rule
ignore = ["dominant-layer"]
strict = true                                               # warnings fail too
dominant-layer-share = 0.9                                  # rule options
head-field-share = 0.25
"""

from __future__ import annotations

import os

from ..errors import UsageError
from . import Config, all_rule_ids

OPTIONS = ("dominant-layer-share", "head-field-share")


def find_pyproject(start: str = ".") -> str | None:
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load(select=None, ignore=(), path: str | None = None) -> tuple:
    """``(Config, strict)`` from the pyproject's table and the command line's lists."""
    table = {}
    path = path or find_pyproject()
    if path:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10: no TOML reader in the standard library
            tomllib = None
            import sys

            sys.stderr.write(f"{path}: warning: [tool.cnncalc.lint] is not read on Python 3.10 (no tomllib)\n")
        if tomllib is not None:
            with open(path, "rb") as stream:
                try:
                    table = tomllib.load(stream).get("tool", {}).get("cnncalc", {}).get("lint", {})
                except tomllib.TOMLDecodeError as error:
                    raise UsageError(f"{path}: error: {error}") from None
    known = set(all_rule_ids())
    chosen_select = list(select) if select else table.get("select")
    chosen_ignore = [*table.get("ignore", []), *ignore]
    for rule in [*(chosen_select or []), *chosen_ignore]:
        if rule not in known:
            from ..errors import did_you_mean

            raise UsageError(
                f"unknown lint rule {rule!r}{did_you_mean(rule, known)}; the rules: {', '.join(sorted(known))}"
            )
    options = {key: table[key] for key in OPTIONS if key in table}
    return Config(None if chosen_select is None else tuple(chosen_select), tuple(chosen_ignore), options), bool(
        table.get("strict", False)
    )
