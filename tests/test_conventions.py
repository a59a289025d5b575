"""Counting conventions (cnncalc/conventions/) on small networks, every figure worked by hand.

The arithmetic in the comments is each tool's, read from its source (the rule docstrings
cite the lines); tests/test_conventions_tools.py holds the same conventions to the tools
themselves where they are installed. These run without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import analyze_text

from cnncalc import conventions
from cnncalc.errors import UsageError
from cnncalc.interop import pytorch
from cnncalc.layers.base import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))

SMALL = """\
name: small
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}
  - batchnorm
  - relu
  - maxpool: 2
  - deconv: {filters: 2, kernel: 2, stride: 2}
  - global_avgpool
  - fc: 5
"""
# Shapes: conv 4x8x8 (256 values, 64 positions), batchnorm and relu the same, maxpool 4x4x4
# (64 values, 16 positions), deconv (4-1)*2 + 2 = 8: 2x8x8 (128 values, 64 positions),
# global_avgpool 2x1x1, fc 5. Params: conv 4*3*3*3 + 4 = 112, batchnorm 2*4 = 8,
# deconv 4*2*2*2 + 2 = 34, fc 2*5 + 5 = 15: 169.
# cnncalc's MACs: conv 64*4*3*9 = 6,912; deconv by input positions 16*4 * 2*4 = 512; fc 2*5 = 10.
EXPECTED = {
    "cnncalc": [6912, 0, 0, 0, 512, 0, 10],
    # 2 FLOPs per multiply-accumulate of conv, deconv and fc; nothing else
    "torch": [2 * 6912, 0, 0, 0, 2 * 512, 0, 2 * 10],
    # torchinfo: params times output positions for a conv (112*64 = 7,168; the deconv
    # 34*64 = 2,176, by its *output* positions), params once per example otherwise
    # (batchnorm 8, fc 15)
    "torchinfo": [7168, 8, 0, 0, 2176, 0, 15],
    # fvcore: MACs, batchnorm 2 per value in eval with affine (2*256), adaptive_avg_pool2d
    # one per input value (128)
    "fvcore": [6912, 2 * 256, 0, 0, 512, 128, 10],
    # ptflops: conv + bias 256 = 7,168; batchnorm 2*256; relu hook 256 + F.relu 256;
    # maxpool hook 256 (its input) + F.max_pool2d 256; deconv 512 + bias 128 = 640;
    # pooling hook 128 + F.adaptive_avg_pool2d 128; fc 10 + bias 5
    "ptflops": [7168, 512, 512, 512, 640, 256, 15],
    # thop: batchnorm 2*256*2 (affine) = 1,024; the deconv by output values 128 * C_in 4 *
    # k 4 = 2,048; adaptive pooling (64/1 + 1) * 2 = 130
    "thop": [6912, 1024, 0, 0, 2048, 130, 10],
    # calflops: conv 2*6,912 + bias 256 = 14,080; batchnorm 2*256; relu 256; maxpool its
    # input 256; deconv 2*(4*4*(2//1)*16) = 1,024 + bias 2 channels * ((4 - 2)//2 + 1)^2 = 8
    # (a convolution's output size); pooling 128; fc 2*10
    "calflops": [14080, 512, 256, 256, 1032, 128, 20],
}
UNITS = {"cnncalc": "MACs", "torch": "FLOPs", "torchinfo": "mult-adds", "fvcore": "flops"}
UNITS.update(ptflops="MACs", thop="MACs", calflops="FLOPs")


@pytest.mark.parametrize("name", conventions.NAMES)
def test_small_network_by_hand(name):
    counted = conventions.count(analyze_text(SMALL), name)
    assert [layer.count for layer in counted.layers] == EXPECTED[name]
    assert counted.total == sum(EXPECTED[name])
    assert counted.params == 169
    assert counted.convention.unit == UNITS[name]


def test_torchinfo_summary_lines_by_hand():
    counted = conventions.count(analyze_text(SMALL), "torchinfo")
    extra = {label.split(" (")[0]: (value, text) for label, value, text in counted.extra}
    # input: 3*8*8 float32 = 768 bytes + the storage object's 64 (sys.getsizeof)
    assert extra["Input size"] == (832, "0.00")
    # twice the outputs of the modules with parameters: (256 + 256 + 128 + 5) * 4 * 2
    assert extra["Forward/backward pass size"] == (5160, "0.01")
    assert extra["Params size"] == (169 * 4, "0.00")
    assert extra["Estimated Total Size"] == (832 + 5160 + 676, "0.01")
    # 9,367 mult-adds in millions: 0.009367
    assert extra["Total mult-adds"] == (9367, "0.01")


def test_the_batch_multiplies_what_each_tool_counts_for_the_batch():
    one, four = analyze_text(SMALL, batch=1), analyze_text(SMALL, batch=4)
    for name in ("torch", "torchinfo", "fvcore", "thop", "calflops"):
        assert conventions.count(four, name).total == 4 * conventions.count(one, name).total
    # cnncalc counts one example; ptflops divides its hooks by the batch, not the functions
    # it patches: relu 256 + 4*256, maxpool 256 + 4*256, pooling 128 + 4*128
    assert conventions.count(four, "cnncalc").total == 7434
    assert conventions.count(four, "ptflops").total == 9615 + 3 * (256 + 256 + 128)


def test_ptflops_upsample_hook_is_a_fraction_of_the_batch():
    # The hook counts output[0] (the first example: 2*8*8 = 128) and ptflops divides by the
    # batch of 3: 128/3; F.interpolate adds 3*2*4*4 values * int(2.0*2.0) = 384.
    report = analyze_text("input: [2, 4, 4]\nlayers: [{upsample: 2}]\n", batch=3)
    counted = conventions.count(report, "ptflops")
    assert counted.layers[0].count * 3 == 128 + 3 * 384
    assert counted.total == int(128 / 3 + 384)  # int() of the sum, as ptflops returns


def test_fvcore_drops_a_branch_the_output_does_not_use():
    # The aux head's conv runs, but the traced graph drops it as dead code.
    text = """\
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}
    name: trunk
  - conv: {filters: 2, kernel: 1}
    name: aux
  - conv: {filters: 2, kernel: 1}
    from: trunk
    name: head
