"""``Kernels.elementwise``: a formula applied chunk by chunk, against values worked by hand.

The chunk and row sizes are made tiny here (monkeypatched), so that maps of a few values
already span several chunks, a ragged last one included, in both layouts.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnncalc import kernels
from cnncalc.kernels import Kernels


def scale_and_shift(x, out, factor, offset):
    np.multiply(x, factor, out=out)
    out += offset


def square_plus_input(x, out, scratch):
    # x * x + x, the square kept in the scratch chunk
    np.multiply(x, x, out=scratch)
    np.add(scratch, x, out=out)


def channels_last(x):
    """The same values laid out channels last, seen channels first (as the depthwise
    convolution returns a map)."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)).transpose(0, x.ndim - 1, *range(1, x.ndim - 1))


# One example, two channels of 3x3: channel 0 holds 0..8, channel 1 holds 9..17.
MAP = np.arange(18, dtype=np.float64).reshape(1, 2, 3, 3)
FACTOR, OFFSET = np.array([2.0, -1.0]), np.array([1.0, 0.5])
# By hand: channel 0 is 2x + 1 (1, 3, 5, ..., 17), channel 1 is -x + 0.5 (-8.5 ... -16.5).
SCALED = [[[[1, 3, 5], [7, 9, 11], [13, 15, 17]], [[-8.5, -9.5, -10.5], [-11.5, -12.5, -13.5], [-14.5, -15.5, -16.5]]]]


@pytest.fixture(params=[(2**16, 8192), (4, 4), (5, 6)], ids=["one chunk", "chunks of 4", "ragged chunks of 5"])
def sizes(request, monkeypatch):
    # (values a chunk, values a row): 4 splits a channels-first plane of 9 into 4 + 4 + 1 and
    # a channels-last map of 9 places x 2 channels into rows of 2 places and a tail of one
    # place; 5 and 6 into 5 + 4 and rows of 3 places (3 rows, no tail).
    chunk, row = request.param
    monkeypatch.setattr(kernels, "CHUNK", chunk)
    monkeypatch.setattr(kernels, "WHOLE", min(chunk, kernels.WHOLE))  # maps larger than a chunk go in chunks
    monkeypatch.setattr(kernels, "ROW", row)


@pytest.mark.parametrize("layout", [lambda x: x, channels_last], ids=["channels first", "channels last"])
def test_per_channel_values_broadcast_in_either_layout(sizes, layout):
    x = layout(MAP)
    out = Kernels().elementwise(scale_and_shift, [x], FACTOR, OFFSET)
    assert out.tolist() == SCALED
    assert out.strides == x.strides  # laid out as its input
    assert x.tolist() == MAP.tolist()  # not handed over: the input is left alone
    # two examples: each channel's values again for the second
    assert Kernels().elementwise(scale_and_shift, [layout(np.concatenate([MAP, MAP]))], FACTOR, OFFSET).tolist() == (
        SCALED + SCALED
    )


@pytest.mark.parametrize("layout", [lambda x: x, channels_last], ids=["channels first", "channels last"])
def test_a_handed_over_input_is_written_in_place(sizes, layout):
    x = layout(MAP).copy(order="K")
    out = Kernels(handed=(True,)).elementwise(scale_and_shift, [x], FACTOR, OFFSET)
    assert out is x
    assert x.tolist() == SCALED


def test_a_scratch_chunk_across_chunks_and_examples(sizes):
    # x * x + x over two examples of 2x3x3: 0 -> 0, 1 -> 2, 2 -> 6, 3 -> 12, ..., 35 -> 1260
    x = np.arange(36, dtype=np.float64).reshape(2, 2, 3, 3)
    expected = [v * v + v for v in range(36)]
    for laid_out in (x, channels_last(x)):
        out = Kernels().elementwise(square_plus_input, [laid_out], scratch=True)
        assert out.reshape(-1).tolist() == expected


def test_a_flat_input_and_a_strided_view(sizes):
    # (N, F) features: one value per feature; and a view that is every other column of a
    # wider array (no layout the chunks follow: computed as a whole).
    flat = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert Kernels().elementwise(scale_and_shift, [flat], FACTOR, OFFSET).tolist() == [
        [3, -1.5],  # 2*1 + 1, -2 + 0.5
        [7, -3.5],
        [11, -5.5],
    ]
    wide = np.repeat(MAP, 2, axis=-1)[..., ::2]
    assert not wide.flags.c_contiguous
    assert Kernels().elementwise(scale_and_shift, [wide], FACTOR, OFFSET).tolist() == SCALED


def test_the_result_type_is_asked_for_or_that_of_the_operands():
    # an integer map halved: 0.5, 1.5 need a float result, not the input's integers
    x = np.array([[[1, 3]]])
    halve = lambda x, out: np.multiply(x, 0.5, out=out)  # noqa: E731
    out = Kernels(handed=(True,)).elementwise(halve, [x], dtype=np.float64)
    assert out.dtype == np.float64 and out.tolist() == [[[0.5, 1.5]]]
    assert x.tolist() == [[[1, 3]]]  # handed over, but of another type: not written into
    assert Kernels().elementwise(scale_and_shift, [x], np.array([2.0]), np.array([0.25])).tolist() == [[[2.25, 6.25]]]
