"""docs/rules.md is the rules' own docstrings: regenerate it with python -m cnncalc.lint.docs."""

from pathlib import Path

from cnncalc.lint.docs import page


def test_rules_page_is_up_to_date():
    written = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text()
    assert written == page() + "\n", "docs/rules.md is stale: run `python -m cnncalc.lint.docs > docs/rules.md`"
