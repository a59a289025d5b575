"""The NumPy executor's forward pass, timed per layer and summed per layer type.

    python bench/layers.py architectures/resnet50.yaml [--batch 8] [--runs 3] [--json]

Weights are made once and handed to every run (``execute(weights=)``, as bench/forward.py
does); each layer's time is the best of ``--runs`` runs after a warm-up, taken around
``cnncalc.executor.run_layer``. The best whole run less the time it spent in its layers is
the executor's own work ("executor": its loop, and freeing the arrays nobody reads). Pin it to one core and one BLAS thread, e.g.
``taskset -c 1 env OPENBLAS_NUM_THREADS=1 python bench/layers.py ...``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from forward import made_weights  # bench/forward.py: the weights made once, as it makes them

from cnncalc import executor, graph, spec
from cnncalc.executor import execute


def layer_times(network, batch: int = 1, runs: int = 3) -> tuple:
    """(best seconds per layer name, best seconds of a whole ``execute``, and of what that run
    spent outside its layers)."""
    inputs = np.random.default_rng(0).standard_normal((batch, *network.input_shape)).astype(np.float32)
    weights = made_weights(network)
    original = executor.run_layer
    best: dict = {}
    inside = [0.0]

    def timed(node, xs, arrays, kernels):
        start = time.perf_counter()
        out = original(node, xs, arrays, kernels)
        seconds = time.perf_counter() - start
        best[node.name] = min(best.get(node.name, seconds), seconds)
        inside[0] += seconds
        return out

    execute(network, inputs=inputs, weights=weights)  # warm-up, untimed
    totals = []
    executor.run_layer = timed
    try:
        for _ in range(runs):
            inside[0] = 0.0
            start = time.perf_counter()
            execute(network, inputs=inputs, weights=weights)
            total = time.perf_counter() - start
            totals.append((total, total - inside[0]))
    finally:
        executor.run_layer = original
    total, outside = min(totals)
    return best, total, outside


def by_type(network, best: dict) -> dict:
    sums: dict = {}
    for node in network.nodes:
        name = node.spec.type.name
        seconds, count = sums.get(name, (0.0, 0))
        sums[name] = (seconds + best[node.name], count + 1)
    return sums


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line: ms per layer type, and the totals")
    options = parser.parse_args()
    network = graph.build(spec.read(options.file))
    best, total, outside = layer_times(network, options.batch, options.runs)
    sums = by_type(network, best)
    if options.json:
        figures = {name: round(seconds * 1000, 3) for name, (seconds, _) in sums.items()}
        figures.update(total=round(total * 1000, 3), executor=round(outside * 1000, 3))
        print(json.dumps({"file": options.file, "batch": options.batch, "ms": figures}))
    else:
        print(f"{options.file}, batch {options.batch}: best of {options.runs} runs, per layer")
        for name, (seconds, count) in sorted(sums.items(), key=lambda item: -item[1][0]):
            print(f"  {name:20} {count:4} layers {seconds * 1000:9.2f} ms")
        print(f"  {'executor':20} {len(best):4} layers {outside * 1000:9.2f} ms  (the best run less its layers)")
        print(f"  {'total':20} {'':4}        {total * 1000:9.2f} ms  (best whole run)")
