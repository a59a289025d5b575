"""ptflops (flops-counter.pytorch, 0.7.5): ``get_model_complexity_info(model, (C, H, W))``
with its default pytorch backend.

Two counts make up its total (ptflops/pytorch_engine.py get_flops_pytorch):

- module hooks, for the modules whose exact class is in ``MODULES_MAPPING``
  (ptflops/pytorch_ops.py), summed and divided by the batch (one example): these are the
  per-layer figures it prints;
- the functions it patches while the model runs (``F.relu``, ``F.max_pool2d``,
  ``F.interpolate``, ``torch.add``, ``Tensor.mul``... ``FUNCTIONAL_MAPPING`` and
  ``TENSOR_OPS_MAPPING``), added to the total only, for the whole batch. PyTorch's own
  modules call some of them: ``nn.ReLU`` runs ``F.relu``, ``nn.MaxPool2d`` runs
  ``F.max_pool2d``, so a ReLU or a pooling module is counted twice, once by its hook and
  once by the function (``nn.ReLU6`` runs ``F.hardtanh``, which is not patched).

cnncalc gives each layer both parts, so that the layers add up to ptflops' total; the
figure ptflops prints beside a module is the hook's part. It calls the unit MACs (GMac):
multiply-accumulates for convolutions and linear layers, with the bias added, and one per
value for activations, pooling, normalisation and upsampling.
"""

from __future__ import annotations

from fractions import Fraction

from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from . import Convention, prod, trainable_params
from .modules import declared, deconv_module, has_bias, own_module, pool_input

CONVENTION = Convention(
    "ptflops",
    tool="ptflops.get_model_complexity_info",
    unit="MACs",
    meaning="module hooks for one example plus the patched functions' calls for the whole batch",
    call="macs, params = get_model_complexity_info(model, (C, H, W), as_strings=False)",
    source="ptflops/pytorch_ops.py, ptflops/pytorch_engine.py (0.7.5, backend pytorch)",
    params_doc="the parameters that learn (requires_grad), of the whole model",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)
CONVENTION.default_params = trainable_params


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """H_out*W_out*C_out*(C_in/groups)*k_h*k_w + C_out*H_out*W_out with a bias: the
    multiply-accumulates and one addition per output value for the bias, one example.

    pytorch_ops.py conv_flops_counter_hook: conv_per_position_flops * active_elements_count + bias_flops
    """
    bias = prod(site.out) if has_bias(site) else 0
    return declared(site) + bias


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """H_in*W_in*C_in*(C_out/groups)*k_h*k_w (by *input* positions) + C_out*H_out*W_out
    of the module's full output with a bias, one example.

    pytorch_ops.py conv_flops_counter_hook(transpose=True): active_elements_count = batch_size * prod(input_dims)
    """
    _, out = deconv_module(site)
    return declared(site) + (prod(out) if has_bias(site) else 0)


@CONVENTION.counts(linear.FC, linear.PointwiseFC)
def _linear(site):
    """(positions)*(in*out + out with a bias), one example: one addition per output value
    for the bias.

    pytorch_ops.py linear_flops_counter_hook: (input_last_dim * output_last_dim + bias_flops) * pre_last_dims_prod
    """
    return declared(site) + (prod(site.out) if has_bias(site) else 0)


@CONVENTION.counts(attention.Attention)
def _attention(site):
    """Window attention: 0 (cnncalc's WindowAttention runs F.linear and ``@``, which
    ptflops' module hooks do not see). Global attention, nn.MultiheadAttention's hook, for
    one example: L*D (scaling the queries) + 3*L*D*D (projections; + 3*L*D with their
    bias) + heads*(L*L*D/heads + L*L + L*L*D/heads) (Q K^T, softmax, A V) + L*D*(D+1) (the
    output projection, its bias counted always).

    pytorch_ops.py multihead_attention_counter_hook
    """
    if site.a.window is not None:
        return 0
    d, length = site.ins[0][0], prod(site.ins[0][1:])
    head = d // site.a.heads
    flops = length * d + 3 * length * d * d + (3 * length * d if site.a.bias else 0)
    flops += site.a.heads * (length * length * head + length * length + length * length * head)
    return flops + length * d * (d + 1)


@CONVENTION.counts(activation.ReLU, activation.PReLU, activation.ELU, activation.GELU)
def _relu(site):
    """C*H*W + N*C*H*W: the module's hook, one per output value for one example, and again
    the patched F.relu (F.prelu, F.elu, F.gelu) the module calls, for the whole batch.

    pytorch_ops.py relu_flops_counter_hook: output.numel(); FUNCTIONAL_MAPPING[F.relu] = _numel_functional_flops_hook
    """
    return prod(site.out) + site.numel_in


@CONVENTION.counts(activation.ReLU6, activation.LeakyReLU)
def _relu6(site):
    """C*H*W: the module's hook, one per output value for one example (nn.ReLU6 runs
    F.hardtanh and nn.LeakyReLU F.leaky_relu, which ptflops does not patch).

    pytorch_ops.py MODULES_MAPPING[nn.ReLU6] = MODULES_MAPPING[nn.LeakyReLU] = relu_flops_counter_hook
    """
    return prod(site.out)


