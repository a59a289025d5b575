"""Every registered layer type walked through the whole contract (cnncalc/layers/base.py).

A type that misses a piece (no forward pass, a probe that cannot run it, a homework text
that says "as its input's" where the report says "global", lint going quiet or loud for the
wrong reason) fails here, without PyTorch. Each type is tried on the small networks it
declares (``LayerType.examples``), or as ``[TYPE]`` on a [4, 8, 8] input when it needs no
arguments. The figures are held against the NumPy executor and the probe, which measure
them from arrays (verify), never against the formulas that made them.

The last test adds a type of its own, in the test, to show that one class is all a new
type needs.
"""

from __future__ import annotations

import json

import pytest
from conftest import build_text

from cnncalc import report as reporting
from cnncalc.device import Device
from cnncalc.geometry import GLOBAL
from cnncalc.homework import worked
from cnncalc.interop import pytorch
from cnncalc.layers.base import REGISTRY, Arg, Integer, LayerType, np, register
from cnncalc.lint import lint_file
from cnncalc.memory import training
from cnncalc.timing import time_network
from cnncalc.verify import verify_graph

# 1 GFLOP/s and 1 GB/s, with every optional figure: enough to time a network.
UNIT_DEVICE = Device(
    "unit", "made up", "-", {"float32": 1e9}, 1e9, ((2**20, 1e10),), 1e-6, 8.0, 1e8, 2e-6, 5e9, 1e9, 50.0
)


def unique_types() -> list:
    seen, types = set(), []
    for layer_type in REGISTRY.values():
        if id(layer_type) not in seen:
            seen.add(id(layer_type))
            types.append(layer_type)
    return sorted(types, key=lambda t: t.name)


def examples_of(layer_type) -> list:
    if layer_type.examples:
        return list(layer_type.examples)
    assert not any(arg.required for arg in layer_type.args), (
        f"{layer_type.name} needs arguments: declare examples = ((input shape, layers), ...)"
    )
    return [((4, 8, 8), f"[{layer_type.name}]")]


CASES = [
    pytest.param(layer_type, shape, layers, id=f"{layer_type.name}-{index}")
    for layer_type in unique_types()
    for index, (shape, layers) in enumerate(examples_of(layer_type))
]


def network(shape, layers) -> str:
    return f"input: {json.dumps(list(shape))}\nlayers: {layers}\n"


@pytest.mark.parametrize("layer_type", unique_types(), ids=lambda t: t.name)
def test_the_type_declares_every_piece(layer_type):
    assert layer_type.doc, f"{layer_type.name}: the docstring is its user documentation"
    assert type(layer_type).forward is not LayerType.forward, f"{layer_type.name} has no forward pass"
    assert set(layer_type.saves) <= {"input", "output"}
    names = {arg.name for arg in layer_type.args}
    assert set(layer_type.probe_args) <= names, "probe_args may only set the type's own arguments"
    if layer_type.primary is not None:
        assert layer_type.primary in names
    used = [layers for _, layers in examples_of(layer_type)]
    assert any(layer_type.name in text for text in used), "its examples must use the type itself"


@pytest.mark.parametrize("layer_type, shape, layers", CASES)
def test_every_figure_is_measured_and_agrees(layer_type, shape, layers):
    graph = build_text(network(shape, layers))
    verification = verify_graph(graph)
    assert not verification.mismatches, verification.mismatches
    # Every field measured: a type the probe cannot run leaves fields "not measured" (token
    # sequences made of a map and back, attention's windows and grids included).
    assert not verification.unmeasured, [(c.layer, c.note) for c in verification.unmeasured]


@pytest.mark.parametrize("layer_type, shape, layers", CASES)
def test_memory_explain_and_lint_run_on_it(layer_type, shape, layers, tmp_path):
    text = network(shape, layers)
    graph = build_text(text)
    report = reporting.analyze(graph, batch=2)
    step = training(graph, report, batch=2)
    # The step holds at least the input batch (2 examples, 4 bytes a value) and the weights.
    input_bytes = 2 * 4 * int(np.prod(shape))
    assert step.total >= input_bytes + 4 * (report.totals.params + report.totals.buffers)
    for layer in report.layers:
        work = worked(layer, report)
        said_global = work["receptive_field"][0].startswith("global")
        assert said_global == (layer.receptive_field == GLOBAL), (layer.name, work["receptive_field"])
        for figure in ("shape", "params", "size", "macs", "receptive_field"):
            assert work[figure], (layer.name, figure)
        for lines in work.values():
            assert all(isinstance(line, str) and line for line in lines)
    path = tmp_path / "net.yaml"
    path.write_text(text)
    assert [p for p in lint_file(str(path)) if p.severity == "error"] == []


