"""The arithmetic of SPEC.md section 2, checked against figures worked out by hand.

Every expectation below comes from the contract (/work/shared/SPEC.md) and hand arithmetic
written beside it, never from cnncalc's own output. Notation, per spatial axis:

    out  = floor((W + P_before + P_after - D*(F-1) - 1) / S) + 1          conv, pooling
    same: out = ceil(W / S), total = max((out-1)*S + D*(F-1) + 1 - W, 0), P_before = total // 2
    deconv: out = (W-1)*S - P_before - P_after + D*(F-1) + output_padding + 1
    field: F_eff = D*(F-1) + 1, size = size_in + (F_eff-1)*jump_in, jump = jump_in*S,
           start = start_in + ((F_eff-1)/2 - P_before)*jump_in;  the input is size 1, jump 1, start 0.

A row is ``C(id, input, layers, expected...)``: ``layers`` is one YAML list item (a string) or
several; the expectations are checked on the last layer (or on the layer named by ``at``).
``rf`` is ``(size, jump, start)``, each a number for every axis or a tuple per axis, or "global".
"""

from __future__ import annotations

from math import ceil, floor, prod

import pytest

from cnncalc import graph, source, spec
from cnncalc import report as reporting
from cnncalc.errors import SpecError

# ----------------------------------------------------------------------------------------------------------------------
# harness


def analyze(text: str, batch: int = 1, dtype: str = "float32"):
    return reporting.analyze(graph.build(spec.parse(source.parse(text, "t.yaml"), "t.yaml")), batch, dtype)


def yaml_file(input_shape: str, layers) -> str:
    if isinstance(layers, str):
        layers = [layers]
    return f"input: {input_shape}\nlayers:\n" + "".join(f"  - {item}\n" for item in layers)


def C(id: str, input: str, layers, *, at=None, shape=None, params=None, macs=None, buffers=None, rf=None):
    expected = {"shape": shape, "params": params, "macs": macs, "buffers": buffers, "rf": rf}
    return pytest.param(input, layers, at, {k: v for k, v in expected.items() if v is not None}, id=id)


def axes(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, tuple) else (value,) * n


def check_layer(layer, expected: dict) -> None:
    if "shape" in expected:
        assert tuple(layer.shape) == tuple(expected["shape"]), "shape"
    if "params" in expected:
        assert layer.params == expected["params"], "params"
        assert layer.trainable_params == expected["params"], "trainable_params"
    if "macs" in expected:
        assert layer.macs == expected["macs"], "macs"
    if "buffers" in expected:
        assert layer.buffers == expected["buffers"], "buffers"
    if "rf" in expected:
        want, got = expected["rf"], layer.receptive_field
        if want == "global":
            assert got == "global", "receptive field"
            return
        assert got != "global", "receptive field"
        n = len(got.size)
        size, jump, start = (axes(v, n) for v in want)
        assert tuple(got.size) == size, "receptive field size"
        assert tuple(got.jump) == jump, "receptive field jump"
        assert [float(s) for s in got.start] == pytest.approx([float(s) for s in start]), "receptive field start"


def run_row(input, layers, at, expected):
    report = analyze(yaml_file(input, layers))
    layer = report.layers[-1] if at is None else next(layer for layer in report.layers if layer.name == at)
    check_layer(layer, expected)


# The tables are laid out by hand, one row per case with its arithmetic beside it.
# fmt: off

# ----------------------------------------------------------------------------------------------------------------------
# conv, 2-D

CONV_2D = [
    # out = floor((32 + 0 - 1*(5-1) - 1)/1) + 1 = 28; start = (5-1)/2 - 0 = 2
    C("conv-plain", "[3, 32, 32]", "conv: {filters: 8, kernel: 5}",
      shape=(8, 28, 28), params=(5*5*3 + 1) * 8, macs=8*28*28 * 3 * 5*5, rf=(5, 1, 2)),
    # CS231n: 32x32x3, ten 5x5 filters, stride 1, pad 2 -> 32x32x10, 760 params;
    # out = floor((32 + 2*2 - 1*(5-1) - 1)/1) + 1 = 32; start = 2 - 2 = 0
    C("conv-pad2-cs231n", "[3, 32, 32]", "conv: {filters: 10, kernel: 5, padding: 2}",
      shape=(10, 32, 32), params=(5*5*3 + 1) * 10, macs=10*32*32 * 3*5*5, rf=(5, 1, 0)),
    # out = floor((224 + 2 - 2 - 1)/2) + 1 = floor(223/2) + 1 = 112; start = 1 - 1 = 0
    C("conv-stride2-pad1", "[3, 224, 224]", "conv: {filters: 64, kernel: 3, stride: 2, padding: 1}",
      shape=(64, 112, 112), params=(3*3*3 + 1) * 64, macs=64*112*112 * 3*3*3, rf=(3, 2, 0)),
    # CS231n AlexNet CONV1: out = floor((227 - 10 - 1)/4) + 1 = 55; start = (11-1)/2 = 5
    C("conv-alexnet-conv1", "[3, 227, 227]", "conv: {filters: 96, kernel: 11, stride: 4}",
      shape=(96, 55, 55), params=(11*11*3 + 1) * 96, macs=96*55*55 * 11*11*3, rf=(11, 4, 5)),
    # dilation 2: F_eff = 2*(3-1) + 1 = 5; out = floor((32 - 2*(3-1) - 1)/1) + 1 = 28; start = (5-1)/2 = 2
    C("conv-dilation2", "[1, 32, 32]", "conv: {filters: 4, kernel: 3, dilation: 2}",
      shape=(4, 28, 28), params=4 * 1 * 3*3 + 4, macs=4*28*28 * 1 * 3*3, rf=(5, 1, 2)),
    # H: floor((20 + 2 - 2 - 1)/1) + 1 = 20;  W: floor((21 + 4 - 4 - 1)/2) + 1 = 11
    # start H: (3-1)/2 - 1 = 0; W: (5-1)/2 - 2 = 0
    C("conv-per-axis-lists", "[2, 20, 21]", "conv: {filters: 6, kernel: [3, 5], stride: [1, 2], padding: [1, 2]}",
      shape=(6, 20, 11), params=6 * 2 * 3*5 + 6, macs=6*20*11 * 2 * 3*5, rf=((3, 5), (1, 2), (0, 0))),
    # dilation [1, 3]: F_eff H = 3, W = 3*(3-1) + 1 = 7; H: 20 - 2 = 18; W: floor(20 - 6 - 1) + 1 = 14
    C("conv-dilation-per-axis", "[1, 20, 20]", "conv: {filters: 1, kernel: 3, dilation: [1, 3], bias: false}",
      shape=(1, 18, 14), params=1 * 1 * 3*3, macs=18*14 * 3*3, rf=((3, 7), 1, (1, 3))),
    # H: floor((8 + 1 + 0 - 2 - 1)/1) + 1 = 7; W: floor((8 + 0 + 2 - 2 - 1)/1) + 1 = 8; start H 1-1=0, W 1-0=1
    C("conv-asym-pad", "[1, 8, 8]", "conv: {filters: 1, kernel: 3, padding: [[1, 0], [0, 2]]}",
      shape=(1, 7, 8), params=9 + 1, macs=7*8 * 9, rf=(3, 1, (0, 1))),
    # H: floor((10 + 0 + 1 - 3)/2) + 1 = 5; W: floor((10 + 2 + 0 - 3)/2) + 1 = floor(9/2) + 1 = 5
    # start H: 1 - 0 = 1; W: 1 - 2 = -1 (negative)
    C("conv-asym-pad-stride2-negative-start", "[1, 10, 10]",
      "conv: {filters: 2, kernel: 3, stride: 2, padding: [[0, 1], [2, 0]]}",
      shape=(2, 5, 5), params=2 * 9 + 2, macs=2*5*5 * 9, rf=(3, 2, (1, -1))),
    # kernel 5, padding 1 on 4: floor((4 + 2 - 4 - 1)/1) + 1 = 2: the kernel fits thanks to the padding
    C("conv-fits-with-padding", "[3, 4, 4]", "conv: {filters: 1, kernel: 5, padding: 1}",
      shape=(1, 2, 2), params=75 + 1, macs=2*2 * 75, rf=(5, 1, 2 - 1)),
    # valid = no padding: floor((32 - 4 - 1)/2) + 1 = 14; start 2
    C("conv-valid", "[3, 32, 32]", "conv: {filters: 6, kernel: 5, stride: 2, padding: valid}",
      shape=(6, 14, 14), params=6 * 75 + 6, macs=6*14*14 * 75, rf=(5, 2, 2)),
    # padding_mode changes what fills the border, not the arithmetic
    C("conv-padding-mode-reflect", "[3, 8, 8]", "conv: {filters: 2, kernel: 3, padding: 1, padding_mode: reflect}",
      shape=(2, 8, 8), params=2 * 27 + 2, macs=2*8*8 * 27, rf=(3, 1, 0)),
    C("conv-in-channels-given", "[3, 8, 8]", "conv: {filters: 2, kernel: 3, in_channels: 3}",
      shape=(2, 6, 6), params=2 * 27 + 2, macs=2*6*6 * 27),
    # stride larger than kernel: floor((10 - 2)/3) + 1 = 3; start 1/2
    C("conv-stride-beyond-kernel", "[1, 10, 10]", "conv: {filters: 1, kernel: 2, stride: 3}",
      shape=(1, 3, 3), params=5, macs=3*3 * 4, rf=(2, 3, 0.5)),
    # padding per axis mixing a number and a pair: H 6 + 1 + 1 - 3 + 1 = 6; W 6 + 0 + 2 - 3 + 1 = 6; start (0, 1)
    C("conv-pad-number-and-pair", "[1, 6, 6]", "conv: {filters: 1, kernel: 3, padding: [1, [0, 2]]}",
      shape=(1, 6, 6), params=10, macs=6*6 * 9, rf=(3, 1, (0, 1))),
    C("conv-bias-false", "[3, 32, 32]", "conv: {filters: 16, kernel: 3, bias: false}",
      shape=(16, 30, 30), params=16 * 3 * 3*3, macs=16*30*30 * 3 * 3*3),
    C("conv-pointwise", "[64, 56, 56]", "conv: {filters: 256, kernel: 1}",
      shape=(256, 56, 56), params=64*256 + 256, macs=256*56*56 * 64, rf=(1, 1, 0)),
]

