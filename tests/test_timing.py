"""cnncalc time: the roofline of timing.py on made-up devices, worked by hand; device
profiles (device.py) read with positions in their errors; calibrate's output read back.

Every expected time below is hand arithmetic written out in a comment: FLOPs = 2 * MACs,
bytes = (inputs + output + weights) * 4 for float32, time = overhead + max(FLOPs / peak,
bytes / bandwidth). How well the model predicts real time is `make bench`'s business
(bench/run.py, section time), never a test's: tests are not timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import build_text

from cnncalc import device, timing
from cnncalc import report as reporting
from cnncalc.calibrate import Calibration, profile_text
from cnncalc.errors import SpecError, UsageError

# 1 GFLOP/s and 1 GB/s: a millisecond is a million FLOPs or a million bytes.
PROFILE = """\
name: a made-up device
source: made up for the tests
peak_flops: {float32: 1 GFLOP/s, float64: 0.5 GFLOP/s}
memory_bandwidth: 1 GB/s
"""

# A 1x1 convolution of 100 channels to 100 filters on a 10x10 map:
# MACs = 10*10 positions * 100 filters * 100 channels = 1,000,000 (2,000,000 FLOPs);
# bytes = input 100*10*10*4 = 40,000 + output 40,000 + weights 100*100*4 = 40,000 = 120,000.
NETWORK = """\
input: [100, 10, 10]
layers:
  - conv: {filters: 100, kernel: 1, bias: false}
  - relu
"""


# 1000 inputs to 100 units: 100,000 MACs and 400,000 bytes of weights.
FC_AT_BATCH_ONE = """\
input: [1000]
layers:
  - fc: {units: 100, bias: false}
"""


def profile(tmp_path, text: str = PROFILE, name: str = "dev.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return device.read(str(path))


def timed(tmp_path, network: str = NETWORK, extra: str = "", batch: int = 1, dtype: str = "float32", **options):
    graph = build_text(network)
    report = reporting.analyze(graph, batch, dtype)
    return timing.time_network(graph, report, profile(tmp_path, PROFILE + extra), **options)


def test_a_conv_of_a_million_macs_on_a_gflops_device_takes_two_milliseconds(tmp_path):
    conv, relu = timed(tmp_path).layers
    assert conv.work.macs == 1_000_000
    assert conv.work.flops == 2_000_000
    assert (conv.work.input_bytes, conv.work.output_bytes, conv.work.weight_bytes) == (40_000, 40_000, 40_000)
    # 2,000,000 FLOPs / 1e9 FLOP/s = 2 ms; 120,000 bytes / 1e9 B/s = 0.12 ms: compute-bound.
    assert conv.estimate.compute_seconds == pytest.approx(2e-3)
    assert conv.estimate.memory_seconds == pytest.approx(0.12e-3)
    assert conv.estimate.bound == "compute"
    assert conv.estimate.seconds == pytest.approx(2e-3)
    # 2,000,000 FLOPs / 120,000 bytes = 16.67 FLOP/B, above the ridge of 1 FLOP/B.
    assert conv.intensity == pytest.approx(16.666, rel=1e-3)
    # The ReLU reads 40,000 bytes and writes 40,000: 80,000 / 1e9 = 80 us, memory-bound.
    assert relu.work.flops == 0
    assert relu.estimate.seconds == pytest.approx(80e-6)
    assert relu.estimate.bound == "memory"


def test_totals_and_the_batch(tmp_path):
    report = timed(tmp_path, batch=4)
    # Four examples: 8,000,000 FLOPs = 8 ms; the ReLU 320,000 bytes = 0.32 ms.
    assert report.forward_seconds == pytest.approx(8e-3 + 0.32e-3)
    totals = report.totals()
    assert totals["forward"]["macs"] == 4_000_000
    # Bytes: conv 4*40,000 + 4*40,000 + 40,000 (weights once) = 360,000; ReLU 320,000.
    assert totals["forward"]["bytes"] == 360_000 + 320_000
    assert totals["seconds"] == pytest.approx(8.32e-3)


def test_float64_takes_its_own_peak_and_eight_bytes(tmp_path):
    conv, relu = timed(tmp_path, dtype="float64").layers
    # 2,000,000 FLOPs / 0.5e9 = 4 ms; the ReLU 80,000 values... 2*10,000 values * 8 bytes = 160 us.
    assert conv.estimate.seconds == pytest.approx(4e-3)
    assert relu.estimate.seconds == pytest.approx(160e-6)


def test_overhead_is_added_to_every_layer(tmp_path):
    conv, relu = timed(tmp_path, extra="layer_overhead: 10 us\n").layers
    # 2 ms + 10 us; 80 us + 10 us.
    assert conv.estimate.seconds == pytest.approx(2.010e-3)
    assert relu.estimate.seconds == pytest.approx(90e-6)


def test_a_layer_whose_bytes_fit_the_cache_reads_at_the_caches_bandwidth(tmp_path):
    extra = "cache: {size: 100 kB, bandwidth: 10 GB/s}\n"
    conv, relu = timed(tmp_path, extra=extra).layers
    # The ReLU's 80,000 bytes fit 100,000: 80,000 / 10e9 = 8 us. The conv's 120,000 do not:
    # 0.12 ms at the memory's 1 GB/s (compute-bound all the same).
    assert relu.estimate.seconds == pytest.approx(8e-6)
    assert conv.estimate.memory_seconds == pytest.approx(0.12e-3)


def test_cache_levels_the_smallest_that_holds_the_bytes(tmp_path):
    extra = """\
