"""How ``cnncalc lint`` reports: text (colored on a terminal), json, github, sarif."""

from __future__ import annotations

from .json import dumps

COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m"}
RESET = "\x1b[0m"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HOME = "https://github.com/cnncalc/cnncalc"
RULES_URI = f"{HOME}/blob/main/docs/rules.md"


def write(
    problems, format_name: str, stream, rules: dict | None = None, color: bool = False, quiet: bool = False, unread=0
) -> None:
    """``rules``: rule id -> (severity, one-line rationale), for SARIF's rule table; ``color``,
    ``quiet`` (no closing line) and ``unread`` (paths reported elsewhere, errors all the same)
    for text."""
    if format_name == "json":
        stream.write("[" + ",\n ".join(dumps(p.to_dict()) for p in problems) + "]\n")
    elif format_name == "github":
        for p in problems:
            # GitHub workflow commands: escape what would end the message or a property.
            message = _escape(p.message)
            file = _escape(p.file, ",:")
            # A problem is a point: it ends where it starts.
            where = f"file={file},line={p.line},col={p.column},endLine={p.line},endColumn={p.column}"
            stream.write(f"::{p.severity} {where},title={p.rule}::{message}\n")
    elif format_name == "sarif":
        stream.write(dumps(sarif(problems, rules or {})) + "\n")
    else:
        for p in problems:
            severity = f"{COLORS[p.severity]}{p.severity}{RESET}" if color else p.severity
            stream.write(f"{p.file}:{p.line}:{p.column}: {severity} [{p.rule}] {p.message}\n")
        if not quiet:
            stream.write(closing_line(problems, unread) + "\n")


def closing_line(problems, unread: int = 0) -> str:
    """ruff's last line: "All checks passed!" or the count of what was found."""
    if not problems and not unread:
        return "All checks passed!"
    errors = sum(p.severity == "error" for p in problems) + unread
    warnings = len(problems) + unread - errors
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return f"Found {' and '.join(parts)}."


def write_rules(rules: dict, stream) -> None:
    """``cnncalc rules``: one rule a line, with its severity and what it checks."""
    width = max(len(rule) for rule in rules)
    for rule, (severity, text) in rules.items():
        stream.write(f"{rule:{width}}  {severity:7}  {text}\n")
    stream.write("\n`cnncalc rules RULE` explains one rule, with a failing and a passing example.\n")


def write_rule(documentation: str, stream) -> None:
    """``cnncalc rules RULE``: the rule's documentation (reStructuredText) as plain text."""
    from .plain import plain

    stream.write(plain(documentation) + "\n")


def write_statistics(problems, format_name: str, stream) -> None:
    """``--statistics``: how many problems of each rule, most frequent first (ruff's layout)."""
    counts: dict = {}
    for p in problems:
        counts.setdefault((p.rule, p.severity), 0)
        counts[(p.rule, p.severity)] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if format_name == "json":
        stream.write(dumps([{"rule": r, "severity": s, "count": n} for (r, s), n in ranked]) + "\n")
        return
    width = max([len(str(n)) for n in counts.values()] or [1])
    for (rule, severity), count in ranked:
        stream.write(f"{count:>{width}}  {rule}  {severity}\n")


def _escape(text: str, also: str = "") -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    for ch in also:
        text = text.replace(ch, f"%{ord(ch):02X}")
    return text


def _uri(path: str) -> str:
    """A file's SARIF location: an absolute ``file://`` URI (standard input stays as it is)."""
    import os
    from pathlib import Path

    if path == "<stdin>":
        return "stdin"  # a relative reference: SARIF has no URI for a pipe
    return Path(os.path.abspath(path)).as_uri()


def _anchor(rule_id: str, severity: str) -> str:
    """The heading anchor GitHub gives the rule's section of docs/rules.md."""
    from ..lint import ENGINE_RULES, LINTER_RULES

    if rule_id in ENGINE_RULES:
        return "errors-what-the-engine-refuses"
    if rule_id in LINTER_RULES:
        return "the-linters-own-rules"
    return f"{rule_id}-{severity}"


def sarif(problems, rules: dict) -> dict:
    """A SARIF 2.1.0 log with one run."""
    from .. import __version__

    ids = list(rules)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cnncalc",
                        "version": __version__,
                        "informationUri": HOME,
                        "rules": [
                            {
                                "id": rule_id,
                                "shortDescription": {"text": rationale},
                                "help": {"text": f"{rationale}. `cnncalc rules {rule_id}` explains it, with examples."},
                                "helpUri": f"{RULES_URI}#{_anchor(rule_id, severity)}",
                                "defaultConfiguration": {"level": "error" if severity == "error" else "warning"},
                            }
                            for rule_id, (severity, rationale) in rules.items()
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": p.rule,
                        **({"ruleIndex": ids.index(p.rule)} if p.rule in ids else {}),
                        "level": "error" if p.severity == "error" else "warning",
                        "message": {"text": p.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": _uri(p.file)},
                                    "region": {"startLine": p.line, "startColumn": p.column},
                                }
                            }
                        ],
                    }
                    for p in problems
                ],
            }
        ],
    }
