"""misaligned-merge: branches merged unit by unit whose fields are not centered alike.

When the branches' receptive fields start at different places, a merged unit combines
features of different parts of the input (a branch padded differently, or cropped).

FAIL (the conv's units are centered on pixels 1, 2, ...; the crop's on 2, 3, ...)::

    input: [1, 9]
    layers:
      - conv: {filters: 1, kernel: 3}
        name: a
      - crop: {amounts: [[2, 0]]}
        from: input
        name: b
      - conv: {filters: 1, kernel: 1}
        from: b
        name: c
      - add: [a, c]

PASS (cutting one pixel off each side centers the crop's units on 1, 2, ... too)::

    input: [1, 9]
    layers:
      - conv: {filters: 1, kernel: 3}
        name: a
      - crop: {amounts: [[1, 1]]}
        from: input
        name: b
      - conv: {filters: 1, kernel: 1}
        from: b
        name: c
      - add: [a, c]
"""

from ...geometry import GLOBAL
from ._common import layers, position

ID = "misaligned-merge"
SEVERITY = "warning"
RATIONALE = "the merged units combine features of different places"


def check(context):
    # Below window attention a unit's field is centered on its window, not on the unit
    # (LayerType.recenters_fields): centers no longer tell where units are, and merges of
    # such branches (Swin's residual sums) are not judged.
    recentered: set = set()
    for node in context.graph.in_order():
        if node.spec.type.recenters_fields(node.spec.args) or any(name in recentered for name in node.inputs):
            recentered.add(node.name)
    for node, merged, _, inputs, _ in layers(context):
        if not node.spec.type.merges or node.name in recentered:
            continue
        # The network's input (no report) and a branch broadcast over the positions (a
        # [C, 1, 1] gate, with no units to align) are left out.
        branches = [i for i in inputs if i is not None and i.shape[1:] == merged.shape[1:]]
        fields = [branch.receptive_field for branch in branches]
        if any(field == GLOBAL for field in fields) or len(fields) < 2:
            continue
        starts = {field.start for field in fields}
        if len(starts) > 1:
            described = ", ".join(f'"{b.name}" at {list(b.receptive_field.start)}' for b in branches)
            yield (
                position(node.spec, "inputs"),
                f'"{node.name}" merges units centered on different input pixels (unit 0: {described})',
            )
