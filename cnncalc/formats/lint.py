"""How ``cnncalc lint`` reports: text (colored on a terminal), json, github, sarif."""

from __future__ import annotations

from .json import dumps

COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m"}
RESET = "\x1b[0m"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def write(problems, format_name: str, stream, rules: dict | None = None) -> None:
    """``rules``: rule id -> (severity, one-line rationale), for SARIF's rule table."""
    if format_name == "json":
        stream.write("[" + ",\n ".join(dumps(p.to_dict()) for p in problems) + "]\n")
    elif format_name == "github":
        for p in problems:
            # GitHub workflow commands: escape what would end the message or a property.
            message = _escape(p.message)
            file = _escape(p.file, ",:")
            stream.write(f"::{p.severity} file={file},line={p.line},col={p.column},title={p.rule}::{message}\n")
    elif format_name == "sarif":
        stream.write(dumps(sarif(problems, rules or {})) + "\n")
    else:
        color = getattr(stream, "isatty", lambda: False)()
        for p in problems:
            severity = f"{COLORS[p.severity]}{p.severity}{RESET}" if color else p.severity
            stream.write(f"{p.file}:{p.line}:{p.column}: {severity} [{p.rule}] {p.message}\n")


def _escape(text: str, also: str = "") -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    for ch in also:
        text = text.replace(ch, f"%{ord(ch):02X}")
    return text


def _uri(path: str) -> str:
    """A file's SARIF location: relative to the working directory (the repository, in CI)."""
    import os
    from urllib.parse import quote

    relative = os.path.relpath(path)
    return quote((path if relative.startswith("..") else relative).replace(os.sep, "/"))


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
                        "informationUri": "https://github.com/cnncalc/cnncalc",
                        "rules": [
                            {
                                "id": rule_id,
                                "shortDescription": {"text": rationale},
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
