"""``cnncalc export --to onnx`` (cnncalc/interop/onnx_export.py), and the round trip back.

The written model is held to ONNX's own checker and shape inference, to onnxruntime (when
installed: it runs the graph, zeros and all, and its output has the report's shape), and
its weights' sizes to torchvision's counts. The round trip (zoo file -> ONNX -> cnncalc's
reader) must give the file's params, buffers, MACs and output shape, which the zoo tests
pin to torchvision and the papers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from cnncalc import app, files  # noqa: E402
from cnncalc.errors import SpecError, UsageError  # noqa: E402
from cnncalc.graph import build  # noqa: E402
from cnncalc.interop import onnx_export  # noqa: E402
from cnncalc.layers.base import REGISTRY  # noqa: E402
from cnncalc.report import analyze  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted((ROOT / "architectures").glob("*.yaml")) + sorted((ROOT / "architectures" / "torchvision").glob("*.yaml"))
# One of each pattern, quick enough for the default run; the rest under -m slow.
QUICK = {"lenet5", "vgg11_lrn", "resnet18", "mobilenet_v2", "squeezenet1_0", "unet", "alexnet_caffe", "googlenet",
         "torchvision/shufflenet_v2_x0_5", "torchvision/mobilenet_v3_small", "torchvision/convnext_tiny",
         "torchvision/efficientnet_b0", "torchvision/regnet_y_400mf", "torchvision/inception_v3"}  # fmt: skip


def zoo_id(path: Path) -> str:
    return path.stem if path.parent.name == "architectures" else f"torchvision/{path.stem}"


def figures(report) -> tuple:
    return report.totals.params, report.totals.buffers, report.totals.macs, list(report.layers[-1].shape)


def export(path, tmp_path) -> Path:
    out = tmp_path / f"{Path(path).stem}.onnx"
    assert app.run(app.export_model, str(path), "onnx", str(out)) == 0
    return out


def test_resnet18_is_a_valid_model_with_every_shape(tmp_path):
    out = export(ROOT / "architectures" / "torchvision" / "resnet18.yaml", tmp_path)
    model = onnx.load(str(out))  # with its data file: a complete model
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    dims = lambda info: [d.dim_param or d.dim_value for d in info.type.tensor_type.shape.dim]  # noqa: E731
    assert [dims(i) for i in graph.input] == [["N", 3, 224, 224]]
    assert [dims(o) for o in graph.output] == [["N", 1000]]
    shaped = {info.name for info in [*graph.value_info, *graph.output]}
    assert all(output in shaped for node in graph.node for output in node.output)
    assert all(all(d.dim_value > 0 for d in info.type.tensor_type.shape.dim[1:]) for info in graph.value_info)
    # torchvision's resnet18: 11,689,512 parameters and 9,600 running means and variances,
    # float32: 4 * 11,699,112 = 46,796,448 bytes of zeros beside the graph.
    assert os.path.getsize(f"{out}.data") == 46_796_448
    assert os.path.getsize(out) < 100_000
    weights = {init.name: list(init.dims) for init in graph.initializer}
    conv = next(node for node in graph.node if node.name == "layer1.0.conv1")
    assert conv.op_type == "Conv" and weights[conv.input[1]] == [64, 64, 3, 3]
    assert model.producer_name == "cnncalc" and graph.name == "ResNet-18 (torchvision resnet18)"


def test_the_data_file_is_not_needed_to_read_it_back(tmp_path):
    out = export(ROOT / "architectures" / "vgg16.yaml", tmp_path)
    Path(f"{out}.data").unlink()
    # VGG-16: 138,357,544 parameters (Simonyan & Zisserman, Table 2: 138M), 15.47 GMACs
    assert figures(analyze(build(files.read(str(out))))) == (138_357_544, 0, 15_470_264_320, [1000])


def test_onnxruntime_runs_it_to_the_reports_output_shape(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    out = export(ROOT / "architectures" / "torchvision" / "mobilenet_v3_small.yaml", tmp_path)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"input": np.ones((2, 3, 224, 224), np.float32)})
    # Zero weights, zero biases: each logit is 0 (the last Linear's bias is zero too).
    assert y.shape == (2, 1000) and not y.any()


@pytest.mark.parametrize(
    "path",
    [p if zoo_id(p) in QUICK else pytest.param(p, marks=pytest.mark.slow) for p in ZOO],
    ids=[zoo_id(p) for p in ZOO],
)
def test_round_trip_gives_the_same_figures(path, tmp_path):
    graph = build(files.read(str(path)))
    out = tmp_path / "m.onnx"
    unwritten = [node for node in graph.nodes if type(node.spec.type) in onnx_export.UNREPRESENTED]
    if unwritten:  # the attention zoo: refused, naming the first such layer and the reason
        with pytest.raises(SpecError, match=f'layer "{unwritten[0].name}" .*has no ONNX form: '):
            onnx_export.write(graph, analyze(graph), str(out))
        return
    onnx_export.write(graph, analyze(graph), str(out))
    Path(f"{out}.data").unlink()
    assert figures(analyze(build(files.read(str(out))))) == figures(analyze(graph))


# Types the zoo does not use, each with its figures worked by hand where the reading is not
# a plain copy: every layer comes back as a layer of the same figures.
OTHERS = """
name: others
input: [4, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, padding_mode: reflect}
  - prelu: 8
  - groupnorm: {groups: 2, affine: false}
  - elu
  - instancenorm: {affine: true}
  - batchnorm: {affine: false}
  - selu
  - pad: {padding: [[1, 0], [0, 2]], mode: replicate}
  - deconv: {filters: 6, kernel: 3, stride: 2, padding: [[1, 0], [0, 1]], output_padding: 1}
  - lppool: {kernel: 2, norm: 2}
  - resize: {size: [20, 24], mode: bicubic}
  - upsample: 2
  - adaptive_maxpool: [5, 6]
  - pixel_shuffle: 1
  - batchnorm: {track_running_stats: false}
  - leaky_relu: 0.2
  - layernorm: {over: all}
  - log_softmax
  - conv: {filters: 3, kernel: 1}
    name: a
  - conv: {filters: 3, kernel: 1}
    from: log_softmax1
    name: b
  - conv: {filters: 3, kernel: 1}
    from: log_softmax1
    name: c
  - add: [a, b, c]
    name: sum3
  - mul: [a, b, sum3]
  - global_maxpool
  - flatten
  - fc: {units: 7, bias: false}
  - softplus
  - layernorm: {affine: false}
