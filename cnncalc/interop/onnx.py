"""ONNX models read as architecture files: ``cnncalc summarize model.onnx``, ``cnncalc import``.

``read(path)`` returns the :class:`~cnncalc.spec.NetworkSpec` of an ONNX model, through the
same architecture file ``cnncalc import`` writes (``document_text(path)``): one reading,
one answer. Only shapes are read: weights' shapes come from the initializers' dimensions,
never their data, and a side ``.onnx.data`` file (the dynamo exporter's) is not opened.
ONNX's own shape inference supplies the shapes of the graph's tensors; every layer cnncalc
writes is held against them, so a reading that disagrees with ONNX is refused, never
reported.

How each ONNX operator becomes a layer is registered against the layer type class
(``@reads(conv.Conv, "Conv")``), as ``pytorch.py`` registers the other direction: a rule
gets the node and the reader and returns the arguments (or a :class:`Layer` of another
type, or the tensor it passes on unchanged). A few patterns the exporters write are read
back as the one layer they were: ``x * sigmoid(x)`` (SiLU), ``x * hardsigmoid(x)``
(hardswish), MatMul + Add (a linear layer with its bias), Reshape + Transpose + Reshape
(channel shuffle). An operator no rule reads, or reads with these attributes, is an error
naming the node, its operator and the operators cnncalc reads.

Needs the ``onnx`` package (``pip install 'cnncalc[onnx]'``), imported only here.
"""

from __future__ import annotations

import os

from ..errors import LayerError, Loc, SpecError
from ..layers import activation, conv, linear, merge, norm, pool, shape
from ..layers.base import Args, lookup, prod
from ..record import Record
from .document import flow, registrar, scalar

OPS: dict = {}  # ONNX operator -> (layer type class, rule)
READERS: dict = {}  # layer type class -> the ONNX operators read as it


# Registers a rule reading ONNX operators as layers of a type: @reads(conv.Conv, "Conv").
reads = registrar(OPS, READERS)


class Layer(Record, fields="cls args inputs suffix output"):
    """A layer a rule makes: its type class, arguments as written in a file, the tensors it
    reads (None: the node's first input, or the layer made just before), a suffix for its
    name (a second layer of one node) and the tensor it writes (None: the node's first
    output, for the last layer a rule makes)."""

    __slots__ = ()

    def __new__(cls, layer_class, args=None, inputs=None, suffix="", output=None):
        return super().__new__(cls, layer_class, dict(args or {}), inputs, suffix, output)


class Same(Record, fields="tensor last"):
    """The node passes this tensor on unchanged (Identity, a Reshape to the same shape);
    ``last``: True or False when it moves the channels to the last axis or back (a Transpose),
    None when it keeps the layout."""

    __slots__ = ()

    def __new__(cls, tensor, last=None):
        return super().__new__(cls, tensor, last)


class View(Record, fields="kind groups source eps"):
    """A tensor part way through a pattern: channel shuffle's grouped, then swapped view;
    group normalisation's groups, then normalised groups (as PyTorch's TorchScript exporter
    writes GroupNorm: Reshape, InstanceNormalization, Reshape back, Mul, Add); adaptive
    pooling's windows gathered side by side (``groups``: (axis, indices) pairs)."""

    __slots__ = ()

    def __new__(cls, kind, groups, source, eps=None):
        return super().__new__(cls, kind, groups, source, eps)


class Unsupported(Exception):
    """This node, with these attributes or inputs, has no faithful cnncalc layer."""


GENERIC_NAMES = ("", "main_graph", "torch_jit", "torch-jit-export")  # the exporters' defaults, not names
EXTRA_HINT = "reading ONNX files needs the onnx package: pip install 'cnncalc[onnx]'"


def read(path: str, shape: tuple | None = None):
    """The NetworkSpec of the ONNX model at ``path`` (raises SpecError); ``shape`` as
    ``document_text`` takes it."""
    return parse_text(document_text(path, shape=shape), path)


def parse_text(text: str, path: str):
    """The NetworkSpec of an imported file's text, positions naming ``path``."""
    from .. import source, spec

    return spec.parse(source.parse(text, path), path)


def document_text(path: str, folded: bool = True, source: str | None = None, shape: tuple | None = None) -> str:
    """The architecture file (YAML text) of the ONNX model at ``path``, its repeated blocks
    folded into modules (fold.py) unless ``folded`` is False; ``source`` says where the
    model came from in the header, when not from ``path`` itself; ``shape``: the input's
    (channels first, no batch) for a model whose input has sizes named, not given (an
    export with dynamic axes)."""
    reader = Reader(path, shape)
    document = reader.document()
    head = header(path, reader.model, source)
    if reader.given:
        head += f"# Read on an input of {'x'.join(map(str, shape))} (--input): the model's is {reader.given}.\n"
    flat = render(document, head)
    if not folded:
        return flat
    from .fold import fold

    modules, layers = fold(document)
    if not modules:
        return flat
    nested = any(record["type"] in modules for module in modules.values() for record in module["layers"])
    head += (
        "# Blocks the graph repeats are folded into modules"
        + (" (blocks of blocks too, where the graph repeats them)" if nested else "")
        + ", their differing arguments as parameters.\n"
    )
    text = render({**document, "layers": layers}, head, modules)
    # One reading, one answer: the folded file must give every layer's figures as the flat one.
    if _figures(text, path) != _figures(flat, path):  # pragma: no cover - a bug of fold.py, kept from users
        return flat
    return text


def _figures(text: str, path: str) -> list:
    from ..analysis import propagate
    from ..graph import build

    layers = propagate(build(parse_text(text, path))).layers
    return [
        (layer.type, layer.shape, layer.params, layer.buffers, layer.macs, layer.receptive_field) for layer in layers
    ]


def _load(path: str, shape: tuple | None = None):
    """``(onnx, model, given)``: the model with ONNX's shape inference, on an input of
    ``shape`` where its own sizes are named (``given``: the input's shape as the model
    wrote it, or None)."""
    try:
        import onnx
    except ImportError:
        raise SpecError.at(Loc(path, None, None), EXTRA_HINT) from None
    try:
        model = onnx.load(path, load_external_data=False)
    except FileNotFoundError:
        raise SpecError.at(Loc(path, None, None), "cannot read: no such file") from None
    except OSError as error:
        raise SpecError.at(Loc(path, None, None), f"cannot read: {error.strerror or error}") from None
    except Exception as error:  # noqa: BLE001 (protobuf's DecodeError and friends)
        raise SpecError.at(Loc(path, None, None), f"not an ONNX model ({type(error).__name__}: {error})") from None
    if not model.graph.node:
        raise SpecError.at(Loc(path, None, None), "not an ONNX model, or one with an empty graph")
    given = _fix_input(model, shape, path) if shape is not None else None
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # noqa: BLE001 (inference is a help, not a requirement)
        pass
    return onnx, model, given


def _fix_input(model, shape: tuple, path: str) -> str:
    """Gives the model's one input the sizes ``shape`` (batch 1) where it names them instead
    (``N``, ``height``: an export with dynamic axes), clearing what the exporter inferred from
    the named sizes; returns the input's shape as written. A size the model gives must agree."""
    weights = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    if len(inputs) != 1:
        raise SpecError.at(
            Loc(path, None, None), f"cnncalc reads networks with one input; this graph has {len(inputs)}"
        )
    dims = inputs[0].type.tensor_type.shape.dim
    written = _show_shape(_onnx_shape(inputs[0]))
    if len(dims) != len(shape) + 1:
        raise SpecError.at(
            Loc(path, None, None), f"--input gives {len(shape)} sizes; the model's input {written} has {len(dims) - 1}"
        )
    named = False
    for index, size in enumerate((1, *shape)):
        dim = dims[index]
        if not dim.HasField("dim_value") or dim.dim_value < 1:
            named = named or index > 0
        elif index > 0 and dim.dim_value != size:
            raise SpecError.at(
                Loc(path, None, None), f"--input {'x'.join(map(str, shape))}: the model's input is {written}"
            )
        dim.Clear()
        dim.dim_value = size
    if not named:
        return None
    del model.graph.value_info[:]  # shapes in terms of the named sizes: inferred again
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                dim.Clear()
    return written


def header(path: str, model, source: str | None = None) -> str:
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    producer = " ".join(part for part in (model.producer_name, model.producer_version) if part)
    origin = (
        f"# Imported by cnncalc from {source}."
        if source
        else f"# Imported by cnncalc from {os.path.basename(path)} (ONNX, opset {opsets}"
        + (f", written by {producer}" if producer else "")
        + ")."
    )
    lines = [
        origin,
        "# Shapes only: weights were read as their dimensions. Layer names are the graph's node names.",
    ]
    return "\n".join(lines) + "\n"


