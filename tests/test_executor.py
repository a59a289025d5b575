"""The NumPy executor against values worked by hand and PyTorch's documented examples."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import build_text

from cnncalc.errors import SpecError
from cnncalc.executor import execute
from cnncalc.report import analyze


def run_one(layer_yaml: str, values, dtype="int64"):
    """Runs a one-layer network on ``values`` ([H][W], one channel); returns [H][W]."""
    values = np.array(values, dtype=dtype)
    graph = build_text(f"input: [1, {values.shape[0]}, {values.shape[1]}]\nlayers:\n  - {layer_yaml}\n")
    run = execute(graph, inputs=values[None, None], keep="all", dtype=dtype)
    return run.outputs[graph.nodes[0].name][0, 0].tolist()


def test_convolution_of_the_5x5_exercise():
    # The classic exercise: 5x5 image, 3x3 kernel, stride 1, no padding. Top-left output by
    # hand: 3*0 + 3*1 + 2*2 + 0*2 + 0*2 + 1*0 + 3*0 + 1*1 + 2*2 = 12.
    image = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
    layer = "conv: {filters: 1, kernel: 3, weights: [[0, 1, 2], [2, 2, 0], [0, 1, 2]], bias: false}"
    assert run_one(layer, image) == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]


def test_strided_padded_convolution_with_bias():
    # 4x4 of ones, padding 1, stride 2, all-ones 3x3 kernel, bias 1: a corner window covers
    # 4 ones (+1 = 5); windows on an edge 6 (+1 = 7).
    layer = "conv: {filters: 1, kernel: 3, stride: 2, padding: 1, weights: [[1,1,1],[1,1,1],[1,1,1]], bias: [1]}"
    assert run_one(layer, np.ones((4, 4))) == [[5, 7], [7, 10]]


def test_max_pooling_2x2():
    # CS231n's max pooling example.
    image = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    assert run_one("maxpool: 2", image) == [[6, 8], [3, 4]]


def test_ceil_mode_keeps_a_partial_window_but_not_one_starting_in_the_padding():
    # 5 wide, kernel 2, stride 2, ceil_mode: windows at 0, 2 and a partial one at 4 -> 3.
    assert run_one("maxpool: {kernel: [1, 2], ceil_mode: true}", [[1, 5, 2, 7, 3]]) == [[5, 7, 3]]
    # padding 1: windows start at -1, 1, 3, 5; the one at 5 starts in the right padding
    # (5 >= 5 + 1 - 1), so PyTorch drops it: 3 windows.
    assert run_one("maxpool: {kernel: [1, 2], padding: [0, 1], ceil_mode: true}", [[1, 5, 2, 7, 3]]) == [[1, 5, 7]]


def test_average_pooling_divisors():
    # 3 wide, kernel 2, stride 2, padding 1: windows [pad, 2] and [4, 6].
    values = [[2.0, 4.0, 6.0]]
    assert run_one("avgpool: {kernel: [1, 2], padding: [0, 1]}", values, "float64") == [[1.0, 5.0]]
    layer = "avgpool: {kernel: [1, 2], padding: [0, 1], count_include_pad: false}"
    assert run_one(layer, values, "float64") == [[2.0, 5.0]]


NINE = np.arange(9).reshape(3, 3)


@pytest.mark.parametrize(
    "layer, expected",
    [
        (  # PyTorch's documented example for nn.ReflectionPad2d(2) on arange(9).reshape(3, 3)
            "pad: {padding: 2, mode: reflect}",
            [
                [8, 7, 6, 7, 8, 7, 6],
                [5, 4, 3, 4, 5, 4, 3],
                [2, 1, 0, 1, 2, 1, 0],
                [5, 4, 3, 4, 5, 4, 3],
                [8, 7, 6, 7, 8, 7, 6],
                [5, 4, 3, 4, 5, 4, 3],
                [2, 1, 0, 1, 2, 1, 0],
            ],
        ),
        (  # nn.ReplicationPad2d((1, 1, 2, 0)): left 1, right 1, top 2, bottom 0
            "pad: {padding: [[2, 0], [1, 1]], mode: replicate}",
            [[0, 0, 1, 2, 2], [0, 0, 1, 2, 2], [0, 0, 1, 2, 2], [3, 3, 4, 5, 5], [6, 6, 7, 8, 8]],
        ),
        (  # nn.CircularPad2d(2)
            "pad: {padding: 2, mode: circular}",
            [
                [4, 5, 3, 4, 5, 3, 4],
                [7, 8, 6, 7, 8, 6, 7],
                [1, 2, 0, 1, 2, 0, 1],
                [4, 5, 3, 4, 5, 3, 4],
                [7, 8, 6, 7, 8, 6, 7],
                [1, 2, 0, 1, 2, 0, 1],
                [4, 5, 3, 4, 5, 3, 4],
            ],
        ),
        ("pad: {padding: [0, 1], mode: constant, value: 9}", [[9, 0, 1, 2, 9], [9, 3, 4, 5, 9], [9, 6, 7, 8, 9]]),
    ],
)
def test_padding_modes_reproduce_pytorchs_examples(layer, expected):
    assert run_one(layer, NINE) == expected


def test_transposed_convolution_spreads_each_value():
    # 1-D input [1, 2], kernel [1, 10, 100], stride 2: 1 spreads to positions 0..2, 2 to 2..4.
    graph = build_text(
        "input: [1, 2]\nlayers:\n  - deconv: {filters: 1, kernel: 3, stride: 2, weights: [1, 10, 100], bias: false}\n"
    )
    run = execute(graph, inputs=np.array([[[1, 2]]]), dtype="int64", keep="all")
    assert run.outputs["deconv1"][0, 0].tolist() == [1, 10, 100 + 2, 20, 200]


def test_a_weighted_sum_broadcasts_and_counts_nothing():
    # input x (1 channel, 2x2) = [[1, 2], [3, 4]]; its global average g = 2.5, broadcast:
    # 2*x - g = [[2 - 2.5, 4 - 2.5], [6 - 2.5, 8 - 2.5]] = [[-0.5, 1.5], [3.5, 5.5]].
    text = """
    input: [1, 2, 2]
    layers:
      - global_avgpool:
        name: g
      - weighted_sum: {inputs: [input, g], coefficients: [2, -1]}
    """
    x = np.array([[[[1, 2], [3, 4]]]], dtype=np.float32)
    run = execute(build_text(text), inputs=x, keep="all")
    assert run.outputs["weighted_sum1"][0, 0].tolist() == [[-0.5, 1.5], [3.5, 5.5]]
    assert (run.layers[1].shape, run.layers[1].params, run.layers[1].macs) == ((1, 2, 2), 0, 0)


def test_a_weighted_sum_of_integers_handed_over_makes_a_new_real_array():
    # relu(x) is handed to the weighted sum (nobody reads it after), but 0.5 * an integer is
    # real: 0.5 * relu(x) + x = [0.5 + 1, 1 + 2, 1.5 + 3, 2 + 4] = [1.5, 3, 4.5, 6].
    text = """
    input: [1, 2, 2]
    layers:
      - relu
      - weighted_sum: {inputs: [relu1, input], coefficients: [0.5, 1]}
    """
    x = np.array([[[[1, 2], [3, 4]]]], dtype=np.int64)
    run = execute(build_text(text), inputs=x, keep=("weighted_sum1",))
    assert run.outputs["weighted_sum1"][0, 0].tolist() == [[1.5, 3.0], [4.5, 6.0]]


def test_adaptive_average_pooling_of_a_large_half_precision_map_does_not_overflow():
    # 112x112 tens: their sum, 125,440, is past float16's largest (65,504); their mean is 10.
    text = "input: [2, 112, 112]\nlayers: [{adaptive_avgpool: 1}]\n"
    x = np.full((1, 2, 112, 112), 10, dtype=np.float16)
    run = execute(build_text(text), inputs=x, dtype="float16", keep=("adaptive_avgpool1",))
    assert run.outputs["adaptive_avgpool1"].reshape(-1).tolist() == [10.0, 10.0]


@pytest.mark.parametrize(
    "coefficients, words",
    [("[1]", "1 coefficients for 2 inputs"), ("[1, 0]", "a coefficient of 0 leaves its input out"),
     ("[[1], [2]]", "a list of numbers, one per input")],
)  # fmt: skip
def test_a_weighted_sum_needs_one_nonzero_coefficient_per_input(coefficients, words):
    text = f"input: [1, 2, 2]\nlayers:\n  - relu\n  - weighted_sum: {{inputs: [input, relu1], coefficients: {coefficients}}}\n"
    with pytest.raises(SpecError, match=words) as error:
        analyze(build_text(text))
    assert ":4:" in str(error.value)  # the line of the layer


def test_macs_are_counted_from_the_contractions():
    # conv 3->4 channels, 3x3, on 8x8 -> 6x6: 6*6 places * 4 filters * (3*3*3) taps = 3,888.
    graph = build_text("input: [3, 8, 8]\nlayers: [{conv: {filters: 4, kernel: 3}}, flatten, {fc: 5}]\n")
    run = execute(graph, batch=3)
    assert [layer.macs for layer in run.layers] == [6 * 6 * 4 * 27, 0, 4 * 6 * 6 * 5]
    assert [layer.params for layer in run.layers] == [4 * 27 + 4, 0, 144 * 5 + 5]


def test_peak_of_live_arrays_follows_the_branches():
    # input 1x4x4 float32 = 64 B. a (conv 2 filters, 4x4) = 128 B, b (relu of a) = 128 B,
    # c = add[a, b] = 128 B. Live: input 64; +a 192; input freed -> 128; +b 256; +c 384;
    # a and b freed -> 128; c is the output -> freed. Peak 384.
    text = """
    input: [1, 4, 4]
    layers:
      - conv: {filters: 2, kernel: 3, padding: 1}
        name: a
      - relu:
        name: b
      - add: [a, b]
    """
    assert execute(build_text(text)).peak_bytes == 384


def test_layers_write_in_place_only_into_arrays_nobody_reads_later():
    # a = 1x1 conv of weight 1 (a copy of the input [-1, 2, -3, 4]); b = relu(a); c = add [a, b];
    # d = relu(c); e = batchnorm-free sum d + d. The relu b may not overwrite a (c reads a):
    # c = a + relu(a) = [-1+0, 2+2, -3+0, 4+4] = [-1, 4, -3, 8]; d = relu(c) = [0, 4, 0, 8]
    # (c has no other reader: overwritten in place); e = add [d, d] = [0, 8, 0, 16].
    # The caller's input array is never written (the first relu reads it, and nothing after).
    text = """
    input: [1, 2, 2]
    layers:
      - relu:
        name: first
      - conv: {filters: 1, kernel: 1, weights: [1], bias: false}
        from: input
        name: a
      - relu:
        name: b
      - add: [a, b]
        name: c
      - relu:
        name: d
      - add: [d, d]
        name: e
      - add: [first, e]
    """
    values = np.array([[[[-1.0, 2.0], [-3.0, 4.0]]]], dtype=np.float32)
    given = values.copy()
    graph = build_text(text)
    run = execute(graph, inputs=given, keep=("e",))
    assert run.outputs["e"].ravel().tolist() == [0, 8, 0, 16]
    assert given.tolist() == values.tolist()


@pytest.mark.parametrize("passing", ["identity", "dropout"])
def test_an_array_another_layer_passes_on_is_never_written_into(passing):
    # a = 1x1 conv (weight 1, bias -1) of [0.5, 3]: [-0.5, 2]; b passes a on (the same array);
    # d = relu(a) = [0, 2], a's last reader; e = add [b, d] = a + relu(a) = [-0.5, 4]. Were d
    # to write into a, b would change with it and e would be relu(a) * 2 = [0, 4].
    text = f"""
    input: [1, 1, 2]
    layers:
      - conv: {{filters: 1, kernel: 1, weights: [1], bias: [-1]}}
        name: a
      - {passing}:
        name: b
      - relu:
        from: a
        name: d
      - add: [b, d]
        name: e
    """
    run = execute(build_text(text), inputs=np.array([[[[0.5, 3.0]]]], dtype=np.float32), keep=("e",))
    assert run.outputs["e"].ravel().tolist() == [-0.5, 4.0]
    kept = execute(build_text(text), inputs=np.array([[[[0.5, 3.0]]]], dtype=np.float32), keep=("b", "e"))
    assert kept.outputs["b"].ravel().tolist() == [-0.5, 2.0]


def test_parameters_and_buffers_of_arrays_given_as_plain_dicts():
    # A batchnorm over 3 channels: scale and shift are 2*3 = 6 parameters, the running mean
    # and variance 2*3 = 6 buffers, whether the arrays come from make_arrays (which knows)
    # or as a plain dict (the declarations say which are buffers).
    graph = build_text("input: [3, 2, 2]\nlayers: [batchnorm]\n")
    ones = np.ones(3, dtype=np.float32)
    given = {"scale": ones, "shift": ones * 0, "running_mean": ones * 0, "running_var": ones}
    run = execute(graph, weights={graph.nodes[0].name: given})
    assert (run.layers[0].params, run.layers[0].buffers) == (6, 6)
    assert (execute(graph).layers[0].params, execute(graph).layers[0].buffers) == (6, 6)
