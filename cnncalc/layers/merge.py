"""Merges: several branches into one, unit by unit. Inputs are the primary argument:
``- add: [main, shortcut]``. The output's receptive field is the union of the branches'."""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import union_field
from .base import Arg, LayerType, Names, np, register


class _Merge(LayerType):
    primary = "inputs"
    merges = True
    args = (Arg("inputs", Names(), doc="the names of the layers to merge"),)

    def receptive_field(self, a, fields, shapes):
        return union_field(fields)


def _describe(shapes) -> str:
    return ", ".join(str(list(s)) for s in shapes)


@register
class Add(_Merge):
    """Element-wise sum of same-shaped inputs (residual connections)."""

    name = "add"
    aliases = ("sum", "residual", "eltwise_sum")
    saves = ()
    input_grad_is_view = True  # every input gets the output's gradient itself

    def output_shape(self, a, shapes):
        if any(s != shapes[0] for s in shapes):
            raise LayerError(f"add needs inputs of one shape; got {_describe(shapes)}", arg="inputs")
        return shapes[0]

    def forward(self, a, xs, w, k):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


@register
class Concat(_Merge):
    """Joins inputs along the channels (features, for flat inputs); other axes must agree."""

    name = "concat"
    aliases = ("cat", "concatenate", "depth_concat")
    saves = ()
    input_grad_is_view = True  # each input gets its slice of the output's gradient

    def output_shape(self, a, shapes):
        if any(len(s) != len(shapes[0]) or s[1:] != shapes[0][1:] for s in shapes):
            raise LayerError(f"concat needs inputs whose spatial sizes agree; got {_describe(shapes)}", arg="inputs")
        return (sum(s[0] for s in shapes), *shapes[0][1:])

    def worked_shape(self, a, shapes, out):
        return [f"channels: {' + '.join(str(s[0]) for s in shapes)} = {out[0]}; other axes as the inputs'"]

    def forward(self, a, xs, w, k):
        return np.concatenate(xs, axis=1)
