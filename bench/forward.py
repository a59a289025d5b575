"""One engine's forward pass over an architecture file, timed; prints one JSON line.

    python bench/forward.py numpy architectures/vgg16.yaml [--batch 8] [--threads 1]
    python bench/forward.py torch architectures/vgg16.yaml [--batch 8] [--threads 1]

Run once per engine in a fresh process, so each process's peak memory is its own. The
torch model is built from the same file (the layer types the classic networks use).
``--threads`` limits both engines alike: NumPy's BLAS (set before NumPy is imported) and
torch's intra-op threads; without it both use every core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

if __name__ == "__main__":
    ARGS = argparse.ArgumentParser()
    ARGS.add_argument("engine", choices=("numpy", "torch"))
    ARGS.add_argument("file")
    ARGS.add_argument("--batch", type=int, default=1)
    ARGS.add_argument("--threads", type=int, default=None)
    OPTIONS = ARGS.parse_args()
    if OPTIONS.threads is not None:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(OPTIONS.threads)

import numpy as np  # noqa: E402

from cnncalc import graph, spec  # noqa: E402
from cnncalc.executor import execute  # noqa: E402

RUNS = 3


def made_weights(network) -> dict:
    """Every layer's arrays, made once (float32, seed 0), for ``execute(weights=)``."""
    from cnncalc.executor import make_arrays
    from cnncalc.report import analyze

    report = analyze(network)
    shapes = {"input": network.input_shape, **{layer.name: layer.shape for layer in report.layers}}
    rng = np.random.default_rng(0)
    weights = {}
    for node in network.nodes:
        declared = node.spec.type.weights(node.spec.args, tuple(shapes[name] for name in node.inputs))
        weights[node.name] = make_arrays(declared, rng, np.float32, node.spec.args)
    return weights


def numpy_forward(network, batch: int = 1, threads=None):
    inputs = np.random.default_rng(0).standard_normal((batch, *network.input_shape)).astype(np.float32)
    # Make the weights once, as torch's are made before its clock starts; keep no outputs.
    weights = made_weights(network)
    execute(network, inputs=inputs, weights=weights)  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        execute(network, inputs=inputs, weights=weights)
        times.append(time.perf_counter() - start)
    return min(times)


def torch_forward(network, batch: int = 1, threads=None):
    import torch

    torch.set_num_threads(threads or os.cpu_count() or 1)
    model = TorchModel(network).eval()
    x = torch.randn(batch, *network.input_shape)
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return min(times)


def TorchModel(network):
    """The network in PyTorch, each layer the module cnncalc's interpretation names
    (cnncalc/interop/pytorch.py); its weights are PyTorch's own random ones."""
    from torch import nn

    from cnncalc.interop import pytorch
    from cnncalc.report import analyze

    report = analyze(network)
    shapes = {"input": network.input_shape, **{layer.name: layer.shape for layer in report.layers}}

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict()
            for node in network.nodes:
                in_shapes = tuple(shapes[name] for name in node.inputs)
                description = pytorch.describe(node.spec.type, node.spec.args, in_shapes)
                self.layers[node.name.replace(".", "_")] = pytorch.build(description, nn)

        def forward(self, x):
            # Each value is dropped after its last reader, as a hand-written module's locals
            # would be: holding all of them would inflate torch's peak memory.
            values, readers = {"input": x}, dict(reads)
            for node in network.in_order():
                xs = [values[name] for name in node.inputs]
                values[node.name] = self.layers[node.name.replace(".", "_")](*xs)
                del xs
                for name in node.inputs:
                    readers[name] -= 1
                    if not readers[name]:
                        del values[name]
            return values[network.nodes[-1].name]

    reads: dict = {}
    for node in network.nodes:
        for name in node.inputs:
            reads[name] = reads.get(name, 0) + 1

    return Model()


if __name__ == "__main__":
    network = graph.build(spec.read(OPTIONS.file))
    run = {"numpy": numpy_forward, "torch": torch_forward}[OPTIONS.engine]
    seconds = run(network, OPTIONS.batch, OPTIONS.threads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"engine": OPTIONS.engine, "file": OPTIONS.file, "seconds": seconds, "peak_bytes": peak}))