cache:
  - {size: 200 kB, bandwidth: 2 GB/s}
  - {size: 50 kB, bandwidth: 100 GB/s}
"""
    conv, relu = timed(tmp_path, extra=extra).layers
    # Sorted by size: the ReLU's 80,000 bytes do not fit 50,000, they fit 200,000: 40 us at
    # 2 GB/s. The conv's 120,000 likewise: 60 us.
    assert relu.estimate.seconds == pytest.approx(40e-6)
    assert conv.estimate.memory_seconds == pytest.approx(60e-6)


def test_small_products_run_below_the_peak(tmp_path):
    # small_product 100: the conv's products are 100 positions x 100 channels x 100
    # filters, smallest side 100, so 100 / (100 + 100) = half the peak: 4 ms.
    conv, _ = timed(tmp_path, extra="small_product: 100\n").layers
    assert conv.estimate.seconds == pytest.approx(4e-3)


def test_a_depthwise_conv_is_products_of_one_column(tmp_path):
    network = """\
    input: [100, 10, 10]
    layers:
      - conv: {filters: 100, kernel: 3, padding: 1, groups: 100, bias: false}
    """
    (conv,) = timed(tmp_path, network, extra="small_product: 9\n").layers
    # MACs = 100 positions * 100 filters * 1 channel * 9 taps = 90,000 (180,000 FLOPs).
    # Per group: 100 positions x 9 taps by 1 filter; the smallest side is 1, so
    # 1 / (1 + 9) of the peak: 180,000 / 1e8 = 1.8 ms. Without small products: 0.18 ms.
    assert conv.work.macs == 90_000
    assert conv.work.smallest_side == 1
    assert conv.estimate.seconds == pytest.approx(1.8e-3)
    # With a dot_length, a product of one column is dot products, here of the 9 taps:
    # 9 / (9 + 27) = a quarter of the peak: 180,000 / 2.5e8 = 0.72 ms.
    (conv,) = timed(tmp_path, network, extra="small_product: 9\ndot_length: 27\n").layers
    assert conv.work.inner == 9
    assert conv.estimate.seconds == pytest.approx(0.72e-3)


def test_a_fully_connected_layer_at_batch_one_is_a_product_of_one_row(tmp_path):
    (fc,) = timed(tmp_path, FC_AT_BATCH_ONE).layers
    # 1000*100 = 100,000 MACs; bytes: 4,000 in, 400 out, 400,000 weights = 404,400:
    # 0.4044 ms at 1 GB/s against 0.2 ms of arithmetic: memory-bound.
    assert fc.work.smallest_side == 1
    assert fc.work.bytes == 404_400
    assert fc.estimate.bound == "memory"
    assert fc.estimate.seconds == pytest.approx(0.4044e-3)


def test_window_reductions_are_charged_at_the_window_rate(tmp_path):
    network = """\
    input: [10, 20, 20]
    layers:
      - maxpool: {kernel: 3, stride: 1}
      - lrn: 5
      - global_avgpool
    """
    pool, lrn, gap = timed(tmp_path, network, extra="window_rate: 1 M/s\n").layers
    # Max pooling: 10*18*18 = 3,240 outputs, 9 values each: 29,160 values at 1e6/s = 29.16 ms,
    # far above its bytes (10*20*20*4 + 3,240*4 = 28,960 bytes: 29 us).
    assert pool.work.taps == 29_160
    assert pool.estimate.seconds == pytest.approx(29.16e-3)
    assert pool.estimate.bound == "compute"
    # LRN over 5 channels: 3,240 outputs * 5 = 16,200 values: 16.2 ms.
    assert lrn.work.taps == 16_200
    assert lrn.estimate.seconds == pytest.approx(16.2e-3)
    # Global pooling reads every value once: 3,240.
    assert gap.work.taps == 3_240
    # Without a window rate (a GPU's data sheet gives none) they cost their bytes only.
    pool, _, _ = timed(tmp_path, network).layers
    assert pool.estimate.seconds == pytest.approx(28_960 / 1e9)


def test_weights_are_laid_out_at_the_weights_bandwidth(tmp_path):
    conv, relu = timed(tmp_path, extra="weights_bandwidth: 0.5 GB/s\n").layers
    # The conv's 40,000 bytes of weights at 0.5e9 B/s = 80 us, before its 2 ms product:
    # 2.08 ms. The ReLU has no weights: 80 us as before.
    assert conv.estimate.layout_seconds == pytest.approx(80e-6)
    assert conv.estimate.seconds == pytest.approx(2.08e-3)
    assert relu.estimate.seconds == pytest.approx(80e-6)
    # A fully connected layer at batch 1 is its weights: 400,000 bytes read at 1 GB/s (0.4 ms),
    # laid out at 0.1 GB/s first (4 ms): layout-bound.
    (fc,) = timed(tmp_path, FC_AT_BATCH_ONE, extra="weights_bandwidth: 0.1 GB/s\n").layers
    assert fc.estimate.layout_seconds == pytest.approx(4e-3)
    assert fc.estimate.bound == "layout"


def test_a_strided_convolution_lays_its_input_out_at_the_strided_bandwidth(tmp_path):
    network = """\
    input: [4, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 1, stride: 2, bias: false}
      - conv: {filters: 4, kernel: 1, bias: false}
      - deconv: {filters: 2, kernel: 2, stride: 2, bias: false}
      - maxpool: 2
    """
    extra = "strided_bandwidth: 0.1 GB/s\n"
    strided, plain, deconv, pool = timed(tmp_path, network, extra=extra).layers
    # Stride 2: every input value, 4*8*8 = 256 values = 1,024 bytes, at 1e8 B/s = 10.24 us,
    # on top of the roofline: MACs 4*4*4*4 = 256 (512 FLOPs: 0.512 us); bytes 1,024 in + 256
    # out + 64 weights = 1,344 (1.344 us, memory-bound): 1.344 + 10.24 = 11.584 us.
    assert strided.work.strided_bytes == 1_024
    assert strided.estimate.seconds == pytest.approx(11.584e-6)
    # Stride 1 reads its input in order: nothing more.
    assert plain.work.strided_bytes == 0
    # The transposed convolution scatters into its output, 2*8*8 = 128 values = 512 bytes.
    assert deconv.work.strided_bytes == 512
    # Pooling windows are window reductions, not strided products.
    assert pool.work.strided_bytes == 0


def test_adaptive_pooling_reads_overlapping_windows(tmp_path):
    network = """\
    input: [1, 5]
    layers:
      - adaptive_avgpool: 3
    """
    (pool,) = timed(tmp_path, network).layers
    # PyTorch's windows of 5 into 3: [0, 2), [1, 4), [3, 5): 2 + 3 + 2 = 7 values.
    assert pool.work.taps == 7


def test_a_view_moves_nothing(tmp_path):
    network = """\
    input: [4, 5, 5]
    layers:
      - flatten
    """
    (flatten,) = timed(tmp_path, network, extra="layer_overhead: 3 us\n").layers
    assert flatten.work.bytes == 0
    assert flatten.intensity is None
    assert flatten.estimate.seconds == pytest.approx(3e-6)
    assert flatten.estimate.bound == "overhead"


def test_a_training_step_by_hand(tmp_path):
    network = """\
    input: [100, 10, 10]
    layers:
      - conv: {filters: 100, kernel: 1, bias: false}
      - relu
      - conv: {filters: 100, kernel: 1, bias: false}
    """
    report = timed(tmp_path, network, train=True, optimizer="sgd")
    conv1, relu, conv2 = report.layers
    # conv2: its input needs a gradient and its weights are trained: 2 * 1,000,000 MACs
    # (4 ms). conv1 reads the network's input, which needs none: the weights' gradient only,
    # 1,000,000 MACs (2 ms).
    assert conv2.backward_work.macs == 2_000_000
    assert conv2.backward.seconds == pytest.approx(4e-3)
    assert conv1.backward_work.macs == 1_000_000
    assert conv1.backward.seconds == pytest.approx(2e-3)
    # conv2's traffic: reads the output's gradient (10,000 values) and its saved input
    # (10,000), writes the input's gradient (10,000): 30,000 values = 120,000 bytes; weights
    # read (10,000 values) and their gradient written (10,000): 80,000 bytes.
    assert (conv2.backward_work.input_bytes, conv2.backward_work.output_bytes) == (80_000, 40_000)
    assert conv2.backward_work.weight_bytes == 80_000
    # The ReLU reads the output's gradient and its saved output, writes the input's
    # gradient: 3 * 40,000 = 120,000 bytes = 0.12 ms.
    assert relu.backward_work.bytes == 120_000
    assert relu.backward.seconds == pytest.approx(0.12e-3)
    # SGD reads each of the 20,000 weights and its gradient and writes the weight:
    # 3 * 20,000 * 4 = 240,000 bytes = 0.24 ms.
    assert report.update_seconds == pytest.approx(0.24e-3)
    # Forward 2 + 0.08 + 2 ms, backward 2 + 0.12 + 4 ms, update 0.24 ms.
    assert report.total_seconds == pytest.approx(4.08e-3 + 6.12e-3 + 0.24e-3)


def test_adam_moves_seven_arrays_of_the_weights(tmp_path):
    report = timed(tmp_path, train=True, optimizer="adam")
    # Reads weight, gradient and both moments, writes weight and both moments: 7 * 10,000 *
    # 4 = 280,000 bytes = 0.28 ms.
    assert report.update_seconds == pytest.approx(0.28e-3)


def test_layers_before_the_first_trained_weight_have_no_backward_pass(tmp_path):
    network = """\
    input: [100, 10, 10]
    layers:
      - relu
      - conv: {filters: 100, kernel: 1, bias: false}
    """
    relu, conv = timed(tmp_path, network, train=True).layers
    assert relu.backward is None
    assert conv.backward_work.macs == 1_000_000


# --- Profiles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("19.5 TFLOP/s", 19.5e12),
        ("312 TFLOPS", 312e12),
        ("624 TOP/s", 624e12),
        ("250e9", 250e9),
        (250_000_000_000, 250e9),
        ("1.5GFLOP/s", 1.5e9),
    ],
)
def test_rates(text, expected):
    assert device.quantity(text, device.RATE) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("1555 GB/s", device.BANDWIDTH, 1555e9),
        ("1 GiB/s", device.BANDWIDTH, 2**30),
        ("2 MiB", device.SIZE, 2 * 2**20),
        ("40 MB", device.SIZE, 40e6),
        ("5 us", device.TIME, 5e-6),
        ("0.5 ms", device.TIME, 5e-4),
        (0, device.TIME, 0.0),
    ],
)
def test_quantities(text, kind, expected):
    assert device.quantity(text, kind) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("fast", device.RATE),
        ("19.5 TB/s", device.RATE),
        ("-3 GB/s", device.BANDWIDTH),
        ("0 GB/s", device.BANDWIDTH),
        ("inf GB/s", device.BANDWIDTH),
        (True, device.SIZE),
        ("-1 us", device.TIME),
    ],
)
def test_quantities_refused(text, kind):
    with pytest.raises(ValueError, match="expected"):
        device.quantity(text, kind)


@pytest.mark.parametrize(
    "text, position, message",
    [
        (PROFILE.replace("1 GB/s", "1 GFLOP/s"), "4:19", "memory_bandwidth: expected a bandwidth such as 1555 GB/s"),
        (PROFILE.replace("float64", "float46"), "3:34", "unknown dtype 'float46' (did you mean \"float64\"?)"),
        (
            PROFILE + "memory_bandwith: 3 GB/s\n",
            "5:1",
            "unknown key 'memory_bandwith' (did you mean \"memory_bandwidth\"?)",
        ),
        (PROFILE.replace("memory_bandwidth: 1 GB/s\n", ""), "1:1", "needs `memory_bandwidth:`"),
        (PROFILE + "cache: 2 MiB\n", "5:8", "cache: expected {size: 2 MiB"),
        (PROFILE + "layer_overhead: soon\n", "5:17", "layer_overhead: expected a time such as 5 us"),
        (PROFILE + "weights_bandwidth: 2 us\n", "5:20", "weights_bandwidth: expected a bandwidth such as 1555 GB/s"),
        (
            PROFILE + "strided_bandwidth: 0 GB/s\n",
            "5:20",
            "strided_bandwidth: expected a bandwidth such as 1555 GB/s, got '0 GB/s'",
        ),
        ("- a list\n", "1:1", "a device profile is a mapping"),
        (PROFILE.replace("name: a made-up device", "name: [1]"), "1:7", "name must be text"),
    ],
)
def test_profile_errors_point_at_the_line_and_column(tmp_path, text, position, message):
    with pytest.raises(SpecError) as error:
        profile(tmp_path, text)
    assert str(error.value).startswith(f"{tmp_path / 'dev.yaml'}:{position}: error:")
    assert message in str(error.value)


def test_a_yaml_syntax_error_in_a_profile_has_its_position(tmp_path):
    with pytest.raises(SpecError) as error:
        profile(tmp_path, "name: x\npeak_flops: {float32: 1 GFLOP/s\n")
    assert str(error.value).startswith(f"{tmp_path / 'dev.yaml'}:")
    assert str(error.value).split(":")[1] in ("2", "3")  # PyYAML places an unclosed brace at the end


def test_every_shipped_profile_reads_and_says_where_its_figures_come_from():
    names = device.names()
    assert {"a100-sxm4-40gb", "t4", "rtx-4090", "apple-m2-gpu"} <= set(names)
    assert any(device.find(name).source.startswith("measured on") for name in names), "this machine's profile"
    for name in names:
        profile_of = device.find(name)
        assert profile_of.source.startswith(("data sheet:", "measured on")), name
        assert "float32" in profile_of.peak_flops


def test_the_a100_figures_are_nvidias():
    # NVIDIA A100 Tensor Core GPU Datasheet: FP32 19.5 TFLOPS, FP16 Tensor Core 312 TFLOPS
    # (dense), GPU memory bandwidth 1,555 GB/s for the 40GB SXM4.
    a100 = device.find("a100-sxm4-40gb")
    assert a100.peak_flops["float32"] == pytest.approx(19.5e12)
    assert a100.peak_flops["float16"] == pytest.approx(312e12)
    assert a100.memory_bandwidth == pytest.approx(1555e9)


def test_an_unknown_device_name_is_suggested():
    with pytest.raises(UsageError) as error:
        device.find("rtx4090")
    assert 'unknown device (did you mean "rtx-4090"?)' in str(error.value)
    assert "a100-sxm4-40gb" in str(error.value)


def test_a_missing_profile_path_says_so():
    with pytest.raises(UsageError, match="no such device profile file"):
        device.find("nowhere/mine.yaml")


def test_the_profile_calibrate_writes_reads_back(tmp_path):
    measured = Calibration(
        host="box", cpu='Some "CPU"', cores=2, threads=1, numpy="2.0", when="2025-01-01 00:00", load=1.5,
        peak_flops={"float32": 123e9, "float64": 61.7e9}, memory_bandwidth=25.5e9,
        caches=((2**19, 90e9), (2 * 2**20, 80e9)), layer_overhead=4.2e-6, small_product=12.5, window_rate=0.4e9,
        weights_overhead=0.0, weights_bandwidth=0.0, strided_bandwidth=0.0, dot_length=0.0, fitted=None,
    )  # fmt: skip
    read_back = profile(tmp_path, profile_text(measured))
    assert read_back.source.startswith("measured on box")
    assert read_back.peak_flops == pytest.approx({"float32": 123e9, "float64": 61.7e9})
    assert read_back.memory_bandwidth == pytest.approx(25.5e9)
    assert read_back.caches == ((2**19, pytest.approx(90e9)), (2 * 2**20, pytest.approx(80e9)))
    assert read_back.layer_overhead == pytest.approx(4.2e-6)
    assert read_back.small_product == pytest.approx(12.5)
    assert read_back.window_rate == pytest.approx(0.4e9)
    # What NumPy cannot say is not written.
    assert (read_back.weights_overhead, read_back.weights_bandwidth, read_back.strided_bandwidth) == (0, 0, 0)
    assert read_back.dot_length == 0
    fitted = measured._replace(
        weights_overhead=31e-6, weights_bandwidth=21.5e9, strided_bandwidth=3.25e9, dot_length=185.0,
        fitted="the times of 2 networks",
    )  # fmt: skip
    text = profile_text(fitted)
    assert "# Fitted to the times of 2 networks (cnncalc calibrate --fit):" in text
    read_back = profile(tmp_path, text)
    assert read_back.weights_overhead == pytest.approx(31e-6)
    assert read_back.weights_bandwidth == pytest.approx(21.5e9)
    assert read_back.strided_bandwidth == pytest.approx(3.25e9)
    assert read_back.dot_length == pytest.approx(185.0)


# --- The command ------------------------------------------------------------------------


def cnncalc(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True, **kwargs)


def test_the_command_json_and_csv(tmp_path):
    (tmp_path / "net.yaml").write_text(NETWORK)
    (tmp_path / "dev.yaml").write_text(PROFILE)
    out = cnncalc("time", str(tmp_path / "net.yaml"), "--device", str(tmp_path / "dev.yaml"), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["layers"][0]["seconds"] == pytest.approx(2e-3)
    assert data["totals"]["seconds"] == pytest.approx(2.08e-3)
    assert data["device"]["peak_flops"] == pytest.approx(1e9)
    out = cnncalc(
        "time", str(tmp_path / "net.yaml"), "--device", str(tmp_path / "dev.yaml"), "--format", "csv", "--train"
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("name,type,macs,flops,input_bytes,output_bytes,weight_bytes,intensity,bound,seconds,")
    assert lines[1].startswith("conv1,conv,1000000,2000000,40000,40000,40000,")


def test_the_command_table_and_its_errors(tmp_path):
    (tmp_path / "net.yaml").write_text(NETWORK)
    (tmp_path / "dev.yaml").write_text(PROFILE)
    out = cnncalc("time", str(tmp_path / "net.yaml"), "--device", str(tmp_path / "dev.yaml"))
    assert out.returncode == 0, out.stderr
    assert "conv1" in out.stdout and "2 ms" in out.stdout and "\x1b[" not in out.stdout
    out = cnncalc("time", str(tmp_path / "net.yaml"), "--device", str(tmp_path / "dev.yaml"), "--dtype", "float16")
    assert out.returncode == 2
    assert "gives no peak for float16" in out.stderr
    out = cnncalc("time", str(tmp_path / "net.yaml"), "--device", "t5")
    assert out.returncode == 2
    assert "unknown device" in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "bad.yaml").write_text(PROFILE.replace("1 GB/s", "lots"))
    out = cnncalc("time", str(tmp_path / "net.yaml"), "--device", str(tmp_path / "bad.yaml"))
    assert out.returncode == 2
    assert out.stderr.startswith(f"{tmp_path / 'bad.yaml'}:4:19: error: memory_bandwidth:")
