"""cnncalc's benchmarks, printed as ratios against baselines measured in the same run.

    make bench

Start-up: ``cnncalc summarize architectures/vgg16.yaml --format json`` against a bare
``python -c pass`` of the same interpreter (the goal: at most 2x). For context it also
times pip's console-script wrapper alone (it imports ``re``, which cnncalc cannot avoid),
``python3 -c pass`` as found on PATH, and ``python -c "import torch"`` where torch is
installed. Each command runs many times, interleaved; medians are reported.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "40"))


def median_seconds(commands: dict, runs: int = RUNS) -> dict:
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def startup() -> None:
    python = str(BIN / "python")
    cnncalc = str(BIN / "cnncalc")
    commands = {
        "python -c pass (baseline)": [python, "-c", "pass"],
        "pip's script wrapper alone (for comparison)": [python, "-c", "import re, sys"],
        "cnncalc summarize vgg16 --format json": [cnncalc, "summarize", "architectures/vgg16.yaml", "--format", "json"],
        "cnncalc summarize vgg16 (text)": [cnncalc, "summarize", "architectures/vgg16.yaml"],
    }
    path_python = shutil.which("python3")
    if path_python:
        commands["python3 -c pass (python3 on PATH)"] = [path_python, "-c", "pass"]
    has_torch = (
        subprocess.run([python, "-c", "import importlib.util as u; exit(u.find_spec('torch') is None)"]).returncode == 0
    )
    if has_torch:
        commands['python -c "import torch"'] = [python, "-c", "import torch"]
    medians = median_seconds(commands)
    baseline = medians["python -c pass (baseline)"]
    print(f"start-up, median of {RUNS} runs each (baseline: {python} -c pass)")
    for name, seconds in medians.items():
        print(f"  {name:44} {seconds * 1000:7.1f} ms   {seconds / baseline:5.2f}x baseline")
    if not has_torch:
        print('  python -c "import torch"                      (torch not installed: make test-torch installs it)')
    ratio = medians["cnncalc summarize vgg16 --format json"] / baseline
    print(f"summarize --format json / python -c pass = {ratio:.2f}  (goal: <= 2.00)")


# Threads both engines use in the forward and verify sections: one by default, as the time
# section (on this shared machine other jobs hold the cores, and a two-thread product waits
# whenever either thread is off its core: ResNet-50 in torch took 1.8 s on two threads
# against 0.32 s on one at a load of 8). BENCH_THREADS=2 measures both on two.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
FORWARD = ("vgg16", "resnet50", "torchvision/mobilenet_v2", "torchvision/efficientnet_b0")


def _engine_env() -> dict:
    return {
        **os.environ,
        **{name: str(THREADS) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
    }


def _forward_run(engine: str, path: str, batch: int):
    """bench/forward.py in a fresh process: its JSON line, or None (the error printed)."""
    python = str(BIN / "python")
    argv = [python, "bench/forward.py", engine, path, "--batch", str(batch), "--threads", str(THREADS)]
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=_engine_env())
    if out.returncode != 0:
        print(f"  {path} {engine}: failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(out.stdout)


def _has_torch() -> bool:
    return subprocess.run([str(BIN / "python"), "-c", "import torch"], capture_output=True).returncode == 0


# Processes per engine and network in the forward section, the engines alternating: on this
# shared machine a busy moment falls on one process, and the best of a process's 3 runs then
# still differed by 30% from one call of the section to the next (MobileNet v2's ratio 0.99
# and 1.20 within ten minutes).
FORWARD_ROUNDS = int(os.environ.get("BENCH_FORWARD_ROUNDS", "3"))


def forward() -> None:
    """The NumPy executor against PyTorch (CPU, the same threads): forward time and peak
    memory, batch 1 and 8 (issue 19's goal: time <= 1.0x torch's, peak memory <= 1.5x).
    Each engine runs in FORWARD_ROUNDS fresh processes, alternating; the fastest is kept
    (and the largest peak)."""
    has_torch = _has_torch()
    print(
        f"\nforward pass, {THREADS} thread(s) each, best of {FORWARD_ROUNDS} processes x 3 runs, the engines "
        "alternating (peak = the process's maximum resident memory, imports included)"
    )
    if not has_torch:
        print("  (torch not installed: `make test-torch` installs it; ratios need it)")
    for name in FORWARD:
        path = f"architectures/{name}.yaml"
        for batch in (1, 8):
            results = {}
            for _ in range(FORWARD_ROUNDS):
                for engine in ("numpy", "torch") if has_torch else ("numpy",):
                    result = _forward_run(engine, path, batch)
                    if result is None:
                        continue
                    best = results.setdefault(engine, result)
                    best["seconds"] = min(best["seconds"], result["seconds"])
                    best["peak_bytes"] = max(best["peak_bytes"], result["peak_bytes"])
            line = f"  {name:28} batch {batch}  " + "   ".join(
                f"{engine} {r['seconds'] * 1000:7.1f} ms, {r['peak_bytes'] / 2**20:5.0f} MiB"
                for engine, r in results.items()
            )
            if len(results) == 2:
                time_ratio = results["numpy"]["seconds"] / results["torch"]["seconds"]
                memory_ratio = results["numpy"]["peak_bytes"] / results["torch"]["peak_bytes"]
                line += (
                    f"   executor/torch: time {time_ratio:.2f} (goal <= 1.0), memory {memory_ratio:.2f} (goal <= 1.5)"
                )
            print(line)


DEEP = """name: deep residual stack
input: [16, 32, 32]
modules:
  block:
    params: {{width: 16}}
    layers:
      - conv: {{filters: "${{width}}", kernel: 3, padding: 1}}
      - batchnorm
      - relu
      - conv: {{filters: "${{width}}", kernel: 3, padding: 1}}
      - add: [conv2, input]
