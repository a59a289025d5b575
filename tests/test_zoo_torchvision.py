"""architectures/torchvision/: each file against the torchvision builder it is named after.

The expected figures are torchvision's, never cnncalc's. They come from torchvision 0.29.1
(torch 2.14.1), each builder called with weights=None and put in eval mode, counted as:

- params: ``sum(p.numel() for p in model.parameters())``;
- buffers: the numel of every ``running_mean`` and ``running_var`` (``num_batches_tracked``
  left out: cnncalc does not count it);
- MACs: ``torch.utils.flop_counter.FlopCounterMode`` total over 2, for one forward pass of a
  1x3x224x224 input (299x299 for inception_v3); on these networks it counts
  ``aten.convolution`` and ``aten.addmm`` only (addmm without its bias; ConvNeXt's Linear on
  a channels-last map is an addmm too), as cnncalc counts conv, fc and pointwise_fc. Pooling,
  x.mean, products, normalisations and activations count 0 in both. googlenet and
  inception_v3 are counted in train mode, the only one that runs their aux heads (see AUX);
- shape: the output's, the batch left out.

Attention: FlopCounterMode counts ``Q K^T`` and ``A V`` as ``bmm`` only where they
run as matrix products: with the fast path of ``nn.MultiheadAttention`` off
(``torch.backends.mha.set_fastpath_enabled(False)``; in eval mode without gradients it runs
one fused operator FlopCounterMode has no formula for, and counts 0 for the whole layer,
projections included) and the math kernel of ``scaled_dot_product_attention``
(``sdpa_kernel(SDPBackend.MATH)``; on the CPU its flash kernel has no formula either). So
counted, the totals equal torchvision's documented GFLOPS, which include those products
(ViT-B/16: 12 layers * 2*197*197*768 = 715,327,488 MACs of them).

Under ``-m torch`` (skipped without torchvision), ``test_live_against_torchvision`` recounts
them and ``test_names_are_torchvisions`` checks the layer names against the modules'.
Beside them, each row carries the ``num_params`` and ``_ops`` (GFLOPS, multiply-adds) that
torchvision documents in the ``meta`` of the builder's IMAGENET1K_V1 weights.

The segmentation models (torchvision.models.segmentation, SEGMENTATION below) are counted the
same way at 1x3x520x520, built with weights=None, weights_backbone=None and no auxiliary
head; their output is the dict's "out".
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest

from cnncalc.report import analyze_file

ZOO = Path(__file__).resolve().parent.parent / "architectures" / "torchvision"
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))

# (builder, params, buffers, MACs, output shape, documented num_params, documented GFLOPS or
# None where the documented figure is for another input size)
TORCHVISION = [
    ("alexnet", 61_100_840, 0, 714_188_480, [1000], 61_100_840, 0.714),
    ("vgg11", 132_863_336, 0, 7_609_090_048, [1000], 132_863_336, 7.609),
    ("vgg11_bn", 132_868_840, 5_504, 7_609_090_048, [1000], 132_868_840, 7.609),
    ("vgg13", 133_047_848, 0, 11_308_466_176, [1000], 133_047_848, 11.308),
    ("vgg13_bn", 133_053_736, 5_888, 11_308_466_176, [1000], 133_053_736, 11.308),
    ("vgg16", 138_357_544, 0, 15_470_264_320, [1000], 138_357_544, 15.47),
    ("vgg16_bn", 138_365_992, 8_448, 15_470_264_320, [1000], 138_365_992, 15.47),
    ("vgg19", 143_667_240, 0, 19_632_062_464, [1000], 143_667_240, 19.632),
    ("vgg19_bn", 143_678_248, 11_008, 19_632_062_464, [1000], 143_678_248, 19.632),
    ("squeezenet1_0", 1_248_424, 0, 818_924_576, [1000], 1_248_424, 0.819),
    ("squeezenet1_1", 1_235_496, 0, 349_151_936, [1000], 1_235_496, 0.349),
    ("resnet18", 11_689_512, 9_600, 1_814_073_344, [1000], 11_689_512, 1.814),
    ("resnet34", 21_797_672, 17_024, 3_663_761_408, [1000], 21_797_672, 3.664),
    ("resnet50", 25_557_032, 53_120, 4_089_184_256, [1000], 25_557_032, 4.089),
    ("resnet101", 44_549_160, 105_344, 7_801_405_440, [1000], 44_549_160, 7.801),
    ("resnet152", 60_192_808, 151_424, 11_513_626_624, [1000], 60_192_808, 11.514),
    ("resnext50_32x4d", 25_028_904, 68_224, 4_230_479_872, [1000], 25_028_904, 4.23),
    ("wide_resnet50_2", 68_883_240, 68_224, 11_398_021_120, [1000], 68_883_240, 11.398),
    ("resnext101_32x8d", 88_791_336, 202_880, 16_414_015_488, [1000], 88_791_336, 16.414),
    ("resnext101_64x4d", 83_455_272, 202_880, 15_460_270_080, [1000], 83_455_272, 15.46),
    ("wide_resnet101_2", 126_886_696, 137_856, 22_753_050_624, [1000], 126_886_696, 22.753),
    ("mobilenet_v2", 3_504_872, 34_112, 300_774_272, [1000], 3_504_872, 0.301),
    ("mobilenet_v3_large", 5_483_032, 24_400, 216_589_760, [1000], 5_483_032, 0.217),
    ("mobilenet_v3_small", 2_542_856, 12_112, 56_510_400, [1000], 2_542_856, 0.057),
    ("efficientnet_b0", 5_288_548, 42_016, 385_814_752, [1000], 5_288_548, 0.386),
    # B1-B7 at 224x224; torchvision's GFLOPS (0.687 ... 37.746) are at their weights' larger crops
    ("efficientnet_b1", 7_794_184, 62_048, 569_651_680, [1000], 7_794_184, None),
    ("efficientnet_b2", 9_109_994, 67_568, 658_963_440, [1000], 9_109_994, None),
    ("efficientnet_b3", 12_233_232, 87_296, 962_708_240, [1000], 12_233_232, None),
    ("efficientnet_b4", 19_341_616, 125_200, 1_503_710_432, [1000], 19_341_616, None),
    ("efficientnet_b5", 30_389_784, 172_736, 2_356_493_184, [1000], 30_389_784, None),
    ("efficientnet_b6", 43_040_704, 224_432, 3_360_166_848, [1000], 43_040_704, None),
    ("efficientnet_b7", 66_347_960, 310_720, 5_169_865_152, [1000], 66_347_960, None),
    # V2 at 224x224 too; torchvision's GFLOPS (8.366, 24.582, 56.08) are at crops of 384 and 480
    ("efficientnet_v2_s", 21_458_488, 153_872, 2_849_895_872, [1000], 21_458_488, None),
    ("efficientnet_v2_m", 54_139_356, 292_032, 5_362_207_200, [1000], 54_139_356, None),
    ("efficientnet_v2_l", 118_515_272, 512_576, 12_231_188_544, [1000], 118_515_272, None),
    ("shufflenet_v2_x0_5", 1_366_792, 7_952, 40_476_448, [1000], 1_366_792, 0.04),
    ("shufflenet_v2_x1_0", 2_278_604, 16_180, 144_907_992, [1000], 2_278_604, 0.145),
    ("shufflenet_v2_x1_5", 3_503_624, 23_440, 295_759_392, [1000], 3_503_624, 0.296),
    ("shufflenet_v2_x2_0", 7_393_996, 33_716, 583_253_464, [1000], 7_393_996, 0.583),
    ("mnasnet0_5", 2_218_512, 20_624, 104_455_968, [1000], 2_218_512, 0.104),
    ("mnasnet0_75", 3_170_208, 29_808, 215_493_104, [1000], 3_170_208, 0.215),
    ("mnasnet1_0", 4_383_312, 37_920, 314_415_872, [1000], 4_383_312, 0.314),
    ("mnasnet1_3", 6_282_256, 48_816, 526_362_432, [1000], 6_282_256, 0.526),
    ("regnet_y_400mf", 4_344_144, 27_152, 401_842_848, [1000], 4_344_144, 0.402),
    ("regnet_y_800mf", 6_432_512, 30_432, 833_856_256, [1000], 6_432_512, 0.834),
    ("regnet_y_1_6gf", 11_202_430, 52_672, 1_612_076_160, [1000], 11_202_430, 1.612),
    ("regnet_y_3_2gf", 19_436_338, 66_160, 3_176_482_752, [1000], 19_436_338, 3.176),
    ("regnet_y_8gf", 39_381_472, 86_528, 8_473_070_592, [1000], 39_381_472, 8.473),
    ("regnet_y_16gf", 83_590_140, 122_816, 15_911_510_272, [1000], 83_590_140, 15.912),
    ("regnet_y_32gf", 145_046_770, 158_288, 32_279_552_832, [1000], 145_046_770, 32.28),
    # regnet_y_128gf has no IMAGENET1K_V1 weights: the GFLOPS are its SWAG_LINEAR_V1 weights' (224)
    ("regnet_y_128gf", 644_812_894, 415_072, 127_517_815_680, [1000], 644_812_894, 127.518),
    ("regnet_x_400mf", 5_495_976, 37_856, 413_812_608, [1000], 5_495_976, 0.414),
    ("regnet_x_800mf", 7_259_656, 37_312, 799_699_712, [1000], 7_259_656, 0.8),
    ("regnet_x_1_6gf", 9_190_136, 43_504, 1_602_849_792, [1000], 9_190_136, 1.603),
    ("regnet_x_3_2gf", 15_296_552, 62_560, 3_176_621_952, [1000], 15_296_552, 3.177),
    ("regnet_x_8gf", 39_572_648, 90_464, 7_995_132_416, [1000], 39_572_648, 7.995),
    ("regnet_x_16gf", 54_278_536, 111_168, 15_940_755_456, [1000], 54_278_536, 15.941),
    ("regnet_x_32gf", 107_811_560, 162_016, 31_735_929_792, [1000], 107_811_560, 31.736),
    ("convnext_tiny", 28_589_128, 0, 4_455_531_264, [1000], 28_589_128, 4.456),
    ("convnext_small", 50_223_688, 0, 8_683_712_256, [1000], 50_223_688, 8.684),
    ("convnext_base", 88_591_464, 0, 15_354_729_472, [1000], 88_591_464, 15.355),
    ("convnext_large", 197_767_336, 0, 34_361_433_600, [1000], 197_767_336, 34.361),
    ("densenet121", 7_978_856, 83_648, 2_834_161_664, [1000], 7_978_856, 2.834),
    ("densenet161", 28_681_000, 219_936, 7_727_907_072, [1000], 28_681_000, 7.728),
    ("densenet169", 14_149_480, 158_400, 3_359_843_328, [1000], 14_149_480, 3.36),
    ("densenet201", 20_013_928, 229_056, 4_291_365_888, [1000], 20_013_928, 4.291),
    # With their aux heads, as the builders make them without weights; MACs as FlopCounterMode
    # counts in train mode, where the heads run (see AUX); the documented figures leave them out.
    ("googlenet", 13_004_888, 15_072, 1_506_748_416, [1000], None, None),
    ("inception_v3", 27_161_264, 36_224, 5_718_899_296, [1000], 27_161_264, None),
    # Vision Transformers: MACs with the attention's Q K^T and A V (see the docstring);
    # vit_h_14's documented figures are its IMAGENET1K_SWAG_LINEAR_V1 weights' (224).
    ("vit_b_16", 86_567_656, 0, 17_563_828_224, [1000], 86_567_656, 17.564),
    ("vit_b_32", 88_224_232, 0, 4_409_186_304, [1000], 88_224_232, 4.409),
    ("vit_l_16", 304_326_632, 0, 61_554_712_576, [1000], 304_326_632, 61.555),
    ("vit_l_32", 306_535_400, 0, 15_377_539_072, [1000], 306_535_400, 15.378),
    ("vit_h_14", 632_045_800, 0, 167_295_109_120, [1000], 632_045_800, 167.295),
    # Swin: window attention's Q K^T and A V run as plain products (bmm); V2 adds its position
    # bias network (mm) once a block; V2's GFLOPS (5.94, 11.546, 20.325) are at their 256 crop.
    ("swin_t", 28_288_354, 0, 4_490_566_656, [1000], 28_288_354, 4.491),
    ("swin_s", 49_606_258, 0, 8_740_875_264, [1000], 49_606_258, 8.741),
    ("swin_b", 87_768_224, 0, 15_430_946_816, [1000], 87_768_224, 15.431),
    ("swin_v2_t", 28_351_570, 0, 4_938_464_256, [1000], 28_351_570, None),
    ("swin_v2_s", 49_737_442, 0, 9_695_284_224, [1000], 49_737_442, None),
    ("swin_v2_b", 87_930_848, 0, 17_047_678_976, [1000], 87_930_848, None),
    # MaxViT: MBConv blocks (convolutions) and window and grid attention (einsum: bmm)
    ("maxvit_t", 30_919_624, 47_616, 5_558_046_720, [1000], 30_919_624, 5.558),
]

# The segmentation models, at 3x520x520: their weights' transforms (SemanticSegmentation,
# resize_size=520) make a square image 520x520, and torchvision's GFLOPS are counted there.
# Built with weights=None, weights_backbone=None, num_classes 21 and aux_loss None: no
# auxiliary head. FlopCounterMode counts their convolutions only (F.interpolate counts 0, in
# cnncalc too). The documented figures (the COCO_WITH_VOC_LABELS_V1 weights' num_params and
# _ops) are for a model with the auxiliary head those weights carry, which runs in eval mode
# too: the row's last two numbers are that head's params and MACs, worked out by hand below.
#   FCNHead(1024, 21) on layer3 (1024x65x65): conv 3x3 1024->256 (no bias) 2,359,296,
#     batchnorm 2*256 = 512, conv 1x1 256->21 with bias 5,376 + 21: 2,365,205 params;
#     65*65 * (2,359,296 + 5,376) = 4,225 * 2,364,672 = 9,990,739,200 MACs.
#   FCNHead(40, 21) on MobileNetV3's C2 (40x65x65): conv 3x3 40->10 3,600, batchnorm 20,
#     conv 1x1 10->21 with bias 210 + 21: 3,851 params; 4,225 * (3,600 + 210) = 16,097,250 MACs.
#   lraspp_mobilenet_v3_large has no auxiliary head.
# (builder, params, buffers, MACs, output shape, documented num_params, documented GFLOPS,
# aux head params, aux head MACs)
RESNET_AUX = (2_365_205, 9_990_739_200)
MOBILENET_AUX = (3_851, 16_097_250)
SEGMENTATION = [
    ("fcn_resnet50", 32_957_013, 54_144, 142_725_772_800, [21, 520, 520], 35_322_218, 152.717, *RESNET_AUX),
    ("fcn_resnet101", 51_949_141, 106_368, 222_746_867_200, [21, 520, 520], 54_314_346, 232.738, *RESNET_AUX),
    ("deeplabv3_resnet50", 39_638_869, 56_704, 168_731_205_888, [21, 520, 520], 42_004_074, 178.722, *RESNET_AUX),
    ("deeplabv3_resnet101", 58_630_997, 108_928, 248_752_300_288, [21, 520, 520], 60_996_202, 258.743, *RESNET_AUX),
    (
        "deeplabv3_mobilenet_v3_large",
        11_025_477,
        27_984,
        10_436_350_688,
        [21, 520, 520],
        11_029_328,
        10.452,
        *MOBILENET_AUX,
    ),
    ("lraspp_mobilenet_v3_large", 3_221_538, 24_656, 2_086_219_688, [21, 520, 520], 3_221_538, 2.086, 0, 0),
]
SEGMENTATION_BUILDERS = [row[0] for row in SEGMENTATION]
CLASSIFIERS = [row[0] for row in TORCHVISION]
BUILDERS = CLASSIFIERS + SEGMENTATION_BUILDERS

# The auxiliary classifiers (googlenet's aux1 and aux2, inception_v3's AuxLogits) run only in
# train mode: FlopCounterMode counts them there and not in eval mode. Per builder: the heads'
# params, buffers and MACs (train-mode count less eval-mode count, torchvision 0.29.1), and
# the documented num_params and GFLOPS, which leave the heads' MACs out (and googlenet's
# params too: GoogLeNet_Weights drops the heads; Inception_V3_Weights keeps AuxLogits).
AUX = {
    "googlenet": (("aux1.", "aux2."), 6_379_984, 512, 8_372_224, 6_624_904, 1.498),
    "inception_v3": (("AuxLogits.",), 3_326_696, 1_792, 5_683_200, 27_161_264, 5.713),
}


def test_every_file_is_pinned():
    assert sorted(p.stem for p in ZOO.glob("*.yaml")) == sorted(BUILDERS)


def test_every_block_is_written_once():
    # A family's blocks live in blocks/ and its files import them: no module's layers are
    # written in two files, and every file of blocks/ is imported by a network.
    from cnncalc import source

    bodies, imported = {}, set()
    for path in sorted(ZOO.rglob("*.yaml")):
        document = source.load(str(path))
        names = document.get("import") or []
        imported |= {(path.parent / name).resolve() for name in ([names] if isinstance(names, str) else names)}
        for name, module in (document.get("modules") or {}).items():
            body = json.dumps(module["layers"], sort_keys=True)
            assert body not in bodies, f"{path.relative_to(ZOO)}: {name} is {bodies[body]} again"
            bodies[body] = f"{path.relative_to(ZOO)}: {name}"
    assert {path.resolve() for path in (ZOO / "blocks").glob("*.yaml")} <= imported


@pytest.mark.parametrize("builder, params, buffers, macs, shape, num_params, gflops", TORCHVISION, ids=CLASSIFIERS)
def test_figures_are_torchvisions(builder, params, buffers, macs, shape, num_params, gflops):
    # The documented figures agree with the counted ones (GFLOPS where the weights' input is 224).
    assert num_params is None or params == num_params
    assert gflops is None or round(macs / 1e9, 3) == gflops
    report = analyze_file(str(ZOO / f"{builder}.yaml"))
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == (params, buffers, macs)
    assert list(report.layers[-1].shape) == shape


@pytest.mark.parametrize("builder, params, buffers, macs, shape, num_params, gflops, aux_params, aux_macs",
                         SEGMENTATION, ids=SEGMENTATION_BUILDERS)  # fmt: skip
def test_segmentation_figures_are_torchvisions(
    builder, params, buffers, macs, shape, num_params, gflops, aux_params, aux_macs
):
    # The documented figures are the counted ones with the auxiliary head added.
    assert params + aux_params == num_params
    assert round((macs + aux_macs) / 1e9, 3) == gflops
    report = analyze_file(str(ZOO / f"{builder}.yaml"))
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == (params, buffers, macs)
    assert list(report.layers[-1].shape) == shape


@pytest.mark.parametrize("builder", sorted(AUX))
def test_aux_heads(builder):
    prefixes, params, buffers, macs, num_params, gflops = AUX[builder]
    row = next(row for row in TORCHVISION if row[0] == builder)
    report = analyze_file(str(ZOO / f"{builder}.yaml"))
    heads = [layer for layer in report.layers if layer.name.startswith(prefixes)]
    assert sum(layer.params for layer in heads) == params
    assert sum(layer.buffers for layer in heads) == buffers
    assert sum(layer.macs for layer in heads) == macs
    assert num_params in (row[1], row[1] - params)
    assert round((row[3] - macs) / 1e9, 3) == gflops


# Lint is silent on every file here, warnings included: tests/test_lint.py lints all of
# architectures/ (this folder with it) and requires "All checks passed!".
# `cnncalc verify` of every file here, every figure measured: tests/test_verify.py.


def import_torchvision():
    """torch and torchvision, or a skip. torchvision's compiled ops may fail to load (they do on
    a CPU-only torch of another build); their meta registrations are all it imports them for
    at start-up, and no classifier uses them."""
    torch = pytest.importorskip("torch")
    import types

    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    return torch, pytest.importorskip("torchvision")


def torchvision_model(builder: str, **options):
    """The builder's model without weights (a segmentation model's backbone too: its
    weights_backbone default would download ImageNet weights)."""
    _, torchvision = import_torchvision()
    if builder in SEGMENTATION_BUILDERS:
        options["weights_backbone"] = None
    return torchvision.models.get_model(builder, weights=None, **options)


@contextlib.contextmanager
def attention_as_products(torch):
    """Attention run as plain matrix products, which FlopCounterMode counts (see the
    module's docstring): no fast path, the math kernel. Convolutional networks are unchanged."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def torchvision_figures(builder: str, size: int, aux: bool, **options) -> tuple:
    """The four figures, counted from torchvision as the module docstring says; with ``aux``,
    MACs in train mode (on a batch of 2, since batchnorm needs more than one value per
    channel there), where the auxiliary heads run."""
    torch, _ = import_torchvision()
    from torch.utils.flop_counter import FlopCounterMode

    model = torchvision_model(builder, **options)
    model.train(aux)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    batch = 2 if aux else 1
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad(), attention_as_products(torch):
        out = model(torch.zeros(batch, 3, size, size))
    out = out[0] if isinstance(out, tuple) else out  # train mode: (logits, aux logits...)
    out = out["out"] if isinstance(out, dict) else out  # segmentation: {"out": ..., "aux": ...}
    return params, buffers, counter.get_total_flops() // 2 // batch, list(out.shape[1:])


@pytest.mark.torch
@pytest.mark.parametrize("builder, params, buffers, macs, shape", [row[:5] for row in TORCHVISION], ids=CLASSIFIERS)
def test_live_against_torchvision(builder, params, buffers, macs, shape):
    size = 299 if builder == "inception_v3" else 224
    assert torchvision_figures(builder, size, builder in AUX) == (params, buffers, macs, shape)


# Segmentation models at 520x520 take seconds to minutes each in PyTorch: the two MobileNetV3
# ones run by default under -m torch, the ResNet ones with the slow tests.
SLOW_LIVE = {"fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101"}


@pytest.mark.torch
@pytest.mark.parametrize(
    "builder, params, buffers, macs, shape, aux_params, aux_macs",
    [
        pytest.param(row[0], *row[1:5], *row[7:], marks=[pytest.mark.slow] if row[0] in SLOW_LIVE else [])
        for row in SEGMENTATION
    ],
    ids=SEGMENTATION_BUILDERS,
)
def test_segmentation_live_against_torchvision(builder, params, buffers, macs, shape, aux_params, aux_macs):
    assert torchvision_figures(builder, 520, False) == (params, buffers, macs, shape)
    if aux_params:  # the auxiliary head the weights carry: the hand-worked figures of SEGMENTATION
        with_aux = torchvision_figures(builder, 520, False, aux_loss=True)
        assert (with_aux[0] - params, with_aux[2] - macs) == (aux_params, aux_macs)


# Files whose layer names are not torchvision's module paths: VGG numbers its features flat
# (features.0 ... features.52), which a stage module cannot produce.
# torchvision's attention modules, each one cnncalc attention layer.
ATTENTION_MODULES = {
    "MultiheadAttention",
    "ShiftedWindowAttention",
    "ShiftedWindowAttentionV2",
    "RelativePositionalMultiHeadAttention",
}
OWN_NAMES = {"vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"}


@pytest.mark.torch
@pytest.mark.parametrize("builder", [b for b in BUILDERS if b not in OWN_NAMES])
def test_names_are_torchvisions(builder):
    # The layers that learn something are named as the torchvision modules that hold the
    # parameters (a bare nn.Parameter, such as ConvNeXt's layer_scale, by its own name).
    torch, _ = import_torchvision()
    model = torchvision_model(builder)
    # An attention layer is one module in both: nn.MultiheadAttention's in_proj_weight,
    # in_proj_bias and out_proj (Swin's qkv, proj, relative_position_bias_table, cpb_mlp and
    # logit_scale; MaxViT's to_qkv, merge and table) all belong to cnncalc's one layer.
    attentions = [path for path, module in model.named_modules() if type(module).__name__ in ATTENTION_MODULES]
    expected = set()
    for name, _ in model.named_parameters():
        path, _, leaf = name.rpartition(".")
        owner = next((a for a in attentions if name.startswith(a + ".")), None)
        expected.add(owner if owner else path if leaf in ("weight", "bias") else name)
    report = analyze_file(str(ZOO / f"{builder}.yaml"))
    assert {layer.name for layer in report.layers if layer.params} == expected
