"""``cnncalc calibrate --fit`` (cnncalc/fit.py): measured times read, with their errors;
the fit recovers the figures of a made-up device from times that device's roofline
(timing.estimate) gives; its array form predicts what timing.estimate does.

The recovered figures are checked against the ones the times were made with, written
below: the fit never sees them. No test is timed.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from cnncalc import device, fit, timing
from cnncalc.calibrate import Calibration, fitted
from cnncalc.errors import UsageError
from cnncalc.graph import build
from cnncalc.report import analyze
from cnncalc.spec import read

# 10 GFLOP/s and 1 GB/s; what NumPy would measure. The framework's figures come after.
BASE = """\
name: a made-up machine
peak_flops: {float32: 10 GFLOP/s}
memory_bandwidth: 1 GB/s
"""
TRUTH = {
    "layer_overhead": 20e-6,
    "weights_overhead": 30e-6,
    "weights_bandwidth": 2e9,
    "small_product": 8.0,
    "dot_length": 50.0,
    "window_rate": 1e8,
    "strided_bandwidth": 0.5e9,
}
TRUTH_YAML = """\
layer_overhead: 20 us
weights_overhead: 30 us
weights_bandwidth: 2 GB/s
small_product: 8
dot_length: 50
window_rate: 100 M/s
strided_bandwidth: 0.5 GB/s
"""

# Each figure decides some layer's time: a strided convolution (strided_bandwidth; its
# product's smallest side 32, small_product), max pooling (window_rate: 32*8*8*4 = 8,192
# values, 82 us against 40 us of bytes), a depthwise convolution (products of one column),
# a fully connected layer (400 KB of weights), ReLUs (the overhead alone, nearly).
NETWORKS = {
    "a.yaml": """\
        input: [16, 32, 32]
        layers:
          - conv: {filters: 32, kernel: 3, padding: 1, stride: 2}
          - relu
          - maxpool: 2
          - conv: {filters: 32, kernel: 3, padding: 1, groups: 32}
          - conv: {filters: 64, kernel: 1}
          - global_avgpool
          - flatten
          - fc: 100
        """,
    "b.yaml": """\
        input: [1000]
        layers:
          - fc: 100
          - relu
          - fc: 10
        """,
    "c.yaml": """\
        input: [8, 20, 20]
        layers:
          - conv: {filters: 16, kernel: 3, padding: 1}
          - relu
          - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
          - maxpool: {kernel: 3, stride: 1}
        """,
    # a view (flatten: no work, no overhead) and an outer product (a 1x1 conv of one channel:
    # inner side 1, no dot products)
    "d.yaml": """\
        input: [1, 16, 16]
        layers:
          - conv: {filters: 8, kernel: 1}
          - flatten
          - fc: 10
        """,
}


def write_networks(tmp_path) -> list:
    paths = []
    for name, text in NETWORKS.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        paths.append(str(path))
    return paths


def made_up(tmp_path, text: str):
    path = tmp_path / "device.yaml"
    path.write_text(text)
    return device.read(str(path))


def measured_file(tmp_path, paths: list, truth) -> str:
    """The times ``truth``'s roofline gives, as bench/latency.py writes them."""
    lines = []
    for path in paths:
        graph = build(read(path))
        layers = {
            layer.name: layer.estimate.seconds for layer in timing.time_network(graph, analyze(graph), truth).layers
        }
        lines.append(json.dumps({"file": path, "forward": sum(layers.values()), "layers": layers}))
    out = tmp_path / "measured.jsonl"
    out.write_text("\n".join(lines) + "\n")
    return str(out)


def test_the_fit_recovers_the_figures_the_times_were_made_with(tmp_path):
    paths = write_networks(tmp_path)
    truth = made_up(tmp_path, BASE + TRUTH_YAML)
    samples = fit.read_measured(measured_file(tmp_path, paths, truth))
    base = made_up(tmp_path, BASE)  # none of the seven figures: the fit starts from its own
    figures = fit.fit(fit.tabulate(samples, base), base)
    assert figures == pytest.approx(TRUTH, rel=1e-3)


def test_the_array_form_predicts_what_timing_estimate_does(tmp_path):
    paths = write_networks(tmp_path)
    truth = made_up(tmp_path, BASE + TRUTH_YAML)
    samples = fit.read_measured(measured_file(tmp_path, paths, truth))
    table = fit.tabulate(samples, truth)
    predicted = fit.predict(table, truth.peak_flops["float32"], TRUTH)
    # The measured times are timing.estimate's, layer by layer: the two forms agree.
    assert list(predicted) == pytest.approx(list(table.measured), rel=1e-12)
    assert fit.loss(table, truth.peak_flops["float32"], TRUTH) == pytest.approx(0.0, abs=1e-20)


