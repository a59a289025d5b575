"""Memory: liveness worked by hand, training breakdowns, and the guard rails."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import analyze_text

from cnncalc.analysis import analyze_file
from cnncalc.memory import training

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def test_vgg16_activation_sum_and_peak_by_hand():
    report = analyze_file(str(ROOT / "architectures" / "vgg16.yaml"))
    # The plain sum is the sum of the layers' outputs.
    assert report.totals.activation_bytes == sum(layer.activation_bytes for layer in report.layers)
    # Liveness, float32, batch 1. conv1_1 runs with the input (3*224*224*4 = 602,112) and its
    # output (64*224*224*4 = 12,845,056) alive: 13,447,168; the input is then freed. relu1 runs
    # with conv1_1's output and its own: 2 * 12,845,056 = 25,690,112, and nothing later holds
    # more (conv1_2: relu1's and its own, the same; afterwards every map is smaller).
    assert report.totals.peak_live_bytes == 2 * 64 * 224 * 224 * 4
    by_name = {layer.name: layer.live_bytes for layer in report.layers}
    assert by_name["conv1_1"] == 64 * 224 * 224 * 4  # the input freed once conv1_1 has run
    assert by_name["pool1"] == 64 * 112 * 112 * 4
    assert by_name["softmax1"] == 1000 * 4  # the result stays alive after the last layer


def test_a_branch_keeps_its_input_alive_until_merged():
    # input 1x4x4 = 16 values; a = conv 2x4x4 = 32; b = relu(a) 32; c = add(a, b) 32. Bytes x4.
    # after a: input freed -> 32; after b: a still needed by c -> 64; while c runs: 96, then
    # a and b are freed and c, the result, stays -> 32. Peak 96 values = 384 bytes.
    text = """
    input: [1, 4, 4]
    layers:
      - conv: {filters: 2, kernel: 3, padding: 1}
        name: a
      - relu:
        name: b
      - add: [a, b]
    """
    report = analyze_text(text)
    assert [layer.live_bytes for layer in report.layers] == [32 * 4, 64 * 4, 32 * 4]
    assert report.totals.peak_live_bytes == 96 * 4


def test_training_breakdown_by_hand():
    # fc 100 -> 10: 1,010 parameters. Adam: weights, gradients and two state arrays, float32:
    # 4 * 1,010 * 4 = 16,160 bytes. Saved activations: input 100 + output 10 values per example,
    # 4 bytes each, batch 8: 110 * 4 * 8 = 3,520.
    report = analyze_text("input: [100]\nlayers: [{fc: 10}]\n")
    step = training(report, 8, "float32", "adam")
    assert (step.params, step.gradients, step.optimizer_state) == (4_040, 4_040, 8_080)
    assert step.saved_activations == 3_520 and step.total == 4_040 * 4 + 3_520
    assert training(report, 8, "float32", "sgd").optimizer_state == 0


def run(*args, timeout=10):
    start = time.perf_counter()
    result = subprocess.run([CNNCALC, *args], capture_output=True, text=True, timeout=timeout)
    return result, time.perf_counter() - start


def test_memory_command_and_budget(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("input: [100]\nlayers: [{fc: 10}]\n")
    result, _ = run("memory", str(path), "--train", "--budget", "20000", "--format", "json")
    data = json.loads(result.stdout)
    # fixed 16,160 bytes; each example adds 440: (20,000 - 16,160) // 440 = 8.
    assert data["largest_batch"] == 8 and data["workspace"] == "not counted"
    inference, _ = run("memory", str(path))
    assert "peak live activations" in inference.stdout and inference.returncode == 0


def test_inplace_activations_share_their_input():
    # conv 1x8 -> 2x8 (64 B), relu in place over it: nothing more is allocated.
    text = "input: [1, 8]\nlayers: [{conv: {filters: 2, kernel: 1}}, relu, {conv: {filters: 2, kernel: 1}}]\n"
    from conftest import build_text

    from cnncalc.memory import liveness

    graph = build_text(text)
    shapes = {"conv1": (2, 8), "relu1": (2, 8), "conv2": (2, 8)}
    # Without in place: conv1 (64) + relu1 (64) alive at once = 128; with: relu1 reuses conv1's.
    assert liveness(graph, shapes, (1, 8), 1, 4).peak == 128
    assert liveness(graph, shapes, (1, 8), 1, 4, inplace=True).peak == 128  # conv2 still needs 2 buffers
    assert liveness(graph, shapes, (1, 8), 1, 4, inplace=True).after[1] == 64


@pytest.mark.parametrize(
    "text, message",
    [
        ("input: [3, 32, 32]\nlayers:\n  - repeat: 1000000000\n    layers: [relu]\n", "1,000,000,000 layers"),
        ("input: [3, 100000, 100000]\nlayers: [relu]\n", "more than cnncalc's limit of 4,294,967,296"),
        ("input: " + "[" * 5000 + "]" * 5000 + "\nlayers: [relu]\n", "nested more than 100 deep"),
    ],
)
def test_absurd_files_fail_fast(tmp_path, text, message):
    path = tmp_path / "absurd.yaml"
    path.write_text(text)
    result, seconds = run("summarize", str(path), "--format", "json")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert seconds < 1.5  # a second of work, plus starting Python


@pytest.mark.parametrize("name", ["homework_cnn", "lenet5", "cifar10_vgg", "alexnet", "zfnet"])
def test_liveness_equals_the_executors_measured_peak(name):
    # The executor drops each array after its last reader and measures the most bytes alive;
    # the estimate, from the report alone, must be the same number.
    from cnncalc.executor import execute
    from cnncalc.graph import build
    from cnncalc.spec import read

    graph = build(read(str(ROOT / "architectures" / f"{name}.yaml")))
    report = analyze_file(str(ROOT / "architectures" / f"{name}.yaml"), batch=2)
    assert execute(graph, batch=2).peak_bytes == report.totals.peak_live_bytes


def test_liveness_equals_the_measured_peak_with_branches():
    from cnncalc.executor import execute

    text = """
    input: [3, 16, 16]
    layers:
      - conv: {filters: 8, kernel: 3, padding: 1}
        name: stem
      - conv: {filters: 4, kernel: 1}
        name: a
      - conv: {filters: 6, kernel: 3, padding: 1}
        name: b
        from: stem
      - maxpool: {kernel: 3, stride: 1, padding: 1}
        from: stem
        name: c
      - concat: [a, b, c]
      - global_avgpool
      - fc: 10
    """
    from conftest import build_text

    # Hand walk in values per image: input 768, stem 2048, a 1024, b 1536, c 2048, concat 4608.
    # stem runs: 768 + 2048, input freed -> 2048; a: 3072; b: 4608; c: 6656, stem freed -> 4608;
    # concat: 4608 + 4608 = 9216 (the peak), then a, b, c freed. 9216 * 3 images * 4 B = 110,592.
    assert analyze_text(text, batch=3).totals.peak_live_bytes == 110_592
    assert execute(build_text(text), batch=3).peak_bytes == 110_592
