"""resize's ``like``: the spatial size of another layer's output, as segmentation heads write
``F.interpolate(x, size=y.shape[-2:])``. Shapes by hand; values and the exported module
against PyTorch (optional, ``-m torch``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import analyze_text, build_text

from cnncalc import app
from cnncalc.errors import SpecError
from cnncalc.executor import execute
from cnncalc.memory import _step

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))

# A segmentation network in miniature: a stride-2 conv, DeepLab's image pooling (pooled to
# 1x1, a 1x1 conv, back to the size of the map it pooled) beside a 1x1 branch, then logits
# resized to the input's size.
POOLING_HEAD = """
input: [3, 21, 17]
modules:
  image_pooling:
    layers:
      - global_avgpool
      - conv: {filters: 4, kernel: 1}
      - resize: {like: input, mode: bilinear}
        name: back
layers:
  - conv: {filters: 8, kernel: 3, stride: 2, padding: 1}
    name: features
  - conv: {filters: 4, kernel: 1}
    name: branch
  - image_pooling:
    from: features
    name: pooling
  - concat: [branch, pooling]
  - conv: {filters: 2, kernel: 1}
    name: logits
  - resize: {like: input, mode: bilinear}
    name: out
"""


def test_like_takes_the_size_of_the_layer_it_names():
    r = analyze_text(POOLING_HEAD)
    shapes = {layer.name: layer.shape for layer in r.layers}
    # 21x17 at stride 2, padding 1, kernel 3: floor((21 + 2 - 3) / 2) + 1 = 11, floor(16 / 2) + 1 = 9.
    assert shapes["features"] == (8, 11, 9)
    # Inside the module, `input` is the instance's input (features, 11x9), not the network's.
    assert shapes["pooling.back"] == (4, 11, 9)
    assert shapes["concat1"] == (8, 11, 9)
    # At the top level, `input` is the network's: 3x21x17, so the logits come back to 21x17.
    assert shapes["out"] == (2, 21, 17)
    # The named layer is an input of the resize (read for its shape), after the one it resizes.
    inputs = {layer.name: layer.inputs for layer in r.layers}
    assert inputs["pooling.back"] == ("pooling.conv1", "features")
    assert inputs["out"] == ("logits", "input")
    # Resizing learns nothing and counts no MACs; the convs: 3*8*9 + 8 = 224 params and
    # 11*9*216 = 21,384 MACs; 8*4 + 4 = 36 and 11*9*32 = 3,168; 36 and 1*1*32 = 32;
    # 8*2 + 2 = 18 and 11*9*16 = 1,584.
    assert r.totals.params == 224 + 36 + 36 + 18
    assert r.totals.macs == 21_384 + 3_168 + 32 + 1_584


def test_the_file_holds_at_another_input_size():
    # The same head on 3x40x30: features 20x15, the image pooling back to 20x15, out 40x30.
    r = analyze_text(POOLING_HEAD.replace("[3, 21, 17]", "[3, 40, 30]"))
    shapes = {layer.name: layer.shape for layer in r.layers}
    assert (shapes["pooling.back"], shapes["out"]) == ((4, 20, 15), (2, 40, 30))


def test_like_a_layer_written_further_down():
    # LR-ASPP: the coarse branch is resized to the size of the finer map, named before it is written.
    r = analyze_text("""
        input: [3, 32, 32]
        layers:
          - conv: {filters: 4, kernel: 3, stride: 4, padding: 1}
            name: coarse
          - resize: {like: fine, mode: bilinear}
          - conv: {filters: 4, kernel: 3, stride: 2, padding: 1}
            name: fine
            from: input
          - add: [resize1, fine]
        """)
    # coarse: floor((32 + 2 - 3) / 4) + 1 = 8; fine: floor(31 / 2) + 1 = 16.
    assert [layer.shape for layer in r.layers] == [(4, 8, 8), (4, 16, 16), (4, 16, 16), (4, 16, 16)]


@pytest.mark.parametrize(
    "args, message",
    [
        ("{like: input, size: 4}", "give resize one of size, scale and like"),
        ("{like: nowhere}", 'takes its input from "nowhere", but no layer has that name'),
        ("{like: flat}", "both need the same number of spatial axes"),
        ("{like: 3}", "like: expected a layer's name"),
    ],
)
def test_refused(args, message):
    text = f"input: [2, 6, 6]\nlayers:\n  - {{flatten: null, name: flat}}\n  - {{resize: {args}, from: input}}\n"
    with pytest.raises(SpecError, match=message):
        analyze_text(text)


def test_an_unknown_name_is_pointed_at(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("input: [2, 6, 6]\nlayers:\n  - conv: {filters: 2, kernel: 3}\n  - resize: {like: nowhere}\n")
    result = subprocess.run([CNNCALC, "summarize", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    # Line 4, column 20: the value of like.
    assert f"{path}:4:20: error:" in result.stderr, result.stderr


def test_a_cycle_through_like_is_reported():
    text = """
        input: [2, 6, 6]
        layers:
          - resize: {like: after}
            name: before
          - conv: {filters: 2, kernel: 1}
            name: after
        """
    with pytest.raises(SpecError, match="cycle"):
        analyze_text(text)


def test_the_named_layer_takes_no_gradient():
    # In PyTorch y.shape is no tensor: nothing flows back to y from the resize. So a training
    # step costs what it costs with the size written out, moment by moment; the layer named
    # here (features) is read by the branch anyway, so it lives as long either way.
    written = POOLING_HEAD.replace("resize: {like: input, mode: bilinear}\n        name: back",
                                   "resize: {size: [11, 9], mode: bilinear}\n        name: back")  # fmt: skip
    written = written.replace("resize: {like: input, mode: bilinear}\n    name: out",
                              "resize: {size: [21, 17], mode: bilinear}\n    name: out")  # fmt: skip
    assert written.count("like:") == 0

    def moments(text):  # every moment of the step, not only the peak a stray gradient may miss
        return _step(build_text(text), analyze_text(text), "float32", "sgd", False)[2]

    assert moments(POOLING_HEAD) == moments(written)


# --- against PyTorch ----------------------------------------------------------------------


@pytest.mark.torch
def test_values_are_pytorchs_interpolate():
    torch = pytest.importorskip("torch")
    from torch.nn import functional as F

    x = np.random.default_rng(3).standard_normal((2, 3, 21, 17)).astype(np.float32)
    run = execute(build_text(POOLING_HEAD), inputs=x, keep="all")
    for name, reference in [("pooling.back", "features"), ("out", None)]:
        source = run.outputs["pooling.conv1" if name == "pooling.back" else "logits"].astype(np.float64)
        size = (x if reference is None else run.outputs[reference]).shape[2:]
        want = F.interpolate(torch.from_numpy(source), size=size, mode="bilinear", align_corners=False)
        # cnncalc interpolates in float64 and rounds to float32 once: within float32's precision.
        np.testing.assert_allclose(run.outputs[name], want.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.torch
def test_exported_module_resizes_like_the_named_tensor(tmp_path):
    torch = pytest.importorskip("torch")
    import importlib.util

    path = tmp_path / "head.yaml"
    path.write_text(POOLING_HEAD)
    out = tmp_path / "head.py"
    assert app.run(app.export_model, str(path), "pytorch", str(out)) == 0
    loaded = importlib.util.spec_from_file_location("exported_head", out)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    net = module.Net().eval()
    # The exported module takes the sizes from the tensors, as the file does: any input size.
    with torch.no_grad():
        assert tuple(net(torch.randn(1, 3, 21, 17)).shape) == (1, 2, 21, 17)
        assert tuple(net(torch.randn(1, 3, 40, 30)).shape) == (1, 2, 40, 30)
