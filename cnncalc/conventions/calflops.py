"""calflops (calculate-flops.pytorch, 0.3.2): ``flops, macs, params = calculate_flops(model,
input_shape=(N, C, H, W))``, its FLOPs.

calflops patches ``torch.nn.functional`` and a few tensor methods while the model runs
(calflops/pytorch_ops.py ``_patch_functionals``, ``_patch_tensor_methods``) and charges
each call to the module running it, for the whole batch. The modules of ``torch.nn`` call
those functions (``nn.Conv2d`` runs ``F.conv2d``, ``nn.BatchNorm2d`` ``F.batch_norm``), so
it sees them all, but only the functions it patched: ``nn.ReLU6`` runs ``F.hardtanh``,
``nn.Sigmoid`` ``torch.sigmoid``, and those count 0. FLOPs are 2 per multiply-accumulate
of convolutions and linear layers plus the bias, and one per value for activations,
pooling and (eval-mode) batchnorm. Its MACs, the second figure, are the multiply-
accumulates of convolutions and linear layers alone.
"""

from __future__ import annotations

from ..geometry import per_axis
from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from . import Convention, NotCountable, prod, trainable_params
from .modules import declared, deconv_module, has_bias, kernel_size, ndim, pool_input

CONVENTION = Convention(
    "calflops",
    tool="calflops.calculate_flops",
    unit="FLOPs",
    meaning="what the patched torch functions count, for the whole batch: 2 per multiply-accumulate, bias added",
    call="flops, macs, params = calculate_flops(model, input_shape=(N, C, H, W), output_as_string=False)",
    source="calflops/pytorch_ops.py, calflops/calculate_pipline.py (0.3.2)",
    params_doc="the parameters that learn (requires_grad), of the whole model",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)
CONVENTION.default_params = trainable_params


def _refuses_network(report):
    """calculate_flops takes the device of the first parameter, unguarded (flops_counter.py:
    device = next(model.parameters()).device): a model without any raises StopIteration."""
    if report.totals.params == 0:
        return "calculate_flops reads next(model.parameters()), and it has no parameters (StopIteration)"
    return None


