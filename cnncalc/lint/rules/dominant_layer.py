"""dominant-layer: one layer holds most of the parameters.

Often a fully connected layer on a large map, which a global pooling would shrink.
Warned above a share of the parameters (option ``dominant-layer-share``, default 0.8;
VGG-16's fc6, with 74%, passes).

FAIL (the fc: 8*4*4*1000 + 1000 = 129,000 of 133,616 parameters)::

    input: [64, 4, 4]
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1}
      - fc: 1000

PASS (pooled first: 9,000 of 13,616)::

    input: [64, 4, 4]
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1}
      - global_avgpool
      - fc: 1000
"""

from ._common import position

ID = "dominant-layer"
SEVERITY = "warning"
RATIONALE = "one layer with most of the parameters is usually a flatten where a pooling would do"


def check(context):
    share = float(context.options.get("dominant-layer-share", 0.8))
    total = context.report.params
    if sum(1 for layer in context.report.layers if layer.params) < 2:
        return  # one layer with parameters holds them all, necessarily
    for node, layer in zip(context.graph.nodes, context.report.layers):
        if layer.params > share * total:
            yield (
                *position(node.spec),
                f'"{node.name}" holds {layer.params / total:.0%} of the network\'s {total:,} parameters',
            )
