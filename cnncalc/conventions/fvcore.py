"""fvcore (0.1.5.post20221221): ``FlopCountAnalysis(model, x).total()``.

fvcore traces the model with ``torch.jit.trace`` and counts the traced ATen operators
that have a handle (``_DEFAULT_SUPPORTED_OPS`` in fvcore/nn/flop_count.py), for the whole
batch; every other operator is skipped with a warning. It calls its figure flops but
counts "one fused multiply-add as one flop": convolutions and linear layers give their
multiply-accumulates, bias not counted. Two things follow from tracing:

- a layer whose result the network's output does not depend on (GoogLeNet's auxiliary
  heads, when the model returns the main output only) is dropped from the trace as dead
  code and counts 0;
- only the operators with a handle count: ``aten::upsample_nearest2d`` and
  ``aten::adaptive_avg_pool2d`` do, their 1-D and 3-D forms do not.
"""

from __future__ import annotations

from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from . import Convention
from .modules import declared, ndim

CONVENTION = Convention(
    "fvcore",
    tool="fvcore.nn.FlopCountAnalysis",
    unit="flops",
    meaning="fvcore's flops: one per multiply-accumulate (fused multiply-add), for the whole batch",
    call="FlopCountAnalysis(model, (x,)).total()",
    source="fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS, fvcore/nn/jit_handles.py (0.1.5.post20221221)",
    params_doc="it counts no parameters (fvcore.nn.parameter_count gives PyTorch's sum of p.numel())",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)


def traced(rule):
    """0 for a layer the network's output does not depend on: torch.jit.trace drops it."""

    def counted(site):
        return rule(site) if site.used else 0

    counted.__doc__ = rule.__doc__
    counted.__name__ = rule.__name__
    return counted


@CONVENTION.counts(conv.Conv, conv.Deconv)
@traced
def _conv(site):
    """N*prod(w_shape)*H_out*W_out: the weight's size times the output positions (the
    *input* positions for a transposed convolution), the bias not counted; the same as
    cnncalc's MACs times the batch.

    jit_handles.py conv_flop_count: batch_size * prod(w_shape) * prod(conv_shape), conv_shape = (x_shape if transposed else out_shape)[2:]
    """
    return site.n * declared(site)


@CONVENTION.counts(linear.FC, linear.PointwiseFC)
@traced
def _linear(site):
    """N*(positions)*in*out: aten::linear, the input's values times the output features;
    the bias not counted.

    jit_handles.py linear_flop_jit: prod(input_shapes[0]) * input_shapes[1][0]
    """
    return site.n * declared(site)


@CONVENTION.counts(attention.Attention)
@traced
def _attention(site):
    """Global attention: N*L*4*D*D, the input and output projections of
    nn.MultiheadAttention, traced as aten::linear; the products of the heads
    (``scaled_dot_product_attention``) have no handle and count 0. Window attention (cnncalc's
    WindowAttention: F.linear and ``@``, aten::matmul): every MAC, its position bias network
    once per forward pass: N*(MACs - network) + network.

    jit_handles.py linear_flop_jit; flop_count.py _DEFAULT_SUPPORTED_OPS has no aten::scaled_dot_product_attention
    """
    layer = site.layer_type
    if site.a.window is not None:
        network = layer.bias_macs(site.a, site.ins)
        return site.n * (layer.macs(site.a, site.ins, site.out) - network) + network
    return site.n * layer.projection_macs(site.a, site.ins)


@CONVENTION.counts(norm.BatchNorm)
@traced
def _batchnorm(site):
    """N*C*H*W, doubled with affine, in eval mode with running statistics; 4 per value (5
    with affine) when it normalises by the batch's statistics (no running statistics).

    jit_handles.py batchnorm_flop_jit: if training: norm_flop_counter(1); input_shape * (2 if has_affine else 1)
    """
    if site.a.track_running_stats:
        return site.numel_in * (2 if site.a.affine else 1)
    return site.numel_in * (5 if site.a.affine else 4)


@CONVENTION.counts(norm.GroupNorm, norm.LayerNorm, norm.InstanceNorm)
@traced
def _norm(site):
    """N*C*H*W*(5 if affine else 4): "5 is just a rough estimate".

    flop_count.py: "aten::group_norm": norm_flop_counter(2), "aten::layer_norm": norm_flop_counter(2), "aten::instance_norm": norm_flop_counter(1)
    """
    return site.numel_in * (5 if site.a.affine else 4)


@CONVENTION.counts(shape.Upsample, shape.Resize)
@traced
def _upsample(site):
    """N*C*H_out*W_out for nearest and 4 per output value for bilinear, on 2-D maps only
    (aten::upsample_nearest2d, aten::upsample_bilinear2d); 0 in 1-D, 3-D and bicubic.

    flop_count.py: "aten::upsample_nearest2d": elementwise_flop_counter(0, 1), "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4)
    """
    if ndim(site) != 2:
        return 0
    return site.numel_out * {"nearest": 1, "bilinear": 4}.get(site.a.get("mode", "nearest"), 0)


@CONVENTION.counts(pool.GlobalAvgPool, pool.AdaptiveAvgPool)
@traced
def _adaptive_avgpool(site):
    """N*C*H_in*W_in, one per input value, on 2-D maps only (aten::adaptive_avg_pool2d);
    0 in 1-D and 3-D.

    flop_count.py: "aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0)
    """
    return site.numel_in if ndim(site) == 2 else 0


@CONVENTION.counts(
    activation.ReLU, activation.ReLU6, activation.LeakyReLU, activation.PReLU, activation.ELU, activation.SELU,
    activation.GELU, activation.SiLU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid,
    activation.Tanh, activation.Softplus, activation.Softmax, activation.LogSoftmax, activation.Identity,
    norm.LRN, norm.LayerScale, norm.Dropout, norm.StochasticDepth,
    pool.MaxPool, pool.AvgPool, pool.LpPool, pool.GlobalMaxPool, pool.AdaptiveMaxPool,
    merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten,
    shape.Pad, shape.Crop, shape.ChannelShuffle, shape.Chunk, shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _unsupported(site):
    """0: no handle for its operators (aten::relu, aten::max_pool2d, aten::avg_pool2d,
    aten::add, aten::cat...), which fvcore skips as unsupported.

    flop_count.py _DEFAULT_SUPPORTED_OPS (the list of what is counted)
    """
    return 0
