"""Zoo variants the course notes describe (issue 21): ZFNet with wider middle layers, the
pre-activation ResNet of "Identity Mappings" and MiniVGGNet. Figures from the papers and hand arithmetic
written out here; the torch-marked test builds the network in PyTorch and counts there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.report import analyze_file

ARCHITECTURES = Path(__file__).resolve().parent.parent / "architectures"


def preact_params(n: int, with_batchnorm: bool = True) -> int:
    """Pre-activation bottleneck ResNet for CIFAR (He et al. 2016), depth 9n + 2, by hand:
    a 3x3 stem 3 -> 16; per stage of width w (16, 32, 64) n units C_in -> w (1x1), w -> w
    (3x3), w -> 4w (1x1), no biases, the first unit with a 1x1 projection C_in -> 4w; a
    batchnorm (scale and shift, 2C) before each of a unit's convs and one at the end; an fc
    256 -> 10 with biases."""
    total, c_in = 3 * 3 * 3 * 16, 16
    for width in (16, 32, 64):
        for unit in range(n):
            total += c_in * width + 3 * 3 * width * width + width * 4 * width
            total += c_in * 4 * width if unit == 0 else 0
            total += 2 * (c_in + width + width) if with_batchnorm else 0
            c_in = 4 * width
    return total + (2 * c_in if with_batchnorm else 0) + c_in * 10 + 10


def conv(k: int, c_in: int, c_out: int) -> int:
    return (k * k * c_in + 1) * c_out


# ZFNet, Zeiler & Fergus 2014, Tables 2 and 3: layers 3, 4, 5 with 512, 1024, 512 maps; the
# rest as Figure 3 (pool5 6x6x512 into fc6).
ZFNET_WIDE = (
    conv(7, 3, 96)  # 14,208
    + conv(5, 96, 256)  # 614,656
    + conv(3, 256, 512)  # 1,180,160
    + conv(3, 512, 1024)  # 4,719,616
    + conv(3, 1024, 512)  # 4,719,104
    + (6 * 6 * 512 + 1) * 4096  # 75,501,568
    + (4096 + 1) * 4096  # 16,781,312
    + (4096 + 1) * 1000  # 4,097,000
)

# MiniVGGNet (Rosebrock, Deep Learning for Computer Vision with Python, ch. 15), by hand:
# four 3x3 "same" convs 3 -> 32 -> 32 -> 64 -> 64 with biases, a batchnorm (scale and shift)
# after each relu and after fc1, fc 8*8*64 -> 512 -> 10.
MINIVGG = (
    conv(3, 3, 32)  # 896
    + conv(3, 32, 32)  # 9,248
    + conv(3, 32, 64)  # 18,496
    + conv(3, 64, 64)  # 36,928
    + 2 * (32 + 32 + 64 + 64 + 512)  # 1,408
    + (8 * 8 * 64 + 1) * 512  # 2,097,664
    + (512 + 1) * 10  # 5,130
)


# (file, published or stated total, the same by hand, source): rows of test_architectures.PARAMS
PARAMS = [
    ("zfnet_512_1024_512.yaml", 107_627_624, ZFNET_WIDE, "hand: Zeiler & Fergus 2014, layers 3-5 512/1024/512"),
    ("preact_resnet164.yaml", 1_703_258, preact_params(18), "hand; He et al. 2016 Table 4: 1.7M"),
    ("minivgg.yaml", 2_169_770, MINIVGG, "hand: Rosebrock, DL4CV ch. 15, MiniVGGNet"),
]


def test_the_hand_formula_against_the_sums_written_out():
    # ResNet-164 unit by unit (stage: first unit + 17 others):
    #   stage 1: 32+256+32+2,304+32+1,024+1,024 = 4,704; 128+1,024+32+2,304+32+1,024 = 4,544
    #   stage 2: 128+2,048+64+9,216+64+4,096+8,192 = 23,808; 256+4,096+64+9,216+64+4,096 = 17,792
    #   stage 3: 256+8,192+128+36,864+128+16,384+32,768 = 94,720; 512+16,384+128+36,864+128+16,384 = 70,400
    #   stem 432, last batchnorm 512, fc 2,570
    stages = (4_704 + 17 * 4_544) + (23_808 + 17 * 17_792) + (94_720 + 17 * 70_400)
    assert preact_params(18) == 432 + stages + 512 + 2_570 == 1_703_258
    # The batchnorms alone: 3*32 + 17*192, 256 + 17*384, 512 + 17*768, and 512: 24,224.
    assert preact_params(18) - preact_params(18, with_batchnorm=False) == 3_360 + 6_784 + 13_568 + 512 == 24_224
    assert ZFNET_WIDE == 107_627_624


def test_preact_resnet_counts_as_the_paper_rounds():
    # Table 4 of "Identity Mappings": ResNet-164 1.7M, ResNet-1001 10.2M parameters. Both are
    # the weights without the batchnorms (1,679,034 and 10,178,490); with them 1001 would
    # round to 10.3M (10,327,706).
    assert round(preact_params(18, with_batchnorm=False) / 1e6, 1) == 1.7
    assert round(preact_params(111, with_batchnorm=False) / 1e6, 1) == 10.2
    assert round(preact_params(111) / 1e6, 1) == 10.3
    report = analyze_file(str(ARCHITECTURES / "preact_resnet164.yaml"))
    assert report.totals.params == preact_params(18)
    # batchnorm buffers (running mean and variance) are 2C too: the same 24,224
    assert report.totals.buffers == 24_224


def weighted_layers(report) -> list:
    """The layers a ResNet's depth counts: convs and the fc, not the projection shortcuts."""
    return [layer for layer in report.layers if layer.type in ("conv", "fc") and not layer.name.endswith("shortcut")]


