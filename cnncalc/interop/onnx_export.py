"""An architecture file written as an ONNX graph: ``cnncalc export net.yaml --to onnx -o net.onnx``.

Each layer becomes the ONNX nodes its type registers here (``@writes(conv.Conv)``), as
``pytorch.py`` registers PyTorch's modules: a rule gets a :class:`Builder`, the layer's
arguments and its inputs, adds nodes and weights, and returns the tensor it writes. Nodes
and tensors are named after the layers (``layer1.0.conv1``, its weight
``layer1.0.conv1.weight``), and every tensor's shape goes into ``value_info`` (cnncalc's
for the layers' outputs, ONNX's shape inference for the few tensors inside a layer, held
to agree), so Netron shows the network with its shapes. The batch axis is ``N``.

The weights are zeros, kept out of the graph: the initializers give their dimensions and
point into ``NAME.onnx.data``, which is written as a file of zeros the size of the weights
(sparse, taking no disk space, where the file system allows). The model is valid ONNX
(``onnx.checker`` passes and a runtime can run it, with the data file beside it); cnncalc
reads it back without the data file. Opset 21: GroupNormalization scales per channel, and
GELU is one node.

A layer type without a faithful ONNX form (a locally connected layer, stochastic pooling,
an adaptive pool whose windows differ in width) is refused with the reason, never approximated.
"""

from __future__ import annotations

import os

from ..errors import SpecError, UsageError
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape, stochastic
from ..layers.base import prod

OPSET = 21
RULES: dict = {}  # layer type class -> rule(b, a, inputs, shapes) -> the output tensor's name


class NotRepresentable(Exception):
    """The layer, with these arguments, has no faithful ONNX form."""


def writes(*classes):
    """Registers a rule writing layers of the given type classes as ONNX nodes."""

    def register(rule):
        for cls in classes:
            RULES[cls] = rule
        return rule

    return register


class Builder:
    """Collects one layer's nodes and weights, named after the layer."""

    def __init__(self, helper, tensor_proto):
        self.helper, self.T = helper, tensor_proto
        self.nodes, self.initializers, self.weights = [], [], []
        self.used: set = set()
        self.layer = ""

    def fresh(self, name: str) -> str:
        from .export import numbered

        return numbered(name, self.used)

    def node(self, op: str, inputs, suffix: str = "", unused=(), **attributes) -> str:
        """Adds an ONNX node reading ``inputs``; returns the tensor it writes, named after
        the layer (and ``suffix`` for a node before the layer's last); ``unused``: the names
        of outputs it must have besides, which nothing reads."""
        name = self.fresh(self.layer + suffix)
        outputs = [name, *(self.fresh(f"{name}.{extra}") for extra in unused)]
        self.nodes.append(self.helper.make_node(op, list(inputs), outputs, name=name, **attributes))
        return name

    def weight(self, role: str, dims) -> str:
        """A learned array (or buffer) of zeros with ``dims``: an initializer kept outside the graph."""
        name = self.fresh(f"{self.layer}.{role}")
        self.weights.append((name, tuple(int(n) for n in dims)))
        return name

    def constant(self, role: str, values, integer: bool = True) -> str:
        """A small constant (a shape, pads, a scale) stored in the graph."""
        name = self.fresh(f"{self.layer}.{role}")
        kind = self.T.INT64 if integer else self.T.FLOAT
        values = [int(v) for v in values] if integer else [float(v) for v in values]
        self.initializers.append(self.helper.make_tensor(name, kind, [len(values)], values))
        return name

    def scalar(self, role: str, value: float) -> str:
        name = self.fresh(f"{self.layer}.{role}")
        self.initializers.append(self.helper.make_tensor(name, self.T.FLOAT, [], [float(value)]))
        return name

    def filled(self, role: str, dims, value: float) -> str:
        """A fixed array (not learned: a scale of ones where ONNX asks for one), as a Constant node."""
        import numpy as np

        name = self.fresh(f"{self.layer}.{role}")
        tensor = self.helper.make_tensor(name, self.T.FLOAT, list(dims), np.full(prod(dims), value, np.float32))
        self.nodes.append(self.helper.make_node("Constant", [], [name], name=name, value=tensor))
        return name


