"""The ResNet family in architectures/ against torchvision, TF-Slim and Araujo et al.

Every expected figure comes from torchvision's model table, TF-Slim's receptive-field table,
or hand arithmetic written out here from the architecture, never from a run of cnncalc.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.report import analyze_file

ARCHITECTURES = Path(__file__).resolve().parent.parent / "architectures"
PLANES = (64, 128, 256, 512)  # the width of each stage (a Bottleneck's output is 4x this)


def conv_bn(k: int, c_in: int, c_out: int) -> int:
    """Hand formula: a bias-free k x k conv and its batchnorm (a scale and a shift per channel)."""
    return k * k * c_in * c_out + 2 * c_out


def torchvision_params(block: str, counts) -> int:
    """By hand, following torchvision's ResNet._make_layer."""
    total, c_in = conv_bn(7, 3, 64), 64  # conv1, bn1
    for planes, n in zip(PLANES, counts):
        for _ in range(n):
            if block == "basic":  # conv1 3x3, conv2 3x3
                c_out = planes
                total += conv_bn(3, c_in, planes) + conv_bn(3, planes, planes)
            else:  # conv1 1x1, conv2 3x3, conv3 1x1 to 4x the width
                c_out = 4 * planes
                total += conv_bn(1, c_in, planes) + conv_bn(3, planes, planes) + conv_bn(1, planes, c_out)
            if c_in != c_out:  # downsample.0/.1 (here every strided block also changes the width)
                total += conv_bn(1, c_in, c_out)
            c_in = c_out
    return total + c_in * 1000 + 1000  # fc


def torchvision_macs(block: str, counts) -> int:
    """By hand: conv and fc multiply-accumulates; the stride sits on a block's first 3x3 conv."""
    macs = 112 * 112 * 64 * 7 * 7 * 3  # conv1: 224 -> 112
    size, c_in = 56, 64  # after the maxpool
    for stage, (planes, n) in enumerate(zip(PLANES, counts)):
        for i in range(n):
            out = size // 2 if stage > 0 and i == 0 else size
            if block == "basic":
                c_out = planes
                macs += out * out * planes * 9 * c_in + out * out * planes * 9 * planes
            else:  # conv1 runs at the input's size, conv2 (stride) and conv3 at the output's
                c_out = 4 * planes
                macs += size * size * planes * c_in + out * out * planes * 9 * planes + out * out * c_out * planes
            if c_in != c_out:
                macs += out * out * c_out * c_in  # downsample.0
            c_in, size = c_out, out
    return macs + c_in * 1000  # fc


# (file, block, blocks per stage, torchvision num_params, torchvision "GFLOPS" (multiply-adds), name)
TORCHVISION = [
    ("resnet18.yaml", "basic", (2, 2, 2, 2), 11_689_512, 1.81, "ResNet18_Weights.IMAGENET1K_V1"),
    ("resnet34.yaml", "basic", (3, 4, 6, 3), 21_797_672, 3.66, "ResNet34_Weights.IMAGENET1K_V1"),
    ("resnet50.yaml", "bottleneck", (3, 4, 6, 3), 25_557_032, 4.09, "ResNet50_Weights.IMAGENET1K_V1"),
    ("resnet101.yaml", "bottleneck", (3, 4, 23, 3), 44_549_160, 7.80, "ResNet101_Weights.IMAGENET1K_V1"),
    ("resnet152.yaml", "bottleneck", (3, 8, 36, 3), 60_192_808, 11.51, "ResNet152_Weights.IMAGENET1K_V1"),
]


def report_of(file: str):
    return analyze_file(str(ARCHITECTURES / file))


def layers_of(report) -> dict:
    return {layer.name: layer for layer in report.layers}


@pytest.mark.parametrize("file, block, counts, params, gmacs, source", TORCHVISION, ids=[r[0] for r in TORCHVISION])
def test_torchvision_params_and_macs(file, block, counts, params, gmacs, source):
    assert torchvision_params(block, counts) == params, f"the hand arithmetic disagrees with {source}"
    assert round(torchvision_macs(block, counts) / 1e9, 2) == gmacs, source
    report = report_of(file)
    assert report.totals.params == params, source
    assert report.totals.macs == torchvision_macs(block, counts)
    assert list(layers_of(report)["fc"].shape) == [1000]


