"""Tokens and attention: ``tokens``, ``class_token``, ``position_embedding``,
``select_token``, ``to_map`` and ``attention`` (Vision Transformers, Swin, MaxViT).

A token sequence is a map with one spatial axis: ``[D, L]``, D features (the channels) at
each of L tokens, channels first as every other shape. So every layer that works at each
position works on tokens unchanged: ``layernorm`` over the channels is the Transformer's
LayerNorm, ``pointwise_fc`` its Linear, ``add`` its residual sum. PyTorch writes the same
tensor as ``[L, D]`` (batch first, features last); the values are the same, transposed.

The receptive field of a token made from a map (``tokens``) is exactly that of the map
position it came from. The report keeps one field per axis of the input, now over the
sequence's units (``geometry.sequence_field``): along the first axis the fields move one
row every row's length of tokens, along the last they come back to the first column at
each new row, so the jumps are averages over a row (16/14 and 0 for a 14x14 grid of 16x16
patches). After global attention every token sees the whole input: the field is global.
"""

from __future__ import annotations

import math

from ..errors import LayerError
from ..geometry import (
    GLOBAL,
    axis_name,
    gridded,
    map_field,
    per_axis,
    per_axis_reach,
    sequence_field,
    shift,
    windowed,
)
from ..record import Record
from .base import (
    GLOBAL_INPUT_WORK,
    GLOBAL_WORK,
    Arg,
    Choice,
    Flag,
    Integer,
    LayerType,
    Number,
    Sizes,
    Weight,
    np,
    prod,
    register,
)


def needs_sequence(name: str, shape: tuple) -> None:
    if len(shape) != 2:
        raise LayerError(
            f"{name} needs a token sequence [D, L] (one axis of tokens; make one from a map with tokens); "
            f"got {list(shape)}"
        )


@register
class Tokens(LayerType):
    """A map's positions as a sequence of tokens: ``[C, H, W]`` -> ``[C, H*W]``, row after
    row (PyTorch's ``x.flatten(2)``; ViT's patches after its patch-embedding convolution,
    which PyTorch then transposes to ``[H*W, C]``). Each token keeps the receptive field of
    its position (see ``cnncalc types attention``).

    Example::

        - conv: {filters: 768, kernel: 16, stride: 16}   # 768x14x14 patches
        - tokens                                         # 768x196
    """

    name = "tokens"
    aliases = ("to_tokens", "patch_tokens", "flatten_positions")
    spatial = True
    saves = ()
    output_is_view = input_grad_is_view = True  # a reshape of contiguous memory
    examples = (
        ((2, 8, 6), "[{conv: {filters: 4, kernel: 2, stride: 2}}, tokens]"),
        ((2, 9), "[{conv: {filters: 3, kernel: 3, stride: 2}}, tokens]"),
    )

    def output_shape(self, a, shapes):
        return (shapes[0][0], prod(shapes[0][1:]))

    def receptive_field(self, a, fields, shapes):
        return sequence_field(fields[0], shapes[0][1:])

    def forward(self, a, xs, w, k):
        return xs[0].reshape(*xs[0].shape[:2], -1)

    def worked_shape(self, a, shapes, out):
        positions = "*".join(str(n) for n in shapes[0][1:])
        return [f"{shapes[0][0]} features at each of {positions} = {out[1]:,} positions, now tokens in a row"]

    def worked_field(self, a, fields, shapes):
        if fields[0] == GLOBAL:
            return [GLOBAL_INPUT_WORK]
        return ["as its input's: each token sees what the map position it came from sees"]


