"""The layer graph: names, scopes of `from`, repeat expansion, order, cycles and limits."""

from __future__ import annotations

import time

import pytest
from conftest import build_text

from cnncalc.errors import SpecError


def names(text: str) -> list:
    return [node.name for node in build_text(text).nodes]


def test_unnamed_layers_count_per_type():
    text = """
    input: [3, 8, 8]
    layers: [{conv: {filters: 4, kernel: 3}}, relu, {conv: {filters: 4, kernel: 3}}, relu, flatten, {fc: 2}]
    """
    assert names(text) == ["conv1", "relu1", "conv2", "relu2", "flatten1", "fc1"]


def test_generated_names_skip_names_the_file_uses():
    text = """
    input: [3, 8, 8]
    layers:
      - relu
      - relu:
        name: relu1
    """
    assert names(text) == ["relu2", "relu1"]


def test_unnamed_repeat_numbers_its_named_layers_caffe_style():
    # VGG's Caffe names: conv1_1, conv1_2 for the first stage's two convolutions.
    text = """
    input: [3, 8, 8]
    layers:
      - repeat: 2
        layers:
          - conv: {filters: 4, kernel: 3, padding: 1}
            name: conv1
          - relu
    """
    assert names(text) == ["conv1_1", "relu1", "conv1_2", "relu2"]


def test_named_repeat_qualifies_every_layer_from_zero():
    text = """
    input: [3, 8, 8]
    layers:
      - repeat: 2
        name: layer1
        layers:
          - conv: {filters: 3, kernel: 3, padding: 1}
            name: a
          - relu
          - add: [a, input]
    """
    assert names(text) == [
        "layer1.0.a",
        "layer1.0.relu1",
        "layer1.0.add1",
        "layer1.1.a",
        "layer1.1.relu1",
        "layer1.1.add1",
    ]


def test_each_repetition_starts_from_the_previous_one_and_merges_within_itself():
    # A residual unit repeated twice: each add must use its own repetition's layers, and
    # each repetition's first layer takes the previous repetition's output.
    text = """
    input: [4, 8, 8]
    layers:
      - repeat: 2
        layers:
          - identity:
            name: block_in
          - conv: {filters: 4, kernel: 3, padding: 1}
            name: branch
          - add: [branch, block_in]
            name: sum
    """
    inputs = {node.name: node.inputs for node in build_text(text).nodes}
    assert inputs["block_in_1"] == ("input",)
    assert inputs["sum_1"] == ("branch_1", "block_in_1")
    assert inputs["block_in_2"] == ("sum_1",)
    assert inputs["sum_2"] == ("branch_2", "block_in_2")


def test_full_names_reach_into_a_repetition_from_outside():
    text = """
    input: [4, 8, 8]
    layers:
      - repeat: 2
        name: stage
        layers:
          - conv: {filters: 4, kernel: 1}
            name: c
      - add: [stage.0.c, stage.1.c]
    """
    assert build_text(text).nodes[-1].inputs == ("stage.0.c", "stage.1.c")


def test_a_layer_further_down_may_be_an_input_and_order_follows_the_data():
    text = """
    input: [4, 8, 8]
    layers:
      - add: [a, b]
        name: sum
      - relu:
        name: a
        from: input
      - tanh:
        name: b
        from: input
    """
    graph = build_text(text)
    assert [node.name for node in graph.in_order()] == ["a", "b", "sum"]
    assert [node.name for node in graph.nodes] == ["sum", "a", "b"]  # reports keep file order


@pytest.mark.parametrize(
    "layers, message",
    [
        ("[{relu: null, name: a, from: b}, {relu: null, name: b, from: a}]", "cycle"),
        ("[{relu: null, name: a, from: a}]", "from itself"),
        ("[{relu: null, name: a}, {relu: null, name: a}]", 'duplicate layer name "a"'),
        ("[{relu: null, from: nowhere}]", "no layer has that name"),
        ("[{relu: null, from: inptu}]", 'did you mean "input"'),
        # b reads c, which `when: false` leaves out: c reads the layer above it, b itself
        # (found by the fuzzer: the cycle's report crashed on a layer reading itself)
        ("[{relu: null, name: a}, {add: [a, c], name: b}, {relu: null, name: c, when: false}]", '"b" <- "b"'),
    ],
)
def test_graph_errors(layers, message):
    with pytest.raises(SpecError) as error:
        build_text(f"input: [3, 4, 4]\nlayers: {layers}\n")
    assert message in str(error.value)
    assert str(error.value).startswith("t.yaml:2:")


def test_absurd_repeat_counts_fail_at_once():
    start = time.perf_counter()
    with pytest.raises(SpecError) as error:
        build_text("input: [3, 4, 4]\nlayers:\n  - repeat: 1000000000\n    layers: [relu]\n")
    assert time.perf_counter() - start < 1
    assert str(error.value).startswith("t.yaml:3:13: error: the file expands to 1,000,000,000 layers")
