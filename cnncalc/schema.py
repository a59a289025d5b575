"""A JSON Schema of the architecture file, generated from the layer registry, so editors
(the YAML language server) complete and check files as they are typed:

    cnncalc schema > cnncalc.schema.json
    # and in VS Code's settings: "yaml.schemas": {"cnncalc.schema.json": "architectures/*.yaml"}
"""

from __future__ import annotations

from .layers.base import REGISTRY
from .spec import EXPECT_FIELDS

EXPRESSION = {"type": "string", "pattern": r"\$\{.*\}"}  # ${...} inside modules


def architecture_schema() -> dict:
    layer_types = sorted({t.name: t for t in REGISTRY.values()}.items())
    siblings = {
        "name": {"type": "string"},
        "from": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 1}]},
        "expect": {
            "type": "object",
            "properties": {field: {} for field in EXPECT_FIELDS},
            "additionalProperties": False,
        },
        "trainable": {"type": "boolean"},
        "when": {"anyOf": [{"type": "boolean"}, EXPRESSION]},
    }
    layers = []
    for name, layer_type in layer_types:
        args = {arg.name: {"anyOf": [arg.kind.schema(), EXPRESSION], "description": arg.doc} for arg in layer_type.args}
        value = [{"type": "null"}, {"type": "object", "properties": args, "additionalProperties": False}]
        if layer_type.primary:
            value.append(args[layer_type.primary])
        for key in (name, *layer_type.aliases):
            layers.append(
                {
                    "type": "object",
                    "description": layer_type.doc.split("\n")[0],
                    "properties": {key: {"anyOf": value}, **siblings},
                    "required": [key],
                    "additionalProperties": False,
                }
            )
    names = sorted({n for t in REGISTRY.values() for n in (t.name, *t.aliases)})
    layer = {
        "anyOf": [
            {"enum": names},
            *layers,
            {"$ref": "#/definitions/repeat"},
            {
                "type": "object",
                "description": "a module used like a layer",
                "minProperties": 1,
                "not": {"anyOf": [{"required": [name]} for name in names]},  # layer types are checked above
            },
        ]
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "cnncalc architecture file",
        "type": "object",
        "required": ["input", "layers"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "input": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4},
            "values": {"type": "array"},
            "layers": {"$ref": "#/definitions/layers"},
            "modules": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["layers"],
                    "properties": {
                        "params": {"type": "object"},
                        "layers": {"$ref": "#/definitions/layers"},
                        "description": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "definitions": {
            "layers": {"type": "array", "items": {"$ref": "#/definitions/layer"}, "minItems": 1},
            "layer": layer,
            "repeat": {
                "type": "object",
                "required": ["repeat", "layers"],
                "properties": {
                    "repeat": {"type": "integer", "minimum": 1},
                    "name": {"type": "string"},
                    "layers": {"$ref": "#/definitions/layers"},
                },
                "additionalProperties": False,
            },
        },
    }
