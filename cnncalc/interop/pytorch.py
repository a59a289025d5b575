"""Every layer type as PyTorch computes it: a ``torch.nn`` call, described as plain data.

``describe(layer_type, a, shapes)`` gives a :class:`Call` (``nn.Conv2d(3, 64, 3, ...)``),
or a :class:`Sequence` of them where PyTorch needs two modules (a padding it cannot put in
the layer, then the layer; a flatten before a Linear). A description is data: ``build``
turns it into a live module when torch is installed (``getattr(nn, name)(*args,
**kwargs)``, no code is evaluated), ``source`` into the text an exporter writes. ``arrays``
maps cnncalc's array names (``Weight.name``) to the module's state-dict keys, so cnncalc's
weights can be loaded into it.

A few layers have no ``torch.nn`` class: they are small modules of cnncalc's own
(``interop/torch_modules.py``, written with torch alone: ``Crop``, ``Add``, ``Mul``,
``Max``, ``Concat``, ``ResizeLike``). A type with no faithful PyTorch form (a locally connected
layer; pooling with padding PyTorch's pools refuse together with ``ceil_mode``) raises
``NotRepresentable`` with the reason.

>>> from cnncalc.layers import lookup
>>> from cnncalc.layers.base import Args
>>> conv = lookup("conv")[0]
>>> a = Args(filters=64, kernel=3, stride=1, padding=1, dilation=1, groups=1, bias=False,
...          padding_mode="zeros", in_channels=None, weights=None)
>>> source(describe(conv, a, ((3, 224, 224),)))
'nn.Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, bias=False)'
"""

from __future__ import annotations

from ..layers import activation, attention, conv, linear, merge, norm, pool, shape, stochastic
from ..layers.base import prod
from ..record import Record


class NotRepresentable(Exception):
    """The layer, with these arguments, has no faithful PyTorch form."""


class Call(Record, fields="library name args kwargs arrays"):
    """``library.name(*args, **kwargs)``: ``library`` is ``nn`` (torch.nn) or ``cnncalc``
    (interop/torch_modules.py); ``arrays``: cnncalc array name -> state-dict key."""

    __slots__ = ()


class Sequence(Record, fields="parts arrays"):
    """``nn.Sequential(*parts)``; ``arrays`` keys are prefixed with the part's index."""

    __slots__ = ()


RULES: dict = {}  # layer type class -> rule(a, shapes) -> Call | Sequence


def interprets(*classes):
    """Registers a rule for the given layer type classes."""

    def register(rule):
        for cls in classes:
            RULES[cls] = rule
        return rule

    return register


def describe(layer_type, a, shapes: tuple):
    """The PyTorch module computing ``layer_type`` with arguments ``a`` on inputs ``shapes``
    (channels first, no batch). Raises NotRepresentable."""
    rule = RULES.get(type(layer_type))
    if rule is None:
        raise NotRepresentable(f"{layer_type.name} has no PyTorch interpretation")
    return rule(a, shapes)


def build(description, nn=None):
    """A live ``torch.nn.Module`` from a description (imports torch)."""
    if nn is None:
        from torch import nn
    if isinstance(description, Sequence):
        return nn.Sequential(*(build(part, nn) for part in description.parts))
    if description.library == "nn":
        factory = getattr(nn, description.name)
    else:
        from . import torch_modules

        factory = getattr(torch_modules, description.name)
    return factory(*description.args, **description.kwargs)


def source(description) -> str:
    """The Python text of the call, as an exporter writes it."""
    if isinstance(description, Sequence):
        return "nn.Sequential(" + ", ".join(source(part) for part in description.parts) + ")"
    arguments = [repr(value) for value in description.args]
    arguments += [f"{key}={value!r}" for key, value in description.kwargs.items()]
    return f"{description.library}.{description.name}({', '.join(arguments)})"


def _nn(name, *args, arrays=None, **kwargs) -> Call:
    return Call("nn", name, args, kwargs, arrays or {})


def _sequence(*parts) -> Sequence:
    arrays = {ours: f"{index}.{theirs}" for index, part in enumerate(parts) for ours, theirs in part.arrays.items()}
    return Sequence(parts, arrays)