class Reader:
    """Walks one ONNX graph in order and writes its layers."""

    def __init__(self, path: str, shape: tuple | None = None):
        self.path = path
        self.onnx, self.model, self.given = _load(path, shape)
        graph = self.model.graph
        self.graph = graph
        self.weights = {init.name: tuple(init.dims) for init in graph.initializer}
        self.initializers = set(self.weights)  # the learned arrays (and buffers), as opposed to computed constants
        self.consts: dict = {}
        # constant -> per value, the index in ``sizes_read`` of the (tensor, axis) a Shape read
        # it from, or -1: where a Resize's sizes come from (F.interpolate(x, size=y.shape[-2:])
        # is like: y). Indices, so that numpy moves them as it moves the values.
        self.origins: dict = {}
        self.sizes_read: list = []
        from onnx import numpy_helper

        self.numpy_helper = numpy_helper
        for init in graph.initializer:
            if init.data_location != self.onnx.TensorProto.EXTERNAL and prod(init.dims) <= 64:
                self.consts[init.name] = numpy_helper.to_array(init)
        self.onnx_shapes = {}
        for info in [*graph.input, *graph.value_info, *graph.output]:
            self.onnx_shapes[info.name] = _onnx_shape(info)
        self.consumers: dict = {}
        for node in graph.node:
            # CastLike reads its second input's type only, not its values
            for name in node.input[:1] if node.op_type == "CastLike" else node.input:
                self.consumers.setdefault(name, []).append(node)
        self.refs: dict = {}  # tensor -> the layer writing it (its name, or "input")
        self.shapes: dict = {}  # tensor -> cnncalc's shape of it (no batch)
        self.views: dict = {}  # tensor -> View
        self.last: set = set()  # tensors laid out channels last (PyTorch's permute before a Linear or LayerNorm)
        self.layers: list = []
        self.names: set = {"input"}
        self.skipped: set = set()  # nodes a pattern read together with another node
        self.fused: dict = {}  # id(node) -> the Layer a pattern ending at it makes
        self.also: dict = {}  # id(node) -> tensors that are its output too (a fused bias Add)
        self.pool_pads: dict = {}  # id(MaxPool node) -> (before, after) per axis of a -inf Pad before it
        self.producer = {output: node for node in graph.node for output in node.output}
        self.opset = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), 1)
        for node in graph.node:  # weights transposed by a node (a Linear's [out, in] as MatMul's [in, out])
            if node.op_type in ("Transpose", "Identity") and node.input[0] in self.initializers:
                self.fold(node)
        self.patterns()

    # -- the error path ------------------------------------------------------------------

    def fail(self, message: str):
        raise SpecError.at(Loc(self.path, None, None), message)

    def unsupported(self, node, reason: str):
        supported = ", ".join(sorted(OPS))
        self.fail(
            f'node "{node.name or "(unnamed)"}" ({node.op_type}): {reason}; '
            f"cnncalc reads these ONNX operators: {supported}"
        )

    # -- what rules ask ------------------------------------------------------------------

    def attr(self, node, name: str, default=None):
        for attribute in node.attribute:
            if attribute.name == name:
                return self.onnx.helper.get_attribute_value(attribute)
        return default

    def const(self, tensor: str):
        """The value of a small constant tensor (an initializer, a Constant, a folded shape), or None."""
        return self.consts.get(tensor)

    def learned(self, tensor: str) -> bool:
        """Whether the tensor is an initializer: learned (or kept), not computed from constants
        as the dynamo exporter computes a zero bias for a convolution without one."""
        return tensor in self.initializers

    def is_activation(self, tensor: str) -> bool:
        return tensor in self.refs or tensor in self.views

    def shape(self, tensor: str) -> tuple:
        if tensor not in self.shapes:
            raise Unsupported(f"its input {tensor!r} is not a layer's output here (a constant, or a reshaped view)")
        return self.shapes[tensor]

    def input_of(self, node, index: int = 0) -> str:
        return node.input[index] if len(node.input) > index else ""

    def optional(self, node, index: int):
        """The constant value of an optional input, None if absent."""
        name = self.input_of(node, index)
        if not name:
            return None
        value = self.const(name)
        if value is None:
            raise Unsupported(f"its input {name!r} must be a constant")
        return value

    def only_consumer(self, tensor: str):
        users = self.consumers.get(tensor, [])
        outputs = {o.name for o in self.graph.output}
        return users[0] if len(users) == 1 and tensor not in outputs else None

    # -- the walk ------------------------------------------------------------------------

    def document(self) -> dict:
        graph = self.graph
        inputs = [i for i in graph.input if i.name not in self.weights]
        if len(inputs) != 1:
            self.fail(f"cnncalc reads networks with one input; this graph has {len(inputs)}")
        first = inputs[0]
        full = self.onnx_shapes.get(first.name)
        if full is None or len(full) < 2 or any(not isinstance(n, int) or n < 1 for n in full[1:]):
            self.fail(
                f'the input "{first.name}" needs a known shape [batch, C, ...] with whole numbers after the batch; '
                f"it has {_show_shape(full)} (sizes named by an export with dynamic axes: `cnncalc summarize "
                f"{os.path.basename(self.path)} --input 3x224x224` reads it on an input of that size, as the "
                "other commands and `cnncalc import` do with --input)"
            )
        self.refs[first.name] = "input"
        self.shapes[first.name] = tuple(full[1:])
        for node in graph.node:
            if id(node) in self.skipped:
                continue
            self.visit(node)
        outputs = [o.name for o in graph.output]
        if len(outputs) != 1:
            self.fail(f"cnncalc reads networks with one output; this graph has {len(outputs)}")
        if outputs[0] in self.views or outputs[0] in self.last:
            self.fail(f'the output "{outputs[0]}" is a reshaped view cnncalc cannot represent')
        if not self.layers:
            self.fail("the graph has no layers cnncalc counts")
        last = self.refs.get(outputs[0])
        if last != self.layers[-1]["name"]:
            self.fail(f'the output "{outputs[0]}" is not written by the last node; cnncalc cannot represent that order')
        name = graph.name if graph.name not in GENERIC_NAMES else os.path.splitext(os.path.basename(self.path))[0]
        return {"name": name, "input": list(self.shapes[first.name]), "layers": self.layers}

    def patterns(self) -> None:
        """Finds the exporters' multi-node patterns before the walk: ``x * sigmoid(x)`` and
        ``x * hardsigmoid(x)`` (one activation), MatMul then Add of a bias (one linear layer)."""
        for node in self.graph.node:
            if node.op_type == "Mul" and len(node.input) == 2:
                for x, gate in (node.input, reversed(node.input)):
                    producer = self.producer.get(gate)
                    if producer is None or not producer.input or producer.input[0] != x:
                        continue
                    if self.only_consumer(gate) is not node:
                        continue
                    hard = producer.op_type == "HardSigmoid"
                    if hard and abs(self.attr(producer, "alpha", 0.2) - 1 / 6) > 1e-6:
                        continue
                    if producer.op_type == "Sigmoid" or hard:
                        self.skipped.add(id(producer))
                        cls = activation.HardSwish if hard else activation.SiLU
                        self.fused[id(node)] = Layer(cls, inputs=[x])
                        break
            if node.op_type == "Erf":
                self.gelu(node)
            if node.op_type == "Div" and len(node.input) == 2:
                self.lrn(node)
                self.layernorm(node)
            if node.op_type == "MatMul" and node.input[1] in self.weights and len(self.weights[node.input[1]]) == 2:
                add = self.only_consumer(node.output[0])
                if add is None or add.op_type != "Add":
                    continue
                other = add.input[1] if add.input[0] == node.output[0] else add.input[0]
                if self.learned(other) and prod(self.weights[other]) == self.weights[node.input[1]][1]:
                    self.skipped.add(id(add))
                    self.fused[id(node)] = lambda r, node=node: _linear(node, r, {})
                    self.also[id(node)] = [add.output[0]]

    def constant_value(self, tensor: str):
        """A constant's value before the walk: an initializer's, or a Constant node's."""
        if tensor in self.consts:
            return self.consts[tensor]
        producer = self.producer.get(tensor)
        if producer is not None and producer.op_type == "Constant" and self.attr(producer, "value") is not None:
            return self.numpy_helper.to_array(self.attr(producer, "value"))
        if producer is not None and producer.op_type in ("Cast", "CastLike", "Identity"):
            return self.constant_value(producer.input[0])  # the dynamo exporter casts its scalars
        return None

    def gelu(self, erf) -> None:
        """``x * 0.5 * (1 + erf(x / sqrt 2))`` in any of the orders exporters write, as one gelu."""
        import math

        def number(tensor, wanted):
            value = self.constant_value(tensor)
            return value is not None and value.size == 1 and abs(float(value.reshape(-1)[0]) - wanted) < 1e-4

        div = self.producer.get(erf.input[0])
        if div is None or div.op_type != "Div" or not number(div.input[1], math.sqrt(2)):
            return
        x = div.input[0]
        add = self.only_consumer(erf.output[0])
        if add is None or add.op_type != "Add" or not number(_other(add, erf.output[0]), 1.0):
            return
        first = self.only_consumer(add.output[0])
        if first is None or first.op_type != "Mul":
            return
        other = _other(first, add.output[0])
        if other == x or number(other, 0.5):  # (x * (1 + erf)) * 0.5, or x * (0.5 * (1 + erf))
            last = self.only_consumer(first.output[0])
            wanted = (lambda t: number(t, 0.5)) if other == x else (lambda t: t == x)
            if last is None or last.op_type != "Mul" or not wanted(_other(last, first.output[0])):
                return
        else:  # (x * 0.5) * (1 + erf)
            half = self.producer.get(other)
            if half is None or half.op_type != "Mul" or x not in half.input or not number(_other(half, x), 0.5):
                return
            if self.only_consumer(other) is not first:
                return
            last = first
            self.skipped.add(id(half))
            first = None
        if self.consumers.get(div.output[0]) != [erf]:
            return
        self.skipped.update(id(n) for n in (div, erf, add, first) if n is not None)
        self.fused[id(last)] = Layer(activation.GELU, inputs=[x])

    def lrn(self, div) -> None:
        """PyTorch's LocalResponseNorm as its exporter writes it: ``x / (k + alpha * avg(x*x
        over a window of channels)) ** beta``, an AveragePool over a padded, reshaped square
        among a few dozen shape nodes; read as one lrn when everything between x and the Div
        is that and nothing else reads it."""
        x, denominator = div.input
        cone, stack = [], [denominator]
        seen = set()
        while stack:
            tensor = stack.pop()
            producer = self.producer.get(tensor)
            if tensor == x or producer is None or id(producer) in seen or producer.op_type == "Constant":
                continue  # constants (shared between modules by the exporter) are folded as usual
            seen.add(id(producer))
            cone.append(producer)
            stack.extend(name for name in producer.input if name)
            if len(cone) > 200:
                return
        for node in cone:
            for output in node.output:
                users = self.consumers.get(output, [])
                if output != denominator and any(id(user) not in seen for user in users):
                    return
        ops = [node.op_type for node in cone]
        if ops.count("AveragePool") != 1 or "Pow" not in ops:
            return
        if not any(n.op_type == "Mul" and list(n.input) == [x, x] for n in cone):
            return
        pool = cone[ops.index("AveragePool")]
        kernel = list(self.attr(pool, "kernel_shape"))
        power = self.producer.get(denominator)
        if power is None or power.op_type != "Pow":
            return
        add = self.producer.get(power.input[0])
        if add is None or add.op_type != "Add":
            return
        scale = next((self.producer.get(name) for name in add.input if self.producer.get(name) in cone), None)
        values = [self.constant_value(name) for name in (power.input[1], _other(add, scale.output[0]) if scale else "")]
        if scale is None or scale.op_type != "Mul" or any(v is None or v.size != 1 for v in values):
            return
        alpha = next((self.constant_value(name) for name in scale.input if self.constant_value(name) is not None), None)
        if alpha is None or alpha.size != 1 or kernel[1:] != [1] * (len(kernel) - 1):
            return
        beta, k = (float(v.reshape(-1)[0]) for v in values)
        self.skipped.update(id(node) for node in cone)
        self.fused[id(div)] = Layer(
            norm.LRN,
            {
                "size": kernel[0],
                "alpha": _rounded(float(alpha.reshape(-1)[0])),
                "beta": _rounded(beta),
                "k": _rounded(k),
            },
            inputs=[x],
        )

    def layernorm(self, div) -> None:
        """LayerNorm below opset 17, as PyTorch's exporter writes it: ``(x - mean) / sqrt(mean((x
        - mean)^2) + eps)``, then a Mul by the weight and an Add of the bias if it has them."""
        centred, root = div.input
        sub, sqrt = self.producer.get(centred), self.producer.get(root)
        if sub is None or sub.op_type != "Sub" or sqrt is None or sqrt.op_type != "Sqrt":
            return
        x, mean = sub.input
        reduce = self.producer.get(mean)
        add = self.producer.get(sqrt.input[0])
        if reduce is None or reduce.op_type != "ReduceMean" or reduce.input[0] != x or add is None:
            return
        variance = next((self.producer.get(name) for name in add.input if self.producer.get(name) is not None
                         and self.producer[name].op_type == "ReduceMean"), None)  # fmt: skip
        power = self.producer.get(variance.input[0]) if variance is not None else None
        if add.op_type != "Add" or power is None or power.op_type != "Pow" or power.input[0] != centred:
            return
        eps = self.constant_value(_other(add, variance.output[0]))
        if (
            eps is None
            or eps.size != 1
            or sorted(map(id, self.consumers.get(centred, []))) != sorted((id(power), id(div)))
        ):
            return
        axes = self.attr(reduce, "axes")
        if axes is None and len(reduce.input) > 1:
            axes = self.constant_value(reduce.input[1])
        if axes is None or self.attr(variance, "axes") is not None and list(self.attr(variance, "axes")) != list(axes):
            return
        pattern = [reduce, sub, power, variance, add, sqrt]
        if any(self.only_consumer(node.output[0]) is None for node in (reduce, power, variance, add, sqrt)):
            return
        last, args = div, {"eps": _rounded(float(eps.reshape(-1)[0]))}
        scale = self.only_consumer(div.output[0])
        if scale is not None and scale.op_type == "Mul" and self.learned(_other(scale, div.output[0])):
            shift = self.only_consumer(scale.output[0])
            pattern.append(div)
            last = scale
            args["affine"] = True
            if shift is not None and shift.op_type == "Add" and self.learned(_other(shift, scale.output[0])):
                pattern.append(scale)
                last = shift
            else:
                args["bias"] = False
        else:
            args["affine"] = False
        self.skipped.update(id(node) for node in pattern)
        self.fused[id(last)] = lambda r: _layernorm_over(r, x, [int(a) for a in axes], args)

    def visit(self, node) -> None:
        if self.fold(node):
            return
        entry = OPS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if id(node) in self.fused:  # the last node of a pattern (its layer made before the walk, or now)
            made = self.fused[id(node)]
            cls, rule = None, (lambda node, r: made(r)) if callable(made) else (lambda node, r: made)
        elif entry is None:
            self.unsupported(node, "no cnncalc layer computes this operator")
        else:
            cls, rule = entry
            for name in node.input:
                if name and not self.is_activation(name) and name not in self.weights and self.const(name) is None:
                    self.unsupported(node, f"its input {name!r} is neither a layer's output nor a constant")
        try:
            made = rule(node, self)
        except Unsupported as error:
            self.unsupported(node, str(error))
        except (KeyError, IndexError, TypeError, ValueError) as error:  # an attribute or input of a form not foreseen
            self.unsupported(node, f"its attributes or inputs have a form cnncalc does not read ({error!r})")
        if isinstance(made, Same):
            self.alias(node.output[0], made.tensor)
            if made.last is not None:
                (self.last.add if made.last else self.last.discard)(node.output[0])
            return
        if isinstance(made, View):
            self.views[node.output[0]] = made
            return
        if isinstance(made, dict):
            made = [Layer(cls, made)]
        elif isinstance(made, Layer):
            made = [made]
        previous_last = False
        for index, layer in enumerate(made):
            last = index == len(made) - 1
            inputs = layer.inputs
            if inputs is None:
                inputs = [node.input[0]] if index == 0 else [None]
            output = layer.output or (node.output[0] if last else None)
            previous_last = self.channels_last(node, layer, inputs, previous_last)
            self.emit(node, layer, inputs, output, previous_last)
        for extra in self.also.get(id(node), ()):
            self.alias(extra, node.output[0])
        for extra in node.output[1:]:
            if extra and self.consumers.get(extra) and extra not in self.refs:
                self.unsupported(node, f"its output {extra!r} is used, and cnncalc reads only the first")

    def alias(self, tensor: str, source: str) -> None:
        if source in self.views:
            self.views[tensor] = self.views[source]
        else:
            self.refs[tensor] = self.refs[source]
            self.shapes[tensor] = self.shapes[source]
        if source in self.last:
            self.last.add(tensor)

    def channels_last(self, node, layer: Layer, inputs: list, previous_last: bool) -> bool:
        """Whether the layer reads (and so writes) channels-last tensors; only layers that do
        not care (element-wise ones) or that were read as such (a linear layer or a layer
        norm over the channels) may."""
        layouts = {previous_last if tensor is None else tensor in self.last for tensor in inputs}
        if len(layouts) > 1:
            self.unsupported(node, "it mixes channels-first and channels-last tensors")
        last = layouts == {True}
        if last and not issubclass(layer.cls, LAYOUT_FREE):
            self.unsupported(node, f"a {lookup(layer.cls.name)[0].name} of a channels-last tensor (a permuted map)")
        return last

    def emit(self, node, layer: Layer, inputs: list, output: str | None, channels_last: bool = False) -> None:
        layer_type = lookup(layer.cls.name)[0]
        previous = self.layers[-1]["name"] if self.layers else "input"
        previous_shape = self.layers[-1]["shape"] if self.layers else None
        names, shapes = [], []
        for tensor in inputs:
            if tensor is None:  # the layer emitted just before, for this node
                names.append(previous)
                shapes.append(previous_shape)
                continue
            if tensor in self.views:
                self.unsupported(node, "its input is a reshaped view cnncalc cannot represent")
            names.append(self.refs[tensor])
            shapes.append(self.shapes[tensor])
        name = self.unique(_layer_name(node) + layer.suffix)
        args = dict(layer.args)
        if layer_type.merges:
            args = {layer_type.primary: names}
        values = {}
        for arg in layer_type.args:
            given = args.get(arg.name, arg.default)
            try:
                values[arg.name] = (
                    tuple(given)
                    if arg.name == layer_type.primary and layer_type.merges
                    else (arg.kind.parse(given) if arg.name in args else given)
                )
            except Exception as error:  # noqa: BLE001 (an ArgError: a reading no layer accepts)
                self.unsupported(node, f"{arg.name}: {error}")
        try:
            out = tuple(layer_type.output_shape(Args(values), tuple(shapes)))
        except LayerError as error:
            self.unsupported(node, f"as {layer_type.name}: {error}")
        if output is not None:
            expected = self.onnx_shapes.get(output)
            if expected is not None and len(expected) >= 1 and all(isinstance(n, int) for n in expected[1:]):
                if channels_last and len(expected) > 2:
                    expected = (expected[0], expected[-1], *expected[1:-1])
                if tuple(expected[1:]) != out:
                    self.unsupported(
                        node,
                        f"read as {layer_type.name}, its output would be {list(out)}, but ONNX says "
                        f"{list(expected[1:])}",
                    )
            self.refs[output] = name
            self.shapes[output] = out
            if channels_last:
                self.last.add(output)
        record = {"type": layer_type.name, "args": args, "name": name, "from": names, "shape": out}
        record["merges"] = layer_type.merges
        self.layers.append(record)

    def unique(self, name: str) -> str:
        from .export import numbered

        return numbered(name, self.names)

    # -- constant folding: shape arithmetic the exporters write ---------------------------

    def trace(self, node, inputs: list, values: list) -> None:
        """Where a folded constant's values came from, if they were moved (not computed)
        from a Shape's: its ``origins``."""
        import numpy as np

        moved = MOVES.get(node.op_type, 0)
        data = len(inputs) if moved is None else moved
        if not any(name in self.origins for name in inputs[:data]):
            return
        given = []
        for index, (name, value) in enumerate(zip(inputs, values)):
            if index < data:
                value = self.origins.get(name)
                if value is None:
                    value = np.full(np.shape(self.const(name)), -1, dtype=np.int64)
            given.append(value)
        try:
            moved = _fold(node.op_type, given, lambda key, default=None: self.attr(node, key, default))
        except Exception:  # noqa: BLE001 (the values' origins are a help: without them, a size)
            return
        if np.shape(moved) == np.shape(self.consts[node.output[0]]):
            self.origins[node.output[0]] = np.asarray(moved)

    def like(self, sizes: str, spatial: int):
        """The tensor whose spatial size a Resize's ``sizes`` input is, read from its Shape, or None."""
        origins = self.origins.get(sizes)
        if origins is None or origins.ndim != 1 or len(origins) < spatial or min(origins[-spatial:]) < 0:
            return None
        found = [self.sizes_read[int(index)] for index in origins[-spatial:]]
        tensors = {tensor for tensor, _ in found}
        if len(tensors) != 1:
            return None
        tensor = tensors.pop()
        rank = len(self.shapes[tensor]) + 1
        if [axis for _, axis in found] != list(range(rank - spatial, rank)):
            return None
        return tensor

    def fold(self, node) -> bool:
        """Computes nodes whose inputs are all constants (shape arithmetic); True if done."""
        import numpy as np

        if node.op_type == "Constant":
            value = self.attr(node, "value")
            if value is None:
                for key in ("value_int", "value_ints", "value_float", "value_floats"):
                    if self.attr(node, key) is not None:
                        value = np.array(self.attr(node, key))
                        break
            else:
                value = self.numpy_helper.to_array(value)
            if value is None:
                return False
            self.consts[node.output[0]] = value
            self.weights[node.output[0]] = tuple(np.shape(value))
            return True
        if node.op_type == "Unsqueeze" and node.input[0] in self.weights and self.const(node.input[0]) is None:
            axes = self.attr(node, "axes")
            axes = [int(a) for a in (axes if axes is not None else self.const(node.input[1]))]
            dims = list(self.weights[node.input[0]])
            for axis in sorted(a % (len(dims) + len(axes)) for a in axes):
                dims.insert(axis, 1)
            self.weights[node.output[0]] = tuple(dims)  # a weight's shape, its values unread
            if node.input[0] in self.initializers:
                self.initializers.add(node.output[0])
            return True
        if node.op_type == "CastLike" and node.input[0] in self.weights:  # a constant or weight, retyped
            if self.const(node.input[0]) is not None:
                self.consts[node.output[0]] = self.const(node.input[0])
            self.weights[node.output[0]] = self.weights[node.input[0]]
            if node.input[0] in self.initializers:
                self.initializers.add(node.output[0])
            return True
        if node.op_type == "Shape":
            source = node.input[0]
            if source in self.weights:
                full = self.weights[source]
            elif source in self.shapes:
                full = (1, *self.shapes[source])
            else:
                full = self.onnx_shapes.get(source)
                if full is None or any(not isinstance(n, int) for n in full[1:]):
                    return False
                full = (1, *full[1:])
            start, end = self.attr(node, "start", 0), self.attr(node, "end", None)
            self.consts[node.output[0]] = np.array(full[start:end], dtype=np.int64)
            if source in self.shapes:
                first = len(self.sizes_read)
                self.sizes_read += [(source, axis) for axis in range(len(full))]
                self.origins[node.output[0]] = np.arange(first, len(self.sizes_read))[start:end]
            return True
        if node.op_type == "Transpose" and node.input[0] in self.weights and self.const(node.input[0]) is None:
            dims = self.weights[node.input[0]]
            perm = self.attr(node, "perm") or list(reversed(range(len(dims))))
            self.weights[node.output[0]] = tuple(dims[axis] for axis in perm)  # a weight's shape, its values unread
            if node.input[0] in self.initializers:
                self.initializers.add(node.output[0])
            return True
        if node.op_type == "Identity" and node.input[0] in self.weights:  # a shared weight, named again
            self.weights[node.output[0]] = self.weights[node.input[0]]
            if node.input[0] in self.initializers:
                self.initializers.add(node.output[0])
            if node.input[0] in self.consts:
                self.consts[node.output[0]] = self.consts[node.input[0]]
            return True
        inputs = [name for name in node.input if name]
        if not inputs or any(self.const(name) is None for name in inputs):
            return False
        values = [self.const(name) for name in inputs]
        try:
            result = _fold(node.op_type, values, lambda key, default=None: self.attr(node, key, default))
        except Exception:  # noqa: BLE001 (not foldable: read as a layer, or refused there)
            return False
        if result is None:
            return False
        self.consts[node.output[0]] = result
        self.trace(node, inputs, values)
        self.weights[node.output[0]] = tuple(np.shape(result))
        if node.op_type in ("Unsqueeze", "Identity", "Reshape", "Squeeze") and node.input[0] in self.initializers:
            self.initializers.add(node.output[0])  # the same learned values, reshaped
        return True


