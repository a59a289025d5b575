"""Merges: several branches into one. Inputs are the primary argument:
``- add: [main, shortcut]``.

``add``, ``mul`` and ``max`` merge unit by unit, broadcasting an input of size 1 on an axis over
that axis (geometry.broadcast_shape: the one rule for every element-wise merge); their
field is the union of the inputs' (geometry.broadcast_field). ``concat`` joins channels.
"""

from __future__ import annotations

from ..errors import LayerError
from ..geometry import GLOBAL, broadcast_field, broadcast_shape, union_field
from .base import GLOBAL_INPUT_WORK, Arg, LayerType, Names, Numbers, np, register


class _Merge(LayerType):
    primary = "inputs"
    merges = True
    args = (Arg("inputs", Names(), doc="the names of the layers to merge"),)

    def receptive_field(self, a, fields, shapes):
        return union_field(fields, shapes[0][1:])

    def worked_field(self, a, fields, shapes):
        if any(field == GLOBAL for field in fields):
            return [GLOBAL_INPUT_WORK.replace("its input already sees", "one of its inputs already sees")]
        return ["the union of its inputs' fields: each output unit sees what any of them sees at its place"]


class _Elementwise(_Merge):
    """Unit by unit, with broadcasting: the NumPy ufunc named ``ufunc`` folded over the inputs."""

    ufunc = ""  # a name: numpy is imported only when a network runs

    def forward(self, a, xs, w, k):
        fold = getattr(np, self.ufunc)
        # into the first input, when the executor hands it over and it has the result's shape
        result = fold(xs[0], xs[1], out=k.into(xs, 0, *xs[1:])) if len(xs) > 1 else xs[0]
        for x in xs[2:]:
            result = fold(result, x)
        return result

    def output_shape(self, a, shapes):
        try:
            return broadcast_shape(shapes)
        except LayerError as error:
            raise LayerError(f"{self.name} {error}", arg=error.arg) from None

    def receptive_field(self, a, fields, shapes):
        return broadcast_field(fields, shapes, broadcast_shape(shapes))

    def worked_field(self, a, fields, shapes):
        out = broadcast_shape(shapes)
        for field, shape in zip(fields, shapes):
            if field == GLOBAL and shape[1:] != out[1:]:
                return [
                    f"global: its input of shape {list(shape)} sees the whole input and is read by every output unit"
                ]
        return super().worked_field(a, fields, shapes)

    def worked_shape(self, a, shapes, out):
        if all(shape == out for shape in shapes):
            return [f"the shape of its inputs: {list(out)}"]
        described = ", ".join(str(list(shape)) for shape in shapes)
        return [f"{described} broadcast (an axis of size 1 is repeated along the other inputs'): {list(out)}"]


@register
class Add(_Elementwise):
    """Element-wise sum (residual connections). Inputs of one shape, or shapes that broadcast:
    ``[C, H, W] + [C, 1, 1]`` adds one value per channel everywhere."""

    name = "add"
    aliases = ("sum", "residual", "eltwise_sum")
    ufunc = "add"
    saves = ()
    input_grad_is_view = True  # an input of the output's shape gets the output's gradient itself
    examples = (
        ((4, 8, 8), "[{conv: {filters: 4, kernel: 3, padding: 1}, name: a}, {add: [a, input]}]"),
        ((4, 8, 8), "[{global_avgpool, name: g}, {add: [input, g]}]"),
    )


