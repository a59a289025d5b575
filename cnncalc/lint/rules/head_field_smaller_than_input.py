"""head-field-smaller-than-input: the classifier's units see only part of the image.

Where a network turns global (flatten, fc, global pooling), the layer before it decides
how much of the input any feature can depend on. A field much smaller than the input
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
from ._common import layers, position, readers, reports_by_name

ID = "head-field-smaller-than-input"
SEVERITY = "warning"
RATIONALE = "features that see a small part of the image cannot describe it as a whole"


def check(context):
    share = float(context.options.get("head-field-share", 0.5))
    read_by = readers(context)
    by_name = reports_by_name(context)
    spatial = context.report.input[1:]
    for node, layer, _, _, _ in layers(context):
        field = layer.receptive_field
        if field == GLOBAL or not any(by_name[r.name].receptive_field == GLOBAL for r in read_by.get(node.name, [])):
            continue
        for axis, (size, length) in enumerate(zip(field.size, spatial)):
            if size < share * length:
                yield (
                    *position(node.spec),
                    f'"{node.name}" feeds the head, but its units see {size} of the input\'s '
                    f"{length} pixels on axis {axis_name(axis, len(spatial))}",
                )
                break
