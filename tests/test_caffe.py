"""Caffe networks read as architecture files (cnncalc/interop/caffe.py, prototxt.py).

BVLC's deploy files (tests/data/caffe, copied from Caffe's repository) are held to their
published figures, each derived here by hand arithmetic per layer: AlexNet and CaffeNet
60,965,224 parameters (Krizhevsky et al.'s network as BVLC trained it, two groups in conv2,
conv4 and conv5), GoogLeNet 6,998,552 (Szegedy et al., "Going deeper with convolutions",
Table 1, with a bias per filter and no auxiliary classifiers). Caffe's own arithmetic is
quoted from its sources: pooling_layer.cpp (the pooled size), base_conv_layer.cpp and
net.cpp (the TEST phase's rules).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cnncalc import entry, files
from cnncalc.errors import SpecError
from cnncalc.executor import execute
from cnncalc.graph import build
from cnncalc.interop import caffe, prototxt
from cnncalc.report import analyze_file

DATA = Path(__file__).resolve().parent / "data" / "caffe"
ALEXNET = str(DATA / "bvlc_alexnet.prototxt")
CAFFENET = str(DATA / "bvlc_reference_caffenet.prototxt")
GOOGLENET = str(DATA / "bvlc_googlenet.prototxt")


def layer(report, name):
    return next(item for item in report.layers if item.name == name)


def cnncalc(capsys, *argv):
    """Runs the command line in-process: (exit code, stdout, stderr)."""
    try:
        code = entry.main(list(argv))
    except SystemExit as done:  # click's commands end by exiting
        code = done.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def net(tmp_path, text, name="net.prototxt"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- BVLC's files, held to their published figures -------------------------------------------

# AlexNet as BVLC trained it: conv2, conv4 and conv5 in two groups (each filter sees half
# of the maps), a bias per filter and per unit; 227x227 input.
ALEXNET_PARAMS = {
    "conv1": 96 * 3 * 11 * 11 + 96,  # 34,944
    "conv2": 256 * (96 // 2) * 5 * 5 + 256,  # 307,456
    "conv3": 384 * 256 * 3 * 3 + 384,  # 885,120
    "conv4": 384 * (384 // 2) * 3 * 3 + 384,  # 663,936
    "conv5": 256 * (384 // 2) * 3 * 3 + 256,  # 442,624
    "fc6": 256 * 6 * 6 * 4096 + 4096,  # 37,752,832
    "fc7": 4096 * 4096 + 4096,  # 16,781,312
    "fc8": 4096 * 1000 + 1000,  # 4,097,000
}
# Output sizes: conv1 (227 - 11)/4 + 1 = 55; pool1 ceil((55 - 3)/2) + 1 = 27; conv2
# 27 + 2*2 - 5 + 1 = 27; pool2 ceil((27 - 3)/2) + 1 = 13; conv3-5 keep 13; pool5
# ceil((13 - 3)/2) + 1 = 6; then 4096, 4096, 1000.
ALEXNET_SHAPES = {
    "conv1": (96, 55, 55),
    "norm1": (96, 55, 55),
    "pool1": (96, 27, 27),
    "conv2": (256, 27, 27),
    "pool2": (256, 13, 13),
    "conv3": (384, 13, 13),
    "conv4": (384, 13, 13),
    "conv5": (256, 13, 13),
    "pool5": (256, 6, 6),
    "fc6": (4096,),
    "fc7": (4096,),
    "fc8": (1000,),
    "prob": (1000,),
}


def test_alexnet_has_its_published_parameters_and_shapes():
    report = analyze_file(ALEXNET)
    assert sum(ALEXNET_PARAMS.values()) == 60_965_224
    assert report.totals.params == 60_965_224
    assert {name: layer(report, name).params for name in ALEXNET_PARAMS} == ALEXNET_PARAMS
    assert {name: layer(report, name).shape for name in ALEXNET_SHAPES} == ALEXNET_SHAPES
    assert report.input == (3, 227, 227)  # Caffe's batch of 10 left out


def test_alexnet_macs_by_hand():
    # A convolution's MACs: output positions * filters * (input maps per group * k * k).
    macs = (
        55 * 55 * 96 * (3 * 11 * 11)  # conv1 105,415,200
        + 27 * 27 * 256 * (48 * 5 * 5)  # conv2 223,948,800
        + 13 * 13 * 384 * (256 * 3 * 3)  # conv3 149,520,384
        + 13 * 13 * 384 * (192 * 3 * 3)  # conv4 112,140,288
        + 13 * 13 * 256 * (192 * 3 * 3)  # conv5 74,760,192
        + 9216 * 4096
        + 4096 * 4096
        + 4096 * 1000
    )
    assert macs == 724_406_816
    assert analyze_file(ALEXNET).totals.macs == macs


def test_caffenet_swaps_pooling_and_normalisation_and_keeps_the_parameters():
    # CaffeNet pools before it normalises (AlexNet the other way round): the same weights,
    # the LRNs on the pooled 27x27 and 13x13 maps instead of 55x55 and 27x27.
    report = analyze_file(CAFFENET)
    assert report.totals.params == 60_965_224
    assert [item.name for item in report.layers[:4]] == ["conv1", "relu1", "pool1", "norm1"]
    assert layer(report, "norm1").shape == (96, 27, 27)
    assert layer(report, "norm2").shape == (256, 13, 13)
    assert layer(report, "prob").shape == (1000,)
    alexnet = analyze_file(ALEXNET)
    assert report.totals.macs == alexnet.totals.macs  # pooling and LRN count no MACs


# GoogLeNet, Szegedy et al. Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
INCEPTIONS = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def inception_params(maps_in, one, reduce3, three, reduce5, five, proj):
    """Six convolutions, each with a bias per filter."""
    return (
        (maps_in * one + one)
        + (maps_in * reduce3 + reduce3)
        + (reduce3 * 9 * three + three)
        + (maps_in * reduce5 + reduce5)
        + (reduce5 * 25 * five + five)
        + (maps_in * proj + proj)
    )


def test_googlenet_has_its_published_parameters():
    report = analyze_file(GOOGLENET)
    expected = {"3a": 163_696, "3b": 388_736, "4a": 376_176, "4b": 449_160, "4c": 510_104,
                "4d": 605_376, "4e": 868_352, "5a": 1_043_456, "5b": 1_444_080}  # fmt: skip
    maps = 192  # conv2/3x3's
    for tag, widths in INCEPTIONS.items():
        assert inception_params(maps, *widths) == expected[tag], tag
        counted = sum(item.params for item in report.layers if item.name.startswith(f"inception_{tag}/"))
        assert counted == expected[tag], tag
        maps = widths[0] + widths[2] + widths[4] + widths[5]
        assert layer(report, f"inception_{tag}/output").shape[0] == maps
    stem = (64 * 3 * 7 * 7 + 64) + (64 * 64 + 64) + (192 * 64 * 3 * 3 + 192)  # 124,416
    classifier = 1024 * 1000 + 1000
    assert stem + sum(expected.values()) + classifier == 6_998_552
    assert report.totals.params == 6_998_552


def test_googlenet_macs_by_hand():
    # A convolution's MACs: output positions * filters * input maps * k * k. The stem at
    # 112 and 56, the inceptions at 28 (3a, 3b), 14 (4a-4e) and 7 (5a, 5b); then 1024 x 1000.
    def inception_macs(size, maps_in, one, reduce3, three, reduce5, five, proj):
        per_position = maps_in * (one + reduce3 + reduce5 + proj) + reduce3 * 9 * three + reduce5 * 25 * five
        return size * size * per_position

    stem = 112 * 112 * 64 * (3 * 7 * 7) + 56 * 56 * 64 * 64 + 56 * 56 * 192 * (64 * 3 * 3)
    macs, maps = stem, 192
    for tag, widths in INCEPTIONS.items():
        macs += inception_macs({"3": 28, "4": 14, "5": 7}[tag[0]], maps, *widths)
        maps = widths[0] + widths[2] + widths[4] + widths[5]
    macs += 1024 * 1000
    assert macs == 1_582_671_872  # "1.5 billion multiply-adds at inference" (Szegedy et al.)
    assert analyze_file(GOOGLENET).totals.macs == macs


def test_googlenet_pools_round_up_as_caffe_does():
    # 224 -> conv1 (224 + 6 - 7)/2 + 1 = 112 -> pool1 ceil((112 - 3)/2) + 1 = 56 (floor: 55)
    # -> pool2 ceil((56 - 3)/2) + 1 = 28 -> pool3 ceil((28 - 3)/2) + 1 = 14 -> pool4
    # ceil((14 - 3)/2) + 1 = 7 -> the 7x7 average pool 1.
    report = analyze_file(GOOGLENET)
    shapes = {name: layer(report, name).shape[1:] for name in
              ("conv1/7x7_s2", "pool1/3x3_s2", "pool2/3x3_s2", "pool3/3x3_s2", "pool4/3x3_s2", "pool5/7x7_s1")}  # fmt: skip
    assert shapes == {
        "conv1/7x7_s2": (112, 112),
        "pool1/3x3_s2": (56, 56),
        "pool2/3x3_s2": (28, 28),
        "pool3/3x3_s2": (14, 14),
        "pool4/3x3_s2": (7, 7),
        "pool5/7x7_s1": (1, 1),
    }
    assert layer(report, "inception_3a/pool").shape == (192, 28, 28)  # 3x3, stride 1, pad 1
    assert layer(report, "loss3/classifier").shape == (1000,)


def test_in_place_layers_are_read_by_the_layers_after_them():
    # GoogLeNet's ReLUs write their convolution's blob: the concatenation reads the ReLUs.
    report = analyze_file(GOOGLENET)
    assert layer(report, "inception_3a/output").inputs == (
        "inception_3a/relu_1x1",
        "inception_3a/relu_3x3",
        "inception_3a/relu_5x5",
        "inception_3a/relu_pool_proj",
    )
    # and the dropout rewrites pool5's blob: the classifier reads the dropout
    assert layer(report, "loss3/classifier").inputs == ("pool5/drop_7x7_s1",)


@pytest.mark.slow
def test_caffenet_verifies_against_the_executor(capsys):
    code, out, _ = cnncalc(capsys, "verify", CAFFENET)
    assert code == 0
    assert "verified: all 115 figures of 23 layers agree" in out


@pytest.mark.slow
def test_googlenet_verifies_against_the_executor(capsys):
    code, out, _ = cnncalc(capsys, "verify", GOOGLENET)
    assert code == 0, out


# --- import: the file summarize reads ------------------------------------------------------


def test_import_writes_the_file_summarize_reads(tmp_path, capsys):
    written = tmp_path / "googlenet.yaml"
    code, _, err = cnncalc(capsys, "import", GOOGLENET, "-o", str(written))
    assert code == 0, err
    text = written.read_text()
    assert text.startswith('# Imported by cnncalc from bvlc_googlenet.prototxt (Caffe, network "GoogleNet"')
    assert "# Caffe's input batch of 10 is left out" in text
    assert "  - maxpool: {kernel: 3, stride: 2, ceil_mode: true}  # Pooling at line 51" in text
    assert json.loads(_summary(capsys, str(written))) == json.loads(_summary(capsys, GOOGLENET))


def _summary(capsys, path):
    code, out, err = cnncalc(capsys, "summarize", path, "--format", "json")
    assert code == 0, err
    return out.replace(json.dumps(path), '"FILE"')


def test_import_refuses_other_files(capsys):
    code, _, err = cnncalc(capsys, "import", "net.caffemodel")
    assert code == 2
    assert "cnncalc imports ONNX models (*.onnx), Caffe networks (*.prototxt)" in err


# --- the input's three forms ----------------------------------------------------------------

CONV = """
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param { num_output: 4 kernel_size: 3 }
}
"""


@pytest.mark.parametrize(
    "given",
    [
        'input: "data"\ninput_shape { dim: 2 dim: 3 dim: 10 dim: 12 }\n',
        'input: "data"\ninput_dim: 2\ninput_dim: 3\ninput_dim: 10\ninput_dim: 12\n',
        'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape: { dim: 2 dim: 3 dim: 10 dim: 12 } }\n}\n',
    ],
    ids=["input_shape", "input_dim", "Input layer"],
)
def test_the_input_in_each_form(tmp_path, given):
    report = analyze_file(net(tmp_path, given + CONV))
    assert report.input == (3, 10, 12)
    # 4 filters of 3x3 over 3 maps and a bias each: 4*27 + 4 = 112; output (10-3+1) x (12-3+1)
    assert report.layers[0].params == 112
    assert report.layers[0].shape == (4, 8, 10)


def test_a_network_without_an_input_is_refused(tmp_path):
    with pytest.raises(SpecError, match="the network has no input"):
        analyze_file(net(tmp_path, CONV))


def test_two_inputs_are_refused(tmp_path):
    text = 'input: "a"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\ninput: "b"\n' + "input_dim: 1\n" * 4
    with pytest.raises(SpecError, match="one input; this one has 2"):
        analyze_file(net(tmp_path, text + CONV))


# --- blobs written in place ------------------------------------------------------------------


def test_a_reader_before_an_in_place_layer_reads_the_blob_as_it_was(tmp_path):
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        + CONV
        + 'layer { name: "before" type: "Pooling" bottom: "conv1" top: "before" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n'
        + 'layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }\n'
        + 'layer { name: "after" type: "Pooling" bottom: "conv1" top: "after" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }\n'
        + 'layer { name: "join" type: "Concat" bottom: "before" bottom: "after" top: "join" }\n'
    )
    report = analyze_file(net(tmp_path, text))
    assert layer(report, "before").inputs == ("conv1",)
    assert layer(report, "relu1").inputs == ("conv1",)
    assert layer(report, "after").inputs == ("relu1",)
    assert layer(report, "join").shape == (8, 3, 3)  # 4 + 4 maps; ceil((6 - 2)/2) + 1 = 3


def test_split_passes_its_bottom_on(tmp_path):
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
        + CONV
        + 'layer { name: "split" type: "Split" bottom: "conv1" top: "a" top: "b" }\n'
        + 'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }\n'
    )
    report = analyze_file(net(tmp_path, text))
    assert [item.name for item in report.layers] == ["conv1", "sum"]
    assert layer(report, "sum").inputs == ("conv1", "conv1")


def test_an_unknown_bottom_names_the_blob_and_its_line(tmp_path):
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n' + CONV.replace(
        'bottom: "data"', 'bottom: "dta"'
    )
    with pytest.raises(SpecError) as error:
        analyze_file(net(tmp_path, text))
    assert str(error.value).endswith(
        'net.prototxt:10:11: error: layer "conv1" (Convolution): bottom "dta" is not written by any layer above, '
        "nor is it the input"
    )


# --- pooling: Caffe's rounding ---------------------------------------------------------------


@pytest.mark.parametrize(
    "size, kernel, stride, pad, padded, expected",
    [
        (55, 3, 2, 0, False, 27),  # ceil(52/2) + 1: even, no rounding
        (112, 3, 2, 0, False, 56),  # ceil(109/2) + 1 = 55 + 1: rounded up
        (3, 3, 3, 2, True, 2),  # ceil((3 + 4 - 3)/3) + 1 = 3, but window 3 would start at 6 >= 3 + 2
        (6, 2, 2, 1, True, 4),  # ceil(6/2) + 1 = 4; window 4 starts at 6 < 6 + 1: kept
        (5, 1, 3, 0, False, 3),  # no padding: ceil(4/3) + 1 = 3, the last window past the image
        (5, 1, 3, 0, True, 2),  # padding on the other axis: Caffe drops it here too
    ],
)
def test_caffe_pooled_size(size, kernel, stride, pad, padded, expected):
    # pooling_layer.cpp: pooled = ceil((W + 2P - K) / S) + 1; if (pad_h || pad_w) and
    # (pooled - 1) * S >= W + P: pooled - 1.
    assert caffe.caffe_pooled(size, kernel, stride, pad, padded) == expected


def pooling_net(tmp_path, size, param):
    return net(
        tmp_path,
        f'input: "data"\ninput_shape {{ dim: 1 dim: 2 dim: {size[0]} dim: {size[1]} }}\n'
        f'layer {{ name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param {{ {param} }} }}\n',
    )


@pytest.mark.parametrize(
    "size, param, expected",
    [
        ((3, 3), "pool: MAX kernel_size: 3 stride: 3 pad: 2", (2, 2)),
        ((6, 6), "pool: AVE kernel_size: 2 stride: 2 pad: 1", (4, 4)),
        ((5, 6), "pool: MAX kernel_h: 1 kernel_w: 2 stride_h: 3 stride_w: 2 pad_h: 0 pad_w: 1", (2, 4)),
        ((112, 112), "pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR", (55, 55)),
        ((7, 7), "pool: AVE global_pooling: true", (1, 1)),
        ((9, 9), "kernel_size: 3", (7, 7)),  # Caffe's defaults: MAX, stride 1
    ],
)
def test_pooling_sizes_are_caffes(tmp_path, size, param, expected):
    assert analyze_file(pooling_net(tmp_path, size, param)).layers[0].shape == (2, *expected)


def test_a_pooling_whose_last_window_starts_past_the_image_is_refused(tmp_path, capsys):
    # Without padding Caffe keeps ceil((5 - 1)/3) + 1 = 3 windows of 1, the third starting at
    # 6, past the 5 rows: Caffe outputs -FLT_MAX there. cnncalc's ceil_mode keeps 2.
    path = pooling_net(tmp_path, (5, 5), "pool: MAX kernel_size: 1 stride: 3")
    code, _, err = cnncalc(capsys, "summarize", path)
    assert code == 2
    assert "net.prototxt:3:28: error: layer \"pool\" (Pooling): Caffe's output is [2, 3, 3], cnncalc's maxpool" in err


def test_pooling_writes_ceil_mode_and_the_stride(tmp_path):
    text = caffe.document_text(pooling_net(tmp_path, (9, 9), "pool: AVE kernel_size: 3 stride: 2 pad: 1"))
    assert "  - avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}  # Pooling at line 3" in text


def test_stochastic_pooling_at_test_time(tmp_path):
    report = analyze_file(pooling_net(tmp_path, (8, 8), "pool: STOCHASTIC kernel_size: 3 stride: 2"))
    assert report.layers[0].type == "stochastic_pool"
    assert report.layers[0].shape == (2, 4, 4)  # ceil((8 - 3)/2) + 1 = 4


# --- BatchNorm, Scale and what is counted ------------------------------------------------------

BN_NET = """input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer {
  name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 16 kernel_size: 3 pad: 1 bias_term: false }
}
layer {
  name: "bn_conv1" type: "BatchNorm" bottom: "conv1" top: "conv1"
  batch_norm_param { use_global_stats: true }
}
layer {
  name: "scale_conv1" type: "Scale" bottom: "conv1" top: "conv1"
  scale_param { bias_term: true }
}
layer { name: "conv1_relu" type: "ReLU" bottom: "conv1" top: "conv1" }
"""


def test_batchnorm_and_scale_count_caffes_blobs(tmp_path):
    # Caffe's blobs: conv1 16*3*3*3 = 432 (no bias); bn_conv1 mean 16, variance 16 and the
    # moving-average factor 1; scale_conv1 scale 16 and bias 16. Learned: 432 + 32 = 464;
    # statistics: 16 + 16 + 1 = 33; in all 497, Caffe's blob count.
    report = analyze_file(net(tmp_path, BN_NET))
    assert [item.name for item in report.layers] == ["conv1", "bn_conv1", "conv1_relu"]
    assert report.totals.params == 464
    assert report.totals.buffers == 33
    assert report.totals.params + report.totals.buffers == 432 + (16 + 16 + 1) + (16 + 16)
    assert layer(report, "conv1_relu").inputs == ("bn_conv1",)


def test_batchnorm_and_scale_are_written_as_one_batchnorm(tmp_path):
    text = caffe.document_text(net(tmp_path, BN_NET))
    assert "  - batchnorm: {counter: true}  # BatchNorm at line 8, Scale at line 12\n    name: bn_conv1\n" in text


def test_batchnorm_and_scale_verify_against_the_executor(tmp_path, capsys):
    # the executor counts the arrays it makes, the factor's one value among the buffers
    code, out, _ = cnncalc(capsys, "verify", net(tmp_path, BN_NET))
    assert code == 0
    assert "verified: all 15 figures of 3 layers agree" in out


def test_a_scale_without_a_shift_is_a_layer_scale(tmp_path):
    report = analyze_file(net(tmp_path, BN_NET.replace("bias_term: true", "bias_term: false")))
    assert [item.type for item in report.layers] == ["conv", "batchnorm", "layer_scale", "relu"]
    assert layer(report, "scale_conv1").params == 16
    assert layer(report, "bn_conv1").buffers == 33


def test_a_scale_and_shift_not_after_a_batchnorm_is_a_layer_scale_with_a_bias(tmp_path, capsys):
    text = BN_NET.replace('type: "BatchNorm"', 'type: "ReLU"').replace(
        "batch_norm_param { use_global_stats: true }", ""
    )
    path = net(tmp_path, text)
    report = analyze_file(path)
    assert [item.type for item in report.layers] == ["conv", "relu", "layer_scale", "relu"]
    # Caffe's blobs of scale_conv1 (scale_layer.cpp): the scale, one per channel (16), and
    # with bias_term the bias layer's blob, one per channel (16)
    assert layer(report, "scale_conv1").params == 16 + 16
    assert report.totals.params == 432 + 32
    assert "  - layer_scale: {init: 1.0, bias: true}  # Scale at line 12\n" in caffe.document_text(path)
    code, out, _ = cnncalc(capsys, "verify", path)  # the executor's scale and shift: the same arrays
    assert code == 0, out


def test_batchnorm_on_batch_statistics_is_refused(tmp_path):
    with pytest.raises(SpecError, match="use_global_stats: false"):
        analyze_file(net(tmp_path, BN_NET.replace("use_global_stats: true", "use_global_stats: false")))


def test_frozen_layers_are_not_trainable(tmp_path):
    frozen = BN_NET.replace(
        'top: "conv1"\n  convolution_param', 'top: "conv1"\n  param { lr_mult: 0 decay_mult: 0 }\n  convolution_param'
    )
    report = analyze_file(net(tmp_path, frozen))
    assert layer(report, "conv1").trainable_params == 0
    assert report.totals.trainable_params == 32  # the scale and shift
    with_bias = frozen.replace("bias_term: false", "bias_term: true")
    with pytest.raises(SpecError, match="a learning rate of 0 for some of its blobs and not others"):
        analyze_file(net(tmp_path, with_bias))


# --- the other layer types ---------------------------------------------------------------------


def test_the_other_layer_types(tmp_path):
    text = """input: "data"
