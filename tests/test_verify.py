"""cnncalc verify: agreement on the zoo, disagreement caught, memory refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc.layers.base import lookup
from cnncalc.verify import verify_file

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = sorted((ROOT / "architectures").glob("*.yaml")) + sorted(
    (ROOT / "architectures" / "torchvision").glob("*.yaml")
)
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


# The networks the default suite verifies: about a second each at most, one of every kind
# of layer the zoo uses between them (plain convolutions and pooling, fully connected
# layers, local response normalisation, fire modules' concatenations, depthwise
# convolutions, squeeze-and-excitation products, hardswish, channel shuffles, adaptive
# pooling of uneven windows: GoogLeNet's auxiliary heads). `make test-all` verifies the rest.
FAST = {
    "lenet5",
    "homework_cnn",
    "cifar10_vgg",
    "alexnet",
    "alexnet_caffe",
    "zfnet",
    "squeezenet1_0",
    "mobilenet_v1",
    "torchvision/squeezenet1_1",
    "torchvision/mobilenet_v3_small",
    "torchvision/shufflenet_v2_x0_5",
    "torchvision/googlenet",
}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT / "architectures").with_suffix(""))


@pytest.mark.parametrize(
    "path",
    [p if _name(p) in FAST else pytest.param(p, marks=pytest.mark.slow) for p in ARCHITECTURES],
    ids=_name,
)
def test_every_figure_of_every_zoo_file_is_measured_and_agrees(path):
    result = verify_file(str(path))
    assert result.mismatches == [], [tuple(check) for check in result.mismatches]
    # Nothing in the zoo is beyond measuring: fields of any width (DenseNet-201's 3,863 pixels
    # on a 224 input), after statistics over the positions, after squeeze-and-excitation
    # gates, of token sequences made of a map, after attention's windows. A field left
    # unmeasured is a failure of the probe.
    assert result.unmeasured == [], [(check.layer, check.note) for check in result.unmeasured]


def test_the_widest_fields_are_measured_not_taken_from_the_report():
    # ResNet-152's last 3x3 convolution: 1,451 pixels on a 224 input, six times as wide as
    # it. By hand: the stem, conv 7 s2 (7) and maxpool 3 s2 (7 + 2*2 = 11, jump 4); stage 1,
    # 3 blocks of one 3x3 each at jump 4 (11 + 3*2*4 = 35); stage 2, a 3x3 s2 at jump 4 (43,
    # jump 8) and 7 more 3x3 at jump 8 (43 + 7*16 = 155); stage 3, a 3x3 s2 at jump 8 (171,
    # jump 16) and 35 more at jump 16 (171 + 35*32 = 1,291); stage 4, a 3x3 s2 at jump 16
    # (1,323, jump 32) and 2 more at jump 32 (1,323 + 2*64 = 1,451).
    from cnncalc.graph import build
    from cnncalc.probe import measure_fields
    from cnncalc.spec import read

    fields = measure_fields(build(read(str(ROOT / "architectures" / "resnet152.yaml"))))
    assert fields["layer4.2.conv2"].field.size == (1451, 1451)
    assert fields["layer4.2.conv2"].field.jump == (32, 32)


def test_a_wrong_report_is_caught(monkeypatch, tmp_path):
    # Break the report's conv MACs by one: the executor's own count must disagree.
    conv = lookup("conv")[0]
    honest = type(conv).macs
    monkeypatch.setattr(type(conv), "macs", lambda self, a, shapes, out: honest(self, a, shapes, out) + 1)
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\nlayers: [{conv: {filters: 4, kernel: 3}}]\n")
    result = verify_file(str(path))
    assert [(c.layer, c.field, c.expected, c.measured) for c in result.mismatches] == [("conv1", "macs", 3889, 3888)]


def test_exit_codes_and_json(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("input: [2, 10]\nlayers: [{conv: {filters: 3, kernel: 3}}, {upsample: 2}, relu, global_avgpool]\n")
    result = subprocess.run([CNNCALC, "verify", str(good), "--format", "json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["verified"] is True and data["mismatches"] == 0 and len(data["checks"]) == 4 * 5
    huge = tmp_path / "huge.yaml"
    # 2.7e9 input values, under the size limit; (2.7e9 + 0.9e9) * 4 bytes is far over 8 GiB
    huge.write_text("input: [3, 30000, 30000]\nlayers: [{conv: {filters: 1, kernel: 3}}]\n")
    refused = subprocess.run(
        [CNNCALC, "verify", str(huge), "--max-memory", "8GiB"], capture_output=True, text=True, timeout=10
    )
    assert refused.returncode == 2
    assert "GiB, more than the" in refused.stderr and "Traceback" not in refused.stderr
    small = subprocess.run([CNNCALC, "verify", str(good), "--max-memory", "1MiB"], capture_output=True, text=True)
    assert small.returncode == 2 and "more than the 1 MiB allowed" in small.stderr


def test_a_token_sequences_fields_are_measured_and_attention_makes_them_global():
    # ViT-B/32: the patch embedding (32x32 windows at stride 32) makes a 7x7 map, `tokens` its
    # 49 positions row after row. Along the image's rows, token j sees the 32 rows of patch
    # row j // 7: its field moves 32 pixels every 7 tokens (jump 32/7), and over those 7
    # tokens unit 0's center averages 15.5 - 3 * 32/7 = 1.7857...; along the columns, token j
    # sees the 32 columns of patch column j % 7: the fields come back every 7 tokens (jump 0),
    # centers 15.5 + 32 * (0..6), averaging 15.5 + 96 = 111.5. The class token put in front
    # moves every token one place on: start 1.7857 - 32/7 = -2.7857 along the rows, the same
    # average along the columns. The first self-attention reads every token: global, and
    # every layer after it.
    result = verify_file(str(ROOT / "architectures" / "torchvision" / "vit_b_32.yaml"))
    assert result.mismatches == [] and result.unmeasured == []
    fields = {check.layer: check.measured for check in result.checks if check.field == "receptive_field"}
    tokens = fields["tokens"]
    assert tokens.size == (32, 32)
    assert tokens.jump == (pytest.approx(32 / 7), 0)
    assert tokens.start == (pytest.approx(15.5 - 3 * 32 / 7), 111.5)
    shifted = fields["class_token"]
    assert shifted.size == (32, 32) and shifted.jump == (pytest.approx(32 / 7), 0)
    assert shifted.start == (pytest.approx(15.5 - 4 * 32 / 7), 111.5)
    assert fields["encoder.layers.encoder_layer_0.ln_1"] == shifted
    assert fields["encoder.layers.encoder_layer_0.self_attention"] == "global"
    assert fields["heads.head"] == "global"


def test_a_window_over_the_whole_map_is_measured(tmp_path):
    # Swin V2's last stage: windows of 8 over a 7x7 map, which torchvision pads to 8 and does
    # not shift (a shift is dropped where one window covers the map). Every unit reads all 7
    # positions; on larger maps the windows show (and shift). After a 4x4 stride-4 patch conv
    # (field 4, jump 4) and a first window attention (8 units: field 4 + 7*4 = 32), the second
    # one reads the same window: still 32, not one window further (which would be 64).
    path = tmp_path / "swin.yaml"
    path.write_text(
        "input: [3, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 4, stride: 4}\n"
        "  - attention: {heads: 2, window: 8, shift: 0, position_bias: table}\n"
        "  - attention: {heads: 2, window: 8, shift: 4, position_bias: table}\n"
    )
    result = verify_file(str(path))
    assert result.mismatches == [] and result.unmeasured == []
    fields = {check.layer: check.measured for check in result.checks if check.field == "receptive_field"}
    assert [field.size for field in fields.values()] == [(4, 4), (32, 32), (32, 32)]


def test_a_shifted_windows_field_is_measured_as_designed(tmp_path):
    # Swin's shifted windows on a 28x28 map, windows of 7 moved by 3: a unit reads the 7
    # positions of its window along each axis (clipped at the wrapped-around border: the
    # first 3 rows read rows 0-2 only). torchvision adds -100, not -inf, between a window's
    # wrapped parts; the probe zeroes their weights outright, so it measures the window and
    # agrees with the report; the executor keeps -100 for its values (as torchvision).
    path = tmp_path / "swin.yaml"
    path.write_text(
        "input: [8, 28, 28]\nlayers:\n  - attention: {heads: 2, window: 7, shift: 3, position_bias: table}\n"
    )
    result = verify_file(str(path))
    assert result.mismatches == [] and result.unmeasured == []
