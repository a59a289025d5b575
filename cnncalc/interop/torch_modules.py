"""The few PyTorch modules ``torch.nn`` lacks, for interop/pytorch.py. Imports torch: only
``pytorch.build`` imports this module, where torch is installed."""

from __future__ import annotations

import torch
from torch import nn


class Crop(nn.Module):
    """Cuts ``(before, after)`` positions off each spatial axis."""

    def __init__(self, cuts):
        super().__init__()
        self.cuts = tuple(tuple(pair) for pair in cuts)

    def forward(self, x):
        index = (slice(None), slice(None)) + tuple(
            slice(before, size - after) for size, (before, after) in zip(x.shape[2:], self.cuts)
        )
        return x[index]


class Add(nn.Module):
    """The sum of its inputs, broadcasting size-1 axes."""

    def forward(self, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Mul(nn.Module):
    """The product of its inputs, broadcasting size-1 axes (squeeze-and-excitation)."""

    def forward(self, *xs):
        product = xs[0]
        for x in xs[1:]:
            product = product * x
        return product


class Max(nn.Module):
    """The element-wise maximum of its inputs, broadcasting size-1 axes."""

    def forward(self, *xs):
        largest = xs[0]
        for x in xs[1:]:
            largest = torch.maximum(largest, x)
        return largest


class Concat(nn.Module):
    """Its inputs joined along the channels."""

    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels at every position of a channels-first map, as
    torchvision's ConvNeXt writes it: channels last, normalised, channels first again."""

    def forward(self, x):
        x = x.permute(0, *range(2, x.dim()), 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


class LayerScale(nn.Module):
    """A learned multiplier per channel."""

    def __init__(self, channels: int, init: float):
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x):
        return x * self.scale.reshape(1, -1, *([1] * (x.dim() - 2)))


class StochasticDepth(nn.Module):
    """torchvision's stochastic depth: a branch dropped per example (row) or per batch while
    training, the survivors scaled by 1/(1-p); the identity in eval mode."""

    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        shape = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        survive = 1.0 - self.p
        noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(survive)
        if survive > 0.0:
            noise.div_(survive)
        return x * noise


class Chunk(nn.Module):
    """One part of ``x.chunk(chunks, dim=1)``."""

    def __init__(self, chunks: int, index: int):
        super().__init__()
        self.chunks, self.index = chunks, index

    def forward(self, x):
        return x.chunk(self.chunks, dim=1)[self.index]


class ChannelsLastLinear(nn.Module):
    """nn.Linear across the channels at every position of a channels-first map."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)

    def forward(self, x):
        y = self.linear(x.movedim(1, -1))
        return y.movedim(-1, 1)


class ResizeLike(nn.Module):
    """``F.interpolate`` to the spatial size of its second input (which it reads for nothing else)."""

    def __init__(self, mode: str, align_corners=None):
        super().__init__()
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x, like):
        return nn.functional.interpolate(x, size=like.shape[2:], mode=self.mode, align_corners=self.align_corners)


class ClassToken(nn.Module):
    """A learned token put before a ``[N, D, L]`` sequence (ViT's class token)."""

    def __init__(self, features: int):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return torch.cat([self.token.reshape(1, -1, 1).expand(x.shape[0], -1, 1), x], dim=2)


class PositionEmbedding(nn.Module):
    """A learned value added at every position and feature (ViT's position embedding)."""

    def __init__(self, shape):
        super().__init__()
        self.embedding = nn.Parameter(torch.zeros(*shape))

    def forward(self, x):
        return x + self.embedding


class SelectToken(nn.Module):
    """Token ``index`` of a ``[N, D, L]`` sequence, as ``[N, D]`` (ViT's ``x[:, 0]``)."""

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, :, self.index]


class SelfAttention(nn.Module):
    """``nn.MultiheadAttention`` over every position of a channels-first map or sequence:
    the positions as tokens, ``attention(x, x, x)``, and back to the map."""

    def __init__(self, features: int, heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        self.attention = nn.MultiheadAttention(features, heads, dropout=dropout, bias=bias, batch_first=True)

    def forward(self, x):
        tokens = x.flatten(2).transpose(1, 2)
        y, _ = self.attention(tokens, tokens, tokens, need_weights=False)
        return y.transpose(1, 2).reshape(x.shape)
