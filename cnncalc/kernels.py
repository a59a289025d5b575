"""NumPy primitives the layer types' forward passes are built from.

A few primitives, the rest built from them: padding, a strided *view* of every window
(``windows``), a grouped correlation of those windows with a kernel (convolution), its
transpose (``scatter``, for transposed convolution), and reductions over windows
(pooling). Arrays are batch first: ``(N, C, *spatial)``.

No Python loop runs over pixels or channels: windows are ``as_strided`` views, and
correlations are ``tensordot``/``matmul`` calls (BLAS), chunked along the first spatial
axis so the window copy of one chunk stays under ``CHUNK_BYTES``.

``Kernels`` also counts the multiply-accumulates it performs, from the sizes of the
contractions it actually runs, so that ``verify`` can hold the report's MACs against an
independent count.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

# The largest window copy (im2col buffer) made at once; bigger ones are done in chunks.
CHUNK_BYTES = 64 * 2**20

PAD_MODES = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Kernels:
    """The primitives, with a running count of multiply-accumulates (per example)."""

    def __init__(self):
        self.macs = 0

    # -- padding and windows ---------------------------------------------------------------

    @staticmethod
    def pad(x, pads, mode: str = "zeros", value: float = 0.0):
        """Pads the spatial axes by ``(before, after)`` pairs."""
        if not any(before or after for before, after in pads):
            return x
        widths = [(0, 0), (0, 0), *pads]
        if PAD_MODES[mode] == "constant":
            return np.pad(x, widths, mode="constant", constant_values=value)
        return np.pad(x, widths, mode=PAD_MODES[mode])

    def windows(self, x, window, mode: str = "zeros", fill: float = 0.0):
        """A view ``(N, C, *out, *kernel)`` of every window of ``x`` after padding.

        How many windows fit is left to the arrays (NumPy's sliding window, stepped by the
        stride), not computed from a formula. With ``ceil_mode`` a last partial window is
        allowed (the positions past the input hold ``fill``) unless it would start in the
        right padding, as PyTorch rules.
        """
        spatial = x.shape[2:]
        ndim = len(spatial)
        if mode in ("zeros", "constant"):
            x = self.pad(x, window.pads, "constant", fill)
        else:
            x = self.pad(x, window.pads, mode)
        if window.ceil_mode:
            x = self.pad(x, [(0, stride - 1) for stride in window.stride], "constant", fill)
        view = sliding_window_view(x, window.effective_kernel, axis=tuple(range(2, 2 + ndim)))
        steps = (slice(None), slice(None), *(slice(None, None, s) for s in window.stride))
        view = view[steps + tuple(slice(None, None, d) for d in window.dilation)]
        if window.ceil_mode:
            # keep windows that start inside the input or its left padding
            starts = [
                slice(0, -(-(size + before) // stride))
                for size, (before, _), stride in zip(spatial, window.pads, window.stride)
            ]
            view = view[(slice(None), slice(None), *starts)]
        return view

    # -- correlations -------------------------------------------------------------------------

    def correlate(self, cols, weights, groups: int):
        """Grouped correlation: windows ``(N, C, *out, *k)`` with ``(F, C/groups, *k)``
        kernels -> ``(N, F, *out)``."""
        n, channels = cols.shape[:2]
        ndim = (cols.ndim - 2) // 2
        out_spatial = cols.shape[2 : 2 + ndim]
        filters = weights.shape[0]
        per_group_in, per_group_out = channels // groups, filters // groups
        taps = per_group_in * int(np.prod(weights.shape[2:]))
        result = np.empty((n, filters, *out_spatial), dtype=np.result_type(cols, weights))
        rows = out_spatial[0] if ndim else 1
        row_bytes = cols.itemsize * n * channels * int(np.prod(out_spatial[1:] + cols.shape[2 + ndim :]))
        step = max(1, min(rows, CHUNK_BYTES // max(row_bytes, 1)))
        for g in range(groups):
            kernel = weights[g * per_group_out : (g + 1) * per_group_out].reshape(per_group_out, taps)
            for start in range(0, rows, step):
                part = cols[:, g * per_group_in : (g + 1) * per_group_in, start : start + step]
                # (N, Cg, *out, *k) -> (N, *out, Cg * prod(k)): one matrix row per output place
                order = (0, *range(2, 2 + ndim), 1, *range(2 + ndim, 2 + 2 * ndim))
                matrix = part.transpose(order).reshape(-1, taps)
                product = matrix @ kernel.T  # BLAS: (places, taps) @ (taps, Fg)
                self.macs += matrix.shape[0] * taps * per_group_out
                out_shape = (n, *part.shape[2 : 2 + ndim], per_group_out)
                moved = np.moveaxis(product.reshape(out_shape), -1, 1)
                result[:, g * per_group_out : (g + 1) * per_group_out, start : start + step] = moved
        return result

    def convolve(self, x, window, weights, groups: int, mode: str = "zeros"):
        """Convolution (correlation) of ``x`` with ``(F, C/groups, *k)`` kernels.

        Unstrided, ungrouped convolutions (most of them) skip the window copy: on the padded
        input flattened per channel, every kernel tap's inputs for all output places lie in
        one contiguous slice, so the convolution is a sum over taps of ``(F, C) @ (C, places)``
        products, computed over whole padded rows and trimmed to the output afterwards. The
        rest go through ``windows`` and ``correlate``.
        """
        if groups != 1 or window.ceil_mode or any(stride != 1 for stride in window.stride):
            return self.correlate(self.windows(x, window, mode), weights, groups)
        padded = np.ascontiguousarray(self.pad(x, window.pads, mode))
        n, channels = padded.shape[:2]
        grid = padded.shape[2:]
        out = tuple(size - span + 1 for size, span in zip(grid, window.effective_kernel))
        steps = [int(np.prod(grid[axis + 1 :])) for axis in range(len(grid))]  # flat index per axis step
        length = sum((o - 1) * step for o, step in zip(out, steps)) + 1
        flat = padded.reshape(n, channels, -1)
        filters = weights.shape[0]
        result = np.zeros((n, filters, length), dtype=np.result_type(padded, weights))
        product = np.empty_like(result)
        for tap in np.ndindex(*weights.shape[2:]):
            offset = sum(t * d * step for t, d, step in zip(tap, window.dilation, steps))
            kernel = np.ascontiguousarray(weights[(slice(None), slice(None), *tap)])  # (F, C)
            np.matmul(kernel, flat[:, :, offset : offset + length], out=product)
            result += product
            self.macs += n * int(np.prod(out)) * channels * filters
        itemsize = result.itemsize
        view = as_strided(
            result, (n, filters, *out), (*result.strides[:2], *(step * itemsize for step in steps)), writeable=False
        )
        return np.ascontiguousarray(view)

    def correlate_unshared(self, cols, weights):
        """Locally connected: windows ``(N, C, *out, *k)`` with a kernel per output place,
        ``(F, *out, C, *k)`` -> ``(N, F, *out)``."""
        n, channels = cols.shape[:2]
        ndim = (cols.ndim - 2) // 2
        out_spatial = cols.shape[2 : 2 + ndim]
        places = int(np.prod(out_spatial))
        taps = channels * int(np.prod(cols.shape[2 + ndim :]))
        order = (*range(2, 2 + ndim), 0, 1, *range(2 + ndim, 2 + 2 * ndim))
        matrix = cols.transpose(order).reshape(places, n, taps)  # per place: (N, taps)
        kernels = weights.reshape(weights.shape[0], places, taps).transpose(1, 2, 0)  # (places, taps, F)
        product = np.matmul(matrix, kernels)  # (places, N, F)
        self.macs += places * n * taps * weights.shape[0]
        return product.transpose(1, 2, 0).reshape(n, weights.shape[0], *out_spatial)

    def scatter(self, x, weights, groups: int, stride, dilation, full_spatial):
        """Transposed convolution before cropping: every input value spreads its kernel over
        the output. ``x (N, C, *in)``, ``weights (C, F/groups, *k)`` -> ``(N, F, *full)``."""
        n, channels = x.shape[:2]
        ndim = x.ndim - 2
        kernel = weights.shape[2:]
        per_group_in, per_group_out = channels // groups, weights.shape[1]
        out = np.zeros((n, per_group_out * groups, *full_spatial), dtype=np.result_type(x, weights))
        for g in range(groups):
            part = x[:, g * per_group_in : (g + 1) * per_group_in]
            w = weights[g * per_group_in : (g + 1) * per_group_in]
            # contributions[n, f, *in, *k] = sum_c x[n, c, *in] * w[c, f, *k]
            flat_w = w.reshape(per_group_in, -1)
            moved = np.moveaxis(part, 1, -1)  # (N, *in, Cg)
            contributions = (moved.reshape(-1, per_group_in) @ flat_w).reshape(
                *moved.shape[:-1], per_group_out, *kernel
            )
            self.macs += moved.size // per_group_in * per_group_in * flat_w.shape[1]
            target = out[:, g * per_group_out : (g + 1) * per_group_out]
            for tap in np.ndindex(*kernel):
                index = (slice(None), slice(None)) + tuple(
                    slice(t * d, t * d + (size - 1) * s + 1, s)
                    for t, d, s, size in zip(tap, dilation, stride, x.shape[2:])
                )
                value = contributions[(slice(None),) + (slice(None),) * ndim + (slice(None),) + tap]
                target[index] += np.moveaxis(value, -1, 1)
        return out

    def dense(self, x, weights, bias):
        """``(N, in) @ (units, in).T + bias``."""
        self.macs += x.shape[0] * x.shape[1] * weights.shape[0]
        out = x @ weights.T
        return out if bias is None else out + bias


def spatial_axes(x) -> tuple:
    return tuple(range(2, x.ndim))


def broadcast_channels(values, ndim: int):
    """A per-channel vector shaped to broadcast over ``(N, C, *spatial)``."""
    return values.reshape((1, -1) + (1,) * ndim)


def erf(x):
    """The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): NumPy has none."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))
