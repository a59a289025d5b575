"""thop (pytorch-OpCounter, 0.1.1.post2209072238): ``macs, params = thop.profile(model, inputs=(x,))``.

thop hooks the modules whose exact class is in its ``register_hooks`` table
(thop/profile.py) and counts what each hook says, for the whole batch; a module of any
other class counts 0 operations *and 0 parameters* (its parameters are only counted by a
hook). It calls its figure MACs: a convolution and a linear layer count their
multiply-accumulates without the bias, but normalisation, average pooling, softmax and
upsampling add operations of their own. ``nn.Sequential`` containers are looked into; a
layer written as a function (``F.relu``, ``x + y``) is not seen at all. The figures
below cite thop/vision/basic_hooks.py and thop/vision/calc_func.py.
"""

from __future__ import annotations

from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from . import Convention, prod
from .modules import declared, deconv_module, kernel_size, ndim, own_module

CONVENTION = Convention(
    "thop",
    tool="thop.profile",
    unit="MACs",
    meaning="what thop's module hooks add up, for the whole batch (thop's total is a float)",
    call="macs, params = thop.profile(model, inputs=(x,))",
    source="thop/profile.py register_hooks, thop/vision/basic_hooks.py (0.1.1.post2209072238)",
    params_doc="the parameters of the modules thop has a hook for; 0 for any other module (GroupNorm, LayerScale...)",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """N*H_out*W_out*C_out * (C_in/groups)*k_h*k_w: the output's values times the
    multiply-accumulates of one; the bias not counted.

    basic_hooks.py count_convNd -> calc_func.py calculate_conv2d_flops: l_prod(output_size) * (in_c // g) * l_prod(kernel_size[2:])
    """
    return site.n * declared(site)


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """N*H_out*W_out*C_out * (C_in/groups)*k_h*k_w: the same hook as a convolution, so a
    transposed convolution is counted by its *output* positions (of the module's full,
    uncropped output) with the input's channels per group; the bias not counted.

    basic_hooks.py count_convNd (registered for nn.ConvTranspose1d/2d/3d too) -> calculate_conv2d_flops
    """
    _, out = deconv_module(site)
    return site.n * prod(out) * (site.ins[0][0] // site.a.groups) * kernel_size(site)


@CONVENTION.counts(linear.FC, linear.PointwiseFC)
def _linear(site):
    """N*(positions)*out*in: in_features per output value; the bias not counted.

    basic_hooks.py count_linear: total_mul = m.in_features; calculate_linear(total_mul, y.numel())
    """
    return site.n * declared(site)


@CONVENTION.counts(norm.BatchNorm, norm.InstanceNorm)
def _batchnorm(site):
    """2 per input value, 4 with a learnable scale and shift (affine): 2*N*C*H*W*(2 if affine).

    basic_hooks.py count_normalization: flops = calculate_norm(x.numel()) = 2 * x.numel(); flops *= 2 if m.affine
    """
    return 2 * site.numel_in * (2 if site.a.affine else 1)


@CONVENTION.counts(norm.LayerNorm)
def _layernorm(site):
    """2*N*C*H*W*(2 if affine) for nn.LayerNorm; 0 over the channels of a map, which
    cnncalc (as torchvision's ConvNeXt) builds as a LayerNorm2d subclass that thop's
    exact-class lookup does not find.

    basic_hooks.py count_normalization (m.elementwise_affine doubles it); profile.py: fn = register_hooks[type(m)]
    """
    if own_module(site):
        return 0
    return 2 * site.numel_in * (2 if site.a.affine else 1)


@CONVENTION.counts(activation.PReLU)
def _prelu(site):
    """N*C*H*W: one per input value (in eval mode, which profile sets).

    basic_hooks.py count_prelu: if not m.training: m.total_ops += calculate_relu(nelements)
    """
    return site.numel_in


@CONVENTION.counts(activation.Softmax)
def _softmax(site):
    """(N*H*W)*(3C-1): per softmax over C values, C exponentials, C-1 additions and C
    divisions.

    basic_hooks.py count_softmax -> calc_func.py calculate_softmax: batch_size * (total_exp + total_add + total_div)
    """
    channels = site.ins[0][0]
    return (site.numel_in // channels) * (3 * channels - 1)


@CONVENTION.counts(pool.AvgPool)
def _avgpool(site):
    """N*C*H_out*W_out: one per output value, whatever the window.

    basic_hooks.py count_avgpool: calculate_avgpool(y.numel())
    """
    return site.numel_out


@CONVENTION.counts(pool.GlobalAvgPool, pool.AdaptiveAvgPool)
def _adaptive_avgpool(site):
    """int((H_in/H_out * W_in/W_out + 1) * N*C*H_out*W_out): the window's area (a float
    when the sizes do not divide) plus one division, per output value.

    basic_hooks.py count_adap_avgpool: kernel = in_shape / out_shape (float64); calculate_adaptive_avg(prod(kernel), y.numel())
    """
    area = 1.0
    for size_in, size_out in zip(site.ins[0][1:], site.out[1:]):
        area *= float(size_in) / float(size_out)
    return int((area + 1) * site.numel_out)


# thop's factor per output value for each nn.Upsample mode (calc_func.py calculate_upsample);
# trilinear is missing from count_upsample's list of modes and counts 0.
UPSAMPLE_OPS = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 224 + 35}


@CONVENTION.counts(shape.Upsample, shape.Resize)
def _upsample(site):
    """N*C*H_out*W_out times 1 (nearest), 5 (linear, 1-D), 11 (bilinear) or 259 (bicubic);
    0 for trilinear (3-D), which thop's hook does not know.

    basic_hooks.py count_upsample -> calc_func.py calculate_upsample: total_ops = output_size * {5, 11, 224 + 35}
    """
    mode = site.a.get("mode", "nearest")
    if mode == "bilinear":
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[ndim(site)]
    return site.numel_out * UPSAMPLE_OPS.get(mode, 0)


@CONVENTION.counts(
    activation.ReLU, activation.ReLU6, activation.LeakyReLU, pool.MaxPool, pool.GlobalMaxPool,
    pool.AdaptiveMaxPool, norm.Dropout, shape.PixelShuffle,
)  # fmt: skip
def _zero_ops(site):
    """0: thop has a hook for the module that adds nothing (ReLU, ReLU6, LeakyReLU, max
    pooling, Dropout, PixelShuffle).

    basic_hooks.py zero_ops; count_relu -> calculate_relu_flops returns 0
    """
    return 0


@CONVENTION.counts(
    activation.ELU, activation.SELU, activation.GELU, activation.SiLU, activation.HardSwish,
    activation.HardSigmoid, activation.Sigmoid, activation.Tanh, activation.Softplus, activation.LogSoftmax,
    activation.Identity, norm.GroupNorm, norm.LRN, norm.LayerScale, norm.StochasticDepth, pool.LpPool,
    merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten, shape.Pad, shape.Crop, shape.ChannelShuffle,
    shape.Chunk, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
    attention.Attention,
)  # fmt: skip
def _no_rule(site):
    """0, and its parameters not counted: thop has no hook for the module's class (it
    warns "Cannot find rule ... Treat it as zero Macs and zero Params").

    profile.py add_hooks: m_type not in register_hooks -> no hook
    """
    return 0


@CONVENTION.params(
    norm.GroupNorm, norm.LayerScale, attention.ClassToken, attention.PositionEmbedding, attention.Attention
)
def _unseen_params(site):
    """0: thop counts a module's parameters in the hook it registers with its rule
    (count_parameters), and it has no rule for this module.

    profile.py: handler_collection[m] = (m.register_forward_hook(fn), m.register_forward_hook(count_parameters))
    """
    return 0


@CONVENTION.params(norm.LayerNorm)
def _layernorm_params(site):
    """The parameters of an nn.LayerNorm; 0 for the LayerNorm2d subclass it finds no rule for.

    profile.py: fn = register_hooks[type(m)] (exact class)
    """
    return 0 if own_module(site) else site.params
