"""NumPy primitives the layer types' forward passes are built from.

A few primitives, the rest built from them: padding, a strided *view* of every window
(``windows``), a grouped correlation of those windows with a kernel (``convolve``), its
transpose (``scatter``, for transposed convolution), and reductions over windows
(pooling). Arrays are batch first: ``(N, C, *spatial)``.

No Python loop runs over pixels or channels: windows are ``as_strided`` views, and
correlations are ``matmul`` calls (BLAS), in blocks of output rows so that the column
matrix of one block stays under ``BLOCK_BYTES``, or, depthwise, one ``einsum``. Loops run
over kernel taps, examples and blocks of rows only. A result may come back laid out
channels last (a transposed view): element-wise layers keep that layout and the kernels
here read it as it is. Element-wise formulas of several passes run chunk by chunk in the
map's memory order (``elementwise``), so that each chunk's passes stay in cache.

``Kernels`` also counts the multiply-accumulates it performs, from the sizes of the
contractions it actually runs, so that ``verify`` can hold the report's MACs against an
independent count.
"""

from __future__ import annotations

from math import prod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# The column matrix of one block of ``convolve``. 4 to 16 MiB measured best on VGG-16 (a few
# MiB less or more: within the noise); 1 MiB was 25% slower (too few places per product),
# 64 MiB slower on the shallow layers (the matrix no longer stays in cache).
BLOCK_BYTES = 8 * 2**20

# Values per run of a depthwise convolution's inner loop (output places x channels, laid
# out channels last): ~1,000 measured best on MobileNet v2's and EfficientNet-B0's layers
# (one place per run, C values, was 4x slower on 32-channel maps; 4,000 slower on 14x14 maps).
DEPTHWISE_RUN = 1024

# Values per chunk of an element-wise formula (``Kernels.elementwise``): its passes over one
# chunk stay in the core's cache (2 MiB of L2 here: the input's, the output's and a scratch
# chunk of 64K float32 values take 768 KiB).
CHUNK = 2**16
# Maps of at most this many values are one chunk: they stay in cache whole, and chunks cost
# their calls (a formula of four passes on 240x28x28 values: 0.14 ms whole, 0.15 in chunks;
# on 96x112x112: 1.35 whole, 0.99 in chunks).
WHOLE = 4 * CHUNK

# Values a row of a channels-last map is seen as by ``Kernels.elementwise`` (whole places):
# its per-channel values repeated along the row make each ufunc loop this long. A row of one
# place, C values, ran BatchNorm's multiply and add at 0.62 ms on a 96x112x112 map, rows of
# ~8K values 0.38 ms (as fast as the same map channels first); 512 and 2K: 0.54 and 0.53.
# Maps of fewer than 4 rows take one call as they are: there, repeating the values cost more
# than it saved (96x8x8: 17 us against 4.5).
ROW = 8192