# Operators that move values without computing new ones, and how many of their first
# inputs are the data moved (the rest say how: indices, axes, a shape).
MOVES = {"Identity": 1, "Cast": 1, "Gather": 1, "Unsqueeze": 1, "Squeeze": 1, "Reshape": 1, "Slice": 1,
         "Transpose": 1, "Concat": None}  # fmt: skip


def _fold(op: str, values: list, attr):
    import numpy as np

    if op == "Identity" or op == "Cast":
        return values[0]
    if op in ("Add", "Sub", "Mul", "Div"):
        a, b = values
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.floor_divide
                if a.dtype.kind == "i" else np.divide}[op](a, b)  # fmt: skip
    if op == "Gather":
        return np.take(values[0], values[1], axis=attr("axis", 0))
    if op == "Unsqueeze":
        axes = attr("axes") if len(values) == 1 else list(values[1])
        result = values[0]
        for axis in sorted(a % (result.ndim + len(axes)) for a in axes):
            result = np.expand_dims(result, axis)
        return result
    if op == "Squeeze":
        axes = attr("axes") if len(values) == 1 else list(values[1])
        return np.squeeze(values[0], axis=tuple(axes)) if axes else np.squeeze(values[0])
    if op == "Concat":
        return np.concatenate(values, axis=attr("axis", 0))
    if op == "Reshape":
        return values[0].reshape(values[1])
    if op == "Range":
        return np.arange(*(value.reshape(-1)[0] for value in values))
    if op == "Transpose":
        return np.transpose(values[0], attr("perm"))
    if op == "Expand":
        return values[0] * np.ones(tuple(int(n) for n in values[1]), dtype=values[0].dtype)
    if op == "Slice":
        data, starts, ends = values[:3]
        axes = values[3] if len(values) > 3 else range(len(starts))
        steps = values[4] if len(values) > 4 else [1] * len(starts)
        index = [slice(None)] * data.ndim
        for s, e, axis, step in zip(starts, ends, axes, steps):
            index[int(axis)] = slice(int(s), int(e), int(step))
        return data[tuple(index)]
    if op == "ConstantOfShape":
        value = attr("value")
        fill = 0.0 if value is None else __import__("onnx").numpy_helper.to_array(value).reshape(-1)[0]
        return np.full(tuple(int(n) for n in values[0]), fill)
    return None