CONVENTION.refuses_network = _refuses_network


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """2*N*H_out*W_out*C_out*(C_in/groups)*k_h*k_w + N*C_out*H_out*W_out with a bias: two
    per multiply-accumulate, one per output value for the bias.

    pytorch_ops.py _conv_flops_compute: overall_conv_flops = 2 * overall_conv_macs; bias_flops = out_channels * active_elements_count
    """
    return 2 * site.n * declared(site) + (site.numel_out if has_bias(site) else 0)


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """2*N*H_in*W_in*C_in*((C_out/g)//g)*k_h*k_w + bias: by input positions, but with the
    output channels per group divided by the groups once more, and a bias of C_out/g
    channels over the size a *convolution* with the same arguments would give,
    (H_in + 2P - D(k-1) - 1)//S + 1 per axis (which can be 0 or less).

    pytorch_ops.py _conv_trans_flops_compute: out_channels = weight.shape[1]; filters_per_channel = out_channels // groups
    """
    (shape_in,) = site.ins
    padding, _ = deconv_module(site)
    kernel, stride, dilation, _, _ = site.layer_type.geometry(site.a, shape_in)
    per_group = site.a.filters // site.a.groups
    macs = kernel_size(site) * shape_in[0] * (per_group // site.a.groups) * site.n * prod(shape_in[1:])
    bias = 0
    if has_bias(site):
        dims = [
            (size + 2 * p - (d * (k - 1) + 1)) // s + 1
            for size, p, k, s, d in zip(shape_in[1:], padding, kernel, stride, dilation)
        ]
        bias = per_group * site.n * prod(dims)
    return 2 * macs + bias


@CONVENTION.counts(attention.Attention)
def _attention(site):
    """2*N*L*4*D*D: the projections run the patched F.linear (nn.MultiheadAttention's too:
    calflops runs the model with gradients, so not on the fast path); the products of the
    heads run F.scaled_dot_product_attention or ``@``, which it does not patch; the biases
    not counted. Window attention's position bias network (F.linear) counts once per
    forward pass: + 2*network.

    pytorch_ops.py _linear_flops_compute; _patch_functionals has no scaled_dot_product_attention
    """
    layer = site.layer_type
    return 2 * (site.n * layer.projection_macs(site.a, site.ins) + layer.bias_macs(site.a, site.ins))


@CONVENTION.counts(linear.FC, linear.PointwiseFC)
def _linear(site):
    """2*N*(positions)*in*out: F.linear, two per multiply-accumulate; the bias not counted.

    pytorch_ops.py _linear_flops_compute: macs = input.numel() * out_features; return 2 * macs, macs
    """
    return 2 * site.n * declared(site)


@CONVENTION.counts(
    activation.ReLU, activation.LeakyReLU, activation.PReLU, activation.ELU, activation.GELU, activation.SiLU,
    activation.Softmax,
)  # fmt: skip
def _activation(site):
    """N*C*H*W: one per input value of the patched F.relu (F.leaky_relu, F.prelu, F.elu,
    F.gelu, F.silu, F.softmax).

    pytorch_ops.py _relu_flops_compute: return input.numel(), 0
    """
    return site.numel_in


@CONVENTION.counts(pool.MaxPool, pool.AvgPool)
def _pool(site):
    """N*C*H_in*W_in: one per value of the pool's input (padded first where PyTorch's pool
    cannot pad), whatever the window.

    pytorch_ops.py _pool_flops_compute: return input.numel(), 0
    """
    return site.n * prod(pool_input(site))


@CONVENTION.counts(pool.GlobalAvgPool, pool.GlobalMaxPool, pool.AdaptiveAvgPool, pool.AdaptiveMaxPool)
def _adaptive_pool(site):
    """N*C*H_in*W_in: one per input value of the patched F.adaptive_avg_pool2d.

    pytorch_ops.py: F.adaptive_avg_pool2d = wrapFunc(F.adaptive_avg_pool2d, _pool_flops_compute)
    """
    return site.numel_in


@CONVENTION.counts(pool.LpPool)
def _lppool(site):
    """N*C*H_in*W_in + 2*N*C*H_out*W_out: F.lp_pool2d calls the patched avg_pool2d (its
    input's values), relu and Tensor.mul (its output's).

    torch/nn/functional.py lp_pool2d: avg_pool2d(input.pow(p)); (sign(out) * relu(abs(out))).mul(kw * kh)
    """
    return site.numel_in + 2 * site.numel_out


@CONVENTION.counts(norm.BatchNorm)
def _batchnorm(site):
    """N*C*H*W, doubled with a learnable scale and shift, with running statistics (eval
    mode, which calculate_flops sets); without them F.batch_norm normalises by the batch's
    and calflops estimates 4 per value, 5 with affine.

    pytorch_ops.py _batch_norm_flops_compute: if training: input.numel() * (5 if has_affine else 4); else input.numel() * (2 if has_affine else 1)
    """
    if site.a.track_running_stats:
        return site.numel_in * (2 if site.a.affine else 1)
    return site.numel_in * (5 if site.a.affine else 4)


@CONVENTION.counts(norm.GroupNorm, norm.LayerNorm, norm.InstanceNorm)
def _norm(site):
    """N*C*H*W*(5 if affine else 4): calflops' estimate for F.group_norm, F.layer_norm and
    F.instance_norm.

    pytorch_ops.py _layer_norm_flops_compute: input.numel() * (5 if has_affine else 4)
    """
    return site.numel_in * (5 if site.a.affine else 4)


@CONVENTION.counts(norm.LRN)
def _lrn(site):
    """3*N*C*H*W + N*(C+size-1)*H*W: F.local_response_norm calls the patched Tensor.mul
    (x*x), avg_pool3d (over the padded channels), Tensor.mul (alpha) and Tensor.add (k).

    torch/nn/functional.py local_response_norm: input.mul(input); avg_pool3d(pad(div)); div.mul(alpha).add(k)
    """
    channels, *rest = site.ins[0]
    return 3 * site.numel_in + site.n * (channels + site.a.size - 1) * prod(rest)


@CONVENTION.counts(shape.Upsample, shape.Resize)
def _upsample(site):
    """prod(size) for a size (not times the batch or the channels); N*C*H_in*W_in for a
    scale (the line meant to scale it computes and drops the product). A scale per axis
    (a tuple, as nn.Upsample keeps it) makes calflops raise a TypeError, unless the tuple
    happens to have as many entries as the batch has examples.

    pytorch_ops.py _upsample_flops_compute: return int(_prod(size)), 0; if isinstance(scale_factor, tuple) and len(scale_factor) == len(input): ... else: flops * scale_factor**len(input)
    """
    if site.a.get("size") is not None:
        return prod(per_axis(site.a.size, ndim(site), "size"))
    if ndim(site) != site.n:
        raise NotCountable(
            f"nn.Upsample keeps its scale as a tuple of {ndim(site)}, and calflops computes "
            f"scale_factor ** len(input) (the batch, {site.n}) unless the two are equal: TypeError"
        )
    return site.numel_in


@CONVENTION.counts(
    activation.ReLU6, activation.SELU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid,
    activation.Tanh, activation.Softplus, activation.LogSoftmax, activation.Identity, norm.Dropout,
    norm.LayerScale, norm.StochasticDepth, merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten, shape.Pad,
    shape.Crop, shape.ChannelShuffle, shape.Chunk, shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _zero(site):
    """0: the module runs nothing calflops patched (nn.ReLU6 runs F.hardtanh, nn.Sigmoid
    torch.sigmoid; x + y and x * y are operators, not the patched torch.add and Tensor.mul).

    pytorch_ops.py _patch_functionals, _patch_tensor_methods (the list of what is counted)
    """
    return 0