"""
    counted = {layer.name: layer.count for layer in conventions.count(analyze_text(text), "fvcore").layers}
    # trunk 64*4*27 = 6,912, head 64*2*4 = 512; aux 0
    assert counted == {"trunk": 6912, "aux": 0, "head": 512}
    torch_counts = {layer.name: layer.count for layer in conventions.count(analyze_text(text), "torch").layers}
    assert torch_counts["aux"] == 2 * 512


def test_calflops_grouped_transposed_conv():
    # 4 -> 4 channels in 2 groups, 2x2 stride 2 on 3x3: cnncalc 9*4*(4/2)*4 = 288 MACs.
    # calflops divides the output channels per group (4/2 = 2) by the groups again: 2//2 = 1,
    # so 2*(4*4*1*9) = 288 FLOPs for 144 MACs; bias: 2 channels * ((3 - 2)//2 + 1)^2 = 2.
    report = analyze_text("input: [4, 3, 3]\nlayers: [{deconv: {filters: 4, kernel: 2, stride: 2, groups: 2}}]\n")
    assert conventions.count(report, "cnncalc").total == 288
    assert conventions.count(report, "calflops").total == 2 * 144 + 2
    assert conventions.count(report, "fvcore").total == 288


def test_torchinfo_counts_a_linear_on_a_map_once_per_example():
    # pointwise_fc 8 -> 16 on 4x4: 16 positions * 8*16 = 2,048 MACs; torchinfo: 8*16 + 16 = 144
    report = analyze_text("input: [8, 4, 4]\nlayers: [{pointwise_fc: 16}]\n")
    assert conventions.count(report, "cnncalc").total == 2048
    assert conventions.count(report, "torchinfo").total == 144
    # ptflops counts the bias once per position: 2,048 + 16*16
    assert conventions.count(report, "ptflops").total == 2048 + 256


def test_thop_does_not_count_what_it_has_no_hook_for():
    # groupnorm: no hook, so neither operations nor its 2*8 parameters; the conv's 8*4*9 + 8 = 296 are counted
    report = analyze_text("input: [4, 6, 6]\nlayers: [{conv: {filters: 8, kernel: 3}}, {groupnorm: 2}, sigmoid]\n")
    counted = conventions.count(report, "thop")
    assert [layer.count for layer in counted.layers] == [16 * 8 * 36, 0, 0]
    assert counted.params == 296 and report.totals.params == 296 + 16


def test_thop_softmax_and_adaptive_pool_arithmetic():
    # softmax over 10: 10 exp + 9 additions + 10 divisions = 29; adaptive pooling 5x5 -> 2x2:
    # int((2.5 * 2.5 + 1) * 3*2*2) = int(7.25 * 12) = 87
    softmax = analyze_text("input: [10]\nlayers: [softmax]\n")
    assert conventions.count(softmax, "thop").total == 29
    pooled = analyze_text("input: [3, 5, 5]\nlayers: [{adaptive_avgpool: 2}]\n")
    assert conventions.count(pooled, "thop").total == 87


def test_refusals_name_the_layer_and_the_reason():
    no_weights = analyze_text("input: [3, 8, 8]\nlayers: [relu]\n")
    with pytest.raises(UsageError, match="no parameters"):
        conventions.count(no_weights, "calflops")
    upsampled = analyze_text("input: [3, 8, 8]\nlayers: [{conv: {filters: 2, kernel: 1}}, {upsample: 2}]\n")
    with pytest.raises(UsageError, match='layer "upsample1" .*TypeError'):
        conventions.count(upsampled, "calflops")
    local = analyze_text("input: [3, 8, 8]\nlayers: [{local: {filters: 2, kernel: 3}}]\n")
    with pytest.raises(UsageError, match="no PyTorch form"):
        conventions.count(local, "thop")
    assert conventions.count(local, "cnncalc").total == 36 * 2 * 27
    with pytest.raises(UsageError, match="did you mean"):
        conventions.get("thopp")


def unique_type_classes() -> list:
    return sorted({type(layer_type) for layer_type in REGISTRY.values()}, key=lambda cls: cls.__name__)


@pytest.mark.parametrize("name", conventions.NAMES)
def test_every_layer_type_has_a_rule_with_its_arithmetic_and_source(name):
    convention = conventions.get(name)
    for cls in unique_type_classes():
        assert cls in convention.rules or (name != "cnncalc" and cls in pytorch.UNREPRESENTED), cls.__name__
        rule = convention.rules.get(cls)
        if rule is not None:
            assert conventions.summary_line(rule) and conventions.source_line(rule), (cls.__name__, rule.__name__)


def cnncalc(*args, stdin=None):
    return subprocess.run([CNNCALC, *args], capture_output=True, text=True, input=stdin, cwd=ROOT)


def test_summarize_count_as_in_every_format(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    table = cnncalc("summarize", str(path), "--count-as", "thop")
    assert table.returncode == 0, table.stderr
    assert "thop MACs" in table.stdout.splitlines()[2]
    assert "thop MACs    10,124 (10.1 K), params 169" in table.stdout
    data = json.loads(cnncalc("summarize", str(path), "--count-as", "thop", "--format", "json").stdout)
    assert data["convention"]["name"] == "thop" and data["convention"]["unit"] == "MACs"
    assert [layer["count"] for layer in data["layers"]] == EXPECTED["thop"]
    assert data["totals"]["count"] == 10124 and data["totals"]["macs"] == 7434
    csv = cnncalc("summarize", str(path), "--count-as", "torchinfo", "--format", "csv").stdout.splitlines()
    assert csv[0].endswith(",torchinfo_mult_adds,torchinfo_params")
    assert csv[1].endswith(",7168,112")
    markdown = cnncalc("summarize", str(path), "--count-as", "torch", "--format", "markdown").stdout
    assert "| torch params | torch FLOPs |" in markdown and "- **torch FLOPs**: 14,868" in markdown
    info = json.loads(cnncalc("summarize", str(path), "--count-as", "torchinfo", "--format", "json").stdout)
    assert info["convention"]["summary"]["Forward/backward pass size (MB)"] == 5160


def test_explain_gap(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    text = cnncalc("summarize", str(path), "--explain-gap", "thop").stdout
    assert "thop counts 10,124 MACs" in text and "cnncalc 7,434 MACs (7.43 K): +2,690" in text
    assert "deconv (+1,536):" in text  # 2,048 - 512
    data = json.loads(cnncalc("summarize", str(path), "--explain-gap", "thop", "--format", "json").stdout)
    by_type = {row["type"]: row for row in data["types"]}
    assert by_type["batchnorm"]["difference"] == 1024 and by_type["conv"]["difference"] == 0
    assert sum(row["difference"] for row in data["types"]) == data["totals"]["difference"] == 10124 - 7434
    refused = cnncalc("summarize", str(path), "--explain-gap", "thop", "--format", "csv")
    assert refused.returncode == 2 and "--format csv" in refused.stderr
    both = cnncalc("summarize", str(path), "--explain-gap", "thop", "--count-as", "torch")
    assert both.returncode == 2 and "not both" in both.stderr


def test_conventions_page_and_its_doc():
    text = cnncalc("conventions", "thop").stdout
    assert text.startswith("thop: thop.profile, in MACs")
    assert "basic_hooks.py count_normalization" in text
    data = json.loads(cnncalc("conventions", "--format", "json").stdout)
    assert [entry["name"] for entry in data] == list(conventions.NAMES)
    # docs/conventions.md is this page, written by `cnncalc conventions --format markdown`
    doc = (ROOT / "docs" / "conventions.md").read_text()
    assert doc == cnncalc("conventions", "--format", "markdown").stdout


def test_count_as_refuses_the_notes_format():
    result = cnncalc("summarize", "architectures/lenet5.yaml", "--count-as", "thop", "--format", "notes")
    assert result.returncode == 2 and "notes" in result.stderr
