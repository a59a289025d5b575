"""The architecture file (shared/SPEC.md section 1) read into validated, position-aware specs.

``read(path)`` returns a :class:`NetworkSpec` or raises ``SpecError`` listing every problem
found, each as ``FILE:LINE:COL: error: ...``. A layer is written ``TYPE``, ``TYPE: PRIMARY``
or ``TYPE: {ARGS}``, with the sibling keys ``name``, ``from``, ``expect`` and ``trainable``;
a block ``repeat: N`` with ``layers:`` repeats its layers N times in a row. Arguments are
checked against each layer type's schema (``cnncalc/layers``), so unknown names get a
"did you mean" and wrong values say what was expected.
"""

from __future__ import annotations

from . import source
from .errors import ArgError, Diagnostic, Loc, SpecError, did_you_mean
from .layers import REGISTRY, lookup
from .layers.base import Args, Numbers, _show
from .record import Record

TOP_KEYS = ("name", "input", "layers", "values", "description")
SIBLING_KEYS = ("name", "from", "expect", "trainable")
REPEAT_KEYS = ("repeat", "layers", "name")
EXPECT_FIELDS = (
    "shape",
    "params",
    "size",
    "macs",
    "receptive_field",
    "values",
    "trainable_params",
    "buffers",
    "activation_bytes",
)
INPUT_NAME = "input"


class LayerSpec(
    Record, fields="type args name inputs expect trainable dims written_type loc type_loc arg_locs input_locs name_loc"
):
    """One layer as written: its type (a registered ``LayerType``), argument values with the
    defaults filled in, and where each part was written.

    ``inputs`` is None for "the layer above", else the names written in ``from`` or, for a
    merge, its list. ``dims`` is the number of spatial axes a ``conv2d``-style name demands.
    """

    __slots__ = ()

    def arg_loc(self, arg: str | None) -> Loc:
        return self.arg_locs.get(arg, self.type_loc)


class RepeatSpec(Record, fields="count layers name loc count_loc"):
    """``repeat: count`` over ``layers`` (LayerSpecs and nested RepeatSpecs)."""

    __slots__ = ()


class NetworkSpec(Record, fields="name input layers values file loc input_loc"):
    """A whole architecture file: the input shape (channels first) and the layers."""

    __slots__ = ()


def read(path: str) -> NetworkSpec:
    """Reads and validates the architecture file at ``path``."""
    return parse(source.load(path), path)


def parse(document, file: str = "<string>") -> NetworkSpec:
    """Validates an already-read YAML document (``cnncalc.source`` values)."""
    reader = _Reader(file)
    network = reader.network(document)
    if reader.problems:
        raise SpecError(reader.problems)
    return network


