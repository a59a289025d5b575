"""The architecture file (shared/SPEC.md section 1) read into validated, position-aware specs.

``read(path)`` returns a :class:`NetworkSpec` or raises ``SpecError`` listing every problem
found, each as ``FILE:LINE:COL: error: ...``. A layer is written ``TYPE``, ``TYPE: PRIMARY``
or ``TYPE: {ARGS}``, with the sibling keys ``name``, ``from``, ``expect`` and ``trainable``;
a block ``repeat: N`` with ``layers:`` repeats its layers N times in a row. Arguments are
checked against each layer type's schema (``cnncalc/layers``), so unknown names get a
"did you mean" and wrong values say what was expected.
"""

from __future__ import annotations

import os

from . import source
from .errors import ArgError, Diagnostic, Loc, SpecError, did_you_mean
from .layers import REGISTRY, lookup
from .layers.base import REQUIRED, Args, Numbers, _show
from .record import Record

TOP_KEYS = ("name", "input", "layers", "values", "description", "modules", "import", "params")
# Files one file may reach through `import:` (its own and theirs), and how deep.
MAX_IMPORTS = 64
MAX_IMPORT_DEPTH = 8
SIBLING_KEYS = ("name", "from", "expect", "trainable", "when")
MODULE_KEYS = ("params", "layers", "description")
REPEAT_KEYS = ("repeat", "layers", "name", "index")
# Repetitions of an `index:` repeat worked out in one reading (nested ones multiplied): each
# is a copy of its body, so the graph's layer limit is met before they are made.
MAX_INDEXED = 200_000
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
    Record,
    fields="type args name inputs expect trainable dims written_type loc type_loc arg_locs input_locs name_loc when",
):
    """One layer as written: its type (a registered ``LayerType``), argument values with the
    defaults filled in, and where each part was written.

    ``inputs`` is None for "the layer above", else the names written in ``from`` or, for a
    merge, its list. ``dims`` is the number of spatial axes a ``conv2d``-style name demands.
    """

    __slots__ = ()

    def arg_loc(self, arg: str | None) -> Loc:
        return self.arg_locs.get(arg, self.type_loc)


class RepeatSpec(Record, fields="count layers name loc count_loc bodies"):
    """``repeat: count`` over ``layers`` (LayerSpecs and nested RepeatSpecs). With ``index:``,
    ``bodies`` holds each repetition's layers, its index worked out in them (``layers`` is
    the first's); else None, and every repetition is ``layers``."""

    __slots__ = ()


class NetworkSpec(Record, fields="name input layers values file loc input_loc modules"):
    """A whole architecture file: the input shape (channels first), the layers, the modules."""

    __slots__ = ()


class ModuleSpec(Record, fields="name params layers loc"):
    """A reusable block: ``params`` maps each parameter to its default (REQUIRED if none);
    ``layers`` is kept as written (``${...}`` unevaluated) until an instance gives values."""

    __slots__ = ()


class ModuleUse(
    Record, fields="module args name inputs expect trainable when loc type_loc arg_locs input_locs name_loc"
):
    """A module used like a layer: ``- bottleneck: {width: 128, stride: 2}``."""

    __slots__ = ()


def read(path: str) -> NetworkSpec:
    """Reads and validates the architecture file at ``path`` (a file of another format:
    ``cnncalc.files.read``)."""
    return parse(source.load(path), path)


def parse(document, file: str = "<string>", params: dict | None = None) -> NetworkSpec:
    """Validates an already-read YAML document (``cnncalc.source`` values). ``params``
    overrides parameters' defaults: ``{"width": 0.5}`` a top-level parameter (``params:`` of
    the file), ``{"bottleneck.expansion": 2}`` a module's; naming one the file does not
    declare is a UsageError (exit 2)."""
    reader = _Reader(file, overrides=params)
    network = reader.network(document)
    if reader.problems:
        raise SpecError(reader.problems)
    reader.check_overrides_used()
    for module, param in reader.module_overrides:
        _check_default_is_read(network, module, param, file)
    return network


