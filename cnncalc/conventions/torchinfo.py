"""torchinfo (1.8.0): ``summary(model, input_size=(N, C, H, W))``, its "Mult-Adds".

torchinfo does not count operations: it multiplies each leaf module's parameters by the
size of its output (torchinfo/layer_info.py ``LayerInfo.calculate_macs``). For a module
whose class name contains "Conv" (transposed convolutions too), every weight and bias
value once per output position of every example; for any other module with a ``weight``
or ``bias`` (Linear, BatchNorm, LayerNorm, PReLU), once per example. So the bias counts,
batchnorm counts 2C per example, a Linear on a map counts its weights once (not once per
position), and a transposed convolution is counted by its output positions. Modules
without parameters count 0.

Its summary also estimates memory, reproduced by cnncalc: the input's storage (as
``sys.getsizeof`` measures it), twice the output of every leaf module with parameters
("x2 for gradients"), and the parameters, in MB of 10^6 bytes (model_statistics.py).
"""

from __future__ import annotations

from ..interop import pytorch
from ..layers import activation, attention, conv, linear, merge, norm, pool, shape
from ..memory import DTYPE_BYTES
from . import Convention, prod
from .modules import deconv_module

CONVENTION = Convention(
    "torchinfo",
    tool="torchinfo.summary",
    unit="mult-adds",
    meaning="each leaf module's parameters times its output positions (convolutions) or the batch, for the whole batch",
    call="summary(model, input_size=(N, C, H, W)).total_mult_adds",
    source="torchinfo/layer_info.py LayerInfo.calculate_macs, torchinfo/model_statistics.py (1.8.0)",
    params_doc="every parameter of the leaf modules (Total params), trainable ones apart",
)
CONVENTION.refuses(pytorch.UNREPRESENTED)

# sys.getsizeof(tensor.untyped_storage()) is the data's bytes plus the Python object's own
# (64 bytes: torch 2.13, CPython 3.10-3.13, 64-bit), which torchinfo counts as input size.
STORAGE_OBJECT_BYTES = 64


@CONVENTION.counts(conv.Conv)
def _conv(site):
    """(C_out*(C_in/groups)*k_h*k_w + C_out)*N*H_out*W_out: every weight and bias value
    once per output position; the bias counted, the multiply-accumulates of one output
    value not (the channels are left out: "ignore C").

    layer_info.py calculate_macs: if "Conv" in self.class_name: cur_params * prod(self.output_size[:1] + self.output_size[2:])
    """
    return site.params * site.n * prod(site.out[1:])


@CONVENTION.counts(conv.Deconv)
def _deconv(site):
    """(C_in*(C_out/groups)*k_h*k_w + C_out)*N*H_out*W_out: as a convolution, by the
    *output* positions (of the module's full output, before any crop).

    layer_info.py calculate_macs: "Conv" in "ConvTranspose2d"
    """
    _, out = deconv_module(site)
    return site.params * site.n * prod(out[1:])


@CONVENTION.counts(
    linear.FC, linear.PointwiseFC, norm.BatchNorm, norm.GroupNorm, norm.LayerNorm, norm.InstanceNorm,
    activation.PReLU,
)  # fmt: skip
def _per_example(site):
    """N*(weight + bias values): once per example, whatever the positions (a Linear on a
    map counts its weights once, not once per position; batchnorm counts 2C).

    layer_info.py calculate_macs: else: self.macs += self.output_size[0] * cur_params
    """
    return site.n * site.params


@CONVENTION.counts(attention.Attention)
def _attention(site):
    """Window attention: N*C*(the values of its parameters named with "weight" or "bias"):
    cnncalc's WindowAttention holds them as parameters (qkv_weight, qkv_bias, proj_weight,
    proj_bias, bias_table, mlp_weight, mlp_bias), each counted once per example and output
    channel. Global attention: 0 (nn.MultiheadAttention, whose output is a tuple).

    layer_info.py calculate_macs: elif "weight" in name or "bias" in name: self.macs += prod(self.output_size[:2]) * param.nelement()
    """
    if site.a.window is None:
        return 0
    description = pytorch.describe(site.layer_type, site.a, site.ins)
    sizes = {w.name: w.size for w in site.layer_type.weights(site.a, site.ins)}
    named = sum(sizes[ours] for ours, theirs in description.arrays.items() if "weight" in theirs or "bias" in theirs)
    return site.n * site.out[0] * named


