"""ONNX models read as architecture files (cnncalc/interop/onnx.py).

Small graphs are built with ``onnx.helper`` (no torch), one or a few operators each, and
their figures are worked out by hand in the table. With torch installed, networks built
from the zoo files (through interop/pytorch.py) are exported by both of PyTorch's
exporters and read back: params, buffers and output shape must be PyTorch's own counts,
MACs those of hooks on PyTorch's convolutions and linear layers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402
from onnx import helper as oh  # noqa: E402

from cnncalc import app, files  # noqa: E402
from cnncalc.errors import SpecError  # noqa: E402
from cnncalc.graph import build  # noqa: E402
from cnncalc.interop import onnx as reader  # noqa: E402
from cnncalc.report import analyze  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def init(name, shape):
    return oh.make_tensor(name, TensorProto.FLOAT, shape, np.zeros(int(np.prod(shape)), np.float32).tobytes(), raw=True)


def ints(name, values):
    return oh.make_tensor(name, TensorProto.INT64, [len(values)], np.array(values, dtype=np.int64))


def floats(name, values):
    return oh.make_tensor(name, TensorProto.FLOAT, [len(values)], np.array(values, dtype=np.float32))


def model(nodes, inits, shape, opset=17, output="y"):
    graph = oh.make_graph(
        nodes,
        "t",
        [oh.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *shape])],
        [oh.make_tensor_value_info(output, TensorProto.FLOAT, None)],  # shape inference fills it in
        inits,
    )
    return oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)])


def report_of(tmp_path, built):
    path = str(tmp_path / "m.onnx")
    onnx.save(built, path)
    return analyze(build(reader.read(path)))


N = oh.make_node

# (id, nodes, initializers, input shape, [(type, shape, params, macs) per layer], opset)
# Every figure by hand: conv params C_out*C_in/g*k*k (+C_out), MACs prod(out)*C_in/g*k*k.
CASES = [
    (
        "conv-pads-strides-dilations-group",
        [
            N(
                "Conv",
                ["x", "w", "b"],
                ["y"],
                name="c",
                kernel_shape=[3, 3],
                pads=[2, 2, 2, 2],
                strides=[2, 2],
                dilations=[2, 2],
                group=2,
            )
        ],
        [init("w", [8, 2, 3, 3]), init("b", [8])],
        [4, 9, 9],
        # out = floor((9 + 4 - 2*2 - 1)/2) + 1 = 5; params 8*2*9 + 8 = 152; MACs 8*5*5 * 2*9 = 3600
        [("conv", [8, 5, 5], 152, 3600)],
        17,
    ),
    (
        "conv-asymmetric-pads-no-bias",
        [N("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[3, 3], pads=[0, 0, 1, 1])],
        [init("w", [2, 3, 3, 3])],
        [3, 6, 6],
        # out = 6 + 1 - 3 + 1 = 5; params 2*3*9 = 54; MACs 2*25*27 = 1350
        [("conv", [2, 5, 5], 54, 1350)],
        17,
    ),
    (
        "conv-then-batchnorm-unfolded",
        [
            N("Conv", ["x", "w"], ["c"], name="c", kernel_shape=[1, 1]),
            N("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"], name="bn"),
        ],
        [init("w", [4, 3, 1, 1])] + [init(n, [4]) for n in "sbmv"],
        [3, 2, 2],
        # conv 4*3 = 12 params, MACs 4*4*3 = 48; batchnorm 2C = 8 learnable (+8 buffers)
        [("conv", [4, 2, 2], 12, 48), ("batchnorm", [4, 2, 2], 8, 0)],
        13,
    ),
    (
        "conv-with-batchnorm-folded-in-its-bias",
        [N("Conv", ["x", "w", "b"], ["y"], name="c", kernel_shape=[1, 1])],
        [init("w", [4, 3, 1, 1]), init("b", [4])],
        [3, 2, 2],
        [("conv", [4, 2, 2], 16, 48)],
        13,
    ),
    (
        "flatten-gemm",
        [N("Flatten", ["x"], ["f"], name="f", axis=1), N("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1)],
        [init("w", [10, 48]), init("b", [10])],
        [3, 4, 4],
        # 48*10 + 10 = 490; MACs 480
        [("flatten", [48], 0, 0), ("fc", [10], 490, 480)],
        17,
    ),
    (
        "matmul-add-is-one-linear-layer",
        [
            N("Flatten", ["x"], ["f"], name="f"),
            N("MatMul", ["f", "w"], ["m"], name="fc"),
            N("Add", ["m", "b"], ["y"], name="fc_bias"),
        ],
        [init("w", [12, 5]), init("b", [5])],
        [3, 2, 2],
        [("flatten", [12], 0, 0), ("fc", [5], 65, 60)],
        17,
    ),
    (
        "reshape-before-classifier",
        [N("Reshape", ["x", "shape"], ["f"], name="r"), N("Gemm", ["f", "w"], ["y"], name="fc")],
        [ints("shape", [0, -1]), init("w", [8, 3])],
        [2, 2, 2],
        # Gemm without transB: B is [in, out] = [8, 3]: 24 params, no bias
        [("flatten", [8], 0, 0), ("fc", [3], 24, 24)],
        17,
    ),
    (
        "activations",
        [
            N("Relu", ["x"], ["a"], name="relu"),
            N("Clip", ["a", "lo", "hi"], ["b"], name="relu6"),
            N("LeakyRelu", ["b"], ["c"], name="leaky", alpha=0.2),
            N("Tanh", ["c"], ["d"], name="tanh"),
            N("HardSigmoid", ["d"], ["e"], name="hsig", alpha=1 / 6, beta=0.5),
            N("HardSwish", ["e"], ["y"], name="hsw"),
        ],
        [oh.make_tensor("lo", TensorProto.FLOAT, [], [0.0]), oh.make_tensor("hi", TensorProto.FLOAT, [], [6.0])],
        [2, 3, 3],
        [(t, [2, 3, 3], 0, 0) for t in ("relu", "relu6", "leaky_relu", "tanh", "hardsigmoid", "hardswish")],
        17,
    ),
    (
        "mul-of-sigmoid-is-silu",
        [N("Sigmoid", ["x"], ["s"], name="sig"), N("Mul", ["x", "s"], ["y"], name="silu")],
        [],
        [2, 3, 3],
        [("silu", [2, 3, 3], 0, 0)],
        17,
    ),
    (
        "squeeze-and-excitation-with-hardsigmoid-gate",
        [
            N("GlobalAveragePool", ["x"], ["g"], name="squeeze"),
            N("Conv", ["g", "w1", "b1"], ["c1"], name="fc1", kernel_shape=[1, 1]),
            N("Relu", ["c1"], ["r"], name="relu"),
            N("Conv", ["r", "w2", "b2"], ["c2"], name="fc2", kernel_shape=[1, 1]),
            N("HardSigmoid", ["c2"], ["h"], name="gate", alpha=1 / 6, beta=0.5),
            N("Mul", ["h", "x"], ["y"], name="scale"),
        ],
        [init("w1", [2, 8, 1, 1]), init("b1", [2]), init("w2", [8, 2, 1, 1]), init("b2", [8])],
        [8, 5, 5],
        # fc1 8*2 + 2 = 18 params, 16 MACs; fc2 2*8 + 8 = 24, 16 MACs; the product broadcasts
        [
            ("global_avgpool", [8, 1, 1], 0, 0),
            ("conv", [2, 1, 1], 18, 16),
            ("relu", [2, 1, 1], 0, 0),
            ("conv", [8, 1, 1], 24, 16),
            ("hardsigmoid", [8, 1, 1], 0, 0),
            ("mul", [8, 5, 5], 0, 0),
        ],
        17,
    ),
    (
        "pools-ceil-mode-and-count-include-pad",
        [
            N("MaxPool", ["x"], ["m"], name="max", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
            N(
                "AveragePool",
                ["m"],
                ["y"],
                name="avg",
                kernel_shape=[3, 3],
                strides=[1, 1],
                pads=[1, 1, 1, 1],
                count_include_pad=0,
            ),
        ],
        [],
        [3, 8, 8],
        # ceil((8-3)/2) + 1 = 4 (the last window starts at 6 < 8: kept); then 4 + 2 - 3 + 1 = 4
        [("maxpool", [3, 4, 4], 0, 0), ("avgpool", [3, 4, 4], 0, 0)],
        17,
    ),
    (
        "reducemean-over-h-w-without-keepdims",
        [N("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=0)],
        [ints("axes", [2, 3])],
        [6, 4, 4],
        [("global_avgpool", [6, 1, 1], 0, 0), ("flatten", [6], 0, 0)],
        18,
    ),
    (
        "reducemean-attribute-axes-keepdims",
        [N("ReduceMean", ["x"], ["y"], name="mean", axes=[-2, -1], keepdims=1)],
        [],
        [6, 4, 4],
        [("global_avgpool", [6, 1, 1], 0, 0)],
        13,
    ),
    (
        "add-mul-concat-broadcasting",
        [
            N("Conv", ["x", "w"], ["a"], name="a", kernel_shape=[1, 1]),
            N("Add", ["a", "x"], ["s"], name="sum"),
            N("GlobalMaxPool", ["s"], ["g"], name="g"),
            N("Mul", ["s", "g"], ["p"], name="prod"),
            N("Concat", ["p", "x"], ["y"], name="cat", axis=1),
        ],
        [init("w", [3, 3, 1, 1])],
        [3, 4, 4],
        [
            ("conv", [3, 4, 4], 9, 144),
            ("add", [3, 4, 4], 0, 0),
            ("global_maxpool", [3, 1, 1], 0, 0),
            ("mul", [3, 4, 4], 0, 0),
            ("concat", [6, 4, 4], 0, 0),
        ],
        17,
    ),
    (
        "dropout-softmax",
        [
            N("Flatten", ["x"], ["f"], name="f"),
            N("Dropout", ["f", "ratio"], ["d"], name="drop"),
            N("Softmax", ["d"], ["y"], name="prob", axis=-1),
        ],
        [oh.make_tensor("ratio", TensorProto.FLOAT, [], [0.3])],
        [5, 1, 1],
        [("flatten", [5], 0, 0), ("dropout", [5], 0, 0), ("softmax", [5], 0, 0)],
        17,
    ),
    (
        "pad-reflect-then-resize-by-scales",
        [
            N("Pad", ["x", "pads"], ["p"], name="pad", mode="reflect"),
            N("Resize", ["p", "", "scales"], ["y"], name="up", mode="nearest"),
        ],
        [ints("pads", [0, 0, 1, 2, 0, 0, 1, 2]), floats("scales", [1, 1, 2, 2])],
        [2, 4, 4],
        # 4 + 1 + 1 = 6 rows, 4 + 2 + 2 = 8 columns; times 2
        [("pad", [2, 6, 8], 0, 0), ("resize", [2, 12, 16], 0, 0)],
        13,
    ),
    (
        "resize-to-sizes-bilinear-align-corners",
        [
            N(
                "Resize",
                ["x", "", "", "sizes"],
                ["y"],
                name="up",
                mode="linear",
                coordinate_transformation_mode="align_corners",
            )
        ],
        [ints("sizes", [1, 2, 7, 9])],
        [2, 4, 4],
        [("resize", [2, 7, 9], 0, 0)],
        13,
    ),
    (
        "split-and-slice-of-channels-are-chunks",
        [
            N("Split", ["x", "parts"], ["a", "b"], name="split", axis=1),
            N("Slice", ["b", "starts", "ends", "axes"], ["c"], name="slice"),
            N("Concat", ["a", "c"], ["y"], name="cat", axis=1),
        ],
        [ints("parts", [4, 4]), ints("starts", [2]), ints("ends", [4]), ints("axes", [1])],
        [8, 3, 3],
        [
            ("chunk", [4, 3, 3], 0, 0),
            ("chunk", [4, 3, 3], 0, 0),
            ("chunk", [2, 3, 3], 0, 0),
            ("concat", [6, 3, 3], 0, 0),
        ],
        13,
    ),
    (
        "channel-shuffle-from-reshape-transpose-reshape",
        [
            N("Reshape", ["x", "s1"], ["r1"], name="r1"),
            N("Transpose", ["r1"], ["t"], name="t", perm=[0, 2, 1, 3, 4]),
            N("Reshape", ["t", "s2"], ["y"], name="shuffle"),
        ],
        [ints("s1", [1, 2, 3, 5, 5]), ints("s2", [1, 6, 5, 5])],
        [6, 5, 5],
        [("channel_shuffle", [6, 5, 5], 0, 0)],
        13,
    ),
    (
        "lrn-deconv-instance-and-layer-norm",
        [
            N("LRN", ["x"], ["l"], name="lrn", size=5, alpha=1e-4, beta=0.75, bias=2.0),
            N(
                "ConvTranspose",
                ["l", "w", "b"],
                ["d"],
                name="up",
                kernel_shape=[4, 4],
                strides=[2, 2],
                pads=[1, 1, 1, 1],
            ),
            N("InstanceNormalization", ["d", "s", "sh"], ["i"], name="in"),
            N("LayerNormalization", ["i", "ls", "lb"], ["y"], name="ln", axis=1),
        ],
        [
            init("w", [3, 4, 4, 4]),
            init("b", [4]),
            init("s", [4]),
            init("sh", [4]),
            init("ls", [4, 10, 10]),
            init("lb", [4, 10, 10]),
        ],
        [3, 5, 5],
        # deconv: (5-1)*2 - 2 + 4 = 10; params 3*4*16 + 4 = 196; MACs prod(in) * 4 * 16 = 75*64 = 4800
        # instance norm with its scale and shift: 2C = 8; layer norm over C,H,W: 2*400 = 800
        [
            ("lrn", [3, 5, 5], 0, 0),
            ("deconv", [4, 10, 10], 196, 4800),
            ("instancenorm", [4, 10, 10], 8, 0),
            ("layernorm", [4, 10, 10], 800, 0),
        ],
        17,
    ),
    (
        "groupnorm-opset-21-and-gelu-and-prelu",
        [
            N("GroupNormalization", ["x", "s", "b"], ["g"], name="gn", num_groups=2),
            N("Gelu", ["g"], ["e"], name="gelu"),
            N("PRelu", ["e", "slope"], ["y"], name="prelu"),
        ],
        [init("s", [4]), init("b", [4]), init("slope", [4, 1, 1])],
        [4, 3, 3],
        [("groupnorm", [4, 3, 3], 8, 0), ("gelu", [4, 3, 3], 0, 0), ("prelu", [4, 3, 3], 4, 0)],
        21,
    ),
]


def constant(name, values):
    """A Constant node (computed, not learned: unlike an initializer, no parameters)."""
    return N("Constant", [], [name], value=oh.make_tensor(name, TensorProto.FLOAT, [len(values)], values))


CASES += [
    (
        "gelu-written-with-erf",
        [
            N("Div", ["x", "sqrt2"], ["d"], name="div"),
            N("Erf", ["d"], ["e"], name="erf"),
            N("Add", ["e", "one"], ["a"], name="add"),
            N("Mul", ["x", "a"], ["m"], name="mul"),
            N("Mul", ["m", "half"], ["y"], name="gelu"),
        ],
        [floats("sqrt2", [2**0.5]), floats("one", [1.0]), floats("half", [0.5])],
        [3, 2, 2],
        [("gelu", [3, 2, 2], 0, 0)],
        17,
    ),
    (
        "groupnorm-written-as-instancenorm-of-groups",
        [
            N("Reshape", ["x", "groups"], ["g"], name="r"),
            constant("ones", [1.0, 1.0]),
            constant("zeros", [0.0, 0.0]),
            N("InstanceNormalization", ["g", "ones", "zeros"], ["n"], name="in", epsilon=1e-5),
            N("Reshape", ["n", "back"], ["b"], name="gn"),
            N("Mul", ["b", "w"], ["m"], name="scale"),
            N("Add", ["m", "bias"], ["y"], name="shift"),
        ],
        [ints("groups", [0, 2, -1]), ints("back", [1, 4, 3, 3]), init("w", [4, 1, 1]), init("bias", [4, 1, 1])],
        [4, 3, 3],
        # PyTorch's GroupNorm(2, 4): a scale and a shift per channel, 8 parameters
        [("groupnorm", [4, 3, 3], 8, 0)],
        13,
    ),
    (
        "instancenorm-without-affine-has-constant-scale",
        [
            constant("ones", [1.0] * 4),
            constant("zeros", [0.0] * 4),
            N("InstanceNormalization", ["x", "ones", "zeros"], ["y"], name="in"),
        ],
        [],
        [4, 3, 3],
        [("instancenorm", [4, 3, 3], 0, 0)],
        13,
    ),
    (
        "gelu-with-the-half-applied-to-the-erf-term",
        [
            N("Div", ["x", "sqrt2"], ["d"], name="div"),
            N("Erf", ["d"], ["e"], name="erf"),
            N("Add", ["e", "one"], ["a"], name="add"),
            N("Mul", ["half", "a"], ["h"], name="mul"),
            N("Mul", ["x", "h"], ["y"], name="gelu"),
        ],
        [floats("sqrt2", [2**0.5]), floats("one", [1.0]), floats("half", [0.5])],
        [3, 2, 2],
        [("gelu", [3, 2, 2], 0, 0)],
        17,
    ),
    (
        "layernorm-below-opset-17-written-out",
        [
            N("Flatten", ["x"], ["f"], name="flat"),
            N("ReduceMean", ["f"], ["m"], name="mean", axes=[-1]),
            N("Sub", ["f", "m"], ["d"], name="sub"),
            N("Pow", ["d", "two"], ["p"], name="pow"),
            N("ReduceMean", ["p"], ["v"], name="var", axes=[-1]),
            N("Add", ["v", "eps"], ["ve"], name="add"),
            N("Sqrt", ["ve"], ["s"], name="sqrt"),
            N("Div", ["d", "s"], ["n"], name="div"),
            N("Mul", ["n", "w"], ["sc"], name="scale"),
            N("Add", ["sc", "b"], ["y"], name="ln"),
        ],
        [floats("two", [2.0]), floats("eps", [1e-6]), init("w", [12]), init("b", [12])],
        [3, 2, 2],
        # nn.LayerNorm(12, eps=1e-6): a weight and a bias of 12 each
        [("flatten", [12], 0, 0), ("layernorm", [12], 24, 0)],
        13,
    ),
    (
        "dynamo-chunk-is-split-to-sequence",
        [
            N("SplitToSequence", ["x", "size"], ["seq"], name="split", axis=1),
            N("SequenceAt", ["seq", "one"], ["y"], name="second"),
        ],
        [oh.make_tensor("size", TensorProto.INT64, [], [3]), oh.make_tensor("one", TensorProto.INT64, [], [1])],
        [6, 2, 2],
        [("chunk", [3, 2, 2], 0, 0)],
        18,
    ),
    (
        "unet-crop-is-a-slice-of-h-and-w",
        [N("Slice", ["x", "starts", "ends", "axes"], ["y"], name="crop")],
        [ints("starts", [2, 1]), ints("ends", [-2, 9]), ints("axes", [2, 3])],
        [3, 10, 10],
        [("crop", [3, 6, 8], 0, 0)],
        13,
    ),
    (
        "minus-infinity-pad-goes-into-the-max-pool",
        [
            N("Pad", ["x", "pads", "minf"], ["p"], name="pad"),
            N("MaxPool", ["p"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2]),
        ],
        [ints("pads", [0, 0, 0, 0, 0, 0, 1, 1]), oh.make_tensor("minf", TensorProto.FLOAT, [], [float("-inf")])],
        [2, 8, 8],
        # (8 + 1 - 3) // 2 + 1 = 4
        [("maxpool", [2, 4, 4], 0, 0)],
        13,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_each_operator_reads_as_its_layer(case, tmp_path):
    _, nodes, inits, shape, expected, opset = case
    report = report_of(tmp_path, model(nodes, inits, shape, opset))
    got = [(layer.type, list(layer.shape), layer.params, layer.macs) for layer in report.layers]
    assert got == expected


def test_batchnorm_buffers_and_momentum(tmp_path):
    nodes = [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn", epsilon=1e-3, momentum=0.99)]
    path = tmp_path / "m.onnx"
    onnx.save(model(nodes, [init(n, [4]) for n in "sbmv"], [4, 2, 2]), str(path))
    text = reader.document_text(str(path))
    assert "- batchnorm: {eps: 0.001, momentum: 0.01}" in text  # PyTorch's momentum is 1 - ONNX's
    report = analyze(build(reader.read(str(path))))
    assert (report.totals.params, report.totals.buffers) == (8, 8)


def test_names_come_from_the_graph(tmp_path):
    nodes = [N("Conv", ["x", "w"], ["c"], name="/layer1/layer1.0/conv1/Conv", kernel_shape=[1, 1]),
             N("Relu", ["c"], ["y"], name="/layer1/layer1.0/relu/Relu")]  # fmt: skip
    report = report_of(tmp_path, model(nodes, [init("w", [2, 3, 1, 1])], [3, 2, 2]))
    assert [layer.name for layer in report.layers] == ["layer1.0.conv1", "layer1.0.relu"]


def unsupported_message(tmp_path, built) -> str:
    path = str(tmp_path / "m.onnx")
    onnx.save(built, path)
    with pytest.raises(SpecError) as error:
        reader.read(path)
    return str(error.value)


@pytest.mark.parametrize(
    "nodes, inits, words",
    [
        ([N("Sin", ["x"], ["y"], name="odd")], [], ['node "odd" (Sin)', "no cnncalc layer"]),
        (
            [N("Clip", ["x", "lo", "hi"], ["y"], name="clip")],
            [oh.make_tensor("lo", TensorProto.FLOAT, [], [-1.0]), oh.make_tensor("hi", TensorProto.FLOAT, [], [1.0])],
            ['node "clip" (Clip)', "[-1.0, 1.0]"],
        ),
        ([N("Transpose", ["x"], ["y"], name="t", perm=[0, 1, 3, 2])], [], ['node "t" (Transpose)']),
        ([N("Concat", ["x", "x"], ["y"], name="cat", axis=2)], [], ['node "cat" (Concat)', "channels"]),
        ([N("HardSigmoid", ["x"], ["y"], name="hs")], [], ['node "hs" (HardSigmoid)', "alpha 0.2"]),
        ([N("Add", ["x", "c"], ["y"], name="plus")], [init("c", [3, 1, 1])], ['node "plus" (Add)', "constant"]),
    ],
    ids=["unknown-op", "clip-range", "transpose", "concat-axis", "onnx-hardsigmoid", "add-constant"],
)
def test_what_cnncalc_cannot_represent_is_refused_by_name(tmp_path, nodes, inits, words):
    message = unsupported_message(tmp_path, model(nodes, inits, [3, 4, 4]))
    assert message.startswith(str(tmp_path / "m.onnx") + ": error: ")
    for word in [*words, "cnncalc reads these ONNX operators: Add, AveragePool"]:
        assert word in message


def test_cli_exit_2_for_unsupported_and_unreadable_files(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(model([N("Sin", ["x"], ["y"], name="odd")], [], [3, 4, 4]), str(path))
    garbage = tmp_path / "g.onnx"
    garbage.write_bytes(b"\x00\x01not a model")
    for file in (path, garbage, tmp_path / "missing.onnx"):
        result = subprocess.run(
            [sys.executable, "-m", "cnncalc", "summarize", str(file)], capture_output=True, text=True
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"{file}: error: ") and "Traceback" not in result.stderr


def test_missing_onnx_package_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(SpecError, match=r"pip install 'cnncalc\[onnx\]'"):
        reader.read(str(path))


def test_torchvisions_resnet18_as_the_torchscript_exporter_wrote_it():
    # tests/data/onnx/resnet18.onnx: torch.onnx.export(resnet18(weights=None).eval(), ..., dynamo=False,
    # opset_version=17, do_constant_folding=False, training=PRESERVE), its weights' data left out.
    # torchvision's own counts: 11,689,512 parameters, 9,600 batchnorm buffers, 1.814 GMACs
    # (FlopCounterMode / 2), as tests/test_onnx_torchvision.py counts them.
    report = analyze(build(reader.read(str(ROOT / "tests" / "data" / "onnx" / "resnet18.onnx"))))
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == (11_689_512, 9_600, 1_814_073_344)
    assert report.layers[-1].shape == (1000,)
    assert [layer.name for layer in report.layers[:4]] == ["conv1", "bn1", "relu", "maxpool"]


def test_external_data_is_not_needed(tmp_path):
    nodes = [N("Conv", ["x", "w", "b"], ["y"], name="c", kernel_shape=[3, 3])]
    built = model(nodes, [init("w", [64, 32, 3, 3]), init("b", [64])], [32, 8, 8])
    path = tmp_path / "m.onnx"
    onnx.save(built, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="m.onnx.data",
              size_threshold=0)  # fmt: skip
    (tmp_path / "m.onnx.data").unlink()
    report = analyze(build(reader.read(str(path))))
    assert (report.totals.params, list(report.layers[0].shape)) == (64 * 32 * 9 + 64, [64, 6, 6])


def test_import_writes_a_file_giving_the_same_figures(tmp_path, capsys):
    nodes = [N("Conv", ["x", "w", "b"], ["c"], name="/stem/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             N("Relu", ["c"], ["r"], name="/stem/act/Relu"),
             N("Add", ["r", "c"], ["y"], name="/residual/Add")]  # fmt: skip
    path = tmp_path / "m.onnx"
    onnx.save(model(nodes, [init("w", [4, 3, 3, 3]), init("b", [4])], [3, 6, 6]), str(path))
    out = tmp_path / "net.yaml"
    assert app.run(app.import_model, str(path), str(out)) == 0
    text = out.read_text()
    assert text.startswith("# Imported by cnncalc from m.onnx (ONNX, opset ai.onnx 17)")
    assert "  - add: [stem.act, stem]\n    name: residual\n" in text
    assert app.run(app.summarize, str(out), format_name="json") == 0
    from_yaml = json.loads(capsys.readouterr().out)
    assert app.run(app.summarize, str(path), format_name="json") == 0
    from_onnx = json.loads(capsys.readouterr().out)
    assert from_yaml["totals"] == from_onnx["totals"]
    assert from_onnx["totals"]["params"] == 4 * 27 + 4


def dynamic_model(path):
    """A model exported with dynamic axes, as PyTorch's exporter writes ``F.interpolate(conv(x),
    size=x.shape[-2:])``: the input [N, 3, H, W]; the sizes N, C from the conv's Shape, H and W
    gathered one by one from the input's."""
    nodes = [N("Conv", ["x", "w"], ["c"], name="/conv/Conv", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             N("Shape", ["c"], ["sc"], name="/Shape"),
             N("Slice", ["sc", "zero", "two"], ["nc"], name="/Slice"),
             N("Shape", ["x"], ["sx"], name="/Shape_1"),
             N("Gather", ["sx", "i2"], ["h"], name="/Gather", axis=0),
             N("Gather", ["sx", "i3"], ["w_"], name="/Gather_1", axis=0),
             N("Unsqueeze", ["h", "axes"], ["h1"], name="/Unsqueeze"),
             N("Unsqueeze", ["w_", "axes"], ["w1"], name="/Unsqueeze_1"),
             N("Concat", ["h1", "w1"], ["hw"], name="/Concat", axis=0),
             N("Cast", ["hw"], ["hw64"], name="/Cast", to=TensorProto.INT64),
             N("Concat", ["nc", "hw64"], ["sizes"], name="/Concat_1", axis=0),
             N("Resize", ["c", "", "", "sizes"], ["y"], name="/Resize", mode="linear")]  # fmt: skip
    scalar = lambda name, value: oh.make_tensor(name, TensorProto.INT64, [], [value])  # noqa: E731
    inits = [init("w", [4, 3, 3, 3]), ints("zero", [0]), ints("two", [2]), scalar("i2", 2), scalar("i3", 3),
             ints("axes", [0])]  # fmt: skip
    graph = oh.make_graph(
        nodes, "t", [oh.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [oh.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, "H", "W"])], inits,
    )  # fmt: skip
    onnx.save(oh.make_model(graph, opset_imports=[oh.make_opsetid("", 17)]), str(path))
    return str(path)


