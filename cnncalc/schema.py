"""A JSON Schema of the architecture file, generated from the layer registry, so editors
(the YAML language server) complete and check files as they are typed:

    cnncalc schema > cnncalc.schema.json
    # and in VS Code's settings: "yaml.schemas": {"cnncalc.schema.json": "architectures/*.yaml"}
"""

from __future__ import annotations

from .layers.base import REGISTRY
from .spec import EXPECT_FIELDS

EXPRESSION = {"type": "string", "pattern": r"\$\{.*\}"}  # ${...} inside modules, and with top-level params


# Where a layer list is: the file's own layers without `modules:` (no module uses, no
# ${...}), with `modules:` (module uses), and inside a module's body (uses and ${...}); the
# body of a repeat with `index:` has ${...} too (the plain file's: "indexed").
CONTEXTS = {"plain": (False, False), "uses": (True, False), "body": (True, True), "indexed": (False, True)}
INDEXED = {"plain": "indexed", "uses": "body", "body": "body", "indexed": "indexed"}


def architecture_schema() -> dict:
    """The schema, held to the engine's verdicts by tests/test_schema.py: every file the
    engine accepts is valid, every file it refuses for its form (rule ``schema``) is not.
    What only the arithmetic or the graph can tell (shapes, names that exist) is the
    engine's alone."""
    definitions = {}
    for context, (uses, expressions) in CONTEXTS.items():
        definitions[f"layers_{context}"] = {
            "type": "array",
            "items": {"$ref": f"#/definitions/layer_{context}"},
            "minItems": 1,
        }
        definitions[f"layer_{context}"] = _layer(context, uses, expressions, definitions)
        definitions[f"repeat_{context}"] = {
            "type": "object",
            "required": ["repeat", "layers"],
            "properties": {
                "repeat": (
                    {"anyOf": [{"type": "integer", "minimum": 0}, EXPRESSION]}
                    if expressions
                    else {"type": "integer", "minimum": 0}
                ),
                "name": NAME,
                "index": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                "layers": {},
            },
            "additionalProperties": False,
            # with an index, the body's ${...} are worked out once per repetition
            "if": {"required": ["index"]},
            "then": {"properties": {"layers": {"$ref": f"#/definitions/layers_{INDEXED[context]}"}}},
            "else": {"properties": {"layers": {"$ref": f"#/definitions/layers_{context}"}}},
        }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "cnncalc architecture file",
        "type": "object",
        # a network, or a file of modules that networks import (modules: without input: or layers:)
        "anyOf": [
            {"required": ["input", "layers"]},
            {"required": ["modules"], "not": {"anyOf": [{"required": ["input"]}, {"required": ["layers"]}]}},
        ],
        "additionalProperties": False,
        "properties": {
            "name": {"type": ["string", "number"]},
            "description": {"type": "string"},
            "input": {"type": "array", "minItems": 1, "maxItems": 4},
            "params": {"type": "object", "additionalProperties": {"type": ["number", "boolean"]}},
            "values": {"type": "array"},
            "layers": {},
            "import": {
                "description": "files whose modules this file uses, relative to its folder",
                "anyOf": [
                    {"type": "string", "pattern": r"\.ya?ml$"},
                    {"type": "array", "items": {"type": "string", "pattern": r"\.ya?ml$"}},
                ],
            },
            "modules": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["layers"],
                    "properties": {
                        "params": {"type": "object"},
                        "layers": {"$ref": "#/definitions/layers_body"},
                        "description": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
        },
        # ${...} only where the file declares parameters; module uses only where modules are defined.
        "if": {"required": ["params"]},
        "then": {
            "properties": {
                "input": {"items": {"anyOf": [{"type": "integer", "minimum": 1}, EXPRESSION]}},
                "layers": {"$ref": "#/definitions/layers_body"},
            }
        },
        "else": {
            "properties": {"input": {"items": {"type": "integer", "minimum": 1}}},
            "if": {"anyOf": [{"required": ["modules"]}, {"required": ["import"]}]},
            "then": {"properties": {"layers": {"$ref": "#/definitions/layers_uses"}}},
            "else": {"properties": {"layers": {"$ref": "#/definitions/layers_plain"}}},
        },
        "definitions": definitions,
    }


# A layer's name: text (a number is read as its text), never the network input's name.
NAME = {"anyOf": [{"type": "string", "pattern": r"\S", "not": {"const": "input"}}, {"type": "number"}]}


def _layer(context: str, uses: bool, expressions: bool, definitions: dict) -> dict:
    """A layer of a list in ``context``; each type's argument forms go to ``definitions``
    once (one set with ${...}, one without) and are referred to by every spelling."""
    layer_types = sorted({t.name: t for t in REGISTRY.values()}.items())

    def value(schema: dict) -> dict:
        return {"anyOf": [schema, EXPRESSION]} if expressions else schema

    siblings = {
        "name": NAME,
        "expect": {
            "type": "object",
            "properties": {field: {} for field in EXPECT_FIELDS},
            "additionalProperties": False,
        },
        "trainable": {"type": "boolean"},
        "when": value({"type": "boolean"}),
    }
    source = {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1}]
    }
    # Dispatch on the type's key with `dependencies`: a validator then checks a layer
    # against its own type only, not against every type in turn (an `anyOf` over ~70
    # types made checking a large file take a second).
    keys_of = {}
    bare = []  # types written alone (`- relu`): those without required arguments
    described = {}
    for name, layer_type in layer_types:
        args = {arg.name: {**value(arg.kind.schema()), "description": arg.doc} for arg in layer_type.args}
        required = [arg.name for arg in layer_type.args if arg.required]
        forms = [{"type": "object", "properties": args, "additionalProperties": False, "required": required}]
        if not required:
            forms.append({"type": "null"})
            bare += [name, *layer_type.aliases]
        if layer_type.primary and set(required) <= {layer_type.primary}:
            forms.append(args[layer_type.primary])
        form = f"type_{name}" + ("_expressions" if expressions else "")
        definitions[form] = {"anyOf": forms}
        keys = [name, *layer_type.aliases]
        if layer_type.spatial:  # conv2d, maxpool3d: PyTorch's names, which also fix the axes
            keys += [f"{key}{dims}d" for key in keys for dims in (1, 2, 3)]
        own = dict(siblings) if layer_type.merges else {**siblings, "from": source}
        # Beside its own key a layer takes only its siblings: no second type key, no typo.
        typed = f"layer_{name}_{context}"
        definitions[typed] = {
            "description": layer_type.doc.split("\n")[0],
            "properties": {**{key: True for key in keys}, **{key: True for key in own}},
            "additionalProperties": False,
        }
        for key in keys:
            keys_of[key] = typed
            described[key] = {"$ref": f"#/definitions/{form}", "description": layer_type.doc.split("\n")[0]}
    dispatch = {key: {"$ref": f"#/definitions/{typed}"} for key, typed in keys_of.items()}
    dispatch["repeat"] = {"$ref": f"#/definitions/repeat_{context}"}
    # An object with no type key and no `repeat` is a module use where modules may be
    # used, and wrong elsewhere.
    no_type_key = {"properties": {key: False for key in dispatch}}
    module_use = {
        "description": "a module used like a layer",
        "minProperties": 1,
        "properties": {**siblings, "from": source},
    }
    layer = {
        "type": "object",
        "properties": {**described, **siblings, "from": source},
        "dependencies": dispatch,
        "if": no_type_key,
        "then": module_use if uses else {"not": {}, "description": "a layer needs a layer type's key"},
    }
    return {"anyOf": [{"enum": sorted(bare)}, layer]}
