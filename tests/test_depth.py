"""``summarize --depth N``: module instances nested deeper than N folded into one row each,
in every format, on every zoo file that has modules (issue 21: it crashed whenever a plain
layer sat beside a module instance, that is on every real network)."""

from __future__ import annotations

import csv
import functools
import io
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc.formats import write
from cnncalc.report import analyze_file

ROOT = Path(__file__).resolve().parent.parent
MODULE_FILES = sorted(path.name for path in (ROOT / "architectures").glob("*.yaml") if "\nmodules:" in path.read_text())
DEPTHS = (0, 1, 2, 3)
TEXT_FORMATS = ("table", "csv", "markdown")


@functools.cache
def report_of(name: str):
    """One analysis per file for the whole module: the tests only read reports."""
    return analyze_file(str(ROOT / "architectures" / name))


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so ``--format table`` draws the rich table."""

    def isatty(self) -> bool:
        return True


def test_the_zoo_has_module_networks_to_fold():
    # The files whose layers sit in modules, nested up to two deep (mobilenet_v2: features.2 holds
    # features.2.conv; unet: up4 holds up4.conv), so depths 0 and 1 both fold something there.
    assert {"googlenet.yaml", "resnet18.yaml", "mobilenet_v2.yaml", "unet.yaml", "densenet121.yaml"} <= set(
        MODULE_FILES
    )


@pytest.mark.parametrize("name", MODULE_FILES)
@pytest.mark.parametrize("depth", DEPTHS)
def test_folded_rows_account_for_every_layer(name, depth):
    report = report_of(name)
    stream = io.StringIO()
    write(report, "csv", stream, depth)
    table = list(csv.DictReader(io.StringIO(stream.getvalue())))
    # The rows, in order: each layer at most `depth` modules deep as itself, each instance at
    # depth `depth` once, where its first layer stood. Built here from the layers' module paths.
    expected = []
    for layer in report.layers:
        row = layer.name if len(layer.module) <= depth else layer.module[depth][0]
        if row not in expected:
            expected.append(row)
    assert [row["name"] for row in table] == expected
    # Nothing is lost or counted twice: the columns add up to the report's totals.
    assert sum(int(row["params"]) for row in table) == report.totals.params
    assert sum(int(row["macs"]) for row in table) == report.totals.macs
    assert sum(int(row["activation_bytes"]) for row in table) == report.totals.activation_bytes
    deepest = max(len(layer.module) for layer in report.layers)
    if depth >= deepest:  # nothing left to fold
        assert len(table) == len(report.layers)
    else:
        assert len(table) < len(report.layers)


@pytest.mark.parametrize("name", MODULE_FILES)
@pytest.mark.parametrize("format_name", TEXT_FORMATS)
def test_every_text_format_folds(name, format_name):
    # The writer the command calls, at depths 0 and 1, on every module network.
    report = report_of(name)
    for depth in (0, 1):
        stream = io.StringIO()
        write(report, format_name, stream, depth)
        for folded in [layer for layer in report.layers if len(layer.module) > depth][:1]:
            # its instance is a row; the layer itself, deeper than the depth, is not
            assert folded.module[depth][0] in stream.getvalue()
            if format_name != "table":  # the plain table may wrap a long name
                assert f"{folded.name}," not in stream.getvalue() and f"| {folded.name} " not in stream.getvalue()


@pytest.mark.parametrize("name", ("googlenet.yaml", "resnet18.yaml", "unet.yaml"))
@pytest.mark.parametrize("format_name", TEXT_FORMATS)
def test_the_command_folds_in_every_format(name, format_name):
    # The command itself, as a user runs it (piped: the plain-text table), on a network of
    # each nesting: one level of modules (googlenet, resnet18), two (unet).
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnncalc",
            "summarize",
            f"architectures/{name}",
            "--depth",
            "0",
            "--format",
            format_name,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("format_name", ("json", "notes"))
def test_the_formats_that_list_every_layer_take_depth_too(format_name):
    # resnet18 at depth 0 folds into 14 rows in the tables; json and the notes' memory table
    # keep every layer: no error, the same text as without --depth.
    def output(*depth):
        command = [sys.executable, "-m", "cnncalc", "summarize", "architectures/resnet18.yaml", "--format", format_name]
        done = subprocess.run([*command, *depth], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert output("--depth", "0") == output()


@pytest.mark.parametrize(
    "name, depth",
    [*((name, 0) for name in MODULE_FILES), ("unet.yaml", 1), ("mobilenet_v2.yaml", 1), ("resnet18.yaml", 2)],
)
def test_the_rich_table_on_a_terminal_folds(name, depth, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich shortens cells to fit a narrow terminal
    report = report_of(name)
    stream = Terminal()
    write(report, "table", stream, depth)
    text = stream.getvalue()
    assert "┃" in text or "│" in text  # rich's box drawing: this is the terminal table
    assert f"{report.totals.params:,}" in text


def resnet18_rows(format_name: str, depth: int = 0) -> str:
    stream = Terminal() if format_name == "rich" else io.StringIO()
    write(
        report_of("resnet18.yaml"),
        "table" if format_name == "rich" else format_name,
        stream,
        depth,
    )
    return stream.getvalue()


@pytest.mark.parametrize("format_name", ("table", "rich", "csv", "markdown"))
def test_resnet18_blocks_by_hand(format_name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    text = resnet18_rows(format_name)
    # layer1.0, a BasicBlock 64 -> 64 at 56x56: two 3x3 convs 3*3*64*64 = 36,864 each (no
    # bias) and two batchnorms 2*64 = 128 each: 73,728 + 256 = 73,984 parameters; MACs
    # 56*56*64 outputs * 64*9 each = 115,605,504 per conv, 231,211,008 for the two.
    # layer2.0, 64 -> 128, stride 2, projected: 3*3*64*128 = 73,728, 3*3*128*128 = 147,456,
    # 1x1 64*128 = 8,192, three batchnorms 3 * 256 = 768: 230,144.
    if format_name == "csv":
        lines = text.splitlines()
        # memory: seven outputs of 64x56x56 float32 (conv1 bn1 relu conv2 bn2 add relu), 4 bytes each
        assert lines[5].split(",")[:9] == [
            "layer1.0",
            "basic",
            "maxpool",
            "64x56x56",
            "73984",
            "73984",
            "256",
            "231211008",
            str(7 * 64 * 56 * 56 * 4),
        ]
        assert lines[7].split(",")[:5] == ["layer2.0", "basic", "layer1.1", "128x28x28", "230144"]
        assert len(lines) == 1 + 14  # conv1 bn1 relu maxpool, 8 blocks, avgpool fc
        # an input inside a folded block is named by the block: avgpool reads layer4.1
        assert lines[13].split(",")[:3] == ["avgpool", "global_avgpool", "layer4.1"]
    else:
        assert "layer1.0" in text and "73,984" in text and "231,211,008" in text and "230,144" in text
        assert "layer1.0.conv1" not in text


def test_googlenet_inception_3a_by_hand():
    stream = io.StringIO()
    write(report_of("googlenet.yaml"), "csv", stream, 0)
    row = next(r for r in csv.DictReader(io.StringIO(stream.getvalue())) if r["name"] == "inception_3a")
    # Table 1's 3a on 28x28x192, weights + biases: 1x1 192*64+64 = 12,352; 3x3 reduce
    # 192*96+96 = 18,528; 3x3 96*128*9+128 = 110,720; 5x5 reduce 192*16+16 = 3,088;
    # 5x5 16*32*25+32 = 12,832; pool proj 192*32+32 = 6,176: 163,696. Output 64+128+32+32 = 256.
    assert row["type"] == "inception"
    assert row["params"] == str(12_352 + 18_528 + 110_720 + 3_088 + 12_832 + 6_176) == "163696"
    assert row["shape"] == "256x28x28"
    assert row["inputs"] == "pool2/3x3_s2"


def test_unet_nested_instance_at_each_depth():
    report = report_of("unet.yaml")

    def row(depth, name):
        stream = io.StringIO()
        write(report, "csv", stream, depth)
        return next(r for r in csv.DictReader(io.StringIO(stream.getvalue())) if r["name"] == name)

    # up4.conv, a double_conv 1024 -> 512 inside up4: 1024*512*9+512 = 4,719,104 and
    # 512*512*9+512 = 2,359,808: 7,078,912, two valid 3x3s: 56 -> 54 -> 52.
    assert (row(1, "up4.conv")["params"], row(1, "up4.conv")["shape"]) == ("7078912", "512x52x52")
    # up4 at depth 0 adds its 2x2 up-convolution 1024 -> 512: 1024*512*4+512 = 2,097,664.
    assert (row(0, "up4")["params"], row(0, "up4")["shape"]) == (str(7_078_912 + 2_097_664), "512x52x52")
    # up4 reads the bottom's output and, cropped, the skip from down4: both are rows at depth 0
    assert row(0, "up4")["inputs"] == "bottom down4"
    assert row(1, "up4.conv")["inputs"] == "up4.concat"