def test_an_input_of_named_sizes_is_read_on_the_size_import_gives(tmp_path, capsys):
    path = dynamic_model(tmp_path / "dyn.onnx")
    assert app.run(app.summarize, path) == 2
    err = capsys.readouterr().err
    assert "it has [N, 3, H, W]" in err and "summarize dyn.onnx --input 3x224x224` reads it" in err
    out = tmp_path / "dyn.yaml"
    assert app.run(app.import_model, path, str(out), "3x8x10") == 0
    text = out.read_text()
    assert "# Read on an input of 3x8x10 (--input): the model's is [N, 3, H, W].\n" in text
    # the sizes are the input's, read from its Shape: the resize takes the input's size at any size
    assert "  - resize: {like: input, mode: bilinear}\n" in text
    report = analyze(build(files.read(str(out))))
    # conv: (8 + 2 - 3)//2 + 1 = 4, (10 + 2 - 3)//2 + 1 = 5; params 4*3*9 = 108; MACs 4*4*5 * 27 = 2160
    assert [(layer.type, layer.shape) for layer in report.layers] == [("conv", (4, 4, 5)), ("resize", (4, 8, 10))]
    assert (report.totals.params, report.totals.macs) == (108, 2160)
    assert app.run(app.import_model, path, None, "4x8x10") == 2  # the model's 3 channels
    assert "the model's input is [N, 3, H, W]" in capsys.readouterr().err