def test_resnet50_macs():
    # torchvision's table gives 4.09 GFLOPS (multiply-adds, at 224x224); by hand, exactly:
    assert torchvision_macs("bottleneck", (3, 4, 6, 3)) == 4_089_184_256
    assert report_of("resnet50.yaml").totals.macs == 4_089_184_256


@pytest.mark.parametrize(
    "file, block, counts", [(r[0], r[1], r[2]) for r in TORCHVISION], ids=[r[0] for r in TORCHVISION]
)
def test_names_are_torchvisions_state_dict_modules(file, block, counts):
    # The modules with weights, as torchvision's ResNet.__init__ and _make_layer name them.
    expected = {"conv1", "bn1", "fc"}
    for stage, n in enumerate(counts, 1):
        for i in range(n):
            convs = 2 if block == "basic" else 3
            expected |= {f"layer{stage}.{i}.{kind}{k}" for kind in ("conv", "bn") for k in range(1, convs + 1)}
            if i == 0 and (stage > 1 or block == "bottleneck"):
                expected |= {f"layer{stage}.{i}.downsample.0", f"layer{stage}.{i}.downsample.1"}
    report = report_of(file)
    assert {layer.name for layer in report.layers if layer.params} == expected


def test_resnet50_spot_checks():
    layers = layers_of(report_of("resnet50.yaml"))
    assert layers["layer1.0.conv1"].params == 1 * 1 * 64 * 64 == 4_096
    assert list(layers["layer1.0.conv1"].shape) == [64, 56, 56]
    assert layers["layer1.0.downsample.0"].params == 64 * 256 == 16_384  # width 64 -> 256, stride 1
    assert "layer1.1.downsample.0" not in layers
    # v1.5: layer2.0's conv1 still runs at 56x56; its 3x3 conv2 halves the map.
    assert list(layers["layer2.0.conv1"].shape) == [128, 56, 56]
    assert list(layers["layer2.0.conv2"].shape) == [128, 28, 28]
    assert layers["layer2.0.conv2"].params == 3 * 3 * 128 * 128 == 147_456
    assert list(layers["layer2.0.downsample.0"].shape) == [512, 28, 28]
    assert layers["layer2.0.downsample.0"].params == 256 * 512 == 131_072
    assert list(layers["layer4.2.conv3"].shape) == [2048, 7, 7]
    assert layers["layer4.2.conv3"].params == 512 * 2048 == 1_048_576
    assert list(layers["avgpool"].shape) == [2048, 1, 1]
    assert layers["fc"].params == 2048 * 1000 + 1000 == 2_049_000
    # Running mean and variance: 2 per batchnorm channel. Per Bottleneck p + p + 4p channels,
    # plus 4p in each stage's first block (downsample.1); 64 for bn1.
    channels = 64 + sum((n * 6 + 4) * p for p, n in zip(PLANES, (3, 4, 6, 3)))
    assert channels == 26_560
    assert report_of("resnet50.yaml").totals.buffers == 2 * channels


def test_resnet18_spot_checks():
    layers = layers_of(report_of("resnet18.yaml"))
    assert "layer1.0.downsample.0" not in layers  # 64 -> 64 at stride 1: an identity shortcut
    assert layers["layer1.0.conv1"].params == 3 * 3 * 64 * 64 == 36_864
    assert layers["layer2.0.downsample.0"].params == 64 * 128 == 8_192
    assert list(layers["layer2.0.conv1"].shape) == [128, 28, 28]  # BasicBlock: stride on conv1
    assert list(layers["layer4.1.bn2"].shape) == [512, 7, 7]
    assert layers["fc"].params == 512 * 1000 + 1000 == 513_000


def walk(path) -> tuple:
    """SPEC section 2 by hand: size += (kernel - 1) * jump, jump *= stride."""
    size, jump = 1, 1
    for kernel, stride in path:
        size += (kernel - 1) * jump
        jump *= stride
    return size, jump


