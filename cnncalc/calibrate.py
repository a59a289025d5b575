"""``cnncalc calibrate``: the device profile (device.py) of the machine it runs on, measured
with NumPy micro-benchmarks in about ten seconds.

- ``peak_flops``: large matrix products (float32, float64), as many as fit in the time.
- ``memory_bandwidth``: ``a + b -> c`` on arrays far larger than any cache (two reads
  and a write per value): 128 MiB for the three.
- ``cache``: the same on working sets from 512 KiB up, each twice the last: a level for
  each size that streams faster than the next larger one (the caches, as a layer whose
  input, output and weights fit them sees them).
- ``layer_overhead``: what a layer costs beyond its arithmetic: the mean time of a layer
  of a small convolutional block on a 4x4 map, run by cnncalc's own NumPy executor (a
  Python framework's layer calls), where the arithmetic is next to nothing.
- ``window_rate``: a running sum (``np.add.accumulate``), each addition waiting for the
  one before: the pace of a window reduction read one value after another, as CPU
  frameworks' pooling kernels read them.
- ``small_product``: products with a small side (``n`` rows by ``n`` columns against a long
  operand) against the peak: ``rate = peak * n / (n + small_product)`` solved for it.

With ``--fit MEASURED`` (a framework's layer times, as ``bench/latency.py`` writes them),
the figures that say what a framework's kernels add (``layer_overhead``,
``weights_overhead``, ``weights_bandwidth``, ``small_product``, ``dot_length``, ``window_rate``,
``strided_bandwidth``) are fitted
to those times instead (fit.py); the peak, memory and caches stay NumPy's.

Each figure is the best of many short trials, never a mean: other work on the machine
only ever makes a trial slower, so the best trial is the closest to the machine itself.
float16 and bfloat16 are left out: NumPy has no fast matrix product for them, so what it
measured would be NumPy's, not the machine's (add a figure by hand if yours has one).
"""

from __future__ import annotations

import os
import platform
import time

from .record import Record

# Seconds spent on each measurement: about ten in all.
BUDGET = {"float32": 2.0, "float64": 1.0, "bandwidth": 3.0, "overhead": 0.5, "small": 1.5, "window": 0.5}
# Square products of these sides; the fastest rate counts. A large product reaches the peak
# on a quiet machine; on a busy one only short trials run undisturbed, and the small wins.
MATRIX_SIDES = (256, 512, 1024)
# Working sets (a, b and c together) of 512 KiB to 128 MiB; the largest is the memory's.
WORKING_SETS = tuple(2**k for k in range(19, 28))
# A level no faster than this much of the next larger one is left out: it is noise.
DISTINCT = 1.15
SMALL_SIDE = 16  # the small side of the products that measure small_product
LONG_SIDE = 8192  # and their long one


class Calibration(
    Record,
    fields="host cpu cores threads numpy when load peak_flops memory_bandwidth caches layer_overhead small_product "
    "window_rate weights_overhead weights_bandwidth strided_bandwidth dot_length fitted",
):
    """What calibrate measured, with where and when (``load``: the load average then;
    ``threads``: the threads NumPy's products used, None for its default, every core);
    ``fitted``: None, or what the framework's figures were fitted to (fit.py), in words."""

    __slots__ = ()


def best_seconds(work, budget: float, least: int = 3) -> float:
    """The fastest of as many runs of ``work()`` as fit in ``budget`` seconds (at least
    ``least``)."""
    best = float("inf")
    deadline = time.perf_counter() + budget
    runs = 0
    while runs < least or time.perf_counter() < deadline:
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
        runs += 1
    return best


def peak_flops(np, dtype: str, budget: float) -> float:
    rng = np.random.default_rng(0)
    best = 0.0
    for side in MATRIX_SIDES:
        a = rng.standard_normal((side, side)).astype(dtype)
        b = rng.standard_normal((side, side)).astype(dtype)
        out = np.empty_like(a)
        seconds = best_seconds(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), budget / len(MATRIX_SIDES))
        best = max(best, 2 * side**3 / seconds)
    return best