def _check_default_is_read(network: NetworkSpec, module: str, param: str, file: str) -> None:
    """``MODULE.NAME=V`` sets a default: refused when every use of the module passes NAME
    itself, where it would change nothing (a sweep of equal rows, exit 0)."""
    from .errors import UsageError

    uses = []  # for each use of the module, in the file's layers and in modules' bodies: passes NAME?

    def walk_specs(items):
        for item in items:
            if isinstance(item, RepeatSpec):
                walk_specs(item.layers)
            elif isinstance(item, ModuleUse) and item.module == module:
                uses.append(param in item.args)

    def walk_values(value):  # module bodies stay as written until an instance reads them
        if isinstance(value, dict):
            for key, item in value.items():
                if key == module:
                    uses.append(isinstance(item, dict) and param in item)
                walk_values(item)
        elif isinstance(value, list):
            for item in value:
                walk_values(item)

    walk_specs(network.layers)
    for other in network.modules.values():
        walk_values(other.layers)
    if uses and all(uses):
        raise UsageError(
            f"{file}: error: {module}.{param} sets the default of {param}, but every use of {module} "
            f"({len(uses)}) passes {param} itself: the default is never read; set what those uses pass"
        )


def parse_modules(document, file: str = "<string>") -> dict:
    """The modules of a file that holds only modules (``modules:`` and ``import:``, what a
    network's ``import:`` reads): name -> ModuleSpec. Raises SpecError listing the problems."""
    reader = _Reader(file)
    modules = reader.modules_of(document, (os.path.normpath(file),))
    if reader.problems:
        raise SpecError(reader.problems)
    return modules


def is_module_file(document) -> bool:
    """A mapping of ``modules:`` (and ``import:``) with no ``input:`` or ``layers:``."""
    return isinstance(document, dict) and "modules" in document and not ("input" in document or "layers" in document)


def instantiate(use: ModuleUse, modules: dict, file: str, where: str) -> tuple:
    """The layers of one use of a module: its parameters' values put into ``${...}``, then
    read like any layers. ``where`` names the instance in error messages."""
    from .expr import ExprError

    module = modules[use.module]
    values = {name: use.args.get(name, default) for name, (default, _) in module.params.items()}
    try:
        layers = _substitute(module.layers, values)
    except _SubstitutionError as error:
        raise SpecError.at(error.loc, f"{error} (in {where})") from None
    except ExprError as error:  # pragma: no cover - wrapped by _substitute
        raise SpecError.at(module.loc, f"{error} (in {where})") from None
    reader = _Reader(file, modules)
    items = reader.layer_list(layers, layers.loc, f'module "{module.name}"')
    if reader.problems:
        raise SpecError([Diagnostic(d.loc, f"{d.message} (in {where})") for d in reader.problems])
    return items


class _SubstitutionError(Exception):
    def __init__(self, message: str, loc: Loc):
        super().__init__(message)
        self.loc = loc


class _IndexedRepeat(source.YMap):
    """A ``repeat:`` mapping with ``index:``, its count and name worked out, and ``bodies``:
    the ``layers:`` of each repetition with the index's value in them (None when the count
    or the index is not valid, which reading the repeat reports)."""

    __slots__ = ("bodies",)