@CONVENTION.counts(activation.SiLU, activation.Softmax)
def _functional_only(site):
    """N*C*H*W: no hook for the module's class, but the F.silu (F.softmax) it calls is
    patched: one per input value, for the whole batch.

    pytorch_ops.py FUNCTIONAL_MAPPING[F.silu] = FUNCTIONAL_MAPPING[F.softmax] = _numel_functional_flops_hook
    """
    return site.numel_in


@CONVENTION.counts(pool.MaxPool, pool.AvgPool)
def _pool(site):
    """C*H_in*W_in + N*C*H_in*W_in: the hook counts the input's values (padded first where
    PyTorch's pool cannot pad) for one example, and the patched F.max_pool2d (F.avg_pool2d)
    the module calls counts them again for the batch.

    pytorch_ops.py pool_flops_counter_hook: np.prod(input.shape); FUNCTIONAL_MAPPING[F.max_pool2d]
    """
    return prod(pool_input(site)) * (1 + site.n)


@CONVENTION.counts(pool.GlobalAvgPool, pool.GlobalMaxPool, pool.AdaptiveAvgPool, pool.AdaptiveMaxPool)
def _adaptive_pool(site):
    """C*H_in*W_in + N*C*H_in*W_in: hook (one example) and patched F.adaptive_avg_pool2d
    (the batch), one per input value each.

    pytorch_ops.py MODULES_MAPPING[nn.AdaptiveAvgPool2d] = pool_flops_counter_hook; FUNCTIONAL_MAPPING[F.adaptive_avg_pool2d]
    """
    return prod(site.ins[0]) * (1 + site.n)


@CONVENTION.counts(pool.LpPool)
def _lppool(site):
    """N*C*H_in*W_in + 2*N*C*H_out*W_out: no hook for nn.LPPool2d, but F.lp_pool2d calls
    the patched avg_pool2d (its input's values), F.relu and Tensor.mul (its output's).

    torch/nn/functional.py lp_pool2d: avg_pool2d(input.pow(p)); (sign(out) * relu(abs(out))).mul(kw * kh)
    """
    return site.numel_in + 2 * site.numel_out


@CONVENTION.counts(norm.BatchNorm, norm.InstanceNorm, norm.GroupNorm)
def _norm(site):
    """C*H*W, doubled with a learnable scale and shift (affine), one example.

    pytorch_ops.py bn_flops_counter_hook: np.prod(input.shape); batch_flops *= 2 if module.affine
    """
    return prod(site.ins[0]) * (2 if site.a.affine else 1)


@CONVENTION.counts(norm.LayerNorm)
def _layernorm(site):
    """C*H*W for nn.LayerNorm, never doubled (it has elementwise_affine, not the affine
    attribute the hook asks); 0 over the channels of a map, built as the LayerNorm2d
    subclass that ptflops' exact-class lookup does not find.

    pytorch_ops.py bn_flops_counter_hook: if hasattr(module, "affine") and module.affine
    """
    return 0 if own_module(site) else prod(site.ins[0])


@CONVENTION.counts(norm.LRN)
def _lrn(site):
    """3*N*C*H*W + N*(C+size-1)*H*W: no hook, but F.local_response_norm calls the patched
    Tensor.mul (x*x), avg_pool3d (over the padded channels), Tensor.mul (by alpha) and
    Tensor.add (k), each counted for the batch.

    torch/nn/functional.py local_response_norm: input.mul(input); avg_pool3d(pad(div)); div.mul(alpha).add(k)
    """
    channels, *rest = site.ins[0]
    return 3 * site.numel_in + site.n * (channels + site.a.size - 1) * prod(rest)


@CONVENTION.counts(shape.Upsample, shape.Resize)
def _upsample(site):
    """C*H_out*W_out/N (the hook counts the first example's output, then ptflops divides
    by the batch) + the patched F.interpolate: N*C*prod(size) for a size,
    N*C*H_in*W_in*int(prod(scale)) for a scale. A fraction when N does not divide it:
    ptflops' total is int() of the sum.

    pytorch_ops.py upsample_flops_counter_hook: output_size = output[0]; _interpolate_functional_flops_hook: flops *= int(np.prod(scale_factor, dtype=np.int64))
    """
    if site.a.get("size") is not None:
        functional = site.n * site.out[0] * prod(site.out[1:])
    else:
        from ..geometry import per_axis

        scales = per_axis(site.a.scale, len(site.ins[0]) - 1, "scale")
        functional = site.numel_in * _int64_product(scales)
    hook = Fraction(prod(site.out), site.n)
    return (int(hook) if hook.denominator == 1 else hook) + functional


def _int64_product(values) -> int:
    """``np.prod(values, dtype=np.int64)`` of floats: each truncated to an integer first."""
    result = 1
    for value in values:
        result *= int(value)
    return result


@CONVENTION.counts(
    activation.SELU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid, activation.Tanh,
    activation.Softplus, activation.LogSoftmax, activation.Identity, norm.Dropout, norm.LayerScale,
    norm.StochasticDepth, merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten, shape.Pad, shape.Crop,
    shape.ChannelShuffle, shape.Chunk, shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _zero(site):
    """0: no hook for the module's class, and nothing it calls is patched (x + y and x * y
    are operators, not the patched torch.add and Tensor.mul).

    pytorch_engine.py: "Warning: module ... is treated as a zero-op."
    """
    return 0
