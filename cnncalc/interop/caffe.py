"""Caffe networks read as architecture files: ``cnncalc summarize deploy.prototxt``, ``cnncalc import``.

``read(path)`` returns the :class:`~cnncalc.spec.NetworkSpec` of a Caffe ``.prototxt``
through the same architecture file ``cnncalc import`` writes (``document_text(path)``): one
reading, one answer. The text is read by ``prototxt.py`` (no Caffe, no protobuf package).

How each Caffe layer type becomes a layer is registered against the layer type class
(``@reads(conv.Conv, "Convolution")``), as ``onnx.py`` does for ONNX's operators: a rule
gets the Caffe layer and the reader and returns the arguments (or :class:`Layer` records of
other types, or :class:`Same` for a layer that passes its input on). A layer type no rule
reads, or a parameter a rule does not know, stops the reading with exit 2, the layer's name,
type and line: never a figure computed from a guess.

Caffe's ways, and how they are read:

- The input: ``input: "data"`` with ``input_shape { dim: ... }`` or four ``input_dim``, or
  an ``Input`` layer with ``input_param { shape { dim: ... } }``. The first dimension is
  Caffe's batch, which cnncalc leaves out (``--batch``).
- Blobs: a layer reads the blobs named by ``bottom`` and writes those named by ``top``. A
  layer whose top is its bottom (ReLU, Dropout, BatchNorm "in place") rewrites that blob:
  the layers after it read its output. ``Split`` passes its bottom on under other names.
- Pooling rounds up, ``ceil((W + 2P - K)/S) + 1`` windows, then, when it pads, drops a last
  window that would start in the padding: PyTorch's ``ceil_mode`` rule, which cnncalc's
  pools follow. Without padding Caffe drops nothing, and where the kernel is smaller than
  the stride its last window may start past the image (Caffe fills it with -FLT_MAX): every
  pooling's size is held against Caffe's formula, and such a pooling is refused.
- BatchNorm keeps three blobs: the running mean and variance (C values each) and the
  moving-average factor (one value): a ``batchnorm`` without scale and shift
  (``affine: false``) counting ``counter: true``, 2C + 1 buffers. The ``Scale`` layer after
  it (``bias_term: true``) holds the learned scale and shift, 2C parameters: the two are
  read as one ``batchnorm`` with ``affine: true`` under the BatchNorm's name. So a network's
  parameters plus buffers are Caffe's blob count, parameters being what Caffe learns by
  gradient and buffers the statistics.
- ``param { lr_mult: 0 }`` on every blob of a layer (``blobs_lr: 0`` in the old format)
  freezes it: ``trainable: false``.
- ``include``/``exclude`` rules are those of the TEST phase (a train_val file reads as the
  network it tests), and the old format (``layers { type: CONVOLUTION }``) reads as the new.
"""

from __future__ import annotations

import os

from ..errors import ArgError, LayerError, Loc, SpecError
from ..layers import activation, conv, linear, merge, norm, pool, stochastic
from ..layers.base import Args, lookup, needs_spatial
from ..record import Record
from . import prototxt
from .document import flow, registrar, scalar
from .prototxt import Identifier, Message

TYPES: dict = {}  # Caffe layer type -> (layer type class, rule)
READERS: dict = {}  # layer type class -> the Caffe layer types read as it

SUFFIX = ".prototxt"


# Registers a rule reading Caffe layer types as layers of a type: @reads(conv.Conv, "Convolution").
reads = registrar(TYPES, READERS)


class Layer(Record, fields="cls args shape"):
    """A layer a rule makes of another type than the one it is registered for, or with the
    shape Caffe's own formula gives, held against cnncalc's (where the two are known to
    differ in places). It reads the Caffe layer's bottoms; cnncalc's defaults among its
    arguments are left out when written."""

    __slots__ = ()

    def __new__(cls, layer_class, args=None, shape=None):
        return super().__new__(cls, layer_class, dict(args or {}), shape)


class Same(Record, fields="blob"):
    """The layer passes this bottom on unchanged (Split; a Scale folded into the BatchNorm before it)."""

    __slots__ = ()


class CaffeLayer(Record, fields="name type bottoms tops message loc type_loc"):
    """One Caffe layer as written: ``bottoms`` and ``tops`` are prototxt Fields (names and positions)."""

    __slots__ = ()


class Blob(Record, fields="ref shape record"):
    """What a blob holds now: the cnncalc layer that wrote it (or ``input``), its shape, and
    the index of that layer's record (None for the input)."""

    __slots__ = ()


class Imported(Record, fields="text source origins"):
    """An imported architecture file: its ``text``, the prototxt's own text (``source``), and
    for each line of the text the prototxt position it came from (``origins``, from line 1)."""

    __slots__ = ()


