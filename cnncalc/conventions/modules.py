"""What the ``torch.nn`` module of a layer sees, where that is not the layer's own input or
output: interop/pytorch.py sometimes builds two modules for one layer (a padding PyTorch's
layer cannot take, then the layer; a transposed convolution at full size, then a crop),
and the tools count the module, not the layer."""

from __future__ import annotations

from ..interop import pytorch
from . import prod


def _two_modules(site) -> bool:
    return isinstance(pytorch.describe(site.layer_type, site.a, site.ins), pytorch.Sequence)


def pool_input(site) -> tuple:
    """The shape (no batch) the pooling module reads: the input, padded first where PyTorch's
    pool cannot take the padding itself (uneven, or more than half the window)."""
    (shape,) = site.ins
    if not _two_modules(site):
        return shape
    window = site.layer_type.window(site.a, shape)
    return (shape[0], *(size + before + after for size, (before, after) in zip(shape[1:], window.pads)))


def deconv_module(site) -> tuple:
    """``(padding, output)`` of the ConvTranspose module: the padding it is given (per axis)
    and the shape it returns (no batch), which is the full, uncropped output when the
    padding is uneven and a crop follows."""
    (shape,) = site.ins
    kernel, stride, dilation, pads, extra = site.layer_type.geometry(site.a, shape)
    if not _two_modules(site):
        return tuple(before for before, _ in pads), site.out
    full = tuple(p + before + after for p, (before, after) in zip(site.out[1:], pads))
    return (0,) * len(pads), (site.out[0], *full)


def kernel_size(site) -> int:
    """Taps of one window: ``prod(kernel)``."""
    from ..geometry import per_axis

    return prod(per_axis(site.a.kernel, len(site.ins[0]) - 1, "kernel"))


def ndim(site) -> int:
    """Spatial axes of the input (0 for a flat vector)."""
    return len(site.ins[0]) - 1


def own_module(site) -> bool:
    """Whether cnncalc builds the layer as a module of its own (interop/torch_modules.py:
    LayerNorm2d, LayerScale, Add...) rather than a ``torch.nn`` class: tools that look
    modules up by their exact class have no rule for it."""
    description = pytorch.describe(site.layer_type, site.a, site.ins)
    return isinstance(description, pytorch.Call) and description.library == "cnncalc"


def declared(site) -> int:
    """The layer's multiply-accumulates for one example, as its type declares them."""
    return site.layer_type.macs(site.a, site.ins, site.out)


def has_bias(site) -> bool:
    return site.a.bias is not False