@pytest.mark.parametrize("layer_type, shape, layers", CASES)
def test_its_products_are_its_macs_and_a_training_step_is_timed(layer_type, shape, layers):
    # The time model (timing.py) asks each layer for the matrix products it computes: they
    # account for every MAC (which verify holds equal to the executor's count), and a type
    # that counts MACs declares them.
    graph = build_text(network(shape, layers))
    report = reporting.analyze(graph, batch=2)
    shapes = {"input": tuple(shape)} | {layer.name: layer.shape for layer in report.layers}
    for layer in report.layers:
        in_shapes = tuple(shapes[name] for name in layer.inputs)
        products = layer.spec.type.products(layer.spec.args, in_shapes, layer.shape)
        several = products if products and isinstance(products[0], tuple) else (products or (0, 0, 0, 0),)
        assert sum(count * rows * inner * columns for count, rows, inner, columns in several) == layer.macs, (
            layer.name,
            products,
        )
    step = time_network(graph, report, UNIT_DEVICE, train=True)
    assert step.total_seconds > 0
    for layer in step.layers:
        assert layer.estimate.seconds >= 0
        if layer.backward is None:
            continue
        if type(graph.nodes[[n.name for n in graph.nodes].index(layer.name)].spec.type).backward_macs is (
            LayerType.backward_macs
        ):
            assert layer.backward_work.macs in (0, layer.work.macs, 2 * layer.work.macs)
        else:  # a type of its own arithmetic (attention's bias network needs no input gradient)
            assert 0 <= layer.backward_work.macs <= 2 * layer.work.macs


@pytest.mark.parametrize("layer_type, shape, layers", CASES)
def test_every_type_has_a_pytorch_interpretation(layer_type, shape, layers):
    # Registered against the type (cnncalc/interop/pytorch.py), or said why there is none.
    # The torch tests build these modules and compare values, params and saved tensors.
    if type(layer_type) in pytorch.UNREPRESENTED:
        return
    assert type(layer_type) in pytorch.RULES, f"{layer_type.name}: no PyTorch interpretation"
    graph = build_text(network(shape, layers))
    report = reporting.analyze(graph)
    shapes = {"input": tuple(shape)} | {layer.name: layer.shape for layer in report.layers}
    for node in graph.nodes:
        if node.spec.type is layer_type:
            description = pytorch.describe(layer_type, node.spec.args, tuple(shapes[i] for i in node.inputs))
            # The text an exporter writes names a torch.nn class or one of cnncalc's own.
            assert pytorch.source(description).startswith(("nn.", "cnncalc."))
            weights = {w.name for w in report.layers[graph.nodes.index(node)].weights}
            assert set(description.arrays) == weights, "every array cnncalc holds has a place in the module"


SE_BLOCK = """\
input: [16, 12, 12]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1, bias: false}
    name: features
  - batchnorm
  - relu:
    name: act
  - global_avgpool:
    name: squeeze
  - conv: {filters: 4, kernel: 1}
  - relu
  - conv: {filters: 16, kernel: 1}
  - sigmoid:
    name: gate
  - mul: [act, gate]
    name: excite
  - conv: {filters: 8, kernel: 3, padding: 1}
  - groupnorm: 2
  - channel_shuffle: 2
  - global_avgpool
  - fc: 10
"""


