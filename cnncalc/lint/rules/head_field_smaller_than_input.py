"""head-field-smaller-than-input: the classifier pools features that each see only part of the image.

Where a network turns global for good by pooling (global pooling, with no map after it:
its head), the layer before it decides how much of the input any feature can depend on,
and the pooling throws the positions away. (A squeeze-and-excitation gate pools globally
too, but multiplies a map again: it is not the head.) A field much smaller than the input
means a bag of local features. A head that flattens the map into a fully connected layer
keeps every position, each with weights of its own: it sees the whole image, and is not
warned. Warned below a share of the input (option ``head-field-share``, default 0.5;
VGG-16's 212 of 224 pixels passes).

Off by default (``--extend-select head-field-smaller-than-input``): on real networks it
warns more often than it finds a mistake. Small textbook CNNs (two 3x3 stages before a
global pooling see 5 of CIFAR's 32 pixels), bag-of-local-features networks made so on
purpose (BagNet) and a ResNet-50 fine-tuned at 1024x1024 (427 pixels) all work as meant.

FAIL::

    input: [3, 64, 64]
    layers:
      - conv: {filters: 8, kernel: 3}
      - global_avgpool

PASS (3 of 4 pixels)::

    input: [3, 4, 4]
    layers:
      - conv: {filters: 8, kernel: 3}
      - global_avgpool
"""

from ...geometry import GLOBAL, axis_name
from ...layers.base import prod
from ._common import head, layers, position, readers, reports_by_name

ID = "head-field-smaller-than-input"
SEVERITY = "warning"
RATIONALE = "features that see a small part of the image cannot describe it as a whole"


DEFAULT = False  # see the docstring: more false alarms than findings on real networks


def check(context):
    share = float(context.options.get("head-field-share", 0.5))
    read_by = readers(context)
    in_head = head(context)
    spatial = context.report.input[1:]
    reports = reports_by_name(context)
    for node, layer, _, _, _ in layers(context):
        field = layer.receptive_field
        entering = [reader for reader in read_by.get(node.name, []) if reader.name in in_head]
        if field == GLOBAL or node.name in in_head or not entering:
            continue
        if not all(_pools(reports[reader.name], layer) for reader in entering):
            continue  # the head reads every position with weights of its own (flatten, fc)
        for axis, (size, length) in enumerate(zip(field.size, spatial)):
            if size < share * length:
                yield (
                    position(node.spec),
                    f'"{node.name}" feeds the head, but its units see {size} of the input\'s '
                    f"{length} pixels on axis {axis_name(axis, len(spatial))}",
                )
                break


def _pools(reader, layer) -> bool:
    """``reader`` drops positions without weights: fewer values out than ``layer`` gives it."""
    return not reader.params and prod(reader.shape) < prod(layer.shape)
