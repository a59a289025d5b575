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
