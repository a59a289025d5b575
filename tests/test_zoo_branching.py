"""The branching networks in architectures/ against their papers, torchvision and hand arithmetic.

GoogLeNet, MobileNet v1 and v2, DenseNet-121, SqueezeNet 1.0 and U-Net. Every expected figure
comes from a paper, torchvision's model table, TF's receptive-field table, or hand arithmetic
written out here from the architecture, never from a run of cnncalc.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.report import analyze_file

ARCHITECTURES = Path(__file__).resolve().parent.parent / "architectures"


def conv(k: int, c_in: int, c_out: int, groups: int = 1, bias: bool = True) -> int:
    """Hand formula: a k x k conv's weights (and biases)."""
    return c_out * (c_in // groups) * k * k + (c_out if bias else 0)


def conv_bn(k: int, c_in: int, c_out: int, groups: int = 1) -> int:
    """A bias-free conv and its batchnorm (a scale and a shift per channel)."""
    return conv(k, c_in, c_out, groups, bias=False) + 2 * c_out


def fc(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


# GoogLeNet, Table 1: (input channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
INCEPTIONS = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


def googlenet_params(torchvision: bool = False) -> int:
    """The paper's GoogLeNet (conv biases, 5x5 branch), or torchvision's (batchnorm after every
    bias-free conv, and a 3x3 conv where the paper has 5x5); both without the aux heads."""
    layer = conv_bn if torchvision else conv
    k5 = 3 if torchvision else 5
    total = layer(7, 3, 64) + layer(1, 64, 64) + layer(3, 64, 192)
    for c_in, c1, r3, c3, r5, c5, pp in INCEPTIONS.values():
        total += layer(1, c_in, c1) + layer(1, c_in, r3) + layer(3, r3, c3)
        total += layer(1, c_in, r5) + layer(k5, r5, c5) + layer(1, c_in, pp)
    return total + fc(1024, 1000)


# MobileNet v1, Table 1: the 13 depthwise-separable blocks, (in, out, stride).
MOBILENET_V1 = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
MOBILENET_V1 += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]


def mobilenet_v1_params() -> int:
    total = conv_bn(3, 3, 32)
    for c_in, c_out, _ in MOBILENET_V1:
        total += conv_bn(3, c_in, c_in, groups=c_in) + conv_bn(1, c_in, c_out)
    return total + fc(1024, 1000)


def mobilenet_v1_macs() -> int:
    macs, size = 112 * 112 * 32 * 3 * 3 * 3, 112
    for c_in, c_out, stride in MOBILENET_V1:
        size = -(-size // stride)  # "same" padding: ceil(W / S)
        macs += size * size * c_in * 9 + size * size * c_in * c_out
    return macs + 1024 * 1000


# MobileNet v2, Table 2 (torchvision's inverted_residual_setting): t, c, n, s.
MOBILENET_V2 = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def mobilenet_v2_counts() -> tuple[int, int]:
    """(params, MACs) by hand, following torchvision's InvertedResidual."""
    params, macs, size, c_in = conv_bn(3, 3, 32), 112 * 112 * 32 * 27, 112, 32
    for t, c, n, s in MOBILENET_V2:
        for i in range(n):
            hidden, out = c_in * t, size // (s if i == 0 else 1)
            if t != 1:  # 1x1 expansion
                params, macs = params + conv_bn(1, c_in, hidden), macs + size * size * c_in * hidden
            params += conv_bn(3, hidden, hidden, groups=hidden) + conv_bn(1, hidden, c)
            macs += out * out * hidden * 9 + out * out * hidden * c
            c_in, size = c, out
    params += conv_bn(1, 320, 1280) + fc(1280, 1000)
    return params, macs + size * size * 320 * 1280 + 1280 * 1000


def densenet121_counts() -> tuple[int, int]:
    """(params, MACs) by hand, following torchvision's DenseNet (growth 32, bn_size 4)."""
    params, macs, c, size = conv_bn(7, 3, 64), 112 * 112 * 64 * 7 * 7 * 3, 64, 56
    for block, n in enumerate((6, 12, 24, 16)):
        for _ in range(n):  # norm1, conv1 1x1 to 128, norm2, conv2 3x3 to 32
            params += 2 * c + conv_bn(1, c, 128) + conv(3, 128, 32, bias=False)
            macs += size * size * (c * 128 + 128 * 9 * 32)
            c += 32
        if block < 3:  # transition: norm, conv 1x1 to c/2, 2x2 average pool
            params += 2 * c + conv(1, c, c // 2, bias=False)
            macs += size * size * c * (c // 2)
            c, size = c // 2, size // 2
    return params + 2 * c + fc(c, 1000), macs + c * 1000  # norm5, classifier


# SqueezeNet 1.0 (Table 1): fire modules (in, squeeze, expand each of 1x1 and 3x3), map size.
FIRES = [(96, 16, 64, 54), (128, 16, 64, 54), (128, 32, 128, 54), (256, 32, 128, 27)]
FIRES += [(256, 48, 192, 27), (384, 48, 192, 27), (384, 64, 256, 27), (512, 64, 256, 13)]


def squeezenet_counts() -> tuple[int, int]:
    params = conv(7, 3, 96) + conv(1, 512, 1000)
    macs = 109 * 109 * 96 * 7 * 7 * 3 + 13 * 13 * 512 * 1000
    for c_in, s, e, size in FIRES:
        params += conv(1, c_in, s) + conv(1, s, e) + conv(3, s, e)
        macs += size * size * (c_in * s + s * e + s * e * 9)
    return params, macs


def unet_params() -> int:
    """Figure 1: two valid 3x3 convs per level; up-conv 2x2 halving the channels."""
    down = [(1, 64), (64, 128), (128, 256), (256, 512), (512, 1024)]
    up = [(1024, 512), (512, 256), (256, 128), (128, 64)]
    total = sum(conv(3, c_in, c) + conv(3, c, c) for c_in, c in down)
    # up-conv c_in -> c (a 2x2 transposed conv: same count), then 3x3 convs on concat (2c = c_in) -> c
    total += sum(conv(2, c_in, c) + conv(3, c_in, c) + conv(3, c, c) for c_in, c in up)
    return total + conv(1, 64, 2)


# (file, published or stated total, the same total by hand arithmetic, source)
PARAMS = [
    ("googlenet.yaml", 6_998_552, googlenet_params(), "hand: Szegedy et al. Table 1 with biases (table: ~6.8M)"),
    ("mobilenet_v1.yaml", 4_231_976, mobilenet_v1_params(), "Keras MobileNet: 4,231,976 trainable (paper: 4.2M)"),
    ("mobilenet_v2.yaml", 3_504_872, mobilenet_v2_counts()[0], "torchvision MobileNet_V2_Weights num_params"),
    ("densenet121.yaml", 7_978_856, densenet121_counts()[0], "torchvision DenseNet121_Weights num_params"),
    ("squeezenet1_0.yaml", 1_248_424, squeezenet_counts()[0], "torchvision SqueezeNet1_0_Weights num_params"),
    ("unet.yaml", 31_030_658, unet_params(), "hand: Ronneberger et al. Figure 1 (no published count)"),
]


def report_of(file: str):
    return analyze_file(str(ARCHITECTURES / file))


def layers_of(report) -> dict:
    return {entry.name: entry for entry in report.layers}


@pytest.mark.parametrize("file, published, by_hand, source", PARAMS, ids=[row[0] for row in PARAMS])
def test_total_params(file, published, by_hand, source):
    assert by_hand == published, f"the hand arithmetic disagrees with {source}"
    assert report_of(file).totals.params == published, source


def test_googlenet_hand_count_explains_torchvision():
    # torchvision googlenet (aux heads dropped, as its pretrained builder does): 6,624,904.
    # The same structure by hand: batchnorm, no conv biases, 3x3 in the "5x5" branch.
    assert googlenet_params(torchvision=True) == 6_624_904
    # Table 1's "params" column (K, weights only, rounded) sums to about 6.8M.
    column = [2.7, 112, 159, 380, 364, 437, 463, 580, 840, 1072, 1388, 1000]
    assert round(sum(column)) == 6_798


def test_googlenet_sizes_match_table_1():
    # Szegedy et al. Table 1, "output size" column (channels first here).
    expected = {
        "conv1/7x7_s2": [64, 112, 112], "pool1/3x3_s2": [64, 56, 56], "conv2/3x3": [192, 56, 56],
        "pool2/3x3_s2": [192, 28, 28], "inception_3a.output": [256, 28, 28],
        "inception_3b.output": [480, 28, 28], "pool3/3x3_s2": [480, 14, 14],
        "inception_4a.output": [512, 14, 14], "inception_4b.output": [512, 14, 14],
        "inception_4c.output": [512, 14, 14], "inception_4d.output": [528, 14, 14],
        "inception_4e.output": [832, 14, 14], "pool4/3x3_s2": [832, 7, 7],
        "inception_5a.output": [832, 7, 7], "inception_5b.output": [1024, 7, 7],
        "pool5/7x7_s1": [1024, 1, 1], "loss3/classifier": [1000],
    }  # fmt: skip
    layers = layers_of(report_of("googlenet.yaml"))
    assert {name: list(layers[name].shape) for name in expected} == expected
    # each inception's output is the sum of its four branches' widths
    for key, (_, c1, _, c3, _, c5, pp) in INCEPTIONS.items():
        assert layers[f"inception_{key}.output"].shape[0] == c1 + c3 + c5 + pp
    # inception 3a by hand: 1x1 12,352 + 3x3 reduce 18,528 + 3x3 110,720 + 5x5 reduce 3,088
    # + 5x5 12,832 + pool proj 6,176 (Table 1: 159K, weights only)
    assert sum(
        layers[f"inception_3a.{b}"].params for b in ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")
    ) == (12_352 + 18_528 + 110_720 + 3_088 + 12_832 + 6_176)


def test_mobilenet_v1_receptive_field_and_macs():
    report = report_of("mobilenet_v1.yaml")
    last = layers_of(report)["Conv2d_13_pointwise"]
    assert list(last.shape) == [1024, 7, 7]
    # Araujo, Norris & Sim (Distill 2019) and TF's receptive_field table: 315, stride 32,
    # effective padding 126. By hand: the 3x3/2 stem gives 3 (jump 2); each depthwise 3x3
    # adds 2 * jump (the 1x1s add nothing), jumps 2 2 4 4 8 8 16 16 16 16 16 16 32.
    jumps = [2, 2, 4, 4, 8, 8, 16, 16, 16, 16, 16, 16, 32]
    assert 3 + sum(2 * jump for jump in jumps) == 315
    assert tuple(last.receptive_field.size) == (315, 315)
    assert tuple(last.receptive_field.jump) == (32, 32)
    # TF "same" padding puts nothing before at stride 2 on an even size, so each strided layer
    # moves the center by one jump: 1 + 2 + 4 + 8 + 16 = 31 = (315 - 1) / 2 - 126.
    assert tuple(last.receptive_field.start) == ((315 - 1) // 2 - 126,) * 2 == (31, 31)
    # Paper Table 1: 569M mult-adds.
    assert report.totals.macs == mobilenet_v1_macs() == 568_740_352
    # Keras' MobileNet: 4,253,864 params in all, 21,888 of them the non-trainable running statistics
    assert report.totals.buffers == 21_888
    assert report.totals.params + report.totals.buffers == 4_253_864


def test_mobilenet_v2_shapes_and_macs():
    report = report_of("mobilenet_v2.yaml")
    layers = layers_of(report)
    assert report.totals.macs == mobilenet_v2_counts()[1] == 300_774_272  # paper Table 4: 300M
    assert list(layers["features.1.conv.2"].shape) == [16, 112, 112]
    assert list(layers["features.17.conv.3"].shape) == [320, 7, 7]
    assert list(layers["features.18.2"].shape) == [1280, 7, 7]
    # the residual sums sit exactly where stride is 1 and the width stays (Table 2's repeats)
    adds = sorted(int(name.split(".")[1]) for name in layers if name.endswith(".add"))
    assert adds == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]


def test_densenet121_shapes_and_macs():
    report = report_of("densenet121.yaml")
    layers = layers_of(report)
    # channels 64 + 6*32 = 256 -> 128; 128 + 12*32 = 512 -> 256; 256 + 24*32 = 1024 -> 512; 512 + 16*32
    expected = {
        "features.pool0": [64, 56, 56],
        "features.denseblock1.5.denselayer.output": [256, 56, 56],
        "features.transition1.pool": [128, 28, 28],
        "features.denseblock2.11.denselayer.output": [512, 28, 28],
        "features.transition2.pool": [256, 14, 14],
        "features.denseblock3.23.denselayer.output": [1024, 14, 14],
        "features.transition3.pool": [512, 7, 7],
        "features.denseblock4.15.denselayer.output": [1024, 7, 7],
    }
    assert {name: list(layers[name].shape) for name in expected} == expected
    # torchvision's table: 2.83 GFLOPS (its "FLOPS" are multiply-accumulates)
    assert report.totals.macs == densenet121_counts()[1]
    assert round(densenet121_counts()[1] / 1e9, 2) == 2.83


def test_squeezenet_shapes_and_macs():
    report = report_of("squeezenet1_0.yaml")
    layers = layers_of(report)
    # ceil_mode pools: (224 - 7) // 2 + 1 = 109, then ceil((109 - 3) / 2) + 1 = 54, 27, 13
    expected = {
        "features.0": [96, 109, 109], "features.2": [96, 54, 54], "features.3.output": [128, 54, 54],
        "features.6": [256, 27, 27], "features.10.output": [512, 27, 27], "features.11": [512, 13, 13],
        "features.12.output": [512, 13, 13], "classifier.1": [1000, 13, 13], "classifier.3": [1000, 1, 1],
    }  # fmt: skip
    assert {name: list(layers[name].shape) for name in expected} == expected
    assert report.totals.macs == squeezenet_counts()[1]
    assert round(squeezenet_counts()[1] / 1e9, 2) == 0.82  # torchvision's table: 0.82 GFLOPS


def test_unet_sizes_match_figure_1():
    layers = layers_of(report_of("unet.yaml"))
    # Figure 1: 572 -> 570 -> 568, pools to 284, 140, 68, 32; 30 -> 28 at the bottom;
    # up-convs to 56, 104, 200, 392 with the skips cropped to match; out 388x388x2.
    expected = {
        "down1.output": [64, 568, 568], "down2.output": [128, 280, 280], "down3.output": [256, 136, 136],
        "down4.output": [512, 64, 64], "bottom.output": [1024, 28, 28],
        "up4.crop": [512, 56, 56], "up4.concat": [1024, 56, 56], "up4.conv.output": [512, 52, 52],
        "up3.crop": [256, 104, 104], "up3.conv.output": [256, 100, 100],
        "up2.crop": [128, 200, 200], "up2.conv.output": [128, 196, 196],
        "up1.crop": [64, 392, 392], "up1.concat": [128, 392, 392], "up1.conv.output": [64, 388, 388],
        "output": [2, 388, 388],
    }  # fmt: skip
    assert {name: list(layers[name].shape) for name in expected} == expected
    assert layers["up4.upconv"].params == 1024 * 512 * 2 * 2 + 512 == 2_097_664