def test_preact_resnet_1001_from_the_same_file(tmp_path):
    # n = 111 units per stage: the first of each and 110 more. Depth 3 * 111 * 3 + 2 = 1001:
    # the units' convs, the stem and the fc (the three projections are not counted).
    text = (ARCHITECTURES / "preact_resnet164.yaml").read_text()
    assert text.count("repeat: 17\n") == 3
    path = tmp_path / "preact_resnet1001.yaml"
    path.write_text(text.replace("repeat: 17\n", "repeat: 110\n"))
    report = analyze_file(str(path))
    assert report.totals.params == preact_params(111) == 10_327_706
    assert len(weighted_layers(report)) == 1001


def test_preact_resnet_shapes_and_the_pre_activated_shortcut():
    report = analyze_file(str(ARCHITECTURES / "preact_resnet164.yaml"))
    shapes = {layer.name: list(layer.shape) for layer in report.layers}
    # 32x32 -> 64 channels; stride 2: 16x16x128, then 8x8x256; pooled to 256, 10 classes.
    assert shapes["stage1.0.output"] == [64, 32, 32]
    assert shapes["stage2.0.output"] == [128, 16, 16]
    assert shapes["stage3.0.output"] == [256, 8, 8]
    assert shapes["avgpool"] == [256, 1, 1] and shapes["fc"] == [10]
    # Full pre-activation: the projection reads the unit's BN-ReLU output, not its raw input;
    # an identity unit adds its raw input.
    by_name = {layer.name: layer for layer in report.layers}
    assert by_name["stage2.0.shortcut"].inputs == ("stage2.0.relu1",)
    assert by_name["stage2.0.bn1"].inputs == ("unit17.output",)
    assert by_name["unit18.output"].inputs == ("unit18.conv3", "stage2.0.output")
    # 164 = 3 stages * 18 units * 3 convs + stem + fc (the projections are not counted).
    assert len(weighted_layers(report)) == 164


def test_zfnet_wide_middle_layers():
    report = analyze_file(str(ARCHITECTURES / "zfnet_512_1024_512.yaml"))
    shapes = {layer.name: list(layer.shape) for layer in report.layers}
    # Figure 3's sizes (13x13 in layers 3-5, 6x6 after pool5) with 512, 1024, 512 maps.
    assert shapes["conv3"] == [512, 13, 13] and shapes["conv4"] == [1024, 13, 13] and shapes["conv5"] == [512, 13, 13]
    assert shapes["pool5"] == [512, 6, 6]
    assert report.totals.params == ZFNET_WIDE