@register
class ClassToken(LayerType):
    """A learned token put before the sequence: ``[D, L]`` -> ``[D, L+1]`` (ViT's class
    token, ``torch.cat([class_token.expand(n, -1, -1), x], dim=1)``). D parameters.

    It depends on no input: its receptive field is empty, and the tokens after it keep
    theirs, one place further on (as if the sequence were padded by one token).

    Example::

        - class_token
    """

    name = "class_token"
    aliases = ("cls_token", "prepend_token")
    saves = ()
    input_grad_is_view = True  # the input's gradient is a slice of the output's
    examples = (
        ((4, 6), "[class_token]"),
        ((2, 8, 8), "[{conv: {filters: 4, kernel: 2, stride: 2}}, tokens, cls_token]"),
    )

    def output_shape(self, a, shapes):
        needs_sequence(self.name, shapes[0])
        return (shapes[0][0], shapes[0][1] + 1)

    def weights(self, a, shapes):
        return (Weight("token", (shapes[0][0],), init="small", axes=("D",)),)

    def receptive_field(self, a, fields, shapes):
        return per_axis_reach(shift, fields[0], [1])

    def forward(self, a, xs, w, k):
        x = xs[0]
        token = np.broadcast_to(w["token"].reshape(1, -1, 1).astype(x.dtype), (x.shape[0], x.shape[1], 1))
        return np.concatenate([token, x], axis=2)

    def worked_shape(self, a, shapes, out):
        return [f"one more token: {shapes[0][1]} + 1 = {out[1]}"]

    def worked_field(self, a, fields, shapes):
        if fields[0] == GLOBAL:
            return [GLOBAL_INPUT_WORK]
        return ["the tokens keep their fields, one place on; the new token sees nothing of the input"]


@register
class PositionEmbedding(LayerType):
    """A learned value added at every position and feature (ViT's position embedding):
    ``D*L`` parameters for a ``[D, L]`` sequence (any map: ``C*H*W``). The shape and the
    receptive field are the input's.

    Example::

        - position_embedding
    """

    name = "position_embedding"
    aliases = ("pos_embedding", "positional_embedding", "pos_embed")
    saves = ()
    input_grad_is_view = True  # an addition passes its gradient on unchanged
    examples = (((4, 6), "[position_embedding]"), ((3, 4, 5), "[position_embedding]"))

    def weights(self, a, shapes):
        return (Weight("embedding", shapes[0], init="small"),)

    def forward(self, a, xs, w, k):
        return xs[0] + w["embedding"][None].astype(xs[0].dtype)


@register
class SelectToken(LayerType):
    """One token of a sequence, as a flat vector: ``[D, L]`` -> ``[D]`` (ViT's ``x[:, 0]``,
    the class token, read by the classifier head).

    Its receptive field is the token's. cnncalc reports fields of flat outputs only when
    they are global (after attention): before it, the token sees only part of the input,
    and the layer is refused.

    Example::

        - select_token: 0
    """

    name = "select_token"
    aliases = ("take_token", "pick_token")
    primary = "index"
    saves = ()
    output_is_view = True  # a slice of the input
    reduces_positions = True
    args = (Arg("index", Integer(minimum=0), 0, "which token, from 0"),)
    examples = (
        ((4, 6), "[{pointwise_fc: 4}, {attention: 2}, select_token]"),
        ((4, 6), "[{pointwise_fc: 4}, {attention: 1}, {select_token: 5}, {fc: 3}]"),
    )

    def output_shape(self, a, shapes):
        needs_sequence(self.name, shapes[0])
        if a.index >= shapes[0][1]:
            raise LayerError(f"index {a.index} is past the {shapes[0][1]} tokens", arg="index")
        return (shapes[0][0],)

    def receptive_field(self, a, fields, shapes):
        if fields[0] != GLOBAL:
            raise LayerError(
                "the token sees only part of the input here, and cnncalc reports fields of flat outputs only "
                "when they are global: select a token after attention"
            )
        return GLOBAL

    def forward(self, a, xs, w, k):
        return xs[0][:, :, a.index]

    def worked_shape(self, a, shapes, out):
        return [f"token {a.index} of {shapes[0][1]}: its {shapes[0][0]} features"]