# (kernel, stride) along the longest path: conv1 7x7/2, maxpool 3x3/2, then per Bottleneck its
# conv1 1x1, conv2 3x3 (carrying the stride), conv3 1x1. The shortcuts (identity, a 1x1 conv or
# a 1x1 max pool) see less and are centred alike, so each add's union is the main path's field.
UNIT, UNIT_S2 = [(1, 1), (3, 1), (1, 1)], [(1, 1), (3, 2), (1, 1)]
STEM = [(7, 2), (3, 2)]
# TF-Slim: a block's LAST unit strides (block1, block2, block3).
SLIM_BLOCKS = [STEM + UNIT * 2 + UNIT_S2, UNIT * 3 + UNIT_S2, UNIT * 5 + UNIT_S2, UNIT * 3]
# torchvision: a stage's FIRST block strides (layer2, layer3, layer4).
TORCHVISION_50 = STEM + UNIT * 3 + UNIT_S2 + UNIT * 3 + UNIT_S2 + UNIT * 5 + UNIT_S2 + UNIT * 2
TORCHVISION_101 = STEM + UNIT * 3 + UNIT_S2 + UNIT * 3 + UNIT_S2 + UNIT * 22 + UNIT_S2 + UNIT * 2
TORCHVISION_152 = STEM + UNIT * 3 + UNIT_S2 + UNIT * 7 + UNIT_S2 + UNIT * 35 + UNIT_S2 + UNIT * 2
# BasicBlock: two 3x3 convs, the first carrying the stride.
BASIC, BASIC_S2 = [(3, 1), (3, 1)], [(3, 2), (3, 1)]
TORCHVISION_18 = STEM + BASIC * 2 + BASIC_S2 + BASIC * 1 + BASIC_S2 + BASIC * 1 + BASIC_S2 + BASIC * 1
TORCHVISION_34 = STEM + BASIC * 3 + BASIC_S2 + BASIC * 3 + BASIC_S2 + BASIC * 5 + BASIC_S2 + BASIC * 2
# (file, its last spatial layer, the path by hand, receptive field)
TORCHVISION_FIELDS = [
    ("resnet18.yaml", "layer4.1.relu2", TORCHVISION_18, 435),
    ("resnet34.yaml", "layer4.2.relu2", TORCHVISION_34, 899),
    ("resnet50.yaml", "layer4.2.relu3", TORCHVISION_50, 427),
    ("resnet101.yaml", "layer4.2.relu3", TORCHVISION_101, 971),
    ("resnet152.yaml", "layer4.2.relu3", TORCHVISION_152, 1451),
]


@pytest.mark.parametrize("file, last, path, size", TORCHVISION_FIELDS, ids=[row[0] for row in TORCHVISION_FIELDS])
def test_torchvision_receptive_fields(file, last, path, size):
    assert walk(path) == (size, 32)
    field = layers_of(report_of(file))[last].receptive_field
    assert tuple(field.size) == (size, size)
    assert tuple(field.jump) == (32, 32)
    # Every torchvision layer pads (kernel - 1) / 2, so unit 0 stays centred on pixel 0.
    assert tuple(field.start) == (0, 0)


# google-research/receptive_field, RECEPTIVE_FIELD_TABLE.md (the numbers of Araujo, Norris & Sim,
# "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019), resnet_v1_50 at
# 224: (end-point, receptive field, effective stride, effective padding, GFLOPs).
SLIM_TABLE = [
    ("block1.unit_3", 35, 8, 15, 1.323),
    ("block2.unit_4", 99, 16, 47, 2.974),
    ("block3.unit_6", 291, 32, 143, 5.498),
    ("block4.unit_3", 483, 32, 239, 6.963),
]