# ----------------------------------------------------------------------------------------------------------------------
# same padding (TensorFlow's split: P_before = total // 2)

SAME = [
    # out = ceil(17/1) = 17; total = max(16*1 + 1*(3-1) + 1 - 17, 0) = 2; P_before = 1; start = 1 - 1 = 0
    C("same-k3-s1", "[3, 17, 17]", "conv: {filters: 4, kernel: 3, padding: same}",
      shape=(4, 17, 17), params=4 * 27 + 4, macs=4*17*17 * 27, rf=(3, 1, 0)),
    # even kernel: out = 10; total = 9 + 3 + 1 - 10 = 3; P_before = 3//2 = 1 (after 2); start = 3/2 - 1 = 0.5
    C("same-k4-s1", "[1, 10, 10]", "conv: {filters: 1, kernel: 4, padding: same}",
      shape=(1, 10, 10), params=16 + 1, macs=10*10 * 16, rf=(4, 1, 0.5)),
    # out = ceil(10/2) = 5; total = 4*2 + 2 + 1 - 10 = 1; P_before = 0; start = 1 - 0 = 1
    C("same-k3-s2-even-w", "[1, 10, 10]", "conv: {filters: 1, kernel: 3, stride: 2, padding: same}",
      shape=(1, ceil(10/2), ceil(10/2)), params=10, macs=5*5 * 9, rf=(3, 2, 1)),
    # out = ceil(11/2) = 6; total = 5*2 + 2 + 1 - 11 = 2; P_before = 1; start = 1 - 1 = 0
    C("same-k3-s2-odd-w", "[1, 11, 11]", "conv: {filters: 1, kernel: 3, stride: 2, padding: same}",
      shape=(1, 6, 6), params=10, macs=6*6 * 9, rf=(3, 2, 0)),
    # out = ceil(9/2) = 5; total = 4*2 + 5 + 1 - 9 = 5; P_before = 2 (after 3); start = 5/2 - 2 = 0.5
    C("same-k6-s2-odd-total", "[1, 9, 9]", "conv: {filters: 1, kernel: 6, stride: 2, padding: same}",
      shape=(1, 5, 5), params=36 + 1, macs=5*5 * 36, rf=(6, 2, 0.5)),
    # out = ceil(10/3) = 4; total = 3*3 + 4 + 1 - 10 = 4; P_before = 2; start = 2 - 2 = 0
    C("same-k5-s3", "[1, 10, 10]", "conv: {filters: 1, kernel: 5, stride: 3, padding: same}",
      shape=(1, ceil(10/3), ceil(10/3)), params=26, macs=4*4 * 25, rf=(5, 3, 0)),
    # out = ceil(7/3) = 3; total = 2*3 + 1 + 1 - 7 = 1; P_before = 0 (after 1); start = 1/2 - 0 = 0.5
    C("same-k2-s3", "[1, 7, 7]", "conv: {filters: 1, kernel: 2, stride: 3, padding: same}",
      shape=(1, 3, 3), params=5, macs=3*3 * 4, rf=(2, 3, 0.5)),
    # out = ceil(8/4) = 2; total = max(1*4 + 1 + 1 - 8, 0) = max(-2, 0) = 0; start = 0.5
    C("same-total-clamped-to-0", "[1, 8, 8]", "conv: {filters: 1, kernel: 2, stride: 4, padding: same}",
      shape=(1, 2, 2), params=5, macs=2*2 * 4, rf=(2, 4, 0.5)),
    # out = ceil(16/1) = 16; total = 15 + 2*(3-1) + 1 - 16 = 4; P_before = 2; F_eff 5; start = 2 - 2 = 0
    C("same-dilated-s1", "[1, 16, 16]", "conv: {filters: 1, kernel: 3, dilation: 2, padding: same}",
      shape=(1, 16, 16), params=10, macs=16*16 * 9, rf=(5, 1, 0)),
    # out = ceil(9/2) = 5; total = 4*2 + 3*(2-1) + 1 - 9 = 3; P_before = 1; F_eff 4; start = 3/2 - 1 = 0.5
    C("same-dilated-s2", "[1, 9, 9]", "conv: {filters: 1, kernel: 2, dilation: 3, stride: 2, padding: same}",
      shape=(1, 5, 5), params=5, macs=5*5 * 4, rf=(4, 2, 0.5)),
    # H: out = ceil(6/2) = 3, total = 2*2 + 2 + 1 - 6 = 1, P_before 0, start 1 - 0 = 1
    # W: out = ceil(7/1) = 7, total = 6 + 3 + 1 - 7 = 3, P_before 1, start 3/2 - 1 = 0.5
    C("same-per-axis", "[1, 6, 7]", "conv: {filters: 1, kernel: [3, 4], stride: [2, 1], padding: same}",
      shape=(1, 3, 7), params=12 + 1, macs=3*7 * 12, rf=((3, 4), (2, 1), (1, 0.5))),
    # 1-D: out = ceil(11/3) = 4; total = 3*3 + 2 + 1 - 11 = 1; P_before 0; start 1
    C("same-1d-k3-s3", "[1, 11]", "conv: {filters: 1, kernel: 3, stride: 3, padding: same}",
      shape=(1, 4), params=4, macs=4 * 3, rf=(3, 3, 1)),
    # 1-D: out = ceil(9/2) = 5; total = 4*2 + 3 + 1 - 9 = 3; P_before 1; start 3/2 - 1 = 0.5
    C("same-1d-k4-s2", "[2, 9]", "conv: {filters: 3, kernel: 4, stride: 2, padding: same}",
      shape=(3, 5), params=3 * 2 * 4 + 3, macs=3*5 * 2 * 4, rf=(4, 2, 0.5)),
    # 3-D, out = ceil((5, 6, 7)/2) = (3, 3, 4); totals D 2*2+3-5 = 2, H 2*2+3-6 = 1, W 3*2+3-7 = 2
    # P_before (1, 0, 1); start (1-1, 1-0, 1-1) = (0, 1, 0)
    C("same-3d-s2", "[1, 5, 6, 7]", "conv: {filters: 1, kernel: 3, stride: 2, padding: same, bias: false}",
      shape=(1, 3, 3, 4), params=27, macs=3*3*4 * 27, rf=(3, 2, (0, 1, 0))),
    # maxpool same: out = ceil(7/2) = 4; total = 3*2 + 2 + 1 - 7 = 2; P_before 1; start 0
    C("same-maxpool", "[1, 7, 7]", "maxpool: {kernel: 3, stride: 2, padding: same}",
      shape=(1, 4, 4), params=0, macs=0, rf=(3, 2, 0)),
]