# The old format's layer types (``layers { type: CONVOLUTION }``), as Caffe upgrades them.
V1_TYPES = {
    "ABSVAL": "AbsVal", "ACCURACY": "Accuracy", "ARGMAX": "ArgMax", "BNLL": "BNLL", "CONCAT": "Concat",
    "CONTRASTIVE_LOSS": "ContrastiveLoss", "CONVOLUTION": "Convolution", "DATA": "Data",
    "DECONVOLUTION": "Deconvolution", "DROPOUT": "Dropout", "DUMMY_DATA": "DummyData", "ELTWISE": "Eltwise",
    "EUCLIDEAN_LOSS": "EuclideanLoss", "EXP": "Exp", "FLATTEN": "Flatten", "HDF5_DATA": "HDF5Data",
    "HDF5_OUTPUT": "HDF5Output", "HINGE_LOSS": "HingeLoss", "IM2COL": "Im2col", "IMAGE_DATA": "ImageData",
    "INFOGAIN_LOSS": "InfogainLoss", "INNER_PRODUCT": "InnerProduct", "LRN": "LRN", "MEMORY_DATA": "MemoryData",
    "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss", "MVN": "MVN", "POOLING": "Pooling", "POWER": "Power",
    "RELU": "ReLU", "SIGMOID": "Sigmoid", "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss",
    "SILENCE": "Silence", "SOFTMAX": "Softmax", "SOFTMAX_LOSS": "SoftmaxWithLoss", "SPLIT": "Split",
    "SLICE": "Slice", "TANH": "TanH", "WINDOW_DATA": "WindowData", "THRESHOLD": "Threshold",
}  # fmt: skip

NET_FIELDS = ("name", "input", "input_shape", "input_dim", "layer", "layers", "force_backward", "state", "debug_info")
LAYER_FIELDS = ("name", "type", "bottom", "top", "phase", "loss_weight", "param", "blobs", "propagate_down",
                "include", "exclude", "transform_param", "loss_param")  # fmt: skip
V1_LAYER_FIELDS = ("blobs_lr", "weight_decay")
RULE_FIELDS = ("phase", "min_level", "max_level", "stage", "not_stage")


def read(path: str):
    """The NetworkSpec of the Caffe network at ``path`` (raises SpecError)."""
    return parse_text(document_text(path), path)


def parse_text(text: str, path: str):
    """The NetworkSpec of an imported file's text, positions naming ``path``."""
    from .. import source, spec

    return spec.parse(source.parse(text, path), path)


def document_text(path: str) -> str:
    """The architecture file (YAML text) of the Caffe network at ``path``."""
    return imported(path).text


def imported(path: str, text: str | None = None) -> Imported:
    """The architecture file of the Caffe network at ``path`` (or of its ``text``), with
    where each of its lines came from."""
    from ..source import read_text

    source = read_text(path) if text is None else text
    reader = Reader(path, source)
    document = reader.document()
    lines, origins = render(document, header(path, document, reader.batch))
    return Imported("\n".join(lines) + "\n", source, origins)


def header(path: str, document: dict, batch) -> str:
    count = len(document["layers"])
    lines = [
        f'# Imported by cnncalc from {os.path.basename(path)} (Caffe, network "{document["name"]}", '
        f"{count} layer{'s' * (count != 1)}).",
        "# Shapes only. Layer names are Caffe's; a layer that rewrites its input's blob (in place) is what",
        "# the layers after it read. Each layer's comment gives its line in the Caffe file.",
    ]
    if batch is not None and batch != 1:
        lines.append(f"# Caffe's input batch of {batch} is left out: cnncalc counts one example (--batch N for more).")
    return "\n".join(lines)


# --- reading ---------------------------------------------------------------------------------