def _substitute(value, names: dict, loc: Loc | None = None, made: list | None = None):
    """A copy of located YAML values with every ``${expr}`` evaluated (``expr.py``). A string
    that is one whole ``${...}`` becomes the value; ``${...}`` inside text is spliced in.
    ``made`` counts the repetitions of ``index:`` repeats worked out so far."""
    from .expr import ExprError, evaluate

    made = [0] if made is None else made
    if isinstance(value, dict) and "repeat" in value and "index" in value:
        return _indexed_repeat(value, names, made)
    if isinstance(value, dict):
        copy = type(value)(value.loc)
        for key, item in value.items():
            written = key
            if isinstance(key, str) and "${" in key:  # a layer type chosen by a parameter: `${act}: {}`
                written = _substitute(key, names, value.key_locs[key])
                if not isinstance(written, str):
                    raise _SubstitutionError(
                        f"{key} gives {written!r}, but a key is a word such as relu", value.key_locs[key]
                    )
                if written in copy:
                    raise _SubstitutionError(
                        f"{key} gives {written!r}, which is already a key here", value.key_locs[key]
                    )
            copy[written] = _substitute(item, names, value.value_locs[key], made)
            copy.key_locs[written] = value.key_locs[key]
            copy.value_locs[written] = value.value_locs[key]
        return copy
    if isinstance(value, list):
        copy = type(value)(value.loc)
        for item, item_loc in zip(value, value.item_locs):
            copy.append(_substitute(item, names, item_loc, made))
            copy.item_locs.append(item_loc)
        return copy
    if not isinstance(value, str) or "${" not in value:
        return value
    # One pass with str.find: re-partitioning the rest of the text after every ${...} would
    # cost the square of its length (300,000 of them in one string took 20 s).
    pieces, position, results = [], 0, {}
    while True:
        opening = value.find("${", position)
        if opening < 0:
            break
        closing = value.find("}", opening + 2)
        if closing < 0:
            raise _SubstitutionError(f"{_clip(value)!r}: ${{ is never closed by }}", loc)
        expression = value[opening + 2 : closing]
        try:
            if expression not in results:
                results[expression] = evaluate(expression, names)
            result = results[expression]
        except ExprError as error:
            raise _SubstitutionError(f"in ${{{_clip(expression, 200)}}}: {error}", loc) from None
        if opening == 0 and closing == len(value) - 1:
            return result  # the whole string is one ${...}: its value, not its text
        pieces += [value[position:opening], _text(result)]
        position = closing + 1
    pieces.append(value[position:])
    return "".join(pieces)


def _indexed_repeat(value, names: dict, made: list) -> _IndexedRepeat:
    """``repeat: N`` with ``index: i``: the body worked out once per repetition, with ``i``
    0, 1, ... N - 1 beside ``names`` (the body's other ``${...}`` see them as before)."""
    copy = _IndexedRepeat(value.loc)
    copy.bodies = None
    for key, item in value.items():
        copy[key] = item if key == "layers" else _substitute(item, names, value.value_locs[key], made)
        copy.key_locs[key], copy.value_locs[key] = value.key_locs[key], value.value_locs[key]
    index, count = copy["index"], copy["repeat"]
    if not (isinstance(index, str) and index.isidentifier() and "layers" in value):
        return copy
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_INDEXED - made[0]:
        return copy
    made[0] += count
    layers_loc = value.value_locs["layers"]
    copy.bodies = [_substitute(value["layers"], {**names, index: k}, layers_loc, made) for k in range(count)]
    return copy


def _beside(where: str, item: str) -> str:
    """The path of ``item`` relative to the folder of the file ``where``; beside a file of a
    git revision (``HEAD~1:models/net.yaml``), the same revision's file (``HEAD~1:models/item``)."""
    if where.startswith("<"):  # standard input, a string: the working folder
        return os.path.normpath(item)
    if not os.path.exists(where):
        from .git import is_revision

        if is_revision(where):
            revision, _, path = where.partition(":")
            relative = path.startswith(("./", "../"))  # from the working folder, as git reads it
            joined = os.path.normpath(os.path.join(os.path.dirname(path), item))
            return f"{revision}:{'./' if relative and not joined.startswith('..') else ''}{joined}"
    return os.path.normpath(os.path.join(os.path.dirname(where), item))


def _load_import(path: str):
    """The document at ``path``; beside a file read from a git revision (``HEAD~1:net.yaml``
    imports ``HEAD~1:blocks.yaml``), the file as that revision has it."""
    if not os.path.exists(path):
        from .git import is_revision, read_revision

        if is_revision(path):
            return source.parse(read_revision(path), path)
    return source.load(path)