@CONVENTION.counts(
    activation.ReLU, activation.ReLU6, activation.LeakyReLU, activation.ELU, activation.SELU, activation.GELU,
    activation.SiLU, activation.HardSwish, activation.HardSigmoid, activation.Sigmoid, activation.Tanh,
    activation.Softplus, activation.Softmax, activation.LogSoftmax, activation.Identity,
    norm.LRN, norm.LayerScale, norm.Dropout, norm.StochasticDepth,
    pool.MaxPool, pool.AvgPool, pool.LpPool, pool.GlobalAvgPool, pool.GlobalMaxPool,
    pool.AdaptiveAvgPool, pool.AdaptiveMaxPool,
    merge.Add, merge.WeightedSum, merge.Mul, merge.Max, merge.Concat, linear.Flatten,
    shape.Pad, shape.Upsample, shape.Resize, shape.Crop, shape.ChannelShuffle, shape.Chunk,
    shape.PixelShuffle, shape.PixelUnshuffle,
    attention.Tokens, attention.ClassToken, attention.PositionEmbedding, attention.SelectToken, attention.ToMap,
)  # fmt: skip
def _no_weight(site):
    """0: no parameter named weight or bias (a LayerScale's is named scale).

    layer_info.py calculate_macs: if name in ("weight", "bias") ... elif "weight" in name or "bias" in name
    """
    return 0


def _module_output(site) -> tuple:
    """The shape of the output of the leaf module holding the layer's parameters."""
    if isinstance(site.layer_type, conv.Deconv):
        return deconv_module(site)[1]
    return site.out


def extra(report, sites, layers) -> list:
    """The lines of torchinfo's summary after its table, ``(label, value, text)``."""
    width = DTYPE_BYTES[report.dtype]
    params = sum(layer.params for layer in layers)
    trainable = sum(site.trainable for site in sites)
    mult_adds = sum(layer.count for layer in layers)
    input_bytes = report.batch * prod(report.input) * width + STORAGE_OBJECT_BYTES
    # "x2 for gradients": the outputs of the leaf modules that have parameters
    pass_bytes = sum(2 * site.n * prod(_module_output(site)) * width for site in sites if site.params)
    params_bytes = params * width
    total = input_bytes + pass_bytes + params_bytes
    return [
        ("Total params", params, f"{params:,}"),
        ("Trainable params", trainable, f"{trainable:,}"),
        ("Non-trainable params", params - trainable, f"{params - trainable:,}"),
        # torchinfo prints the unit from a str-mixed enum, which reads "(G)" up to Python 3.10
        # and "(Units.GIGABYTES)" from 3.11 on; the letter is what it means.
        (f"Total mult-adds ({_unit(mult_adds)})", mult_adds, _readable(mult_adds)),
        ("Input size (MB)", input_bytes, f"{input_bytes / 1e6:0.2f}"),
        ("Forward/backward pass size (MB)", pass_bytes, f"{pass_bytes / 1e6:0.2f}"),
        ("Params size (MB)", params_bytes, f"{params_bytes / 1e6:0.2f}"),
        ("Estimated Total Size (MB)", total, f"{total / 1e6:0.2f}"),
    ]


def _unit(num: int) -> str:
    """model_statistics.py to_readable: T from 10^12, G from 10^9, else M."""
    return "T" if num >= 1e12 else "G" if num >= 1e9 else "M"


def _readable(num: int) -> str:
    """model_statistics.py format_output_num: two decimals, or none for a whole number."""
    value = num / {"T": 1e12, "G": 1e9, "M": 1e6}[_unit(num)]
    return f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}"


CONVENTION.extra = extra