def _flat_pads(pads) -> tuple:
    """F.pad's order: the last axis first, (before, after) for each."""
    result = []
    for before, after in reversed(pads):
        result += [before, after]
    return tuple(result)


PAD_CLASSES = {"zeros": "ConstantPad", "constant": "ConstantPad", "reflect": "ReflectionPad"}
PAD_CLASSES.update(replicate="ReplicationPad", circular="CircularPad")


def _pad(pads, mode: str = "zeros", value: float = 0.0) -> Call:
    nd = len(pads)
    name = f"{PAD_CLASSES[mode]}{nd}d"
    if PAD_CLASSES[mode] == "ConstantPad":
        return _nn(name, _flat_pads(pads), float(value))
    return _nn(name, _flat_pads(pads))


def _symmetric(pads) -> bool:
    return all(before == after for before, after in pads)


def _weight_and_bias(bias) -> dict:
    return {"weights": "weight", "bias": "bias"} if bias is not False else {"weights": "weight"}


@interprets(conv.Conv)
def _conv(a, shapes):
    (shape,) = shapes
    nd = len(shape) - 1
    window = conv.Conv().window(a, shape)
    layer = _nn(
        f"Conv{nd}d",
        shape[0],
        a.filters,
        kernel_size=window.kernel,
        stride=window.stride,
        padding=tuple(before for before, _ in window.pads) if _symmetric(window.pads) else (0,) * nd,
        dilation=window.dilation,
        groups=a.groups,
        bias=a.bias is not False,
        arrays=_weight_and_bias(a.bias),
    )
    if a.padding_mode != "zeros" and _symmetric(window.pads) and any(before for before, _ in window.pads):
        layer = layer._replace(kwargs={**layer.kwargs, "padding_mode": a.padding_mode})
    if _symmetric(window.pads):
        return layer
    return _sequence(_pad(window.pads, a.padding_mode), layer)


@interprets(conv.Deconv)
def _deconv(a, shapes):
    (shape,) = shapes
    nd = len(shape) - 1
    kernel, stride, dilation, pads, extra = conv.Deconv().geometry(a, shape)
    common = dict(stride=stride, output_padding=extra, groups=a.groups, bias=a.bias is not False, dilation=dilation)
    if _symmetric(pads):
        padding = tuple(before for before, _ in pads)
        return _nn(
            f"ConvTranspose{nd}d",
            shape[0],
            a.filters,
            kernel,
            padding=padding,
            **common,
            arrays=_weight_and_bias(a.bias),
        )
    # PyTorch pads a transposed convolution alike on both sides: the full output, cropped.
    layer = _nn(
        f"ConvTranspose{nd}d", shape[0], a.filters, kernel, padding=(0,) * nd, **common, arrays=_weight_and_bias(a.bias)
    )
    return _sequence(layer, Call("cnncalc", "Crop", (tuple(pads),), {}, {}))


def _pooled(kind: str, a, shape, **options):
    nd = len(shape) - 1
    window = kind.window(a, shape)
    if _symmetric(window.pads) and all(
        2 * before <= span for (before, _), span in zip(window.pads, window.effective_kernel)
    ):
        padding = tuple(before for before, _ in window.pads)
        return window, padding, None
    if window.ceil_mode:
        raise NotRepresentable(
            "PyTorch's pools take padding alike on both sides and at most half the window; with ceil_mode, "
            "padding it first changes which windows ceil_mode keeps"
        )
    return window, (0,) * nd, options


@interprets(pool.MaxPool)
def _maxpool(a, shapes):
    (shape,) = shapes
    nd = len(shape) - 1
    window, padding, explicit = _pooled(pool.MaxPool(), a, shape)
    layer = _nn(f"MaxPool{nd}d", window.kernel, window.stride, padding, window.dilation, ceil_mode=window.ceil_mode)
    if explicit is None:
        return layer
    return _sequence(_pad(window.pads, "constant", float("-inf")), layer)