# ----------------------------------------------------------------------------------------------------------------------
# groups, depthwise

GROUPS = [
    # params = C_out * (C_in/groups) * prod(F) + C_out
    C("groups-2", "[4, 8, 8]", "conv: {filters: 8, kernel: 3, padding: 1, groups: 2}",
      shape=(8, 8, 8), params=8 * (4//2) * 9 + 8, macs=8*8*8 * (4//2) * 9),
    C("groups-4-pointwise", "[8, 5, 5]", "conv: {filters: 12, kernel: 1, groups: 4}",
      shape=(12, 5, 5), params=12 * (8//4) * 1 + 12, macs=12*5*5 * (8//4)),
    # MobileNet depthwise 3x3: groups = C_in
    C("depthwise", "[32, 112, 112]", "conv: {filters: 32, kernel: 3, padding: 1, groups: 32, bias: false}",
      shape=(32, 112, 112), params=32 * 1 * 9, macs=32*112*112 * 1 * 9, rf=(3, 1, 0)),
    # out = floor((112 + 2 - 3)/2) + 1 = 56
    C("depthwise-stride2", "[64, 112, 112]", "conv: {filters: 64, kernel: 3, stride: 2, padding: 1, groups: 64}",
      shape=(64, 56, 56), params=64 * 1 * 9 + 64, macs=64*56*56 * 1 * 9, rf=(3, 2, 0)),
    # depth multiplier 2: 32 filters over 16 groups
    C("depthwise-multiplier2", "[16, 10, 10]", "conv: {filters: 32, kernel: 3, groups: 16}",
      shape=(32, 8, 8), params=32 * 1 * 9 + 32, macs=32*8*8 * 1 * 9),
]

# ----------------------------------------------------------------------------------------------------------------------
# conv, 1-D and 3-D

CONV_1D_3D = [
    # out = floor((100 + 4 - 6 - 1)/3) + 1 = floor(97/3) + 1 = 33; start = 3 - 2 = 1
    C("conv1d", "[1, 100]", "conv: {filters: 4, kernel: 7, stride: 3, padding: 2}",
      shape=(4, 33), params=4 * 1 * 7 + 4, macs=4*33 * 7, rf=(7, 3, 1)),
    # F_eff = 4*(3-1) + 1 = 9; out = floor((20 + 3 + 5 - 8 - 1)/1) + 1 = 20; start = 4 - 3 = 1
    C("conv1d-dilated-asym-pad", "[1, 20]", "conv: {filters: 1, kernel: 3, dilation: 4, padding: [[3, 5]]}",
      shape=(1, 20), params=3 + 1, macs=20 * 3, rf=(9, 1, 1)),
    C("conv1d-groups", "[4, 16]", "conv: {filters: 8, kernel: 5, groups: 4, padding: valid}",
      shape=(8, 12), params=8 * 1 * 5 + 8, macs=8*12 * 1 * 5, rf=(5, 1, 2)),
    # C3D: out = floor((16 + 2 - 2 - 1)/1) + 1 = 16 (and 112)
    C("conv3d", "[3, 16, 112, 112]", "conv: {filters: 64, kernel: 3, padding: 1}",
      shape=(64, 16, 112, 112), params=64 * 3 * 27 + 64, macs=64*16*112*112 * 3*27, rf=(3, 1, 0)),
    # D: floor((8 - 2 - 1)/2) + 1 = 3; H: 9; W: floor((10 + 4 - 4 - 1)/2) + 1 = 5; start (1, 0, 2 - 2)
    C("conv3d-per-axis", "[1, 8, 9, 10]",
      "conv: {filters: 2, kernel: [3, 1, 5], stride: [2, 1, 2], padding: [0, 0, 2]}",
      shape=(2, 3, 9, 5), params=2 * 1 * 15 + 2, macs=2*3*9*5 * 15, rf=((3, 1, 5), (2, 1, 2), (1, 0, 0))),
    # F_eff = 2*(2-1) + 1 = 3; D: 6 + 1 + 0 - 2 - 1 + 1 = 5; H: 6 + 0 + 1 - 3 + 1 = 5; W: 6 + 2 - 3 + 1 = 6
    # start = 1 - P_before = (0, 1, 0)
    C("conv3d-asym-dilated-groups", "[4, 6, 6, 6]",
      "conv: {filters: 4, kernel: 2, dilation: 2, groups: 2, padding: [[1, 0], [0, 1], [1, 1]]}",
      shape=(4, 5, 5, 6), params=4 * 2 * 8 + 4, macs=4*5*5*6 * 2 * 8, rf=(3, 1, (0, 1, 0))),
]

# ----------------------------------------------------------------------------------------------------------------------
# deconv: params C_in*(C_out/groups)*prod(F) + C_out; MACs prod(in_shape)*(C_out/groups)*prod(F)

DECONV = [
    # out = (8-1)*2 - 1 - 1 + 1*(4-1) + 0 + 1 = 16
    C("deconv-k4-s2-p1", "[16, 8, 8]", "deconv: {filters: 8, kernel: 4, stride: 2, padding: 1}",
      shape=(8, 16, 16), params=16 * 8 * 16 + 8, macs=16*8*8 * 8 * 16),
    # out = (7-1)*2 - 1 - 1 + 1*(3-1) + 1 + 1 = 14
    C("deconv-output-padding", "[4, 7, 7]", "deconv: {filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
      shape=(2, 14, 14), params=4 * 2 * 9 + 2, macs=4*7*7 * 2 * 9),
    # out = (5-1)*1 + 2 + 1 = 7
    C("deconv-groups", "[8, 5, 5]", "deconv: {filters: 4, kernel: 3, groups: 2}",
      shape=(4, 7, 7), params=8 * (4//2) * 9 + 4, macs=8*5*5 * (4//2) * 9),
    # out = (10-1)*3 + 2*(3-1) + 1 = 32
    C("deconv1d-dilated", "[2, 10]", "deconv: {filters: 3, kernel: 3, stride: 3, dilation: 2}",
      shape=(3, 32), params=2 * 3 * 3 + 3, macs=2*10 * 3 * 3),
    # out = (W-1)*2 + 1 + 1: D 4, H 6, W 8
    C("deconv3d", "[4, 2, 3, 4]", "deconv: {filters: 2, kernel: 2, stride: 2}",
      shape=(2, 4, 6, 8), params=4 * 2 * 8 + 2, macs=4*2*3*4 * 2 * 8),
    # H: (5-1)*2 - 1 - 0 + 2 + 1 = 10; W: (5-1)*2 - 0 - 2 + 2 + 1 = 9
    C("deconv-asym-pad", "[1, 5, 5]", "deconv: {filters: 1, kernel: 3, stride: 2, padding: [[1, 0], [0, 2]]}",
      shape=(1, 10, 9), params=1 * 1 * 9 + 1, macs=5*5 * 1 * 9),
    # out = (4-1)*2 + 1 + 1 = 8
    C("deconv-bias-false", "[3, 4, 4]", "deconv: {filters: 6, kernel: 2, stride: 2, bias: false}",
      shape=(6, 8, 8), params=3 * 6 * 4, macs=3*4*4 * 6 * 4),
    # out = (4-1)*2 - 2 - 2 + 2*(3-1) + 0 + 1 = 7
    C("deconv-dilated-padded", "[1, 4, 4]", "deconv: {filters: 1, kernel: 3, stride: 2, padding: 2, dilation: 2}",
      shape=(1, 7, 7), params=1 * 1 * 9 + 1, macs=4*4 * 1 * 9),
    # H: (3-1)*1 + 2 + 0 + 1 = 5; W: (5-1)*2 + 0 + 1 + 1 = 10
    C("deconv-per-axis", "[2, 3, 5]", "deconv: {filters: 2, kernel: [3, 1], stride: [1, 2], output_padding: [0, 1]}",
      shape=(2, 5, 10), params=2 * 2 * 3 + 2, macs=2*3*5 * 2 * 3),
]

# ----------------------------------------------------------------------------------------------------------------------
# local: a conv whose weights are not shared, every output unit has its own kernel and bias

LOCAL = [
    # CS231n AlexNet CONV1 without parameter sharing: 55*55*96 neurons * (11*11*3 + 1) = 105,705,600
    # (versus (11*11*3 + 1) * 96 = 34,944 with sharing, row conv-alexnet-conv1)
    C("local-alexnet-conv1", "[3, 227, 227]", "local: {filters: 96, kernel: 11, stride: 4}",
      shape=(96, 55, 55), params=55*55*96 * (11*11*3 + 1), macs=96*55*55 * 11*11*3, rf=(11, 4, 5)),
    C("local-bias-false", "[2, 5, 5]", "local: {filters: 3, kernel: 3, bias: false}",
      shape=(3, 3, 3), params=3*3*3 * (2 * 3*3), macs=3*3*3 * 2 * 3*3, rf=(3, 1, 1)),
    # out = floor((10 + 2 - 3)/2) + 1 = 5
    C("local1d", "[1, 10]", "local: {filters: 2, kernel: 3, stride: 2, padding: 1}",
      shape=(2, 5), params=2*5 * (1*3 + 1), macs=2*5 * 3, rf=(3, 2, 0)),
    C("local3d", "[1, 3, 3, 3]", "local: {filters: 1, kernel: 2}",
      shape=(1, 2, 2, 2), params=2*2*2 * (2*2*2 + 1), macs=2*2*2 * 8, rf=(2, 1, 0.5)),
]

# ----------------------------------------------------------------------------------------------------------------------
# pooling

POOL = [
    # stride defaults to the kernel: floor((224 - 2)/2) + 1 = 112; start = 1/2
    C("maxpool-2", "[64, 224, 224]", "maxpool: 2",
      shape=(64, 112, 112), params=0, macs=0, rf=(2, 2, 0.5)),
    # AlexNet overlapping pool: floor((55 - 3)/2) + 1 = 27
    C("maxpool-k3-s2", "[96, 55, 55]", "maxpool: {kernel: 3, stride: 2}",
      shape=(96, 27, 27), params=0, macs=0, rf=(3, 2, 1)),
    # floor((10 - 3)/3) + 1 = 3
    C("maxpool-stride-defaults-to-kernel", "[1, 10, 10]", "maxpool: 3",
      shape=(1, 3, 3), rf=(3, 3, 1)),
    # ResNet stem: floor((112 + 2 - 3)/2) + 1 = 56; start = 1 - 1 = 0
    C("maxpool-padding", "[64, 112, 112]", "maxpool: {kernel: 3, stride: 2, padding: 1}",
      shape=(64, 56, 56), rf=(3, 2, 0)),
    # F_eff = 2*(3-1) + 1 = 5: floor((10 - 4 - 1)/1) + 1 = 6
    C("maxpool-dilation", "[1, 10, 10]", "maxpool: {kernel: 3, stride: 1, dilation: 2}",
      shape=(1, 6, 6), rf=(5, 1, 2)),
    # H floor((8 - 2)/2) + 1 = 4; W floor((9 + 2 - 3)/1) + 1 = 9
    C("maxpool-per-axis", "[2, 8, 9]", "maxpool: {kernel: [2, 3], stride: [2, 1], padding: [[0, 0], [1, 1]]}",
      shape=(2, 4, 9), rf=((2, 3), (2, 1), (0.5, 0))),
    # GoogLeNet: ceil((112 - 3)/2) + 1 = 56 (floor would give 55); (56-1)*2 = 110 >= 112 + 0? no: keep
    C("maxpool-ceil-googlenet", "[64, 112, 112]", "maxpool: {kernel: 3, stride: 2, ceil_mode: true}",
      shape=(64, ceil((112 - 3)/2) + 1, ceil((112 - 3)/2) + 1), rf=(3, 2, 1)),
    # ceil((7 - 2)/2) + 1 = 4 (floor: 3); (4-1)*2 = 6 >= 7? no: keep
    C("maxpool-ceil-partial-window", "[1, 7, 7]", "maxpool: {kernel: 2, ceil_mode: true}",
      shape=(1, 4, 4)),
    # ceil((5 + 2 - 2)/2) + 1 = 4; the last window starts at (4-1)*2 = 6 >= 5 + 1, inside the right padding: 3
    C("maxpool-ceil-drop-last", "[1, 5, 5]", "maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}",
      shape=(1, 3, 3)),
    # H as above -> 3; W: ceil((6 + 2 - 2)/2) + 1 = 4, (4-1)*2 = 6 >= 6 + 1? no: keep 4
    C("maxpool-ceil-drop-one-axis", "[1, 5, 6]", "maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}",
      shape=(1, 3, 4)),
    # 1-D: ceil((10 + 2 - 3)/2) + 1 = 6 (floor: 5); (6-1)*2 = 10 >= 10 + 1? no: keep
    C("maxpool1d-ceil-padding", "[1, 10]", "maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}",
      shape=(1, 6), rf=(3, 2, 0)),
    # floor((3 - 2)/2) + 1 = 1; floor((8 - 2)/2) + 1 = 4
    C("maxpool3d", "[2, 3, 8, 8]", "maxpool: 2",
      shape=(2, 1, 4, 4), rf=(2, 2, 0.5)),
    C("maxpool3d-per-axis", "[2, 3, 8, 8]", "maxpool: {kernel: [1, 2, 2]}",
      shape=(2, 3, 4, 4), rf=((1, 2, 2), (1, 2, 2), (0, 0.5, 0.5))),
    # F_eff = 2*(3-1) + 1 = 5: ceil((10 - 4 - 1)/2) + 1 = ceil(2.5) + 1 = 4; (4-1)*2 = 6 >= 10? no: keep
    C("maxpool1d-ceil-dilation", "[1, 10]", "maxpool: {kernel: 3, stride: 2, dilation: 2, ceil_mode: true}",
      shape=(1, 4), rf=(5, 2, 2)),
    C("avgpool-2", "[8, 14, 14]", "avgpool: 2",
      shape=(8, 7, 7), params=0, macs=0, rf=(2, 2, 0.5)),
    # floor((14 + 2 - 3)/1) + 1 = 14
    C("avgpool-same-size", "[8, 14, 14]", "avgpool: {kernel: 3, stride: 1, padding: 1, count_include_pad: false}",
      shape=(8, 14, 14), rf=(3, 1, 0)),
    # ceil((5 - 2)/2) + 1 = 3; (3-1)*2 = 4 >= 5? no: keep
    C("avgpool3d-ceil", "[2, 5, 5, 5]", "avgpool: {kernel: 2, ceil_mode: true}",
      shape=(2, 3, 3, 3), rf=(2, 2, 0.5)),
    C("avgpool-valid", "[1, 7, 7]", "avgpool: {kernel: 2, padding: valid}", shape=(1, 3, 3), rf=(2, 2, 0.5)),
    # stride = kernel = 2: out = ceil(7/2) = 4; total = 3*2 + 1 + 1 - 7 = 1; P_before 0; start 0.5
    C("avgpool-same", "[1, 7, 7]", "avgpool: {kernel: 2, padding: same}", shape=(1, 4, 4), rf=(2, 2, 0.5)),
    # ceil((3 + 2 - 2)/2) + 1 = 3; (3-1)*2 = 4 >= 3 + 1: dropped -> 2
    C("avgpool-ceil-drop-last", "[1, 3, 3]", "avgpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}",
      shape=(1, 2, 2)),
    # floor((9 - 4)/2) + 1 = 3; start = 3/2 = 1.5
    C("avgpool1d", "[4, 9]", "avgpool: {kernel: 4, stride: 2}",
      shape=(4, 3), rf=(4, 2, 1.5)),
    # floor((9 - 3)/3) + 1 = 3
    C("lppool", "[4, 9, 9]", "lppool: 3",
      shape=(4, 3, 3), params=0, macs=0, rf=(3, 3, 1)),
    # floor((9 - 3)/2) + 1 = 4
    C("lppool-stride-norm1", "[4, 9, 9]", "lppool: {kernel: 3, stride: 2, norm: 1}",
      shape=(4, 4, 4), rf=(3, 2, 1)),
    # ceil((10 - 3)/3) + 1 = 4; (4-1)*3 = 9 >= 10? no: keep
    C("lppool1d-ceil", "[1, 10]", "lppool: {kernel: 3, ceil_mode: true}",
      shape=(1, 4)),
    C("global-avgpool", "[512, 7, 7]", "global_avgpool",
      shape=(512, 1, 1), params=0, macs=0, rf="global"),
    C("global-avgpool-1d", "[16, 50]", "global_avgpool",
      shape=(16, 1), rf="global"),
    C("global-avgpool-3d", "[8, 4, 4, 4]", "global_avgpool",
      shape=(8, 1, 1, 1), rf="global"),
    C("global-maxpool", "[3, 5, 6]", "global_maxpool",
      shape=(3, 1, 1), params=0, rf="global"),
    C("global-maxpool-after-conv", "[3, 8, 8]", ["conv: {filters: 5, kernel: 3}", "global_maxpool"],
      shape=(5, 1, 1), params=0, rf="global"),
]

# ----------------------------------------------------------------------------------------------------------------------
# fc, flatten

FC = [
    C("flatten", "[64, 4, 4]", "flatten", shape=(64*4*4,), params=0, macs=0, rf="global"),
    C("flatten-1d", "[3, 10]", "flatten", shape=(3*10,), rf="global"),
    C("flatten-3d", "[2, 3, 4, 5]", "flatten", shape=(2*3*4*5,), rf="global"),
    # in = 3*4*4 = 48
    C("fc-flat", "[3, 4, 4]", ["flatten", "fc: 10"],
      shape=(10,), params=48*10 + 10, macs=48*10, rf="global"),
    # VGG-16 fc6 on a non-flat input: in = 512*7*7 = 25088
    C("fc-non-flat", "[512, 7, 7]", "fc: 4096",
      shape=(4096,), params=512*7*7 * 4096 + 4096, macs=512*7*7 * 4096, rf="global"),
    C("fc-bias-false", "[3, 4, 4]", ["flatten", "fc: {units: 5, bias: false}"],
      shape=(5,), params=48*5, macs=48*5),
    C("fc-non-flat-1d", "[8, 10]", "fc: 3", shape=(3,), params=8*10 * 3 + 3, macs=8*10 * 3, rf="global"),
    C("fc-non-flat-3d", "[2, 2, 2, 2]", "fc: 4", shape=(4,), params=16 * 4 + 4, macs=16 * 4),
    C("fc-after-global-pool", "[512, 7, 7]", ["global_avgpool", "fc: 1000"],
      shape=(1000,), params=512 * 1000 + 1000, macs=512 * 1000, rf="global"),
    C("fc-after-fc", "[3, 4, 4]", ["flatten", "fc: 10", "fc: 2"], shape=(2,), params=10*2 + 2, macs=10*2),
]

# ----------------------------------------------------------------------------------------------------------------------
# element-wise layers: same shape, same receptive field as the layer below, no MACs

CONV5 = "conv: {filters: 8, kernel: 5}"  # [3, 32, 32] -> [8, 28, 28], field (5, 1, 2)

ELEMENTWISE = [
    *[
        C(f"activation-{act.split(':')[0]}", "[3, 32, 32]", [CONV5, act],
          shape=(8, 28, 28), params=0, macs=0, buffers=0, rf=(5, 1, 2))
        for act in ("relu", "leaky_relu: {negative_slope: 0.2}", "elu", "gelu", "sigmoid", "tanh", "softmax")
    ],
    C("prelu-one-slope", "[3, 32, 32]", [CONV5, "prelu"], shape=(8, 28, 28), params=1, macs=0, rf=(5, 1, 2)),
    C("prelu-per-channel", "[3, 32, 32]", [CONV5, "prelu: {num_parameters: 8}"],
      shape=(8, 28, 28), params=8, macs=0, rf=(5, 1, 2)),
    C("softmax-flat", "[3, 4, 4]", ["flatten", "fc: 10", "softmax"], shape=(10,), params=0, rf="global"),
    C("relu-on-input", "[2, 6]", "relu", shape=(2, 6), params=0, rf=(1, 1, 0)),
    # batchnorm: 2C learnable (scale, shift), 2C buffers (running mean, variance)
    C("batchnorm", "[64, 56, 56]", "batchnorm", shape=(64, 56, 56), params=2*64, buffers=2*64, macs=0),
    C("batchnorm-1d", "[8, 10]", "batchnorm", shape=(8, 10), params=2*8, buffers=2*8),
    C("batchnorm-3d", "[4, 2, 3, 3]", "batchnorm", shape=(4, 2, 3, 3), params=2*4, buffers=2*4),
    C("batchnorm-after-conv", "[3, 32, 32]", [CONV5, "batchnorm"],
      shape=(8, 28, 28), params=2*8, buffers=2*8, rf=(5, 1, 2)),
    C("lrn", "[96, 55, 55]", "lrn: 5", shape=(96, 55, 55), params=0, buffers=0, macs=0, rf=(1, 1, 0)),
    C("lrn-after-conv", "[3, 32, 32]", [CONV5, "lrn: {size: 5, alpha: 0.0001, beta: 0.75, k: 2}"],
      shape=(8, 28, 28), params=0, rf=(5, 1, 2)),
    C("dropout", "[8, 5, 5]", "dropout: 0.2", shape=(8, 5, 5), params=0, macs=0, rf=(1, 1, 0)),
    C("dropout-flat", "[3, 4, 4]", ["flatten", "fc: 10", "dropout: 0.5"], shape=(10,), params=0, rf="global"),
]

# ----------------------------------------------------------------------------------------------------------------------
# pad (start shifts by -P_before*jump) and upsample (out = floor(W*scale))

PAD_UPSAMPLE = [
    # 28 + 2 + 2 = 32; start = 0 - 2*1 = -2
    C("pad-2", "[3, 28, 28]", "pad: 2", shape=(3, 32, 32), params=0, macs=0, rf=(1, 1, -2)),
    # H 5 + 2 + 0 = 7; W 5 + 1 + 1 = 7; start (-2, -1)
    C("pad-asym-replicate", "[1, 5, 5]", "pad: {padding: [[2, 0], [1, 1]], mode: replicate}",
      shape=(1, 7, 7), rf=(1, 1, (-2, -1))),
    # H 4 + 1 + 1 = 6; W 4 + 2 + 2 = 8
    C("pad-per-axis-constant", "[1, 4, 4]", "pad: {padding: [1, 2], mode: constant, value: 3}",
      shape=(1, 6, 8), rf=(1, 1, (-1, -2))),
    C("pad1d-reflect", "[2, 10]", "pad: {padding: [[0, 3]], mode: reflect}", shape=(2, 13), rf=(1, 1, 0)),
    C("pad3d-circular", "[1, 2, 2, 2]", "pad: {padding: 1, mode: circular}", shape=(1, 4, 4, 4), rf=(1, 1, -1)),
    # after maxpool 2 (size 2, jump 2, start 0.5): 4 + 2 = 6; start = 0.5 - 1*2 = -1.5
    C("pad-after-pool", "[1, 8, 8]", ["maxpool: 2", "pad: 1"], shape=(1, 6, 6), rf=(2, 2, 0.5 - 1*2)),
    # pad 1 (start -1) then conv 3: 7 - 3 + 1 = 5; size 1 + 2 = 3; start -1 + (1 - 0)*1 = 0
    C("pad-then-conv", "[1, 5, 5]", ["pad: 1", "conv: {filters: 1, kernel: 3}"],
      shape=(1, 5, 5), params=10, rf=(3, 1, 0)),
    C("upsample-2", "[8, 7, 7]", "upsample: 2", shape=(8, 7*2, 7*2), params=0, macs=0),
    C("upsample-1.5", "[1, 5, 5]", "upsample: 1.5", shape=(1, floor(5*1.5), floor(5*1.5))),
    C("upsample-per-axis", "[1, 4, 5]", "upsample: {scale: [2, 3]}", shape=(1, 4*2, 5*3)),
    C("upsample1d", "[2, 5]", "upsample: 3", shape=(2, 15)),
    C("upsample3d", "[1, 2, 3, 3]", "upsample: 2", shape=(1, 4, 6, 6)),
    # upsample 2 then conv 3: 2*5 - 3 + 1 = 8
    C("upsample-then-conv", "[2, 5, 5]", ["upsample: 2", "conv: {filters: 3, kernel: 3}"],
      shape=(3, 8, 8), params=3 * 2 * 9 + 3, macs=3*8*8 * 2 * 9),
    C("upsample-half", "[1, 3, 3]", "upsample: 0.5", shape=(1, floor(3*0.5), floor(3*0.5))),
]

# ----------------------------------------------------------------------------------------------------------------------
# merges; the field of unit 0 spans [start - (size-1)/2, start + (size-1)/2], merges take the union

MERGE = [
    # c2 field: size 1 + 2 + 2 = 5, start 0 -> [-2, 2]; input [0, 0]; union [-2, 2]
    C("add-residual", "[16, 8, 8]",
      ["{conv: {filters: 16, kernel: 3, padding: 1}, name: c1}",
       "{conv: {filters: 16, kernel: 3, padding: 1}, name: c2}",
       "add: [c2, input]"],
      shape=(16, 8, 8), params=0, macs=0, rf=(5, 1, 0)),
    # concat joins channels: 16 + 32 + 8 + 3 = 59; fields [0,0], [-1,1], [-2,2], [-1,1] -> [-2, 2]
    C("concat-inception", "[3, 32, 32]",
      ["{conv: {filters: 16, kernel: 1}, name: b1, from: input}",
       "{conv: {filters: 32, kernel: 3, padding: 1}, name: b2, from: input}",
       "{conv: {filters: 8, kernel: 5, padding: 2}, name: b3, from: input}",
       "{maxpool: {kernel: 3, stride: 1, padding: 1}, name: b4, from: input}",
       "concat: [b1, b2, b3, b4]"],
      shape=(16 + 32 + 8 + 3, 32, 32), params=0, rf=(5, 1, 0)),
    # a: k4, padding H [1,0] W [0,1]: out 16 + 1 - 4 + 1 = 14; start H 1.5 - 1 = 0.5 -> [-1, 2]; W 1.5 -> [0, 3]
    # b: k4, padding H [0,1] W [1,0]: out 14; start H 1.5 -> [0, 3]; W 0.5 -> [-1, 2]
    # union per axis: [-1, 3] -> size 3 - (-1) + 1 = 5, start (-1 + 3)/2 = 1 (neither branch alone)
    C("concat-union-partial-overlap", "[1, 16, 16]",
      ["{conv: {filters: 2, kernel: 4, padding: [[1, 0], [0, 1]]}, name: a, from: input}",
       "{conv: {filters: 3, kernel: 4, padding: [[0, 1], [1, 0]]}, name: b, from: input}",
       "concat: [a, b]"],
      shape=(5, 14, 14), params=0, rf=(5, 1, 1)),
    C("concat-union-branch-a", "[1, 16, 16]",
      ["{conv: {filters: 2, kernel: 4, padding: [[1, 0], [0, 1]]}, name: a, from: input}",
       "{conv: {filters: 3, kernel: 4, padding: [[0, 1], [1, 0]]}, name: b, from: input}",
       "concat: [a, b]"],
      at="a", shape=(2, 14, 14), rf=(4, 1, (0.5, 1.5))),
    # a: k5 s2 P_before 2: floor((16 + 2 - 5)/2) + 1 = 7; start 2 - 2 = 0 -> [-2, 2]
    # b: k4 s2 P_after 1: floor((16 + 1 - 4)/2) + 1 = 7; start 1.5 - 0 = 1.5 -> [0, 3]
    # union [-2, 3]: size 6, start 0.5, jump 2
    C("add1d-union-jump2", "[1, 16]",
      ["{conv: {filters: 1, kernel: 5, stride: 2, padding: [[2, 0]]}, name: a, from: input}",
       "{conv: {filters: 1, kernel: 4, stride: 2, padding: [[0, 1]]}, name: b, from: input}",
       "add: [a, b]"],
      shape=(1, 7), params=0, rf=(6, 2, 0.5)),
    # a: [-1, 1] (k3 p1); b: [0, 0] (k1); c: leaky_relu of input [0, 0]; union [-1, 1]
    C("add-three-inputs", "[4, 6, 6]",
      ["{leaky_relu: {negative_slope: 0.1}, name: c, from: input}",
       "{conv: {filters: 4, kernel: 3, padding: 1}, name: a, from: input}",
       "{conv: {filters: 4, kernel: 1}, name: b, from: input}",
       "add: [a, b, c]"],
      shape=(4, 6, 6), params=0, rf=(3, 1, 0)),
    C("concat3d", "[2, 4, 4, 4]",
      ["{conv: {filters: 3, kernel: 1}, name: a}", "concat: [a, input]"],
      shape=(2 + 3, 4, 4, 4), params=0, rf=(1, 1, 0)),
    C("concat1d", "[2, 9]",
      ["{conv: {filters: 3, kernel: 3, padding: 1}, name: a}", "concat: [a, input]"],
      shape=(3 + 2, 9), rf=(3, 1, 0)),
]

# fmt: on

# ----------------------------------------------------------------------------------------------------------------------
# the tests of single-layer rows


@pytest.mark.parametrize(
    "input,layers,at,expected",
    CONV_2D + SAME + GROUPS + CONV_1D_3D + DECONV + LOCAL + POOL + FC + ELEMENTWISE + PAD_UPSAMPLE + MERGE,
)
def test_layer(input, layers, at, expected):
    run_row(input, layers, at, expected)


# ----------------------------------------------------------------------------------------------------------------------
# receptive-field recurrences along a chain, every layer checked: (shape, (size, jump, start))

# fmt: off
CHAINS = [
    pytest.param(
        "[1, 16, 16]",
        ["conv: {filters: 1, kernel: 3, padding: 1}", "maxpool: 2", "conv: {filters: 1, kernel: 3, padding: 1}"],
        [
            ((1, 16, 16), (3, 1, 0)),    # size 1 + 2*1 = 3, jump 1, start 0 + (1 - 1)*1 = 0
            ((1, 8, 8), (4, 2, 0.5)),    # size 3 + 1*1 = 4, jump 1*2 = 2, start 0 + (1/2 - 0)*1 = 0.5
            ((1, 8, 8), (8, 2, 0.5)),    # size 4 + 2*2 = 8, jump 2, start 0.5 + (1 - 1)*2 = 0.5
        ],
        id="conv3-pool2-conv3",
    ),
    pytest.param(
        "[1, 32]",
        ["conv: {filters: 1, kernel: 2, stride: 2}", "conv: {filters: 1, kernel: 3, padding: 2}", "maxpool: 2"],
        [
            ((1, 16), (2, 2, 0.5)),      # floor((32 - 2)/2) + 1 = 16; start 1/2
            ((1, 18), (6, 2, -1.5)),     # 16 + 4 - 3 + 1 = 18; size 2 + 2*2 = 6; start 0.5 + (1 - 2)*2 = -1.5
            ((1, 9), (8, 4, -0.5)),      # 18/2 = 9; size 6 + 1*2 = 8; jump 4; start -1.5 + (1/2)*2 = -0.5
        ],
        id="1d-fractional-negative",
    ),
    pytest.param(
        "[3, 227, 227]",
        ["conv: {filters: 96, kernel: 11, stride: 4}", "maxpool: {kernel: 3, stride: 2}",
         "conv: {filters: 256, kernel: 5, padding: 2}", "maxpool: {kernel: 3, stride: 2}"],
        [
            ((96, 55, 55), (11, 4, 5)),    # floor((227 - 11)/4) + 1 = 55
            ((96, 27, 27), (19, 8, 9)),    # 11 + 2*4 = 19; jump 8; start 5 + 1*4 = 9
            ((256, 27, 27), (51, 8, 9)),   # 19 + 4*8 = 51; start 9 + (2 - 2)*8 = 9
            ((256, 13, 13), (67, 16, 17)),  # floor((27 - 3)/2) + 1 = 13; 51 + 2*8 = 67; jump 16; start 9 + 1*8
        ],
        id="alexnet",
    ),
    pytest.param(
        "[1, 32, 32]",
        ["conv: {filters: 1, kernel: 3, dilation: 2, padding: 2}",
         "conv: {filters: 1, kernel: 3, dilation: 4, padding: 4}",
         "conv: {filters: 1, kernel: 3, dilation: 8, padding: 8}"],
        [
            ((1, 32, 32), (5, 1, 0)),    # F_eff 5: size 1 + 4 = 5, start 2 - 2 = 0
            ((1, 32, 32), (13, 1, 0)),   # F_eff 9: size 5 + 8 = 13, start 4 - 4 = 0
            ((1, 32, 32), (29, 1, 0)),   # F_eff 17: size 13 + 16 = 29
        ],
        id="dilated-context",
    ),
    pytest.param(
        "[1, 10]",
        ["conv: {filters: 1, kernel: 4, padding: same}", "conv: {filters: 1, kernel: 4, padding: same}"],
        [
            ((1, 10), (4, 1, 0.5)),      # total 3, P_before 1; start 1.5 - 1 = 0.5
            ((1, 10), (7, 1, 1.0)),      # size 4 + 3 = 7; start 0.5 + (1.5 - 1)*1 = 1
        ],
        id="same-even-kernels",
    ),
    pytest.param(
        "[1, 8, 16, 16]",
        ["conv: {filters: 2, kernel: [1, 3, 3], padding: [0, 1, 1]}", "maxpool: [1, 2, 2]",
         "conv: {filters: 2, kernel: 3, stride: [2, 1, 1], padding: 1}"],
        [
            ((2, 8, 16, 16), ((1, 3, 3), 1, 0)),
            ((2, 8, 8, 8), ((1, 4, 4), (1, 2, 2), (0, 0.5, 0.5))),
            # D: floor((8 + 2 - 3)/2) + 1 = 4; size (1 + 2*1, 4 + 2*2, 4 + 2*2); jump (2, 2, 2); start (0, .5, .5)
            ((2, 4, 8, 8), ((3, 8, 8), 2, (0, 0.5, 0.5))),
        ],
        id="3d-per-axis",
    ),
    pytest.param(
        "[1, 12, 12]",
        ["pad: [[1, 0], [0, 0]]", "conv: {filters: 1, kernel: 2, stride: 2}", "pad: 1", "avgpool: 3"],
        [
            ((1, 13, 12), (1, 1, (-1, 0))),          # start -1*1 in H
            ((1, 6, 6), (2, 2, (-0.5, 0.5))),         # floor((13 - 2)/2) + 1 = 6; start +1/2
            ((1, 8, 8), (2, 2, (-2.5, -1.5))),        # start - 1*2
            ((1, 2, 2), (6, 6, (-0.5, 0.5))),         # floor((8 - 3)/3) + 1 = 2; size 2 + 2*2; start + 1*2
        ],
        id="pads-in-a-chain",
    ),
]


# fmt: on


@pytest.mark.parametrize("input,layers,per_layer", CHAINS)
def test_chain(input, layers, per_layer):
    report = analyze(yaml_file(input, layers))
    assert len(report.layers) == len(per_layer)
    for layer, (shape, rf) in zip(report.layers, per_layer):
        check_layer(layer, {"shape": shape, "rf": rf})


# ----------------------------------------------------------------------------------------------------------------------
# totals

# fmt: off
SMALL_NET = [
    "conv: {filters: 4, kernel: 3, padding: 1}",  # [4, 8, 8] = 256 units; params 4*3*9 + 4 = 112; MACs 256*27
    "batchnorm",                                  # 256 units; params 8; buffers 8
    "relu",                                       # 256 units
    "maxpool: 2",                                 # [4, 4, 4] = 64 units
    "flatten",                                    # 64 units
    "fc: 10",                                     # 10 units; params 64*10 + 10 = 650; MACs 640
]
SMALL_UNITS = [256, 256, 256, 64, 64, 10]
SMALL_PARAMS = 112 + 8 + 650
SMALL_MACS = 256 * 27 + 640
# fmt: on


@pytest.mark.parametrize(
    "batch,dtype,nbytes",
    [(1, "float32", 4), (1, "float64", 8), (4, "float32", 4), (2, "float16", 2), (3, "bfloat16", 2), (8, "int8", 1)],
)
def test_totals(batch, dtype, nbytes):
    report = analyze(yaml_file("[3, 8, 8]", SMALL_NET), batch=batch, dtype=dtype)
    assert [layer.activation_bytes for layer in report.layers] == [n * batch * nbytes for n in SMALL_UNITS]
    t = report.totals
    assert t.params == SMALL_PARAMS == 770
    assert t.trainable_params == SMALL_PARAMS
    assert t.buffers == 8
    assert t.activation_bytes == sum(SMALL_UNITS) * batch * nbytes == 906 * batch * nbytes
    assert t.param_bytes == SMALL_PARAMS * nbytes
    if batch == 1:  # the SPEC gives MACs per layer from prod(out_shape), which leaves the batch out
        assert t.macs == SMALL_MACS == 7552
        assert t.flops == 2 * SMALL_MACS


VGG16 = """\
name: VGG-16
input: [3, 224, 224]
layers:
  - repeat: 2
    layers:
      - conv: {filters: 64, kernel: 3, padding: 1}
      - relu
  - maxpool: 2
  - repeat: 2
    layers:
      - conv: {filters: 128, kernel: 3, padding: 1}
      - relu
  - maxpool: 2
  - repeat: 3
    layers:
      - conv: {filters: 256, kernel: 3, padding: 1}
      - relu
  - maxpool: 2
  - repeat: 3
    layers:
      - conv: {filters: 512, kernel: 3, padding: 1}
      - relu
  - maxpool: 2
  - repeat: 3
    layers:
      - conv: {filters: 512, kernel: 3, padding: 1}
      - relu
  - maxpool: 2
  - flatten
  - fc: 4096
  - dropout: 0.5
  - fc: 4096
  - dropout: 0.5
  - fc: 1000
  - softmax
"""

# fmt: off
# (C_in, C_out, H*W) of VGG-16's 13 convs (3x3, padding 1, so H*W is the output size)
VGG_CONVS = [(3, 64, 224*224), (64, 64, 224*224), (64, 128, 112*112), (128, 128, 112*112),
             (128, 256, 56*56), (256, 256, 56*56), (256, 256, 56*56),
             (256, 512, 28*28), (512, 512, 28*28), (512, 512, 28*28),
             (512, 512, 14*14), (512, 512, 14*14), (512, 512, 14*14)]
VGG_FCS = [(512*7*7, 4096), (4096, 4096), (4096, 1000)]
# fmt: on


def test_vgg16_totals_from_the_spec():
    report = analyze(VGG16)
    params = sum(o * i * 9 + o for i, o, _ in VGG_CONVS) + sum(i * o + o for i, o in VGG_FCS)
    macs = sum(hw * o * i * 9 for i, o, hw in VGG_CONVS) + sum(i * o for i, o in VGG_FCS)
    assert params == 138_357_544  # SPEC section 3
    assert macs == 15_470_264_320  # SPEC section 3
    assert report.totals.params == params
    assert report.totals.param_bytes == 553_430_176 == params * 4
    assert report.totals.macs == macs
    assert report.totals.flops == 2 * macs
    # 13 conv + 13 relu + 5 pool + flatten + 3 fc + 2 dropout + softmax
    assert len(report.layers) == 13 * 2 + 5 + 1 + 3 + 2 + 1
    first = report.layers[0]  # conv1_1 of SPEC section 3
    assert (first.shape, first.params, first.macs) == ((64, 224, 224), 1792, 86_704_128)
    assert first.activation_bytes == 12_845_056 == 64 * 224 * 224 * 4
    # activations: per stage conv+relu pairs at 224, 112, 56, 28, 14, then pools, flatten, fc...
    # fmt: off
    units = (4 * 64*224*224 + 64*112*112 + 4 * 128*112*112 + 128*56*56 + 6 * 256*56*56 + 256*28*28
             + 6 * 512*28*28 + 512*14*14 + 6 * 512*14*14 + 512*7*7 + 512*7*7 + 4 * 4096 + 2 * 1000)
    # fmt: on
    assert report.totals.activation_bytes == units * 4
    assert prod(report.layers[-1].shape) == 1000


# ----------------------------------------------------------------------------------------------------------------------
# errors of SPEC section 2: FILE:LINE:COL: error: ...

# fmt: off
ERRORS = [
    # floor((4 - 4 - 1)/1) + 1 = 0 < 1: kernel 5 does not fit 4
    pytest.param("[3, 4, 4]", "conv: {filters: 1, kernel: 5}", id="conv-kernel-does-not-fit"),
    # F_eff = 4*(3-1) + 1 = 9 > 8
    pytest.param("[1, 8, 8]", "conv: {filters: 1, kernel: 3, dilation: 4}", id="dilated-kernel-does-not-fit"),
    pytest.param("[1, 3]", "conv: {filters: 1, kernel: 2, dilation: 3}", id="dilated-kernel-does-not-fit-1d"),
    pytest.param("[1, 3, 3]", "maxpool: 4", id="pool-kernel-does-not-fit"),
    pytest.param("[1, 2, 2, 2]", "avgpool: 3", id="pool3d-kernel-does-not-fit"),
    pytest.param("[1, 2, 2]", "local: {filters: 1, kernel: 3}", id="local-kernel-does-not-fit"),
    # (2-1)*1 - 1 - 1 + 0 + 0 + 1 = 0 < 1
    pytest.param("[1, 2, 2]", "deconv: {filters: 1, kernel: 1, padding: 1}", id="deconv-output-below-1"),
    pytest.param("[3, 8, 8]", "conv: {filters: 4, kernel: 1, groups: 2}", id="in-channels-not-divisible-by-groups"),
    pytest.param("[4, 8, 8]", "conv: {filters: 3, kernel: 1, groups: 2}", id="filters-not-divisible-by-groups"),
    pytest.param("[6, 4, 4]", "deconv: {filters: 4, kernel: 2, groups: 4}", id="deconv-channels-not-divisible"),
    pytest.param("[3, 8, 8]", "conv: {filters: 4, kernel: 3, in_channels: 4}", id="in-channels-mismatch"),
    pytest.param("[8, 16, 16]", ["{maxpool: 2, name: a}", "add: [a, input]"], id="add-unequal-spatial"),
    pytest.param("[8, 4, 4]", ["{conv: {filters: 4, kernel: 1}, name: a}", "add: [a, input]"],
                 id="add-unequal-channels"),
    pytest.param("[8, 16, 16]", ["{maxpool: 2, name: a}", "concat: [a, input]"], id="concat-unequal-spatial"),
    pytest.param("[8, 16]", ["{maxpool: 2, name: a}", "concat: [a, input]"], id="concat1d-unequal-length"),
    # equal shapes [1, 8], but jumps 2 and 1: "Merges take the union ... (and must agree on jump)"
    pytest.param("[1, 16]", ["{conv: {filters: 1, kernel: 1, stride: 2}, name: a, from: input}",
                             "{conv: {filters: 1, kernel: 9}, name: b, from: input}", "add: [a, b]"],
                 id="merge-jumps-disagree"),
]


# fmt: on


@pytest.mark.parametrize("input,layers", ERRORS)
def test_errors(input, layers):
    with pytest.raises(SpecError) as caught:
        analyze(yaml_file(input, layers))
    assert str(caught.value).startswith("t.yaml:")
    assert ": error: " in str(caught.value)


@pytest.mark.parametrize(
    "size, out, field",
    [
        # 13 -> 6: windows [0,2] [2,4] [4,6] [6,8] [8,10] [10,12] (floor(13i/6) to
        # ceil(13(i+1)/6) - 1): 3 wide, 2 apart, unit 0 centered on 1.
        (13, 6, (3, 2, 1)),
        # 10 -> 4: [0,2] [2,4] [5,7] [7,9]: two phases, 5 pixels per period of 2 units:
        # size 3, jump 5/2, start the mean of (1 - 0*2.5, 3 - 1*2.5) = 0.75.
        (10, 4, (3, 2.5, 0.75)),
        # 8 -> 7 (VGG's pool5 at 256 pixels): [i, i+1] for every i: size 2, jump 1, start 0.5.
        (8, 7, (2, 1, 0.5)),
        # 7 -> 7: the identity (VGG at 224).
        (7, 7, (1, 1, 0)),
    ],
)
def test_adaptive_pooling_windows(size, out, field):
    report = analyze(f"input: [1, {size}]\nlayers: [{{adaptive_avgpool: {out}}}]\n")
    (layer,) = report.layers
    assert layer.shape == (1, out)
    assert (layer.receptive_field.size[0], layer.receptive_field.jump[0], layer.receptive_field.start[0]) == field
