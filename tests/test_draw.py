"""``cnncalc draw``, ``cnncalc report`` (without a browser: tests/test_browser.py opens it),
``explain --draw``, the rich table's MACs bar and the progress bars.

Layer and edge counts are counted by hand from the architecture files and the papers:

- GoogLeNet (Szegedy et al. 2014, Table 1; architectures/googlenet.yaml): a stem of 10 layers
  (conv1, relu, pool1, lrn, conv2 reduce, relu, conv2, relu, lrn, pool2), 9 inception modules
  (3a, 3b, 4a-4e, 5a, 5b) of 14 layers each (4 branches: 1x1 + relu; reduce + relu + 3x3 +
  relu; reduce + relu + 5x5 + relu; pool + proj + relu; and the concat), pool3, pool4, and a
  head of 4 (avg pool, dropout, fc, softmax): 10 + 126 + 2 + 4 = 142 layers. Every layer has
  one input except the 9 concats with 4: 142 + 9*3 = 169 edges.
- ResNet-50 (He et al. 2015, Table 1): conv1, bn1, relu, maxpool; 3 + 4 + 6 + 3 = 16
  bottlenecks of 10 layers (conv1 bn1 relu1 conv2 bn2 relu2 conv3 bn3 add relu3), the first
  of each stage with a projection (conv + bn); avgpool, fc: 4 + 160 + 8 + 2 = 174 layers,
  174 + 16 adds' second inputs = 190 edges.
- DenseNet-121 (Huang et al. 2017, Table 1): a stem of 4, 6 + 12 + 24 + 16 = 58 dense layers
  of 7 (bn relu conv bn relu conv concat), 3 transitions of 4, a head of 5 (bn, relu, pool,
  flatten, fc): 4 + 406 + 12 + 5 = 427 layers; 427 + 58 concats' second inputs = 485 edges.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cnncalc import app
from cnncalc.formats import drawing
from cnncalc.formats.diagram import build
from cnncalc.report import analyze_file

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
HAND_COUNTS = {
    "architectures/googlenet.yaml": (142, 169),
    "architectures/resnet50.yaml": (174, 190),
    "architectures/torchvision/densenet121.yaml": (427, 485),
}


def cnncalc(*args, env=None, cwd=ROOT):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args], capture_output=True, cwd=cwd, env=environment, check=False
    )


def drawn(path: str, **options) -> ET.Element:
    return ET.fromstring(drawing.svg(build(analyze_file(str(ROOT / path)), **options)).encode())


def nodes_of(root, kind: str = "layer") -> list:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == f"node {kind}"]


def edges_of(root) -> list:
    return [p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]


def box(node) -> tuple:
    rect = node.find(f"{SVG}rect")
    x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


@pytest.mark.parametrize("path", sorted(HAND_COUNTS))
def test_one_node_per_layer_and_one_edge_per_input(path):
    layers, inputs = HAND_COUNTS[path]
    root = drawn(path)  # parsing it at all: the SVG is well-formed XML
    assert root.tag == f"{SVG}svg"
    assert len(nodes_of(root)) == layers
    assert len(nodes_of(root, "input")) == 1
    assert len(edges_of(root)) == inputs
    # Each edge joins a layer to one of its inputs, as the report says.
    report = analyze_file(str(ROOT / path))
    expected = sorted((name, layer.name) for layer in report.layers for name in layer.inputs)
    assert sorted((e.get("data-from"), e.get("data-to")) for e in edges_of(root)) == expected


@pytest.mark.parametrize("path", sorted(HAND_COUNTS))
def test_no_two_nodes_overlap_and_boxes_hold_their_layers(path):
    root = drawn(path)
    rects = sorted(box(node) for node in [*nodes_of(root), *nodes_of(root, "input")])
    by_row: dict = {}
    for rect in rects:
        by_row.setdefault(rect[1], []).append(rect)
    rows = sorted(by_row)
    for top in rows:
        row = sorted(by_row[top])
        assert all(a[2] <= b[0] for a, b in zip(row, row[1:])), f"overlap in the row at y={top}"
    for upper, lower in zip(rows, rows[1:]):
        assert max(r[3] for r in by_row[upper]) < lower, "ranks overlap"
    boxes = {r.get("data-name"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "box"}
    for node in nodes_of(root):
        name = node.get("data-name")
        for instance, rect in boxes.items():
            if name.startswith(instance + "."):
                x, y = float(rect.get("x")), float(rect.get("y"))
                w, h = float(rect.get("width")), float(rect.get("height"))
                x0, y0, x1, y1 = box(node)
                assert x <= x0 and x1 <= x + w and y <= y0 and y1 <= y + h, (name, instance)


def test_googlenet_draws_its_inception_branches_side_by_side():
    root = drawn("architectures/googlenet.yaml")
    places = {node.get("data-name"): box(node) for node in nodes_of(root)}
    for module in ("inception_3a", "inception_4e", "inception_5b"):
        # The four branches of Figure 2(b), each starting from the module's input.
        firsts = [places[f"{module}.{name}"] for name in ("1x1", "3x3_reduce", "5x5_reduce", "pool")]
        assert len({top for _, top, _, _ in firsts}) == 1, "the branches start in one row"
        lefts = sorted(firsts)
        assert all(a[2] < b[0] for a, b in zip(lefts, lefts[1:])), "side by side, not overlapping"
        concat = places[f"{module}.output"]
        assert concat[1] > max(bottom for *_, bottom in firsts), "the concat sits below them"


def test_the_svg_is_the_same_bytes_every_time():
    first = cnncalc("draw", "googlenet", env={"PYTHONHASHSEED": "1"})
    second = cnncalc("draw", "googlenet", env={"PYTHONHASHSEED": "2"})
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stdout.startswith(b"<?xml")


def test_depth_folds_module_instances_into_one_node_each():
    # ResNet-50 at depth 0: 16 bottlenecks (He et al., Table 1: 3, 4, 6, 3) and the 6 top-level
    # layers (conv1, bn1, relu, maxpool, avgpool, fc); one edge into each of the 22 nodes.
    root = drawn("architectures/resnet50.yaml", depth=0)
    assert len(nodes_of(root, "module")) == 16
    assert len(nodes_of(root)) == 6
    assert len(edges_of(root)) == 22
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "box"]
    # GoogLeNet at depth 0: 9 inception modules.
    assert len(nodes_of(drawn("architectures/googlenet.yaml", depth=0), "module")) == 9


def test_colours_follow_the_chosen_figure():
    root = drawn("architectures/lenet5.yaml", color_by="params")
    fills = {node.get("data-name"): node.find(f"{SVG}rect").get("fill") for node in nodes_of(root)}
    # LeNet-5's largest layer by parameters is C5, 120 filters of 5x5x16: 5*5*16*120 + 120 =
    # 48,120 (F6 has 120*84 + 84 = 10,164): the darkest colour. A layer without any is grey.
    report = analyze_file(str(ROOT / "architectures/lenet5.yaml"))
    assert fills["C5"] == "#fc4e2a"
    assert {fills[layer.name] for layer in report.layers if not layer.params} == {"#f6f6f6"}
    plain = drawn("architectures/lenet5.yaml", color_by="none")
    assert {node.find(f"{SVG}rect").get("fill") for node in nodes_of(plain)} == {"#ffffff"}


def test_figures_add_params_and_macs_to_each_node():
    root = drawn("architectures/lenet5.yaml", figures=True)
    c1 = next(node for node in nodes_of(root) if node.get("data-name") == "C1")
    texts = [t.text for t in c1.iter(f"{SVG}text")]
    # C1: 6 filters 5x5 over 1 channel: (5*5*1 + 1)*6 = 156 parameters,
    # 6*28*28 outputs * 25 = 117,600 MACs.
    assert texts == ["C1", "conv 6x28x28", "156 params, 118 K MACs"]


def test_dot_and_mermaid_have_every_node_and_edge():
    diagram = build(analyze_file(str(ROOT / "architectures/googlenet.yaml")))
    dot = drawing.dot(diagram)
    assert dot.count(" -> ") == 169
    assert len(re.findall(r"^\s*n\d+ \[label=", dot, re.M)) == 143  # the layers and the input
    assert dot.count("subgraph cluster_") == 9
    mermaid = drawing.mermaid(diagram)
    assert mermaid.startswith("flowchart TB\n")
    assert mermaid.count(" --> ") == 169
    assert len(re.findall(r'^\s*n\d+\["', mermaid, re.M)) == 143
    assert mermaid.count("subgraph ") == 9 and len(re.findall(r"^\s*end$", mermaid, re.M)) == 9


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_reads_the_dot_output():
    result = cnncalc("draw", "googlenet", "--format", "dot")
    svg = subprocess.run(["dot", "-Tsvg"], input=result.stdout, capture_output=True, check=True).stdout
    assert svg.count(b'class="node"') == 143 and svg.count(b'class="edge"') == 169


def test_the_format_comes_from_the_suffix(tmp_path):
    for suffix, start in ((".svg", b"<?xml"), (".dot", b"digraph"), (".mmd", b"flowchart TB")):
        out = tmp_path / f"net{suffix}"
        result = cnncalc("draw", "lenet5", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert out.read_bytes().startswith(start)
    result = cnncalc("draw", "lenet5", "-o", str(tmp_path / "net.jpeg"))
    assert result.returncode == 2 and b"cannot tell the format" in result.stderr


def test_png_names_what_to_install_when_no_converter_is_found(tmp_path):
    # A PATH holding only Python: no rsvg-convert, no dot (and cairosvg is not a dependency).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = cnncalc("draw", "lenet5", "-o", str(tmp_path / "net.png"), env={"PATH": str(bin_dir)})
    try:
        import cairosvg  # noqa: F401
    except ImportError:
        assert result.returncode == 2
        message = result.stderr.decode()
        assert "apt-get install librsvg2-bin" in message and "pip install cairosvg" in message
        assert "graphviz" in message and "Traceback" not in message
        assert not (tmp_path / "net.png").exists()
    else:
        assert result.returncode == 0


@pytest.mark.skipif(not any(shutil.which(tool) for tool in ("rsvg-convert", "dot")), reason="no PNG converter")
def test_png_when_a_converter_is_found(tmp_path):
    out = tmp_path / "net.png"
    result = cnncalc("draw", "lenet5", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_densenet_folds_into_its_dense_blocks_then_its_dense_layers():
    # Its speed is measured in bench/ (`python bench/run.py draw`), not here.
    root = drawn("architectures/torchvision/densenet121.yaml", depth=0)
    assert len(nodes_of(root, "module")) == 4 + 3  # the dense blocks and the transitions
    assert len(nodes_of(root)) == 4 + 5  # the stem and the head
    # One level down: DenseNet-121's 6 + 12 + 24 + 16 = 58 dense layers, and the transitions
    # open into their 4 layers each (norm, relu, conv, pool).
    root = drawn("architectures/torchvision/densenet121.yaml", depth=1)
    assert len(nodes_of(root, "module")) == 58
    assert len(nodes_of(root)) == 4 + 5 + 3 * 4


# --- the HTML report, read as text (the browser tests open it) --------------------------


@pytest.fixture(scope="module")
def resnet50_page():
    out = io.StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        assert app.report_page("resnet50") == 0
    finally:
        sys.stdout = saved
    return out.getvalue()


def test_the_report_is_one_self_contained_file(resnet50_page):
    page = resnet50_page
    assert page.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no scripts, styles, images or fonts from elsewhere, no links out.
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page)
    assert not re.search(r"@import|url\((?!#)", page)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}
    assert len(page.encode()) < 600_000  # "a few hundred KB" for ResNet-50


def test_the_report_has_every_section_and_every_layers_arithmetic(resnet50_page):
    import json

    page = resnet50_page
    for section in ("totals", "drawing", "layers", "per-layer", "fields", "memory", "lint", "verify"):
        assert f'<section id="{section}">' in page
    texts = json.loads(re.search(r'id="cnncalc-explain">(.*?)</script>', page, re.S).group(1))
    assert len(texts) == 174
    # conv1: 7x7 over 3 channels, 64 filters, no bias: 7*7*3*64 = 9,408 parameters.
    assert "7*7*3 * 64 = 9,408" in texts["conv1"]
    assert page.count("<tr data-name=") == 174


def test_the_report_is_the_same_bytes_every_time(tmp_path):
    first = cnncalc("report", "googlenet", "-o", str(tmp_path / "a.html"), env={"PYTHONHASHSEED": "3"})
    second = cnncalc("report", "googlenet", "-o", str(tmp_path / "b.html"), env={"PYTHONHASHSEED": "4"})
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_the_report_shows_lint_findings_and_the_verification(tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text("input: [1, 6]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 2}\n  - dropout: 1\n")
    result = cnncalc("report", str(net), "--verify", "-o", str(tmp_path / "net.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "net.html").read_text()
    assert "[stride-leaves-input-unused]" in page and "[dropout-probability]" in page
    # 2 layers, 5 figures each (shape, params, buffers, MACs, receptive field).
    assert "verified: all 10 figures of 2 layers agree with the executor" in page


def test_the_memory_timelines_peak_where_the_measurements_do():
    from cnncalc.executor import execute
    from cnncalc.graph import build as build_graph
    from cnncalc.memory import inference_timeline, training_timeline
    from cnncalc.report import analyze
    from cnncalc.spec import read

    # A training step of VGG-11 at batch 2 (Adam, float32): PyTorch's profiler measured
    # 2,949,103,332 bytes at the peak (README, tests/test_torch_memory.py).
    graph = build_graph(read(str(ROOT / "architectures/vgg11.yaml")))
    peak = max(moment.bytes for moment in training_timeline(graph, analyze(graph, 2), "adam"))
    assert abs(peak - 2_949_103_332) / 2_949_103_332 < 1e-4
    # Inference: the most alive at once is what the NumPy executor holds at its peak.
    graph = build_graph(read(str(ROOT / "architectures/lenet5.yaml")))
    inference = inference_timeline(graph, analyze(graph, 3))
    assert max(moment.bytes for moment in inference) == execute(graph, batch=3).peak_bytes
    assert [moment.layer for moment in inference] == [node.name for node in graph.in_order()]


# --- explain --draw -------------------------------------------------------------------

STRIDED = "input: [1, 7, 7]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n  - conv: {filters: 1, kernel: 3}\n"


def test_explain_draw_pictures_the_field_as_text(tmp_path):
    (tmp_path / "net.yaml").write_text(STRIDED)
    result = cnncalc("explain", "net.yaml", "--layer", "conv1", "--draw", cwd=tmp_path)
    text = result.stdout.decode()
    # conv1 (kernel 3, stride 2, padding 1): field size 3, jump 2, centre of unit 0 at 0, so
    # unit 0 sees -1..1 (row and column -1 are padding) and unit 1 sees 1..3.
    assert "output unit (0, 0) sees rows -1 to 1 (3, 1 of them padding) and columns -1 to 1" in text
    assert "its neighbour (0, 1) sees columns 1 to 3: 2 over (the jump)" in text
    grid = [line for line in text.splitlines() if re.match(r"^\s+-?\d*\s+[#o@.,]( [#o@.,])+$", line)]
    # Rows -1..6, columns -1..6: row -1 is padding, so cells in no field read ",".
    assert grid[0].split()[1:] == ["#", "#", "@", "o", "o", ",", ",", ","]
    assert grid[1].split()[1:] == ["#", "#", "@", "o", "o", ".", ".", "."]
    assert len(grid) == 8
    # conv2 (kernel 3 on conv1's grid): size 3 + 2*2 = 7, so unit 0 sees -1..5.
    result = cnncalc("explain", "net.yaml", "--layer", "conv2", "--draw", cwd=tmp_path)
    assert "sees rows -1 to 5 (7, 1 of them padding)" in result.stdout.decode()


def test_explain_draw_writes_svg_pictures(tmp_path):
    (tmp_path / "net.yaml").write_text(STRIDED)
    result = cnncalc("explain", "net.yaml", "--draw", "-o", "fields.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = ET.parse(tmp_path / "fields.svg").getroot()
    pictures = [g for g in root.iter(f"{SVG}g") if g.get("class") == "field"]
    assert [g.get("data-name") for g in pictures] == ["conv1", "conv2"]
    first = {r.get("class"): r for r in pictures[0].iter(f"{SVG}rect")}
    # The field covers 3 of the input's 7 columns: widths in the ratio 3 : 7.
    ratio = float(first["a"].get("width")) / float(first["input"].get("width"))
    assert ratio == pytest.approx(3 / 7)


def test_explain_draw_of_a_global_field(tmp_path):
    (tmp_path / "net.yaml").write_text("input: [1, 5, 5]\nlayers:\n  - flatten\n  - fc: 2\n")
    text = cnncalc("explain", "net.yaml", "--layer", "fc1", "--draw", cwd=tmp_path).stdout.decode()
    assert "every unit sees the whole 5x5 input (a global field)" in text


# --- the terminal: the MACs bar and progress bars ---------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_the_rich_table_shows_a_macs_share_bar_and_the_plain_table_does_not():
    from cnncalc.formats import table

    report = analyze_file(str(ROOT / "architectures/resnet18.yaml"))
    rich = FakeTerminal()
    os.environ["COLUMNS"] = "140"
    try:
        table.write(report, rich, 0, "always")
    finally:
        del os.environ["COLUMNS"]
    text = re.sub(r"\x1b\[[0-9;]*m", "", rich.getvalue())
    assert "MACs %" in text
    # layer1.0: 2 convolutions of 3*3*64*64 over 56*56 = 2 * 115,605,504 = 231,211,008 of
    # ResNet-18's 1,814,073,344 MACs (torchvision: 1.81 GMACs) = 12.7%, the largest: a full bar.
    assert re.search(r"layer1\.0 .*██████  12\.7%", text)
    plain = io.StringIO()
    table.write(report, plain, 0, "never")
    assert "MACs %" not in plain.getvalue() and "█" not in plain.getvalue()


def test_progress_is_silent_when_piped(tmp_path):
    for n in range(70):  # enough files for lint's parallel path too
        (tmp_path / f"net{n}.yaml").write_text("input: [1, 8]\nlayers:\n  - relu\n")
    result = cnncalc("lint", str(tmp_path))
    assert result.returncode == 0 and result.stderr == b""
    result = cnncalc("verify", "lenet5")
    assert result.returncode == 0 and result.stderr == b""


def test_progress_draws_a_bar_on_a_terminal():
    from cnncalc.formats.progress import progress

    terminal = FakeTerminal()
    with progress("verifying", terminal, delay=0) as step:
        assert step is not None
        step(3, 10, "running the network")
    assert "running the network" in terminal.getvalue()
    with progress("verifying", io.StringIO(), delay=0) as step:
        assert step is None


def test_lint_and_verify_report_their_progress(tmp_path):
    from cnncalc.graph import build as build_graph
    from cnncalc.lint import lint_paths
    from cnncalc.spec import read
    from cnncalc.verify import verify_graph

    for n in range(3):
        (tmp_path / f"net{n}.yaml").write_text("input: [1, 8]\nlayers:\n  - relu\n")
    calls = []
    lint_paths([str(tmp_path)], progress=lambda *args: calls.append(args))
    assert calls == [(1, 3, "linting"), (2, 3, "linting"), (3, 3, "linting")]
    calls.clear()
    verify_graph(build_graph(read(str(ROOT / "architectures/lenet5.yaml"))), progress=lambda *a: calls.append(a))
    running = [c for c in calls if c[2] == "running the network"]
    assert running[-1][:2] == (len(running), len(running))  # every layer, the last one last
    assert any(c[2].startswith("measuring receptive fields") for c in calls)


def test_names_with_markup_stay_text(tmp_path):
    name = "</script><b x='1'>&\"odd"
    (tmp_path / "net.yaml").write_text(
        f"input: [1, 8, 8]\nlayers:\n  - conv: {{filters: 2, kernel: 3}}\n    name: {json_string(name)}\n  - relu\n"
    )
    svg = cnncalc("draw", "net.yaml", cwd=tmp_path).stdout
    assert [g.get("data-name") for g in nodes_of(ET.fromstring(svg))] == [name, "relu1"]
    assert cnncalc("report", "net.yaml", "-o", "net.html", cwd=tmp_path).returncode == 0
    page = (tmp_path / "net.html").read_text()
    assert page.count("</script>") == 2  # the page's own two: a name never closes one
    assert page.count("<b ") == 0
    mermaid = cnncalc("draw", "net.yaml", "--format", "mmd", cwd=tmp_path).stdout.decode()
    assert '"odd' not in mermaid and "#quot;odd" in mermaid  # a quote would end Mermaid's label


def json_string(text: str) -> str:
    import json

    return json.dumps(text)
