"""dropout-probability: dropout that drops everything.

With ``p: 1`` every unit is zeroed while training, and nothing after it can learn.

FAIL::

    input: [10]
    layers:
      - dropout: 1

PASS::

    input: [10]
    layers:
      - dropout: 0.5
"""

from ._common import layers, position

ID = "dropout-probability"
SEVERITY = "warning"
RATIONALE = "p must be in [0, 1) for anything to get through while training"


def check(context):
    for node, _, _, _, _ in layers(context):
        p = node.spec.args.get("p")
        if isinstance(p, (int, float)) and not 0 <= p < 1:
            yield (position(node.spec, "p"), f'"{node.name}": a probability of {p} zeroes every unit while training')