input_shape { dim: 1 dim: 4 dim: 8 dim: 8 }
layer { name: "up" type: "Deconvolution" bottom: "data" top: "up"
        convolution_param { num_output: 6 kernel_size: 4 stride: 2 pad: 1 group: 2 } }
layer { name: "prelu" type: "PReLU" bottom: "up" top: "up" }
layer { name: "leaky" type: "ReLU" bottom: "up" top: "leaky" relu_param { negative_slope: 0.1 } }
layer { name: "gate" type: "Sigmoid" bottom: "leaky" top: "gate" }
layer { name: "prod" type: "Eltwise" bottom: "leaky" bottom: "gate" top: "prod" eltwise_param { operation: PROD } }
layer { name: "squash" type: "TanH" bottom: "prod" top: "prod" }
layer { name: "flat" type: "Flatten" bottom: "prod" top: "flat" }
layer { name: "fc" type: "InnerProduct" bottom: "flat" top: "fc" inner_product_param { num_output: 10 bias_term: false } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
"""
    report = analyze_file(net(tmp_path, text))
    # Deconvolution: 2*(8 - 1) + 4 - 2*1 = 16; weights 4 x (6/2) x 4 x 4 = 192, and 6 biases
    assert layer(report, "up").shape == (6, 16, 16)
    assert layer(report, "up").params == 4 * 3 * 4 * 4 + 6
    assert layer(report, "prelu").params == 6  # one slope per channel (channel_shared: false)
    assert layer(report, "leaky").type == "leaky_relu"
    assert layer(report, "prod").type == "mul"
    assert layer(report, "flat").shape == (6 * 16 * 16,)
    assert layer(report, "fc").params == 6 * 16 * 16 * 10
    assert layer(report, "prob").inputs == ("fc",)


def test_lrn_is_read_with_caffes_defaults(tmp_path):
    # lrn_param's defaults: local_size 5, alpha 1, beta 0.75, k 1 (cnncalc's alpha is 1e-4)
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 8\ninput_dim: 4\ninput_dim: 4\n'
    text += 'layer { name: "norm" type: "LRN" bottom: "data" top: "norm" }\n'
    assert "  - lrn: {size: 5, alpha: 1.0}  # LRN at line 6" in caffe.document_text(net(tmp_path, text))


# BVLC's examples/cifar10/cifar10_full.prototxt as a deploy file (tests/data/caffe): LRN within
# each channel after the first two poolings. By hand: conv1 32 5x5 pad 2 keeps 32x32; pool1
# MAX 3/2, Caffe's ceil((32 - 3)/2) + 1 = 16; norm1 keeps 16x16; conv2 16x16x32; pool2 AVE 3/2 8x8; conv3
# 8x8x64; pool3 4x4; ip1 64*4*4 = 1,024 -> 10. Parameters: (5*5*3 + 1)*32 = 2,432,
# (5*5*32 + 1)*32 = 25,632, (5*5*32 + 1)*64 = 51,264, (1,024 + 1)*10 = 10,250: 89,578.
CIFAR10_FULL = DATA / "cifar10_full_deploy.prototxt"


def test_lrn_within_channels_cifar10_full():
    report = analyze_file(str(CIFAR10_FULL))
    layers = {layer.name: layer for layer in report.layers}
    assert layers["norm1"].type == "spatial_lrn" and list(layers["norm1"].shape) == [32, 16, 16]
    assert list(layers["pool2"].shape) == [32, 8, 8] and list(layers["pool3"].shape) == [64, 4, 4]
    assert report.totals.params == 2_432 + 25_632 + 51_264 + 10_250 == 89_578
    # The field grows by (3-1) jumps through norm1: conv1 5, pool1 5 + 2 = 7 (jump 2), norm1
    # 7 + 2*2 = 11.
    assert layers["norm1"].receptive_field.size == (11, 11)
    text = caffe.document_text(str(CIFAR10_FULL))
    assert "- spatial_lrn: {size: 3, alpha: 5e-05}  # LRN at line 11" in text  # beta 0.75: the default


def test_lrn_within_channel_values_are_caffes(tmp_path):
    # lrn_layer.cpp's WITHIN_CHANNEL: x / (1 + alpha * mean of x^2 over the 3x3 window, the zero
    # padding counted)^beta. One channel [[1, 2], [3, 4]], alpha 9, beta 1: at (0, 0) the window
    # holds 1, 4, 9, 16 (sum 30) and 5 padding zeros, so 1 / (1 + 9 * 30/9) = 1/31; every
    # position's window holds the whole 2x2 map here: 2/31, 3/31, 4/31.
    import numpy as np

    from cnncalc.executor import run_layer
    from cnncalc.kernels import Kernels

    text = 'input: "data"\ninput_shape { dim: 1 dim: 1 dim: 2 dim: 2 }\n'
    text += 'layer { name: "n" type: "LRN" bottom: "data" top: "n" '
    text += "lrn_param { local_size: 3 alpha: 9 beta: 1 norm_region: WITHIN_CHANNEL } }\n"
    from cnncalc.graph import build

    graph = build(caffe.read(net(tmp_path, text)))
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = run_layer(graph.nodes[0], [x], {}, Kernels())
    assert np.allclose(out, x / 31)


def test_test_phase_layers_only(tmp_path):
    # net.cpp's FilterNet: a layer with include rules is kept when one rule meets the state
    # (TEST phase, level 0, no stages); exclude rules drop it.
    text = """name: "train_val"
layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN } }
layer { name: "data" type: "Input" top: "data" include { phase: TEST } input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "drop" type: "Dropout" bottom: "conv1" top: "conv1" exclude { phase: TEST } }
layer { name: "staged" type: "ReLU" bottom: "conv1" top: "conv1" include { stage: "deploy" } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv1" bottom: "label" top: "loss" include { phase: TRAIN } }
"""
    report = analyze_file(net(tmp_path, text))
    assert [item.name for item in report.layers] == ["conv1"]


# --- what is refused, and how ----------------------------------------------------------------


def test_an_unsupported_layer_type_names_the_layer_its_type_and_line(tmp_path, capsys):
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n' + CONV
    text += 'layer {\n  name: "shift"\n  type: "Power"\n  bottom: "conv1"\n  top: "shift"\n}\n'
    code, out, err = cnncalc(capsys, "summarize", net(tmp_path, text))
    assert code == 2
    assert out == ""
    assert err.startswith(
        f'{tmp_path / "net.prototxt"}:16:9: error: layer "shift" (Power): cnncalc does not read this Caffe layer type; '
        "it reads BatchNorm, Concat, Convolution, Deconvolution, Dropout, Eltwise, Flatten, InnerProduct, Input, LRN, "
        "PReLU, Pooling, ReLU, Scale, Sigmoid, Softmax, Split, TanH"
    )


def eltwise_net(tmp_path, param):
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n' + CONV
    text += 'layer { name: "relu" type: "ReLU" bottom: "conv1" top: "relu" }\n'
    return net(
        tmp_path, text + f'layer {{ name: "e" type: "Eltwise" bottom: "conv1" bottom: "relu" top: "e" {param} }}\n'
    )


@pytest.mark.parametrize(
    "param, expected",
    [("", "add"), ("eltwise_param { operation: SUM coeff: 1 coeff: 1 }", "add"),
     ("eltwise_param { operation: PROD }", "mul"), ("eltwise_param { operation: MAX }", "max")],
)  # fmt: skip
def test_eltwise_operations(tmp_path, param, expected):
    report = analyze_file(eltwise_net(tmp_path, param))
    assert layer(report, "e").type == expected
    assert layer(report, "e").inputs == ("conv1", "relu")
    assert layer(report, "e").shape == (4, 6, 6)


def test_a_weighted_sum_is_read_with_its_coefficients(tmp_path):
    # Caffe's Eltwise SUM with coeff 1 and -1: conv1 - relu(conv1), which is min(conv1, 0):
    # each unit of the output is the conv's value where it is negative, 0 elsewhere.
    path = eltwise_net(tmp_path, "eltwise_param { coeff: 1 coeff: -1 }")
    report = analyze_file(path)
    e = layer(report, "e")
    assert (e.type, e.inputs, e.shape, e.params, e.macs) == ("weighted_sum", ("conv1", "relu"), (4, 6, 6), 0, 0)
    assert e.spec.args.coefficients == (1.0, -1.0)
    run = execute(build(files.read(str(path))), keep=("conv1", "e"))
    conv1, out = run.outputs["conv1"], run.outputs["e"]
    assert np.allclose(out, np.minimum(conv1, 0))
    assert (out < 0).any() and (out == 0).any()


def test_a_coefficient_of_0_is_refused(tmp_path):
    with pytest.raises(SpecError, match=r"coeff 0 leaves a bottom out of the sum \(coeff 1, 0\)"):
        analyze_file(eltwise_net(tmp_path, "eltwise_param { coeff: 1 coeff: 0 }"))


def test_a_parameter_cnncalc_does_not_know_is_refused(tmp_path):
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n' + CONV.replace(
        "kernel_size: 3", "kernel_size: 3 deformable: true"
    )
    with pytest.raises(SpecError) as error:
        analyze_file(net(tmp_path, text))
    assert ':12:52: error: layer "conv1" (Convolution): convolution_param has "deformable", which cnncalc' in str(
        error.value
    )


def test_a_solver_file_is_told_apart(tmp_path):
    with pytest.raises(SpecError, match=r'"net" is not a field of a Caffe network \(a solver file'):
        analyze_file(net(tmp_path, 'net: "train_val.prototxt"\nbase_lr: 0.01\n'))


def test_weights_shared_by_name_are_refused(tmp_path):
    text = 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n'
    for name in ("a", "b"):
        text += (
            f'layer {{ name: "{name}" type: "Convolution" bottom: "data" top: "{name}" param {{ name: "w" }} '
            "convolution_param { num_output: 4 kernel_size: 3 } }\n"
        )
    with pytest.raises(SpecError, match='shares the weights named "w" with layer "a"'):
        analyze_file(net(tmp_path, text))


@pytest.mark.parametrize(
    "text, where, message",
    [
        ('name: "x"\nlayer {\n  name: "a"\n', "4:1", 'the message opened at line 2 is not closed: expected "}"'),
        ('layer { name: "a }\n', "1:15", "a string not closed on its line"),
        ("layer { top: 'a' bottom 'b' }\n", "1:25", 'expected ":" or "{" after the field name "bottom", found "\'"'),
        ("input_dim: 2.5x\n", "1:12", '"input_dim": "2.5x" is not a number'),
        ("layer { } }\n", "1:11", 'expected a field name, found "}"'),
    ],
)
def test_syntax_errors_point_at_the_line_and_column(tmp_path, capsys, text, where, message):
    path = net(tmp_path, text)
    code, _, err = cnncalc(capsys, "summarize", path)
    assert code == 2
    assert err == f"{path}:{where}: error: {message}\n"


def test_the_text_format_reads_what_protobuf_writes():
    # Lists of a repeated field, both quotes and adjacent strings, exponents, hexadecimal,
    # angle brackets, separators, comments.
    message = prototxt.parse(
        "a: [1, 0x10, -2.5e-1]  # three values\nb: 'x' \"y\"; c < d: MAX >, e: true\n", "t.prototxt"
    )
    assert [field.value for field in message.all("a")] == [1, 16, -0.25]
    assert message.one("b").value == "xy"
    assert message.one("c").value.one("d").value == "MAX"
    assert isinstance(message.one("c").value.one("d").value, prototxt.Identifier)
    assert message.one("e").loc == ("t.prototxt", 2, 30)
    with pytest.raises(SpecError, match='"a" is given twice'):
        message.one("a")


# --- lint ------------------------------------------------------------------------------------


def test_lint_places_problems_at_the_caffe_layer_and_reads_its_comments(tmp_path, capsys):
    text = (
        'input: "data"\ninput_shape { dim: 1 dim: 1 dim: 6 dim: 6 }\n'
        'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"\n'
        "        convolution_param { num_output: 2 kernel_size: 3 stride: 2 } }\n"
        'layer { name: "drop" type: "Dropout" bottom: "conv1" top: "conv1"  # cnncalc: ignore[dropout-probability]\n'
        "        dropout_param { dropout_ratio: 1 } }\n"
    )
    path = net(tmp_path, text)
    code, out, _ = cnncalc(capsys, "lint", path)
    assert code == 0
    assert out == (
        f'{path}:3:29: warning [stride-leaves-input-unused] "conv1": its stride leaves input unread: the last 1 of 6 '
        "on axis H; the last 1 of 6 on axis W\nFound 1 warning.\n"
    )


def test_lint_reports_a_file_it_cannot_read(tmp_path, capsys):
    text = 'input: "data"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n'
    path = net(tmp_path, text + 'layer { name: "x" type: "Nope" bottom: "data" top: "x" }\n')
    code, out, _ = cnncalc(capsys, "lint", path)
    assert code == 1
    assert out.startswith(f'{path}:3:25: error [schema] layer "x" (Nope): cnncalc does not read this Caffe layer type')


def test_every_caffe_reading_is_registered_against_a_layer_type():
    from cnncalc.layers import lookup

    for cls, types in caffe.READERS.items():
        assert isinstance(lookup(cls.name)[0], cls), types
    assert all(name[0].isupper() for name in caffe.TYPES)  # Caffe's type names, none of cnncalc's


# --- PyTorch's own counts of the network, where torch is installed ------------------------------

RICH = """name: "rich"
layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 4 dim: 9 dim: 9 } } }
layer { name: "up" type: "Deconvolution" bottom: "data" top: "up"
        convolution_param { num_output: 6 kernel_size: 4 stride: 2 pad: 1 group: 2 } }