@interprets(pool.AvgPool)
def _avgpool(a, shapes):
    (shape,) = shapes
    nd = len(shape) - 1
    window, padding, explicit = _pooled(pool.AvgPool(), a, shape)
    layer = _nn(
        f"AvgPool{nd}d", window.kernel, window.stride, padding, ceil_mode=window.ceil_mode,
        count_include_pad=a.count_include_pad,
    )  # fmt: skip
    if explicit is None:
        return layer
    if not a.count_include_pad:
        raise NotRepresentable("an average over windows that leaves out padding PyTorch's pool cannot take")
    return _sequence(_pad(window.pads), layer)


@interprets(pool.LpPool)
def _lppool(a, shapes):
    (shape,) = shapes
    nd = len(shape) - 1
    window = pool.LpPool().window(a, shape)
    kernel, stride = (window.kernel[0], window.stride[0]) if nd == 1 else (window.kernel, window.stride)
    return _nn(f"LPPool{nd}d", float(a.norm), kernel, stride, ceil_mode=window.ceil_mode)


@interprets(pool.GlobalAvgPool)
def _global_avgpool(a, shapes):
    return _nn(f"AdaptiveAvgPool{len(shapes[0]) - 1}d", 1)


@interprets(pool.GlobalMaxPool)
def _global_maxpool(a, shapes):
    return _nn(f"AdaptiveMaxPool{len(shapes[0]) - 1}d", 1)


@interprets(linear.FC)
def _fc(a, shapes):
    layer = _nn("Linear", prod(shapes[0]), a.units, bias=a.bias is not False, arrays=_weight_and_bias(a.bias))
    return layer if len(shapes[0]) == 1 else _sequence(_nn("Flatten"), layer)


@interprets(linear.Flatten)
def _flatten(a, shapes):
    return _nn("Flatten")


PLAIN_ACTIVATIONS = {
    activation.ReLU: "ReLU",
    activation.ReLU6: "ReLU6",
    activation.SELU: "SELU",
    activation.SiLU: "SiLU",
    activation.HardSwish: "Hardswish",
    activation.HardSigmoid: "Hardsigmoid",
    activation.Sigmoid: "Sigmoid",
    activation.Tanh: "Tanh",
    activation.Identity: "Identity",
}


def _plain(module_name: str):
    """The rule of an activation PyTorch has as an argument-free module."""
    return lambda a, shapes: _nn(module_name)


for _cls, _module_name in PLAIN_ACTIVATIONS.items():
    interprets(_cls)(_plain(_module_name))


@interprets(activation.LeakyReLU)
def _leaky_relu(a, shapes):
    return _nn("LeakyReLU", a.negative_slope)


@interprets(activation.PReLU)
def _prelu(a, shapes):
    return _nn("PReLU", a.num_parameters, float(a.init), arrays={"slope": "weight"})


@interprets(activation.ELU)
def _elu(a, shapes):
    return _nn("ELU", float(a.alpha))


@interprets(activation.GELU)
def _gelu(a, shapes):
    return _nn("GELU", approximate=a.approximate)


@interprets(activation.Softplus)
def _softplus(a, shapes):
    return _nn("Softplus", float(a.beta))


@interprets(activation.Softmax)
def _softmax(a, shapes):
    return _nn("Softmax", dim=1)


@interprets(activation.LogSoftmax)
def _log_softmax(a, shapes):
    return _nn("LogSoftmax", dim=1)


@interprets(norm.BatchNorm)
def _batchnorm(a, shapes):
    nd = max(len(shapes[0]) - 1, 1)
    arrays = {}
    if a.affine:
        arrays.update(scale="weight", shift="bias")
    if a.track_running_stats:
        arrays.update(running_mean="running_mean", running_var="running_var")
        if a.counter:  # PyTorch's count of batches, an integer it keeps in any case
            arrays.update(count="num_batches_tracked")
    return _nn(
        f"BatchNorm{nd}d",
        shapes[0][0],
        eps=a.eps,
        momentum=a.momentum,
        affine=a.affine,
        track_running_stats=a.track_running_stats,
        arrays=arrays,
    )


@interprets(norm.GroupNorm)
def _groupnorm(a, shapes):
    arrays = {"scale": "weight", "shift": "bias"} if a.affine else {}
    return _nn("GroupNorm", a.groups, shapes[0][0], eps=a.eps, affine=a.affine, arrays=arrays)


