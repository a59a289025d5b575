"""head-field-smaller-than-input: the classifier's units see only part of the image.

Where a network turns global for good (flatten, fc, global pooling, with no map after
it: its head), the layer before it decides how much of the input any feature can depend
on. (A squeeze-and-excitation gate pools globally too, but multiplies a map again: it is
not the head.) A field much smaller than the input
means local features only. Warned below a share of the input (option
``head-field-share``, default 0.5; VGG-16's 212 of 224 pixels passes).

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
from ._common import head, layers, position, readers

ID = "head-field-smaller-than-input"
SEVERITY = "warning"
RATIONALE = "features that see a small part of the image cannot describe it as a whole"


def check(context):
    share = float(context.options.get("head-field-share", 0.5))
    read_by = readers(context)
    in_head = head(context)
    spatial = context.report.input[1:]
    for node, layer, _, _, _ in layers(context):
        field = layer.receptive_field
        if field == GLOBAL or node.name in in_head or not any(r.name in in_head for r in read_by.get(node.name, [])):
            continue
        for axis, (size, length) in enumerate(zip(field.size, spatial)):
            if size < share * length:
                yield (
                    *position(node.spec),
                    f'"{node.name}" feeds the head, but its units see {size} of the input\'s '
                    f"{length} pixels on axis {axis_name(axis, len(spatial))}",
                )
                break
