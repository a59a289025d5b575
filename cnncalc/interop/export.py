"""An architecture file written out for a framework: ``cnncalc export net.yaml --to pytorch``.

``pytorch_source(graph)`` is the text of a standalone Python file defining ``Net``, an
``nn.Module`` with one attribute per layer, each the call ``interop/pytorch.py`` registers
for the layer's type (``source()`` of its description), and a ``forward`` that runs them in
the file's order. The few modules ``torch.nn`` lacks (``Crop``, ``Add``, ``Concat``...) are
copied into the file from ``interop/torch_modules.py``, as text: nothing here imports torch.
"""

from __future__ import annotations

import keyword
import os

from ..errors import SpecError
from . import pytorch


def pytorch_source(graph, report) -> str:
    """A standalone PyTorch file building the network of ``graph`` (its ``report`` gives shapes)."""
    shapes = {"input": tuple(graph.network.input)}
    shapes.update({layer.name: tuple(layer.shape) for layer in report.layers})
    names = _Identifiers()
    variables = {"input": names.take("x")}
    built, steps, helpers = [], [], set()
    for node in graph.in_order():
        spec = node.spec
        try:
            description = pytorch.describe(spec.type, spec.args, tuple(shapes[name] for name in node.inputs))
        except pytorch.NotRepresentable as error:
            raise SpecError.at(
                spec.type_loc, f'layer "{node.name}" ({spec.written_type}) has no PyTorch form: {error}'
            ) from None
        text = pytorch.source(description)
        helpers |= _helpers(description)
        attribute = names.take(node.name)
        variables[node.name] = attribute
        built.append(
            f"        self.{attribute} = {text.replace('cnncalc.', '')}  # {node.name}: {list(shapes[node.name])}"
        )
        arguments = ", ".join(variables[name] for name in node.inputs)
        steps.append(f"        {attribute} = self.{attribute}({arguments})")
    last = variables[graph.nodes[graph.order[-1]].name]
    title = graph.network.name or os.path.basename(str(graph.network.file))
    totals = report.totals
    lines = [
        f'"""{title}: exported by cnncalc from {os.path.basename(str(graph.network.file))}.',
        "",
        f"Input {list(graph.network.input)} (channels first, batch left out); output {list(report.layers[-1].shape)}.",
        f"Parameters {totals.params:,}, buffers {totals.buffers:,}, MACs {totals.macs:,} for one example.",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "inf, nan = float('inf'), float('nan')  # as written in some arguments",
        "",
    ]
    for helper in sorted(helpers):
        lines += ["", _helper_source(helper), ""]
    lines += ["", "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()", *built, ""]
    lines += ["    def forward(self, x):", *steps, f"        return {last}", ""]
    return "\n".join(lines)


class _Identifiers:
    """Layer names made into distinct Python identifiers (``layer1.0.conv1`` -> ``layer1_0_conv1``)."""

    def __init__(self):
        self.used = {"self", "torch", "nn", "inf", "nan", "super"}

    def take(self, name: str) -> str:
        word = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name)) or "layer"
        if word[0].isdigit():
            word = f"l{word}"
        if keyword.iskeyword(word):
            word += "_"
        return numbered(word, self.used)


def numbered(name: str, used: set) -> str:
    """``name``, or ``name_2``, ``name_3``... the first not in ``used`` (which it joins)."""
    candidate, count = name, 1
    while candidate in used:
        count += 1
        candidate = f"{name}_{count}"
    used.add(candidate)
    return candidate


def _helpers(description) -> set:
    if isinstance(description, pytorch.Sequence):
        return set().union(*(_helpers(part) for part in description.parts))
    return {description.name} if description.library == "cnncalc" else set()


def _helper_source(name: str) -> str:
    """The class ``name`` of torch_modules.py, as written there (read as text)."""
    import ast

    path = os.path.join(os.path.dirname(__file__), "torch_modules.py")
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    for item in ast.parse(text).body:
        if isinstance(item, ast.ClassDef) and item.name == name:
            return ast.get_source_segment(text, item)
    raise LookupError(name)  # pragma: no cover - every cnncalc.* call names a class there
