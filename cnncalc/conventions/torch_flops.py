"""PyTorch's own count: ``torch.utils.flop_counter.FlopCounterMode`` (torch 2.13).

It counts ATen operators as they run, with a formula for matrix products and
convolutions only (``flop_registry`` in torch/utils/flop_counter.py): 2 FLOPs per
multiply-accumulate, for the whole batch. Element-wise operators, normalisation, pooling
and resampling have no formula and count 0; so does a bias, added by ``addmm`` or the
convolution itself. Run as::

    with FlopCounterMode(display=False) as counter:
        model(torch.randn(N, C, H, W))
    counter.get_total_flops()
"""

from __future__ import annotations

from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from . import Convention

CONVENTION = Convention(
    "torch",
    tool="torch.utils.flop_counter.FlopCounterMode",
    unit="FLOPs",
    meaning="2 per multiply-accumulate of convolutions and matrix products, for the whole batch",
    call="with FlopCounterMode(display=False) as c: model(x); c.get_total_flops()",
    source="torch/utils/flop_counter.py (torch 2.13)",
    params_doc="it counts no parameters: PyTorch's sum(p.numel() for p in model.parameters())",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)


def declared(site) -> int:
    return site.layer_type.macs(site.a, site.ins, site.out)


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """2*N*H_out*W_out*C_out*(C_in/groups)*k_h*k_w: aten.convolution, 2 FLOPs per
    multiply-accumulate over the output positions; the bias not counted.

    torch/utils/flop_counter.py conv_flop_count: prod(conv_shape) * prod(filter_size) * batch_size * c_out * c_in * 2
    """
    return 2 * site.n * declared(site)


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """2*N*H_in*W_in*C_in*(C_out/groups)*k_h*k_w: a transposed aten.convolution is counted
    over the *input* positions; the bias not counted.

    torch/utils/flop_counter.py conv_flop_count: conv_shape = (x_shape if transposed else out_shape)[2:]
    """
    return 2 * site.n * declared(site)


@CONVENTION.counts(linear.FC, linear.PointwiseFC)
def _fc(site):
    """2*N*(positions)*in*out: nn.Linear runs as aten.addmm (or aten.mm on a map), 2 FLOPs
    per multiply-accumulate; the bias added by addmm not counted.

    torch/utils/flop_counter.py mm_flop: m * n * 2 * k; addmm_flop = mm_flop(a_shape, b_shape)
    """
    return 2 * site.n * declared(site)


@CONVENTION.counts(attention.Attention)
def _attention(site):
    """Window attention (cnncalc's WindowAttention: F.linear and ``@``): 2 per MAC, its
    position bias network once per forward pass, 2*(N*(MACs - network) + network).

    Global attention: 0 with biases and an even number of heads, else 2*N*L*4*D*D: nn.MultiheadAttention
    in eval mode without gradients takes its fast path, one ``_native_multi_head_attention``
    operator that has no formula; without biases, or with an odd number of heads, it does
    not, and the projections count as matrix products (``mm``), while ``scaled_dot_product_attention`` on the CPU runs
    ``_scaled_dot_product_flash_attention_for_cpu``, which has none either. (With the fast
    path off, ``torch.backends.mha.set_fastpath_enabled(False)``, and the math kernel,
    ``sdpa_kernel(SDPBackend.MATH)``, the products count as ``bmm``: 2 per cnncalc MAC.)

    torch/nn/modules/activation.py MultiheadAttention.forward (why_not_fast_path); flop_registry has no _native_multi_head_attention
    """
    layer = site.layer_type
    if site.a.window is not None:
        network = layer.bias_macs(site.a, site.ins)
        return 2 * (site.n * (layer.macs(site.a, site.ins, site.out) - network) + network)
    if site.a.bias and site.a.heads % 2 == 0:
        return 0
    return 2 * site.n * layer.projection_macs(site.a, site.ins)


@CONVENTION.counts(
    activation.ReLU, activation.ReLU6, activation.LeakyReLU, activation.PReLU, activation.ELU, activation.SELU,
    activation.GELU, activation.SiLU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid,
    activation.Tanh, activation.Softplus, activation.Softmax, activation.LogSoftmax, activation.Identity,
    norm.BatchNorm, norm.GroupNorm, norm.LayerNorm, norm.InstanceNorm, norm.LRN, norm.LayerScale,
    norm.Dropout, norm.StochasticDepth,
    pool.MaxPool, pool.AvgPool, pool.LpPool, pool.GlobalAvgPool, pool.GlobalMaxPool,
    pool.AdaptiveAvgPool, pool.AdaptiveMaxPool,
    merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten,
    shape.Pad, shape.Upsample, shape.Resize, shape.Crop, shape.ChannelShuffle, shape.Chunk,
    shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _none(site):
    """0: FlopCounterMode has formulas for matrix products, convolutions and attention
    only; element-wise operators, normalisation, pooling and resampling count nothing.

    torch/utils/flop_counter.py flop_registry (mm, addmm, bmm, baddbmm, convolution, attention)
    """
    return 0
