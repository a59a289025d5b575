"""docs/rules.md, written from the rules themselves: ``python -m cnncalc.lint.docs > docs/rules.md``.

tests/test_lint_docs.py holds the page equal to what this prints, so the documentation
is the rules' own docstrings and cannot drift from them.
"""

from __future__ import annotations

import textwrap

from . import ENGINE_RULES, LINTER_RULES
from .rules import RULES


def page() -> str:
    out = [
        "# Lint rules",
        "",
        "`cnncalc lint` reports every problem with file, line, column, rule id and severity.",
        "Select or ignore rules with `--select`/`--ignore` or in `pyproject.toml` under",
        "`[tool.cnncalc.lint]`; silence one line with `# cnncalc: ignore[rule-id]` at its end,",
        "or a whole file with `# cnncalc: ignore-file[rule-id]` on a line of its own. A rule",
        "off by default (its section says so) runs with `--extend-select rule-id` or",
        '`extend-select = ["rule-id"]`; `budget` runs where `[tool.cnncalc.budgets]` sets limits',
        "(README, Budgets).",
        "",
        "This page is generated from the rules' docstrings (`python -m cnncalc.lint.docs`).",
        "",
        "## Errors: what the engine refuses",
        "",
        "| rule | what |",
        "|---|---|",
        *(f"| `{rule}` | {text} |" for rule, text in ENGINE_RULES.items()),
        "",
        "No comment and no selection silences them: a file the engine refuses is one `cnncalc",
        "summarize` refuses too.",
        "",
        "## The linter's own rules",
        "",
        "| rule | severity | what |",
        "|---|---|---|",
        *(f"| `{rule}` | {severity} | {text} |" for rule, (severity, text) in LINTER_RULES.items()),
        "",
        "## Warnings",
        "",
    ]
    for rule in RULES:
        title, _, body = rule.__doc__.partition("\n")
        out += [f"### `{rule.ID}` ({rule.SEVERITY})", "", title.split(": ", 1)[1], "", f"Why: {rule.RATIONALE}.", ""]
        out += [_markdown(textwrap.dedent(body).strip()), ""]
    return "\n".join(out)


def rule_text(rule_id: str) -> str:
    """One rule's documentation as plain text for a terminal (``cnncalc rules RULE``): the
    docstring as written, its examples indented as they are there."""
    for rule in RULES:
        if rule.ID == rule_id:
            title, _, body = rule.__doc__.partition("\n")
            summary = title.split(": ", 1)[1]
            return (
                f"{rule.ID} ({rule.SEVERITY})\n\n{summary}\n\nWhy: {rule.RATIONALE}.\n\n{textwrap.dedent(body).strip()}"
            )
    if rule_id in ENGINE_RULES:
        return (
            f"{rule_id} (error)\n\n{ENGINE_RULES[rule_id]}.\n\nWhat the engine refuses: `cnncalc summarize` refuses the "
            "file too, so no comment or selection silences it."
        )
    severity, text = LINTER_RULES[rule_id]
    return f"{rule_id} ({severity})\n\n{text}."


def _markdown(text: str) -> str:
    """Docstring examples (a line ending in ``::`` and an indented block) as fenced YAML."""
    out: list = []
    block = False
    for line in text.split("\n"):
        if block:
            if line.startswith("    "):
                out.append(line[4:])
                continue
            if not line.strip():
                if out[-1] != "```yaml":
                    out.append("")
                continue
            _close(out)
            block = False
        if line.rstrip().endswith("::"):
            out += [line.rstrip()[:-1], "", "```yaml"]
            block = True
        else:
            out.append(line)
    if block:
        _close(out)
    return "\n".join(out).rstrip()


def _close(out: list) -> None:
    while out and out[-1] == "":
        out.pop()
    out += ["```", ""]


if __name__ == "__main__":
    print(page())