@register
class WeightedSum(_Elementwise):
    """Element-wise weighted sum ``c1 * x1 + c2 * x2 + ...``, one coefficient per input, with
    broadcasting as ``add`` (Caffe's Eltwise SUM with ``coeff``: ``[1, -1]`` is a difference).
    Like ``add``, and like batchnorm's factor per unit, it counts no MACs. Each input's
    gradient is the output's times its coefficient: an array of its own in a training step,
    not the output's gradient itself as ``add`` passes it on. A coefficient of 0 would leave
    its input out of the output (and of the receptive field): leave it out of the inputs.

    Example::

        - weighted_sum: {inputs: [a, b], coefficients: [1, -1]}
    """

    name = "weighted_sum"
    aliases = ("weighted_add", "eltwise_sum_coeff")
    args = (*_Merge.args, Arg("coefficients", Numbers(), doc="one number per input, in the order of the inputs"))
    saves = ()  # a coefficient is a number of the file, not an array to keep
    examples = (
        (
            (4, 8, 8),
            "[{conv: {filters: 4, kernel: 3, padding: 1}, name: a}, {weighted_sum: {inputs: [a, input], "
            "coefficients: [1, -0.5]}}]",
        ),
        (
            (4, 8, 8),
            "[{global_avgpool, name: g}, {weighted_sum: {inputs: [input, g, input], coefficients: [2, 1, 0.25]}}]",
        ),
    )

    def output_shape(self, a, shapes):
        coefficients = a.coefficients
        if not isinstance(coefficients, tuple) or any(isinstance(c, tuple) for c in coefficients):
            raise LayerError("coefficients: a list of numbers, one per input", arg="coefficients")
        if len(coefficients) != len(shapes):
            raise LayerError(
                f"{len(coefficients)} coefficients for {len(shapes)} inputs: give one per input", arg="coefficients"
            )
        if 0 in coefficients:
            raise LayerError("a coefficient of 0 leaves its input out: take that input out instead", arg="coefficients")
        return super().output_shape(a, shapes)

    def forward(self, a, xs, w, k):
        # into the first input when the executor hands it over and it has the output's shape
        result = np.multiply(xs[0], a.coefficients[0], out=k.into(xs, 0, *xs[1:], *a.coefficients))
        for x, coefficient in zip(xs[1:], a.coefficients[1:]):
            term = x * coefficient
            if np.broadcast_shapes(result.shape, term.shape) == result.shape:
                result += term
            else:  # a broadcast first input: the sum is larger than it
                result = result + term
        return result


@register
class Mul(_Elementwise):
    """Element-wise product, with broadcasting: squeeze-and-excitation and other gating,
    ``[C, H, W] * [C, 1, 1]`` (a weight per channel) or ``* [1, H, W]`` (per position).

    A gate computed by global pooling makes every output unit see the whole input: the
    field after it is global.

    Example::

        - global_avgpool:
          from: features
          name: squeeze
        - conv: {filters: 16, kernel: 1}
        - relu
        - conv: {filters: 64, kernel: 1}
        - sigmoid:
          name: gate
        - mul: [features, gate]
    """

    name = "mul"
    aliases = ("multiply", "product", "eltwise_prod", "scale_by")
    ufunc = "multiply"
    saves = ("input",)  # each input's gradient is the other input times the output's
    probe_offset = 1.0  # 0 * a changed gate is still 0: probe around 1 instead
    examples = (
        (
            (8, 8, 8),
            "[{conv: {filters: 8, kernel: 3, padding: 1}, name: features}, global_avgpool,"
            " {conv: {filters: 2, kernel: 1}}, relu, {conv: {filters: 8, kernel: 1}}, {sigmoid, name: gate},"
            " {mul: [features, gate]}]",
        ),
        (
            (4, 8, 8),
            "[{conv: {filters: 4, kernel: 3, padding: 1}, name: a}, {conv: {filters: 4, kernel: 1}, from: input},"
            " {sigmoid, name: b}, {mul: [a, b]}]",
        ),
    )


@register
class Max(_Elementwise):
    """Element-wise maximum, with broadcasting (Caffe's Eltwise MAX; maxout and the max-feature-map
    of Light CNN take the larger of two branches at each unit)."""

    name = "max"
    aliases = ("maximum", "eltwise_max")
    ufunc = "maximum"
    saves = ("input",)  # the gradient goes to the input that held the maximum
    examples = (
        ((4, 8, 8), "[{conv: {filters: 4, kernel: 3, padding: 1}, name: a}, {max: [a, input]}]"),
        ((4, 8, 8), "[{global_maxpool, name: g}, {max: [input, g]}]"),
    )


@register
class Concat(_Merge):
    """Joins inputs along the channels (features, for flat inputs); other axes must agree."""

    name = "concat"
    aliases = ("cat", "concatenate", "depth_concat")
    saves = ()
    input_grad_is_view = True  # each input gets its slice of the output's gradient
    examples = (((4, 8, 8), "[{conv: {filters: 2, kernel: 3, padding: 1}, name: a}, {concat: [a, input]}]"),)

    def output_shape(self, a, shapes):
        if any(len(s) != len(shapes[0]) or s[1:] != shapes[0][1:] for s in shapes):
            described = ", ".join(str(list(s)) for s in shapes)
            raise LayerError(f"concat needs inputs whose spatial sizes agree; got {described}", arg="inputs")
        return (sum(s[0] for s in shapes), *shapes[0][1:])

    def worked_shape(self, a, shapes, out):
        return [f"channels: {' + '.join(str(s[0]) for s in shapes)} = {out[0]}; other axes as the inputs'"]

    def forward(self, a, xs, w, k):
        return np.concatenate(xs, axis=1)
