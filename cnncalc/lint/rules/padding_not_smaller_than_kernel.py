"""padding-not-smaller-than-kernel: padding as wide as the window or wider.

A window that lies entirely in the padding computes from nothing but padding.

FAIL::

    input: [1, 8]
    layers:
      - conv: {filters: 1, kernel: 3, padding: 3}

PASS::

    input: [1, 8]
    layers:
      - conv: {filters: 1, kernel: 3, padding: 1}
"""

from ._common import layers, position

ID = "padding-not-smaller-than-kernel"
SEVERITY = "warning"
RATIONALE = "windows made of padding alone add outputs that see no input"


def check(context):
    for node, _, _, _, window in layers(context):
        if window is None or node.spec.args.get("padding") == "same":
            continue
        for kernel, (before, after) in zip(window.effective_kernel, window.pads):
            if max(before, after) >= kernel:
                yield (
                    position(node.spec, "padding"),
                    f'"{node.name}": padding {max(before, after)} is not smaller than the window ({kernel})',
                )
                break