def _other(node, tensor: str) -> str:
    """The other input of a two-input node."""
    return node.input[1] if node.input[0] == tensor else node.input[0]


def _onnx_shape(info):
    tensor = info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim)


def _show_shape(shape) -> str:
    if shape is None:
        return "no shape"
    return "[" + ", ".join("?" if n is None else str(n) for n in shape) + "]"


def _layer_name(node) -> str:
    """A readable name from the node's: ``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1``;
    the dynamo exporter's module path (``['', 'layer1.0.conv1', 'conv2d']``) where it gives one."""
    import ast

    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            try:
                scopes = [scope for scope in ast.literal_eval(prop.value)[:-1] if scope]
            except (ValueError, SyntaxError):
                break
            if scopes:
                return scopes[-1]
    raw = node.name.strip("/")
    if not raw:
        return node.op_type.lower()
    parts = [p for p in raw.split("/") if p]
    kept = [p for index, p in enumerate(parts) if not any(q.startswith(p + ".") for q in parts[index + 1 :])]
    if len(kept) > 1 and kept[-1].split("_")[0] == node.op_type:
        kept = kept[:-1]  # the operator's name the exporter adds after the module's path
    return ".".join(kept) or node.op_type.lower()


# --- writing the architecture file ----------------------------------------------------------