layer { name: "bn" type: "BatchNorm" bottom: "up" top: "up" batch_norm_param { eps: 0.001 } }
layer { name: "sc" type: "Scale" bottom: "up" top: "up" scale_param { bias_term: true } }
layer { name: "prelu" type: "PReLU" bottom: "up" top: "up" }
layer { name: "split" type: "Split" bottom: "up" top: "a" top: "b" }
layer { name: "leaky" type: "ReLU" bottom: "a" top: "leaky" relu_param { negative_slope: 0.1 } }
layer { name: "gate" type: "Sigmoid" bottom: "b" top: "gate" }
layer { name: "larger" type: "Eltwise" bottom: "leaky" bottom: "gate" top: "larger" eltwise_param { operation: MAX } }
layer { name: "p" type: "Pooling" bottom: "larger" top: "p"
        pooling_param { pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0 } }
layer { name: "n" type: "LRN" bottom: "p" top: "n" lrn_param { local_size: 3 alpha: 0.5 } }
layer { name: "c" type: "Concat" bottom: "n" bottom: "p" top: "c" }
layer { name: "g" type: "Pooling" bottom: "c" top: "g" pooling_param { pool: MAX global_pooling: true } }
layer { name: "flat" type: "Flatten" bottom: "g" top: "flat" }
layer { name: "fc" type: "InnerProduct" bottom: "flat" top: "fc" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
"""


@pytest.mark.torch
@pytest.mark.parametrize("which", ["alexnet", "googlenet", "batchnorm", "rich"])
def test_pytorch_counts_the_exported_network_as_the_report_does(which, tmp_path, capsys):
    # PyTorch's BatchNorm keeps num_batches_tracked, one value, as Caffe's BatchNorm keeps
    # its moving-average factor: here every buffer PyTorch holds is counted.
    torch = pytest.importorskip("torch")
    import importlib.util

    path = {"alexnet": ALEXNET, "googlenet": GOOGLENET}.get(which) or net(
        tmp_path, BN_NET if which == "batchnorm" else RICH
    )
    out = tmp_path / "exported.py"
    code, _, err = cnncalc(capsys, "export", path, "--to", "pytorch", "-o", str(out))
    assert code == 0, err
    loaded = importlib.util.spec_from_file_location(f"exported_{which}", out)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    model = module.Net().eval()
    report = analyze_file(path)
    with torch.no_grad():
        y = model(torch.randn(1, *report.input))
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    assert sum(b.numel() for b in model.buffers()) == report.totals.buffers
    assert tuple(y.shape[1:]) == report.layers[-1].shape
