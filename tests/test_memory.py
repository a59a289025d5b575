"""Memory: liveness worked by hand, training breakdowns, and the guard rails."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import analyze_text, build_text

from cnncalc.memory import largest_batch, training
from cnncalc.report import analyze_file

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
    # fc 100 -> 10: 1,010 parameters, float32. Adam: weights, gradients and two state arrays,
    # 1,010 * 4 = 4,040 bytes each (state 8,080).
    # The walk, in bytes per example: the input (400) is held throughout; forward, the
    # output (40) is made: 440, all of it kept when the forward pass ends (fc keeps its
    # input; the loss reads the output). Backward: the output's gradient (40) comes, the
    # output goes: 440, and fc makes its weight gradients (4,040); the input needs none.
    # The optimizer step: the input (400), the gradients (4,040) and Adam's two temporaries
    # of the largest weight, 2 * 1,000 * 4 = 8,000.
    # Batch 8: max(440 * 8, 440 * 8 + 4,040, 400 * 8 + 4,040 + 8,000) = 15,240 at the step,
    # on top of weights and state held throughout: 4,040 + 8,080 + 15,240 = 27,360.
    report = analyze_text("input: [100]\nlayers: [{fc: 10}]\n")
    network = build_text("input: [100]\nlayers: [{fc: 10}]\n")
    step = training(network, report, 8, "float32", "adam")
    assert (step.params, step.gradients, step.optimizer_state) == (4_040, 4_040, 8_080)
    assert step.saved_activations == 3_520 and step.peak_activations == 3_520
    assert step.total == 27_360 and step.peak_phase == "optimizer step"
    sgd = training(network, report, 8, "float32", "sgd")
    # SGD: no state, no temporaries: 4,040 + max(3,520, 3,520 + 4,040, 3,200 + 4,040) = 11,600.
    assert sgd.optimizer_state == 0 and sgd.total == 11_600 and sgd.peak_phase == "backward"


def test_training_walk_by_hand():
    # conv (2 filters, 3x3, pad 1: 2*9 + 2 = 20 weights) -> relu -> maxpool 2 -> fc 3
    # (8*3 + 3 = 27): 47 weights, 188 bytes; SGD keeps no state. Bytes per example, float32:
    # input 16*4 = 64, conv 32*4 = 128, relu 128, pool 8*4 = 32 with its int64 indices
    # 8*8 = 64, fc 3*4 = 12.
    # Forward (the input held throughout): conv 64+128 = 192; relu 320, and conv's output
    # goes (relu keeps its output, not its input): 192; pool 192+32+64 = 288; fc 300.
    # Kept at the end: 300. Backward: fc's gradient comes (+12) and fc's output goes (-12):
    # 300; fc makes pool's gradient: 332, weights' gradients 27*4 = 108 -> 440. Then fc's
    # gradient and pool's output go: 288. Pool makes relu's gradient: 416 + 108 = 524; its
    # own gradient and indices go: 320. Relu makes conv's gradient: 448 + 108 = 556, the
    # peak; relu's gradient and output go: 192. Conv: 192 + 188 = 380.
    text = """
    input: [1, 4, 4]
    layers:
      - conv: {filters: 2, kernel: 3, padding: 1}
      - relu:
      - maxpool: 2
      - fc: 3
    """
    step = training(build_text(text), analyze_text(text), 1, "float32", "sgd")
    assert step.params == step.gradients == 188
    assert step.saved_activations == 300 and step.peak_activations == 448
    assert (step.total, step.peak_phase, step.peak_layer) == (188 + 556, "backward", "relu1")
    # Batch 4: activations scale, weights do not: relu's moment 448 * 4 + 108 = 1,900.
    assert training(build_text(text), analyze_text(text, 4), 4, "float32", "sgd").total == 188 + 1_900


def test_largest_batch_walks_every_moment():
    # fc 100 -> 10 with Adam (see above): weights and state 12,120 bytes, then per moment
    # (bytes per example, fixed): forward (440, 0), backward (440, 4,040), step (400, 12,040).
    # Budget 30,000 leaves 17,880: 17,880 // 440 = 40; (17,880 - 4,040) // 440 = 31;
    # (17,880 - 12,040) // 400 = 14. Batch 14 needs 12,120 + 5,600 + 12,040 = 29,760.
    network = build_text("input: [100]\nlayers: [{fc: 10}]\n")
    report = analyze_text("input: [100]\nlayers: [{fc: 10}]\n")
    assert largest_batch(network, report, 30_000, dtype="float32", optimizer="adam") == 14
    assert training(network, report, 14, "float32", "adam").total == 29_760
    assert training(network, report, 15, "float32", "adam").total > 30_000
    assert largest_batch(network, report, 20_000, dtype="float32", optimizer="adam") == 0


def run(*args, timeout=10):
    start = time.perf_counter()
    result = subprocess.run([CNNCALC, *args], capture_output=True, text=True, timeout=timeout)
    return result, time.perf_counter() - start


def test_memory_command_and_budget(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("input: [100]\nlayers: [{fc: 10}]\n")
    result, _ = run("memory", str(path), "--train", "--budget", "30000", "--format", "json")
    data = json.loads(result.stdout)
    # As test_largest_batch_walks_every_moment: 14 examples fit in 30,000 bytes.
    assert data["largest_batch"] == 14 and data["workspace"] == "not counted"
    assert data["peak_at"] == {"phase": "optimizer step", "layer": None}
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
        # Whichever reader refuses first (cnncalc's guard or PyYAML's own depth limit, which
        # PyYAML 6.0.4 added), the user gets exit 2 at a position on line 1: the wording
        # is the reader's, so only the behaviour is pinned.
        ("input: " + "[" * 5000 + "]" * 5000 + "\nlayers: [relu]\n", "absurd.yaml:1:"),
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