@register
class ToMap(LayerType):
    """A token sequence back to a map: ``[D, L]`` -> ``[D, H, W]`` with ``size: [H, W]``
    (``H*W = L``), row after row as ``tokens`` made it (PyTorch's ``x.unflatten(2, size)``;
    a channels-last model's ``x.transpose(1, 2).reshape(n, D, H, W)``). Each position gets
    the field its token had.

    Example::

        - to_map: [14, 14]
    """

    name = "to_map"
    aliases = ("tokens_to_map", "unflatten_tokens")
    primary = "size"
    saves = ()
    output_is_view = input_grad_is_view = True  # a reshape of contiguous memory
    args = (Arg("size", Sizes(), doc="the map's size, one number per axis; their product is the tokens"),)
    examples = (
        (
            (2, 16, 12),
            "[{conv: {filters: 4, kernel: 2, stride: 2}}, tokens, {to_map: [8, 6]}, {conv: {filters: 2, kernel: 2}}]",
        ),
        ((3, 12), "[{pointwise_fc: 4}, {to_map: 12}]"),
    )

    def output_shape(self, a, shapes):
        needs_sequence(self.name, shapes[0])
        size = a.size if isinstance(a.size, tuple) else (a.size,)
        if prod(size) != shapes[0][1]:
            raise LayerError(
                f"a map of {'x'.join(map(str, size))} = {prod(size):,} positions needs as many tokens, not {shapes[0][1]:,}",
                arg="size",
            )
        return (shapes[0][0], *size)

    def receptive_field(self, a, fields, shapes):
        if fields[0] == GLOBAL:
            return GLOBAL
        size = self.output_shape(a, shapes)[1:]
        if len(fields[0]) != len(size):
            raise LayerError(
                f"the tokens' fields are over {len(fields[0])} input {'axis' if len(fields[0]) == 1 else 'axes'}, "
                f"the map has {len(size)}: cnncalc follows a sequence back to a map of the axes it was made from",
                arg="size",
            )
        return map_field(fields[0], size)

    def forward(self, a, xs, w, k):
        return xs[0].reshape(*xs[0].shape[:2], *self.output_shape(a, (xs[0].shape[1:],))[1:])

    def worked_shape(self, a, shapes, out):
        return [f"{shapes[0][1]:,} tokens = {'*'.join(str(n) for n in out[1:])} positions, row after row"]

    def worked_field(self, a, fields, shapes):
        if fields[0] == GLOBAL:
            return [GLOBAL_INPUT_WORK]
        return ["each position sees what its token saw"]


class Windows(Record, fields="sizes padded window shift grid"):
    """How an attention layer splits a map of ``sizes`` into groups of tokens, per axis:
    ``padded`` the axis after padding to a multiple of the window, ``window`` the tokens per
    group along it, ``shift`` where the windows start (0: at the edge), ``grid``: the group's
    tokens are spread ``padded // window`` apart (MaxViT's grid) instead of neighbours."""

    __slots__ = ()

    @property
    def tokens(self) -> int:
        """Tokens per group."""
        return prod(self.window)

    @property
    def groups(self) -> int:
        return prod(self.padded) // self.tokens


