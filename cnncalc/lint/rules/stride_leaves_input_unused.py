"""stride-leaves-input-unused: the last windows stop short of the input's end.

With ``floor`` rounding, rows (or columns) after the last whole window are never read.
Padding that is not read does not count; input that is not read does. Windows narrower
than their stride (a 1x1 convolution with stride 2) skip rows on purpose and are not
judged.

FAIL (6 wide, kernel 3, stride 2: windows at 0-2 and 2-4, pixel 5 is never read)::

    input: [1, 6]
    layers:
      - conv: {filters: 1, kernel: 3, stride: 2}

PASS::

    input: [1, 7]
    layers:
      - conv: {filters: 1, kernel: 3, stride: 2}
"""

from ...geometry import axis_name
from ._common import layers, position

ID = "stride-leaves-input-unused"
SEVERITY = "warning"
RATIONALE = "pixels no window reads are usually a miscounted input size, stride or padding"


def check(context):
    for node, layer, shapes, _, window in layers(context):
        if window is None or window.ceil_mode:
            continue
        unread = []
        ndim = len(shapes[0]) - 1
        for axis, (size, span, stride, (before, _)) in enumerate(
            zip(shapes[0][1:], window.effective_kernel, window.stride, window.pads)
        ):
            if span < stride:
                continue  # windows with gaps between them (a 1x1 stride-2 shortcut) subsample on purpose
            last_read = (layer.shape[axis + 1] - 1) * stride + span - 1 - before  # in input pixels
            if size - 1 - last_read > 0:
                unread.append(f"the last {size - 1 - last_read} of {size} on axis {axis_name(axis, ndim)}")
        if unread:
            yield (
                position(node.spec, "stride" if "stride" in node.spec.arg_locs else None),
                f'"{node.name}": its stride leaves input unread: {"; ".join(unread)}',
            )
