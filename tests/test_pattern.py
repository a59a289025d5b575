"""The one-line pattern notation: the same network as the file would give, errors at columns."""

from __future__ import annotations

import pytest

from cnncalc.errors import SpecError
from cnncalc.graph import build
from cnncalc.pattern import FILE, document
from cnncalc.report import analyze
from cnncalc.spec import parse


def report(text: str):
    return analyze(build(parse(document(text), FILE)))


def test_the_notes_example():
    # 32x32x3 -> CONV5-6 (28x28x6, (5*5*3+1)*6 = 456) -> RELU -> POOL2 (14x14x6)
    # -> CONV5-6 (10x10x6, (5*5*6+1)*6 = 906) -> RELU -> POOL2 (5x5x6)
    # -> FC120 (150*120+120 = 18,120) -> FC84 (120*84+84 = 10,164) -> FC10 (84*10+10 = 850)
    r = report("INPUT 32x32x3 -> [CONV5-6 -> RELU -> POOL2]*2 -> FC120 -> FC84 -> FC10")
    assert [layer.shape for layer in r.layers] == [
        (6, 28, 28),
        (6, 28, 28),
        (6, 14, 14),
        (6, 10, 10),
        (6, 10, 10),
        (6, 5, 5),
        (120,),
        (84,),
        (10,),
    ]
    assert [layer.params for layer in r.layers] == [456, 0, 0, 906, 0, 0, 18_120, 10_164, 850]


@pytest.mark.parametrize(
    "text, shape, params",
    [
        ("INPUT 3,32,32 -> CONV3-64/same", (64, 32, 32), (3 * 3 * 3 + 1) * 64),
        ("INPUT 32x32x3 -> CONV5-10/s1/p2", (10, 32, 32), (5 * 5 * 3 + 1) * 10),  # CS231n's 760
        ("INPUT 64x64x3 -> CONV5-8/s2", (8, 30, 30), 608),  # floor((64 - 5)/2) + 1 = 30
        ("INPUT 55x55x96 -> POOL3/s2", (96, 27, 27), 0),  # floor((55 - 3)/2) + 1 = 27
        ("INPUT 8x8x4 -> AVGPOOL2 -> FLATTEN -> DROPOUT -> FC3", (3,), 4 * 4 * 4 * 3 + 3),
        ("INPUT 8x8x2 -> CONV3-2*3", (2, 2, 2), (3 * 3 * 2 + 1) * 2),  # 8 -> 6 -> 4 -> 2
    ],
)
def test_layers_and_options(text, shape, params):
    last = report(text).layers[-1]
    assert last.shape == shape and last.params == params


@pytest.mark.parametrize(
    "text, column, message",
    [
        ("32x32x3 -> CONV3-8", 1, "starts with INPUT"),
        ("INPUT 32x32x3 -> CONV3", 18, "CONV<kernel>-<filters>"),
        ("INPUT 32x32x3 -> POLL2", 18, 'unknown layer type "poll2"'),
        ("INPUT 32x32x3 -> [CONV3-8 -> RELU", 34, 'expected "]"'),
        ("INPUT 32x32x3 -> CONV3-8/x2", 18, 'unknown option "/x2"'),
        ("INPUT 32x32x3 -> CONV9-8 -> CONV9-8 -> CONV9-8 -> CONV9-8", 51, "does not fit"),  # 18 + 3*11
    ],
)
def test_errors_point_at_the_pattern(text, column, message):
    with pytest.raises(SpecError) as error:
        report(text)
    assert str(error.value).startswith(f"<pattern>:1:{column}: error:")
    assert message in str(error.value)


def test_the_notes_template_with_n_m_k_of_zero_and_an_optional_pool():
    # The notes' INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC, here with
    # N = 2, M = 2, K = 0: 32 -> (same convs) 32 -> POOL 16 -> 16 -> POOL 8; the FC reads
    # 8*8*8 = 512 values: 512*10 + 10 = 5,130. Convs (3*3*3+1)*8 = 224, then (3*3*8+1)*8 = 584 x3.
    r = report("INPUT 32x32x3 -> [[CONV3-8/same -> RELU]*2 -> POOL?]*2 -> [FC20 -> RELU]*0 -> FC10")
    assert [layer.type for layer in r.layers] == ["conv", "relu", "conv", "relu", "maxpool"] * 2 + ["fc"]
    assert [layer.shape for layer in r.layers if layer.type == "maxpool"] == [(8, 16, 16), (8, 8, 8)]
    assert r.totals.params == 224 + 3 * 584 + 5_130 == 7_106
    # N = 0: the block vanishes, the pool reads the input: 32 -> 16, 16*16*3 = 768 values.
    r = report("INPUT 32x32x3 -> [CONV3-8 -> RELU]*0 -> POOL -> FC10")
    assert [layer.type for layer in r.layers] == ["maxpool", "fc"]
    assert r.layers[-1].params == 768 * 10 + 10


def test_norm_is_alexnets_local_response_normalisation():
    # The notes' AlexNet: CONV1 96 11x11 stride 4 on 227x227x3 -> 55x55x96 (floor((227-11)/4)+1
    # = 55), NORM1 keeps it (no parameters), POOL1 3x3 stride 2 -> 27x27x96.
    r = report("INPUT 227x227x3 -> CONV11-96/s4 -> RELU -> NORM -> POOL3/s2")
    lrn = r.layers[2]
    assert (lrn.type, lrn.shape, lrn.params) == ("lrn", (96, 55, 55), 0)
    assert (lrn.spec.args["size"], lrn.spec.args["k"]) == (5, 2)  # AlexNet section 3.3: n = 5, k = 2
    assert r.layers[-1].shape == (96, 27, 27)
    assert report("INPUT 8x8x16 -> LRN3").layers[0].spec.args["size"] == 3


def test_a_numbered_norm_is_refused_saying_how_to_write_it():
    with pytest.raises(SpecError) as error:
        report("INPUT 8x8x16 -> NORM1")
    assert str(error.value).startswith("<pattern>:1:17: error:") and "LRN<size>" in str(error.value)
