"""bias-before-batchnorm: a bias that the next layer subtracts away.

Batch normalisation subtracts each channel's mean, bias included, and adds its own shift:
the layer's bias is parameters that learn nothing (torchvision's ResNets use bias: false).
The same holds before any layer that removes each channel's mean (instance normalisation,
group normalisation with one channel per group); not before a layer that reads the
channels together (a bias then shifts what it computes).

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

from ._common import layers, position, readers

ID = "bias-before-batchnorm"
SEVERITY = "warning"
RATIONALE = "the bias is removed again by the normalisation's mean: wasted parameters"


def check(context):
    read_by = readers(context)
    for node, layer, _, _, _ in layers(context):
        if not node.spec.type.has_channel_bias(node.spec.args):
            continue
        next_layers = read_by.get(node.name, [])
        if next_layers and all(
            reader.spec.type.removes_channel_bias(reader.spec.args, (layer.shape,)) for reader in next_layers
        ):
            yield (
                position(node.spec, "bias" if "bias" in node.spec.arg_locs else None),
                f'"{node.name}" has a bias, but "{next_layers[0].name}" normalises it away: use bias: false',
            )