def type_names() -> list:
    return sorted({t.name for t in REGISTRY.values()})


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list = []

    def error(self, loc: Loc, message: str) -> None:
        self.problems.append(Diagnostic(loc, message))

    # -- the file ----------------------------------------------------------------------

    def network(self, document) -> NetworkSpec | None:
        top = Loc(self.file, 1, 1)
        if not isinstance(document, dict):
            self.error(
                getattr(document, "loc", top),
                "an architecture file is a mapping with `input:` and `layers:`"
                + (" (this one is empty)" if document is None else f", not {_show(document)}"),
            )
            return None
        self.check_keys(document, TOP_KEYS, "the top level")
        name = document.get("name")
        if name is not None and not isinstance(name, (str, int, float)):
            self.error(document.value_locs["name"], f"name must be text, not {_show(name)}")
        shape = None
        if "input" not in document:
            self.error(document.loc, "missing `input:`, the input's shape, channels first (e.g. input: [3, 224, 224])")
        else:
            shape = self.input_shape(document["input"], document.value_locs["input"])
        layers = ()
        if "layers" not in document:
            self.error(document.loc, "missing `layers:`, the list of layers")
        else:
            layers = self.layer_list(document["layers"], document.value_locs["layers"], "layers")
        values = None
        if "values" in document:
            values = self.value(Numbers(), document["values"], document.value_locs["values"], "values")
        return NetworkSpec(
            None if name is None else str(name),
            shape,
            layers,
            values,
            self.file,
            document.loc,
            document.value_locs.get("input", document.loc),
        )

    def input_shape(self, value, loc: Loc):
        what = "the input's shape, channels first: [C], [C, L], [C, H, W] or [C, D, H, W]"
        if not isinstance(value, list) or not 1 <= len(value) <= 4:
            count = f"{len(value)} entries" if isinstance(value, list) else _show(value)
            self.error(loc, f"input must be a list of 1 to 4 positive whole numbers, {what}; got {count}")
            return None
        for index, (entry, entry_loc) in enumerate(zip(value, value.item_locs)):
            if not isinstance(entry, int) or isinstance(entry, bool) or entry < 1:
                self.error(
                    entry_loc, f"input entry {index + 1} is {_show(entry)}, not a positive whole number ({what})"
                )
                return None
        return tuple(value)

    def check_keys(self, mapping, allowed, where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.error(
                    mapping.key_locs[key],
                    f"unknown key {_key(key)} in {where}{did_you_mean(key, allowed)}; "
                    f"expected one of: {', '.join(allowed)}",
                )

    # -- layers --------------------------------------------------------------------------

    def layer_list(self, value, loc: Loc, where: str) -> tuple:
        if not isinstance(value, list) or not value:
            self.error(loc, f"{where} must be a non-empty list of layers, not {_show(value)}")
            return ()
        items = []
        for item, item_loc in zip(value, value.item_locs):
            parsed = self.item(item, item_loc)
            if parsed is not None:
                items.append(parsed)
        return tuple(items)

    def item(self, item, loc: Loc):
        if isinstance(item, str):
            return self.layer(item, None, loc, loc, loc, None)
        if isinstance(item, dict):
            if "repeat" in item:
                return self.repeat(item)
            return self.layer_mapping(item)
        self.error(loc, f"a layer is written TYPE, TYPE: VALUE or TYPE: {{ARGUMENTS}}; got {_show(item)}")
        return None

    def repeat(self, mapping) -> RepeatSpec | None:
        self.check_keys(mapping, REPEAT_KEYS, "a repeat block")
        count = mapping["repeat"]
        count_loc = mapping.value_locs["repeat"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            self.error(count_loc, f"repeat must be a positive whole number, not {_show(count)}")
            count = None
        if "layers" not in mapping:
            self.error(mapping.key_locs["repeat"], "a repeat block needs `layers:`, the layers to repeat")
            return None
        layers = self.layer_list(mapping["layers"], mapping.value_locs["layers"], "a repeat block's layers")
        name = self.name(mapping)
        if count is None or not layers:
            return None
        return RepeatSpec(count, layers, name, mapping.loc, count_loc)

    def layer_mapping(self, mapping) -> LayerSpec | None:
        for key in mapping:
            if not isinstance(key, str):
                hint = " (YAML reads yes/no/on/off as true/false: quote it)" if isinstance(key, bool) else ""
                self.error(mapping.key_locs[key], f"a key must be a name, not {_show(key)}{hint}")
                return None
        type_keys = [key for key in mapping if key not in SIBLING_KEYS]
        if not type_keys:
            self.error(
                mapping.loc,
                f"this layer has no type; write one such as `conv: {{...}}` beside {', '.join(k for k in mapping)}",
            )
            return None
        if len(type_keys) > 1 and not self.explain_extra_keys(mapping, type_keys):
            return None
        type_key = type_keys[0]
        return self.layer(
            type_key, mapping, mapping.loc, mapping.key_locs[type_key], mapping.value_locs[type_key], mapping[type_key]
        )

    def explain_extra_keys(self, mapping, type_keys) -> bool:
        """Several candidate type keys: usually arguments written beside the type instead of inside."""
        known = [key for key in type_keys if _known(key)]
        if len(known) != 1:
            self.error(
                mapping.key_locs[type_keys[1]],
                f"a layer has one type, but this one has {len(type_keys)}: "
                f"{', '.join(type_keys)}; put each layer in its own list item",
            )
            return False
        layer_name = known[0]
        layer_type = lookup(layer_name)[0]
        for key in type_keys:
            if key == layer_name:
                continue
            if layer_type.arg(key):
                self.error(
                    mapping.key_locs[key],
                    f"{_key(key)} is an argument of {layer_type.name}: write it inside, "
                    f"as `{layer_name}: {{{key}: ...}}`",
                )
            else:
                self.error(
                    mapping.key_locs[key],
                    f"unknown key {_key(key)} beside the layer type"
                    f"{did_you_mean(key, SIBLING_KEYS)}; a layer's keys are its type and "
                    f"{', '.join(SIBLING_KEYS)}",
                )
        # Keep reading the layer so its own problems are reported too.
        type_keys[:] = [layer_name]
        return True

    def layer(self, written, mapping, loc: Loc, type_loc: Loc, value_loc: Loc, value) -> LayerSpec | None:
        problems_before = len(self.problems)
        try:
            layer_type, dims = lookup(written)
        except KeyError:
            names = sorted({n for t in REGISTRY.values() for n in (t.name, *t.aliases)})
            self.error(type_loc, f"unknown layer type {_key(written)}{did_you_mean(written, names)}")
            return None
        given, arg_locs = self.arguments(layer_type, written, value, value_loc)
        if len(self.problems) > problems_before:
            return None  # an argument was wrong: do not also call it missing
        missing = [arg.name for arg in layer_type.args if arg.required and arg.name not in given]
        if missing:
            example = f"{written}: {{{', '.join(f'{m}: ...' for m in missing)}}}"
            self.error(type_loc, f"{layer_type.name} needs {' and '.join(missing)} (e.g. `{example}`)")
            return None
        args = Args({arg.name: given.get(arg.name, arg.default) for arg in layer_type.args})
        siblings = mapping if mapping is not None else {}
        inputs, input_locs = self.inputs(layer_type, args, siblings, value, value_loc)
        expect = self.expect(siblings)
        trainable = self.trainable(siblings)
        return LayerSpec(
            layer_type,
            args,
            self.name(mapping) if mapping is not None else None,
            inputs,
            expect,
            trainable,
            dims,
            written,
            loc,
            type_loc,
            arg_locs,
            input_locs,
            siblings.value_locs.get("name") if mapping is not None else None,
        )

    def arguments(self, layer_type, written: str, value, value_loc: Loc):
        given, locs = {}, {}
        if value is None:
            return given, locs
        if isinstance(value, dict):
            for key, item in value.items():
                arg = layer_type.arg(key) if isinstance(key, str) else None
                if arg is None:
                    names = [a.name for a in layer_type.args]
                    takes = f"; it takes {', '.join(names)}" if names else "; it takes no arguments"
                    self.error(
                        value.key_locs[key],
                        f"{layer_type.name} has no argument {_key(key)}{did_you_mean(key, names)}{takes}",
                    )
                    continue
                parsed = self.value(arg.kind, item, value.value_locs[key], f"{written}: {key}")
                if parsed is not None:
                    given[key] = parsed
                    locs[key] = value.value_locs[key]
            return given, locs
        if layer_type.primary is None:
            takes = ", ".join(a.name for a in layer_type.args)
            hint = f"`{written}: {{{takes.split(', ')[0]}: ...}}`" if takes else f"just `{written}`"
            self.error(value_loc, f"{layer_type.name} takes no value of its own ({_show(value)}); write {hint}")
            return given, locs
        primary = layer_type.arg(layer_type.primary)
        parsed = self.value(primary.kind, value, value_loc, f"{written}: {primary.name}")
        if parsed is not None:
            given[primary.name] = parsed
            locs[primary.name] = value_loc
        return given, locs

    def value(self, kind, value, loc: Loc, what: str):
        try:
            return kind.parse(value)
        except ArgError as error:
            self.error(loc, f"{what}: {error}")
            return None

    def inputs(self, layer_type, args, siblings, value, value_loc: Loc):
        if layer_type.merges:
            if "from" in siblings:
                self.error(
                    siblings.key_locs["from"],
                    f"{layer_type.name} takes its inputs as its value (`{layer_type.name}: [a, b]`), not from `from:`",
                )
            names = args.get(layer_type.primary)
            if names is None:
                return None, ()
            item_locs = getattr(value, "item_locs", None) or [value_loc] * len(names)
            return tuple(names), tuple(item_locs)
        if "from" not in siblings:
            return None, ()
        written = siblings["from"]
        loc = siblings.value_locs["from"]
        if isinstance(written, list) and len(written) == 1:
            written = written[0]
        if not isinstance(written, str) or not written:
            self.error(
                loc,
                f"from names one layer (or `input`), not {_show(written)}"
                + ("; only merges such as add and concat take several" if isinstance(written, list) else ""),
            )
            return None, ()
        return (written,), (loc,)

    def name(self, mapping):
        if mapping is None or "name" not in mapping:
            return None
        name = mapping["name"]
        loc = mapping.value_locs["name"]
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = str(name)
        if not isinstance(name, str) or not name.strip():
            self.error(loc, f"name must be text, not {_show(name)}")
            return None
        if name == INPUT_NAME:
            self.error(loc, "`input` is reserved for the network's input; choose another name")
            return None
        return name

    def expect(self, siblings):
        if "expect" not in siblings:
            return None
        expect = siblings["expect"]
        if not isinstance(expect, dict):
            self.error(
                siblings.value_locs["expect"],
                f"expect is a mapping of answers ({', '.join(EXPECT_FIELDS)}), not {_show(expect)}",
            )
            return None
        self.check_keys(expect, EXPECT_FIELDS, "expect")
        return expect

    def trainable(self, siblings) -> bool:
        if "trainable" not in siblings:
            return True
        value = siblings["trainable"]
        if not isinstance(value, bool):
            self.error(siblings.value_locs["trainable"], f"trainable must be true or false, not {_show(value)}")
            return True
        return value


def _known(key) -> bool:
    try:
        lookup(key)
        return True
    except KeyError:
        return False


def _key(key) -> str:
    return f'"{key}"'
