"""A network from a file of any format cnncalc reads: its own YAML, ONNX, Caffe.

    >>> from cnncalc.files import read
    >>> read("architectures/lenet5.yaml").input
    (1, 32, 32)

It sits above ``spec`` and ``interop``: the readers of other formats write the values an
architecture file is read into and hand them to ``spec``, so ``spec`` never needs them.
"""

from __future__ import annotations

from .spec import NetworkSpec


def read(path: str, input_shape: tuple | None = None) -> NetworkSpec:
    """The network in the file at ``path``, chosen by its suffix: ``.onnx`` (as the file
    ``cnncalc import`` writes reads), ``.prototxt`` (Caffe), else an architecture file.
    ``input_shape`` (channels first, no batch): the input of an ONNX model exported with
    dynamic axes, whose sizes are names; other files give their own."""
    if path.lower().endswith(".onnx"):
        from .interop import onnx

        return onnx.read(path, input_shape)
    if input_shape is not None:
        from .errors import UsageError

        raise UsageError(f"{path}: error: --input is for ONNX models; this file gives its own input")
    if path.lower().endswith(".prototxt"):
        from .interop import caffe

        return caffe.read(path)
    from . import source, spec

    return spec.parse(source.load(path), path)