def test_summarize_reads_an_input_of_named_sizes_on_the_size_given(tmp_path, capsys):
    # As import reads it (above): conv 4x4x5, 108 params, 2,160 MACs on a 3x8x10 input.
    path = dynamic_model(tmp_path / "dyn.onnx")
    assert app.run(app.summarize, path, format_name="json", input_text="3x8x10") == 0
    report = json.loads(capsys.readouterr().out)
    assert [layer["shape"] for layer in report["layers"]] == [[4, 4, 5], [4, 8, 10]]
    assert (report["totals"]["params"], report["totals"]["macs"]) == (108, 2160)
    assert app.run(app.summarize, path, input_text="3x8") == 2  # a 2-D model, a 1-D size
    assert app.run(app.summarize, "architectures/lenet5.yaml", input_text="1x32x32") == 2
    assert "--input is for ONNX models" in capsys.readouterr().err


def test_the_other_file_commands_take_the_input_size_too(tmp_path, capsys):
    # verify runs it on 3x8x10 (5 figures for each of the conv and the resize agree); memory,
    # explain and time read it at that size too (explain: the conv's 4*3*3*3 = 108 params).
    path = dynamic_model(tmp_path / "dyn.onnx")
    assert app.run(app.verify, path, format_name="json", input_text="3x8x10") == 0
    assert json.loads(capsys.readouterr().out)["mismatches"] == 0
    assert app.run(app.memory, path, input_text="3x8x10") == 0
    assert app.run(app.explain, path, input_text="3x8x10") == 0
    assert "= 108\n" in capsys.readouterr().out
    assert app.run(app.time_network, path, "sandbox-xeon-1-thread", input_text="3x8x10") == 0
    assert app.run(app.verify, path) == 2  # without it, the named sizes are refused