class Reader:
    """Walks a Caffe network's layers in order and writes cnncalc layers."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.net = prototxt.parse(text, path)
        self.blobs: dict = {}  # blob name -> Blob
        self.layers: list = []  # records for the writer
        self.names: set = {"input"}
        self.batch = None
        self.current: CaffeLayer | None = None
        self.readers: dict = {}  # (blob, index of the Caffe layer that wrote it) -> how many read it
        self.version: dict = {}  # blob -> index of the Caffe layer that wrote it last (-1: the input)

    # -- the error path ------------------------------------------------------------------

    def fail(self, message: str, loc: Loc | None = None):
        layer = self.current
        if layer is None:
            raise SpecError.at(loc or self.net.loc, message)
        raise SpecError.at(loc or layer.type_loc, f'layer "{layer.name}" ({layer.type}): {message}')

    def unsupported(self, layer: CaffeLayer) -> None:
        hint = ""
        if layer.type.endswith("Data"):
            hint = " (a data layer: its shape comes from a database; read the deploy file, or give an Input layer)"
        elif "Loss" in layer.type or layer.type == "Accuracy":
            hint = " (a training layer: read the deploy file)"
        self.fail(f"cnncalc does not read this Caffe layer type{hint}; it reads {', '.join(supported())}")

    # -- what rules ask ------------------------------------------------------------------

    def param(self, key: str, known: tuple) -> Message:
        """The layer's ``key`` message (empty if absent); a field in it that cnncalc does not
        know is an error, since it might change what the layer computes."""
        field = self.current.message.one(key)
        if field is None:
            return Message([], self.current.loc)
        if not isinstance(field.value, Message):
            self.fail(f"{key} must be a message ({key} {{ ... }})", field.loc)
        for inner in field.value.fields:
            if inner.name not in known:
                self.fail(
                    f'{key} has "{inner.name}", which cnncalc does not read; it reads {", ".join(known)}',
                    inner.name_loc,
                )
        return field.value

    def integer(self, message: Message, name: str, default=None, minimum: int = 0):
        field = message.one(name)
        if field is None:
            return default
        return self.whole(field, minimum)

    def whole(self, field, minimum: int = 0) -> int:
        value = field.value
        if not isinstance(value, int) or value < minimum:
            self.fail(f"{field.name}: expected a whole number >= {minimum}, got {_show(value)}", field.loc)
        return value

    def integers(self, message: Message, name: str, minimum: int = 0) -> list:
        return [self.whole(field, minimum) for field in message.all(name)]

    def number(self, message: Message, name: str, default: float) -> float:
        field = message.one(name)
        return default if field is None else self.real(field)

    def real(self, field) -> float:
        value = field.value
        if isinstance(value, (str, Message)) or value != value or value in (float("inf"), float("-inf")):
            self.fail(f"{field.name}: expected a finite number, got {_show(value)}", field.loc)
        return value

    def flag(self, message: Message, name: str, default: bool) -> bool:
        field = message.one(name)
        if field is None:
            return default
        value = field.value
        if isinstance(value, Identifier) and value in ("true", "True", "t"):
            return True
        if isinstance(value, Identifier) and value in ("false", "False", "f"):
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.fail(f"{name}: expected true or false, got {_show(value)}", field.loc)

    def choice(self, message: Message, name: str, default: str, names: tuple) -> str:
        """An enum field's value by name (or by its number, ``names`` in the order of Caffe's enum)."""
        field = message.one(name)
        if field is None:
            return default
        value = field.value
        if isinstance(value, Identifier) and value in names:
            return str(value)
        if isinstance(value, int) and 0 <= value < len(names):
            return names[value]
        self.fail(f"{name}: expected one of {', '.join(names)}, got {_show(value)}", field.loc)

    def shape(self, index: int = 0) -> tuple:
        """The shape of the layer's ``index``-th bottom (channels first, no batch)."""
        return self.blob(self.current.bottoms[index]).shape

    def blob(self, field) -> Blob:
        if field.value not in self.blobs:
            self.fail(f'bottom "{field.value}" is not written by any layer above, nor is it the input', field.loc)
        return self.blobs[field.value]

    def bottoms(self, count: int | None = 1, least: int = 1) -> list:
        """The layer's bottoms, checked to be ``count`` (or at least ``least`` when count is None)."""
        found = self.current.bottoms
        if (count is not None and len(found) != count) or len(found) < least:
            wanted = count if count is not None else f"at least {least}"
            self.fail(f"it reads {wanted} bottom{'s' * (wanted != 1)}; this one has {len(found)}")
        return found

    # -- the walk ------------------------------------------------------------------------

    def document(self) -> dict:
        net = self.net
        for field in net.fields:
            if field.name not in NET_FIELDS:
                hint = " (a solver file? cnncalc reads the network's prototxt)" if field.name in _SOLVER_FIELDS else ""
                raise SpecError.at(
                    field.name_loc,
                    f'"{field.name}" is not a field of a Caffe network{hint}; cnncalc reads ' + ", ".join(NET_FIELDS),
                )
        layers = self.caffe_layers()
        self.net_inputs(layers)
        self.count_readers(layers)
        for index, layer in enumerate(layers):
            self.current = layer
            if layer.type != "Input":
                self.visit(layer)
            for top in layer.tops:
                self.version[top.value] = index
        self.current = None
        if not self.layers:
            raise SpecError.at(net.loc, "the network has no layers cnncalc counts")
        name_field = net.one("name")
        name = name_field.value if name_field is not None and isinstance(name_field.value, str) else ""
        name = name or os.path.splitext(os.path.basename(self.path))[0]
        return {"name": name, "input": list(self.blobs[self.input_blob].shape), "layers": self.layers}

    def caffe_layers(self) -> list:
        """The network's layers of the TEST phase, in order, in one form whatever the format."""
        net = self.net
        new, old = net.all("layer"), net.all("layers")
        if new and old:
            raise SpecError.at(
                old[0].name_loc, 'a network writes its layers as "layer" or (the old format) "layers", not both'
            )
        found = []
        for position, field in enumerate(new or old):
            message = field.value
            if not isinstance(message, Message):
                raise SpecError.at(field.loc, f"{field.name} must be a message ({field.name} {{ ... }})")
            if old and message.one("layer") is not None:
                raise SpecError.at(
                    field.name_loc,
                    "the V0 layer format (layers { layer { ... } }): convert the file with Caffe's upgrade_net_proto_text",
                )
            layer = self.caffe_layer(message, field, position, old=bool(old))
            if self.included(layer):
                found.append(layer)
        return found

    def caffe_layer(self, message: Message, field, position: int, old: bool) -> CaffeLayer:
        name_field = message.one("name")
        type_field = message.one("type")
        name = name_field.value if name_field is not None and isinstance(name_field.value, str) else ""
        if type_field is None:
            raise SpecError.at(field.name_loc, f'layer "{name or "(unnamed)"}" has no type')
        written = type_field.value
        if old and isinstance(written, Identifier):
            caffe_type = V1_TYPES.get(str(written), str(written))
        elif not old and isinstance(written, str) and not isinstance(written, Identifier):
            caffe_type = written
        else:
            form = 'a name in quotes ("Convolution")' if not old else "an enum value (CONVOLUTION)"
            raise SpecError.at(type_field.loc, f"a layer's type here is {form}, not {_show(written)}")
        layer = CaffeLayer(
            name or f"{caffe_type.lower()}{position + 1}",
            caffe_type,
            message.all("bottom"),
            message.all("top"),
            message,
            field.name_loc,
            type_field.loc,
        )
        known = LAYER_FIELDS + (V1_LAYER_FIELDS if old else ())
        for inner in message.fields:
            if inner.name not in known and not inner.name.endswith("_param"):
                self.current = layer
                self.fail(f'"{inner.name}" is not a field of a Caffe layer', inner.name_loc)
        for blob in layer.bottoms + layer.tops:
            if not isinstance(blob.value, str) or isinstance(blob.value, Identifier) or not blob.value:
                self.current = layer
                self.fail(f"{blob.name} names a blob in quotes, not {_show(blob.value)}", blob.loc)
        self.current = None
        return layer

    def included(self, layer: CaffeLayer) -> bool:
        """Caffe's rule (net.cpp, FilterNet) for the TEST phase, level 0, no stages."""

        def meets(rule) -> bool:
            message = rule.value
            if not isinstance(message, Message):
                raise SpecError.at(rule.loc, f"{rule.name} must be a message ({rule.name} {{ phase: TEST }})")
            for inner in message.fields:
                if inner.name not in RULE_FIELDS:
                    raise SpecError.at(inner.name_loc, f'"{inner.name}" is not a field of {rule.name}')
            phase = message.one("phase")
            if phase is not None and str(phase.value) not in ("TEST", "1"):
                return False
            low, high = message.one("min_level"), message.one("max_level")
            if (low is not None and self.whole(low, -(2**31)) > 0) or (
                high is not None and self.whole(high, -(2**31)) < 0
            ):
                return False
            return not message.all("stage")  # the state has no stages: a rule needing one fails

        message = layer.message
        included = not message.all("include")
        if included and any(meets(rule) for rule in message.all("exclude")):
            included = False
        if not included and any(meets(rule) for rule in message.all("include")):
            included = True
        return included

    def net_inputs(self, layers: list) -> None:
        """The network's one input: ``input`` with ``input_shape`` or ``input_dim``, or an Input layer."""
        net = self.net
        found = []  # (blob field, dims, loc)
        names = net.all("input")
        shapes, dims = net.all("input_shape"), net.all("input_dim")
        for name in names:
            if not isinstance(name.value, str) or isinstance(name.value, Identifier) or not name.value:
                raise SpecError.at(name.loc, f"input names a blob in quotes, not {_show(name.value)}")
        if names:
            if shapes and dims:
                raise SpecError.at(dims[0].name_loc, "give the input's shape as input_shape or input_dim, not both")
            if shapes:
                if len(shapes) != len(names):
                    raise SpecError.at(names[0].loc, f"{len(names)} inputs but {len(shapes)} input_shape")
                for name, shape in zip(names, shapes):
                    found.append((name, self.dims(shape), shape.loc))
            elif dims:
                if len(dims) != 4 * len(names):
                    raise SpecError.at(
                        dims[0].name_loc, f"input_dim gives four numbers per input: {len(dims)} for {len(names)}"
                    )
                for index, name in enumerate(names):
                    found.append(
                        (name, [self.wanted_dim(d) for d in dims[4 * index : 4 * index + 4]], dims[4 * index].loc)
                    )
            else:
                raise SpecError.at(names[0].loc, "the input has no shape: give input_shape { dim: ... } or input_dim")
        elif shapes or dims:
            raise SpecError.at((shapes or dims)[0].name_loc, 'an input shape without an input name (input: "data")')
        for layer in layers:
            if layer.type != "Input":
                continue
            self.current = layer
            param = self.param("input_param", ("shape",))
            given = param.all("shape")
            if len(given) != len(layer.tops) or not given:
                self.fail(f"it has {len(layer.tops)} top{'s' * (len(layer.tops) != 1)} and {len(given)} shape")
            found += [(top, self.dims(shape), shape.loc) for top, shape in zip(layer.tops, given)]
        self.current = None
        if not found:
            raise SpecError.at(
                net.loc, 'the network has no input: give input: "data" with input_shape { dim: ... }, or an Input layer'
            )
        if len(found) > 1:
            raise SpecError.at(found[1][0].loc, f"cnncalc reads networks with one input; this one has {len(found)}")
        blob, dims_, loc = found[0]
        if len(dims_) < 2:
            raise SpecError.at(loc, f"the input's shape {dims_} needs a batch and channels ([N, C, ...])")
        self.batch = dims_[0]
        self.input_blob = blob.value
        self.blobs[blob.value] = Blob("input", tuple(dims_[1:]), None)
        self.version[blob.value] = -1

    def dims(self, field) -> list:
        message = field.value
        if not isinstance(message, Message):
            raise SpecError.at(field.loc, f"{field.name} must be a message ({field.name} {{ dim: ... }})")
        for inner in message.fields:
            if inner.name != "dim":
                raise SpecError.at(inner.name_loc, f'"{inner.name}" is not a field of a blob shape (it has dim)')
        return [self.wanted_dim(d) for d in message.all("dim")]

    @staticmethod
    def wanted_dim(field) -> int:
        value = field.value
        if not isinstance(value, int) or value < 1:
            raise SpecError.at(field.loc, f"a dimension is a whole number >= 1, not {_show(value)}")
        return value

    def count_readers(self, layers: list) -> None:
        """How many layers read each blob as each layer wrote it (a BatchNorm's output read by
        its Scale alone may be folded into it); weights shared by name are refused."""
        version = {name: -1 for name in self.blobs}
        shared: dict = {}
        for index, layer in enumerate(layers):
            for bottom in layer.bottoms:
                key = (bottom.value, version.get(bottom.value))
                self.readers[key] = self.readers.get(key, 0) + 1
            for top in layer.tops:
                version[top.value] = index
            for spec in layer.message.all("param"):
                named = spec.value.one("name") if isinstance(spec.value, Message) else None
                if named is not None and named.value:
                    if named.value in shared and shared[named.value] != layer.name:
                        self.current = layer
                        self.fail(
                            f'it shares the weights named "{named.value}" with layer "{shared[named.value]}"; '
                            "cnncalc counts each layer's own weights",
                            named.loc,
                        )
                    shared[named.value] = layer.name
        self.current = None

    def visit(self, layer: CaffeLayer) -> None:
        entry = TYPES.get(layer.type)
        if entry is None:
            self.unsupported(layer)
        cls, rule = entry
        for bottom in layer.bottoms:
            self.blob(bottom)
        if not layer.tops:
            self.fail("it writes no top")
        made = rule(layer, self)
        if isinstance(made, Same):
            for top in layer.tops:
                self.blobs[top.value] = self.blobs[made.blob]
            return
        if len(layer.tops) != 1:
            self.fail(f"it writes {len(layer.tops)} tops; cnncalc reads one (two for Split)", layer.tops[1].loc)
        record = self.emit(layer, Layer(cls, made) if isinstance(made, dict) else made)
        self.blobs[layer.tops[0].value] = Blob(record["name"], record["shape"], len(self.layers) - 1)

    def emit(self, layer: CaffeLayer, piece: Layer) -> dict:
        """The record of a cnncalc layer reading the Caffe layer's bottoms, its shape worked
        out (and refused at the Caffe layer's line if cnncalc's arithmetic refuses it)."""
        layer_type = lookup(piece.cls.name)[0]
        sources = [self.blob(bottom) for bottom in layer.bottoms]
        names = [source.ref for source in sources]
        shapes = tuple(source.shape for source in sources)
        args = dict(piece.args)
        values = {}
        for arg in layer_type.args:
            if layer_type.merges and arg.name == layer_type.primary:
                values[arg.name] = tuple(names)
                continue
            try:
                values[arg.name] = arg.kind.parse(args[arg.name]) if arg.name in args else arg.default
            except ArgError as error:
                self.fail(f"as {layer_type.name}, {arg.name}: {error}")
        a = Args(values)
        try:
            if layer_type.spatial:
                needs_spatial(layer_type.name, shapes[0])
            out = tuple(layer_type.output_shape(a, shapes))
        except LayerError as error:
            self.fail(f"as {layer_type.name}: {error}")
        if piece.shape is not None and tuple(piece.shape) != out:
            self.fail(
                f"Caffe's output is {list(piece.shape)}, cnncalc's {layer_type.name} would give {list(out)}; "
                "refused rather than counted differently"
            )
        weights = layer_type.weights(a, shapes)
        learned = [w for w in weights if not w.buffer]
        name = self.unique(layer.name)
        written = {key: value for key, value in args.items() if value != layer_type.arg(key).default}
        record = {
            "type": layer_type.name,
            "args": written,
            "name": name,
            "from": names,
            "merges": layer_type.merges,
            "shape": out,
            "trainable": self.trainable(len(learned)) if learned else True,
            "caffe": [(layer.type, layer.type_loc)],
        }
        self.layers.append(record)
        return record

    def trainable(self, blobs: int) -> bool:
        """False when every learned blob of the layer has ``lr_mult: 0`` (``blobs_lr: 0``)."""
        message = self.current.message
        rates = []
        for spec in message.all("param"):
            if not isinstance(spec.value, Message):
                self.fail("param must be a message (param { lr_mult: 1 })", spec.loc)
            rates.append(self.number(spec.value, "lr_mult", 1.0))
        rates += [self.real(field) for field in message.all("blobs_lr")]
        rates = (rates + [1.0] * blobs)[:blobs]
        if all(rate == 0 for rate in rates):
            return False
        if any(rate == 0 for rate in rates):
            self.fail(
                "a learning rate of 0 for some of its blobs and not others; cnncalc freezes a whole layer or none"
            )
        return True

    def unique(self, name: str) -> str:
        from .export import numbered

        return numbered(name, self.names)


