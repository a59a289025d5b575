"""The command line: exit codes, messages, and the fast lane agreeing with click."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc import cli, entry

ROOT = Path(__file__).resolve().parent.parent
VGG16 = str(ROOT / "architectures" / "vgg16.yaml")
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def run(*args, cwd=ROOT):
    return subprocess.run([CNNCALC, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["summarize", "f.yaml"], ("f.yaml", 1, "float32", "table")),
        (["summarize", "f.yaml", "--format", "json"], ("f.yaml", 1, "float32", "json")),
        (["summarize", "--format=csv", "f.yaml", "--batch", "8", "--dtype=float16"], ("f.yaml", 8, "float16", "csv")),
        (["summarize", "f.yaml", "--help"], None),  # help is click's
        (["summarize", "f.yaml", "--format", "xml"], None),  # a bad value: click says why
        (["summarize", "f.yaml", "--batch", "0"], None),
        (["summarize", "f.yaml", "--batch", "-1"], None),
        (["summarize", "f.yaml", "--format", "json", "--format", "csv"], None),
        (["summarize", "f.yaml", "g.yaml"], None),
        (["summarize", "--", "f.yaml"], None),
        (["summarize", "f.yaml", "--batch"], None),
        (["summarize"], None),
        (["lint", "f.yaml"], None),
        ([], None),
    ],
)
def test_fast_lane_takes_only_plain_valid_summarize_calls(argv, expected):
    assert entry.fast_summarize_request(argv) == expected


@pytest.mark.parametrize("format_name", ["table", "json", "csv", "markdown"])
@pytest.mark.parametrize("options", [[], ["--batch", "4", "--dtype", "bfloat16"]])
def test_fast_lane_and_click_print_the_same(format_name, options, capsys):
    argv = ["summarize", VGG16, "--format", format_name, *options]
    assert entry.fast_summarize_request(argv) is not None
    assert entry.main(argv) == 0
    fast_output = capsys.readouterr().out
    result = CliRunner().invoke(cli.main, argv)
    assert result.exit_code == 0
    assert result.output == fast_output


def test_summarize_json_through_the_console_script():
    result = run("summarize", VGG16, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"]["params"] == 138_357_544
    assert report["totals"]["macs"] == 15_470_264_320


def test_batch_and_dtype_scale_the_memory_figures():
    one = json.loads(run("summarize", VGG16, "--format", "json").stdout)
    eight_halves = json.loads(run("summarize", VGG16, "--format", "json", "--batch", "8", "--dtype", "float16").stdout)
    # conv1_1's output: 64*224*224 values; float32 4 bytes; float16 2 bytes, batch 8.
    assert one["layers"][0]["activation_bytes"] == 64 * 224 * 224 * 4
    assert eight_halves["layers"][0]["activation_bytes"] == 64 * 224 * 224 * 8 * 2
    assert eight_halves["totals"]["param_bytes"] == 138_357_544 * 2
    assert (eight_halves["batch"], eight_halves["dtype"]) == (8, "float16")


def test_piped_table_is_plain_text():
    result = run("summarize", VGG16)
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout and "│" not in result.stdout
    assert "conv1_1" in result.stdout and "138,357,544" in result.stdout


@pytest.mark.parametrize(
    "args, code, first_line",
    [
        (["summarize", "missing.yaml"], 2, "missing.yaml: error: cannot read"),
        (["summarize", VGG16, "--format", "xml"], 2, "Usage: cnncalc summarize"),
        (["summarize", VGG16, "--dtype", "float8"], 2, "Usage: cnncalc summarize"),
        (["frobnicate"], 2, "Usage: cnncalc"),
    ],
)
def test_exit_codes_and_messages(args, code, first_line):
    result = run(*args)
    assert result.returncode == code
    assert result.stderr.splitlines()[0].startswith(first_line)
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_file_message_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernal: 3}\n")
    result = run("summarize", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f'{bad}:3:24: error: conv has no argument "kernal" (did you mean "kernel"?)')
    assert "Traceback" not in result.stderr


def test_an_internal_error_is_one_line_and_a_bug_report_hint(monkeypatch, capsys):
    from cnncalc import report

    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(report, "analyze_network", broken)
    monkeypatch.delenv("CNNCALC_DEBUG", raising=False)
    assert entry.main(["summarize", VGG16, "--format", "json"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("cnncalc: internal error: ZeroDivisionError: oops") and "CNNCALC_DEBUG=1" in err


def test_help_and_version():
    assert run("--help").stdout.startswith("Usage: cnncalc")
    assert run("--version").stdout.strip().startswith("cnncalc, version")


def test_types_lists_the_registry_and_describes_one():
    listing = run("types").stdout
    for name in [
        "conv",
        "deconv",
        "local",
        "maxpool",
        "avgpool",
        "lppool",
        "global_avgpool",
        "fc",
        "batchnorm",
        "lrn",
        "dropout",
        "pad",
        "upsample",
        "add",
        "concat",
        "softmax",
        "prelu",
    ]:
        assert f"\n{name} " in "\n" + listing
    conv = run("types", "Conv2d").stdout
    assert conv.startswith("conv (also: convolution)")
    assert "groups" in conv and "(default 1)" in conv and "(required, the primary value)" in conv
    unknown = run("types", "maxpol")
    assert unknown.returncode == 2 and 'did you mean "maxpool"' in unknown.stderr
