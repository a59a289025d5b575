"""The classic architectures in architectures/ against their published numbers.

Every expected figure comes from a paper, torchvision, or hand arithmetic written out here,
never from a run of cnncalc. Each row names its source.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_zoo_branching import PARAMS as BRANCHING_PARAMS
from test_zoo_resnet import torchvision_params
from test_zoo_variants import PARAMS as VARIANT_PARAMS

from cnncalc.report import analyze_file

ARCHITECTURES = Path(__file__).resolve().parent.parent / "architectures"


def conv(k: int, c_in: int, c_out: int, groups: int = 1) -> int:
    """Hand formula: a k x k conv's weights and biases."""
    return c_out * (c_in // groups) * k * k + c_out


def fc(n_in: int, n_out: int) -> int:
    """Hand formula: a fully connected layer's weights and biases."""
    return n_in * n_out + n_out


# The three fcs shared by every VGG configuration (Table 1): 7*7*512 -> 4096 -> 4096 -> 1000.
VGG_FCS = fc(7 * 7 * 512, 4096) + fc(4096, 4096) + fc(4096, 1000)
VGG11_CONVS = conv(3, 3, 64) + conv(3, 64, 128) + conv(3, 128, 256) + conv(3, 256, 256) + conv(3, 256, 512)
VGG11_CONVS += 3 * conv(3, 512, 512)
VGG13_CONVS = VGG11_CONVS + conv(3, 64, 64) + conv(3, 128, 128)  # B adds conv1_2 and conv2_2
VGG16C_CONVS = VGG13_CONVS + conv(1, 256, 256) + 2 * conv(1, 512, 512)  # C: 1x1 conv3_3, conv4_3, conv5_3
VGG16_CONVS = VGG13_CONVS + conv(3, 256, 256) + 2 * conv(3, 512, 512)  # D: 3x3 there instead
VGG19_CONVS = VGG16_CONVS + conv(3, 256, 256) + 2 * conv(3, 512, 512)  # E: a 4th conv in stages 3-5

# AlexNet's (and ZFNet's) fcs: 6*6*256 -> 4096 -> 4096 -> 1000.
ALEX_FCS = fc(6 * 6 * 256, 4096) + fc(4096, 4096) + fc(4096, 1000)
# The CIFAR-10 VGG's batchnorms: a scale and a shift per channel.
BN_CIFAR = 2 * (32 + 32 + 64 + 64)

# (file, published or stated total, the same total by hand arithmetic, source)
PARAMS = [
    ("lenet5.yaml", 61_706, 156 + 2_416 + 48_120 + 10_164 + 850, "hand: C1 + C3 + C5 + F6 + output"),
    (
        "alexnet.yaml",
        62_378_344,
        34_944 + 614_656 + 885_120 + 1_327_488 + 884_992 + 37_752_832 + 16_781_312 + 4_097_000,
        "hand: conv1..conv5 + fc6..fc8, one-GPU AlexNet at 227 (CS231n)",
    ),
    (
        "alexnet_torchvision.yaml",
        61_100_840,
        conv(11, 3, 64) + conv(5, 64, 192) + conv(3, 192, 384) + conv(3, 384, 256) + conv(3, 256, 256) + ALEX_FCS,
        "torchvision AlexNet_Weights.IMAGENET1K_V1 num_params",
    ),
    (
        "alexnet_caffe.yaml",
        60_965_224,
        conv(11, 3, 96)
        + conv(5, 96, 256, 2)
        + conv(3, 256, 384)
        + conv(3, 384, 384, 2)
        + conv(3, 384, 256, 2)
        + ALEX_FCS,
        "BVLC bvlc_alexnet (two GPUs: groups=2 on conv2, conv4, conv5)",
    ),
    (
        "zfnet.yaml",
        62_357_608,
        conv(7, 3, 96) + conv(5, 96, 256) + conv(3, 256, 384) + conv(3, 384, 384) + conv(3, 384, 256) + ALEX_FCS,
        "hand: Zeiler & Fergus 2014 Figure 3 (the paper gives no total)",
    ),
    ("vgg11.yaml", 132_863_336, VGG11_CONVS + VGG_FCS, "torchvision vgg11"),
    ("vgg11_lrn.yaml", 132_863_336, VGG11_CONVS + VGG_FCS, "hand: A plus an LRN, which learns nothing"),
    ("vgg13.yaml", 133_047_848, VGG13_CONVS + VGG_FCS, "torchvision vgg13"),
    ("vgg16_c.yaml", 133_638_952, VGG16C_CONVS + VGG_FCS, "hand: B + 65,792 + 2 * 262,656 (paper: 134M)"),
    ("vgg16.yaml", 138_357_544, VGG16_CONVS + VGG_FCS, "torchvision vgg16"),
    ("vgg19.yaml", 143_667_240, VGG19_CONVS + VGG_FCS, "torchvision vgg19"),
    (
        "cifar10_vgg.yaml",
        2_168_746,
        conv(3, 3, 32)
        + conv(3, 32, 32)
        + conv(3, 32, 64)
        + conv(3, 64, 64)
        + BN_CIFAR
        + fc(8 * 8 * 64, 512)
        + fc(512, 10),
        "hand: convs + batchnorm scale/shift + fcs",
    ),
    ("homework_cnn.yaml", 62_958, 608 + 3_216 + 48_120 + 10_164 + 850, "hand: the homework table"),
    # ResNets: torchvision's counts, and the same by hand following _make_layer (test_zoo_resnet.py)
    ("resnet18.yaml", 11_689_512, torchvision_params("basic", (2, 2, 2, 2)), "torchvision resnet18 num_params"),
    ("resnet34.yaml", 21_797_672, torchvision_params("basic", (3, 4, 6, 3)), "torchvision resnet34 num_params"),
    ("resnet50.yaml", 25_557_032, torchvision_params("bottleneck", (3, 4, 6, 3)), "torchvision resnet50 num_params"),
    ("resnet101.yaml", 44_549_160, torchvision_params("bottleneck", (3, 4, 23, 3)), "torchvision resnet101"),
    ("resnet152.yaml", 60_192_808, torchvision_params("bottleneck", (3, 8, 36, 3)), "torchvision resnet152"),
    *BRANCHING_PARAMS,  # GoogLeNet, MobileNets, DenseNet, SqueezeNet, U-Net (test_zoo_branching.py)
    *VARIANT_PARAMS,  # ZFNet 512/1024/512, pre-activation ResNet-164 (test_zoo_variants.py)
    (
        "resnet50_tfslim.yaml",
        25_557_032,
        torchvision_params("bottleneck", (3, 4, 6, 3)),
        "slim resnet_v1_50: the same weights, laid out otherwise",
    ),
]


def layer(report, name: str):
    matches = [entry for entry in report.layers if entry.name == name]
    assert len(matches) == 1, f"no single layer named {name!r}"
    return matches[0]


def report_of(file: str):
    return analyze_file(str(ARCHITECTURES / file))


def test_every_architecture_file_has_a_published_count():
    assert sorted(p.name for p in ARCHITECTURES.glob("*.yaml")) == sorted(row[0] for row in PARAMS)


@pytest.mark.parametrize("file, published, by_hand, source", PARAMS, ids=[row[0] for row in PARAMS])
def test_total_params(file, published, by_hand, source):
    assert by_hand == published, f"the hand arithmetic disagrees with {source}"
    assert report_of(file).totals.params == published, source


def test_vgg16_totals_and_macs():
    report = report_of("vgg16.yaml")
    # conv MACs: H*W*C_out*9*C_in per conv (padding 1 keeps H = W within a stage).
    convs = [(224, 3, 64), (224, 64, 64), (112, 64, 128), (112, 128, 128)]
    convs += [(56, 128, 256), (56, 256, 256), (56, 256, 256), (28, 256, 512), (28, 512, 512), (28, 512, 512)]
    convs += [(14, 512, 512)] * 3
    conv_macs = sum(size * size * c_out * 9 * c_in for size, c_in, c_out in convs)
    fc_macs = 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * 1000
    assert conv_macs + fc_macs == 15_470_264_320  # the published 15.47 GMACs
    assert report.totals.params == 138_357_544  # torchvision vgg16
    assert report.totals.macs == 15_470_264_320


def test_vgg16_first_and_last_layers():
    report = report_of("vgg16.yaml")
    conv1_1 = layer(report, "conv1_1")
    assert list(conv1_1.shape) == [64, 224, 224]
    assert conv1_1.params == (3 * 3 * 3 + 1) * 64 == 1_792
    assert tuple(conv1_1.receptive_field.size) == (3, 3)
    pool5 = layer(report, "pool5")
    assert list(pool5.shape) == [512, 224 // 32, 224 // 32]
    # Araujo, Norris & Sim, "Computing Receptive Fields of CNNs" (Distill 2019): 212 for VGG-16.
    # By hand, size += (kernel - 1) * jump per layer: per stage, its convs (n * 2 * jump), then
    # its 2x2 pool (1 * jump, which doubles the jump: 1, 2, 4, 8, 16 -> 32).
    stages = [(2, 1), (2, 2), (3, 4), (3, 8), (3, 16)]  # (convs, jump)
    assert 1 + sum(n * 2 * jump + 1 * jump for n, jump in stages) == 212
    assert tuple(pool5.receptive_field.size) == (212, 212)
    assert tuple(pool5.receptive_field.jump) == (32, 32)


def test_alexnet_227_conv1_and_pool5():
    report = report_of("alexnet.yaml")
    conv1 = layer(report, "conv1")
    assert list(conv1.shape) == [96, (227 - 11) // 4 + 1, (227 - 11) // 4 + 1] == [96, 55, 55]
    assert conv1.params == (11 * 11 * 3 + 1) * 96 == 34_944
    # Araujo et al. (Distill 2019): AlexNet's last pooling layer sees 195 pixels, jump 32.
    # By hand: conv1 11, pool1 11 + 2*4 = 19, conv2 19 + 4*8 = 51, pool2 51 + 2*8 = 67,
    # conv3-5 67 + 3 * 2*16 = 163, pool5 163 + 2*16 = 195; jump 4 * 2 * 2 * 2 = 32.
    pool5 = layer(report, "pool5")
    assert list(pool5.shape) == [256, 6, 6]
    assert tuple(pool5.receptive_field.size) == (195, 195)
    assert tuple(pool5.receptive_field.jump) == (32, 32)


# The homework's table: (layer, output shape, the hand arithmetic, the params it gives).
HOMEWORK = [
    ("CONV1", [8, 28, 28], (5 * 5 * 3 + 1) * 8, 608),  # 32 - 5 + 1 = 28
    ("POOL1", [8, 14, 14], 0, 0),  # 28 / 2
    ("CONV2", [16, 10, 10], (5 * 5 * 8 + 1) * 16, 3_216),  # 14 - 5 + 1 = 10
    ("POOL2", [16, 5, 5], 0, 0),  # 10 / 2
    ("FC3", [120], (16 * 5 * 5 + 1) * 120, 48_120),
    ("FC4", [84], (120 + 1) * 84, 10_164),
    ("FC5", [10], (84 + 1) * 10, 850),
]


@pytest.mark.parametrize("name, shape, arithmetic, params", HOMEWORK, ids=[row[0] for row in HOMEWORK])
def test_homework_table(name, shape, arithmetic, params):
    assert arithmetic == params
    entry = layer(report_of("homework_cnn.yaml"), name)
    assert list(entry.shape) == shape
    assert entry.params == params


def test_zfnet_map_sizes_match_figure_3():
    # Zeiler & Fergus (ECCV 2014), Figure 3: 110, 55, 26, 13, 13, 13, 13, 6.
    expected = {
        "conv1": [96, 110, 110], "pool1": [96, 55, 55], "conv2": [256, 26, 26], "pool2": [256, 13, 13],
        "conv3": [384, 13, 13], "conv4": [384, 13, 13], "conv5": [256, 13, 13], "pool5": [256, 6, 6],
    }  # fmt: skip
    report = report_of("zfnet.yaml")
    assert {name: list(layer(report, name).shape) for name in expected} == expected


def test_smaller_details():
    # LeNet-5: C5 is a 5x5 convolution over the 5x5 maps of S4, so 120 maps of 1x1 (LeCun 1998).
    assert list(layer(report_of("lenet5.yaml"), "C5").shape) == [120, 1, 1]
    # torchvision AlexNet: features end at 256x6x6 at 224, so AdaptiveAvgPool2d((6, 6)) is the identity.
    assert list(layer(report_of("alexnet_torchvision.yaml"), "features.12").shape) == [256, 6, 6]
    # Caffe AlexNet: conv2 sees 48 of the 96 maps: 256 * 48 * 5*5 + 256.
    assert layer(report_of("alexnet_caffe.yaml"), "conv2").params == 256 * 48 * 25 + 256 == 307_456
    # CIFAR-10 VGG: running mean and variance, 2 per channel of each batchnorm.
    assert report_of("cifar10_vgg.yaml").totals.buffers == 2 * (32 + 32 + 64 + 64) == 384


@pytest.mark.parametrize("file", sorted(p.name for p in ARCHITECTURES.glob("*.yaml")))
def test_summarize_json_runs(file):
    script = Path(sys.executable).parent / "cnncalc"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cnncalc"]
    result = subprocess.run(
        [*command, "summarize", str(ARCHITECTURES / file), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    published = {row[0]: row[1] for row in PARAMS}
    if file in published:  # (a file without a row fails test_every_architecture_file_has_a_published_count)
        assert report["totals"]["params"] == published[file]
