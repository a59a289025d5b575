"""A PyTorch model read as an architecture file: ``cnncalc import torchvision.models:resnet50 --input 3x224x224``.

``module:factory`` names a function (or class) that builds an ``nn.Module`` with no
arguments, as torchvision's builders do (``weights=None`` is their default). The model is
put in eval mode and traced by PyTorch's ONNX exporter (``torch.export``, the dynamo
exporter, when onnxscript is installed; the TorchScript tracer otherwise) into a temporary
file, which cnncalc's ONNX reader reads as it reads any (interop/onnx.py): the layers are
named after the model's modules, repeated blocks folded into modules. Only shapes matter:
no weights are loaded or kept.

Needs torch and the onnx package, imported only here.
"""

from __future__ import annotations

import os

from ..errors import UsageError


def is_target(text: str) -> bool:
    """Whether ``text`` reads as ``package.module:factory`` rather than a file."""
    module, colon, factory = text.partition(":")
    return bool(colon) and factory.isidentifier() and all(part.isidentifier() for part in module.split("."))


def input_shape(text: str | None, target: str) -> tuple:
    """``3x224x224`` or ``3,224,224``: channels first, PyTorch's order, the batch left out."""
    if text is None:
        raise UsageError(f"{target}: error: give the input's shape, channels first: --input 3x224x224")
    parts = text.replace(" ", "").lower().replace(",", "x").split("x")
    if not all(part.isascii() and part.isdecimal() and 0 < len(part) <= 9 and int(part) > 0 for part in parts):
        raise UsageError(
            f"--input {text!r}: write the shape channels first, as 3x224x224, each a positive whole number"
        )
    return tuple(int(part) for part in parts)


def document_text(target: str, shape: tuple) -> str:
    """The architecture file of the model ``module:factory`` builds, traced on an input of ``shape``."""
    import importlib
    import tempfile

    try:
        import torch
    except ImportError:
        raise UsageError(f"{target}: error: importing a PyTorch model needs torch (pip install torch)") from None
    from . import onnx as onnx_reader

    module_name, _, factory_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 (anything the module raises on import)
        raise UsageError(f"{target}: error: cannot import {module_name}: {type(error).__name__}: {error}") from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise UsageError(f"{target}: error: {module_name} has no function or class {factory_name!r}")
    try:
        model = factory()
    except Exception as error:  # noqa: BLE001
        raise UsageError(f"{target}: error: {factory_name}() failed: {type(error).__name__}: {error}") from None
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"{target}: error: {factory_name}() gave a {type(model).__name__}, not a torch.nn.Module")
    model.eval()
    x = torch.zeros(1, *shape)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{factory_name}.onnx")
        tracer = _export(torch, model, x, path, target)
        source = (
            f"{target} (PyTorch {torch.__version__.split('+')[0]}, traced by {tracer} on 1x{'x'.join(map(str, shape))})"
        )
        return onnx_reader.document_text(path, source=source)


def _export(torch, model, x, path: str, target: str) -> str:
    """Traces the model into an ONNX file; returns how."""
    import logging
    import warnings

    try:
        import onnxscript  # noqa: F401 (the dynamo exporter's dependency)

        dynamo = True
    except ImportError:
        dynamo = False
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if dynamo:  # optimize=False: the optimiser would fold batchnorm into the convolutions
                torch.onnx.export(model, (x,), path, dynamo=True, external_data=True, optimize=False, verbose=False)
            else:
                torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, do_constant_folding=False,
                                  training=torch.onnx.TrainingMode.PRESERVE)  # fmt: skip
    except Exception as error:  # noqa: BLE001 (tracing fails in many ways: data-dependent control flow...)
        raise UsageError(
            f"{target}: error: PyTorch could not trace the model: {type(error).__name__}: {error}"
        ) from None
    return "torch.export" if dynamo else "the TorchScript tracer"