_SOLVER_FIELDS = ("net", "base_lr", "lr_policy", "max_iter", "solver_mode", "train_net", "test_iter", "snapshot")


def _show(value) -> str:
    if isinstance(value, Message):
        return "a message"
    if isinstance(value, Identifier):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _one(values: list):
    """A per-axis list, or one number when every axis has it."""
    return values[0] if len(set(values)) == 1 else list(values)


# --- writing the architecture file ----------------------------------------------------------


def render(document: dict, head: str = "") -> tuple:
    """The lines of the architecture file of a document, and for each line (from 1) the
    position in the Caffe file it came from (None for the header)."""

    lines = head.split("\n") if head else []
    lines += [f"name: {scalar(document['name'])}", f"input: {flow(document['input'])}", "layers:"]
    origins = [None] * len(lines)
    previous = "input"
    for layer in document["layers"]:
        caffe = layer["caffe"]
        where = ", ".join(f"{kind} at line {loc.line}" for kind, loc in caffe)
        if layer["merges"]:  # the inputs as the primary argument, or beside the others (weighted_sum's)
            merged = {"inputs": layer["from"], **layer["args"]} if layer["args"] else layer["from"]
            written = [f"  - {layer['type']}: {flow(merged)}"]
        else:
            args = layer["args"]
            written = [f"  - {layer['type']}" + (f": {flow(args)}" if args else ":")]
            if layer["from"][0] != previous:
                written.append(f"    from: {scalar(layer['from'][0])}")
        written[0] += f"  # {where}"
        written.append(f"    name: {scalar(layer['name'])}")
        if not layer["trainable"]:
            written.append("    trainable: false")
        lines += written
        origins += [caffe[0][1]] * len(written)
        previous = layer["name"]
    return lines, origins