@interprets(norm.LRN)
def _lrn(a, shapes):
    return _nn("LocalResponseNorm", a.size, alpha=a.alpha, beta=a.beta, k=a.k)


@interprets(norm.Dropout)
def _dropout(a, shapes):
    return _nn("Dropout", a.p)


@interprets(shape.Pad)
def _pad_layer(a, shapes):
    from ..geometry import explicit_pads

    return _pad(explicit_pads(a.padding, len(shapes[0]) - 1), a.mode, a.value)


@interprets(shape.Upsample)
def _upsample(a, shapes):
    from ..geometry import per_axis

    scales = tuple(float(s) for s in per_axis(a.scale, len(shapes[0]) - 1, "scale"))
    return _nn("Upsample", scale_factor=scales, mode="nearest")


@interprets(shape.Crop)
def _crop(a, shapes):
    return Call("cnncalc", "Crop", (shape.Crop().cuts(a, shapes[0]),), {}, {})


@interprets(shape.ChannelShuffle)
def _channel_shuffle(a, shapes):
    return _nn("ChannelShuffle", a.groups)


@interprets(merge.Add)
def _add(a, shapes):
    return Call("cnncalc", "Add", (), {}, {})


@interprets(merge.WeightedSum)
def _weighted_sum(a, shapes):
    return Call("cnncalc", "WeightedSum", (list(a.coefficients),), {}, {})


@interprets(merge.Mul)
def _mul(a, shapes):
    return Call("cnncalc", "Mul", (), {}, {})


@interprets(merge.Max)
def _max(a, shapes):
    return Call("cnncalc", "Max", (), {}, {})


@interprets(merge.Concat)
def _concat(a, shapes):
    return Call("cnncalc", "Concat", (), {}, {})


@interprets(pool.AdaptiveAvgPool)
def _adaptive_avgpool(a, shapes):
    nd = len(shapes[0]) - 1
    return _nn(f"AdaptiveAvgPool{nd}d", pool.AdaptiveAvgPool().sizes(a, shapes[0]))


@interprets(pool.AdaptiveMaxPool)
def _adaptive_maxpool(a, shapes):
    nd = len(shapes[0]) - 1
    return _nn(f"AdaptiveMaxPool{nd}d", pool.AdaptiveMaxPool().sizes(a, shapes[0]))


@interprets(norm.LayerNorm)
def _layernorm(a, shapes):
    shape = shapes[0]
    arrays = {}
    if a.affine:
        arrays["scale"] = "weight"
        if a.bias:
            arrays["shift"] = "bias"
    options = dict(eps=a.eps, elementwise_affine=a.affine, bias=a.bias)
    if a.over == "channels" and len(shape) > 1:  # torchvision's LayerNorm2d: channels last
        return Call("cnncalc", "LayerNorm2d", (shape[0],), options, arrays)
    normalised = list(shape) if a.over == "all" else [shape[0]]
    return _nn("LayerNorm", normalised, **options, arrays=arrays)


@interprets(norm.InstanceNorm)
def _instancenorm(a, shapes):
    arrays = {}
    if a.affine:
        arrays.update(scale="weight", shift="bias")
    if a.track_running_stats:
        arrays.update(running_mean="running_mean", running_var="running_var")
    return _nn(
        f"InstanceNorm{len(shapes[0]) - 1}d",
        shapes[0][0],
        eps=a.eps,
        momentum=a.momentum,
        affine=a.affine,
        track_running_stats=a.track_running_stats,
        arrays=arrays,
    )


@interprets(norm.LayerScale)
def _layer_scale(a, shapes):
    if a.bias:
        return Call("cnncalc", "LayerScale", (shapes[0][0], float(a.init)), {"bias": True},
                    {"scale": "scale", "shift": "shift"})  # fmt: skip
    return Call("cnncalc", "LayerScale", (shapes[0][0], float(a.init)), {}, {"scale": "scale"})


@interprets(norm.StochasticDepth)
def _stochastic_depth(a, shapes):
    return Call("cnncalc", "StochasticDepth", (float(a.p), a.mode), {}, {})


@interprets(shape.Chunk)
def _chunk(a, shapes):
    return Call("cnncalc", "Chunk", (a.chunks, a.index), {}, {})