def _clip(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[:most] + "..."


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fraction(text):
    """``"1/9"`` (or ``"-3 / 16"``) as a number, the way worked examples write weights;
    None for any other text."""
    top, slash, bottom = text.replace(" ", "").partition("/")
    sign = -1 if top.startswith("-") else 1
    top = top.lstrip("-")
    if not slash or not top.isdigit() or not bottom.isdigit() or int(bottom) == 0:
        return None
    return sign * int(top) / int(bottom)


def with_fractions(value):
    """A nested list of numbers with every fraction string (``"1/9"``) read as a number."""
    if isinstance(value, str):
        number = fraction(value)
        return value if number is None else number
    if isinstance(value, list):
        return [with_fractions(item) for item in value]
    return value


def type_names() -> list:
    return sorted({t.name for t in REGISTRY.values()})


class _Reader:
    def __init__(self, file: str, modules: dict | None = None, overrides: dict | None = None):
        self.file = file
        self.problems: list = []
        self.modules = modules or {}
        self.loaded: dict = {}  # path -> its modules, for every file read through `import:`
        self.overrides = dict(overrides or {})
        self.module_overrides: list = []  # (module, param) whose default the overrides set
        self.declared: list = []  # parameters the overrides may name (top-level, then module.param)
        self.top_values: dict = {}  # the file's own parameters: every module's too, unless it declares the name

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
        if is_module_file(document):  # what `import:` reads, not a network
            self.error(
                document.loc,
                "this file holds modules only, for other files' `import:`; a network file that imports it "
                "(with `input:` and `layers:`) is what summarize, verify and the others read",
            )
            return None
        self.check_keys(document, TOP_KEYS, "the top level")
        if "params" in document:
            document = self.with_top_params(document)
        name = document.get("name")
        if name is not None and not isinstance(name, (str, int, float)):
            self.error(document.value_locs["name"], f"name must be text, not {_show(name)}")
        shape = None
        if "input" not in document:
            self.error(document.loc, "missing `input:`, the input's shape, channels first (e.g. input: [3, 224, 224])")
        else:
            shape = self.input_shape(document["input"], document.value_locs["input"])
        self.modules = self.modules_of(document, (os.path.normpath(self.file),))
        layers = ()
        if "layers" not in document:
            self.error(document.loc, "missing `layers:`, the list of layers")
        else:
            layers = self.layer_list(document["layers"], document.value_locs["layers"], "layers")
        values = None
        if "values" in document:
            values = self.value(Numbers(), document["values"], document.value_locs["values"], "values")
            if values is not None and shape is not None:
                self.values_shape(values, shape, document.value_locs["values"])
        return NetworkSpec(
            None if name is None else str(name),
            shape,
            layers,
            values,
            self.file,
            document.loc,
            document.value_locs.get("input", document.loc),
            self.modules,
        )

    def modules_of(self, document, chain: tuple) -> dict:
        """The modules a file defines under ``modules:`` and those of the files it names
        under ``import:`` (theirs too), one table; a name defined twice is an error."""
        table: dict = {}
        if "import" in document:
            for path, loc in self.import_paths(document["import"], document.value_locs["import"]):
                self.merge_modules(table, self.imported(path, loc, chain))
        if "modules" in document:
            self.merge_modules(table, self.module_table(document["modules"], document.value_locs["modules"]))
        return table

    def import_paths(self, value, loc: Loc) -> list:
        """``import: blocks.yaml`` or a list of them, each relative to this file's folder."""
        items = (
            [(value, loc)]
            if isinstance(value, str)
            else list(zip(value, value.item_locs))
            if isinstance(value, list)
            else None
        )
        if items is None or not all(isinstance(item, str) and item.endswith((".yaml", ".yml")) for item, _ in items):
            self.error(
                loc, f"import is a file (or a list of files) of modules, such as blocks.yaml, not {_show(value)}"
            )
            return []
        # The folder of the file the document was read from (its values' positions say which):
        # a zoo name (`cnncalc sweep torchvision/resnet50`) is no path to it.
        where = loc.file or self.file
        return [(_beside(where, item), item_loc) for item, item_loc in items]

    def imported(self, path: str, loc: Loc, chain: tuple) -> dict:
        """The modules of the file at ``path``, imported from ``loc``."""
        if path in chain:
            self.error(loc, f"files import each other without end: {' -> '.join((*chain, path))}")
            return {}
        if path in self.loaded:  # a file two imports share is read once: its modules are the same
            return self.loaded[path]
        if len(chain) > MAX_IMPORT_DEPTH or len(self.loaded) >= MAX_IMPORTS:
            self.error(loc, f"too many imports: at most {MAX_IMPORTS} files, {MAX_IMPORT_DEPTH} deep")
            return {}
        self.loaded[path] = {}
        try:
            document = _load_import(path)
        except SpecError as error:
            where = f" (imported at {loc.file}:{loc.line})"
            self.problems += [Diagnostic(d.loc, d.message + where) for d in error.diagnostics]
            return {}
        if not isinstance(document, dict):
            self.error(loc, f"{path} holds no `modules:` mapping to import")
            return {}
        reader = _Reader(path)
        # One reading: the cache, the command line's overrides and the file's own parameters
        # (every module's too) reach the imported files' modules as they do this file's.
        reader.loaded, reader.overrides, reader.module_overrides, reader.declared, reader.top_values = (
            self.loaded,
            self.overrides,
            self.module_overrides,
            self.declared,
            self.top_values,
        )
        self.loaded[path] = reader.modules_of(document, (*chain, path))
        self.problems += reader.problems
        return self.loaded[path]

    def merge_modules(self, table: dict, more: dict) -> None:
        for name, module in more.items():
            if name in table and table[name] is not module:
                first = table[name].loc
                self.error(module.loc, f'module "{name}" is defined twice: here and at {first.file}:{first.line}')
            else:
                table[name] = module

    def with_top_params(self, document):
        """The document with the file's own parameters (top-level ``params:``, each with a
        value) worked out in ``input:`` and ``layers:``, as a module's are in its body. They
        are every module's parameters too (with that value), unless a module declares the
        same name."""
        raw, loc = document["params"], document.value_locs["params"]
        values = {}
        if not isinstance(raw, dict):
            self.error(loc, "params is a mapping of names to their values, e.g. params: {width: 1.0}")
            raw = {}
        for param, default in raw.items():
            if not isinstance(param, str) or not param.isidentifier():
                self.error(raw.key_locs[param], f"a parameter's name is a word, not {_show(param)}")
                continue
            problem = "needs a value (a number, or true or false)" if default is None else _not_finite(default)
            if problem is None and not isinstance(default, (int, float, bool)):
                problem = f"a number, or true or false, not {_show(default)}"
            if problem:
                self.error(raw.value_locs[param], f"{param}: {problem}")
                continue
            self.declared.append(param)
            values[param] = self.overrides.pop(param, default)
        self.top_values = values
        copy = type(document)(document.loc)
        for key, item in document.items():
            copy[key] = item
            copy.key_locs[key] = document.key_locs[key]
            copy.value_locs[key] = document.value_locs[key]
            if key in ("input", "layers"):
                try:
                    copy[key] = _substitute(item, values, document.value_locs[key])
                except _SubstitutionError as error:
                    self.error(error.loc, str(error))
        return copy

    def check_overrides_used(self) -> None:
        """A parameter given on the command line that the file does not declare."""
        from .errors import UsageError

        for name in self.overrides:
            declared = ", ".join(self.declared) or "none (a top-level `params:` or a module's `params:` declares them)"
            raise UsageError(
                f"{self.file}: error: no parameter {name!r}{did_you_mean(name, self.declared)}; "
                f"the file's parameters: {declared}"
            )

    def module_table(self, value, loc: Loc) -> dict:
        if not isinstance(value, dict):
            self.error(loc, f"modules is a mapping of module names to definitions, not {_show(value)}")
            return {}
        table = {}
        for name, definition in value.items():
            name_loc = value.key_locs[name]
            if not isinstance(name, str) or not name.isidentifier():
                self.error(name_loc, f"a module's name is a word such as bottleneck, not {_show(name)}")
                continue
            if _known(name):
                self.error(name_loc, f'"{name}" is already a layer type; give the module another name')
                continue
            if not isinstance(definition, dict) or "layers" not in definition:
                self.error(value.value_locs[name], "a module has `layers:` (and `params:` with their defaults)")
                continue
            self.check_keys(definition, MODULE_KEYS, f'module "{name}"')
            params = {}
            raw = definition.get("params") or {}
            if not isinstance(raw, dict):
                self.error(definition.value_locs["params"], "params is a mapping of names to defaults (null: required)")
                raw = {}
            for param, default in raw.items():
                if not isinstance(param, str) or not param.isidentifier():
                    self.error(raw.key_locs[param], f"a parameter's name is a word, not {_show(param)}")
                    continue
                problem = _not_finite(default)
                if problem:
                    self.error(raw.value_locs[param], f"{param}: {problem}")
                    continue
                self.declared.append(f"{name}.{param}")
                if f"{name}.{param}" in self.overrides:
                    default = self.overrides.pop(f"{name}.{param}")
                    self.module_overrides.append((name, param))
                params[param] = (REQUIRED if default is None else default, raw.key_locs[param])
            for param, top_value in self.top_values.items():
                params.setdefault(param, (top_value, name_loc))
            layers = definition["layers"]
            if not isinstance(layers, list) or not layers:
                self.error(definition.value_locs["layers"], f'module "{name}" needs a non-empty list of layers')
                continue
            table[name] = ModuleSpec(name, params, layers, name_loc)
        return table

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

    def values_shape(self, values, shape: tuple, loc: Loc) -> None:
        """The input's values are [C][H][W], or [H][W] when C is 1 (SPEC section 6)."""
        given = []
        while isinstance(values, tuple):  # rectangular: _ragged has said so
            given.append(len(values))
            values = values[0]
        if tuple(given) != shape and not (tuple(given) == shape[1:] and shape[0] == 1):
            self.error(loc, f"values have shape {given}, but the input is {list(shape)}")

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
        if "index" in mapping and not isinstance(mapping, _IndexedRepeat):
            # A top-level repeat in a file without `params:`: nothing has worked it out yet.
            try:
                mapping = _indexed_repeat(mapping, dict(self.top_values), [0])
            except _SubstitutionError as error:
                self.error(error.loc, str(error))
                return None
        count = mapping["repeat"]
        count_loc = mapping.value_locs["repeat"]
        # 0 is allowed: a stage written "first block, then repeat: ${n - 1}" holds for n = 1.
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            self.error(count_loc, f"repeat must be a whole number, 0 or more, not {_show(count)}")
            count = None
        if "layers" not in mapping:
            self.error(mapping.key_locs["repeat"], "a repeat block needs `layers:`, the layers to repeat")
            return None
        name = self.name(mapping)
        if "index" in mapping:
            return self.indexed(mapping, count, name)
        layers = self.layer_list(mapping["layers"], mapping.value_locs["layers"], "a repeat block's layers")
        if count is None or not layers:
            return None
        return RepeatSpec(count, layers, name, mapping.loc, count_loc, None)

    def indexed(self, mapping, count, name) -> RepeatSpec | None:
        """A repeat with ``index:``: each repetition's layers read from its own body."""
        index, index_loc = mapping["index"], mapping.value_locs["index"]
        if not isinstance(index, str) or not index.isidentifier():
            self.error(index_loc, f"index is a name for the repetition's number, such as i, not {_show(index)}")
            return None
        if count is None:
            return None
        if mapping.bodies is None:
            self.error(mapping.value_locs["repeat"], f"an indexed repeat runs at most {MAX_INDEXED:,} times in all")
            return None
        where = "a repeat block's layers"
        bodies = tuple(self.layer_list(body, mapping.value_locs["layers"], where) for body in mapping.bodies)
        if not all(bodies):
            return None
        return RepeatSpec(count, bodies[0] if bodies else (), name, mapping.loc, mapping.value_locs["repeat"], bodies)

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
        if written in self.modules:
            return self.module_use(written, mapping, loc, type_loc, value_loc, value)
        try:
            layer_type, dims = lookup(written)
        except KeyError:
            names = sorted({n for t in REGISTRY.values() for n in (t.name, *t.aliases)} | set(self.modules))
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
            self.when(siblings),
        )

    def module_use(self, written, mapping, loc, type_loc, value_loc, value) -> ModuleUse | None:
        module = self.modules[written]
        args, arg_locs = {}, {}
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in module.params:
                    names = list(module.params)
                    self.error(
                        value.key_locs[key],
                        f'module "{written}" has no parameter {_key(key)}'
                        f"{did_you_mean(key, names)}; it takes {', '.join(names) or 'none'}",
                    )
                    continue
                if isinstance(item, str) and "${" in item:
                    self.error(
                        value.value_locs[key],
                        f"{key}: {item} is only worked out inside a module, with the module's parameters",
                    )
                    continue
                problem = _not_finite(item)
                if problem:
                    self.error(value.value_locs[key], f"{key}: {problem}")
                    continue
                args[key] = item
                arg_locs[key] = value.value_locs[key]
        elif value is not None:
            self.error(value_loc, f'give module "{written}" its parameters as a mapping: `{written}: {{name: value}}`')
        missing = [name for name, (default, _) in module.params.items() if default is REQUIRED and name not in args]
        if missing:
            self.error(
                type_loc, f'module "{written}" needs {" and ".join(missing)} (defined at line {module.loc.line})'
            )
            return None
        siblings = mapping if mapping is not None else {}
        inputs, input_locs = self.inputs(_NOT_A_MERGE, None, siblings, value, value_loc)
        return ModuleUse(
            written,
            args,
            self.name(mapping) if mapping is not None else None,
            inputs,
            self.expect(siblings),
            self.trainable(siblings),
            self.when(siblings),
            loc,
            type_loc,
            arg_locs,
            input_locs,
            siblings.value_locs.get("name") if mapping is not None else None,
        )

    def when(self, siblings) -> bool:
        """``when: false`` (usually ``when: ${...}`` in a module) leaves the layer out: it passes
        its input on unchanged."""
        if "when" not in siblings:
            return True
        value = siblings["when"]
        if not isinstance(value, bool):
            self.error(
                siblings.value_locs["when"], f"when must be true or false (or a ${{...}} condition), not {_show(value)}"
            )
            return True
        return value

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
        if isinstance(value, str) and "${" in value:
            self.error(loc, f"{what}: {value} is only worked out inside a module, with the module's parameters")
            return None
        if isinstance(kind, Numbers):
            value = with_fractions(value)
        try:
            parsed = kind.parse(value)
        except ArgError as error:
            self.error(loc, f"{what}: {error}")
            return None
        problem = _not_finite(parsed) or (isinstance(kind, Numbers) and _ragged(parsed))
        if problem:
            self.error(loc, f"{what}: {problem}")
            return None
        return parsed

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
        numbers = [key for key in expect if isinstance(key, int) and not isinstance(key, bool)]
        for key in numbers:  # {params: 48,120} reads as {params: 48, 120: null}
            self.error(
                expect.key_locs[key],
                f"{key} looks like the end of a number written with a comma inside "
                "{...}, where YAML splits at commas: write it without the comma, or in quotes ('48,120')",
            )
        if not numbers:
            self.check_keys(expect, EXPECT_FIELDS, "expect")
            for field, answer in expect.items():
                problem = answer_problem(field, answer) if field in EXPECT_FIELDS else None
                if problem:
                    self.error(expect.value_locs[field], f"expect: {field}: {problem}")
        return expect

    def trainable(self, siblings) -> bool:
        if "trainable" not in siblings:
            return True
        value = siblings["trainable"]
        if not isinstance(value, bool):
            self.error(siblings.value_locs["trainable"], f"trainable must be true or false, not {_show(value)}")
            return True
        return value