def test_other_commands_take_onnx(tmp_path, capsys):
    nodes = [N("Conv", ["x", "w"], ["c"], name="c", kernel_shape=[3, 3]), N("Relu", ["c"], ["y"], name="r")]
    path = str(tmp_path / "m.onnx")
    onnx.save(model(nodes, [init("w", [2, 1, 3, 3])], [1, 5, 5]), path)
    assert app.run(app.verify, path) == 0
    assert app.run(app.memory, path) == 0
    assert app.run(app.explain, path) == 0
    assert "= 18\n" in capsys.readouterr().out  # conv params 2*1*3*3


def test_lint_reads_onnx_and_reports_what_it_cannot_represent(tmp_path):
    from cnncalc.lint import lint_file

    good, bad = tmp_path / "good.onnx", tmp_path / "bad.onnx"
    onnx.save(model([N("Relu", ["x"], ["y"], name="r")], [], [3, 4, 4]), str(good))
    onnx.save(model([N("Sin", ["x"], ["y"], name="odd")], [], [3, 4, 4]), str(bad))
    assert [p for p in lint_file(str(good)) if p.severity == "error"] == []
    (problem,) = lint_file(str(bad))
    assert (problem.rule, problem.severity) == ("schema", "error") and 'node "odd" (Sin)' in problem.message


