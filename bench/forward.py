"""One engine's forward pass over an architecture file, timed; prints one JSON line.

    python bench/forward.py numpy architectures/vgg16.yaml
    python bench/forward.py torch architectures/vgg16.yaml

Run once per engine in a fresh process, so each process's peak memory is its own. The
torch model is built from the same file (the layer types the classic networks use).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

from cnncalc import graph, spec
from cnncalc.executor import execute

RUNS = 3


def numpy_forward(network):
    from cnncalc.analysis import analyze
    from cnncalc.executor import make_arrays

    inputs = np.random.default_rng(0).standard_normal((1, *network.input_shape)).astype(np.float32)
    # Make the weights once, as torch's are made before its clock starts; keep no outputs.
    report = analyze(network)
    shapes = {"input": network.input_shape, **{layer.name: layer.shape for layer in report.layers}}
    rng = np.random.default_rng(0)
    weights = {}
    for node in network.nodes:
        declared = node.spec.type.weights(node.spec.args, tuple(shapes[name] for name in node.inputs))
        weights[node.name] = make_arrays(declared, rng, np.float32, node.spec.args)
    execute(network, inputs=inputs, weights=weights)  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        execute(network, inputs=inputs, weights=weights)
        times.append(time.perf_counter() - start)
    return min(times)


def torch_forward(network):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    model = TorchModel(network).eval()
    x = torch.randn(1, *network.input_shape)
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return min(times)


def TorchModel(network):
    import torch
    from torch import nn

    def module(node, channels, in_shape):
        a, kind = node.spec.args, node.spec.type.name
        ndim = len(in_shape) - 1
        if kind == "conv":
            conv = [nn.Conv1d, nn.Conv2d, nn.Conv3d][ndim - 1]
            return conv(channels, a.filters, a.kernel, a.stride, a.padding, a.dilation, a.groups, a.bias is not False)
        if kind == "maxpool":
            pool = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][ndim - 1]
            return pool(a.kernel, a.stride, a.padding, a.dilation, ceil_mode=a.ceil_mode)
        if kind == "avgpool":
            pool = [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][ndim - 1]
            return pool(a.kernel, a.stride, a.padding, ceil_mode=a.ceil_mode)
        if kind == "global_avgpool":
            return nn.AdaptiveAvgPool2d(1)
        if kind == "batchnorm":
            return [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][max(ndim, 1) - 1](channels)
        if kind == "fc":
            return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(in_shape)), a.units, a.bias is not False))
        simple = {
            "relu": nn.ReLU(),
            "relu6": nn.ReLU6(),
            "tanh": nn.Tanh(),
            "sigmoid": nn.Sigmoid(),
            "flatten": nn.Flatten(),
            "dropout": nn.Dropout(),
            "softmax": nn.Softmax(1),
            "lrn": nn.LocalResponseNorm(a.get("size", 5)),
            "identity": nn.Identity(),
        }
        if kind in simple:
            return simple[kind]
        raise SystemExit(f"bench/forward.py: no torch layer for {kind}")

    from cnncalc.analysis import analyze

    report = analyze(network)
    shapes = {"input": network.input_shape, **{layer.name: layer.shape for layer in report.layers}}

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict()
            for node in network.nodes:
                if node.spec.type.merges:
                    continue
                in_shape = shapes[node.inputs[0]]
                self.layers[node.name.replace(".", "_")] = module(node, in_shape[0], in_shape)

        def forward(self, x):
            # Each value is dropped after its last reader, as a hand-written module's locals
            # would be: holding all of them would inflate torch's peak memory.
            values, readers = {"input": x}, dict(reads)
            for node in network.in_order():
                xs = [values[name] for name in node.inputs]
                kind = node.spec.type.name
                if kind == "add":
                    values[node.name] = sum(xs[1:], xs[0])
                elif kind == "concat":
                    values[node.name] = torch.cat(xs, 1)
                else:
                    values[node.name] = self.layers[node.name.replace(".", "_")](xs[0])
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
    engine, path = sys.argv[1], sys.argv[2]
    network = graph.build(spec.read(path))
    seconds = {"numpy": numpy_forward, "torch": torch_forward}[engine](network)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"engine": engine, "file": path, "seconds": seconds, "peak_bytes": peak}))