def model(graph, report, data_file: str):
    """The ONNX ModelProto of ``graph`` (its ``report`` gives shapes); weights point into ``data_file``.
    Returns ``(model, data_bytes)``: the size of the data file to write."""
    from onnx import TensorProto, helper

    b = Builder(helper, TensorProto)
    shapes = {"input": tuple(graph.network.input)}
    shapes.update({layer.name: tuple(layer.shape) for layer in report.layers})
    tensors = {"input": "input"}
    b.used.add("input")
    outputs = []
    for node in graph.in_order():
        spec = node.spec
        rule = RULES.get(type(spec.type))
        b.layer = node.name
        try:
            if rule is None:
                raise NotRepresentable(UNREPRESENTED.get(type(spec.type), f"{spec.type.name} has no ONNX form"))
            tensor = rule(b, spec.args, [tensors[name] for name in node.inputs], [shapes[n] for n in node.inputs])
        except NotRepresentable as error:
            raise SpecError.at(
                spec.type_loc, f'layer "{node.name}" ({spec.written_type}) has no ONNX form: {error}'
            ) from None
        tensors[node.name] = tensor
        outputs.append((tensor, shapes[node.name]))
    last = graph.nodes[graph.order[-1]].name
    info = helper.make_tensor_value_info
    value_info = [info(tensor, TensorProto.FLOAT, ["N", *out]) for tensor, out in outputs if tensor != tensors[last]]
    offset = 0
    for name, dims in b.weights:
        length = 4 * prod(dims)
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", data_file), ("offset", str(offset)), ("length", str(length))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        b.initializers.append(tensor)
        offset += length
    onnx_graph = helper.make_graph(
        b.nodes,
        graph.network.name or os.path.splitext(os.path.basename(str(graph.network.file)))[0],
        [info("input", TensorProto.FLOAT, ["N", *graph.network.input])],
        [info(tensors[last], TensorProto.FLOAT, ["N", *shapes[last]])],
        b.initializers,
        value_info=value_info,
        doc_string=f"Exported by cnncalc from {os.path.basename(str(graph.network.file))}; the weights are zeros.",
    )
    from .. import __version__

    built = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="cnncalc",
        producer_version=__version__,
    )
    built.ir_version = min(built.ir_version, 10)  # readable by runtimes a year old
    return built, offset


def write(graph, report, output: str | None) -> int:
    """Writes the ONNX model to ``output`` and its zero weights to ``output.data``."""
    if output is None or output == "-":
        raise UsageError("error: export --to onnx writes two files (the graph and its weights): give -o FILE.onnx")
    try:
        import onnx
    except ImportError:
        raise UsageError("error: exporting to ONNX needs the onnx package: pip install 'cnncalc[onnx]'") from None
    data_file = os.path.basename(output) + ".data"
    built, size = model(graph, report, data_file)
    try:
        built = onnx.shape_inference.infer_shapes(built, check_type=True, strict_mode=True, data_prop=True)
    except Exception as error:  # noqa: BLE001 (ONNX disagrees with cnncalc: a bug of a rule here)
        raise SpecError.at(
            graph.network.loc, f"ONNX's shape inference disagrees with cnncalc's shapes: {error}"
        ) from None
    try:
        with open(output, "wb") as stream:
            stream.write(built.SerializeToString())
        with open(os.path.join(os.path.dirname(output), data_file), "wb") as stream:
            stream.truncate(size)  # zeros, stored sparsely where the file system can
    except OSError as error:
        raise UsageError(f"{output}: error: cannot write: {error.strerror or error}") from None
    from ..formats.columns import bytes_text

    print(
        f"{output}: {len(built.graph.node)} ONNX nodes (opset {OPSET}), every shape in value_info; "
        f"{len(external_weights(built))} weights of zeros in {data_file} ({bytes_text(size)})"
    )
    return 0


def external_weights(built) -> list:
    """The initializers kept in the data file."""
    return [init for init in built.graph.initializer if init.data_location == init.EXTERNAL]


# --- the rules -------------------------------------------------------------------------------


def _pads(pairs) -> list:
    """ONNX's ``pads``: every axis's start, then every axis's end."""
    return [before for before, _ in pairs] + [after for _, after in pairs]


def _bias(b: Builder, a, units: int) -> list:
    return [b.weight("bias", [units])] if a.bias is not False else []


