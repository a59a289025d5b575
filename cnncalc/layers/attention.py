"""Tokens and attention: ``tokens``, ``class_token``, ``position_embedding``,
``select_token`` and ``attention`` (Vision Transformers).

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
from ..geometry import GLOBAL, per_axis_reach, sequence_field, shift
from .base import GLOBAL_INPUT_WORK, GLOBAL_WORK, Arg, Flag, Integer, LayerType, Number, Weight, np, prod, register


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
    examples = (((4, 6), "[class_token]"), ((2, 8, 8), "[{conv: {filters: 4, kernel: 2, stride: 2}}, tokens, cls_token]"))

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
class Attention(LayerType):
    """Multi-head self-attention over every position of its input (a token sequence
    ``[D, L]``, or any map ``[C, H, W]``: its positions are the tokens); the output has the
    input's shape. PyTorch's ``nn.MultiheadAttention(D, heads, bias=bias)`` called as
    ``attention(x, x, x)`` on the tokens: a projection to queries, keys and values
    (``3D x D`` weights), per head ``softmax(Q K^T / sqrt(D/heads)) V``, and an output
    projection (``D x D``).

    params = 4*D*D + 4*D (with bias; 4*D*D without).
    MACs = L*D*3D + L*D*D for the projections, plus 2*L*L*D for the two products of every
    head (``Q K^T`` and ``A V``: heads * L*L*(D/heads) each).

    Training memory (what the backward pass keeps) is that of the plain ("math")
    implementation of ``scaled_dot_product_attention``, as PyTorch's autograd keeps it: the
    input's rows, the queries, keys and values, the scaled queries and keys, the heads'
    output (7*L*D values) and the attention maps after the softmax (heads*L*L); with
    ``dropout``, two more maps (its mask and the maps after it). A fused kernel
    (FlashAttention, PyTorch's CPU flash kernel) keeps no L*L map and needs less.

    Every output token reads every input token: the receptive field after it is global.

    Example::

        - attention: {heads: 12}
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
    )
    # Fields do not depend on the heads; the probe's copy has too few channels for many.
    probe_args = {"heads": 1}
    examples = (
        ((4, 6), "[{pointwise_fc: 4}, {attention: 2}]"),
        ((4, 3, 3), "[{conv: {filters: 6, kernel: 1}}, {attention: {heads: 3, bias: false, dropout: 0.1}}]"),
    )

    def output_shape(self, a, shapes):
        if shapes[0][0] % a.heads:
            raise LayerError(
                f"the heads must divide the features, but {a.heads} does not divide {shapes[0][0]}", arg="heads"
            )
        return shapes[0]

    def weights(self, a, shapes):
        d = shapes[0][0]
        arrays = [Weight("qkv_weights", (3 * d, d), axes=("3*D", "D"))]
        if a.bias:
            arrays.append(Weight("qkv_bias", (3 * d,), init="small", axes=("3*D",), bias=True))
        arrays.append(Weight("out_weights", (d, d), axes=("D", "D")))
        if a.bias:
            arrays.append(Weight("out_bias", (d,), init="small", axes=("D",), bias=True))
        return tuple(arrays)

    @staticmethod
    def _sizes(shapes) -> tuple:
        """``(D, L)``: features and tokens."""
        return shapes[0][0], prod(shapes[0][1:])

    def projection_macs(self, a, shapes) -> int:
        d, length = self._sizes(shapes)
        return length * d * 4 * d

    def product_macs(self, a, shapes) -> int:
        d, length = self._sizes(shapes)
        return 2 * length * length * d

    def macs(self, a, shapes, out):
        return self.projection_macs(a, shapes) + self.product_macs(a, shapes)

    def products(self, a, shapes, out):
        d, length = self._sizes(shapes)
        head = d // a.heads
        return (
            (1, length, d, 3 * d),  # queries, keys and values: a row per token
            (a.heads, length, head, length),  # Q K^T per head
            (a.heads, length, length, head),  # A V per head
            (1, length, d, d),  # the output projection
        )

    def backward_macs(self, a, shapes, out, input_grad, weight_grad):
        # The projections: one product for the input's gradient, one for the weights'. The
        # two products of each head: both operands' gradients, needed for either.
        if not (input_grad or weight_grad):
            return 0
        return self.projection_macs(a, shapes) * (int(input_grad) + int(weight_grad)) + 2 * self.product_macs(
            a, shapes
        )

    def saved(self, a, shapes):
        # PyTorch's Linear reads the tokens of a channels-first map as rows, copies them and
        # keeps the copy instead of the input (saved_extra_bytes).
        return ()

    def saved_extra_bytes(self, a, shapes, out, width):
        # As PyTorch's autograd keeps them in the math implementation: the input's rows (for
        # the projection's weights), the projected queries, keys and values (one array),
        # the queries and keys scaled by 1/sqrt(sqrt(D/heads)) each (Q K^T keeps both
        # factors), the maps after the softmax, and the heads' output (the output
        # projection's input): 7*L*D + heads*L*L values. Dropout on the maps keeps its mask
        # and the maps after it, two more maps of the activations' width.
        d, length = self._sizes(shapes)
        maps = a.heads * length * length
        kept = 7 * length * d + maps
        if a.dropout:
            kept += 2 * maps
        return kept * width

    def receptive_field(self, a, fields, shapes):
        return GLOBAL

    def forward(self, a, xs, w, k):
        x = xs[0]
        n, d = x.shape[:2]
        rows = x.reshape(n, d, -1).transpose(0, 2, 1)  # (N, L, D)
        length, heads = rows.shape[1], a.heads
        head = d // heads
        qkv = k.dense(rows.reshape(n * length, d), w["qkv_weights"], w.get("qkv_bias"))
        q, keys, values = qkv.reshape(n, length, 3, heads, head).transpose(2, 0, 3, 1, 4)  # (N, heads, L, head) each
        scores = k.matmul(q, keys.transpose(0, 1, 3, 2)) * (1 / math.sqrt(head))
        scores -= scores.max(axis=-1, keepdims=True)
        maps = np.exp(scores)
        maps /= maps.sum(axis=-1, keepdims=True)
        mixed = k.matmul(maps, values).transpose(0, 2, 1, 3).reshape(n * length, d)
        out = k.dense(mixed, w["out_weights"], w.get("out_bias")).reshape(n, length, d)
        return out.transpose(0, 2, 1).reshape(x.shape).astype(x.dtype, copy=False)

    def worked_shape(self, a, shapes, out):
        d, length = self._sizes(shapes)
        return [f"the input's shape: {length} tokens of {d} features, {a.heads} heads of {d // a.heads}"]

    def worked_params(self, a, shapes):
        d = shapes[0][0]
        total = sum(w.size for w in self.weights(a, shapes))
        if a.bias:
            return f"4*{d}*{d} + 4*{d} = {total:,} (queries, keys, values and output: a {d}x{d} matrix and a bias each)"
        return f"4*{d}*{d} = {total:,} (queries, keys, values and output: a {d}x{d} matrix each)"

    def worked_macs(self, a, shapes, out):
        d, length = self._sizes(shapes)
        return (
            f"projections {length}*{d}*4*{d} = {self.projection_macs(a, shapes):,}, plus Q K^T and A V "
            f"2*{length}*{length}*{d} = {self.product_macs(a, shapes):,}: {self.macs(a, shapes, out):,}"
        )

    def worked_field(self, a, fields, shapes):
        return [GLOBAL_WORK]