def test_tfslim_receptive_fields_match_araujo_et_al():
    layers = layers_of(report_of("resnet50_tfslim.yaml"))
    path = []
    for (unit, size, jump, padding, _), blocks in zip(SLIM_TABLE, SLIM_BLOCKS):
        path += blocks
        assert walk(path) == (size, jump)
        field = layers[f"{unit}.bottleneck_v1.Relu"].receptive_field
        assert tuple(field.size) == (size, size) and tuple(field.jump) == (jump, jump)
        # Effective padding P: unit 0 sees [-P, size - 1 - P], centred at (size - 1) / 2 - P = 2
        # (pool1 pads SAME: 0 before, 1 after, which moves every later centre by one jump of 2).
        assert tuple(field.start) == ((size - 1) / 2 - padding,) * 2 == (2, 2)
    assert list(layers["block4.unit_3.bottleneck_v1.Relu"].shape) == [2048, 7, 7]
    # pool1 pads SAME (0 before, 1 after): centre (3 - 1) / 2 - 0 = 1 jump of 2 to the right;
    # torchvision's maxpool pads 1 on both sides and keeps unit 0 on pixel 0.
    assert tuple(layers["pool1"].receptive_field.start) == (2, 2)
    assert tuple(layers_of(report_of("resnet50.yaml"))["maxpool"].receptive_field.start) == (0, 0)


def test_tfslim_at_321(tmp_path):
    # The same table at 321x321: effective padding 17, 49, 145, 241, so unit 0 is centred on
    # pixel 0 (pool1's SAME padding is now 1 before, 1 after), and 321 -> (321 - 1) / 32 + 1 = 11.
    text = (ARCHITECTURES / "resnet50_tfslim.yaml").read_text().replace("[3, 224, 224]", "[3, 321, 321]")
    (tmp_path / "resnet50_tfslim_321.yaml").write_text(text)
    layers = layers_of(analyze_file(str(tmp_path / "resnet50_tfslim_321.yaml")))
    for (unit, size, _, _, _), padding in zip(SLIM_TABLE, (17, 49, 145, 241)):
        field = layers[f"{unit}.bottleneck_v1.Relu"].receptive_field
        assert tuple(field.size) == (size, size)
        assert tuple(field.start) == ((size - 1) / 2 - padding,) * 2 == (0, 0)
    assert list(layers["block4.unit_3.bottleneck_v1.Relu"].shape) == [2048, 11, 11]


def slim_macs() -> int:
    """By hand, following resnet_v1.bottleneck and resnet_v1_block for resnet_v1_50."""
    macs = 112 * 112 * 64 * 7 * 7 * 3  # conv1
    size, c_in = 56, 64  # after pool1
    for base, n, block_stride in zip(PLANES, (3, 4, 6, 3), (2, 2, 2, 1)):
        depth = 4 * base
        for i in range(n):
            out = size // block_stride if i == n - 1 else size
            macs += size * size * base * c_in + out * out * base * 9 * base + out * out * depth * base
            if c_in != depth:  # a projection shortcut (a max pool costs no MACs)
                macs += out * out * depth * c_in
            c_in, size = depth, out
    return macs + 2048 * 1000  # logits, a 1x1 conv on pool5


def test_tfslim_params_and_macs():
    report = report_of("resnet50_tfslim.yaml")
    # The same weights as torchvision's ResNet-50, laid out otherwise (logits: 1x1 conv + biases).
    assert report.totals.params == torchvision_params("bottleneck", (3, 4, 6, 3)) == 25_557_032
    assert report.totals.macs == slim_macs() == 3_482_255_360
    # The table's 6.963 GFLOPs at block4 is TF's profiler count: 2 per multiply-add plus the
    # residual adds and pooling, which cnncalc does not count, so the two agree to 0.1%.
    assert abs(2 * (slim_macs() - 2048 * 1000) / 6.963e9 - 1) < 0.001
    layers = layers_of(report)
    unit = "block1.unit_3.bottleneck_v1"
    assert list(layers[f"{unit}.conv1"].shape) == [64, 56, 56]  # the stride is on conv2
    assert list(layers[f"{unit}.conv2"].shape) == [64, 28, 28]
    assert list(layers[f"{unit}.shortcut.MaxPool2D"].shape) == [256, 28, 28]  # subsample(), 1x1/2
    assert f"{unit}.shortcut" not in layers
    assert layers["block1.unit_1.bottleneck_v1.shortcut"].params == 64 * 256 == 16_384
    assert "block1.unit_2.bottleneck_v1.shortcut.MaxPool2D" not in layers  # stride 1: identity
    assert layers["logits"].params == 2048 * 1000 + 1000
