"""cnncalc's own count: multiply-accumulates of the layers that multiply by weights.

The contract's arithmetic (shared/SPEC.md section 2), for one example whatever the batch:
each layer type declares its ``macs`` (cnncalc/layers/), and this convention reads it, so
the rules below only say, per type, what that declaration counts.
"""

from __future__ import annotations

from ..layers import activation, attention, conv, linear, merge, norm, pool, shape, stochastic
from . import Convention

CONVENTION = Convention(
    "cnncalc",
    tool="cnncalc",
    unit="MACs",
    meaning="multiply-accumulates of conv, deconv, local and fc layers, bias not counted, for one example",
    call="cnncalc summarize FILE",
    source="shared/SPEC.md section 2",
    params_doc="every learnable parameter, as PyTorch's sum(p.numel() for p in model.parameters())",
)


def declared(site) -> int:
    return site.layer_type.macs(site.a, site.ins, site.out)


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """H_out*W_out*C_out * (C_in/groups)*k_h*k_w: one multiply-accumulate per weight per
    output position; the bias not counted.

    cnncalc/layers/conv.py Conv.macs
    """
    return declared(site)


@CONVENTION.counts(conv.Local)
def _local(site):
    """H_out*W_out*C_out * C_in*k_h*k_w, as a convolution (the weights are not shared);
    the bias not counted.

    cnncalc/layers/conv.py Local.macs
    """
    return declared(site)


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """H_in*W_in*C_in * (C_out/groups)*k_h*k_w: each input value is multiplied into a
    whole kernel (by input positions); the bias not counted.

    cnncalc/layers/conv.py Deconv.macs
    """
    return declared(site)


@CONVENTION.counts(linear.FC)
def _fc(site):
    """in_features*out_features; the bias not counted.

    cnncalc/layers/linear.py FC.macs
    """
    return declared(site)


@CONVENTION.counts(linear.PointwiseFC)
def _pointwise_fc(site):
    """H*W * in_features*out_features: the fc at every position; the bias not counted.

    cnncalc/layers/linear.py PointwiseFC.macs
    """
    return declared(site)


@CONVENTION.counts(attention.Attention)
def _attention(site):
    """L*D*3D + L*D*D for the projections (queries, keys and values; output), plus
    2*L*L*D for the products of every head (Q K^T and A V), L tokens of D features; the
    biases not counted.

    cnncalc/layers/attention.py Attention.macs
    """
    return declared(site)


@CONVENTION.counts(
    activation.ReLU, activation.ReLU6, activation.LeakyReLU, activation.PReLU, activation.ELU, activation.SELU,
    activation.GELU, activation.SiLU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid,
    activation.Tanh, activation.Softplus, activation.Softmax, activation.LogSoftmax, activation.Identity,
    norm.BatchNorm, norm.GroupNorm, norm.LayerNorm, norm.InstanceNorm, norm.LRN, norm.SpatialLRN, norm.LayerScale,
    norm.Dropout, norm.StochasticDepth,
    pool.MaxPool, pool.AvgPool, pool.LpPool, pool.GlobalAvgPool, pool.GlobalMaxPool,
    pool.AdaptiveAvgPool, pool.AdaptiveMaxPool, stochastic.StochasticPool,
    merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten,
    shape.Pad, shape.Upsample, shape.Resize, shape.Crop, shape.ChannelShuffle, shape.Chunk,
    shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _none(site):
    """0: only the weighted layers (conv, deconv, local, fc) are counted; normalisations,
    activations, pooling, additions and resampling are not.

    shared/SPEC.md section 2
    """
    return declared(site)
