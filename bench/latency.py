"""PyTorch CPU time of zoo networks, per layer and whole, for `make bench`'s time section.

    python bench/latency.py --rounds 10 architectures/vgg16.yaml architectures/resnet50.yaml

Each network is built from its file with cnncalc/interop/pytorch.py (torch only, no
torchvision), batch 1, eval mode, no autograd, all cores (``--threads``). This machine's two cores are
shared with other jobs, so one run says little: every round runs every network once
(networks interleaved, so a noisy minute falls on all of them alike), timing each layer's
module call and, in a separate pass, the whole forward; the minimum over the rounds is
kept for each layer and for the whole. Prints one JSON line per network:
``{"file", "forward": s, "layers": {name: s}}``.

The sum of the per-layer minima is each layer undisturbed; the whole forward's minimum
needs one undisturbed pass of the whole network, which on a busy machine the larger
networks rarely get. Both are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
from torch import nn

from cnncalc import graph, spec
from cnncalc.interop import pytorch
from cnncalc.report import analyze


class Network:
    """One file's network as torch modules, run in the file's order, each value dropped after
    its last reader (as a hand-written forward's locals would be)."""

    def __init__(self, path: str, batch: int = 1):
        self.path = path
        self.graph = graph.build(spec.read(path))
        report = analyze(self.graph)
        shapes = {"input": self.graph.input_shape, **{layer.name: layer.shape for layer in report.layers}}
        self.modules = {}
        for node in self.graph.nodes:
            description = pytorch.describe(node.spec.type, node.spec.args, tuple(shapes[name] for name in node.inputs))
            self.modules[node.name] = pytorch.build(description, nn).eval()
        self.order = list(self.graph.in_order())
        self.readers: dict = {}
        for node in self.graph.nodes:
            for name in node.inputs:
                self.readers[name] = self.readers.get(name, 0) + 1
        self.x = torch.randn(batch, *self.graph.input_shape)

    def train_step(self, optimizer) -> None:
        """One training step: forward, the gradient of the outputs' sum, Adam's update."""
        optimizer.zero_grad(set_to_none=True)
        values, readers = {"input": self.x}, dict(self.readers)
        outputs = []
        for node in self.order:
            values[node.name] = self.modules[node.name](*[values[name] for name in node.inputs])
            for name in node.inputs:
                readers[name] -= 1
                if not readers[name]:
                    del values[name]
            if not self.readers.get(node.name):
                outputs.append(values.pop(node.name))
        sum(output.sum() for output in outputs).backward()
        optimizer.step()

    def run(self, times: dict | None = None) -> None:
        """One forward; with ``times``, each layer's seconds kept there at their minimum."""
        values, readers = {"input": self.x}, dict(self.readers)
        clock = time.perf_counter
        for node in self.order:
            xs = [values[name] for name in node.inputs]
            module = self.modules[node.name]
            if times is None:
                values[node.name] = module(*xs)
            else:
                start = clock()
                values[node.name] = module(*xs)
                seconds = clock() - start
                if seconds < times.get(node.name, float("inf")):
                    times[node.name] = seconds
            del xs
            for name in node.inputs:
                readers[name] -= 1
                if not readers[name]:
                    del values[name]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--partial", help="Rewrite this file with the minima so far after every round.")
    parser.add_argument("--train", action="store_true", help="Time training steps (Adam) instead.")
    parser.add_argument("files", nargs="+")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    networks = [Network(path, options.batch) for path in options.files]
    if options.train:
        return train(networks, options.rounds)
    layers = {network.path: {} for network in networks}
    whole = {network.path: float("inf") for network in networks}
    with torch.inference_mode():
        for network in networks:
            network.run()  # warm-up: oneDNN makes its kernels on the first call
        for done in range(options.rounds):
            print(f"round {done + 1} of {options.rounds}", file=sys.stderr, flush=True)
            for network in networks:
                network.run(layers[network.path])
                start = time.perf_counter()
                network.run()
                whole[network.path] = min(whole[network.path], time.perf_counter() - start)
            if options.partial:
                with open(options.partial, "w") as file:
                    file.write(_lines(networks, whole, layers))
    sys.stdout.write(_lines(networks, whole, layers))
    sys.stdout.flush()


def train(networks, rounds: int) -> None:
    """Prints ``{"file", "step": s}`` per network: the fastest of ``rounds`` training steps.
    The modules stay in eval mode (batch statistics of one example are not defined), so a
    step is the training arithmetic: forward, backward, update."""
    optimizers = {network.path: torch.optim.Adam(_parameters(network)) for network in networks}
    best = {network.path: float("inf") for network in networks}
    for network in networks:
        network.train_step(optimizers[network.path])  # warm-up
    for done in range(rounds):
        print(f"round {done + 1} of {rounds}", file=sys.stderr, flush=True)
        for network in networks:
            start = time.perf_counter()
            network.train_step(optimizers[network.path])
            best[network.path] = min(best[network.path], time.perf_counter() - start)
    for network in networks:
        print(json.dumps({"file": network.path, "step": best[network.path]}))


def _parameters(network) -> list:
    return [p for module in network.modules.values() for p in module.parameters()]


def _lines(networks, whole: dict, layers: dict) -> str:
    return "".join(
        json.dumps({"file": network.path, "forward": whole[network.path], "layers": layers[network.path]}) + "\n"
        for network in networks
    )


if __name__ == "__main__":
    main()
