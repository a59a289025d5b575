"""What the readers of other formats (onnx.py, caffe.py) share: rules registered against
layer type classes, and the architecture document they build written out as YAML text."""

from __future__ import annotations


def registrar(by_name: dict, by_class: dict):
    """A decorator ``reads(cls, *names)`` registering a rule that reads the format's
    ``names`` (ONNX operators, Caffe layer types) as layers of type ``cls``: ``by_name``
    maps each name to ``(cls, rule)``, ``by_class`` each class to the names read as it."""

    def reads(cls, *names):
        def register(rule):
            for name in names:
                by_name[name] = (cls, rule)
            by_class.setdefault(cls, []).extend(names)
            return rule

        return register

    return reads


def flow(value) -> str:
    """A value in YAML's flow style: ``{filters: 64, kernel: [3, 3]}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def scalar(value) -> str:
    """One YAML scalar that reads back as ``value`` (text quoted where YAML would read it
    as something else: ``"yes"``, ``"1x1"``)."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"inf": ".inf", "-inf": "-.inf"}.get(repr(value), ".nan")
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return repr(value)
    text = str(value)
    plain = text and all(ch.isalnum() or ch in "._-" for ch in text) and not text[0].isdigit() and text[0] not in "-."
    if plain and text.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"):
        return text
    return json.dumps(text)
