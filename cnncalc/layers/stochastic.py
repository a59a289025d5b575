"""Stochastic pooling (Zeiler & Fergus, "Stochastic Pooling for Regularization of Deep
Convolutional Neural Networks", ICLR 2013), in its inference form.

In training, each window picks one of its values at random, value ``a_i`` with probability
``p_i = a_i / sum(a_k)`` (the activations are a ReLU's, so not negative). At test time the
paper replaces the draw by its expectation, the probability-weighted average
``sum(p_i * a_i) = sum(a_i^2) / sum(a_i)``, and that is what this layer computes (a network
description has no training step to draw in). It lies between the window's mean and its
maximum. A window of zeros gives 0; negative inputs count as 0, as after a ReLU.

Shape, receptive field and the worked arithmetic are a pooling's (``_Pooling``); it has no
parameters and counts no MACs.
"""

from __future__ import annotations

from .base import np, register
from .pool import CEIL_MODE, KERNEL, PADDING, STRIDE, _Pooling


@register
class StochasticPool(_Pooling):
    """Stochastic pooling, at inference: each window's ``sum(a^2) / sum(a)`` (Zeiler & Fergus 2013).

    The expectation of the training-time draw (value a_i with probability a_i / sum(a)):
    between the mean and the maximum. Negative inputs count as 0; a window of zeros gives 0.

    Example::

        - relu
        - stochastic_pool: 2      # 2x2 windows, stride 2: [[1, 2], [3, 4]] -> 30/10 = 3
    """

    name = "stochastic_pool"
    aliases = ("stochastic_pooling", "stochpool")
    args = (KERNEL, STRIDE, PADDING, CEIL_MODE)
    examples = (((2, 8, 8), "[relu, {stochastic_pool: 2}]"), ((2, 9, 9), "[{stochastic_pool: {kernel: 3, stride: 2}}]"))

    def forward(self, a, xs, w, k):
        # Window means of a^2 and of a: their ratio is sum(a^2)/sum(a), the counts cancel.
        x = np.maximum(xs[0], 0).astype(np.result_type(xs[0].dtype, np.float32))
        squares = self.window_mean(a, x * x, k, True)
        sums = self.window_mean(a, x, k, True)
        positive = sums > 0
        return np.where(positive, squares / np.where(positive, sums, 1), 0).astype(x.dtype)
