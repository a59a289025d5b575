"""``cnncalc lint``: architecture files checked in CI, like yamllint or ruff.

``lint_paths(paths, config)`` reads every architecture file under ``paths`` (files,
directories searched for ``*.yaml``/``*.yml``, globs) and returns Problems: what the
engine rejects, as errors (rules ``yaml-syntax``, ``schema``, ``graph``, ``shape``), and
what each rule in ``cnncalc/lint/rules/`` warns about. One bad file never stops the others.

Suppression, as comments in the file:

- ``# cnncalc: ignore[rule-id, other-id]`` at the end of a line: those rules, on that line;
- ``# cnncalc: ignore`` at the end of a line: every rule, on that line;
- ``# cnncalc: ignore-file[rule-id]`` on a line of its own: that rule in the whole file.

The linter, not the rules, applies suppression, selection and severity (yamllint's way).
"""

from __future__ import annotations

import glob
import os
import re

from ..errors import SpecError
from ..record import Record
from .rules import RULES

ENGINE_RULES = {
    "yaml-syntax": "the file is not valid YAML",
    "schema": "an unknown key, layer type or argument, or a value of the wrong kind",
    "graph": "layer names and connections: unknown `from`, duplicate names, cycles",
    "shape": "the arithmetic refuses the layer: a kernel that does not fit, an output below 1, groups that do "
    "not divide, merges of unequal shapes, in_channels that disagree",
}
SUPPRESS = re.compile(r"#\s*cnncalc:\s*ignore(-file)?(?:\[([^\]]*)\])?")


class Problem(Record, fields="file line column rule severity message"):
    """One finding; ``severity`` is ``error`` or ``warning``."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return dict(self._asdict())


class Config(Record, fields="select ignore options"):
    """Which rules run (``select``: None for all) and their options (``dominant-layer``'s share...)."""

    __slots__ = ()

    @classmethod
    def default(cls) -> Config:
        return cls(None, (), {})


def all_rule_ids() -> list:
    return [*ENGINE_RULES, *(rule.ID for rule in RULES)]


def files_under(paths) -> tuple:
    """``(files, missing)``: architecture files under ``paths``, and the paths matching none."""
    files, missing = [], []
    for path in paths:
        matches = sorted(glob.glob(path, recursive=True)) if any(ch in path for ch in "*?[") else [path]
        if not matches:
            missing.append(path)
        for match in matches:
            if os.path.isdir(match):
                for root, dirs, names in os.walk(match):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    files += [os.path.join(root, n) for n in sorted(names) if n.endswith((".yaml", ".yml"))]
            elif os.path.exists(match):
                files.append(match)
            else:
                missing.append(match)
    return files, missing


def lint_file(path: str, config: Config | None = None) -> list:
    """Every problem in one file, suppressions and selection applied, sorted by position."""
    from ..analysis import propagate
    from ..graph import build
    from ..source import parse
    from ..spec import parse as parse_spec

    config = config or Config.default()
    try:
        if path.lower().endswith(".onnx"):  # an ONNX model: linted as the file `cnncalc import` writes
            from ..interop.onnx import document_text

            text = document_text(path)
        else:
            with open(path, encoding="utf-8") as stream:
                text = stream.read()
    except (OSError, UnicodeDecodeError) as error:
        return [Problem(path, 1, 1, "yaml-syntax", "error", f"cannot read: {error}")]
    except SpecError as error:
        return [Problem(path, 1, 1, "schema", "error", d.message) for d in error.diagnostics]
    problems: list = []
    stage = "yaml-syntax"
    try:
        document = parse(text, path)
        stage = "schema"
        network = parse_spec(document, path)
        stage = "graph"
        graph = build(network)
        stage = "shape"
        report = propagate(graph)
    except SpecError as error:
        for d in error.diagnostics:
            problems.append(Problem(path, d.loc.line or 1, d.loc.column or 1, stage, "error", d.message))
        return _filter(problems, text, config)
    from .rules._common import rows

    context = Context(path, text, graph, report, config.options, rows(graph, report))
    for rule in RULES:
        found: dict = {}  # a line of a module or repeat speaks for every instance of it
        for line, column, message in rule.check(context):
            found.setdefault((line, column), []).append(message)
        for (line, column), messages in found.items():
            more = f" (and {len(messages) - 1} more like it from the same line)" if len(messages) > 1 else ""
            problems.append(Problem(path, line, column, rule.ID, rule.SEVERITY, messages[0] + more))
    return _filter(problems, text, config)


class Context(Record, fields="file text graph report options rows"):
    """What a rule looks at: the file's text, its graph (layer specs with positions) and its
    report (shapes, fields, counts); ``options`` from the configuration; ``rows`` each layer
    with its inputs (rules/_common.layers)."""

    __slots__ = ()


def _filter(problems: list, text: str, config: Config) -> list:
    lines = text.split("\n")
    whole_file: set = set()
    for line in lines:
        match = SUPPRESS.search(line)
        if match and match.group(1) and line.strip().startswith("#"):
            whole_file |= _ids(match.group(2))
    kept = []
    for problem in problems:
        if config.select is not None and problem.rule not in config.select:
            continue
        if problem.rule in config.ignore or problem.rule in whole_file or "*" in whole_file:
            continue
        line = lines[problem.line - 1] if 0 < problem.line <= len(lines) else ""
        match = SUPPRESS.search(line)
        if match and not match.group(1) and (match.group(2) is None or problem.rule in _ids(match.group(2))):
            continue
        kept.append(problem)
    return sorted(kept, key=lambda p: (p.line, p.column, p.rule))


def _ids(text) -> set:
    return {"*"} if text is None else {part.strip() for part in text.split(",") if part.strip()}


# Past this many files, lint in one process per core.
PARALLEL_FROM = 64


def lint_paths(paths, config: Config | None = None) -> tuple:
    """``(problems, files read, paths that matched nothing)``; problems in file order."""
    files, missing = files_under(paths)
    workers = os.cpu_count() or 1
    if len(files) >= PARALLEL_FROM and workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        chunk = max(1, len(files) // (workers * 8))
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(partial(lint_file, config=config), files, chunksize=chunk))
    else:
        results = [lint_file(path, config) for path in files]
    return [problem for result in results for problem in result], files, missing