def test_calibrate_writes_the_fitted_figures_into_the_profile(tmp_path):
    paths = write_networks(tmp_path)
    truth = made_up(tmp_path, BASE + TRUTH_YAML)
    measured = Calibration(
        host="box", cpu="a CPU", cores=2, threads=1, numpy="2.0", when="2025-01-01 00:00", load=None,
        peak_flops={"float32": 10e9}, memory_bandwidth=1e9, caches=(), layer_overhead=99e-6, small_product=99.0,
        window_rate=9e9, weights_overhead=0.0, weights_bandwidth=0.0, strided_bandwidth=0.0, dot_length=0.0,
        fitted=None,
    )  # fmt: skip
    path = measured_file(tmp_path, paths, truth)
    result = fitted(measured, fit.read_measured(path), path)
    assert result.fitted == "the layer times of 4 networks in measured.jsonl"  # NETWORKS
    assert {name: getattr(result, name) for name in fit.FITTED} == pytest.approx(TRUTH, rel=1e-3)
    assert result.peak_flops == {"float32": 10e9}  # NumPy's figures stay


def test_split_alternates_the_networks_ranked_by_time():
    samples = [fit.Sample(name, seconds, {}) for name, seconds in zip("vwxyz", (5.0, 1.0, 4.0, 2.0, 3.0))]
    # Ranked: w (1), y (2), z (3), x (4), v (5); every other one: w, z, v and y, x, each in
    # the order given.
    first, second = fit.split(samples)
    assert [sample.file for sample in first] == ["v", "w", "z"]
    assert [sample.file for sample in second] == ["x", "y"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '{"file": "vgg16", "forward": 1, "layers": {}}\nnot json\n',
            r"measured\.jsonl:2: error: expected a JSON line",
        ),
        ('{"file": "a.yaml", "forward": 1, "layers": {}}\n', r"measured\.jsonl:1: error: no network file 'a.yaml'"),
        ('{"file": "a.yaml", "layers": {}}\n', r"measured\.jsonl:1: error: expected a JSON line"),
        ('{"file": "a.yaml", "forward": 1, "layers": {"conv1": 0}}\n', r"measured\.jsonl:1: error: every time must be"),
        ("\n", r"measured\.jsonl: error: no measured networks in it"),
    ],
)
def test_measured_times_refused(tmp_path, text, message):
    path = tmp_path / "measured.jsonl"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        fit.read_measured(str(path))


def test_a_layer_without_a_measured_time_is_refused(tmp_path):
    paths = write_networks(tmp_path)
    sample = fit.Sample(paths[1], 1e-3, {"fc1": 1e-4})
    with pytest.raises(UsageError, match="no measured time for its layer 'relu1'"):
        fit.tabulate([sample], made_up(tmp_path, BASE))


def test_a_networks_path_is_read_beside_the_times_file(tmp_path, monkeypatch):
    # bench writes paths from the repository's top; calibrate may run elsewhere.
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "n.yaml").write_text("input: [3, 8, 8]\nlayers: [relu]\n")
    path = tmp_path / "measured.jsonl"
    path.write_text('{"file": "nets/n.yaml", "forward": 1, "layers": {"relu1": 1}}\n')
    monkeypatch.chdir(tmp_path / "nets")
    (sample,) = fit.read_measured(str(path))
    assert sample.file == str(tmp_path / "nets" / "n.yaml")


def test_a_figure_no_measured_layer_depends_on_is_left_out(tmp_path):
    # Network b alone: two fully connected layers and a relu at batch 1. No pooling (window
    # rate), no strided convolution (strided bandwidth) and no product with both sides above
    # one (small_product: each fc is one row) to pin them: the device's own figures stay
    # (here none given: 0).
    paths = write_networks(tmp_path)
    truth = made_up(tmp_path, BASE + TRUTH_YAML)
    samples = [s for s in fit.read_measured(measured_file(tmp_path, paths, truth)) if s.file.endswith("b.yaml")]
    table = fit.tabulate(samples, truth)
    assert sorted(fit.unpinned(table)) == ["small_product", "strided_bandwidth", "window_rate"]
    figures = fit.fit(table, made_up(tmp_path, BASE))
    assert figures["window_rate"] == figures["strided_bandwidth"] == figures["small_product"] == 0.0
    given = fit.fit(table, truth)  # a device that gives them keeps its own
    assert (given["window_rate"], given["strided_bandwidth"], given["small_product"]) == (1e8, 0.5e9, 8.0)
