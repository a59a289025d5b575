"""pool-after-global-pool: pooling what already sees the whole input.

After global pooling every unit sees everything and the map is 1x1; pooling it again
changes nothing.

FAIL::

    input: [4, 8, 8]
    layers:
      - global_avgpool
      - maxpool: 1

PASS::

    input: [4, 8, 8]
    layers:
      - global_avgpool
      - flatten
"""

from ...geometry import GLOBAL
from ._common import layers, position

ID = "pool-after-global-pool"
SEVERITY = "warning"
RATIONALE = "it does nothing, and usually means a layer is in the wrong place"


def check(context):
    for node, _, shapes, inputs, _ in layers(context):
        # Nothing left to pool: one position, each unit seeing everything. (A map after a
        # squeeze-and-excitation block is global too, but still has positions to pool.)
        done = all(size == 1 for size in shapes[0][1:])
        if node.spec.type.pools and done and inputs and inputs[0] is not None and inputs[0].receptive_field == GLOBAL:
            yield (
                position(node.spec),
                f'"{node.name}" pools "{inputs[0].name}", whose units already see the whole input',
            )