def render(document: dict, head: str = "", modules: dict | None = None) -> str:
    """The architecture file of a document (a name, an input shape, layer records), with the
    ``modules`` its repeated blocks were folded into (see fold.py)."""
    lines = [head.rstrip("\n")] if head else []
    lines.append(f"name: {scalar(document['name'])}")
    lines.append(f"input: {flow(document['input'])}")
    if modules:
        lines.append("modules:")
        for name, module in modules.items():
            lines.append(f"  {name}:")
            params = ", ".join(f"{param}: null" for param in module["params"])
            lines.append(f"    params: {{{params}}}")
            lines.append("    layers:")
            lines += _layer_lines(module["layers"], "      ")
    lines.append("layers:")
    lines += _layer_lines(document["layers"], "  ")
    return "\n".join(lines) + "\n"


def _layer_lines(layers: list, indent: str) -> list:
    lines, previous = [], "input"
    for layer in layers:
        if layer["merges"]:
            lines.append(f"{indent}- {layer['type']}: {flow(layer['from'])}")
        else:
            args = layer["args"]
            lines.append(f"{indent}- {layer['type']}" + (f": {flow(args)}" if args else ":"))
            if layer["from"][0] != previous:
                lines.append(f"{indent}  from: {scalar(layer['from'][0])}")
        lines.append(f"{indent}  name: {scalar(layer['name'])}")
        previous = layer["name"]
    return lines


# --- the rules: ONNX operators read as layer types -------------------------------------------

# The layer types that may read a channels-last tensor (and write one): element-wise ones,
# and those a rule read from one knowingly (a linear layer at each position, a layer norm).
LAYOUT_FREE = (activation.Elementwise, merge.Add, merge.Mul, norm.Dropout, norm.LayerNorm, linear.PointwiseFC)