def test_a_clean_squeeze_and_excitation_block_passes_everything(tmp_path):
    # The three types sketched before the vocabulary grows: a broadcast product, group
    # normalisation and a channel shuffle, in one network.
    graph = build_text(SE_BLOCK)
    report = reporting.analyze(graph)
    by_name = {layer.name: layer for layer in report.layers}
    # Shapes by hand: the gate is [16, 1, 1], broadcast over the 12x12 map.
    assert by_name["gate"].shape == (16, 1, 1) and by_name["excite"].shape == (16, 12, 12)
    # params: mul 0; groupnorm 2*8 = 16 (scale and shift per channel); shuffle 0.
    assert by_name["excite"].params == 0 and by_name["groupnorm1"].params == 16
    assert by_name["channel_shuffle1"].params == 0
    # The gate pools globally, so every unit after the product sees the whole input.
    assert by_name["act"].receptive_field.size == (3, 3)
    assert by_name["excite"].receptive_field == GLOBAL
    verification = verify_graph(graph)
    assert not verification.mismatches and not verification.unmeasured
    path = tmp_path / "se.yaml"
    path.write_text(SE_BLOCK)
    # Silent: the squeeze is no head, the product no misaligned merge, the pooled map no
    # "pool after global pool", and the conv's missing bias is right before batchnorm.
    assert lint_file(str(path)) == []


def test_groupnorm_with_one_channel_per_group_cancels_a_bias_and_wider_groups_do_not(tmp_path):
    path = tmp_path / "gn.yaml"
    text = "input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - groupnorm: {groups: %d}\n"
    path.write_text(text % 4)
    assert "bias-before-batchnorm" in [p.rule for p in lint_file(str(path))]
    path.write_text(text % 2)  # each channel keeps its bias less its group's mean
    assert "bias-before-batchnorm" not in [p.rule for p in lint_file(str(path))]


def test_a_new_type_is_one_class():
    # A spatial attention gate's squeeze: the mean over channels at each position,
    # [C, H, W] -> [1, H, W]. Declared here, in one class, and nothing else.
    @register
    class ChannelMean(LayerType):
        """The mean over the channels at every position: ``[C, H, W]`` -> ``[1, H, W]``."""

        name = "test_channel_mean"
        mixes_channels = True
        saves = ()
        args = (Arg("keep", Integer(), 1, "channels kept (always 1)"),)

        def output_shape(self, a, shapes):
            return (1, *shapes[0][1:])

        def forward(self, a, xs, w, k):
            return xs[0].mean(axis=1, keepdims=True)

    try:
        text = (
            "input: [4, 10, 10]\nlayers:\n"
            "  - conv: {filters: 4, kernel: 3, padding: 1}\n    name: features\n"
            "  - test_channel_mean:\n  - conv: {filters: 1, kernel: 7, padding: 3}\n  - sigmoid:\n    name: gate\n"
            "  - mul: [features, gate]\n"
        )
        graph = build_text(text)
        report = reporting.analyze(graph)
        # The gate broadcasts over the 4 channels; its field: 3 + (7-1) = 9 pixels, local.
        assert report.layers[-1].shape == (4, 10, 10)
        assert report.layers[-1].receptive_field.size == (9, 9)
        verification = verify_graph(graph)
        assert not verification.mismatches and not verification.unmeasured
    finally:
        del REGISTRY["testchannelmean"]


def test_the_modern_blocks_example_by_hand():
    # examples/modern_blocks.yaml, on a 96x56x56 map (3136 positions):
    # ConvNeXt block (dim 96, as torchvision's CNBlock):
    #   dwconv 96*1*7*7 + 96 = 4,800; layernorm 2*96 = 192; pointwise_fc 96*384 + 384 = 37,248;
    #   pointwise_fc 384*96 + 96 = 36,960; layer_scale 96  -> 79,296 params.
    #   MACs: 3136*96*49 + 2 * 3136*96*384 = 14,751,744 + 231,211,008 = 245,962,752.
    # Squeeze-and-excitation (96 -> 24 -> 96): 96*24 + 24 + 24*96 + 96 = 4,728; MACs 2*96*24.
    # ShuffleNet v2 unit on 48 of the 96 channels: 48*48 + 96 + 48*9 + 96 + 48*48 + 96 = 5,328.
    from cnncalc.report import analyze_file

    report = analyze_file("examples/modern_blocks.yaml")
    params: dict = {}
    macs: dict = {}
    for layer in report.layers:
        block = layer.module[0][0]
        params[block] = params.get(block, 0) + layer.params
        macs[block] = macs.get(block, 0) + layer.macs
    assert params == {"stage1.0": 79_296, "se": 4_728, "shuffle": 5_328}
    assert macs["stage1.0"] == 245_962_752 and macs["se"] == 2 * 96 * 24
    # buffers: the shuffle unit's three batchnorms, 2*48 each
    assert report.totals.buffers == 3 * 2 * 48
    assert report.layers[-1].shape == (96, 56, 56)
