"""even-kernel-same-padding: ``same`` padding around an even window is lopsided.

An even window has no center: ``same`` pads one more pixel after than before, so the
output shifts by half a pixel (and frameworks disagree on which side gets the extra one).

FAIL::

    input: [1, 8]
    layers:
      - conv: {filters: 1, kernel: 2, padding: same}

PASS::

    input: [1, 8]
    layers:
      - conv: {filters: 1, kernel: 3, padding: same}
"""

from ._common import layers, position

ID = "even-kernel-same-padding"
SEVERITY = "warning"
RATIONALE = "the padding is asymmetric and the output shifts by half a pixel"


def check(context):
    for node, _, _, _, window in layers(context):
        if node.spec.args.get("padding") != "same":
            continue
        if window is not None and any(span % 2 == 0 for span in window.effective_kernel):
            yield (
                position(node.spec, "padding"),
                f'"{node.name}": same padding with an even window {list(window.effective_kernel)} is asymmetric '
                f"(padding {[list(p) for p in window.pads]})",
            )