def add_bandwidth(np, working_set: int, budget: float) -> float:
    """Bytes per second of ``a + b -> c`` on float32 arrays of ``working_set`` bytes together."""
    count = max(working_set // 12, 1)
    a, b, c = np.ones(count, np.float32), np.ones(count, np.float32), np.ones(count, np.float32)
    repeats = max(1, 2**24 // working_set)  # short trials are timed in a batch

    def work():
        for _ in range(repeats):
            np.add(a, b, out=c)

    return 12 * count * repeats / best_seconds(work, budget)


def bandwidths(np, budget: float) -> tuple:
    """``(memory_bandwidth, caches)``: the bandwidth of the largest working set, and
    ``(size, bandwidth)`` for the smaller ones that stream distinctly faster than the next
    larger one (a smaller working set is never slower: the best of it and every larger one)."""
    # Larger working sets take longer trials: give them more of the time, to fit as many.
    shares = [size**0.5 for size in WORKING_SETS]
    measured = [add_bandwidth(np, size, budget * share / sum(shares)) for size, share in zip(WORKING_SETS, shares)]
    for index in range(len(measured) - 2, -1, -1):
        measured[index] = max(measured[index], measured[index + 1])
    memory = measured[-1]
    caches, slower = [], memory
    for size, bandwidth in reversed(list(zip(WORKING_SETS[:-1], measured[:-1]))):
        if bandwidth > slower * DISTINCT:
            caches.append((size, bandwidth))
            slower = bandwidth
    return memory, tuple(sorted(caches))


# A block of a typical convolutional network on a map too small for its arithmetic to
# count: what each layer costs is what running a layer costs.
TINY_NETWORK = """\
input: [8, 4, 4]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, bias: false}
  - batchnorm
  - relu
  - conv: {filters: 8, kernel: 1, bias: false}
  - batchnorm
  - add: [batchnorm2, relu1]
  - relu
  - maxpool: 2
  - global_avgpool
  - fc: 8
"""


def layer_overhead(np, budget: float) -> float:
    """The mean time of a layer of ``TINY_NETWORK`` run by cnncalc's own NumPy executor,
    one layer's forward pass after another (a Python framework's layer calls: checks,
    padding, patches, a small product, allocations), its arithmetic next to nothing."""
    from .executor import make_arrays, run_layer
    from .graph import build
    from .kernels import Kernels
    from .report import analyze
    from .source import parse as parse_yaml
    from .spec import parse

    graph = build(parse(parse_yaml(TINY_NETWORK, "<calibrate>"), "<calibrate>"))
    shapes = {"input": graph.input_shape, **{layer.name: layer.shape for layer in analyze(graph).layers}}
    rng = np.random.default_rng(0)
    nodes = list(graph.in_order())
    weights = {
        node.name: make_arrays(
            node.spec.type.weights(node.spec.args, tuple(shapes[name] for name in node.inputs)), rng, np.float32
        )
        for node in nodes
    }
    x = rng.standard_normal((1, *graph.input_shape)).astype(np.float32)
    kernels = Kernels()

    def work():
        values = {"input": x}
        for node in nodes:
            values[node.name] = run_layer(node, [values[name] for name in node.inputs], weights[node.name], kernels)

    return best_seconds(work, budget, least=10) / len(nodes)


def window_rate(np, budget: float) -> float:
    """Values per second of a chain of dependent additions (a running sum) in the cache."""
    x = np.ones(2**16, np.float32)
    out = np.empty_like(x)
    return x.size / best_seconds(lambda: np.add.accumulate(x, out=out), budget)


def small_product(np, peak: float, budget: float) -> float:
    """The side at which a product reaches half of ``peak`` (float32)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((LONG_SIDE, SMALL_SIDE)).astype(np.float32)
    b = rng.standard_normal((SMALL_SIDE, SMALL_SIDE)).astype(np.float32)
    out = np.empty((LONG_SIDE, SMALL_SIDE), np.float32)
    repeats = 20

    def work():
        for _ in range(repeats):
            np.matmul(a, b, out=out)

    rate = 2 * LONG_SIDE * SMALL_SIDE**2 * repeats / best_seconds(work, budget)
    return max(SMALL_SIDE * (peak / rate - 1), 0.0)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "a CPU"


# The variables the BLAS libraries NumPy may use read their thread count from, once, when
# NumPy is imported.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def measure(budget_scale: float = 1.0, threads: int | None = None) -> Calibration:
    """Runs every micro-benchmark (``budget_scale`` shortens or lengthens them all).
    ``threads`` limits NumPy's products to that many threads (a profile for a framework run
    with as many, such as ``torch.set_num_threads``); it must be set before NumPy is
    imported, which the command line does."""
    import sys

    if threads is not None:
        if "numpy" in sys.modules:
            from .errors import UsageError

            raise UsageError("calibrate: --threads must be set before NumPy is imported")
        for name in THREAD_VARIABLES:
            os.environ[name] = str(threads)
    import numpy as np

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    budget = {key: seconds * budget_scale for key, seconds in BUDGET.items()}
    peak = {dtype: peak_flops(np, dtype, budget[dtype]) for dtype in ("float32", "float64")}
    memory, caches = bandwidths(np, budget["bandwidth"])
    return Calibration(
        host=platform.node() or "this machine",
        cpu=cpu_name(),
        cores=os.cpu_count() or 1,
        threads=threads,
        numpy=np.__version__,
        when=time.strftime("%Y-%m-%d %H:%M"),
        load=load,
        peak_flops=peak,
        memory_bandwidth=memory,
        caches=caches,
        layer_overhead=layer_overhead(np, budget["overhead"]),
        small_product=small_product(np, peak["float32"], budget["small"]),
        window_rate=window_rate(np, budget["window"]),
        weights_overhead=0.0,
        weights_bandwidth=0.0,
        strided_bandwidth=0.0,
        dot_length=0.0,
        fitted=None,
    )


def fitted(calibration: Calibration, samples: list, measured_path: str) -> Calibration:
    """``calibration`` with the framework's figures fitted to ``samples``, the layer times
    read from ``measured_path`` (fit.py)."""
    from . import fit
    from .device import parse
    from .source import parse as parse_yaml

    name = "<calibrate>"
    base = parse(parse_yaml(profile_text(calibration), name), name)
    figures = fit.fit(fit.tabulate(samples, base), base)
    networks = len({sample.file for sample in samples})
    runs = f" ({len(samples)} runs)" if len(samples) != networks else ""
    words = f"the layer times of {networks} networks{runs} in {os.path.basename(measured_path)}"
    return calibration._replace(**figures, fitted=words)


def _rate(value: float, unit: str) -> str:
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def profile_text(c: Calibration) -> str:
    """The profile as a YAML file (device.py reads it), with how it was measured."""
    load = "" if c.load is None else f", load average {c.load:.1f} when it started"
    threads = "every core" if c.threads is None else f"{c.threads} thread{'s' if c.threads != 1 else ''}"
    fitted = f"; the framework's figures fitted to {c.fitted}" if c.fitted else ""
    lines = [
        f"# Measured by `cnncalc calibrate` on {c.host} ({c.cpu}, {c.cores} cores) on {c.when}{load}.",
        "# Each figure is the best of many short NumPy trials; other work on the machine only slows a trial.",
        f"name: {_quoted(f'{c.host}: {c.cpu}, {c.cores} cores, {threads}')}",
        f"source: {_quoted(f'measured on {c.host} by cnncalc calibrate (NumPy {c.numpy}, {threads}) on {c.when}{fitted}')}",
        "peak_flops:  # square matrix products of 256 to 1024; float16 and bfloat16: NumPy has no fast product for them",
    ]
    lines += [f"  {dtype}: {_rate(rate, 'FLOP/s')}" for dtype, rate in c.peak_flops.items()]
    lines.append(f"memory_bandwidth: {_rate(c.memory_bandwidth, 'B/s')}  # a + b -> c on 128 MiB together")
    if c.caches:
        lines.append("cache:  # smaller working sets, measured the same way: up to this size, this bandwidth")
        lines += [f"  - {{size: {_size(size)}, bandwidth: {_rate(bandwidth, 'B/s')}}}" for size, bandwidth in c.caches]
    if c.fitted:
        lines.append(f"# Fitted to {c.fitted} (cnncalc calibrate --fit):")
        lines.append(f"layer_overhead: {c.layer_overhead * 1e6:.3g} us  # calling a layer, in a network")
        lines.append(f"weights_overhead: {c.weights_overhead * 1e6:.3g} us  # and more, one with weights or buffers")
    else:
        lines.append(
            f"layer_overhead: {c.layer_overhead * 1e6:.3g} us  # a layer of a tiny network, cnncalc's executor"
        )
    how = "" if c.fitted else ": a running sum"
    optional = (  # (figure, its line): each written where given (0: not given)
        (c.small_product, f"small_product: {c.small_product:.3g}  # a product with a side this long runs at half the peak"),
        (c.dot_length, f"dot_length: {c.dot_length:.3g}  # and a dot product (a product of side 1) this long"),
        (c.window_rate, f"window_rate: {_rate(c.window_rate, '/s')}  # values a window reduction reads{how}, one after another"),
        (c.weights_bandwidth, f"weights_bandwidth: {_rate(c.weights_bandwidth, 'B/s')}  # weights laid out for the kernel"),
        (c.strided_bandwidth, f"strided_bandwidth: {_rate(c.strided_bandwidth, 'B/s')}  # a strided product's input, laid out"),
    )  # fmt: skip
    lines += [line for figure, line in optional if figure]
    return "\n".join(lines) + "\n"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = ["Calibration", "fitted", "measure", "profile_text"]
