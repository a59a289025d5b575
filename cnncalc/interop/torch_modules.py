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


class Concat(nn.Module):
    """Its inputs joined along the channels."""

    def forward(self, *xs):
        return torch.cat(xs, dim=1)
