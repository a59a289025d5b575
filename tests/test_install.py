"""What a user who installs cnncalc meets: the zoo by name from any folder, `cnncalc zoo`,
`cnncalc rules`, standard input, output files, colors as the environment asks, help texts
that point at nothing the install lacks, and a table readable on an 80-column terminal.

The figures are published ones: VGG-16 has 138,357,544 parameters and 15,470,264,320 MACs
at 224x224 (Simonyan and Zisserman, torchvision's count); fc6 of VGG-16 has
25088*4096 + 4096 = 102,764,544 parameters.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from commands import cnncalc

ROOT = Path(__file__).resolve().parent.parent
# Every .yaml below architectures/ but the shared modules of a blocks/ folder (cnncalc/zoo.py).
ZOO = sorted(
    path.relative_to(ROOT / "architectures").with_suffix("").as_posix()
    for path in (ROOT / "architectures").rglob("*.yaml")
    if "blocks" not in path.relative_to(ROOT / "architectures").parts
)
BLOCKS = sorted((ROOT / "architectures").rglob("blocks/*.yaml"))
# One conv, worked by hand: 4 filters of 3x3 over 3 channels: (3*3*3 + 1) * 4 = 112 parameters;
# output 4x6x6 = 144 values, each 3*3*3 = 27 MACs: 3,888.
SMALL = "input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"


def invoke(*args):
    """In-process, for the many small calls (types, rules, help): the same click commands."""
    from click.testing import CliRunner

    from cnncalc import cli

    return CliRunner().invoke(cli.main, list(args))


def test_a_zoo_network_by_name_from_any_folder(tmp_path):
    result = cnncalc("summarize", "vgg16", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    totals = json.loads(result.stdout)["totals"]
    assert (totals["params"], totals["macs"]) == (138_357_544, 15_470_264_320)
    assert cnncalc("summarize", "vgg16.yaml", "--format", "json", cwd=tmp_path).stdout == result.stdout


def test_an_existing_file_wins_over_a_zoo_name(tmp_path):
    (tmp_path / "vgg16").write_text(SMALL)
    result = cnncalc("summarize", "vgg16", "--format", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["totals"]["params"] == 112


def test_an_unknown_name_is_a_missing_file(tmp_path):
    result = cnncalc("summarize", "vgg17", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("vgg17: error: ")


def test_zoo_lists_every_network_with_its_figures(tmp_path):
    result = cnncalc("zoo", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entries = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert sorted(entries) == ZOO
    assert (entries["vgg16"]["params"], entries["vgg16"]["macs"], entries["vgg16"]["input"]) == (
        138_357_544,
        15_470_264_320,
        [3, 224, 224],
    )
    # Peak: relu1_1's output and conv1_2's, 64x224x224 each, alive together in float32:
    # 2 * 64*224*224 * 4 = 25,690,112 bytes (24.5 MiB). The last map is pool5's: conv5_3's
    # field of 196 (SPEC's worked VGG-16) plus (2 - 1) * jump 16 = 212.
    assert (entries["vgg16"]["peak_bytes"], entries["vgg16"]["last_map_field"]) == (25_690_112, [212, 212])
    # The text table, as `cnncalc zoo` writes it, of VGG-16's entry (the command ran above).
    from cnncalc.formats.zoo import write

    stream = io.StringIO()
    write([entries["vgg16"]], "text", stream)
    text = stream.getvalue()
    assert re.search(r"^vgg16 .* 3x224x224 +138,357,544 +15,470,264,320 +24.5 MiB +212x212$", text, re.M), text


def test_shared_blocks_are_no_zoo_names(tmp_path):
    # A blocks/ folder holds modules the networks beside it import: no network of its own.
    assert BLOCKS, "the torchvision families share their blocks"
    for path in BLOCKS:
        name = path.relative_to(ROOT / "architectures").with_suffix("").as_posix()
        result = cnncalc("summarize", name, cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.startswith(f"{name}: error: "), result.stderr
    # ...but the networks that import them work by name from anywhere: ResNet-50's 25,557,032
    # parameters (torchvision's ResNet50_Weights.IMAGENET1K_V1 num_params).
    result = cnncalc("summarize", "torchvision/resnet50", "--format", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["totals"]["params"] == 25_557_032, result.stderr


def test_rules_lists_every_rule_and_explains_each(tmp_path):
    from cnncalc.lint import all_rule_ids

    listing = cnncalc("rules", cwd=tmp_path)
    assert listing.returncode == 0
    assert {line.split()[0] for line in listing.stdout.splitlines()[: len(all_rule_ids())]} == set(all_rule_ids())
    for rule in all_rule_ids():
        one = invoke("rules", rule)
        assert one.exit_code == 0 and one.output.startswith(rule)
        assert "``" not in one.output
    unknown = cnncalc("rules", "dropout-probabilty", cwd=tmp_path)
    assert unknown.returncode == 2 and "dropout-probability" in unknown.stderr


def test_types_prints_plain_text(tmp_path):
    from cnncalc.spec import type_names

    for name in ["", *type_names()]:
        out = invoke("types", *([name] if name else [])).output
        assert "``" not in out and not re.search(r"::$", out, re.M), name


@pytest.mark.parametrize("command", ["summarize", "verify", "check", "explain", "memory", "lint"])
def test_standard_input_for_every_command_taking_a_file(tmp_path, command):
    result = cnncalc(command, "-", cwd=tmp_path, stdin=SMALL)
    assert result.returncode in (0, 1), result.stderr  # check: no answers is not an error of the file
    assert "Traceback" not in result.stderr
    broken = cnncalc(command, "-", cwd=tmp_path, stdin="input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4}\n")
    assert broken.returncode in (1, 2)
    assert re.search(r"<stdin>:3:\d+: error", broken.stdout + broken.stderr)


def test_run_reads_standard_input(tmp_path):
    text = "input: [1, 2, 2]\nvalues: [[1, 2], [3, 4]]\nlayers:\n  - relu\n"
    result = cnncalc("run", "-", cwd=tmp_path, stdin=text)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [["summarize", "vgg16", "--format", "json"], ["conventions"], ["schema"], ["verify", "lenet5"], ["lint", "-"]],
)
def test_output_file(tmp_path, args):
    result = cnncalc(*args, "-o", "out.txt", cwd=tmp_path, stdin=SMALL)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and (tmp_path / "out.txt").read_text()


def test_an_unwritable_output_file_exits_2(tmp_path):
    result = cnncalc("schema", "-o", str(tmp_path / "no" / "such" / "out.json"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


ESC = "\x1b["


@pytest.mark.parametrize(
    "options, env, colored",
    [
        ([], {}, False),  # a pipe
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "", "TERM": "dumb"}, False),
    ],
)
def test_color_follows_the_option_and_the_environment(tmp_path, options, env, colored):
    (tmp_path / "net.yaml").write_text("input: [1, 8]\nlayers:\n  - dropout: 1\n")
    lint = cnncalc("lint", "net.yaml", *options, cwd=tmp_path, env=env)
    summary = cnncalc("summarize", "net.yaml", *options, cwd=tmp_path, env=env)
    assert (ESC in lint.stdout, ESC in summary.stdout) == (colored, colored)


def test_the_rich_table_fits_80_columns_and_cuts_no_figure(tmp_path):
    result = cnncalc("summarize", "vgg16", "--color", "always", cwd=tmp_path, env={"COLUMNS": "80"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert "…" not in text
    assert "102,764,544" in text  # fc6's parameters, whole
    narrow = cnncalc("summarize", "googlenet", "--color", "always", cwd=tmp_path, env={"COLUMNS": "60"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", narrow.stdout)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "…" not in text and "left out" in text


def test_help_texts_point_at_nothing_an_install_lacks(tmp_path):
    from cnncalc import cli

    for name in [None, *cli.main.commands]:
        text = invoke(*([name] if name else []), "--help").output
        assert not re.search(r"README|docs/|\.md\b|architectures/", text), (name, text)


@pytest.mark.slow
def test_the_wheel_ships_the_zoo(tmp_path):
    """Builds the wheel, installs it into a throwaway venv and runs it from /."""
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", str(ROOT), "-w", str(wheels)], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = wheels.glob("cnncalc-*.whl")
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True
    )
    for command in (
        ["summarize", "vgg16", "--format", "json"],
        ["summarize", "torchvision/efficientnet_b0"],  # its modules imported from blocks/, inside the package
        ["zoo"],
        ["rules"],
        ["lint", "resnet50"],
    ):
        result = subprocess.run([str(venv / "bin" / "cnncalc"), *command], capture_output=True, text=True, cwd="/")
        if command[0] == "lint":  # lint takes paths, not zoo names
            assert result.returncode == 2 and "resnet50" in result.stderr  # nothing could be read
            continue
        assert result.returncode == 0, (command, result.stderr)
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import cnncalc, os; print(os.path.dirname(cnncalc.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout.strip()
    assert Path(site, "py.typed").exists() and Path(site, "architectures", "vgg16.yaml").exists()
    for path in BLOCKS:
        assert Path(site, "architectures", path.relative_to(ROOT / "architectures")).exists()