PAD_MODES = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Kernels:
    """The primitives, with a running count of multiply-accumulates (per example).

    ``handed`` says, per input of the layer being run, whether the caller hands that array
    over: nothing reads it after this layer, so the layer may write its result into it
    (``into``) instead of a new array. The executor knows (it counts each array's readers);
    other callers hand nothing over.
    """

    def __init__(self, handed: tuple = ()):
        self.macs = 0
        self.handed = handed

    def into(self, xs, index: int = 0, *others):
        """``xs[index]`` if the layer may write its result there (an ``out=`` argument), else
        None (a new array): the array is handed over, writeable, and the result of combining
        it element-wise with ``others`` has its shape and dtype. Saves an allocation and the
        page faults of first touching it: ResNet-50's ReLUs and batchnorms, 29 -> 19 ms."""
        if index >= len(self.handed) or not self.handed[index]:
            return None
        x = xs[index]
        if not x.flags.writeable:
            return None
        if others and (
            np.broadcast_shapes(x.shape, *(np.shape(other) for other in others)) != x.shape
            or np.result_type(x, *others) != x.dtype
        ):
            return None
        return x

    # -- element-wise formulas ---------------------------------------------------------------

    def elementwise(
        self, formula, xs, *channels, index: int = 0, dtype=None, scratch: bool = False, chunked: bool = True
    ):
        """``formula(x, out, *channels)`` over ``xs[index]``, chunk by chunk: its result.

        ``formula`` writes the whole of ``out`` from ``x``, two arrays of one shape, with
        ufuncs (``out=`` arguments); ``channels`` are per-channel vectors (one value per
        channel, axis 1), handed to it shaped to broadcast over that chunk whichever way the
        map is laid out. ``out`` may be ``x`` itself (the input handed over, ``Kernels.into``),
        so a formula reads ``x`` no later than the step that first writes ``out``. With
        ``scratch`` it also gets ``scratch=``, an array of the chunk's shape for an
        intermediate. The result is ``dtype`` (by default that of ``x`` with ``channels``),
        laid out as ``x`` is.

        The map is seen in its memory order as a matrix: rows of one channel's plane
        (channels first: a channel's value is a scalar per row), or rows of ``ROW`` values,
        whole places of every channel (channels last, or a flat input: the per-channel
        values repeated along the row, so that each ufunc call runs long loops, not one of C
        values a place). Chunks are whole rows, about ``CHUNK`` values, so that a formula's
        passes over a chunk stay in cache; ``chunked=False``: one chunk of every row.
        """
        x = xs[index]
        dtype = np.result_type(x, *channels) if dtype is None else np.dtype(dtype)
        out = self.into(xs, index)  # per-channel vectors broadcast over it: only its type to check
        if out is not None and out.dtype != dtype:
            out = None
        size = x.size
        chunked = chunked and size > WHOLE
        # Memory order: channels first as written, or channels last (a transposed view, as
        # the depthwise and pointwise kernels leave a map); asked only of a map large enough
        # to go in chunks, or in rows of repeated per-channel values.
        last = (
            (chunked or (channels and size >= 4 * ROW))
            and x.ndim > 2
            and not x.flags.c_contiguous
            and x.transpose(0, *range(2, x.ndim), 1).flags.c_contiguous
        )
        if not (chunked or (last and channels)) or not (last or x.flags.c_contiguous):
            # one call, as it is (any other layout: the whole array too)
            out = np.empty_like(x, dtype=dtype) if out is None else out
            wide = [broadcast_channels(values, x.ndim - 2) for values in channels]
            formula(x, out, *wide, **({"scratch": np.empty_like(out)} if scratch else {}))
            return out
        order = (0, *range(2, x.ndim), 1) if last else tuple(range(x.ndim))
        if out is None:
            out = np.empty(x.transpose(order).shape, dtype=dtype)
            out = out.transpose(0, x.ndim - 1, *range(1, x.ndim - 1)) if last else out
        source, target = x.transpose(order).reshape(-1), out.transpose(order).reshape(-1)
        width = x.shape[1] if x.ndim > 1 else 1
        plane = size // (x.shape[0] * width)  # values of a channel at its places, per example
        if channels and plane > 1 and not last:  # channels first: a row per plane
            length = plane
            factors = [_repeated(values, x.shape[0]).reshape(-1, 1) for values in channels]
        else:  # whole places of every channel a row (no per-channel values: any run)
            length = min(size, max(1, ROW // width) * width if channels else ROW)
            factors = [_repeated(values, length // width).reshape(1, -1) for values in channels]
        rows, tail = divmod(size, length)
        step = max(1, CHUNK // length) if chunked else max(rows, 1)
        piece = min(length, CHUNK) if chunked else length  # a channel's plane longer than a chunk: split
        matrix, result = source[: rows * length].reshape(rows, length), target[: rows * length].reshape(rows, length)
        buffer = np.empty((min(step, rows), piece), dtype=dtype) if scratch else None
        extra = {}
        for first in range(0, rows, step):
            down = slice(first, first + step)
            parts = [f[down] if f.shape[0] > 1 else f for f in factors]
            for start in range(0, length, piece):
                across = slice(start, start + piece)
                chunk = matrix[down, across]
                if scratch:
                    extra["scratch"] = buffer[: chunk.shape[0], : chunk.shape[1]]
                formula(chunk, result[down, across], *[p[:, across] if p.shape[1] > 1 else p for p in parts], **extra)
        if tail:  # the last places, fewer than a row (whole places: the factors' head lines up)
            chunk = source[rows * length :].reshape(1, tail)
            if scratch:
                extra["scratch"] = np.empty_like(chunk, dtype=dtype)
            formula(chunk, target[rows * length :].reshape(1, tail), *[f[:, :tail] for f in factors], **extra)
        return out

    # -- padding and windows ---------------------------------------------------------------

    @staticmethod
    def pad(x, pads, mode: str = "zeros", value: float = 0.0):
        """Pads the spatial axes by ``(before, after)`` pairs."""
        if not any(before or after for before, after in pads):
            return x
        widths = [(0, 0), (0, 0), *pads]
        if PAD_MODES[mode] == "constant":
            # A filled array and one copy into it: np.pad takes twice as long.
            shape = (*x.shape[:2], *(size + before + after for size, (before, after) in zip(x.shape[2:], pads)))
            out = np.full(shape, value, dtype=x.dtype) if value else np.zeros(shape, dtype=x.dtype)
            out[
                (
                    slice(None),
                    slice(None),
                    *(slice(before, before + size) for size, (before, _) in zip(x.shape[2:], pads)),
                )
            ] = x
            return out
        return np.pad(x, widths, mode=PAD_MODES[mode])

    def windows(self, x, window, mode: str = "zeros", fill: float = 0.0):
        """A view ``(N, C, *out, *kernel)`` of every window of ``x`` after padding.

        How many windows fit is left to the arrays (NumPy's sliding window, stepped by the
        stride), not computed from a formula. With ``ceil_mode`` a last partial window is
        allowed (the positions past the input hold ``fill``) unless it would start in the
        right padding, as PyTorch rules.
        """
        return self.windows_of(self.padded(x, window, mode, fill), window, x.shape[2:])

    def padded(self, x, window, mode: str = "zeros", fill: float = 0.0):
        """``x`` padded as ``window`` says (and, with ``ceil_mode``, by a stride less one more)."""
        if mode in ("zeros", "constant"):
            x = self.pad(x, window.pads, "constant", fill)
        else:
            x = self.pad(x, window.pads, mode)
        if window.ceil_mode:
            x = self.pad(x, [(0, stride - 1) for stride in window.stride], "constant", fill)
        return x

    @staticmethod
    def windows_of(padded, window, spatial: tuple):
        """The windows view of an input of ``spatial`` size, ``padded`` by ``Kernels.padded``."""
        ndim = len(spatial)
        view = sliding_window_view(padded, window.effective_kernel, axis=tuple(range(2, 2 + ndim)))
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

    @staticmethod
    def reduce_windows(cols, ufunc):
        """``ufunc`` (``np.maximum``, ...) folded over each window: ``(N, C, *out, *k)`` ->
        ``(N, C, *out)``.

        A loop over the kernel taps, each one ``ufunc`` of two ``(N, C, *out)`` arrays.
        NumPy's own reduction over the trailing window axes (``cols.max(axis=...)``) walks
        a handful of elements per output place and ran ~10x slower: VGG-16's five max
        pools took 126 ms of its 500 ms forward pass that way.
        """
        ndim = (cols.ndim - 2) // 2
        places = (slice(None),) * (2 + ndim)
        taps = list(np.ndindex(*cols.shape[2 + ndim :]))
        result = cols[places + taps[0]].copy()
        for tap in taps[1:]:
            ufunc(result, cols[places + tap], out=result)
        return result

    # -- correlations -------------------------------------------------------------------------

    def convolve(self, x, window, weights, groups: int, mode: str = "zeros"):
        """Convolution (correlation) of ``x`` with ``(F, C/groups, *k)`` kernels.

        One matrix product per block of output rows, ``(F, C*taps) @ (C*taps, places)``,
        written straight into the output: no sum of per-tap products (a pass over the whole
        output per tap, and BLAS runs far slower on the shallow ``C``-term products: VGG's
        first layers have C = 3 and 64) and no reordering of the product afterwards. Groups
        are a batch axis of that product, ``(G, F/G, C/G*taps) @ (G, C/G*taps, places)``. The
        block's column matrix is filled by one copy per kernel tap, of that tap's (strided)
        slice of the padded input: long runs, unlike a gather of whole windows. Blocks keep
        it under ``BLOCK_BYTES``. Two kinds go their own way: 1x1 unstrided convolutions are
        one product of the input itself (``_pointwise``), and depthwise ones (a channel per
        group) a sum of per-tap products over the input laid out channels last
        (``_depthwise``).

        Measured and left out: Winograd's F(2x2, 3x3) for 3x3 unstrided layers. It needs
        2.25x fewer multiplies, but in NumPy its transforms of the input, the output and the
        kernels cost what its products save: VGG-16's 3x3 layers ran 0.9x to 2x the time of
        these products (conv1_2 55 ms against 53, conv4_2 38 against 34, conv5_x 20 against
        10: on 14x14 maps transforming 512x512 kernels alone took 11 ms).
        """
        if all(k == 1 for k in window.kernel + window.stride) and not any(any(p) for p in window.pads):
            return self._pointwise(x, weights, groups)
        depthwise = x.shape[1] == groups and prod(window.kernel) > 1
        if depthwise and mode in ("zeros", "constant") and not window.ceil_mode:
            # The depthwise kernel writes the input into zeros of its own layout: the padded
            # array is only a shape here (a broadcast zero), which the windows are counted on.
            before = [b for b, _ in window.pads]
            shape = (*x.shape[:2], *(size + b + a for size, (b, a) in zip(x.shape[2:], window.pads)))
            padded, source = np.broadcast_to(np.zeros((), dtype=x.dtype), shape), x
        else:
            padded, before = self.padded(x, window, mode), [0] * (x.ndim - 2)
            source = padded
        view = self.windows_of(padded, window, x.shape[2:])  # (N, C, *out, *k): a view, copied tap by tap below
        n, channels = view.shape[:2]
        ndim = (view.ndim - 2) // 2
        out = view.shape[2 : 2 + ndim]
        filters = weights.shape[0]
        dtype = np.result_type(view, weights)
        # (G, F/G, C/G*taps): per group, its filters by channel, then tap
        kernel = weights.reshape(groups, filters // groups, -1).astype(dtype, copy=False)
        depth = kernel.shape[2]
        taps = list(np.ndindex(*view.shape[2 + ndim :]))
        if depthwise:
            return self._depthwise(source, before, padded.shape, window, kernel, out, dtype)
        result = np.empty((n, filters, *out), dtype=dtype)
        # Block along the first output axis whose rows (all the axes after it) fit in a block,
        # looping over the axes before it: usually axis 0, a block of image rows. One example
        # at a time: a block of the whole batch holds 1/N of the places per product, which
        # BLAS runs slower (VGG-16 at batch 8: 4.4 -> 3.6 s).
        column_bytes = channels * len(taps) * dtype.itemsize  # per output place
        places = prod(out)
        together = min(n, BLOCK_BYTES // (column_bytes * places))  # whole examples per block
        if together > 1:
            return self._convolve_examples(view, kernel, result, together)
        axis = 0
        while axis < ndim - 1 and column_bytes * prod(out[axis + 1 :]) > BLOCK_BYTES:
            axis += 1
        row = prod(out[axis + 1 :])
        count = max(1, min(out[axis], BLOCK_BYTES // (column_bytes * row)))
        buffer = np.empty(channels * len(taps) * count * row, dtype=dtype)
        for example in range(n):
            for outer in np.ndindex(*out[:axis]):
                for start in range(0, out[axis], count):
                    rows = min(count, out[axis] - start)
                    block = (slice(example, example + 1), slice(None), *outer, slice(start, start + rows))
                    # a view of the buffer's head shaped for this block, so it flattens without a copy
                    columns = buffer[: channels * len(taps) * rows * row].reshape(
                        1, channels, len(taps), rows, *out[axis + 1 :]
                    )
                    for index, tap in enumerate(taps):
                        columns[:, :, index] = view[block + (slice(None),) * (ndim - 1 - axis) + tap]
                    matrix = columns.reshape(1, groups, depth, rows * row)
                    # the block's trailing axes are whole, so this reshape is a view into ``result``
                    np.matmul(kernel, matrix, out=result[block].reshape(1, groups, -1, rows * row))
                    self.macs += rows * row * depth * filters
        return result

    def _convolve_examples(self, view, kernel, result, together: int):
        """``convolve`` of small maps: the columns of ``together`` examples side by side in one
        product, whose other side would be one small map (ResNet-50's 7x7 maps: 49 columns;
        at batch 8, 392, which BLAS runs faster: its 3x3 layers on them, 24.6 -> 17.3 ms each).
        The product, ``(F, examples, places)``, is copied into ``result`` example by example."""
        n, channels = view.shape[:2]
        ndim = (view.ndim - 2) // 2
        out = view.shape[2 : 2 + ndim]
        places = prod(out)
        groups, per_group, depth = kernel.shape
        filters = groups * per_group
        taps = list(np.ndindex(*view.shape[2 + ndim :]))
        buffer = np.empty(channels * len(taps) * together * places, dtype=result.dtype)
        product = np.empty(filters * together * places, dtype=result.dtype)
        for first in range(0, n, together):
            count = min(together, n - first)
            columns = buffer[: channels * len(taps) * count * places].reshape(channels, len(taps), count, *out)
            for index, tap in enumerate(taps):
                columns[:, index] = view[(slice(first, first + count), Ellipsis, *tap)].swapaxes(0, 1)
            block = product[: filters * count * places].reshape(groups, per_group, count * places)
            np.matmul(kernel, columns.reshape(groups, depth, count * places), out=block)
            result[first : first + count] = block.reshape(filters, count, *out).swapaxes(0, 1)
            self.macs += count * places * depth * filters
        return result

    def _pointwise(self, x, weights, groups: int):
        """A 1x1 unstrided, unpadded convolution: per example and group, one product
        ``(F/G, C/G) @ (C/G, places)`` of the input itself, whatever its layout (channels last,
        as a depthwise convolution leaves it, is that matrix transposed, which BLAS reads as
        fast), written straight into the output."""
        n, channels = x.shape[:2]
        filters = weights.shape[0]
        dtype = np.result_type(x, weights)
        kernel = weights.reshape(groups, filters // groups, channels // groups).astype(dtype, copy=False)
        places = prod(x.shape[2:])
        ndim = x.ndim - 2
        in_order = x.transpose(0, *range(2, ndim + 2), 1)
        if groups == 1 and in_order.flags.c_contiguous:
            # Laid out channels last (as a depthwise convolution leaves it): the output too,
            # (places, C) @ (C, F), seen channels first. A depthwise layer after it then reads
            # its input in its own order, and the layout carries through MobileNet's blocks
            # (the depthwise layers copy their input in runs of C values, not one value a run:
            # MobileNet v2's 14 -> 11 ms, EfficientNet-B0's 15 -> 13 ms).
            result = np.empty((n, *x.shape[2:], filters), dtype=dtype)
            np.matmul(
                in_order.reshape(n, places, channels).astype(dtype, copy=False),
                kernel[0].T,
                out=result.reshape(n, places, filters),
            )
            self.macs += n * places * channels * filters
            return result.transpose(0, ndim + 1, *range(1, ndim + 1))
        result = np.empty((n, filters, *x.shape[2:]), dtype=dtype)
        np.matmul(
            kernel,
            x.reshape(n, groups, channels // groups, places).astype(dtype, copy=False),
            out=result.reshape(n, groups, filters // groups, places),
        )
        self.macs += n * places * channels * filters // groups  # places x C/G x F (one tap)
        return result

    def _depthwise(self, source, before, padded_shape, window, kernel, out: tuple, dtype):
        """A convolution with one input channel per group (depthwise; ``F/G`` filters per
        channel), as one ``np.einsum`` over the input laid out channels last.

        ``source`` is the input, placed ``before`` values on along each spatial axis of a
        zero array of ``padded_shape`` (or the padded input itself, with ``before`` zeros),
        laid out ``(N, *spatial, C)``. There, a kernel tap's contribution to a run of output
        places along the last axis is one contiguous run of input values times one
        contiguous run of coefficients (the tap's coefficient per channel, repeated for each
        place of the run), and einsum's inner loop adds their product to the output in one
        pass, looping over taps and places in C, not Python. Measured per layer against the
        per-tap multiply and add over channels-first maps it replaced (one thread, the
        layout changes included): MobileNet v2's depthwise layers 21 -> 10 ms,
        EfficientNet-B0's 40 -> 12 ms (torch: 5 ms each). Channels first, a channel's coefficient is a scalar
        and each pass one small map (7x7: 49 values a loop, two passes a tap).

        Runs merge ~``DEPTHWISE_RUN / C`` output places when the last axis is unstrided;
        strided, a run is one place's ``C`` channels (all strided depthwise layers of the
        zoo have 96 or more; splitting the strided axis into its phases, so that runs merge
        again, measured slower: MobileNet v2's strided ones 5.3 -> 6.6 ms). With ``F/G`` filters per channel the input's channels are
        repeated ``F/G`` times, so that output channel ``c*F/G + f`` has its own input."""
        n, groups = source.shape[:2]
        ndim = source.ndim - 2
        if n > 1:
            # one example at a time: its arrays stay in cache (MobileNet v2's depthwise layers at
            # batch 8: 151 -> 136 ms)
            result = np.empty((n, *out, groups * kernel.shape[1]), dtype=dtype)  # channels last, as below
            channels_first = result.transpose(0, ndim + 1, *range(1, ndim + 1))
            for example in range(n):
                channels_first[example : example + 1] = self._depthwise(
                    source[example : example + 1], before, (1, *padded_shape[1:]), window, kernel, out, dtype
                )
            return channels_first
        per_channel = kernel.shape[1]
        width = groups * per_channel  # output channels: the innermost axis
        coefficients = kernel.reshape(width, -1).T.reshape(*window.kernel, width)  # (*k, channel)
        stride, dilation, last = window.stride, window.dilation, ndim - 1
        # Output places per run; the last run may reach past the output (into zeros, room
        # added below), its extra places dropped at the end.
        group = max(1, min(out[-1], round(DEPTHWISE_RUN / width))) if stride[last] == 1 else 1
        blocks = -(-out[-1] // group)
        reach = (blocks * group - 1) * stride[last] + dilation[last] * (window.kernel[last] - 1) + 1
        spatial = (*padded_shape[2:-1], max(padded_shape[-1], reach))
        channels_last = source.transpose(0, *range(2, ndim + 2), 1)
        if per_channel > 1:
            channels_last = np.repeat(channels_last, per_channel, axis=-1)
        padded = np.empty((n, *spatial, width), dtype=dtype)
        inside = tuple(slice(b, b + size) for b, size in zip(before, source.shape[2:]))
        padded[(slice(None), *inside)] = channels_last
        for axis, part in enumerate(inside):  # zeros around it only: no pass over the whole array
            head = (slice(None),) * (axis + 1)
            padded[(*head, slice(0, part.start))] = 0
            padded[(*head, slice(part.stop, None))] = 0
        strides = padded.strides
        view = np.lib.stride_tricks.as_strided(
            padded,
            (n, *out[:-1], blocks, *window.kernel, group * width),
            (
                strides[0],
                *(s * step for s, step in zip(stride[:-1], strides[1:ndim])),
                group * stride[last] * strides[ndim],
                *(d * step for d, step in zip(dilation, strides[1 : ndim + 1])),
                strides[-1],
            ),
            writeable=False,
        )
        repeated = np.empty((*window.kernel, group, width), dtype=dtype)
        repeated[...] = coefficients[..., None, :]
        letters = "abcdefghijklm"
        places, taps = letters[: ndim - 1], letters[ndim - 1 : 2 * ndim - 1]
        result = np.einsum(
            f"n{places}o{taps}q,{taps}q->n{places}oq", view, repeated.reshape(*window.kernel, group * width)
        )
        # the direct convolution's MACs: output places (those kept) x channels x taps
        self.macs += n * prod(out) * width * prod(repeated.shape[:ndim])
        on_grid = result.reshape(n, *out[:-1], blocks * group, width)
        if blocks * group != out[-1]:
            on_grid = np.ascontiguousarray(on_grid[..., : out[-1], :])
        # Returned as it lies, channels last, seen channels first: copying it back to channels
        # first took a third of the depthwise layers' time, and what usually follows does not
        # need it (element-wise layers keep the layout; a 1x1 convolution's product reads the
        # channels-last matrix transposed, at BLAS's speed).
        return on_grid.transpose(0, ndim + 1, *range(1, ndim + 1))

    def correlate_unshared(self, cols, weights):
        """Locally connected: windows ``(N, C, *out, *k)`` with a kernel per output place,
        ``(F, *out, C, *k)`` -> ``(N, F, *out)``."""
        n, channels = cols.shape[:2]
        ndim = (cols.ndim - 2) // 2
        out_spatial = cols.shape[2 : 2 + ndim]
        places = prod(out_spatial)
        taps = channels * prod(cols.shape[2 + ndim :])
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

    def matmul(self, a, b):
        """Batched products ``(..., m, k) @ (..., k, n)`` (attention's ``Q K^T`` and ``A V``)."""
        count = 1
        for size in a.shape[:-2]:
            count *= size
        self.macs += count * a.shape[-2] * a.shape[-1] * b.shape[-1]
        return a @ b

    def dense(self, x, weights, bias):
        """``(N, in) @ (units, in).T + bias``."""
        self.macs += x.shape[0] * x.shape[1] * weights.shape[0]
        # A few rows: (W @ x^T)^T, the orientation in which OpenBLAS streams the weights faster
        # (VGG-16's fc6 at batch 8: 88 -> 72 ms); many rows (attention's tokens): as written.
        out = (weights @ x.T).T if x.shape[0] <= 64 else x @ weights.T
        return out if bias is None else out + bias


def _repeated(values, times: int):
    """A vector repeated ``times`` times end to end (itself, flat, for once). np.tile took
    4 us a call, which the per-layer figures of a small map feel."""
    if times == 1:
        return values.reshape(-1)
    result = np.empty((times, values.size), dtype=values.dtype)
    result[...] = values.reshape(-1)
    return result.reshape(-1)


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