layers:
  - repeat: {blocks}
    name: stage
    layers:
      - block: {{width: 16}}
"""


def scale() -> None:
    """summarize and lint on deep residual stacks of 1,000, 10,000 and 20,000 layers (5 layers a block)."""
    import tempfile

    cnncalc = str(BIN / "cnncalc")
    sizes = (1_000, 10_000, 20_000)
    print("\nscale: summarize --format json and lint on deep residual stacks (median of 5, sizes interleaved)")
    with tempfile.TemporaryDirectory() as folder:
        commands = {}
        for layers in sizes:
            path = Path(folder) / f"deep{layers}.yaml"
            path.write_text(DEEP.format(blocks=layers // 5))
            commands[("summarize", layers)] = [cnncalc, "summarize", str(path), "--format", "json"]
            commands[("lint", layers)] = [cnncalc, "lint", str(path)]
        # Each round runs every size once, so a noisy moment on this shared machine falls on
        # all sizes alike instead of skewing one of them (and the ratio).
        times = median_seconds(commands, runs=5)
    for layers in sizes:
        print(
            f"  {layers:6,} layers  summarize {times[('summarize', layers)]:6.2f} s"
            f"   lint {times[('lint', layers)]:6.2f} s"
        )
    for command in ("summarize", "lint"):
        print(
            f"  {command:9}: 10,000 layers in {times[(command, 10_000)]:.2f} s (goal < 2); 20,000/10,000 = "
            f"{times[(command, 20_000)] / times[(command, 10_000)]:.2f} (goal <= 2.2)"
        )


CLASSIC = [
    "lenet5",
    "alexnet",
    "alexnet_torchvision",
    "alexnet_caffe",
    "zfnet",
    "vgg11",
    "vgg11_lrn",
    "vgg13",
    "vgg16",
    "vgg16_c",
    "vgg19",
    "cifar10_vgg",
    "homework_cnn",
]


def lint() -> None:
    """cnncalc lint over 1,000 files: copies of the classic networks (20 to 50 layers, the
    configs a team keeps) and, apart, copies of the whole zoo (up to ResNet-152's 500)."""
    import shutil
    import tempfile

    cnncalc = str(BIN / "cnncalc")
    zoo = sorted((ROOT / "architectures").glob("*.yaml"))
    classic = [ROOT / "architectures" / f"{name}.yaml" for name in CLASSIC]
    print("\nlint: 1,000 files in one call (median of 3)")
    for label, sources in (("classic networks (20-50 layers)", classic), ("the whole zoo (up to 500 layers)", zoo)):
        with tempfile.TemporaryDirectory() as folder:
            for index in range(1_000):
                shutil.copy(sources[index % len(sources)], Path(folder) / f"f{index}.yaml")
            seconds = median_seconds({"lint": [cnncalc, "lint", folder]}, runs=3)["lint"]
        print(f"  {label:34} {seconds:6.2f} s  {1_000 / seconds:6.0f} files/s  (goal: 1,000 in < 5 s)")


# verify against one torch forward: every kind of network in the zoo, the widest fields
# (ResNet-152, DenseNet-121, ConvNeXt) and the largest inputs (U-Net, FCN at 520) included.
VERIFY = (
    "lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "resnet152", "densenet121", "googlenet", "mobilenet_v2",
    "squeezenet1_0", "unet", "torchvision/inception_v3", "torchvision/efficientnet_b0", "torchvision/convnext_tiny",
    "torchvision/shufflenet_v2_x1_0", "torchvision/regnet_y_400mf", "torchvision/fcn_resnet50",
)  # fmt: skip


def verify() -> None:
    """``cnncalc verify`` (reading the file, the run, the probe; in-process) against one PyTorch
    CPU forward pass of the same network on the same threads (issue 19's goal: at most 10x),
    with the receptive-field probe's share of verify's time and whether every field was measured."""
    python = str(BIN / "python")
    has_torch = _has_torch()
    print(f"\nverify: the whole check (one run) against a torch forward (best of 3), {THREADS} thread(s) each")
    worst = 0.0
    for name in VERIFY:
        path = f"architectures/{name}.yaml"
        code = (
            "import time\n"
            "from cnncalc.graph import build\nfrom cnncalc.spec import read\n"
            "from cnncalc.probe import measure_fields\nfrom cnncalc.verify import verify_file\n"
            f"start = time.perf_counter(); result = verify_file({path!r}); total = time.perf_counter() - start\n"
            f"graph = build(read({path!r}))\n"
            "start = time.perf_counter(); measure_fields(graph); probe = time.perf_counter() - start\n"
            "print(total, probe, len(result.mismatches), len(result.unmeasured))\n"
        )
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT, env=_engine_env())
        if out.returncode != 0:
            print(f"  {name}: failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        total, probe, mismatches, unmeasured = out.stdout.split()
        total, probe = float(total), float(probe)
        line = (
            f"  {name:32} verify {total:6.2f} s (probe {probe:5.2f} s; {mismatches} mismatches, "
            f"{unmeasured} unmeasured)"
        )
        if has_torch:
            result = _forward_run("torch", path, 1)
            if result is not None:
                ratio = total / result["seconds"]
                worst = max(worst, ratio)
                line += (
                    f"   torch forward {result['seconds'] * 1000:6.0f} ms   verify/forward {ratio:5.1f} (goal <= 10)"
                )
        print(line)
    if has_torch:
        print(f"  largest verify/forward: {worst:.1f} (goal <= 10)")


def draw() -> None:
    """``cnncalc draw`` (SVG, laid out in pure Python) of the largest zoo networks against
    ``cnncalc summarize --format json`` of the same file, the baseline: reading, building and
    analysing the network, which the drawing does too. The goal: DenseNet-121 in under a
    second, the whole command."""
    import tempfile

    cnncalc = str(BIN / "cnncalc")
    files = ("torchvision/densenet121", "resnet152", "googlenet")
    print("\ndraw: the whole command, median of 10 (baseline: summarize --format json of the same file)")
    with tempfile.TemporaryDirectory() as folder:
        commands = {}
        for name in files:
            path = f"architectures/{name}.yaml"
            commands[("summarize (baseline)", name)] = [cnncalc, "summarize", path, "--format", "json"]
            commands[("draw", name)] = [cnncalc, "draw", path, "-o", str(Path(folder) / "net.svg")]
        times = median_seconds(commands, runs=10)
    for name in files:
        baseline, seconds = times[("summarize (baseline)", name)], times[("draw", name)]
        goal = "  (goal: < 1 s)" if name == "torchvision/densenet121" else ""
        print(
            f"  {name:24} draw {seconds * 1000:6.0f} ms   summarize {baseline * 1000:6.0f} ms   "
            f"draw/summarize = {seconds / baseline:4.2f}{goal}"
        )


def sweep() -> None:
    """``cnncalc sweep resnet50 --input 64..512/32`` (15 sizes; goal: well under a second), against
    one ``summarize`` of ResNet-50 and ``python -c pass``; and in one process, the sweep as
    written (read and built once, propagated per size) against reading the file anew per size."""
    python, cnncalc = str(BIN / "python"), str(BIN / "cnncalc")
    commands = {
        "python -c pass (baseline)": [python, "-c", "pass"],
        "cnncalc summarize resnet50 --format json": [cnncalc, "summarize", "resnet50", "--format", "json"],
        "cnncalc sweep resnet50 --input 64..512/32": [cnncalc, "sweep", "resnet50", "--input", "64..512/32"],
    }
    medians = median_seconds(commands, runs=10)
    print("\nsweep: ResNet-50 at 15 input sizes (median of 10, interleaved)")
    for name, seconds in medians.items():
        print(f"  {name:44} {seconds * 1000:7.1f} ms")
    one = medians["cnncalc summarize resnet50 --format json"]
    whole = medians["cnncalc sweep resnet50 --input 64..512/32"]
    print(f"  sweep of 15 sizes: {whole:.2f} s (goal: well under 1 s), {whole / one:.1f}x one summarize")
    # CPU time, which other work on a shared machine does not stretch as it does the wall clock.
    import resource

    cpu = []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(commands["cnncalc sweep resnet50 --input 64..512/32"], stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(f"  its CPU time (user + system, median of 5): {statistics.median(cpu):.2f} s")
    code = (
        "import time\n"
        "from cnncalc import source, spec, graph, report, headline\n"
        "from cnncalc.sweep import Axis, sweep\n"
        "path = 'architectures/resnet50.yaml'\n"
        "sizes = tuple(range(64, 513, 32))\n"
        "start = time.perf_counter(); sweep(path, source.load(path), (Axis('input', sizes),))\n"
        "once = time.perf_counter() - start\n"
        "start = time.perf_counter()\n"
        "for size in sizes:\n"
        "    network = spec.read(path)\n"
        "    built = graph.build(network._replace(input=(3, size, size)))\n"
        "    headline.headline(built, report.analyze(built))\n"
        "print(once, time.perf_counter() - start)\n"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    once, anew = (float(value) for value in out.stdout.split())
    print(
        f"  in one process: read and built once {once * 1000:.0f} ms, read and built per size {anew * 1000:.0f} ms "
        f"({anew / once:.2f}x)"
    )


# `cnncalc time` against PyTorch: every network of architectures/ and these of torchvision's,
# from the smallest to some of the largest, depthwise-heavy ones included.
TORCHVISION = (
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "efficientnet_b3",
    "shufflenet_v2_x1_0", "squeezenet1_1", "mnasnet1_0", "regnet_x_400mf", "regnet_y_400mf", "regnet_y_1_6gf",
    "resnext50_32x4d", "densenet121", "inception_v3", "convnext_tiny", "googlenet",
)  # fmt: skip
TIME_ROUNDS = int(os.environ.get("BENCH_TIME_ROUNDS", "10"))
# One thread by default: on this machine other jobs hold the cores, and a two-thread layer
# waits whenever either of its threads is off its core; one thread's minima repeat.
TIME_THREADS = int(os.environ.get("BENCH_TIME_THREADS", "1"))
SHIPPED = {1: "sandbox-xeon-1-thread", 2: "sandbox-xeon-2-threads"}  # cnncalc/devices/
# Training steps (forward, backward, Adam) of a few networks, shown, not a goal.
TRAINING = ("lenet5", "cifar10_vgg", "resnet18", "mobilenet_v2", "squeezenet1_0", "googlenet", "resnet50")


def ranks(values: list) -> list:
    """Ranks from 1, ties given the mean of the ranks they span (as Spearman's rho wants)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(xs: list, ys: list) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks."""
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    covariance = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    spread = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return covariance / spread


def time_prediction() -> None:
    """``cnncalc time`` with this machine's profile, measured by ``cnncalc calibrate`` in this
    run, against PyTorch's CPU time of the same networks (bench/latency.py), batch 1, with
    BENCH_TIME_THREADS threads (calibrate's products too); the framework's figures fitted
    to half the networks and checked on the other half (cnncalc/fit.py). Also against the
    shipped profile of this machine, and, not a goal, training steps of a few networks.
    BENCH_TIME_SAVE=path keeps the measured times (for `cnncalc calibrate --fit`);
    BENCH_TIME_MEASURED=path compares against saved ones instead of measuring (no training)."""
    import tempfile

    from cnncalc import device

    python = str(BIN / "python")
    if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0:
        print("\ntime: torch not installed (`make test-torch` installs it); skipped")
        return
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "architectures").glob("*.yaml"))
    files += [f"architectures/torchvision/{name}.yaml" for name in TORCHVISION]
    threads = ["--threads", str(TIME_THREADS)]
    with tempfile.TemporaryDirectory() as folder:
        profile_path = str(Path(folder) / "this-machine.yaml")
        start = time.perf_counter()
        subprocess.run([str(BIN / "cnncalc"), "calibrate", *threads, "-o", profile_path], check=True, cwd=ROOT)
        calibrate_seconds = time.perf_counter() - start
        profile = device.read(profile_path)
    if os.environ.get("BENCH_TIME_MEASURED"):  # a run's saved times (BENCH_TIME_SAVE), measured again never
        lines = Path(os.environ["BENCH_TIME_MEASURED"]).read_text()
    else:
        lines = subprocess.run(
            [python, "bench/latency.py", *threads, "--rounds", str(TIME_ROUNDS), *files],
            capture_output=True, text=True, cwd=ROOT, check=True,
        ).stdout  # fmt: skip
    measured = [json.loads(line) for line in lines.splitlines()]
    print(
        f"\ntime: cnncalc time against PyTorch {_torch_version(python)} on the CPU, {TIME_THREADS} thread(s), batch 1, "
        f"float32 (load average {os.getloadavg()[0]:.1f} now)"
    )
    print(f"  profile: cnncalc calibrate in this run ({calibrate_seconds:.1f} s): {_profile_line(profile)}")
    print(
        f"  measured: each network's whole forward and each layer's module call, the minimum of {TIME_ROUNDS} rounds "
        "(networks interleaved: a busy minute falls on all of them)"
    )
    if os.environ.get("BENCH_TIME_SAVE"):  # for `cnncalc calibrate --fit`
        Path(os.environ["BENCH_TIME_SAVE"]).write_text(lines)
    _compare(measured, profile, "this run's profile")
    _held_out(measured, profile)
    if TIME_THREADS in SHIPPED:
        shipped = device.find(SHIPPED[TIME_THREADS])
        print(f"\n  against the shipped {SHIPPED[TIME_THREADS]} ({_profile_line(shipped)}):")
        _compare(measured, shipped, "shipped profile", detail=False)
    if not os.environ.get("BENCH_TIME_MEASURED"):
        _training(python, threads, profile)


def _held_out(measured: list, profile) -> None:
    """The framework's figures (cnncalc/fit.py) fitted to half the networks' measured times,
    checked on the other half, both ways; then fitted to all (as the shipped profile is)."""
    from cnncalc import fit

    samples = [fit.Sample(entry["file"], entry["forward"], entry["layers"]) for entry in measured]
    by_file = {entry["file"]: entry for entry in measured}
    halves = fit.split(samples)
    print("\n  fitted to measured times (`cnncalc calibrate --fit`): each half's fit checked on the other half")
    for fitted_on, checked_on, label in ((halves[0], halves[1], "half A"), (halves[1], halves[0], "half B")):
        figures = fit.fit(fit.tabulate(fitted_on, profile), profile)
        print(f"  fitted to {label} ({len(fitted_on)} networks): {_figures_line(figures)}")
        _compare([by_file[sample.file] for sample in checked_on], fit.fitted_device(profile, figures),
                 f"held out ({len(checked_on)} networks)", detail=False)  # fmt: skip
    figures = fit.fit(fit.tabulate(samples, profile), profile)
    print(f"  fitted to all {len(samples)} (in-sample, as the shipped profile): {_figures_line(figures)}")
    _compare(measured, fit.fitted_device(profile, figures), "fitted to all", detail=False)


def _figures_line(figures: dict) -> str:
    return (
        f"{figures['layer_overhead'] * 1e6:.1f} us a layer, {figures['weights_overhead'] * 1e6:.1f} us more with "
        f"weights, weights {figures['weights_bandwidth'] / 1e9:.1f} GB/s, "
        f"small_product {figures['small_product']:.3g}, dot_length {figures['dot_length']:.3g}, window {figures['window_rate'] / 1e6:.0f} M/s, "
        f"strided {figures['strided_bandwidth'] / 1e9:.2f} GB/s"
    )


def _training(python: str, threads: list, profile) -> None:
    from cnncalc import timing
    from cnncalc.graph import build
    from cnncalc.report import analyze
    from cnncalc.spec import read

    files = [f"architectures/{name}.yaml" for name in TRAINING]
    out = subprocess.run(
        [python, "bench/latency.py", "--train", *threads, "--rounds", str(max(TIME_ROUNDS // 2, 1)), *files],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    print("\n  training steps (forward, backward of the outputs' sum, Adam; not a goal), the fastest of the rounds:")
    for line in out.stdout.splitlines():
        entry = json.loads(line)
        graph = build(read(str(ROOT / entry["file"])))
        step = timing.time_network(graph, analyze(graph), profile, train=True)
        name = entry["file"].removeprefix("architectures/").removesuffix(".yaml")
        print(
            f"    {name:20} measured {entry['step'] * 1e3:8.1f} ms   cnncalc {step.total_seconds * 1e3:8.1f} ms "
            f"(forward {step.forward_seconds * 1e3:.1f}, backward {step.backward_seconds * 1e3:.1f}, "
            f"update {step.update_seconds * 1e3:.1f})   {step.total_seconds / entry['step']:.2f}"
        )


def _torch_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    return out.stdout.strip()


def _profile_line(profile) -> str:
    peak = profile.peak_flops["float32"]
    return (
        f"{peak / 1e9:.0f} GFLOP/s, {profile.memory_bandwidth / 1e9:.1f} GB/s"
        + "".join(f", up to {size / 2**20:.3g} MiB at {bandwidth / 1e9:.0f} GB/s" for size, bandwidth in profile.caches)
        + f", {profile.layer_overhead * 1e6:.1f} us a layer"
        + (f" ({profile.weights_overhead * 1e6:.1f} more with weights)" if profile.weights_overhead else "")
        + (f", weights {profile.weights_bandwidth / 1e9:.1f} GB/s" if profile.weights_bandwidth else "")
        + f", small_product {profile.small_product:.3g}"
        + (f", dot_length {profile.dot_length:.3g}" if profile.dot_length else "")
        + f", window {profile.window_rate / 1e6:.0f} M/s"
        + (f", strided {profile.strided_bandwidth / 1e9:.2f} GB/s" if profile.strided_bandwidth else "")
    )


def _compare(measured: list, profile, label: str, detail: bool = True) -> None:
    """Predicted against measured: each network's whole forward (its minimum over the
    rounds) and each layer's module call (likewise)."""
    from cnncalc import timing
    from cnncalc.graph import build
    from cnncalc.report import analyze
    from cnncalc.spec import read

    rows, layer_pairs, by_type = [], [], {}
    for entry in measured:
        graph = build(read(str(ROOT / entry["file"])))
        estimate = timing.time_network(graph, analyze(graph), profile)
        rows.append((entry["file"], entry["forward"], sum(entry["layers"].values()), estimate.forward_seconds))
        for layer in estimate.layers:
            seconds = entry["layers"][layer.name]
            layer_pairs.append((seconds, layer.estimate.seconds))
            pair = by_type.setdefault(layer.type, [0.0, 0.0, 0])
            pair[0] += seconds
            pair[1] += layer.estimate.seconds
            pair[2] += 1
    if detail:
        print(f"  {'network':36} {'forward':>10} {'layers':>10} {'cnncalc':>10}  cnncalc/forward")
        for file, forward, layers, predicted in rows:
            name = file.removeprefix("architectures/").removesuffix(".yaml")
            print(
                f"  {name:36} {forward * 1e3:8.2f}ms {layers * 1e3:8.2f}ms {predicted * 1e3:8.2f}ms  {predicted / forward:5.2f}"
            )
        print(f"  per layer type, summed over every network: {'measured':>10} {'cnncalc':>10} ratio  layers")
        for kind, (actual, predicted, count) in sorted(by_type.items(), key=lambda item: -item[1][0]):
            print(f"    {kind:38} {actual * 1e3:8.1f}ms {predicted * 1e3:8.1f}ms {predicted / actual:5.2f}  {count:6}")
    ratios = [predicted / forward for _, forward, _, predicted in rows]
    errors = [abs(ratio - 1) for ratio in ratios]
    within = sum(error <= 0.3 for error in errors)
    outside = ", ".join(
        f"{file.removeprefix('architectures/').removesuffix('.yaml')} {ratio:.2f}"
        for (file, *_), ratio in zip(rows, ratios)
        if abs(ratio - 1) > 0.3
    )
    rho = spearman([row[1] for row in rows], [row[3] for row in rows])
    layer_rho = spearman([pair[0] for pair in layer_pairs], [pair[1] for pair in layer_pairs])
    layer_errors = [abs(predicted / actual - 1) for actual, predicted in layer_pairs]
    print(
        f"  {label}: networks: Spearman {rho:.3f} over {len(rows)} (goal >= 0.9); totals within 30%: {within} of "
        f"{len(rows)} (goal: all), error median {statistics.median(errors):.0%}, largest {max(errors):.0%} "
        f"(cnncalc/measured {min(ratios):.2f} to {max(ratios):.2f}){f'; outside: {outside}' if outside else ''}\n"
        f"  {' ' * len(label)}  layers: Spearman {layer_rho:.3f} over {len(layer_pairs)}, error median "
        f"{statistics.median(layer_errors):.0%}, within 30%: {sum(e <= 0.3 for e in layer_errors) / len(layer_errors):.0%}"
    )


SECTIONS = {
    "startup": startup,
    "forward": forward,
    "scale": scale,
    "lint": lint,
    "verify": verify,
    "draw": draw,
    "sweep": sweep,
    "time": time_prediction,
}

if __name__ == "__main__":
    # `python bench/run.py [SECTION...]`: every section by default.
    for section in sys.argv[1:] or list(SECTIONS):
        SECTIONS[section]()
