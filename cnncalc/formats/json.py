"""``--format json``: the report of shared/SPEC.md section 3, one layer per line.

``dumps`` is a small encoder of our own for plain data (dicts, lists, strings, numbers,
booleans, None), written like ``json.dumps`` (", " and ": " separators) but keeping
non-ASCII text as it is. Importing the json package costs 3 ms, more than computing
VGG-16's whole report; tests/test_formats.py reads every output back with it.
"""

from __future__ import annotations

# JSON must escape the quote, the backslash and the control characters.
_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r", ord('"'): '\\"', ord("\\"): "\\\\"})


def dumps(value) -> str:
    """``value`` as JSON text, on one line."""
    # Exact type checks first: this runs for every figure of every layer.
    kind = type(value)
    if kind is str:
        return '"' + value.translate(_ESCAPES) + '"'
    if kind is int:
        return str(value)
    if kind is dict:
        return (
            "{" + ", ".join([f'"{str(key).translate(_ESCAPES)}": {dumps(item)}' for key, item in value.items()]) + "}"
        )
    if kind is list or kind is tuple:
        return "[" + ", ".join([dumps(item) for item in value]) + "]"
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} has no JSON form")
        return repr(float(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return dumps(str(value))
    if isinstance(value, dict):  # subclasses, such as the YAML reader's mappings
        return dumps(dict(value))
    if isinstance(value, (list, tuple)):
        return dumps(list(value))
    raise TypeError(f"{kind.__name__} has no JSON form")


def write(report, stream) -> None:
    write_layered(report.to_dict(), stream)


def write_layered(data: dict, stream) -> None:
    """A report's plain data with its ``layers`` one per line, then its ``totals``."""
    data = dict(data)
    layers = data.pop("layers")
    totals = data.pop("totals")
    stream.write(dumps(data)[:-1] + ',\n "layers": [\n')
    stream.write(",\n".join("  " + dumps(layer) for layer in layers))
    stream.write('\n ],\n "totals": ' + dumps(totals) + "}\n")