# --- the rules: Caffe layer types read as cnncalc layer types --------------------------------

CONV_FIELDS = ("num_output", "bias_term", "pad", "kernel_size", "stride", "dilation", "pad_h", "pad_w", "kernel_h",
               "kernel_w", "stride_h", "stride_w", "group", "axis", "force_nd_im2col", "weight_filler",
               "bias_filler", "engine")  # fmt: skip


def _sizes(r: Reader, p: Message, name: str, nd: int, default: int, minimum: int) -> list:
    """One of Caffe's per-axis sizes: ``name_h``/``name_w`` (2-D), or ``name`` repeated once or once per axis."""
    h, w = p.one(f"{name}_h"), p.one(f"{name}_w")
    if h is not None or w is not None:
        if nd != 2 or h is None or w is None or p.all(name):
            r.fail(f"{name}_h and {name}_w go together, on a 2-D input, without {name}", (h or w).name_loc)
        return [r.whole(h, minimum), r.whole(w, minimum)]
    values = r.integers(p, name, minimum)
    if not values:
        return [default] * nd
    if len(values) not in (1, nd):
        r.fail(
            f"{name} is given once, or once per spatial axis ({nd}); here {len(values)} times", p.all(name)[0].name_loc
        )
    return values * nd if len(values) == 1 else values