# --- Answers under expect: (read here, so that lint refuses what check would) -------------

COUNT_FIELDS = ("params", "trainable_params", "buffers", "macs", "activation_bytes", "size")
FIELD_PARTS = ("size", "jump", "start")


NUMBER_FORMS = "48120, 48,120, 48_120, 28*28*8 or 28*28*8 = 6,272 are all fine"
SHAPE_FORMS = (
    "a shape is a list such as [8, 28, 28] (channels first), or H x W x C as the notes write it: 28x28x8, "
    "(28, 28, 8), 1x1x4096, (120, 1)"
)
MAX_FACTORS = 16  # a product answer such as 28*28*8; more factors than any layer has is not one


def whole_number(value) -> int | None:
    """An answer written as a whole number: ``48120``, ``"48,120"``, ``"48_120"``, or worked
    as the notes write it, by its result: ``"28*28*8 = 6,272"``, a bare product ``"28*28*8"``
    too; else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    factors = value.rpartition("=")[2].replace(",", "").replace("_", "").replace(" ", "").split("*")
    if len(factors) > MAX_FACTORS:
        return None
    if not all(f.isdecimal() and f.isascii() for f in factors) or sum(map(len, factors)) > source.MAX_DIGITS:
        return None  # a product has at most as many digits as its factors together
    result = 1
    for factor in factors:
        result *= int(factor)
    return result


def shape_numbers(text: str) -> list | None:
    """The sizes of a shape written as text, in the order written: ``28x28x8``, ``(28,28,8)``,
    ``[1x1x4096]``, ``(120, 1)``; None when it is not one."""
    text = text.replace(" ", "").lower()
    if text[:1] in "([" and text[-1:] in ")]":
        text = text[1:-1]
    numbers = [whole_number(part) for part in text.replace(",", "x").split("x")]
    return None if None in numbers or len(numbers) > MAX_FACTORS else numbers


def shape_answer(value) -> tuple | None:
    """A shape answer, channels first: a list as written, or text the notes' H x W x C way
    (``28x28x8``, ``(28, 28, 8)``) turned round; None if it is neither."""
    if isinstance(value, list):
        if value and all(isinstance(n, int) and not isinstance(n, bool) for n in value):
            return tuple(value)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    numbers = shape_numbers(str(value))
    if numbers is None:
        return None
    return tuple(numbers) if len(numbers) == 1 else (numbers[-1], *numbers[:-1])


def answer_problem(field: str, answer) -> str | None:
    """What is wrong with the form of an ``expect:`` answer, or None (its value is check's)."""
    if field == "shape" and shape_answer(answer) is None:
        return f"{SHAPE_FORMS}; not {_show(answer)}"
    if field in COUNT_FIELDS and whole_number(answer) is None:
        return f"a whole number ({NUMBER_FORMS}), not {_show(answer)}"
    if field == "receptive_field" and not _field_answer(answer):
        return f"a number, a list, global, or {{size, jump, start}}, not {_show(answer)}"
    if field == "values" and not _numbers_only(answer):
        return "a number or (nested) lists of numbers (fractions such as 1/9 too), as the layer's output [C][H][W] or [H][W]"
    return _not_finite(answer) if not isinstance(answer, dict) else None


def _numbers_only(value) -> bool:
    stack = [value]
    while stack:  # no recursion: lists may be nested as deep as YAML allows
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif not _is_number(item) and not (isinstance(item, str) and fraction(item) is not None):
            return False  # a fraction such as "1/9" is a number as worked examples write it
    return True


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value - value == 0


def _field_answer(answer) -> bool:
    if answer == "global" or _is_number(answer):
        return True
    if isinstance(answer, list):
        return all(_is_number(v) for v in answer)
    if isinstance(answer, dict):
        return all(
            key in FIELD_PARTS and (_is_number(value) or isinstance(value, list) and all(_is_number(v) for v in value))
            for key, value in answer.items()
        )
    return False


def _not_finite(value) -> str | None:
    """What is wrong if ``value`` holds an infinity or a NaN (``.inf``, ``.nan``, ``1e999``):
    no size, count or value can be one."""
    if isinstance(value, float) and not (value - value == 0):
        return f"{_show(value)} is not a finite number"
    if isinstance(value, (list, tuple)):
        stack = [value]
        while stack:  # no recursion: values may be nested as deep as YAML allows
            for item in stack.pop():
                if isinstance(item, (list, tuple)):
                    stack.append(item)
                elif isinstance(item, float) and not (item - item == 0):
                    return f"{_show(item)} is not a finite number"
    return None


def _ragged(value) -> str | None:
    """What is wrong if nested lists of numbers are not a rectangular block (``[[1, 2], [3]]``)."""
    level = [value]
    depth = 0
    while level:
        lists = [item for item in level if isinstance(item, (list, tuple))]
        if lists and len(lists) != len(level):
            return f"numbers and lists side by side at depth {depth}: a block of numbers is rectangular"
        if len({len(item) for item in lists}) > 1:
            lengths = sorted({len(item) for item in lists})
            shown = ", ".join(map(str, lengths))
            return f"rows of different lengths ({shown}) at depth {depth}: a block of numbers is rectangular"
        level = [entry for item in lists for entry in item]
        depth += 1
    return None


class _NotAMerge:
    merges = False


_NOT_A_MERGE = _NotAMerge()


def _known(key) -> bool:
    try:
        lookup(key)
        return True
    except KeyError:
        return False


def _key(key) -> str:
    return f'"{key}"'