@writes(conv.Conv)
def _conv(b, a, inputs, shapes):
    (x,), (source,) = inputs, shapes
    window = conv.Conv().window(a, source)
    pads = _pads(window.pads)
    if a.padding_mode != "zeros" and any(pads):
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[a.padding_mode]
        x = b.node("Pad", [x, b.constant("pads", [0, 0] + pads[: len(pads) // 2] + [0, 0] + pads[len(pads) // 2 :])],
                   ".pad", mode=mode)  # fmt: skip
        pads = [0] * len(pads)
    w = b.weight("weight", [a.filters, source[0] // a.groups, *window.kernel])
    return b.node(
        "Conv", [x, w, *_bias(b, a, a.filters)], kernel_shape=list(window.kernel), strides=list(window.stride),
        pads=pads, dilations=list(window.dilation), group=a.groups,
    )  # fmt: skip


@writes(conv.Deconv)
def _deconv(b, a, inputs, shapes):
    (x,), (source,) = inputs, shapes
    kernel, stride, dilation, pads, extra = conv.Deconv().geometry(a, source)
    w = b.weight("weight", [source[0], a.filters // a.groups, *kernel])
    return b.node(
        "ConvTranspose", [x, w, *_bias(b, a, a.filters)], kernel_shape=list(kernel), strides=list(stride),
        pads=_pads(pads), dilations=list(dilation), output_padding=list(extra), group=a.groups,
    )  # fmt: skip


def _pool(op: str, layer_type, b, a, x, source, **attributes):
    window = layer_type.window(a, source)
    return b.node(
        op, [x], kernel_shape=list(window.kernel), strides=list(window.stride), pads=_pads(window.pads),
        ceil_mode=int(window.ceil_mode), **attributes,
    )  # fmt: skip


@writes(pool.MaxPool)
def _maxpool(b, a, inputs, shapes):
    dilation = list(pool.MaxPool().window(a, shapes[0]).dilation)
    return _pool("MaxPool", pool.MaxPool(), b, a, inputs[0], shapes[0], dilations=dilation)


@writes(pool.AvgPool)
def _avgpool(b, a, inputs, shapes):
    return _pool("AveragePool", pool.AvgPool(), b, a, inputs[0], shapes[0], count_include_pad=int(a.count_include_pad))


@writes(pool.LpPool)
def _lppool(b, a, inputs, shapes):
    if float(a.norm) != int(a.norm):
        raise NotRepresentable(f"ONNX's LpPool takes a whole power, not {a.norm}")
    return _pool("LpPool", pool.LpPool(), b, a, inputs[0], shapes[0], p=int(a.norm))


@writes(pool.GlobalAvgPool)
def _global_avgpool(b, a, inputs, shapes):
    return b.node("GlobalAveragePool", inputs)


@writes(pool.GlobalMaxPool)
def _global_maxpool(b, a, inputs, shapes):
    return b.node("GlobalMaxPool", inputs)


def _adaptive(layer_type, global_op: str, op: str):
    """PyTorch's adaptive windows: one pool when they tile the input; when they overlap but
    are all of one width (GoogLeNet's aux heads pool 14 to 4 in windows [0,4) [3,7) [7,11)
    [10,14)), each axis's windows gathered side by side first, then pooled one by one."""

    def rule(b, a, inputs, shapes):
        from ..geometry import adaptive_bounds

        source = shapes[0]
        sizes = layer_type.sizes(a, source)
        if all(n == 1 for n in sizes):
            return b.node(global_op, inputs)
        x, kernel = inputs[0], []
        for axis, (length, size) in enumerate(zip(source[1:], sizes)):
            windows = [adaptive_bounds(length, size, unit) for unit in range(size)]
            widths = {end - start for start, end in windows}
            if len(widths) > 1:
                raise NotRepresentable(
                    f"windows of unequal sizes ({list(source[1:])} to {list(sizes)}); ONNX pools slide one window"
                )
            kernel.append(widths.pop())
            if length % size:
                picks = [i for start, end in windows for i in range(start, end)]
                x = b.node("Gather", [x, b.constant(f"windows{axis}", picks)], f".windows{axis}", axis=2 + axis)
        return b.node(op, [x], kernel_shape=kernel, strides=kernel)

    return rule


writes(pool.AdaptiveAvgPool)(_adaptive(pool.AdaptiveAvgPool(), "GlobalAveragePool", "AveragePool"))
writes(pool.AdaptiveMaxPool)(_adaptive(pool.AdaptiveMaxPool(), "GlobalMaxPool", "MaxPool"))


@writes(linear.FC)
def _fc(b, a, inputs, shapes):
    x = inputs[0] if len(shapes[0]) == 1 else b.node("Flatten", inputs, ".flatten", axis=1)
    w = b.weight("weight", [a.units, prod(shapes[0])])
    return b.node("Gemm", [x, w, *_bias(b, a, a.units)], transB=1)


@writes(linear.PointwiseFC)
def _pointwise_fc(b, a, inputs, shapes):
    """On a map, as PyTorch writes ``nn.Linear`` on a channels-last view: channels last, a
    MatMul by the [C, units] weight, the bias added, channels first again."""
    source = shapes[0]
    if len(source) == 1:
        return _fc(b, a, inputs, shapes)
    rank = len(source) + 1
    x = b.node("Transpose", inputs, ".to_channels_last", perm=[0, *range(2, rank), 1])
    y = b.node("MatMul", [x, b.weight("weight", [source[0], a.units])], ".matmul")
    if a.bias:
        y = b.node("Add", [y, b.weight("bias", [a.units])], ".bias")
    return b.node("Transpose", [y], perm=[0, rank - 1, *range(1, rank - 1)])


@writes(linear.Flatten)
def _flatten(b, a, inputs, shapes):
    return b.node("Flatten", inputs, axis=1)


def _plain(op: str, **attributes):
    return lambda b, a, inputs, shapes: b.node(op, inputs, **attributes)


writes(activation.ReLU)(_plain("Relu"))
writes(activation.Sigmoid)(_plain("Sigmoid"))
writes(activation.Tanh)(_plain("Tanh"))
writes(activation.HardSwish)(_plain("HardSwish"))
writes(activation.HardSigmoid)(_plain("HardSigmoid", alpha=1 / 6, beta=0.5))
writes(activation.SELU)(_plain("Selu"))
writes(activation.Identity, norm.StochasticDepth)(_plain("Identity"))  # stochastic depth: the identity at inference


@writes(activation.ReLU6)
def _relu6(b, a, inputs, shapes):
    return b.node("Clip", [inputs[0], b.scalar("min", 0.0), b.scalar("max", 6.0)])


@writes(activation.LeakyReLU)
def _leaky_relu(b, a, inputs, shapes):
    return b.node("LeakyRelu", inputs, alpha=float(a.negative_slope))


@writes(activation.ELU)
def _elu(b, a, inputs, shapes):
    return b.node("Elu", inputs, alpha=float(a.alpha))


@writes(activation.GELU)
def _gelu(b, a, inputs, shapes):
    return b.node("Gelu", inputs, approximate=a.approximate)


@writes(activation.SiLU)
def _silu(b, a, inputs, shapes):
    return b.node("Mul", [inputs[0], b.node("Sigmoid", inputs, ".sigmoid")])


@writes(activation.Softplus)
def _softplus(b, a, inputs, shapes):
    if a.beta != 1:
        raise NotRepresentable(f"ONNX's Softplus has no beta (here {a.beta})")
    return b.node("Softplus", inputs)


@writes(activation.PReLU)
def _prelu(b, a, inputs, shapes):
    dims = [a.num_parameters] + [1] * (len(shapes[0]) - 1) if a.num_parameters > 1 else [1]
    return b.node("PRelu", [inputs[0], b.weight("weight", dims)])


writes(activation.Softmax)(_plain("Softmax", axis=1))
writes(activation.LogSoftmax)(_plain("LogSoftmax", axis=1))


def _scale_and_shift(b, a, channels: int, learned: bool) -> list:
    if learned:
        return [b.weight("weight", [channels]), b.weight("bias", [channels])]
    return [b.filled("weight", [channels], 1.0), b.filled("bias", [channels], 0.0)]


@writes(norm.BatchNorm)
def _batchnorm(b, a, inputs, shapes):
    channels = shapes[0][0]
    arrays = _scale_and_shift(b, a, channels, a.affine)
    if a.track_running_stats:
        arrays += [b.weight("running_mean", [channels]), b.weight("running_var", [channels])]
        return b.node("BatchNormalization", [inputs[0], *arrays], epsilon=float(a.eps), momentum=1 - float(a.momentum))
    # Without running statistics it normalises by the batch's own, at inference too.
    arrays += [b.filled("mean", [channels], 0.0), b.filled("var", [channels], 1.0)]
    return b.node(
        "BatchNormalization", [inputs[0], *arrays], unused=("mean", "var"), epsilon=float(a.eps), training_mode=1
    )


@writes(norm.InstanceNorm)
def _instancenorm(b, a, inputs, shapes):
    if a.track_running_stats:
        raise NotRepresentable("ONNX's InstanceNormalization keeps no running statistics")
    arrays = _scale_and_shift(b, a, shapes[0][0], a.affine)
    return b.node("InstanceNormalization", [inputs[0], *arrays], epsilon=float(a.eps))


@writes(norm.GroupNorm)
def _groupnorm(b, a, inputs, shapes):
    arrays = _scale_and_shift(b, a, shapes[0][0], a.affine)
    return b.node("GroupNormalization", [inputs[0], *arrays], epsilon=float(a.eps), num_groups=a.groups)


@writes(norm.LayerNorm)
def _layernorm(b, a, inputs, shapes):
    """Over the whole example: axis 1. Over the channels of a map: channels last, normalised
    over the last axis, channels first again (as PyTorch writes ConvNeXt's LayerNorm2d)."""
    source = shapes[0]
    normalised = norm.LayerNorm().normalised_shape(a, source)
    arrays = [b.weight("weight", normalised) if a.affine else b.filled("weight", normalised, 1.0)]
    if a.affine and a.bias:
        arrays.append(b.weight("bias", normalised))
    if a.over == "all" or len(source) == 1:
        return b.node("LayerNormalization", [inputs[0], *arrays], axis=1, epsilon=float(a.eps))
    rank = len(source) + 1
    x = b.node("Transpose", inputs, ".to_channels_last", perm=[0, *range(2, rank), 1])
    y = b.node("LayerNormalization", [x, *arrays], ".normalise", axis=-1, epsilon=float(a.eps))
    return b.node("Transpose", [y], perm=[0, rank - 1, *range(1, rank - 1)])


@writes(norm.LRN)
def _lrn(b, a, inputs, shapes):
    return b.node("LRN", inputs, size=a.size, alpha=float(a.alpha), beta=float(a.beta), bias=float(a.k))


@writes(norm.Dropout)
def _dropout(b, a, inputs, shapes):
    return b.node("Dropout", [inputs[0], b.scalar("ratio", a.p)])


@writes(norm.LayerScale)
def _layer_scale(b, a, inputs, shapes):
    dims = [shapes[0][0]] + [1] * (len(shapes[0]) - 1)
    if not a.bias:
        return b.node("Mul", [inputs[0], b.weight("scale", dims)])
    scaled = b.node("Mul", [inputs[0], b.weight("scale", dims)], ".scale")
    return b.node("Add", [scaled, b.weight("shift", dims)])


PAD_MODES = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@writes(shape.Pad)
def _pad(b, a, inputs, shapes):
    from ..geometry import explicit_pads

    pairs = explicit_pads(a.padding, len(shapes[0]) - 1)
    pads = [0, 0, *(p for p, _ in pairs), 0, 0, *(p for _, p in pairs)]
    extra = [b.scalar("value", a.value)] if a.value else []
    return b.node("Pad", [inputs[0], b.constant("pads", pads), *extra], mode=PAD_MODES[a.mode])


def _resize(b, x, source, sizes, scales, mode: str, align_corners: bool, like: str | None = None):
    """ONNX's Resize with PyTorch's conventions (F.interpolate): nearest takes the floor of
    the source position; linear and cubic map pixel centers (or corners). ``like``: the
    tensor whose spatial size it takes at run time, as PyTorch's exporter writes
    ``F.interpolate(x, size=y.shape[-2:])``: Shape, Slice, Concat."""
    attributes = {"mode": {"nearest": "nearest", "bilinear": "linear", "bicubic": "cubic"}[mode]}
    if mode == "nearest":
        attributes.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        attributes["coordinate_transformation_mode"] = "align_corners" if align_corners else "pytorch_half_pixel"
    if mode == "bicubic":
        attributes["cubic_coeff_a"] = -0.75
    if like is not None:
        rank = len(source) + 1
        batch = b.node("Slice", [b.node("Shape", [x], ".shape"), b.constant("start", [0]), b.constant("stop", [2])],
                       ".batch_and_channels")  # fmt: skip
        spatial = b.node(
            "Slice",
            [b.node("Shape", [like], ".like_shape"), b.constant("from", [2]), b.constant("to", [rank])],
            ".like_size",
        )
        return b.node("Resize", [x, "", "", b.node("Concat", [batch, spatial], ".sizes", axis=0)], **attributes)
    if sizes is not None:
        return b.node("Resize", [x, "", "", b.constant("sizes", [1, source[0], *sizes])], **attributes)
    return b.node("Resize", [x, "", b.constant("scales", [1, 1, *scales], integer=False)], **attributes)


@writes(shape.Upsample)
def _upsample(b, a, inputs, shapes):
    from ..geometry import per_axis

    return _resize(b, inputs[0], shapes[0], None, per_axis(a.scale, len(shapes[0]) - 1, "scale"), "nearest", False)


@writes(shape.Resize)
def _resize_layer(b, a, inputs, shapes):
    from ..geometry import per_axis

    nd = len(shapes[0]) - 1
    if a.like is not None:  # like's output is the layer's second input
        return _resize(b, inputs[0], shapes[0], None, None, a.mode, a.align_corners, like=inputs[1])
    if a.size is not None:
        return _resize(b, inputs[0], shapes[0], per_axis(a.size, nd, "size"), None, a.mode, a.align_corners)
    return _resize(b, inputs[0], shapes[0], None, per_axis(a.scale, nd, "scale"), a.mode, a.align_corners)


def _slice(b, x, starts, ends, axes):
    return b.node("Slice", [x, b.constant("starts", starts), b.constant("ends", ends), b.constant("axes", axes)])


@writes(shape.Crop)
def _crop(b, a, inputs, shapes):
    source = shapes[0]
    cuts = shape.Crop().cuts(a, source)
    axes = list(range(2, len(source) + 1))
    return _slice(b, inputs[0], [c for c, _ in cuts], [n - c for n, (_, c) in zip(source[1:], cuts)], axes)


@writes(shape.Chunk)
def _chunk(b, a, inputs, shapes):
    start, stop = shape.Chunk().channels(a, shapes[0][0])
    return _slice(b, inputs[0], [start], [stop], [1])


@writes(shape.ChannelShuffle)
def _channel_shuffle(b, a, inputs, shapes):
    """As torchvision writes ShuffleNet's: a view of groups, the two channel axes swapped, flat again."""
    channels, *spatial = shapes[0]
    grouped = b.node(
        "Reshape", [inputs[0], b.constant("groups", [0, a.groups, channels // a.groups, *spatial])], ".groups"
    )
    swapped = b.node("Transpose", [grouped], ".swap", perm=[0, 2, 1, *range(3, len(spatial) + 3)])
    return b.node("Reshape", [swapped, b.constant("shape", [0, channels, *spatial])])


@writes(shape.PixelShuffle)
def _pixel_shuffle(b, a, inputs, shapes):
    if len(shapes[0]) != 3:
        raise NotRepresentable("ONNX's DepthToSpace rearranges 2-D maps only")
    return b.node("DepthToSpace", inputs, blocksize=a.factor, mode="CRD")


@writes(merge.Add)
def _add(b, a, inputs, shapes):
    return b.node("Add" if len(inputs) == 2 else "Sum", inputs)


@writes(merge.Max)
def _max(b, a, inputs, shapes):
    return b.node("Max", inputs)  # variadic, broadcasting as ONNX's Max does


@writes(merge.Mul)
def _mul(b, a, inputs, shapes):
    product = inputs[0]
    for index, other in enumerate(inputs[1:], 2):
        product = b.node("Mul", [product, other], "" if index == len(inputs) else f".{index - 1}")
    return product


@writes(merge.Concat)
def _concat(b, a, inputs, shapes):
    return b.node("Concat", inputs, axis=1)


# No faithful ONNX form, with the reason (the contract test asks every type for a rule or a reason).
UNREPRESENTED = {
    conv.Local: "ONNX has no locally connected layer",
    stochastic.StochasticPool: "ONNX has no stochastic pooling",
    # A Mul, an AveragePool, a Pow and a Div would compute it, and read back as those.
    norm.SpatialLRN: "ONNX's LRN normalises across channels, not within one",
    shape.PixelUnshuffle: "ONNX's SpaceToDepth orders the channels otherwise than PyTorch's pixel_unshuffle",
    merge.WeightedSum: "ONNX has no weighted sum (a Mul by each coefficient and an Add would not read back as one)",
    # Token layers would be a Reshape, a Concat with a learned initializer, an Add and a
    # Gather: ONNX forms of general operators that cnncalc's reader could not read back as
    # the layer they came from, so a round trip would change the file's figures.
    attention.Tokens: "ONNX has no token operator (a Reshape would not read back as tokens)",
    attention.ClassToken: "ONNX has no class-token operator (a Concat with a learned tensor would not read back)",
    attention.PositionEmbedding: "ONNX has no position-embedding operator (an Add of a learned tensor would not read back)",
    attention.SelectToken: "ONNX has no token operator (a Gather would not read back as select_token)",
    attention.ToMap: "ONNX has no token operator (a Reshape would not read back as to_map)",
    attention.Attention: "ONNX opset 21 has no attention operator (Attention came in opset 23)",
}
