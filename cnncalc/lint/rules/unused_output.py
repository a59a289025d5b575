"""unused-output: a branch whose output nobody reads.

Only the last layer is the network's output; any other layer that no layer reads is
computed for nothing (usually a misspelt ``from`` or a merge that lost an input).

FAIL::

    input: [3, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
        name: side
      - conv: {filters: 4, kernel: 3, padding: 1}
        from: input

PASS::

    input: [3, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
        name: side
      - conv: {filters: 4, kernel: 3, padding: 1}
        from: input
      - add: [side, conv1]
"""

from ._common import position, readers

ID = "unused-output"
SEVERITY = "warning"
RATIONALE = "a layer nobody reads costs memory and time and is usually a wiring mistake"


def check(context):
    read_by = readers(context)
    for node in context.graph.nodes[:-1]:
        if node.name not in read_by:
            yield (
                position(node.spec),
                f'nothing reads "{node.name}": it is not the last layer, so it is computed for nothing',
            )
