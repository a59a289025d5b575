"""``cnncalc lint``: architecture files checked in CI, like yamllint or ruff.

``lint_paths(paths, settings)`` reads every architecture file under ``paths`` (files,
directories searched for ``*.yaml``/``*.yml``, globs; see lint.walk) and returns Problems: what the
engine rejects, as errors (rules ``yaml-syntax``, ``schema``, ``graph``, ``shape``), and
what each rule in ``cnncalc/lint/rules/`` warns about. One bad file never stops the others.

Suppression, as comments in the file:

- ``# cnncalc: ignore[rule-id, other-id]`` at the end of a line: those rules, on that line;
- ``# cnncalc: ignore`` at the end of a line: every rule, on that line;
- ``# cnncalc: ignore-file[rule-id]`` on a line of its own: that rule in the whole file.

Engine errors cannot be silenced (summarize would refuse the file all the same), and a
comment naming an unknown or an engine rule is itself reported (``bad-suppression``). A
YAML file found in a directory that is no architecture file (no ``input:`` or ``layers:``)
is skipped; one named on the command line is linted as what it was named for.

The linter, not the rules, applies suppression, selection and severity (yamllint's way).
"""

from __future__ import annotations

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
# The linter's own rules: rule id -> (severity, what). A suppression comment cannot name an
# engine error: what the engine refuses, summarize refuses too, so no comment hides it.
BAD_SUPPRESSION = "bad-suppression"
BUDGET = "budget"  # a network over a budget of its configuration (cnncalc.budget)
INTERNAL = "internal"  # the rule of a file cnncalc itself failed on: a bug, reported as an error
LINTER_RULES = {
    INTERNAL: ("error", "cnncalc itself failed on the file: a bug in cnncalc, to report"),
    "io": ("error", "a path that matches nothing, or a file that cannot be read"),
    BUDGET: (
        "error",
        "a figure over a limit set in [tool.cnncalc.budgets]: parameters, MACs, inference or training memory, "
        "the largest batch, a layer's receptive field",
    ),
    BAD_SUPPRESSION: (
        "warning",
        "a suppression comment naming an unknown rule, or an engine error, which no comment silences",
    ),
}
SUPPRESS = re.compile(r"#\s*cnncalc:\s*ignore(-file)?(?:\[([^\]]*)\])?")


