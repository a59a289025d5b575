"""What the rules share: layers with their inputs and readers, and argument positions."""

from __future__ import annotations

from ...spec import INPUT_NAME


def layers(context):
    """``(node, layer report, input shapes, input reports, window)`` in file order, ``window``
    the sliding window the layer type declares (``LayerType.window``: convolution, pooling),
    else None. Made once per file by the linter: every rule walks them."""
    return context.rows


def rows(graph, report) -> tuple:
    reports = {layer.name: layer for layer in report.layers}
    result = []
    for node, layer in zip(graph.nodes, report.layers):
        shapes = tuple(report.input if name == INPUT_NAME else reports[name].shape for name in node.inputs)
        window = node.spec.type.window(node.spec.args, shapes[0])
        result.append((node, layer, shapes, tuple(reports.get(name) for name in node.inputs), window))
    return tuple(result)


def readers(context) -> dict:
    """Layer name -> the layers that read it."""
    result: dict = {}
    for node in context.graph.nodes:
        for name in node.inputs:
            result.setdefault(name, []).append(node)
    return result


def head(context) -> set:
    """Names of the layers of the network's head: from there on no map is left, every layer's
    output has at most one position, down to the outputs. (A squeeze-and-excitation gate is
    1x1 too, but its product is a map again: not the head.)"""
    read_by = readers(context)
    shapes = {layer.name: layer.shape for layer in context.report.layers}
    result: set = set()
    for node in reversed(list(context.graph.in_order())):
        positions = 1
        for size in shapes[node.name][1:]:
            positions *= size
        if positions <= 1 and all(reader.name in result for reader in read_by.get(node.name, [])):
            result.add(node.name)
    return result


def reports_by_name(context) -> dict:
    """Layer name -> its report (build it once per check, not once per layer)."""
    return {layer.name: layer for layer in context.report.layers}


def position(spec, arg: str | None = None):
    """Where a problem with ``spec`` (its argument ``arg``) is reported: a ``Loc``, whose file
    is the one the layer is written in (a module imported from another file: that file)."""
    return spec.arg_loc(arg) if arg else spec.loc