def test_summarize_of_a_yaml_file_does_not_import_onnx():
    code = (
        "import sys, io, contextlib\nfrom cnncalc import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    app.summarize('architectures/vgg16.yaml')\n"
        "print('onnx' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "False", result.stderr


# --- PyTorch's exporters ------------------------------------------------------------------------

ZOO = ["resnet18", "mobilenet_v2", "squeezenet1_0", "densenet121", "vgg11", "cifar10_vgg", "lenet5", "unet",
       "alexnet_torchvision", "resnet50_tfslim", "alexnet", "googlenet", "modern"]  # fmt: skip
# The newer vocabulary in one small network: hardswish, a squeeze-and-excitation gate, a
# channel split (chunk), silu, groupnorm, gelu, instancenorm, reflect padding, ceil_mode,
# a transposed conv, bilinear resize, nearest upsampling, layernorm over C, H and W.
MODERN = """
name: modern
input: [3, 32, 32]
layers:
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1, bias: false}
  - batchnorm
  - hardswish:
    name: stem
  - global_avgpool
  - conv: {filters: 4, kernel: 1}
  - relu
  - conv: {filters: 16, kernel: 1}
  - hardsigmoid:
    name: gate
  - mul: [stem, gate]
    name: se
  - chunk: {chunks: 2, index: 0}
    name: left
  - chunk: {chunks: 2, index: 1}
    from: se
  - conv: {filters: 8, kernel: 3, padding: 1, groups: 8}
  - silu:
    name: right
  - concat: [left, right]
  - groupnorm: 4
  - gelu
  - instancenorm
  - pad: {padding: 1, mode: reflect}
  - avgpool: {kernel: 3, stride: 2, ceil_mode: true}
  - deconv: {filters: 8, kernel: 4, stride: 2, padding: 1}
  - resize: {scale: 2, mode: bilinear}
  - upsample: 2
  - layernorm: {over: all}
  - maxpool: {kernel: 3, stride: 2, padding: 1}
  - leaky_relu: 0.2
  - global_avgpool
  - flatten
  - fc: 10
  - softmax
"""
EXPORTS = [("torchscript", 13), ("torchscript", 17), ("dynamo", 18)]


def torch_network(path: Path):
    """The zoo file as PyTorch modules (interop/pytorch.py), with PyTorch's own counts."""
    import torch
    from tool_counts import Net

    graph = build(files.read(str(path)))
    net = Net(graph, analyze(graph)).eval()
    macs = count_macs(net)
    x = torch.randn(1, *graph.network.input)
    with torch.no_grad():
        y = net(x)
    figures = {
        "params": sum(p.numel() for p in net.parameters()),
        "buffers": sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked")),
        "macs": sum(macs),
        "shape": list(y.shape[1:]),
    }
    return net, x, figures


def count_macs(net) -> list:
    """MACs of each convolution and linear layer PyTorch runs, from the tensors it sees
    (SPEC.md section 2), appended to the list returned as the network runs."""
    from torch import nn

    macs = []

    def count(module, inputs, output):
        if isinstance(module, nn.Linear):
            macs.append(output.numel() * module.in_features)
        elif module.transposed:
            macs.append(inputs[0].numel() * module.out_channels // module.groups * int(np.prod(module.kernel_size)))
        else:
            macs.append(output.numel() * module.in_channels // module.groups * int(np.prod(module.kernel_size)))

    for sub in net.modules():
        if isinstance(sub, (nn.modules.conv._ConvNd, nn.Linear)):
            sub.register_forward_hook(count)
    return macs


def export(net, x, path: Path, exporter: str, opset: int) -> None:
    import torch

    if exporter == "dynamo":
        # optimize=False: the optimiser folds batchnorm into the convolutions (other figures).
        torch.onnx.export(net, (x,), str(path), dynamo=True, opset_version=opset, external_data=True, optimize=False)
    else:
        # Without constant folding and in PRESERVE mode, batchnorm stays a layer of its own.
        torch.onnx.export(net, (x,), str(path), dynamo=False, opset_version=opset, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)  # fmt: skip


def figures_of(file: Path) -> dict:
    report = analyze(build(files.read(str(file))))
    return {"params": report.totals.params, "buffers": report.totals.buffers, "macs": report.totals.macs,
            "shape": list(report.layers[-1].shape)}  # fmt: skip


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("exporter, opset", EXPORTS, ids=[f"{e}-{o}" for e, o in EXPORTS])
@pytest.mark.parametrize("zoo", ZOO)
def test_zoo_exported_by_pytorch_reads_back_with_pytorchs_figures(zoo, exporter, opset, tmp_path):
    pytest.importorskip("torch")
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")
    source = ROOT / "architectures" / f"{zoo}.yaml"
    if zoo == "modern":
        source = tmp_path / "modern.yaml"
        source.write_text(MODERN)
    net, x, expected = torch_network(source)
    path = tmp_path / f"{zoo}.onnx"
    export(net, x, path, exporter, opset)
    if exporter == "dynamo":
        (tmp_path / f"{zoo}.onnx.data").unlink(missing_ok=True)  # only shapes are read
    assert figures_of(path) == expected
    # Round trip: the imported file gives the same figures.
    written = tmp_path / f"{zoo}.yaml"
    assert app.run(app.import_model, str(path), str(written)) == 0
    assert figures_of(written) == expected


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
def test_batchnorm_folded_by_the_exporter_reads_as_biased_convolutions(tmp_path):
    pytest.importorskip("torch")
    import torch

    net, x, expected = torch_network(ROOT / "architectures" / "resnet18.yaml")
    path = tmp_path / "r.onnx"
    torch.onnx.export(net, (x,), str(path), dynamo=False, opset_version=17)  # eval mode: folded
    batchnorms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    # Each batchnorm's 2C parameters and 2C buffers go; its convolution gains a bias of C.
    channels = sum(m.num_features for m in batchnorms)
    got = figures_of(path)
    assert got["params"] == expected["params"] - 2 * channels + channels
    assert (got["buffers"], got["macs"], got["shape"]) == (0, expected["macs"], expected["shape"])


# --- cnncalc export --to pytorch ------------------------------------------------------------------


def test_export_to_pytorch_writes_a_standalone_module_file(tmp_path):
    out = tmp_path / "net.py"
    assert app.run(app.export_model, str(ROOT / "architectures" / "resnet18.yaml"), "pytorch", str(out)) == 0
    text = out.read_text()
    compile(text, str(out), "exec")  # valid Python (compiled, not run: torch may be absent)
    assert "        self.conv1 = nn.Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3)" in text
    assert "class Add(nn.Module):" in text  # the helper modules come along: no cnncalc import needed
    assert "cnncalc" not in text.split('"""', 2)[2]


EXPORTED = ["lenet5", "resnet18", "mobilenet_v2", "squeezenet1_0", "googlenet", "unet", "densenet121",
            "resnet50_tfslim", "vgg11_lrn", "zfnet"]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("zoo", EXPORTED)
def test_exported_pytorch_module_has_the_reports_figures(zoo, tmp_path):
    torch = pytest.importorskip("torch")
    import importlib.util

    path = ROOT / "architectures" / f"{zoo}.yaml"
    out = tmp_path / f"{zoo}.py"
    assert app.run(app.export_model, str(path), "pytorch", str(out)) == 0
    loaded = importlib.util.spec_from_file_location(f"exported_{zoo}", out)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)  # the file cnncalc wrote, run as a user would import it
    net = module.Net().eval()
    report = analyze(build(files.read(str(path))))
    macs = count_macs(net)
    with torch.no_grad():
        y = net(torch.randn(1, *report.input))
    assert sum(p.numel() for p in net.parameters()) == report.totals.params
    buffers = sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    assert (buffers, sum(macs), list(y.shape[1:])) == (
        report.totals.buffers,
        report.totals.macs,
        list(report.layers[-1].shape),
    )


def test_every_onnx_reading_is_registered_against_a_layer_type():
    from cnncalc.layers import lookup

    for cls, ops in reader.READERS.items():
        assert isinstance(lookup(cls.name)[0], cls), ops
    assert all(op[0].isupper() for op in reader.OPS)  # ONNX's operator names, none of cnncalc's


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("exporter, opset", EXPORTS, ids=[f"{e}-{o}" for e, o in EXPORTS])
def test_a_shufflenet_unit_written_in_pytorch_reads_back(exporter, opset, tmp_path):
    """ShuffleNet v2's unit as torchvision writes it: chunk, a branch, cat, then the channel
    shuffle as view, transpose, view; the figures are PyTorch's."""
    torch = pytest.importorskip("torch")
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")
    from torch import nn

    class Unit(nn.Module):
        def __init__(self):
            super().__init__()
            self.branch = nn.Sequential(
                nn.Conv2d(12, 12, 1, bias=False), nn.BatchNorm2d(12), nn.ReLU(),
                nn.Conv2d(12, 12, 3, padding=1, groups=12, bias=False), nn.BatchNorm2d(12),
            )  # fmt: skip

        def forward(self, x):
            left, right = x.chunk(2, dim=1)
            out = torch.cat((left, self.branch(right)), dim=1)
            b, c, h, w = out.shape
            return out.view(b, 2, c // 2, h, w).transpose(1, 2).contiguous().view(b, c, h, w)

    net = Unit().eval()
    macs = count_macs(net)
    x = torch.randn(1, 24, 8, 8)
    with torch.no_grad():
        shape = list(net(x).shape[1:])
    expected_macs = sum(macs)  # before the export runs the network again
    path = tmp_path / "unit.onnx"
    export(net, x, path, exporter, opset)
    report = analyze(build(reader.read(str(path))))
    buffers = sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    assert report.totals.params == sum(p.numel() for p in net.parameters())
    assert (report.totals.buffers, report.totals.macs, list(report.layers[-1].shape)) == (buffers, expected_macs, shape)
    assert report.layers[-1].type == "channel_shuffle"
