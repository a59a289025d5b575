"""Budgets ([tool.cnncalc.budgets]): each limit held one unit either side of a figure worked
by hand, the problem on the file's own line in every lint format, the diff's verdict, and a
configuration checked like the files are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CNNCALC = str(Path(sys.executable).with_name("cnncalc"))

# fc 100 -> 10 (tests/test_memory.py works its bytes out): 100*10 + 10 = 1,010 parameters and
# 1,000 MACs. float32, batch 8: inference holds the weights (4,040) and, at the peak, input and
# output (400 + 40 bytes per example): 4,040 + 3,520 = 7,560. A training step with Adam peaks at
# 27,360; within 30,000 bytes the largest training batch is 14, the largest inference batch
# (30,000 - 4,040) // 440 = 59.
FC = "name: fc\ninput: [100]\nlayers:\n  - fc: 10\n"
# Two 3-wide convs on a line of 16: fields of 3 and 5 pixels; b is named on line 6.
CONVS = (
    "input: [1, 16]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n    name: a\n  - conv: {filters: 1, kernel: 3}\n"
    "    name: b\n"
)


def cnncalc(*args, cwd):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def project(folder: Path, budget: str, files: dict | None = None, glob: str = "*.yaml") -> Path:
    (folder / "pyproject.toml").write_text(f'[tool.cnncalc.budgets."{glob}"]\n{budget}\n')
    for name, text in (files or {"net.yaml": FC}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def problems(folder: Path, *paths) -> tuple:
    result = cnncalc("lint", *(paths or ("net.yaml",)), "--format", "json", cwd=folder)
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    return result.returncode, [(p["line"], p["column"], p["rule"]) for p in json.loads(result.stdout)]


LIMITS = {
    # name: (the budget at the figure, the budget one unit under it), figures above
    "max-params": ("max-params = 1010", "max-params = 1009"),
    "max-macs": ("max-macs = 1000", "max-macs = 999"),
    "max-peak-memory": ("batch = 8\nmax-peak-memory = 7560", 'batch = 8\nmax-peak-memory = "7559"'),
    "max-training-memory": ("batch = 8\nmax-training-memory = 27360", "batch = 8\nmax-training-memory = 27359"),
    "min-largest-batch": (
        'min-largest-batch = 14\nmemory-budget = "30000"',
        'min-largest-batch = 15\nmemory-budget = "30000"',
    ),
    "min-largest-batch (inference)": (
        'min-largest-batch = 59\nmemory-budget = 30000\nlargest-batch-for = "inference"',
        'min-largest-batch = 60\nmemory-budget = 30000\nlargest-batch-for = "inference"',
    ),
}


@pytest.mark.parametrize("name", list(LIMITS))
def test_each_limit_holds_at_the_figure_and_breaks_one_under(tmp_path, name):
    at, under = LIMITS[name]
    assert problems(project(tmp_path, at)) == (0, [])
    # The input: line, 2, at its value (column 8).
    assert problems(project(tmp_path, under)) == (1, [(2, 8, "budget")])


def test_a_named_layers_receptive_field(tmp_path):
    files = {"net.yaml": CONVS}
    assert problems(project(tmp_path, 'receptive-field = {"b" = {min = 5, max = 5}}', files)) == (0, [])
    # The problem is on b's own line: its name, line 6, column 11.
    assert problems(project(tmp_path, 'receptive-field = {"b" = {min = 6}}', files)) == (1, [(6, 11, "budget")])
    assert problems(project(tmp_path, 'receptive-field = {"a" = {max = 2}}', files)) == (1, [(4, 11, "budget")])
    assert problems(project(tmp_path, 'receptive-field = {"b" = {min = [6]}}', files)) == (1, [(6, 11, "budget")])
    missing = cnncalc("lint", "net.yaml", cwd=project(tmp_path, 'receptive-field = {"bb" = {min = 1}}', files))
    assert missing.returncode == 1 and 'did you mean "b"' in missing.stdout
    assert missing.stdout.startswith("net.yaml:1:8: error [budget]")


def test_every_lint_format_puts_the_problem_on_the_input_line(tmp_path):
    project(tmp_path, "max-params = 1000")
    runs = {name: cnncalc("lint", "net.yaml", "--format", name, cwd=tmp_path) for name in ("text", "github", "sarif")}
    assert all(run.returncode == 1 for run in runs.values())
    assert runs["text"].stdout.startswith(
        "net.yaml:2:8: error [budget] parameters: 1,010, over the budget's 1,000 by 10"
    )
    assert runs["github"].stdout.startswith("::error file=net.yaml,line=2,col=8,endLine=2,endColumn=8,title=budget::")
    (result,) = json.loads(runs["sarif"].stdout)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (result["ruleId"], result["level"], region["startLine"], region["startColumn"]) == ("budget", "error", 2, 8)


def test_only_matching_files_and_every_matching_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncalc.budgets."models/*.yaml"]\nmax-params = 1000\n\n'
        '[tool.cnncalc.budgets."models/big.yaml"]\nmax-macs = 10\n'
    )
    for name in ("models/small.yaml", "models/big.yaml", "other/net.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(FC)
    run = cnncalc("lint", ".", "--format", "json", cwd=tmp_path)
    result = json.loads(run.stdout)
    assert run.returncode == 1 and sorted((Path(p["file"]).as_posix(), p["message"].split(":")[0]) for p in result) == [
        ("models/big.yaml", "MACs"),
        ("models/big.yaml", "parameters"),
        ("models/small.yaml", "parameters"),
    ]


def test_select_and_ignore_apply_to_budgets(tmp_path):
    project(tmp_path, "max-params = 1000")
    assert cnncalc("lint", "net.yaml", "--ignore", "budget", cwd=tmp_path).returncode == 0
    assert cnncalc("lint", "net.yaml", "--select", "dropout-probability", cwd=tmp_path).returncode == 0
    assert cnncalc("lint", "net.yaml", "--select", "budget", cwd=tmp_path).returncode == 1


def test_a_config_file_holds_budgets_too(tmp_path):
    (tmp_path / "ci.toml").write_text('[budgets."*.yaml"]\nmax-params = 1000\n')
    (tmp_path / "net.yaml").write_text(FC)
    assert cnncalc("lint", "net.yaml", "--config", "ci.toml", cwd=tmp_path).returncode == 1
    assert cnncalc("diff", "net.yaml", "net.yaml", "--config", "ci.toml", cwd=tmp_path).returncode == 1


# --- the diff's verdict -------------------------------------------------------------------------


def test_the_diff_verdict_is_the_new_files(tmp_path):
    # old: fc 100 -> 10 (1,010 parameters); new: fc 100 -> 20 (2,020).
    project(tmp_path, "max-params = 1500", {"old.yaml": FC, "new.yaml": FC.replace("fc: 10", "fc: 20")})
    over = cnncalc("diff", "old.yaml", "new.yaml", "--format", "json", cwd=tmp_path)
    assert over.returncode == 1
    data = json.loads(over.stdout)
    assert data["verdict"] == "over"
    (check,) = data["budgets"]
    assert (check["before"], check["after"], check["bound"], check["over"]) == (1010, 2020, 1500, True)
    back = cnncalc("diff", "new.yaml", "old.yaml", cwd=tmp_path)
    assert back.returncode == 0 and "verdict: within budget" in back.stdout
    markdown = cnncalc("diff", "old.yaml", "new.yaml", "--format", "markdown", cwd=tmp_path)
    assert "**verdict: over budget (1 of 1 limits broken)**" in markdown.stdout


# --- the configuration, checked -------------------------------------------------------------------

BAD = {
    # name: (the budgets part of pyproject.toml, the line the message points at, words it says)
    "unknown key": ('[tool.cnncalc.budgets."*.yaml"]\nmax-param = 5\n', 2, 'did you mean "max-params"'),
    "unknown section": ('[tool.cnncalc.budget."*.yaml"]\nmax-params = 5\n', 1, 'did you mean "budgets"'),
    "not a number": ('[tool.cnncalc.budgets."*.yaml"]\n\nmax-params = "5M"\n', 3, "a whole number"),
    "a bad size": ('[tool.cnncalc.budgets."*.yaml"]\nmax-peak-memory = "8 gigs"\n', 2, "a size such as"),
    "negative batch": ('[tool.cnncalc.budgets."*.yaml"]\nbatch = 0\n', 2, "from 1"),
    "bad dtype": ('[tool.cnncalc.budgets."*.yaml"]\ndtype = "float8"\n', 2, '"float32"'),
    "batch without memory": ('[tool.cnncalc.budgets."*.yaml"]\nmin-largest-batch = 4\n', 2, "needs memory-budget"),
    "glob not a table": ("[tool.cnncalc.budgets]\n'*.yaml' = 5\n", 2, "must be a table"),
    "field bounds": ('[tool.cnncalc.budgets."*.yaml"]\nreceptive-field = {"a" = {least = 3}}\n', 2, "{min = N}"),
    "second table": (
        '[tool.cnncalc.budgets."a.yaml"]\nmax-params = 5\n[tool.cnncalc.budgets."*.yaml"]\nmax-parms = 5\n',
        4,
        "max-parms",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_budget_exits_2_naming_file_and_line(tmp_path, name):
    text, line, says = BAD[name]
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / "net.yaml").write_text(FC)
    for command in (("lint", "net.yaml"), ("diff", "net.yaml", "net.yaml")):
        result = cnncalc(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{tmp_path / 'pyproject.toml'}:{line}: error:"), first
        assert says in first