def _spatial_attrs(node, r: Reader, nd: int):
    """``(kernel, stride, dilation, padding)`` of a Conv or pool node, padding as a file writes it."""
    kernel = r.attr(node, "kernel_shape")
    if kernel is None and len(node.input) > 1 and node.input[1] in r.weights:
        kernel = r.weights[node.input[1]][2:]
    kernel = list(kernel)
    stride = list(r.attr(node, "strides", [1] * nd))
    dilation = list(r.attr(node, "dilations", [1] * nd))
    auto_pad = r.attr(node, "auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad == "VALID":
        return kernel, stride, dilation, 0
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        sizes = r.shape(node.input[0])[1:]
        pairs = []
        for w, f, s, d in zip(sizes, kernel, stride, dilation):
            out = -(-w // s)
            total = max((out - 1) * s + d * (f - 1) + 1 - w, 0)
            small = total // 2
            pairs.append([small, total - small] if auto_pad == "SAME_UPPER" else [total - small, small])
        return kernel, stride, dilation, _padding(pairs)
    pads = list(r.attr(node, "pads", [0] * (2 * nd)))
    before = r.pool_pads.get(id(node), [(0, 0)] * nd)  # a -inf Pad read into this max pool
    pairs = [(b + extra_b, e + extra_e) for b, e, (extra_b, extra_e) in zip(pads[:nd], pads[nd:], before)]
    return kernel, stride, dilation, _padding(pairs)


def _padding(pairs):
    """Per-axis ``(before, after)`` pairs in the file's shortest form."""
    pairs = [[int(b), int(e)] for b, e in pairs]
    if all(b == e for b, e in pairs):
        return _one([b for b, _ in pairs])
    return pairs


def _one(values):
    """A per-axis list, or one number when every axis has it."""
    values = [int(v) if float(v) == int(v) else float(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


@reads(conv.Conv, "Conv")
def _conv(node, r: Reader):
    weight = r.weights.get(node.input[1])
    if weight is None:
        raise Unsupported("its weights must be an initializer (a constant), not computed")
    nd = len(weight) - 2
    kernel, stride, dilation, padding = _spatial_attrs(node, r, nd)
    return _convolution({"filters": weight[0], "kernel": _one(kernel)}, node, r, stride, padding, dilation)


def _convolution(args: dict, node, r: Reader, stride, padding, dilation, extra=None) -> dict:
    """A (transposed) convolution's arguments, those at their defaults left out."""
    if _one(stride) != 1:
        args["stride"] = _one(stride)
    if padding != 0:
        args["padding"] = padding
    if extra is not None and _one(extra) != 0:
        args["output_padding"] = _one(extra)
    if _one(dilation) != 1:
        args["dilation"] = _one(dilation)
    if r.attr(node, "group", 1) != 1:
        args["groups"] = r.attr(node, "group", 1)
    if not r.learned(r.input_of(node, 2)):  # none, or computed (a constant zero): nothing learned
        args["bias"] = False
    return args


@reads(conv.Deconv, "ConvTranspose")
def _deconv(node, r: Reader):
    weight = r.weights.get(node.input[1])
    if weight is None:
        raise Unsupported("its weights must be an initializer (a constant), not computed")
    if r.attr(node, "output_shape") is not None:
        raise Unsupported("an output_shape attribute (give pads and output_padding instead)")
    nd = len(weight) - 2
    groups = r.attr(node, "group", 1)
    auto_pad = r.attr(node, "auto_pad", b"NOTSET")
    if auto_pad not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise Unsupported(f"auto_pad {auto_pad!r}")
    kernel, stride, dilation, padding = _spatial_attrs(node, r, nd)
    args = {"filters": weight[1] * groups, "kernel": _one(kernel)}
    return _convolution(args, node, r, stride, padding, dilation, r.attr(node, "output_padding"))


def _pool_args(node, r: Reader):
    nd = len(r.shape(node.input[0])) - 1
    kernel, stride, dilation, padding = _spatial_attrs(node, r, nd)
    args = {"kernel": _one(kernel), "stride": _one(stride)}
    if padding != 0:
        args["padding"] = padding
    if r.attr(node, "ceil_mode", 0):
        args["ceil_mode"] = True
    return args, dilation


@reads(pool.MaxPool, "MaxPool")
def _maxpool(node, r: Reader):
    view = r.views.get(node.input[0])
    if view is not None and view.kind == "gathered":
        return _gathered_pool(node, r, view, pool.AdaptiveMaxPool)
    if r.attr(node, "storage_order", 0):
        raise Unsupported("storage_order 1")
    args, dilation = _pool_args(node, r)
    if _one(dilation) != 1:
        args["dilation"] = _one(dilation)
    return args


@reads(pool.AvgPool, "AveragePool")
def _avgpool(node, r: Reader):
    view = r.views.get(node.input[0])
    if view is not None and view.kind == "gathered":
        return _gathered_pool(node, r, view, pool.AdaptiveAvgPool)
    args, dilation = _pool_args(node, r)
    if _one(dilation) != 1:
        raise Unsupported("a dilated average pool")
    if "padding" in args:
        args["count_include_pad"] = bool(r.attr(node, "count_include_pad", 0))
    return args


@reads(pool.LpPool, "LpPool")
def _lppool(node, r: Reader):
    args, dilation = _pool_args(node, r)
    if "padding" in args or _one(dilation) != 1:
        raise Unsupported("a padded or dilated power-average pool")
    return {**args, "norm": r.attr(node, "p", 2)}


@reads(pool.GlobalAvgPool, "GlobalAveragePool")
def _global_avgpool(node, r: Reader):
    return {}


@reads(pool.GlobalMaxPool, "GlobalMaxPool")
def _global_maxpool(node, r: Reader):
    return {}


def _reduce(node, r: Reader, cls):
    rank = len(r.shape(node.input[0])) + 1
    axes = r.attr(node, "axes")
    if axes is None and r.input_of(node, 1):
        axes = [int(a) for a in r.optional(node, 1)]
    if axes is None:
        raise Unsupported("a reduction over every axis")
    if sorted(a % rank for a in axes) != list(range(2, rank)):
        raise Unsupported(f"a reduction over axes {list(axes)}; cnncalc reads one over every spatial axis")
    if r.attr(node, "keepdims", 1):
        return Layer(cls)
    return [Layer(cls), Layer(linear.Flatten, suffix=".flatten")]


@reads(pool.GlobalAvgPool, "ReduceMean")
def _reduce_mean(node, r: Reader):
    return _reduce(node, r, pool.GlobalAvgPool)


@reads(pool.GlobalMaxPool, "ReduceMax")
def _reduce_max(node, r: Reader):
    return _reduce(node, r, pool.GlobalMaxPool)


@reads(linear.FC, "Gemm")
def _gemm(node, r: Reader):
    if r.attr(node, "transA", 0):
        raise Unsupported("transA 1")
    weight = r.weights.get(node.input[1])
    if weight is None or len(weight) != 2:
        raise Unsupported("its B input must be a 2-D initializer (the weights)")
    units = weight[0] if r.attr(node, "transB", 0) else weight[1]
    features = weight[1] if r.attr(node, "transB", 0) else weight[0]
    if prod(r.shape(node.input[0])) != features:
        raise Unsupported(f"its input has {prod(r.shape(node.input[0]))} features, its weights {features}")
    bias = r.input_of(node, 2) if r.learned(r.input_of(node, 2)) else ""
    if bias and prod(r.weights[bias]) != units:
        raise Unsupported("its C input must be a bias of one value per unit")
    return {"units": units} if bias else {"units": units, "bias": False}


@reads(linear.FC, "MatMul")
def _matmul(node, r: Reader):
    return _linear(node, r, {"bias": False})


def _linear(node, r: Reader, args: dict) -> Layer:
    """A MatMul by a [features, units] weight (with the bias Add fused, or without): a linear
    layer on flat features, or at every position of a channels-last map (pointwise_fc)."""
    weight = r.weights.get(node.input[1])
    if weight is None or len(weight) != 2 or not r.is_activation(node.input[0]):
        raise Unsupported("cnncalc reads a MatMul of a layer's output by a 2-D initializer (a linear layer)")
    source = r.shape(node.input[0])
    if len(source) != 1 and node.input[0] not in r.last:
        raise Unsupported("a MatMul over the last spatial axis of a map; cnncalc reads one over the channels")
    features, units = weight
    if features != source[0]:
        raise Unsupported(f"its input has {source[0]} features, its weights {features}")
    return Layer(linear.FC if len(source) == 1 else linear.PointwiseFC, {"units": units, **args})


@reads(linear.Flatten, "Flatten")
def _flatten(node, r: Reader):
    if r.attr(node, "axis", 1) != 1:
        raise Unsupported(f"axis {r.attr(node, 'axis')}; cnncalc flattens all but the batch (axis 1)")
    if len(r.shape(node.input[0])) == 1:
        return Same(node.input[0])
    return {}


@reads(linear.Flatten, "Squeeze")
def _squeeze(node, r: Reader):
    source = r.shape(node.input[0])
    kept = [n for n in source if n != 1]
    if len(kept) <= 1 and source[0] != 1:
        return Same(node.input[0]) if len(source) == 1 else {}
    raise Unsupported(f"a squeeze of {list(source)} other than to one flat axis of channels")


@reads(shape.ChannelShuffle, "Reshape", "Transpose")
def _reshape(node, r: Reader):
    if node.op_type == "Transpose":
        view = r.views.get(node.input[0])
        perm = list(r.attr(node, "perm", []))
        if (
            view is not None
            and view.kind == "grouped"
            and perm[:3] == [0, 2, 1]
            and perm[3:] == list(range(3, len(perm)))
        ):
            return View("swapped", view.groups, view.source)
        rank = len(perm)
        if view is None and node.input[0] not in r.last and rank > 2 and perm == [0, *range(2, rank), 1]:
            return Same(node.input[0], last=True)  # channels last, for a Linear or a LayerNorm over them
        if node.input[0] in r.last and perm == [0, rank - 1, *range(1, rank - 1)]:
            return Same(node.input[0], last=False)
        raise Unsupported(
            "a transpose; cnncalc reads one inside a channel shuffle (reshape, transpose, reshape), or moving "
            "the channels last and back around element-wise, linear and layer-norm layers"
        )
    wanted = r.optional(node, 1)
    if wanted is not None and list(wanted) == [-1] and node.input[0] not in r.views:
        return View("everything", 1, node.input[0])  # the batch too: the dynamo exporter's as_strided
    target = r.onnx_shapes.get(node.output[0])
    if target is None or any(not isinstance(n, int) for n in target[1:]):
        wanted = r.optional(node, 1)
        target = _reshaped(wanted, r, node.input[0]) if wanted is not None else None
    if target is None:
        raise Unsupported("a reshape to a shape that is not known")
    out = tuple(int(n) for n in target[1:])
    view = r.views.get(node.input[0])
    if view is not None:
        if view.kind == "swapped" and out == r.shape(view.source):
            return Layer(shape.ChannelShuffle, {"groups": view.groups}, inputs=[view.source])
        if view.kind == "normalised groups" and out == r.shape(view.source):
            return _groupnorm_pattern(node, r, view)
        raise Unsupported(f"a reshape of a reshaped view to {list(out)}")
    source = r.shape(node.input[0])
    if len(source) > 1 and len(out) == 2 and source[0] % out[0] == 0 and out[1] * out[0] == prod(source):
        return View("groups", out[0], node.input[0])
    if out == source:
        return Same(node.input[0])
    if len(out) == 1 and out[0] == prod(source):
        return Layer(linear.Flatten)
    if len(out) == len(source) + 1 and out[1] * out[0] == source[0] and out[2:] == source[1:]:
        return View("grouped", out[0], node.input[0])
    raise Unsupported(f"a reshape of {list(source)} to {list(out)}")


def _reshaped(wanted, r: Reader, source: str):
    if all(n > 0 for n in wanted):
        return tuple(int(n) for n in wanted)
    full = [1, *r.shape(source)]
    result = [full[i] if n == 0 else int(n) for i, n in enumerate(wanted)]
    if -1 in result:
        known = prod(n for n in result if n != -1)
        result[result.index(-1)] = prod(full) // known
    return tuple(result)


def _plain(cls, *ops):
    """An operator read as an argument-free layer type."""
    reads(cls, *ops)(lambda node, r: {})


_plain(activation.ReLU, "Relu")
_plain(activation.Sigmoid, "Sigmoid")
_plain(activation.Tanh, "Tanh")
_plain(activation.HardSwish, "HardSwish")
_plain(activation.SELU, "Selu")
_plain(activation.Softplus, "Softplus")


@reads(activation.Identity, "Identity")
def _identity(node, r: Reader):
    return Same(node.input[0])


@reads(activation.Identity, "Gather")
def _gather(node, r: Reader):
    """The dynamo exporter's ``as_strided`` that gives a tensor back as it was: every value
    (the batch's too) in one row, then gathered in order into the same shape."""
    import numpy as np

    view = r.views.get(node.input[0])
    indices = r.optional(node, 1)
    axis = r.attr(node, "axis", 0)
    if view is not None and view.kind == "everything" and axis == 0 and indices is not None:
        source = r.shape(view.source)
        if indices.shape == (1, *source) and np.array_equal(indices.reshape(-1), np.arange(prod(source))):
            return Same(view.source)
    if indices is not None and indices.ndim == 1 and (view is None or view.kind == "gathered"):
        source = view.source if view else node.input[0]
        picked = dict(view.groups) if view else {}
        axis %= len(r.shape(source)) + 1
        if axis >= 2 and axis not in picked:  # an adaptive pool's windows laid side by side (see _gathered_pool)
            picked[axis] = tuple(int(i) for i in indices)
            return View("gathered", tuple(sorted(picked.items())), source)
    raise Unsupported("a gather; cnncalc reads one only where it gives a tensor back unchanged, or lays out windows")


def _gathered_pool(node, r: Reader, view: View, cls) -> Layer:
    """A pool of windows gathered side by side, one window per stride: PyTorch's adaptive
    pooling where its windows overlap but are all of one width (as cnncalc exports it)."""
    from ..geometry import adaptive_bounds

    source = r.shape(view.source)
    kernel, stride = list(r.attr(node, "kernel_shape")), list(r.attr(node, "strides", []))
    if stride != kernel or any(r.attr(node, "pads", [0])) or r.attr(node, "ceil_mode", 0):
        raise Unsupported("a pool of gathered values other than one window per stride")
    picked, sizes = dict(view.groups), []
    for axis, (length, width) in enumerate(zip(source[1:], kernel), 2):
        indices = picked.get(axis, tuple(range(length)))
        size = len(indices) // width
        windows = [adaptive_bounds(length, size, unit) for unit in range(size)]
        if len(indices) % width or indices != tuple(i for start, end in windows for i in range(start, end)):
            raise Unsupported("a pool of gathered values that are not adaptive pooling's windows")
        sizes.append(size)
    return Layer(cls, {"size": _one(sizes)}, inputs=[view.source])


@reads(activation.ReLU6, "Clip")
def _clip(node, r: Reader):
    low = r.attr(node, "min")
    high = r.attr(node, "max")
    if r.input_of(node, 1):
        low = float(r.optional(node, 1))
    if r.input_of(node, 2):
        high = float(r.optional(node, 2))
    if low == 0 and high == 6:
        return {}
    if low == 0 and high is None:
        return Layer(activation.ReLU)
    raise Unsupported(f"a clip to [{low}, {high}]; cnncalc reads [0, 6] (relu6) and [0, inf) (relu)")


@reads(activation.LeakyReLU, "LeakyRelu")
def _leaky_relu(node, r: Reader):
    return {"negative_slope": _rounded(r.attr(node, "alpha", 0.01))}


@reads(activation.ELU, "Elu")
def _elu(node, r: Reader):
    return {"alpha": _rounded(r.attr(node, "alpha", 1.0))}


@reads(activation.GELU, "Gelu")
def _gelu(node, r: Reader):
    approximate = r.attr(node, "approximate", b"none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    return {"approximate": approximate} if approximate != "none" else {}


@reads(activation.HardSigmoid, "HardSigmoid")
def _hardsigmoid(node, r: Reader):
    alpha, beta = r.attr(node, "alpha", 0.2), r.attr(node, "beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise Unsupported(f"alpha {alpha:g}, beta {beta:g}; cnncalc's hardsigmoid is PyTorch's (1/6, 0.5)")
    return {}


@reads(activation.PReLU, "PRelu")
def _prelu(node, r: Reader):
    slope = r.weights.get(node.input[1])
    if slope is None:
        raise Unsupported("its slope must be an initializer")
    return {"num_parameters": prod(slope)}


def _softmax_axis(node, r: Reader):
    rank = len(r.shape(node.input[0])) + 1
    default = -1 if r.opset >= 13 else 1
    axis = r.attr(node, "axis", default) % rank
    if axis != 1 or (r.opset < 13 and rank != 2):
        raise Unsupported(f"a softmax over axis {axis} of a rank-{rank} tensor; cnncalc's is over the channels")


@reads(activation.Softmax, "Softmax")
def _softmax(node, r: Reader):
    _softmax_axis(node, r)
    return {}


@reads(activation.LogSoftmax, "LogSoftmax")
def _log_softmax(node, r: Reader):
    _softmax_axis(node, r)
    return {}


@reads(norm.Dropout, "Dropout")
def _dropout(node, r: Reader):
    ratio = r.attr(node, "ratio", 0.5)
    if r.input_of(node, 1):
        ratio = float(r.optional(node, 1))
    return {"p": _rounded(ratio)}


def _rounded(value: float) -> float:
    """A float32 attribute as the decimal it was written as (0.1 rather than 0.10000000149)."""
    return float(f"{value:.6g}")


def _epsilon(args: dict, node, r: Reader) -> None:
    eps = _rounded(r.attr(node, "epsilon", 1e-5))
    if eps != 1e-5:
        args["eps"] = eps


@reads(norm.BatchNorm, "BatchNormalization")
def _batchnorm(node, r: Reader):
    args = {}
    _epsilon(args, node, r)
    if r.attr(node, "training_mode", 0) and not r.learned(node.input[3]):
        args["track_running_stats"] = False  # the batch's own statistics, at inference too
    else:
        momentum = _rounded(1 - _rounded(r.attr(node, "momentum", 0.9)))  # ONNX keeps the old share; PyTorch the new
        if momentum != 0.1:
            args["momentum"] = momentum
    if not r.learned(node.input[1]):
        args["affine"] = False
    return args


def _groupnorm_pattern(node, r: Reader, view: View):
    """The end of PyTorch's GroupNorm: the groups back in the input's shape, then (if affine)
    a Mul by the weight and an Add of the bias, one value per channel each."""
    args = {"groups": view.groups}
    if view.eps is not None and view.eps != 1e-5:
        args["eps"] = view.eps
    channels = r.shape(view.source)[0]

    def per_channel(step, tensor):
        other = _other(step, tensor)
        while other not in r.initializers and r.producer.get(other) is not None:  # not walked yet
            producer = r.producer[other]
            if producer.op_type not in ("Unsqueeze", "Identity", "Reshape", "CastLike") or not producer.input:
                return False
            other = producer.input[0]
        return r.learned(other) and prod(r.weights[other]) == channels

    mul = r.only_consumer(node.output[0])
    add = r.only_consumer(mul.output[0]) if mul is not None and mul.op_type == "Mul" else None
    if (
        add is not None
        and add.op_type == "Add"
        and per_channel(mul, node.output[0])
        and per_channel(add, mul.output[0])
    ):
        r.skipped.update((id(mul), id(add)))
        r.also[id(node)] = [mul.output[0], add.output[0]]
    else:
        args["affine"] = False
    return Layer(norm.GroupNorm, args, inputs=[view.source])


@reads(norm.InstanceNorm, "InstanceNormalization")
def _instancenorm(node, r: Reader):
    view = r.views.get(node.input[0])
    if view is not None and view.kind == "groups" and not any(r.learned(name) for name in node.input[1:3]):
        return View("normalised groups", view.groups, view.source, _rounded(r.attr(node, "epsilon", 1e-5)))
    args = {"affine": all(r.learned(name) for name in node.input[1:3])}
    _epsilon(args, node, r)
    return args


def _layernorm_over(r: Reader, x: str, axes: list, args: dict) -> Layer:
    """The layer norm of the pattern: over every axis but the batch, or the features of a flat input."""
    source = r.shape(x)
    rank = len(source) + 1
    axes = sorted(a % rank for a in axes)
    args = dict(args)
    if args["eps"] == 1e-5:
        del args["eps"]
    if args.get("affine") is True:
        del args["affine"]
    if axes == list(range(1, rank)) and len(source) > 1:
        args["over"] = "all"
    elif axes == [rank - 1] and x in r.last:
        pass  # over the channels at each position, permuted around (ConvNeXt's LayerNorm2d)
    elif axes != [1] or len(source) != 1:
        raise Unsupported(f"a layer normalisation over axes {axes} of {list(source)}")
    return Layer(norm.LayerNorm, args, inputs=[x])


@reads(norm.LayerNorm, "LayerNormalization")
def _layernorm(node, r: Reader):
    source = r.shape(node.input[0])
    rank = len(source) + 1
    axis = r.attr(node, "axis", -1) % rank
    args = {}
    if axis == 1 and len(source) > 1:
        args["over"] = "all"
    elif axis == rank - 1 and node.input[0] in r.last:
        pass  # over the channels at each position: ConvNeXt's LayerNorm2d, permuted around
    elif axis != rank - 1 or len(source) != 1:
        raise Unsupported(
            f"a normalisation over axes {list(range(axis, rank))} of {list(source)}; cnncalc reads one over "
            "the features of a flat input or over all of C, H and W"
        )
    _epsilon(args, node, r)
    if not r.learned(node.input[1]):  # a constant scale of ones: nothing learned
        args["affine"] = False
    elif not r.learned(r.input_of(node, 2)):  # none, or computed (a constant zero): nothing learned
        args["bias"] = False
    return args


@reads(norm.GroupNorm, "GroupNormalization")
def _groupnorm(node, r: Reader):
    channels = r.shape(node.input[0])[0]
    scale = r.weights.get(node.input[1])
    if scale is None or prod(scale) != channels:
        raise Unsupported("a scale per group (opset 18); cnncalc's group norm has a scale per channel (opset 21)")
    args = {"groups": r.attr(node, "num_groups")}
    _epsilon(args, node, r)
    if not r.learned(node.input[1]):
        args["affine"] = False
    return args


@reads(norm.LRN, "LRN")
def _lrn(node, r: Reader):
    return {
        "size": r.attr(node, "size"),
        "alpha": _rounded(r.attr(node, "alpha", 1e-4)),
        "beta": _rounded(r.attr(node, "beta", 0.75)),
        "k": _rounded(r.attr(node, "bias", 1.0)),
    }


PAD_MODES = {"constant": "zeros", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


@reads(shape.Pad, "Pad")
def _pad(node, r: Reader):
    mode = r.attr(node, "mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = r.attr(node, "pads")
    if pads is None:
        pads = [int(p) for p in r.optional(node, 1)]
    value = r.attr(node, "value", 0.0)
    if r.input_of(node, 2):
        value = float(r.optional(node, 2))
    if r.input_of(node, 3):
        raise Unsupported("an axes input")
    rank = len(pads) // 2
    before, after = pads[:rank], pads[rank:]
    if before[:2] != [0, 0] or after[:2] != [0, 0]:
        raise Unsupported("padding of the batch or channel axis")
    if any(p < 0 for p in pads):
        raise Unsupported("negative padding (a crop)")
    pairs = list(zip(before[2:], after[2:]))
    pool = r.only_consumer(node.output[0])
    if mode == "constant" and value == float("-inf") and pool is not None and pool.op_type == "MaxPool":
        # PyTorch's exporter pads -inf before a max pool it cannot pad unevenly: the pool's padding
        r.pool_pads[id(pool)] = pairs
        return Same(node.input[0])
    args = {"padding": _padding(pairs)}
    if mode not in PAD_MODES:
        raise Unsupported(f"mode {mode}")
    if PAD_MODES[mode] != "zeros" or value != 0:
        args["mode"] = "constant" if mode == "constant" else PAD_MODES[mode]
    if value != 0:
        args["value"] = value
    return args


RESIZE_MODES = {"nearest": "nearest", "linear": "bilinear", "cubic": "bicubic"}


@reads(shape.Resize, "Resize", "Upsample")
def _resize(node, r: Reader):
    mode = r.attr(node, "mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode not in RESIZE_MODES:
        raise Unsupported(f"mode {mode}")
    nd = len(r.shape(node.input[0])) - 1
    if node.op_type == "Upsample" or r.opset == 10:
        scales, sizes = r.optional(node, 1), None
        if scales is None:
            scales = r.attr(node, "scales")
    else:
        scales, sizes = r.optional(node, 2), r.optional(node, 3)
    transform = r.attr(node, "coordinate_transformation_mode", b"half_pixel")
    transform = transform.decode() if isinstance(transform, bytes) else transform
    args = {"mode": RESIZE_MODES[mode]}
    if transform == "align_corners":
        args["align_corners"] = True
    if sizes is not None and len(sizes):
        sizes = [int(n) for n in sizes]
        if sizes[:2] != [1, r.shape(node.input[0])[0]] and len(sizes) == nd + 2:
            raise Unsupported("a resize of the batch or channel axis")
        like = r.like(node.input[3], nd)
        if like is not None and r.shape(like)[1:] == tuple(sizes[-nd:]):
            # to another tensor's size, taken from its Shape: F.interpolate(x, size=y.shape[-2:])
            args = {"like": r.refs[like], **args}
            return Layer(shape.Resize, args, inputs=[node.input[0], like])
        args["size"] = _one(sizes[-nd:])
        return args
    if scales is None or not len(scales):
        raise Unsupported("neither scales nor sizes given")
    scales = [float(s) for s in scales]
    if scales[:2] != [1.0, 1.0]:
        raise Unsupported("a resize of the batch or channel axis")
    args["scale"] = _one(scales[2:])
    return args


@reads(shape.Crop, "Slice")
def _slice(node, r: Reader):
    """A slice of the channels that is one equal part (``chunk``), or of spatial axes (``crop``)."""
    source = r.shape(node.input[0])
    rank = len(source) + 1
    starts, ends = r.optional(node, 1), r.optional(node, 2)
    axes, steps = r.optional(node, 3), r.optional(node, 4)
    if starts is None:  # opset < 10: attributes
        starts, ends, axes = r.attr(node, "starts"), r.attr(node, "ends"), r.attr(node, "axes")
    axes = list(range(len(starts))) if axes is None else [int(a) % rank for a in axes]
    if steps is not None and any(int(step) != 1 for step in steps):
        raise Unsupported("a slice with a step other than 1")
    if 0 in axes:
        raise Unsupported("a slice of the batch")
    spans = {}
    for start, end, axis in zip(starts, ends, axes):
        size = source[axis - 1]
        start, end = int(start), int(end)
        start = max(start + size, 0) if start < 0 else min(start, size)
        end = max(end + size, 0) if end < 0 else min(end, size)
        spans[axis] = (start, end, size)
    if list(spans) == [1]:
        start, end, channels = spans[1]
        width = end - start
        if width < 1 or channels % width or start % width:
            raise Unsupported(f"channels {start} to {end} of {channels}; cnncalc reads a slice that is an equal part")
        return Layer(shape.Chunk, {"chunks": channels // width, "index": start // width})
    if 1 in spans:
        raise Unsupported("a slice of channels and positions together")
    cuts = [[spans[axis][0], spans[axis][2] - spans[axis][1]] if axis in spans else [0, 0] for axis in range(2, rank)]
    return {"amounts": _padding(cuts)}


@reads(shape.PixelShuffle, "DepthToSpace")
def _depth_to_space(node, r: Reader):
    mode = r.attr(node, "mode", b"DCR")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "CRD":
        raise Unsupported("mode DCR (blocks first); cnncalc's pixel_shuffle is PyTorch's (CRD)")
    return {"factor": r.attr(node, "blocksize")}


@reads(shape.Chunk, "Split")
def _split(node, r: Reader):
    channels = r.shape(node.input[0])[0]
    rank = len(r.shape(node.input[0])) + 1
    axis = r.attr(node, "axis", 0) % rank
    if axis != 1:
        raise Unsupported(f"a split along axis {axis}; cnncalc splits channels (axis 1)")
    parts = r.attr(node, "split")
    if parts is None and r.input_of(node, 1):
        parts = [int(n) for n in r.optional(node, 1)]
    count = len(node.output)
    if parts is None:
        parts = [-(-channels // count)] * count
        parts[-1] = channels - sum(parts[:-1])
    chunk = -(-channels // count)
    expected = [min(chunk, max(channels - i * chunk, 0)) for i in range(count)]
    if list(parts) != expected:
        raise Unsupported(f"parts of {list(parts)} channels; cnncalc's chunks are {expected}")
    # One chunk layer per output that is used; the walk writes the first output's.
    made = []
    for index, output in enumerate(node.output):
        if r.consumers.get(output):
            made.append(
                Layer(shape.Chunk, {"chunks": count, "index": index}, [node.input[0]], f".{index}", output=output)
            )
    return made


@reads(shape.Chunk, "SplitToSequence", "SequenceAt")
def _split_to_sequence(node, r: Reader):
    """``torch.chunk`` as the dynamo exporter writes it: a sequence of parts, then one part."""
    if node.op_type == "SequenceAt":
        view = r.views.get(node.input[0])
        if view is None or view.kind != "sequence":
            raise Unsupported("an element of a sequence cnncalc did not read")
        index = int(r.optional(node, 1).reshape(-1)[0]) % view.groups
        return Layer(shape.Chunk, {"chunks": view.groups, "index": index}, inputs=[view.source])
    source = r.shape(node.input[0])
    if r.attr(node, "axis", 0) % (len(source) + 1) != 1 or not r.attr(node, "keepdims", 1):
        raise Unsupported("a split other than of channels")
    split = r.optional(node, 1)
    channels = source[0]
    if split is None or split.size != 1:
        raise Unsupported("parts of unequal or unknown sizes")
    size = int(split.reshape(-1)[0])
    chunks = -(-channels // size)
    if -(-channels // chunks) != size:
        raise Unsupported(f"parts of {size} of {channels} channels, which no chunk count gives")
    return View("sequence", chunks, node.input[0])


@reads(merge.Concat, "Concat")
def _concat(node, r: Reader):
    rank = len(r.shape(node.input[0])) + 1
    if r.attr(node, "axis") % rank != 1:
        raise Unsupported("a concatenation along an axis other than the channels")
    if len(node.input) == 1:  # torch.cat of one tensor (DenseNet's first layer of a block)
        return Same(node.input[0])
    return Layer(merge.Concat, inputs=list(node.input))


@reads(merge.Add, "Add", "Sum")
def _add(node, r: Reader):
    if all(r.is_activation(name) for name in node.input):
        return Layer(merge.Add, inputs=list(node.input))
    raise Unsupported("an addition of a constant; cnncalc adds layers' outputs")


@reads(merge.Max, "Max")
def _max(node, r: Reader):
    if all(r.is_activation(name) for name in node.input):
        return Layer(merge.Max, inputs=list(node.input))
    raise Unsupported("a maximum with a constant; cnncalc takes the maximum of layers' outputs")


@reads(merge.Mul, "Mul")
def _mul(node, r: Reader):
    a, b = node.input
    if r.is_activation(a) and r.is_activation(b):
        return Layer(merge.Mul, inputs=[a, b])
    x, scale = (a, b) if r.is_activation(a) else (b, a)
    if not _per_channel(r, scale, r.shape(x)):
        raise Unsupported("a multiplication by a constant that is not one learned scale per channel")
    add = r.only_consumer(node.output[0])
    if add is not None and add.op_type == "Add" and _per_channel(r, _other(add, node.output[0]), r.shape(x)):
        r.skipped.add(id(add))  # and a learned shift per channel: Caffe's Scale with bias_term
        r.also[id(node)] = [add.output[0]]
        return Layer(norm.LayerScale, {"init": 1.0, "bias": True}, inputs=[x])
    return Layer(norm.LayerScale, {"init": 1.0}, inputs=[x])


def _per_channel(r: Reader, tensor: str, shape: tuple) -> bool:
    """Whether the tensor is learned, one value per channel of a tensor of ``shape``."""
    dims = tuple(r.weights.get(tensor, ()))
    while dims and dims[0] == 1 and len(dims) > len(shape):
        dims = dims[1:]
    return r.learned(tensor) and len(dims) == len(shape) and dims[0] == shape[0] and all(n == 1 for n in dims[1:])