"""


def test_every_other_layer_type_round_trips(tmp_path):
    source = tmp_path / "others.yaml"
    source.write_text(OTHERS)
    graph = build(files.read(str(source)))
    report = analyze(graph)
    out = export(source, tmp_path)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    back = analyze(build(files.read(str(out))))
    # by hand: conv 8*4*9 + 8 = 296, prelu 8, instancenorm 2*8 = 16, deconv 8*6*9 + 6 = 438,
    # the second batchnorm 2*6 = 12, layernorm over all 2*6*5*6 = 360, the three 1x1 convs
    # 3*(3*6 + 3) = 63, fc 3*7 = 21: 1,214 learned; buffers: the first batchnorm's 2*8 = 16
    # (the second tracks none). The deconv gives H 16*2 - 1 + 3 + 1 = 35, W 17*2 - 1 + 3 + 1
    # = 37; the lppool halves them; resize to 20x24, upsample to 40x48, the adaptive pool to
    # 5x6 (windows of 8).
    assert (report.totals.params, report.totals.buffers) == (1_214, 16)
    assert figures(back) == figures(report)
    assert [layer.shape for layer in back.layers if layer.name in ("a", "sum3")] == [(3, 5, 6), (3, 5, 6)]


def test_overlapping_adaptive_windows_are_gathered_then_pooled(tmp_path):
    """GoogLeNet's aux heads pool 14x14 to 4x4: PyTorch's windows are [0,4) [3,7) [7,11)
    [10,14) on each axis (start floor(i*14/4), end ceil((i+1)*14/4)), all 4 wide but 3 or 4
    apart. onnxruntime runs the export; its output is those windows' means, by hand."""
    ort = pytest.importorskip("onnxruntime")
    source = tmp_path / "aux.yaml"
    source.write_text("input: [2, 14, 14]\nlayers:\n  - adaptive_avgpool: 4\n")
    out = export(source, tmp_path)
    x = np.random.default_rng(0).standard_normal((1, 2, 14, 14)).astype(np.float32)
    (y,) = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"input": x})
    windows = [(0, 4), (3, 7), (7, 11), (10, 14)]
    expected = [[[x[0, c, r0:r1, c0:c1].mean() for c0, c1 in windows] for r0, r1 in windows] for c in range(2)]
    np.testing.assert_allclose(y[0], expected, rtol=1e-5)
    back = analyze(build(files.read(str(out))))
    assert [(layer.type, layer.shape) for layer in back.layers] == [("adaptive_avgpool", (2, 4, 4))]


