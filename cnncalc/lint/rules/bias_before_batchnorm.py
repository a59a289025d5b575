"""bias-before-batchnorm: a bias that the next layer subtracts away.

Batch normalisation subtracts each channel's mean, bias included, and adds its own shift:
the layer's bias is parameters that learn nothing (torchvision's ResNets use bias: false).

FAIL::

    input: [3, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3}
      - batchnorm
      - conv: {filters: 4, kernel: 3}

PASS::

    input: [3, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, bias: false}
      - batchnorm
      - conv: {filters: 4, kernel: 3}
"""

from ._common import layers, position, readers, reports_by_name

ID = "bias-before-batchnorm"
SEVERITY = "warning"
RATIONALE = "the bias is removed again by the normalisation's mean: wasted parameters"


def check(context):
    read_by = readers(context)
    by_name = reports_by_name(context)
    for node, layer, _, _, _ in layers(context):
        if not any(w.name == "bias" and not w.buffer for w in layer.weights):
            continue
        next_layers = read_by.get(node.name, [])
        if next_layers and all(
            any(w.name == "running_mean" for w in by_name[reader.name].weights) for reader in next_layers
        ):
            yield (
                *position(node.spec, "bias" if "bias" in node.spec.arg_locs else None),
                f'"{node.name}" has a bias, but "{next_layers[0].name}" normalises it away: use bias: false',
            )
