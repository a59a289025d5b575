"""The few PyTorch modules ``torch.nn`` lacks, for interop/pytorch.py. Imports torch: only
``pytorch.build`` imports this module, where torch is installed."""

from __future__ import annotations

import math

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


class WeightedSum(nn.Module):
    """``c1 * x1 + c2 * x2 + ...``, one coefficient per input, broadcasting size-1 axes."""

    def __init__(self, coefficients):
        super().__init__()
        self.coefficients = tuple(coefficients)

    def forward(self, *xs):
        total = xs[0] * self.coefficients[0]
        for x, coefficient in zip(xs[1:], self.coefficients[1:]):
            total = total + x * coefficient
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
    """A learned multiplier per channel (and with ``bias`` a learned shift, named so that no
    counting tool takes it for a layer's weight or bias)."""

    def __init__(self, channels: int, init: float, bias: bool = False):
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), float(init)))
        self.shift = nn.Parameter(torch.zeros(channels)) if bias else None

    def forward(self, x):
        shape = (1, -1, *([1] * (x.dim() - 2)))
        out = x * self.scale.reshape(shape)
        return out + self.shift.reshape(shape) if self.shift is not None else out


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


class WindowAttention(nn.Module):
    """Attention within windows (Swin, Swin V2) or grids (MaxViT) of a channels-first map,
    as cnncalc's ``attention`` with a ``window`` computes it (cnncalc/layers/attention.py),
    in torch: the same partition, masks, position biases and scaled cosine attention as
    torchvision's ``shifted_window_attention`` and MaxViT's ``PartitionAttentionLayer``.
    Every weight is a plain parameter applied with ``F.linear``. ``windows``: the layer's
    ``Windows`` (sizes, padded, window, shift, grid) for its input."""

    def __init__(self, features, heads, windows, bias=True, dropout=0.0, position_bias="none", bias_hidden=512,
                 cosine=False, scale="head", mask=-100.0):  # fmt: skip
        super().__init__()
        from ..layers.attention import Windows, _log_coords, _relative_index, _shift_mask

        windows = Windows(*windows)

        self.heads, self.dropout, self.cosine, self.position_bias = heads, dropout, cosine, position_bias
        self.grid = windows[4]
        self.sizes, self.padded, self.window, self.shift = (tuple(v) for v in windows[:4])
        self.scale = (features // heads if scale == "head" else features) ** -0.5
        self.qkv_weight = nn.Parameter(torch.empty(3 * features, features))
        self.qkv_bias = nn.Parameter(torch.zeros(3 * features)) if bias else None
        self.proj_weight = nn.Parameter(torch.empty(features, features))
        self.proj_bias = nn.Parameter(torch.zeros(features)) if bias else None
        for weight in (self.qkv_weight, self.proj_weight):
            nn.init.xavier_uniform_(weight)
        self.index = torch.as_tensor(_relative_index(self.window))
        offsets = 1
        for w in self.window:
            offsets *= 2 * w - 1
        if position_bias == "table":
            self.bias_table = nn.Parameter(torch.randn(offsets, heads) * 0.02)
        elif position_bias == "mlp":
            self.coords = torch.as_tensor(_log_coords(self.window), dtype=torch.float32)
            self.mlp_weight = nn.Parameter(torch.randn(bias_hidden, len(self.window)) * 0.1)
            self.mlp_bias = nn.Parameter(torch.zeros(bias_hidden))
            self.mlp_out = nn.Parameter(torch.randn(heads, bias_hidden) * 0.1)
        if cosine:
            self.logit_scale = nn.Parameter(torch.full((heads,), math.log(10.0)))
        self.mask = torch.as_tensor(_shift_mask(windows, mask), dtype=torch.float32) if any(self.shift) else None

    def forward(self, x):
        n, d = x.shape[:2]
        ndim = len(self.sizes)
        rows = x.movedim(1, -1)
        pads = []
        for size, padded in zip(reversed(self.sizes), reversed(self.padded)):
            pads += [0, padded - size]
        if any(pads):
            rows = nn.functional.pad(rows, [0, 0, *pads])
        dims = tuple(range(1, ndim + 1))
        if any(self.shift):
            rows = torch.roll(rows, [-s for s in self.shift], dims)
        split = [n]
        for p, w in zip(self.padded, self.window):
            split += [w, p // w] if self.grid else [p // w, w]
        outer = [1 + 2 * i + (1 if self.grid else 0) for i in range(ndim)]
        inner = [1 + 2 * i + (0 if self.grid else 1) for i in range(ndim)]
        tokens = math.prod(self.window)
        groups = rows.reshape(*split, d).permute(0, *outer, *inner, 2 * ndim + 1).reshape(n, -1, tokens, d)
        count = groups.shape[1]
        qkv_bias = self.qkv_bias
        if self.cosine and qkv_bias is not None:
            qkv_bias = torch.cat([qkv_bias[:d], torch.zeros_like(qkv_bias[d : 2 * d]), qkv_bias[2 * d :]])
        qkv = nn.functional.linear(groups, self.qkv_weight, qkv_bias)
        q, k, v = qkv.reshape(n * count, tokens, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if self.cosine:
            maps = nn.functional.normalize(q, dim=-1) @ nn.functional.normalize(k, dim=-1).transpose(-2, -1)
            maps = maps * torch.clamp(self.logit_scale, max=math.log(100.0)).exp().view(1, -1, 1, 1)
        else:
            maps = (q * self.scale) @ k.transpose(-2, -1)
        if self.position_bias != "none":
            if self.position_bias == "table":
                table = self.bias_table
            else:
                hidden = torch.relu(nn.functional.linear(self.coords, self.mlp_weight, self.mlp_bias))
                table = nn.functional.linear(hidden, self.mlp_out)
            bias = table[self.index.reshape(-1)].reshape(tokens, tokens, self.heads).permute(2, 0, 1)
            if self.position_bias == "mlp":
                bias = 16 * torch.sigmoid(bias)
            maps = maps + bias
        if self.mask is not None:
            maps = (maps.view(n, count, self.heads, tokens, tokens) + self.mask[None, :, None]).view(maps.shape)
        maps = nn.functional.dropout(maps.softmax(dim=-1), p=self.dropout, training=self.training)
        out = (maps @ v).transpose(1, 2).reshape(n, count, tokens, d)
        out = nn.functional.linear(out, self.proj_weight, self.proj_bias)
        counts = [p // w for p, w in zip(self.padded, self.window)]
        out = out.reshape(n, *counts, *self.window, d)
        order = [0]
        for i in range(ndim):
            pair = [1 + i, 1 + ndim + i]
            order += pair[::-1] if self.grid else pair
        out = out.permute(*order, 2 * ndim + 1).reshape(n, *self.padded, d)
        if any(self.shift):
            out = torch.roll(out, list(self.shift), dims)
        out = out[(slice(None), *(slice(0, s) for s in self.sizes))]
        return out.movedim(-1, 1).contiguous()
