"""The homework examples (examples/homework/): every answer in them is right, and the
homework commands (check, explain, run, the calculators) print what a student needs.

The answers in the example files were derived by hand (the arithmetic is in each file's
header) or taken from the course notes and PyTorch's documentation, never from cnncalc."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ROOT / "examples" / "homework"
EXAMPLES = sorted(HOMEWORK.glob("*.yaml"))
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def run(*args):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_the_classic_exercises_are_all_there():
    names = {path.stem for path in EXAMPLES}
    assert {
        "homework-table",
        "conv-64x64-stride2",
        "conv-ten-3x3x3-filters",
        "alexnet-conv1-sharing",
        "stacked-3x3-vs-7x7",
        "edge-detector-6x6",
        "conv-5x5-values",
        "maxpool-2x2-values",
        "padding-modes",
        "conv-strided-padded-channels",
        "avg-and-l2-pool",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_answer_in_the_examples_is_right(path):
    result = run("check", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " is wrong" not in result.stdout
    assert ", 0 wrong" in result.stdout
    assert result.stderr == ""


# The JSON verdicts are the text's, written otherwise: a few examples show they agree.
@pytest.mark.parametrize("path", EXAMPLES[:3], ids=lambda path: path.name)
def test_answers_are_right_in_json_too(path):
    result = run("check", path, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = json.loads(result.stdout)
    assert verdicts
    assert [v for v in verdicts if not v["correct"]] == []


def homework_table_with_fc3(tmp_path, params: str) -> Path:
    text = (HOMEWORK / "homework-table.yaml").read_text()
    assert text.count("params: 48120") == 1
    path = tmp_path / "homework.yaml"
    path.write_text(text.replace("params: 48120", f"params: {params}"))
    return path


def test_a_wrong_fc3_is_marked_wrong_with_the_arithmetic(tmp_path):
    result = run("check", homework_table_with_fc3(tmp_path, "48001"))
    assert result.returncode == 1, result.stdout + result.stderr
    wrong = [line for line in result.stdout.splitlines() if " is wrong" in line]
    assert len(wrong) == 1
    assert "FC3" in wrong[0] and "48,001" in wrong[0] and "48,120" in wrong[0]
    assert "400*120 + 120" in result.stdout
    assert "1 wrong" in result.stdout


def test_the_corrected_fc3_passes(tmp_path):
    result = run("check", homework_table_with_fc3(tmp_path, "48120"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " is wrong" not in result.stdout


def test_check_json_gives_the_spec_keys(tmp_path):
    result = run("check", homework_table_with_fc3(tmp_path, "48001"), "--format", "json")
    assert result.returncode == 1
    verdicts = json.loads(result.stdout)
    assert all(set(v) == {"layer", "field", "expected", "actual", "correct"} for v in verdicts)
    assert len(verdicts) == 21  # 7 layers, each with shape, size and params
    wrong = [v for v in verdicts if not v["correct"]]
    assert wrong == [{"layer": "FC3", "field": "params", "expected": 48001, "actual": 48120, "correct": False}]


def test_run_prints_the_three_rows_of_the_5x5_exercise():
    result = run("run", HOMEWORK / "conv-5x5-values.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    for row in ("[12, 12, 17]", "[10, 17, 19]", "[9, 6, 14]"):
        assert row in result.stdout


def test_run_takes_integer_values_through_a_batchnorm(tmp_path):
    # Integer values and weights run in integers; a batchnorm makes them real. Running mean 0
    # and variance 0 in a worked run: x / sqrt(0 + 1e-5), and 2 / sqrt(1e-5) = 632.455532.
    path = tmp_path / "bn.yaml"
    path.write_text(
        "input: [1, 2, 2]\nvalues: [[1, 2], [3, 4]]\nlayers:\n"
        "  - conv: {filters: 1, kernel: 1, bias: false, weights: [[2]]}\n"
        "  - batchnorm: {affine: false}\n"
    )
    result = run("run", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[[632.455532, 1264.911064]," in result.stdout


def test_a_wrong_values_answer_exits_1(tmp_path):
    text = (HOMEWORK / "conv-5x5-values.yaml").read_text()
    path = tmp_path / "wrong.yaml"
    path.write_text(text.replace("[9, 6, 14]]", "[9, 6, 15]]"))
    for command in ("check", "run"):
        result = run(command, path)
        assert result.returncode == 1, (command, result.stdout + result.stderr)
        assert " is wrong" in result.stdout
        assert "[9, 6, 14]" in result.stdout  # the right answer is shown


def test_the_conv_calculator_on_the_64x64_exercise():
    result = run("conv", "--input", "64x64x3", "--filters", "8", "--kernel", "5", "--stride", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "30x30x8" in result.stdout
    assert "608" in result.stdout
    lines = [line for line in result.stdout.splitlines() if "floor((64" in line]
    # (64 - 5)/2 is not whole: the line may add that the last row is left unused
    assert lines and all(")/2) + 1 = 30" in line for line in lines)


def test_explain_one_layer():
    result = run("explain", HOMEWORK / "homework-table.yaml", "--layer", "FC3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FC3" in result.stdout
    assert "400*120 + 120 = 48,120" in result.stdout
    assert "CONV1" not in result.stdout and "FC4" not in result.stdout
