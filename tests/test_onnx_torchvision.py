"""torchvision's models, exported to ONNX by both of PyTorch's exporters, read by cnncalc.

Optional (``-m torch``): skipped without torch, torchvision and onnx (onnxscript too, for
the dynamo exporter). Each model is built with weights=None, put in eval mode and exported:
by the TorchScript exporter (opsets 13 and 17; no constant folding and PRESERVE mode, so
batchnorm stays a layer), and by the dynamo exporter (opset 18, weights in a side
``.onnx.data`` file, deleted before reading: only shapes are read). The expected figures are
torchvision's own, counted as test_zoo_torchvision.py counts them: parameters and
``running_mean``/``running_var`` numels of the module, MACs as FlopCounterMode's total over
2, the output's shape (``["out"]`` for the segmentation models). The architecture file
``cnncalc import`` writes must give the same.

Inception v3 and GoogLeNet are built without their aux heads: in eval mode they do not run,
so no exporter writes them (the zoo files keep them; test_zoo_torchvision.py pins those).
The segmentation models run on 224x224 (their heads upsample to the input's size).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc import app, files
from cnncalc.graph import build
from cnncalc.report import analyze

CLASSIFIERS = ["resnet50", "resnext50_32x4d", "shufflenet_v2_x1_0", "efficientnet_b0", "efficientnet_v2_s",
               "mobilenet_v3_large", "mobilenet_v3_small", "regnet_y_400mf", "regnet_x_400mf", "convnext_tiny",
               "inception_v3", "googlenet", "densenet121", "squeezenet1_0", "mnasnet0_5", "vgg11_bn", "alexnet",
               "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "efficientnet_v2_m"]  # fmt: skip
SEGMENTATION = ["fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
                "fcn_resnet101", "deeplabv3_resnet101"]  # fmt: skip
EXPORTERS = [("torchscript", 13), ("torchscript", 17), ("dynamo", 18)]
# One run of each exporter on a model of each family is the quick set; the rest under -m slow.
QUICK = {("mobilenet_v3_small", "torchscript", 17), ("shufflenet_v2_x1_0", "dynamo", 18),
         ("convnext_tiny", "torchscript", 13), ("lraspp_mobilenet_v3_large", "dynamo", 18)}  # fmt: skip
CASES = [
    pytest.param(b, e, o, marks=() if (b, e, o) in QUICK else pytest.mark.slow, id=f"{b}-{e}{o}")
    for b in CLASSIFIERS + SEGMENTATION
    for e, o in EXPORTERS
]


def torchvision_model(builder: str):
    from test_zoo_torchvision import import_torchvision

    torch, torchvision = import_torchvision()
    pytest.importorskip("onnx")
    options = {}
    if builder in ("inception_v3", "googlenet"):
        options = {"aux_logits": False, "init_weights": False}
    if builder in SEGMENTATION:
        options = {"weights_backbone": None}
    return torch, torchvision.models.get_model(builder, weights=None, **options).eval()


def torchvision_figures(torch, model, x) -> tuple:
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        y = model(x)
    y = y["out"] if isinstance(y, dict) else y
    return params, buffers, counter.get_total_flops() // 2, list(y.shape[1:])


def cnncalc_figures(path: Path) -> tuple:
    report = analyze(build(files.read(str(path))))
    return report.totals.params, report.totals.buffers, report.totals.macs, list(report.layers[-1].shape)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("builder, exporter, opset", CASES)
def test_torchvision_exported_to_onnx_reads_with_torchvisions_figures(builder, exporter, opset, tmp_path):
    torch, model = torchvision_model(builder)
    size = 299 if builder == "inception_v3" else 224
    x = torch.randn(1, 3, size, size)
    expected = torchvision_figures(torch, model, x)
    path = tmp_path / f"{builder}.onnx"
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")
        # optimize=False: the optimiser would fold batchnorm into the convolutions
        torch.onnx.export(model, (x,), str(path), dynamo=True, opset_version=opset, external_data=True, optimize=False)
        Path(f"{path}.data").unlink()
    else:
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)  # fmt: skip
    assert cnncalc_figures(path) == expected
    written = tmp_path / f"{builder}.yaml"
    assert app.run(app.import_model, str(path), str(written)) == 0
    assert cnncalc_figures(written) == expected


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")
def test_a_segmentation_model_exported_with_dynamic_axes_resizes_like_its_input(tmp_path):
    """FCN's head resizes to ``x.shape[-2:]``; exported with H and W dynamic, the sizes are a
    Shape -> Gather -> Concat -> Resize chain, read back as ``like: input``: the imported file
    gives torchvision's figures at whatever size --input names."""
    torch, model = torchvision_model("fcn_resnet50")
    path = tmp_path / "fcn.onnx"
    torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), str(path), dynamo=False, opset_version=17,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE, input_names=["x"],
                      output_names=["out"], dynamic_axes={"x": {0: "N", 2: "H", 3: "W"}})  # fmt: skip
    for size in ((224, 224), (256, 320)):
        written = tmp_path / f"fcn_{size[0]}.yaml"
        assert app.run(app.import_model, str(path), str(written), "3x{}x{}".format(*size)) == 0
        assert "  - resize: {like: input, mode: bilinear}\n" in written.read_text()
        assert cnncalc_figures(written) == torchvision_figures(torch, model, torch.randn(1, 3, *size))


# --- cnncalc import package.module:factory ------------------------------------------------------


@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_import_traces_a_torchvision_builder(tmp_path):
    torch, model = torchvision_model("resnet18")
    expected = torchvision_figures(torch, model, torch.randn(1, 3, 224, 224))
    written = tmp_path / "resnet18.yaml"
    assert app.run(app.import_model, "torchvision.models:resnet18", str(written), "3x224x224") == 0
    text = written.read_text()
    assert text.startswith("# Imported by cnncalc from torchvision.models:resnet18 (PyTorch ")
    assert "modules:" in text and "name: layer3.1\n" in text  # BasicBlocks folded, named as torchvision's
    # torchvision's own counts: 11,689,512 parameters, 9,600 buffers, 1.814 GMACs
    assert expected == (11_689_512, 9_600, 1_814_073_344, [1000])
    assert cnncalc_figures(written) == expected


def test_import_of_a_pytorch_model_asks_for_the_input_and_for_torch(monkeypatch):
    import sys

    from cnncalc.errors import UsageError

    with pytest.raises(UsageError, match=r"give the input's shape, channels first: --input 3x224x224"):
        app.import_model("torchvision.models:resnet18")
    with pytest.raises(UsageError, match=r"--input '224x224x'"):
        app.import_model("torchvision.models:resnet18", None, "224x224x")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(UsageError, match=r"needs torch"):
        app.import_model("torchvision.models:resnet18", None, "3x224x224")
