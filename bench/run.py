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


def forward() -> None:
    """The NumPy executor against PyTorch (CPU, all cores): forward time and peak memory."""
    python = str(BIN / "python")
    has_torch = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    files = [path for path in ("architectures/vgg16.yaml", "architectures/resnet50.yaml") if (ROOT / path).exists()]
    print("\nforward pass, 224x224, batch 1 (best of 3; peak = the process's maximum resident memory)")
    for path in files:
        results = {}
        for engine in ("numpy", "torch") if has_torch else ("numpy",):
            out = subprocess.run([python, "bench/forward.py", engine, path], capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                print(f"  {path} {engine}: failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            results[engine] = json.loads(out.stdout)
        for engine, result in results.items():
            print(
                f"  {path:28} {engine:6} {result['seconds'] * 1000:7.0f} ms   peak {result['peak_bytes'] / 2**20:6.0f} MiB"
            )
        if len(results) == 2:
            time_ratio = results["numpy"]["seconds"] / results["torch"]["seconds"]
            memory_ratio = results["numpy"]["peak_bytes"] / results["torch"]["peak_bytes"]
            print(
                f"  {path:28} executor/torch: time {time_ratio:.2f} (goal <= 1.5), peak memory {memory_ratio:.2f} (goal <= 2)"
            )
    if not has_torch:
        print("  (torch not installed: `make test-torch` installs it; ratios need it)")


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


def verify() -> None:
    """``cnncalc verify`` against one PyTorch CPU forward pass of the same network (issue 19's
    goal: at most 10x), with the receptive-field probe's share of verify's time."""
    python = str(BIN / "python")
    has_torch = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    names = ("resnet18", "mobilenet_v2", "squeezenet1_0", "vgg16")
    print("\nverify: one run of the whole check and of the probe alone, against a torch forward (best of 3)")
    for name in names:
        path = f"architectures/{name}.yaml"
        code = (
            "import time, sys\n"
            "from cnncalc.graph import build\nfrom cnncalc.spec import read\n"
            "from cnncalc.report import analyze\nfrom cnncalc.probe import measure_fields\n"
            "from cnncalc.verify import verify_graph\n"
            f"graph = build(read({path!r}))\n"
            "start = time.perf_counter(); verify_graph(graph); total = time.perf_counter() - start\n"
            "report = analyze(graph)\n"
            "start = time.perf_counter(); measure_fields(graph, {l.name: l.receptive_field for l in report.layers})\n"
            "print(total, time.perf_counter() - start)\n"
        )
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(f"  {name}: failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        total, probe = (float(value) for value in out.stdout.split())
        line = f"  {name:14} verify {total:6.2f} s (probe {probe:5.2f} s)"
        if has_torch:
            torch_out = subprocess.run(
                [python, "bench/forward.py", "torch", path], capture_output=True, text=True, cwd=ROOT
            )
            if torch_out.returncode == 0:
                seconds = json.loads(torch_out.stdout)["seconds"]
                line += (
                    f"   torch forward {seconds * 1000:6.0f} ms   verify/forward = {total / seconds:6.1f} (goal <= 10)"
                )
        print(line)


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


SECTIONS = {
    "startup": startup,
    "forward": forward,
    "scale": scale,
    "lint": lint,
    "verify": verify,
    "draw": draw,
    "sweep": sweep,
}

if __name__ == "__main__":
    # `python bench/run.py [SECTION...]`: every section by default.
    for section in sys.argv[1:] or list(SECTIONS):
        SECTIONS[section]()