class Problem(Record, fields="file line column rule severity message"):
    """One finding; ``severity`` is ``error`` or ``warning``."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return dict(self._asdict())


class Config(Record, fields="select ignore options strict include exclude"):
    """Which rules run (``select``: None for those on by default) and their options (``dominant-layer``'s share...);
    ``strict``: warnings fail too; ``include``/``exclude``: what a directory walk reads
    (see lint.config and lint.walk)."""

    __slots__ = ()

    @classmethod
    def default(cls) -> Config:
        return cls(None, (), {}, False, (), ())


def all_rule_ids() -> list:
    return [*ENGINE_RULES, *LINTER_RULES, *(rule.ID for rule in RULES)]


def rule_table() -> dict:
    """rule id -> (severity, one-line rationale), for SARIF and ``cnncalc rules``."""
    table = {rule: ("error", text) for rule, text in ENGINE_RULES.items()}
    table.update(LINTER_RULES)
    table.update({rule.ID: (rule.SEVERITY, rule.RATIONALE + _off_note(rule)) for rule in RULES})
    return table


def off_by_default() -> list:
    """The rules that run only when selected (``--select``, ``--extend-select``): those whose
    false alarms on real networks outnumber their findings (a rule module's ``DEFAULT = False``)."""
    return [rule.ID for rule in RULES if not getattr(rule, "DEFAULT", True)]


def on_by_default() -> list:
    """Every rule id a plain ``cnncalc lint`` reports."""
    off = set(off_by_default())
    return [rule for rule in all_rule_ids() if rule not in off]


def _off_note(rule) -> str:
    return "" if getattr(rule, "DEFAULT", True) else " (off by default: --extend-select turns it on)"


def is_architecture(document) -> bool:
    """A mapping with ``input:`` or ``layers:``; anything else (a GitHub workflow, a
    docker-compose file, a list) is some other tool's YAML, which lint skips."""
    return isinstance(document, dict) and ("input" in document or "layers" in document)


def lint_file(
    path: str, config: Config | None = None, text: str | None = None, skip_others: bool = False
) -> list | None:
    """Every problem in one file, suppressions and selection applied, sorted by position.
    ``skip_others``: None for a YAML file that is no architecture file (one found in a
    directory). ``text``: the file's text, when it does not come from ``path`` (standard
    input)."""
    from ..analysis import propagate
    from ..graph import build
    from ..homework import check_given
    from ..source import parse, read_text
    from ..spec import is_module_file, parse_modules
    from ..spec import parse as parse_spec

    config = config or Config.default()
    if text is None and path.lower().endswith(".prototxt"):  # a Caffe network, linted as its imported file
        return _lint_caffe(path, config)
    if text is None and path.lower().endswith(".onnx"):  # linted as the file `cnncalc import` writes
        from ..interop.onnx import document_text

        try:
            text = document_text(path)
        except SpecError as error:
            return [Problem(path, 1, 1, "schema", "error", d.message) for d in error.diagnostics]
    if text is None:
        try:
            text = read_text(path)  # the same checks, and positions, as every other command
        except SpecError as error:
            return [
                Problem(path, d.loc.line or 1, d.loc.column or 1, "io", "error", d.message) for d in error.diagnostics
            ]
    problems: list = []
    stage = "yaml-syntax"
    try:
        document = parse(text, path)
        if is_module_file(document):  # blocks that networks import: their form is checked here
            stage = "schema"
            parse_modules(document, path)
            return _filter(problems, text, config, path)
        if skip_others and document is not None and not is_architecture(document):
            return None
        stage = "schema"
        network = parse_spec(document, path)
        stage = "graph"
        graph = build(network)
        stage = "shape"
        report = propagate(graph)
        stage = "schema"
        check_given(graph, report)  # what check and run would refuse (given values and weights)
    except SpecError as error:
        for d in error.diagnostics:
            problems.append(Problem(path, d.loc.line or 1, d.loc.column or 1, stage, "error", d.message))
        return _filter(problems, text, config, path)
    from .rules._common import rows

    context = Context(path, text, graph, report, config.options, rows(graph, report))
    for rule in RULES:
        if config.select is None and not getattr(rule, "DEFAULT", True):
            continue  # off by default, and not selected
        found: dict = {}  # a line of a module or repeat speaks for every instance of it
        for loc, message in rule.check(context):
            where = (path if loc.file in (None, network.file) else loc.file, loc.line or 1, loc.column or 1)
            found.setdefault(where, []).append(message)
        for (file, line, column), messages in found.items():
            more = f" (and {len(messages) - 1} more like it from the same line)" if len(messages) > 1 else ""
            problems.append(Problem(file, line, column, rule.ID, rule.SEVERITY, messages[0] + more))
    if config.options.get("budgets") and (config.select is None or BUDGET in config.select):
        from ..budget import check_all

        for check in check_all(config.options["budgets"], graph, report):
            if check.over:
                problems.append(
                    Problem(path, check.loc.line or 1, check.loc.column or 1, BUDGET, "error", check.message)
                )
    kept = _filter([problem for problem in problems if problem.file == path], text, config, path)
    for other in sorted({problem.file for problem in problems} - {path}):
        # in a module of an imported file: silenced (or not) by the comments of that file
        kept += _filter([problem for problem in problems if problem.file == other], read_text(other), config, other)
    return kept


def _lint_caffe(path: str, config: Config) -> list:
    """A Caffe network linted as the file ``cnncalc import`` writes, each problem placed at
    the Caffe layer it comes from, and silenced by comments in the Caffe file itself."""
    from ..interop.caffe import imported
    from ..source import read_text

    try:
        source = read_text(path)
        made = imported(path, source)
    except SpecError as error:
        stage = "io" if error.diagnostics[0].loc.line is None else "schema"
        return [Problem(path, d.loc.line or 1, d.loc.column or 1, stage, "error", d.message) for d in error.diagnostics]
    problems = []
    for problem in lint_file(path + ".yaml", config, made.text):
        origin = made.origins[problem.line - 1] if 0 < problem.line <= len(made.origins) else None
        line, column = (origin.line, origin.column) if origin is not None else (1, 1)
        problems.append(problem._replace(file=path, line=line, column=column))
    return _filter(problems, source, config, path)


class Context(Record, fields="file text graph report options rows"):
    """What a rule looks at: the file's text, its graph (layer specs with positions) and its
    report (shapes, fields, counts); ``options`` from the configuration; ``rows`` each layer
    with its inputs (rules/_common.layers)."""

    __slots__ = ()


def _filter(problems: list, text: str, config: Config, path: str) -> list:
    """Applies suppression comments and selection. Engine errors pass whatever is said: the
    file cannot be used, and summarize would refuse it. Comments naming unknown rules or
    engine rules are reported (``bad-suppression``)."""
    lines = text.split("\n")
    whole_file: set = set()
    on_line: dict = {}
    known = set(all_rule_ids())
    for number, line in enumerate(lines, 1):
        if "cnncalc" not in line:
            continue
        match = SUPPRESS.search(line)
        if not match:
            continue
        ids = _ids(match.group(2))
        if match.group(1):
            if line.strip().startswith("#"):
                whole_file |= ids
        else:
            on_line[number] = ids
        for rule in sorted(ids - {"*"}):
            if rule not in known:
                from ..errors import did_you_mean

                message = f"unknown rule {rule!r} in a suppression comment{did_you_mean(rule, known)}"
            elif rule in ENGINE_RULES:
                message = f"{rule!r} is an engine error, which a comment cannot silence: the file must be fixed"
            else:
                continue
            problems.append(Problem(path, number, match.start() + 1, BAD_SUPPRESSION, "warning", message))
    kept = []
    for problem in problems:
        if problem.rule in ENGINE_RULES or problem.rule == "io":
            kept.append(problem)
            continue
        if config.select is not None and problem.rule not in config.select:
            continue
        if problem.rule in config.ignore or problem.rule in whole_file or "*" in whole_file:
            continue
        ids = on_line.get(problem.line)
        if ids is not None and ("*" in ids or problem.rule in ids) and problem.rule != BAD_SUPPRESSION:
            continue
        kept.append(problem)
    return sorted(kept, key=lambda p: (p.line, p.column, p.rule))


def _ids(text) -> set:
    return {"*"} if text is None else {part.strip() for part in text.split(",") if part.strip()}


# Past this many files, lint in one process per core.
PARALLEL_FROM = 64


class Outcome(Record, fields="problems files missing skipped strict_files"):
    """What a lint run found: problems in file order, the files read, the paths that matched
    nothing, the YAML files skipped as no architecture, and the files whose configuration
    makes warnings fail (``strict``)."""

    __slots__ = ()


def lint_paths(paths, settings=None, stdin_text: str | None = None, progress=None) -> Outcome:
    """Lints ``paths`` (``-``: ``stdin_text``) with each file's configuration (lint.config.Settings).
    ``progress(done, total, what)`` is called as files are done (a progress bar's callback)."""
    from .config import Settings
    from .walk import files_under

    settings = settings or Settings()
    files, missing, found = files_under(paths, settings)
    jobs = [
        (path, settings.for_path(path if path != "-" else "."), stdin_text if path == "-" else None, path in found)
        for path in files
    ]
    workers = os.cpu_count() or 1
    if len(jobs) >= PARALLEL_FROM and workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, len(jobs) // (workers * 8))
        with ProcessPoolExecutor(workers) as pool:
            results = []
            for result in pool.map(_lint_job, jobs, chunksize=chunk):  # in order, as they come
                results.append(result)
                if progress is not None:
                    progress(len(results), len(jobs), "linting")
    else:
        results = []
        for job in jobs:
            results.append(_lint_job(job))
            if progress is not None:
                progress(len(results), len(jobs), "linting")
    problems = [Problem(path, 1, 1, "io", "error", "no such file, directory or match") for path in missing]
    skipped, strict = [], set()
    for (path, config, _, _), result in zip(jobs, results):
        if result is None:
            skipped.append(path)
            continue
        problems += result
        if config.strict:
            strict.add("<stdin>" if path == "-" else path)
    return Outcome(problems, [path for path in files if path not in skipped], missing, skipped, strict)


def _lint_job(job):
    path, config, text, found = job
    return _lint_one("<stdin>" if path == "-" else path, config, text, found)


def _lint_one(path: str, config, text: str | None, found: bool):
    """``lint_file``, except that a bug of cnncalc's on one file is that file's error and
    the others are still linted (a CI run must not lose every report to one file)."""
    try:
        return lint_file(path, config, text, skip_others=found)
    except Exception as error:  # noqa: BLE001 (the one place lint turns a bug into a finding)
        message = f"cnncalc failed on this file ({type(error).__name__}: {error}); this is a bug in cnncalc"
        return [Problem(path, 1, 1, INTERNAL, "error", message)]