@pytest.mark.torch
def test_preact_resnet164_in_pytorch():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Unit(nn.Module):
        def __init__(self, c_in, width, stride):
            super().__init__()
            self.bn1, self.bn2, self.bn3 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(width), nn.BatchNorm2d(width)
            self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
            self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
            project = stride != 1 or c_in != 4 * width
            self.shortcut = nn.Conv2d(c_in, 4 * width, 1, stride, bias=False) if project else None

        def forward(self, x):
            a = torch.relu(self.bn1(x))
            out = self.conv3(torch.relu(self.bn3(self.conv2(torch.relu(self.bn2(self.conv1(a)))))))
            return out + (self.shortcut(a) if self.shortcut is not None else x)

    layers, c_in = [nn.Conv2d(3, 16, 3, 1, 1, bias=False)], 16
    for width, stride in ((16, 1), (32, 2), (64, 2)):
        for unit in range(18):
            layers.append(Unit(c_in, width, stride if unit == 0 else 1))
            c_in = 4 * width
    layers += [nn.BatchNorm2d(c_in), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)]
    model = nn.Sequential(*layers)
    report = analyze_file(str(ARCHITECTURES / "preact_resnet164.yaml"))
    assert sum(p.numel() for p in model.parameters()) == report.totals.params == 1_703_258
    assert sum(b.numel() for name, b in model.named_buffers() if "running" in name) == report.totals.buffers
    assert list(model(torch.zeros(1, 3, 32, 32)).shape) == [1, 10]


def test_minivgg_the_table():
    assert MINIVGG == 2_169_770
    report = analyze_file(str(ARCHITECTURES / "minivgg.yaml"))
    assert report.totals.params == MINIVGG
    # Keras' "total params" 2,171,178 counts the 1,408 running statistics too.
    assert report.totals.params + report.totals.buffers == 2_171_178
    shapes = {layer.name: list(layer.shape) for layer in report.layers}
    # Table 15.1: 32x32x32 twice, pooled to 16x16x32; 16x16x64 twice, pooled to 8x8x64.
    assert shapes["conv1_2"] == [32, 32, 32] and shapes["pool1"] == [32, 16, 16]
    assert shapes["conv2_2"] == [64, 16, 16] and shapes["pool2"] == [64, 8, 8]
    assert shapes["fc1"] == [512] and shapes["fc2"] == [10]
    # outputs x taps x input channels: 32*32*32*27 + 32*32*32*288 + 16*16*64*288 + 16*16*64*576
    # + 4,096*512 + 512*10
    assert report.totals.macs == 884_736 + 9_437_184 + 4_718_592 + 9_437_184 + 2_097_152 + 5_120 == 26_579_968


@pytest.mark.torch
def test_minivgg_the_code_counts_as_the_table(monkeypatch, tmp_path):
    # examples/homework/minivgg.py's create_vgg(): PyTorch's own count, and the same network
    # read through cnncalc's import (traced to ONNX and read back).
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from cnncalc.interop.torch_import import document_text

    monkeypatch.syspath_prepend(str(ARCHITECTURES.parent / "examples" / "homework"))
    from minivgg import create_vgg

    model = create_vgg().eval()
    assert sum(p.numel() for p in model.parameters()) == MINIVGG
    assert sum(b.numel() for name, b in model.named_buffers() if "running" in name) == 1_408
    assert list(model(torch.zeros(1, 3, 32, 32)).shape) == [1, 10]
    path = tmp_path / "imported.yaml"
    path.write_text(document_text("minivgg:create_vgg", (3, 32, 32)))
    imported = analyze_file(str(path))
    assert imported.totals.params == MINIVGG
    assert imported.totals.macs == 26_579_968
    assert list(imported.layers[-1].shape) == [10]