@pytest.mark.parametrize("text, words", [
    ("input: [3, 8, 8]\nlayers:\n  - local: {filters: 2, kernel: 3}\n", 'layer "local1" (local) has no ONNX form'),
    ("input: [3, 8, 8]\nlayers:\n  - softplus: {beta: 2}\n", "ONNX's Softplus has no beta"),
    ("input: [3, 5, 5]\nlayers:\n  - adaptive_avgpool: 3\n", "windows of unequal sizes ([5, 5] to [3, 3])"),
])  # fmt: skip
def test_what_onnx_cannot_say_is_refused_with_the_reason(tmp_path, text, words):
    source = tmp_path / "net.yaml"
    source.write_text(text)
    result = subprocess.run([sys.executable, "-m", "cnncalc", "export", str(source), "--to", "onnx", "-o",
                             str(tmp_path / "net.onnx")], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{source}:")


def test_onnx_needs_an_output_file(capsys):
    with pytest.raises(UsageError, match="give -o FILE.onnx"):
        app.export_model(str(ROOT / "architectures" / "lenet5.yaml"), "onnx", None)


def test_missing_onnx_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(UsageError, match=r"pip install 'cnncalc\[onnx\]'"):
        app.export_model(str(ROOT / "architectures" / "lenet5.yaml"), "onnx", str(tmp_path / "m.onnx"))


def test_every_layer_type_has_an_onnx_form_or_a_reason():
    for layer_type in set(REGISTRY.values()):
        assert type(layer_type) in onnx_export.RULES or type(layer_type) in onnx_export.UNREPRESENTED, layer_type.name


# --- import folds repeated blocks into modules ---------------------------------------------------


def test_import_folds_resnet50s_bottlenecks_into_modules(tmp_path):
    import yaml

    from cnncalc.interop import onnx as reader

    out = export(ROOT / "architectures" / "torchvision" / "resnet50.yaml", tmp_path)
    written = tmp_path / "r50.yaml"
    assert app.run(app.import_model, str(out), str(written)) == 0
    text = written.read_text()
    assert text.startswith("# Imported by cnncalc from resnet50.onnx (ONNX, opset ai.onnx 21, written by cnncalc ")
    document = yaml.safe_load(text)
    assert len(document["modules"]) == 2  # the bottleneck with a projection shortcut, and without
    uses = [next(iter(layer)) for layer in document["layers"] if next(iter(layer)) in document["modules"]]
    # torchvision's resnet50: stages of [3, 4, 6, 3] bottlenecks, the first of each projecting
    assert len(uses) == 16 and sorted(uses.count(m) for m in document["modules"]) == [4, 12]
    flat = tmp_path / "flat.yaml"
    flat.write_text(reader.document_text(str(out), folded=False))
    folded_report, flat_report = analyze(build(files.read(str(written)))), analyze(build(files.read(str(flat))))
    assert "modules" not in flat.read_text()
    each = lambda report: [(l.name, l.type, l.shape, l.params, l.buffers, l.macs) for l in report.layers]  # noqa: E731,E741
    assert each(folded_report) == each(flat_report)
    # torchvision: 25,557,032 parameters, 53,120 batchnorm buffers, 4.089 GMACs
    assert figures(folded_report) == (25_557_032, 53_120, 4_089_184_256, [1000])
    assert {l.module[0][0] for l in folded_report.layers if l.name.startswith("layer3.4.")} == {"layer3.4"}  # noqa: E741


def test_a_block_that_appears_once_is_not_folded(tmp_path):
    out = export(ROOT / "architectures" / "lenet5.yaml", tmp_path)
    written = tmp_path / "lenet.yaml"
    assert app.run(app.import_model, str(out), str(written)) == 0
    assert "modules:" not in written.read_text()


def test_import_folds_blocks_of_blocks_where_the_graph_repeats_them(tmp_path):
    import yaml

    from cnncalc.interop import onnx as reader

    out = export(ROOT / "architectures" / "torchvision" / "inception_v3.yaml", tmp_path)
    written = tmp_path / "inception.yaml"
    assert app.run(app.import_model, str(out), str(written)) == 0
    text = written.read_text()
    assert "# Blocks the graph repeats are folded into modules (blocks of blocks too" in text
    document = yaml.safe_load(text)
    uses = {layer["name"]: next(iter(layer)) for layer in document["layers"]}
    # torchvision's inception.py: Mixed_5b-5d are InceptionA (pool_features 32, 64, 64),
    # Mixed_6b-6e InceptionC (channels_7x7 128, 160, 160, 192), Mixed_7b-7c InceptionE; each
    # a block of BasicConv2d blocks (conv, batchnorm, relu).
    for family in (["Mixed_5b", "Mixed_5c", "Mixed_5d"], ["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"],
                   ["Mixed_7b", "Mixed_7c"]):  # fmt: skip
        assert len({uses[name] for name in family}) == 1, family
    a, c = document["modules"][uses["Mixed_5b"]], document["modules"][uses["Mixed_6b"]]
    basic = {next(iter(record)) for record in a["layers"] if next(iter(record)) in document["modules"]}
    assert len(basic) == 1 and [next(iter(r)) for r in document["modules"][basic.pop()]["layers"]] == [
        "conv", "batchnorm", "relu"]  # fmt: skip
    args = {layer["name"]: layer[next(iter(layer))] for layer in document["layers"]}
    assert [args[name] for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d")] == [
        {"branch_pool_conv_filters": n} for n in (32, 64, 64)]  # fmt: skip
    assert len(c["params"]) == 1
    assert [list(args[name].values()) for name in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e")] == [
        [128], [160], [160], [192]]  # fmt: skip
    flat = tmp_path / "flat.yaml"
    flat.write_text(reader.document_text(str(out), folded=False))
    folded_report, flat_report = analyze(build(files.read(str(written)))), analyze(build(files.read(str(flat))))
    each = lambda report: [(l.name, l.type, l.shape, l.params, l.buffers, l.macs) for l in report.layers]  # noqa: E731,E741
    assert each(folded_report) == each(flat_report)
    assert {l.module[-1][0] for l in folded_report.layers if l.name.startswith("Mixed_6c.branch7x7_2.")} == {  # noqa: E741
        "Mixed_6c.branch7x7_2"}  # fmt: skip


def test_a_resize_to_another_layers_size_goes_through_its_shape_and_comes_back_as_like(tmp_path):
    import yaml

    out = export(ROOT / "architectures" / "torchvision" / "fcn_resnet50.yaml", tmp_path)
    graph = onnx.load(str(out), load_external_data=False).graph
    producer = {output: node for node in graph.node for output in node.output}
    last = graph.node[-1]
    assert last.op_type == "Resize"
    # as PyTorch's exporter writes F.interpolate(x, size=input.shape[-2:]): Shape, Slice, Concat
    sizes = producer[last.input[3]]
    assert sizes.op_type == "Concat"
    spatial = producer[sizes.input[1]]
    assert spatial.op_type == "Slice" and producer[spatial.input[0]].op_type == "Shape"
    assert producer[spatial.input[0]].input[0] == "input"
    written = tmp_path / "fcn.yaml"
    assert app.run(app.import_model, str(out), str(written)) == 0
    text = written.read_text()
    assert "  - resize: {like: input, mode: bilinear}\n" in text
    # like the model, the file holds at any input size: FCN's head upsamples to the input's
    document = yaml.safe_load(text)
    document["input"] = [3, 256, 320]
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(document, sort_keys=False))
    assert list(analyze(build(files.read(str(other)))).layers[-1].shape) == [21, 256, 320]


def test_a_layer_scale_with_a_shift_round_trips_as_mul_then_add(tmp_path):
    source = tmp_path / "scale.yaml"
    source.write_text(
        "input: [3, 4, 4]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: 1}\n"
        "  - layer_scale: {init: 1.0, bias: true}\n  - layer_scale: 1.0\n"
    )
    out = export(source, tmp_path)
    assert [node.op_type for node in onnx.load(str(out), load_external_data=False).graph.node] == [
        "Conv", "Mul", "Add", "Mul"]  # fmt: skip
    back = analyze(build(files.read(str(out))))
    # by hand: conv 4*3*9 + 4 = 112; a scale and a shift per channel 4 + 4; a scale 4
    assert [(layer.type, layer.params) for layer in back.layers] == [
        ("conv", 112), ("layer_scale", 8), ("layer_scale", 4)]  # fmt: skip