@interprets(shape.PixelShuffle)
def _pixel_shuffle(a, shapes):
    return _nn("PixelShuffle", a.factor)


@interprets(shape.PixelUnshuffle)
def _pixel_unshuffle(a, shapes):
    return _nn("PixelUnshuffle", a.factor)


LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


@interprets(shape.Resize)
def _resize(a, shapes):
    from ..geometry import per_axis

    nd = len(shapes[0]) - 1
    mode = LINEAR_MODES[nd] if a.mode == "bilinear" else a.mode
    options = {"mode": mode}
    if a.mode != "nearest":
        options["align_corners"] = a.align_corners
    if a.like is not None:  # forward(x, like): the layer's second input is like's output
        return Call("cnncalc", "ResizeLike", (mode,), {k: v for k, v in options.items() if k != "mode"}, {})
    if a.size is not None:
        return _nn("Upsample", size=per_axis(a.size, nd, "size"), **options)
    scales = tuple(float(s) for s in per_axis(a.scale, nd, "scale"))
    return _nn("Upsample", scale_factor=scales, **options)


@interprets(linear.PointwiseFC)
def _pointwise_fc(a, shapes):
    if len(shapes[0]) == 1:
        return _nn("Linear", shapes[0][0], a.units, bias=a.bias, arrays=_weight_and_bias(a.bias))
    arrays = {"weights": "linear.weight", **({"bias": "linear.bias"} if a.bias else {})}
    return Call("cnncalc", "ChannelsLastLinear", (shapes[0][0], a.units), {"bias": a.bias}, arrays)


@interprets(attention.Tokens)
def _tokens(a, shapes):
    return _nn("Flatten", 2)


@interprets(attention.ClassToken)
def _class_token(a, shapes):
    return Call("cnncalc", "ClassToken", (shapes[0][0],), {}, {"token": "token"})


@interprets(attention.PositionEmbedding)
def _position_embedding(a, shapes):
    return Call("cnncalc", "PositionEmbedding", (tuple(shapes[0]),), {}, {"embedding": "embedding"})


@interprets(attention.ToMap)
def _to_map(a, shapes):
    return _nn("Unflatten", 2, tuple(a.size) if isinstance(a.size, tuple) else (a.size,))


@interprets(attention.SelectToken)
def _select_token(a, shapes):
    return Call("cnncalc", "SelectToken", (a.index,), {}, {})


@interprets(attention.Attention)
def _attention(a, shapes):
    windows = attention.Attention().windows(a, shapes[0])
    if windows is not None:
        arrays = {"qkv_weights": "qkv_weight", "out_weights": "proj_weight"}
        if a.bias:
            arrays.update(qkv_bias="qkv_bias", out_bias="proj_bias")
        if a.position_bias == "table":
            arrays["bias_table"] = "bias_table"
        elif a.position_bias == "mlp":
            arrays.update(bias_mlp_weights="mlp_weight", bias_mlp_bias="mlp_bias", bias_mlp_out="mlp_out")
        if a.cosine:
            arrays["logit_scale"] = "logit_scale"
        options = dict(bias=a.bias, dropout=float(a.dropout), position_bias=a.position_bias)
        options.update(bias_hidden=a.bias_hidden, cosine=a.cosine, scale=a.scale, mask=a.mask)
        return Call("cnncalc", "WindowAttention", (shapes[0][0], a.heads, tuple(windows)), options, arrays)
    arrays = {"qkv_weights": "attention.in_proj_weight", "out_weights": "attention.out_proj.weight"}
    if a.bias:
        arrays.update(qkv_bias="attention.in_proj_bias", out_bias="attention.out_proj.bias")
    options = {"bias": a.bias, "dropout": float(a.dropout)}
    return Call("cnncalc", "SelfAttention", (shapes[0][0], a.heads), options, arrays)


# No faithful PyTorch form, with the reason (the contract test asks every type for a rule
# or a reason).
UNREPRESENTED = {
    conv.Local: "PyTorch has no locally connected layer",
    stochastic.StochasticPool: "PyTorch has no stochastic pooling",
    norm.SpatialLRN: "PyTorch's LocalResponseNorm normalises across channels, not within one",
}