@register
class Attention(LayerType):
    """Multi-head self-attention over the positions of its input (a token sequence
    ``[D, L]``, or any map ``[C, H, W]``: its positions are the tokens); the output has the
    input's shape. A projection to queries, keys and values (``3D x D`` weights), per head
    ``softmax(Q K^T / sqrt(D/heads)) V``, and an output projection (``D x D``): PyTorch's
    ``nn.MultiheadAttention(D, heads, bias=bias)`` called as ``attention(x, x, x)``.

    params = 4*D*D + 4*D (with bias; 4*D*D without).
    MACs = L*D*3D + L*D*D for the projections, plus 2*L*L*D for the two products of every
    head (``Q K^T`` and ``A V``: heads * L*L*(D/heads) each).

    ``window: 7`` attends within windows of 7x7 positions instead of the whole map (Swin):
    the map is padded at the end to a multiple of the window (the padding's zeros attend as
    tokens, as torchvision's Swin pads), and each window's N tokens attend to each other:
    2*N*N*D MACs per window instead of 2*L*L*D. ``shift: 3`` moves the windows' edges 3
    positions in (torchvision rolls the map and masks the tokens that wrapped around; a
    shift is dropped on an axis the window covers whole, as torchvision drops it).
    ``grid: true`` makes each group ``window`` tokens spread evenly over the map instead
    (MaxViT's grid attention; the map must divide). Position biases added to the maps:
    ``position_bias: table`` learns one per head and relative offset,
    ``(2*w_h-1)*(2*w_w-1)*heads`` parameters (Swin, MaxViT); ``position_bias: mlp`` computes
    them with a small network from log-spaced offsets (Swin V2: ``Linear(2, 512)``, ReLU,
    ``Linear(512, heads)`` without bias, ``16*sigmoid``): ``3*512 + 512*heads`` parameters
    and ``(2*w_h-1)*(2*w_w-1)*(2*512 + 512*heads)`` MACs per forward pass (counted per
    example: at batch 1, as FlopCounterMode does). ``cosine: true`` is Swin V2's scaled cosine
    attention: ``cos(q, k) * exp(min(s, log 100))`` with ``s`` learned per head (``heads``
    parameters); the keys' bias is not used (torchvision zeroes it; its values still count).
    ``scale: features`` divides by sqrt(D) instead of sqrt(D/heads) (MaxViT). Relative
    position indices are constants of the window, not counted as buffers.

    Training memory (what the backward pass keeps), as PyTorch's autograd keeps it: for
    global attention, the plain ("math") implementation of ``scaled_dot_product_attention``:
    the input's rows, the queries, keys and values, the scaled queries and keys, the heads'
    output (7*L*D values) and the attention maps after the softmax (heads*L*L); for window
    attention, torchvision's Swin: 5*L*D and the maps (heads*N*N per window), with cosine
    attention 8*L*D, two sets of maps and 4*L*heads norms, and a bias network's hidden
    layer and biases; with ``dropout``, two more sets of maps (its mask and the maps after
    it). A fused kernel (FlashAttention, PyTorch's CPU flash kernel) keeps no map and needs
    less.

    The receptive field: global after global attention; after window attention, the union
    of the fields of the window's tokens (a grid's reach across the map).

    Example::

        - attention: {heads: 12}
        - attention: {heads: 3, window: 7, shift: 3, position_bias: table}   # Swin
    """

    name = "attention"
    aliases = ("self_attention", "multihead_attention", "mha")
    primary = "heads"
    mixes_channels = True
    spatial = True
    args = (
        Arg("heads", Integer(), doc="attention heads; they divide the features D"),
        Arg("bias", Flag(), True, "biases in the input and output projections"),
        Arg("dropout", Number(0, 1, open_high=True), 0.0, "dropout on the attention maps, while training"),
        Arg("window", Sizes(), None, "attend within windows of this many positions per axis (Swin, MaxViT)"),
        Arg("shift", Sizes(minimum=0), 0, "the windows' edges moved in by this many positions (Swin)"),
        Arg("grid", Flag(), False, "each window's tokens spread evenly over the map (MaxViT's grid attention)"),
        Arg("position_bias", Choice("none", "table", "mlp"), "none", "learned relative position bias"),
        Arg("bias_hidden", Integer(), 512, "hidden features of position_bias: mlp"),
        Arg("cosine", Flag(), False, "scaled cosine attention with a learned scale per head (Swin V2)"),
        Arg("scale", Choice("head", "features"), "head", "divide Q K^T by sqrt(D/heads) or by sqrt(D)"),
        Arg(
            "mask",
            Number(high=0),
            -100.0,
            "added to the scores between a shifted window's wrapped-around parts (torchvision's -100)",
        ),
    )
    # Fields do not depend on the heads; the probe's copy has too few channels for many.
    # One head is enough to see which positions reach a unit; a mask that zeroes the
    # wrapped-around parts' weights outright (torchvision's -100 only makes them tiny, and
    # the probe's large inputs reach across it) measures the windows as designed.
    probe_args = {"heads": 1, "mask": -1e30}
    examples = (
        ((4, 6), "[{pointwise_fc: 4}, {attention: 2}]"),
        ((4, 3, 3), "[{conv: {filters: 6, kernel: 1}}, {attention: {heads: 3, bias: false, dropout: 0.1}}]"),
        (
            (4, 11, 16),
            "[{conv: {filters: 4, kernel: 1}}, {attention: {heads: 2, window: [3, 4], position_bias: table}}]",
        ),
        (
            (4, 13, 14),
            "[{conv: {filters: 4, kernel: 1}},"
            " {attention: {heads: 2, window: 3, shift: [1, 2], position_bias: mlp, bias_hidden: 8, cosine: true}}]",
        ),
        (
            (4, 12, 9),
            "[{conv: {filters: 4, kernel: 1}}, {attention: {heads: 2, window: 3, grid: true, scale: features}}]",
        ),
        ((4, 13), "[{pointwise_fc: 4}, {attention: {heads: 2, window: 4, shift: 2, position_bias: table}}]"),
    )

    def windows(self, a, shape: tuple):
        """The ``Windows`` of an input of ``shape``, or None for attention over all positions."""
        if a.window is None:
            if a.grid or a.shift or a.position_bias != "none":
                what = "grid" if a.grid else "shift" if a.shift else "position_bias"
                raise LayerError(f"{what} needs a window", arg=what)
            return None
        sizes = shape[1:]
        window = per_axis(a.window, len(sizes), "window")
        shift = per_axis(a.shift, len(sizes), "shift")
        if a.grid:
            for axis, (size, count) in enumerate(zip(sizes, window)):
                if size % count:
                    raise LayerError(
                        f"a grid of {count} tokens must divide the map, but {count} does not divide "
                        f"{size} on axis {axis_name(axis, len(sizes))}",
                        arg="window",
                    )
            if any(shift):
                raise LayerError("a grid has no shift", arg="shift")
            return Windows(sizes, sizes, window, shift, True)
        padded = tuple(-(-size // w) * w for size, w in zip(sizes, window))
        for s, w in zip(shift, window):
            if s >= w:
                raise LayerError(f"shift {s} must be less than the window {w}", arg="shift")
        # torchvision drops a shift on an axis one window covers whole
        shift = tuple(0 if w >= p else s for s, w, p in zip(shift, window, padded))
        return Windows(sizes, padded, window, shift, False)

    def recenters_fields(self, a):
        return a.window is not None

    def output_shape(self, a, shapes):
        if shapes[0][0] % a.heads:
            raise LayerError(
                f"the heads must divide the features, but {a.heads} does not divide {shapes[0][0]}", arg="heads"
            )
        self.windows(a, shapes[0])
        return shapes[0]

    def _table(self, a, shape) -> tuple:
        """The relative offsets of a window: ``2*w - 1`` per axis."""
        return tuple(2 * w - 1 for w in self.windows(a, shape).window)

    def weights(self, a, shapes):
        d = shapes[0][0]
        arrays = [Weight("qkv_weights", (3 * d, d), axes=("3*D", "D"))]
        if a.bias:
            arrays.append(Weight("qkv_bias", (3 * d,), init="small", axes=("3*D",), bias=True))
        arrays.append(Weight("out_weights", (d, d), axes=("D", "D")))
        if a.bias:
            arrays.append(Weight("out_bias", (d,), init="small", axes=("D",), bias=True))
        if a.position_bias == "table":
            arrays.append(Weight("bias_table", (prod(self._table(a, shapes[0])), a.heads), init="small"))
        elif a.position_bias == "mlp":
            axes = len(shapes[0]) - 1
            arrays += [
                Weight("bias_mlp_weights", (a.bias_hidden, axes)),
                Weight("bias_mlp_bias", (a.bias_hidden,), init="small"),
                Weight("bias_mlp_out", (a.heads, a.bias_hidden)),
            ]
        if a.cosine:
            arrays.append(Weight("logit_scale", (a.heads,), init=math.log(10)))
        return tuple(arrays)

    def _sizes(self, a, shapes) -> tuple:
        """``(D, L, N)``: features, tokens (padding included) and tokens a token attends to."""
        d = shapes[0][0]
        windows = self.windows(a, shapes[0])
        if windows is None:
            length = prod(shapes[0][1:])
            return d, length, length
        return d, prod(windows.padded), windows.tokens

    def projection_macs(self, a, shapes) -> int:
        d, length, _ = self._sizes(a, shapes)
        return length * d * 4 * d

    def product_macs(self, a, shapes) -> int:
        d, length, group = self._sizes(a, shapes)
        return 2 * length * group * d

    def bias_macs(self, a, shapes) -> int:
        if a.position_bias != "mlp":
            return 0
        axes = len(shapes[0]) - 1
        return prod(self._table(a, shapes[0])) * (axes * a.bias_hidden + a.bias_hidden * a.heads)

    def macs(self, a, shapes, out):
        return self.projection_macs(a, shapes) + self.product_macs(a, shapes) + self.bias_macs(a, shapes)

    def products(self, a, shapes, out):
        d, length, group = self._sizes(a, shapes)
        head = d // a.heads
        groups = length // group
        products = [
            (1, length, d, 3 * d),  # queries, keys and values: a row per token
            (groups * a.heads, group, head, group),  # Q K^T per window and head
            (groups * a.heads, group, group, head),  # A V per window and head
            (1, length, d, d),  # the output projection
        ]
        if a.position_bias == "mlp":
            offsets, axes = prod(self._table(a, shapes[0])), len(shapes[0]) - 1
            products += [(1, offsets, axes, a.bias_hidden), (1, offsets, a.bias_hidden, a.heads)]
        return tuple(products)

    def backward_macs(self, a, shapes, out, input_grad, weight_grad):
        # The projections: one product for the input's gradient, one for the weights'. The
        # two products of each head: both operands' gradients, needed for either. The bias
        # network, when it learns: its two weights' gradients and its hidden layer's (its
        # input is a constant, which needs none).
        if not (input_grad or weight_grad):
            return 0
        macs = self.projection_macs(a, shapes) * (int(input_grad) + int(weight_grad))
        macs += 2 * self.product_macs(a, shapes)
        if weight_grad and a.position_bias == "mlp":
            offsets = prod(self._table(a, shapes[0]))
            macs += offsets * (2 * a.bias_hidden * a.heads + (len(shapes[0]) - 1) * a.bias_hidden)
        return macs

    def saved(self, a, shapes):
        # PyTorch's Linear reads the tokens of a channels-first map as rows, copies them and
        # keeps the copy instead of the input (saved_extra_bytes).
        return ()

    def saved_extra_bytes(self, a, shapes, out, width):
        # As PyTorch's autograd keeps them (tests/test_torch_memory.py). Global attention, in
        # the math implementation of scaled_dot_product_attention: the input's rows (for the
        # projection's weights), the projected queries, keys and values (one array), the
        # queries and keys scaled by 1/sqrt(sqrt(D/heads)) each (Q K^T keeps both factors),
        # the heads' output (the output projection's input): 7*L*D values, and the maps after
        # the softmax. Window attention as torchvision's Swin computes it: the rows, the
        # queries, keys and values, the scaled queries, the heads' output (5*L*D, L counting
        # the padding) and the maps; with cosine attention (Swin V2) 8*L*D, the maps before
        # and after the scale and softmax, and 4*L*heads norms; a position bias network
        # keeps its hidden layer and the biases (counted with each example, though computed
        # once a forward pass). Dropout on the maps keeps its mask and the maps after it.
        d, length, group = self._sizes(a, shapes)
        maps = a.heads * length * group
        if a.window is None:
            kept = 7 * length * d + maps
        elif a.cosine:
            kept = 8 * length * d + 2 * maps + 4 * length * a.heads
        else:
            kept = 5 * length * d + maps
        if a.position_bias == "mlp":
            windows = self.windows(a, shapes[0])
            kept += prod(self._table(a, shapes[0])) * a.bias_hidden + a.heads * windows.tokens**2 + a.heads * a.cosine
        if a.dropout:
            kept += 2 * maps
        return kept * width

    def receptive_field(self, a, fields, shapes):
        windows = self.windows(a, shapes[0])
        if windows is None or fields[0] == GLOBAL:
            return GLOBAL
        if len(fields[0]) != len(windows.window):
            raise LayerError("window attention needs a map's field; this input is a token sequence made from a map")
        if windows.grid:
            return tuple(
                gridded(reach, count, size // count)
                for reach, count, size in zip(fields[0], windows.window, windows.sizes)
            )
        return tuple(windowed(reach, w, s) for reach, w, s in zip(fields[0], windows.window, windows.shift))

    # -- the forward pass ------------------------------------------------------------------

    def forward(self, a, xs, w, k):
        x = xs[0]
        n, d = x.shape[:2]
        windows = self.windows(a, x.shape[1:])
        rows = np.moveaxis(x, 1, -1)  # (N, *positions, D)
        if windows is None:
            groups = rows.reshape(n, 1, -1, d)
        else:
            groups = _partition(rows, windows)  # (N, windows, tokens, D)
        count, tokens = groups.shape[1], groups.shape[2]
        heads, head = a.heads, d // a.heads
        qkv_bias = w.get("qkv_bias")
        if a.cosine and qkv_bias is not None:
            qkv_bias = qkv_bias.copy()
            qkv_bias[d : 2 * d] = 0  # Swin V2 uses no bias for the keys
        qkv = k.dense(groups.reshape(-1, d), w["qkv_weights"], qkv_bias)
        q, keys, values = qkv.reshape(n * count, tokens, 3, heads, head).transpose(2, 0, 3, 1, 4)
        if a.cosine:
            q = q / np.maximum(np.sqrt((q * q).sum(axis=-1, keepdims=True)), 1e-12)
            keys = keys / np.maximum(np.sqrt((keys * keys).sum(axis=-1, keepdims=True)), 1e-12)
            scores = k.matmul(q, keys.transpose(0, 1, 3, 2))
            scores = scores * np.exp(np.minimum(w["logit_scale"], math.log(100.0))).reshape(1, heads, 1, 1)
        else:
            scores = k.matmul(q, keys.transpose(0, 1, 3, 2)) * (1 / math.sqrt(head if a.scale == "head" else d))
        if windows is not None and a.position_bias != "none":
            scores = scores + self._position_bias(a, windows, w, k, n)
        if windows is not None and any(windows.shift):
            scores = (
                scores.reshape(n, count, heads, tokens, tokens) + _shift_mask(windows, a.mask)[None, :, None]
            ).reshape(scores.shape)
        scores -= scores.max(axis=-1, keepdims=True)
        maps = np.exp(scores)
        maps /= maps.sum(axis=-1, keepdims=True)
        mixed = k.matmul(maps, values).transpose(0, 2, 1, 3).reshape(-1, d)
        out = k.dense(mixed, w["out_weights"], w.get("out_bias")).reshape(n, count, tokens, d)
        if windows is None:
            out = out.reshape(rows.shape)
        else:
            out = _departition(out, windows, n, d)
        return np.moveaxis(out, -1, 1).astype(x.dtype, copy=False)

    def _position_bias(self, a, windows, w, k, n):
        """``(heads, N, N)``: the bias added to every window's maps."""
        index = _relative_index(windows.window)
        if a.position_bias == "table":
            table = w["bias_table"]
        else:
            coords = _log_coords(windows.window)  # (offsets, axes)
            # computed for each example, as the report counts it (the same values for all)
            hidden = k.dense(np.tile(coords, (n, 1)).astype(w["bias_mlp_weights"].dtype), w["bias_mlp_weights"],
                             w["bias_mlp_bias"])  # fmt: skip
            table = k.dense(np.maximum(hidden, 0), w["bias_mlp_out"], None)[: len(coords)]
        bias = table[index.reshape(-1)].reshape(index.shape[0], index.shape[1], a.heads).transpose(2, 0, 1)
        if a.position_bias == "mlp":
            bias = 16 / (1 + np.exp(-bias))
        return bias

    def worked_shape(self, a, shapes, out):
        d, length, group = self._sizes(a, shapes)
        where = "" if group == length else f", in windows of {group} tokens"
        return [f"the input's shape: {length} tokens of {d} features{where}, {a.heads} heads of {d // a.heads}"]

    def worked_params(self, a, shapes):
        d = shapes[0][0]
        total = sum(w.size for w in self.weights(a, shapes))
        core = f"4*{d}*{d} + 4*{d}" if a.bias else f"4*{d}*{d}"
        extra = [f"{'*'.join(str(n) for n in w.shape)}" for w in self.weights(a, shapes)[4 if a.bias else 2 :]]
        terms = " + ".join([core, *extra])
        return f"{terms} = {total:,} (queries, keys, values and output: a {d}x{d} matrix{' and a bias' * a.bias} each)"

    def worked_macs(self, a, shapes, out):
        d, length, group = self._sizes(a, shapes)
        text = (
            f"projections {length}*{d}*4*{d} = {self.projection_macs(a, shapes):,}, plus Q K^T and A V "
            f"2*{length}*{group}*{d} = {self.product_macs(a, shapes):,}"
        )
        if self.bias_macs(a, shapes):
            text += f", plus the position bias network {self.bias_macs(a, shapes):,}"
        return f"{text}: {self.macs(a, shapes, out):,}"

    def worked_field(self, a, fields, shapes):
        if self.windows(a, shapes[0]) is None or fields[0] == GLOBAL:
            return [GLOBAL_WORK]
        return ["the union of the fields of the tokens in its window"]


def _partition(rows, windows: Windows):
    """``(N, *positions, D)`` -> ``(N, windows, tokens, D)``: padded at the end, rolled by
    the shift, cut into windows (or grids), each window's tokens in row-major order."""
    n, d = rows.shape[0], rows.shape[-1]
    pads = [(0, 0)] + [(0, p - s) for s, p in zip(windows.sizes, windows.padded)] + [(0, 0)]
    if any(after for _, after in pads):
        rows = np.pad(rows, pads)
    if any(windows.shift):
        rows = np.roll(rows, [-s for s in windows.shift], axis=tuple(range(1, len(windows.sizes) + 1)))
    ndim = len(windows.sizes)
    split = [n]
    for p, w in zip(windows.padded, windows.window):
        split += [w, p // w] if windows.grid else [p // w, w]
    rows = rows.reshape(*split, d)
    # window axes: (count along each axis) first, then (tokens along each axis)
    outer = [1 + 2 * i + (1 if windows.grid else 0) for i in range(ndim)]
    inner = [1 + 2 * i + (0 if windows.grid else 1) for i in range(ndim)]
    rows = rows.transpose(0, *outer, *inner, 2 * ndim + 1)
    return rows.reshape(n, windows.groups, windows.tokens, d)


def _departition(out, windows: Windows, n: int, d: int):
    """The inverse of ``_partition``: ``(N, windows, tokens, D)`` -> ``(N, *positions, D)``."""
    ndim = len(windows.sizes)
    counts = [p // w for p, w in zip(windows.padded, windows.window)]
    out = out.reshape(n, *counts, *windows.window, d)
    order = [0]
    for i in range(ndim):  # back to (axis 0: outer, inner), ... in the partition's order
        pair = [1 + i, 1 + ndim + i]
        order += pair[::-1] if windows.grid else pair
    out = out.transpose(*order, 2 * ndim + 1).reshape(n, *windows.padded, d)
    if any(windows.shift):
        out = np.roll(out, list(windows.shift), axis=tuple(range(1, ndim + 1)))
    return out[(slice(None), *(slice(0, s) for s in windows.sizes))]


def _shift_mask(windows: Windows, value: float = -100.0):
    """``(windows, N, N)``: ``value`` (torchvision's -100) between tokens that a shifted window
    holds but that lie in different parts of the rolled map (they wrapped around), 0 elsewhere."""
    labels = np.zeros(windows.padded, dtype=np.int64)
    for axis, (p, w, s) in enumerate(zip(windows.padded, windows.window, windows.shift)):
        region = np.zeros(p, dtype=np.int64)
        if s:
            region[p - w : p - s] = 1
            region[p - s :] = 2
        shape = [1] * len(windows.padded)
        shape[axis] = p
        labels = labels * 3 + region.reshape(shape)
    # labelled on the rolled, padded map: cut into windows as it stands
    flat = windows._replace(sizes=windows.padded, shift=(0,) * len(windows.padded))
    grouped = _partition(labels[None, ..., None], flat)[0, :, :, 0]  # (windows, tokens)
    return np.where(grouped[:, None, :] != grouped[:, :, None], value, 0.0)


def _relative_index(window: tuple):
    """``(N, N)``: the offset of token j from token i in a window, as an index into the
    table of ``prod(2*w - 1)`` offsets (torchvision's relative_position_index, any axes)."""
    coords = np.stack(np.meshgrid(*[np.arange(w) for w in window], indexing="ij")).reshape(len(window), -1)
    relative = coords[:, :, None] - coords[:, None, :]  # (axes, N, N)
    index = np.zeros(relative.shape[1:], dtype=np.int64)
    for axis, w in enumerate(window):
        index = index * (2 * w - 1) + relative[axis] + w - 1
    return index


def _log_coords(window: tuple):
    """``(offsets, axes)``: Swin V2's log-spaced relative offsets: each offset over ``w - 1``,
    times 8, then ``sign(x) * log2(|x| + 1) / 3``."""
    axes = [np.arange(-(w - 1), w, dtype=np.float64) / max(w - 1, 1) * 8 for w in window]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(window))
    return np.sign(grid) * np.log2(np.abs(grid) + 1.0) / 3.0