def _kernel(r: Reader, p: Message, nd: int, key: str) -> list:
    """The window: ``kernel_h`` and ``kernel_w``, or ``kernel_size`` (once, or once per axis)."""
    if p.one("kernel_h") is not None or p.one("kernel_w") is not None:
        if p.all("kernel_size"):
            r.fail("kernel_size or kernel_h and kernel_w, not both", p.all("kernel_size")[0].name_loc)
        return _sizes(r, p, "kernel", nd, 0, 1)
    if not p.all("kernel_size"):
        r.fail(f"{key} needs kernel_size (or kernel_h and kernel_w)")
    return _sizes(r, p, "kernel_size", nd, 0, 1)


def _convolution(r: Reader) -> dict:
    p = r.param("convolution_param", CONV_FIELDS)
    r.bottoms(1)
    shape = r.shape()
    needs = len(shape) - 1
    if needs < 1:
        r.fail(f"it needs an input with spatial axes; its input is {list(shape)}")
    if r.integer(p, "axis", 1, minimum=-10) not in (1, -needs - 1):
        r.fail("a convolution over an axis other than the channels (axis 1)", p.one("axis").loc)
    filters = r.integer(p, "num_output", None, minimum=1)
    if filters is None:
        r.fail("convolution_param needs num_output")
    return {
        "filters": filters,
        "kernel": _one(_kernel(r, p, needs, "convolution_param")),
        "stride": _one(_sizes(r, p, "stride", needs, 1, 1)),
        "padding": _one(_sizes(r, p, "pad", needs, 0, 0)),
        "dilation": _one(_sizes(r, p, "dilation", needs, 1, 1)),
        "groups": r.integer(p, "group", 1, minimum=1),
        "bias": r.flag(p, "bias_term", True),
    }


@reads(conv.Conv, "Convolution")
def _conv(layer: CaffeLayer, r: Reader):
    return _convolution(r)


@reads(conv.Deconv, "Deconvolution")
def _deconv(layer: CaffeLayer, r: Reader):
    # Caffe's output: stride*(W - 1) + dilation*(kernel - 1) + 1 - 2*pad, cnncalc's deconv's
    # without output_padding; its weights (C_in, num_output/group, k, k), as cnncalc counts.
    return _convolution(r)


POOL_FIELDS = ("pool", "pad", "pad_h", "pad_w", "kernel_size", "kernel_h", "kernel_w", "stride", "stride_h",
               "stride_w", "engine", "global_pooling", "round_mode")  # fmt: skip
POOL_METHODS = ("MAX", "AVE", "STOCHASTIC")


def caffe_pooled(size: int, kernel: int, stride: int, pad: int, padded: bool, ceil: bool = True) -> int:
    """Caffe's pooled size on one axis (pooling_layer.cpp, Reshape): ``ceil((W + 2P - K)/S) + 1``
    (``floor`` with ``round_mode: FLOOR``), then one less if the layer pads (on any axis) and
    the last window would start at or past the end of the image and its left padding.

    >>> caffe_pooled(55, 3, 2, 0, False)    # AlexNet's pool1
    27
    >>> caffe_pooled(112, 3, 2, 0, False)   # GoogLeNet's pool1: floor would give 55
    56
    >>> caffe_pooled(5, 1, 3, 0, False)     # a last window starting at 6, past the image
    3
    """
    span = size + 2 * pad - kernel
    out = (-(-span // stride) if ceil else span // stride) + 1
    if padded and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@reads(pool.MaxPool, "Pooling")
def _pooling(layer: CaffeLayer, r: Reader):
    p = r.param("pooling_param", POOL_FIELDS)
    r.bottoms(1)
    shape = r.shape()
    if len(shape) != 3:
        r.fail(f"Caffe pools [C, H, W] maps; its input is {list(shape)}")
    method = r.choice(p, "pool", "MAX", POOL_METHODS)
    round_field = p.one("round_mode")
    if round_field is not None and not (
        isinstance(round_field.value, Identifier) and round_field.value in ("CEIL", "FLOOR")
    ):
        r.fail("round_mode: write CEIL or FLOOR (forks of Caffe number them differently)", round_field.loc)
    ceil = round_field is None or round_field.value == "CEIL"
    if r.flag(p, "global_pooling", False):
        if any(p.one(key) is not None for key in ("kernel_size", "kernel_h", "kernel_w")):
            r.fail("global_pooling takes its window from the input; give no kernel_size")
        if _sizes(r, p, "pad", 2, 0, 0) != [0, 0] or _sizes(r, p, "stride", 2, 1, 1) != [1, 1]:
            r.fail("global_pooling goes with pad 0 and stride 1")
        if method == "STOCHASTIC":
            r.fail("global stochastic pooling: cnncalc pools stochastically over a window")
        return Layer(pool.GlobalMaxPool if method == "MAX" else pool.GlobalAvgPool)
    kernel = _kernel(r, p, 2, "pooling_param (without global_pooling)")
    stride = _sizes(r, p, "stride", 2, 1, 1)
    pad = _sizes(r, p, "pad", 2, 0, 0)
    if any(pd >= k for pd, k in zip(pad, kernel)):
        r.fail(f"padding {_one(pad)} as wide as the kernel {_one(kernel)}: Caffe refuses it (pad < kernel)")
    if method == "STOCHASTIC" and any(pad):
        r.fail("stochastic pooling with padding: Caffe pads only max and average pooling")
    padded = any(pad)
    expected = (
        shape[0],
        *(caffe_pooled(n, k, s, pd, padded, ceil) for n, k, s, pd in zip(shape[1:], kernel, stride, pad)),
    )
    args = {"kernel": _one(kernel), "stride": _one(stride), "padding": _one(pad), "ceil_mode": ceil}
    cls = {"MAX": pool.MaxPool, "AVE": pool.AvgPool, "STOCHASTIC": stochastic.StochasticPool}[method]
    # AVE divides by the window's size with the padding, not past it: count_include_pad (the default)
    return Layer(cls, args, shape=expected)


LRN_FIELDS = ("local_size", "alpha", "beta", "norm_region", "k", "engine")


@reads(norm.LRN, "LRN")
def _lrn(layer: CaffeLayer, r: Reader):
    p = r.param("lrn_param", LRN_FIELDS)
    r.bottoms(1)
    region = r.choice(p, "norm_region", "ACROSS_CHANNELS", ("ACROSS_CHANNELS", "WITHIN_CHANNEL"))
    size = r.integer(p, "local_size", 5, minimum=1)
    if size % 2 == 0:
        r.fail(f"local_size {size}: Caffe's LRN takes odd sizes only", p.one("local_size").loc)
    args = {"size": size, "alpha": r.number(p, "alpha", 1.0), "beta": r.number(p, "beta", 0.75)}
    if region == "WITHIN_CHANNEL":
        # lrn_layer.cpp: a square, an AVE pooling (local_size, stride 1, pad (local_size-1)/2)
        # and a power with scale alpha and shift 1: k is not read.
        return Layer(norm.SpatialLRN, args)
    # Caffe divides alpha by local_size, as PyTorch's LocalResponseNorm and cnncalc's lrn do.
    return {**args, "k": r.number(p, "k", 1.0)}


@reads(linear.FC, "InnerProduct")
def _inner_product(layer: CaffeLayer, r: Reader):
    p = r.param("inner_product_param", ("num_output", "bias_term", "weight_filler", "bias_filler", "axis", "transpose"))
    r.bottoms(1)
    rank = len(r.shape()) + 1
    if r.integer(p, "axis", 1, minimum=-10) not in (1, 1 - rank):
        r.fail("an inner product from an axis other than the channels (axis 1)", p.one("axis").loc)
    units = r.integer(p, "num_output", None, minimum=1)
    if units is None:
        r.fail("inner_product_param needs num_output")
    # transpose stores the weights the other way round: the same count
    r.flag(p, "transpose", False)
    return {"units": units, "bias": r.flag(p, "bias_term", True)}


@reads(merge.Concat, "Concat")
def _concat(layer: CaffeLayer, r: Reader):
    p = r.param("concat_param", ("axis", "concat_dim"))
    bottoms = r.bottoms(None, 1)
    rank = len(r.shape()) + 1
    axis = r.integer(p, "axis", None, minimum=-rank)
    if axis is None:
        axis = r.integer(p, "concat_dim", 1)
    if axis % rank != 1:
        r.fail(f"a concatenation along axis {axis}; cnncalc joins channels (axis 1)")
    if len(bottoms) == 1:  # a copy of its one bottom
        return Same(bottoms[0].value)
    return {}


ELTWISE_OPERATIONS = ("PROD", "SUM", "MAX")


@reads(merge.Add, "Eltwise")
def _eltwise(layer: CaffeLayer, r: Reader):
    p = r.param("eltwise_param", ("operation", "coeff", "stable_prod_grad"))
    bottoms = r.bottoms(None, 2)
    shapes = {r.shape(index) for index in range(len(bottoms))}
    if len(shapes) != 1:
        r.fail(f"Caffe's Eltwise needs bottoms of one shape; these are {', '.join(str(list(s)) for s in shapes)}")
    operation = r.choice(p, "operation", "SUM", ELTWISE_OPERATIONS)
    coefficients = [r.real(field) for field in p.all("coeff")]
    if coefficients and operation != "SUM":
        r.fail("coeff goes with operation SUM only (Caffe refuses it otherwise)")
    if coefficients and len(coefficients) != len(bottoms):
        r.fail(f"{len(coefficients)} coeff for {len(bottoms)} bottoms (Caffe wants one per bottom)")
    if any(c == 0 for c in coefficients):
        r.fail(f"coeff 0 leaves a bottom out of the sum (coeff {', '.join(f'{c:g}' for c in coefficients)})")
    if any(c != 1 for c in coefficients):
        return Layer(merge.WeightedSum, {"coefficients": coefficients})
    return Layer({"SUM": merge.Add, "PROD": merge.Mul, "MAX": merge.Max}[operation])


@reads(norm.BatchNorm, "BatchNorm")
def _batchnorm(layer: CaffeLayer, r: Reader):
    p = r.param("batch_norm_param", ("use_global_stats", "moving_average_fraction", "eps"))
    r.bottoms(1)
    if not r.flag(p, "use_global_stats", True):
        r.fail(
            "use_global_stats: false normalises with each batch's own statistics even in the test phase, while "
            "keeping Caffe's three blobs; cnncalc's batchnorm does one or the other"
        )
    # moving_average_fraction (Caffe's momentum) changes training only: no figure depends on it
    r.number(p, "moving_average_fraction", 0.999)
    args = {"affine": False, "counter": True, "eps": r.number(p, "eps", 1e-5)}
    return args


SCALE_FIELDS = ("axis", "num_axes", "filler", "bias_term", "bias_filler")


@reads(norm.LayerScale, "Scale")
def _scale(layer: CaffeLayer, r: Reader):
    """Caffe's per-channel scale (and shift): after a BatchNorm whose output nobody else reads,
    the BatchNorm's scale and shift; alone, a layer_scale (with ``bias: true`` for bias_term)."""
    p = r.param("scale_param", SCALE_FIELDS)
    if len(layer.bottoms) == 2:
        r.fail("a scale by a second bottom: cnncalc reads Scale with its own learned scale (one bottom)")
    r.bottoms(1)
    if (
        r.integer(p, "axis", 1, minimum=-10) not in (1, -len(r.shape()) - 1)
        or r.integer(p, "num_axes", 1, minimum=-1) != 1
    ):
        r.fail("a scale over axes other than the channels (axis 1, num_axes 1)")
    bias = r.flag(p, "bias_term", False)
    bottom = layer.bottoms[0]
    source = r.blob(bottom)
    writer = r.version.get(bottom.value)
    if source.record is not None and r.readers.get((bottom.value, writer)) == 1:
        record = r.layers[source.record]
        if record["type"] == norm.BatchNorm.name and record["args"].get("affine") is False and bias:
            del record["args"]["affine"]  # a batchnorm's scale and shift: affine, the default
            record["caffe"].append((layer.type, layer.type_loc))
            record["trainable"] = r.trainable(2)
            return Same(bottom.value)
    if bias:  # a scale and a shift per channel, alone: C + C parameters
        return {"init": 1.0, "bias": True}
    return {"init": 1.0}  # Caffe's default filler for the scale: the constant 1


@reads(activation.ReLU, "ReLU")
def _relu(layer: CaffeLayer, r: Reader):
    p = r.param("relu_param", ("negative_slope", "engine"))
    r.bottoms(1)
    slope = r.number(p, "negative_slope", 0.0)
    if slope:
        return Layer(activation.LeakyReLU, {"negative_slope": slope})
    return {}


@reads(activation.PReLU, "PReLU")
def _prelu(layer: CaffeLayer, r: Reader):
    p = r.param("prelu_param", ("filler", "channel_shared"))
    r.bottoms(1)
    shared = r.flag(p, "channel_shared", False)
    return {"num_parameters": 1 if shared else r.shape()[0]}


def _plain(cls, caffe_type: str, key: str, known: tuple = ("engine",)):
    """A Caffe layer type read as an argument-free layer type."""

    def rule(layer: CaffeLayer, r: Reader):
        r.param(key, known)
        r.bottoms(1)
        return {}

    reads(cls, caffe_type)(rule)


_plain(activation.Sigmoid, "Sigmoid", "sigmoid_param")
_plain(activation.Tanh, "TanH", "tanh_param")


@reads(activation.Softmax, "Softmax")
def _softmax(layer: CaffeLayer, r: Reader):
    p = r.param("softmax_param", ("engine", "axis"))
    r.bottoms(1)
    rank = len(r.shape()) + 1
    if r.integer(p, "axis", 1, minimum=-rank) % rank != 1:
        r.fail("a softmax over an axis other than the channels (axis 1)")
    return {}


@reads(norm.Dropout, "Dropout")
def _dropout(layer: CaffeLayer, r: Reader):
    p = r.param("dropout_param", ("dropout_ratio", "scale_train"))
    r.bottoms(1)
    ratio = r.number(p, "dropout_ratio", 0.5)
    if not 0 <= ratio <= 1:
        r.fail(f"dropout_ratio {ratio:g} is no probability")
    return {"p": ratio}


@reads(linear.Flatten, "Flatten")
def _flatten(layer: CaffeLayer, r: Reader):
    p = r.param("flatten_param", ("axis", "end_axis"))
    r.bottoms(1)
    rank = len(r.shape()) + 1
    axis, end = r.integer(p, "axis", 1, minimum=-rank), r.integer(p, "end_axis", -1, minimum=-rank)
    if axis % rank != 1 or end % rank != rank - 1:
        r.fail(f"a flatten of axes {axis} to {end}; cnncalc flattens all but the batch (axis 1 to -1)")
    return {}


@reads(activation.Identity, "Split")
def _split(layer: CaffeLayer, r: Reader):
    r.bottoms(1)
    return Same(layer.bottoms[0].value)


def supported() -> list:
    """The Caffe layer types cnncalc reads, Input included."""
    return sorted([*TYPES, "Input"])
