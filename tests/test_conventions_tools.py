"""Each counting convention held to the tool's own output, to the digit (``make test-tools``).

The expected figures are the tools': each is installed (``pip install torchinfo thop
ptflops fvcore calflops``; calflops imports transformers and accelerate) and run on the
network built in PyTorch from the file (tests/tool_counts.py: every layer the module
interop/pytorch.py registers for its type, as ``cnncalc export --to pytorch`` writes it).
A tool that is not installed skips its tests, saying why. Checked, per network: the
tool's total, its parameter count, and every layer's figure; for torchinfo also the
memory lines of its summary. Where a tool fails on a network (calflops on one without
parameters), the convention must refuse it too.

Run with the versions the conventions were read from: torch 2.13, torchinfo 1.8.0,
thop 0.1.1.post2209072238, ptflops 0.7.5, fvcore 0.1.5.post20221221, calflops 0.3.2.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import pytest

pytest.importorskip("torch")

import tool_counts  # noqa: E402  (tests/ is on the path: conftest.py lives there)

from cnncalc import conventions  # noqa: E402
from cnncalc.errors import UsageError  # noqa: E402
from cnncalc.interop import pytorch  # noqa: E402
from cnncalc.layers.base import REGISTRY  # noqa: E402
from cnncalc.report import analyze  # noqa: E402

pytestmark = pytest.mark.torch
ROOT = Path(__file__).resolve().parent.parent
# The networks of issue 17, and one with transposed convolutions.
ZOO = [
    "architectures/torchvision/resnet18.yaml",
    "architectures/torchvision/resnet50.yaml",
    "architectures/torchvision/vgg16_bn.yaml",
    "architectures/torchvision/mobilenet_v2.yaml",
    "architectures/torchvision/densenet121.yaml",
    "architectures/torchvision/googlenet.yaml",
    "architectures/unet.yaml",
]
MODULES = {"torch": "torch.utils.flop_counter", "fvcore": "fvcore.nn", "thop": "thop", "ptflops": "ptflops"}
MODULES.update(torchinfo="torchinfo", calflops="calflops")


def need(tool: str) -> None:
    """Skips the test when ``tool`` does not import, with the import's own error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(MODULES[tool])
    except Exception as error:  # noqa: BLE001 (calflops fails with whatever transformers lacks)
        pytest.skip(f"{tool} does not import here ({type(error).__name__}: {error}); pip install it to run this check")


def agree(report, net, shape, tool: str, batch: int = 1):
    """The convention's count against the tool's run: total, params, every layer."""
    measured = tool_counts.TOOLS[tool](net, shape, batch)
    total, per_layer, params = measured[:3]
    counted = conventions.count(report, tool)
    assert counted.total == total, f"{tool} total"
    if params is not None:
        assert counted.params == params, f"{tool} params"
    wrong = [(layer.name, layer.count, per_layer[layer.name]) for layer in counted.layers]
    # ptflops' upsample hook gives a fraction of the batch, which it keeps as a float
    assert [w for w in wrong if float(w[1]) != w[2]] == [], f"{tool} per layer (name, cnncalc, tool)"
    return counted, measured


@pytest.fixture(scope="module")
def built():
    cache = {}

    def get(path):
        if path not in cache:
            cache[path] = tool_counts.torch_net(str(ROOT / path))
        return cache[path]

    return get


@pytest.mark.parametrize("tool", list(tool_counts.TOOLS))
@pytest.mark.parametrize("path", ZOO, ids=[Path(p).stem for p in ZOO])
def test_zoo_counted_as_the_tool_counts(path, tool, built):
    need(tool)
    net, shape, report = built(path)
    agree(report, net, shape, tool)


@pytest.mark.parametrize("path", ZOO, ids=[Path(p).stem for p in ZOO])
def test_torchinfo_memory_lines(path, built):
    # The lines after torchinfo's table, as it prints them (its ModelStatistics.__repr__).
    need("torchinfo")
    net, shape, report = built(path)
    counted, measured = agree(report, net, shape, "torchinfo")
    # torchinfo's unit is an enum that prints "Units.GIGABYTES" from Python 3.11 on: read as "G"
    printed = str(measured[3]).replace("Units.GIGABYTES", "G").replace("Units.MEGABYTES", "M")
    printed = printed.replace("Units.TERABYTES", "T").splitlines()
    ours = [f"{label}: {text}" for label, _, text in counted.extra]
    assert ours == [line for line in printed if line.split(":")[0] in {label for label, _, _ in counted.extra}]
    assert len(ours) == 8


def unique_types():
    seen, types = set(), []
    for layer_type in REGISTRY.values():
        if id(layer_type) not in seen and type(layer_type) not in pytorch.UNREPRESENTED:
            seen.add(id(layer_type))
            types.append(layer_type)
    return sorted(types, key=lambda t: t.name)


def type_cases():
    """Every layer type's examples (LayerType.examples), or the type alone on [4, 8, 8]; a
    PReLU appended, so that calflops (which needs a parameter) runs them too."""
    cases = []
    for layer_type in unique_types():
        for index, (shape, layers) in enumerate(layer_type.examples or [((4, 8, 8), f"[{layer_type.name}]")]):
            text = f"input: {json.dumps(list(shape))}\nlayers: {layers.rstrip().rstrip(']')}, prelu]\n"
            cases.append(pytest.param(text, id=f"{layer_type.name}-{index}"))
    return cases


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("text", type_cases())
def test_every_layer_type_as_each_tool_counts_it(text, batch):
    net, shape, _ = tool_counts.torch_net(text, text=True)
    from cnncalc import graph, source, spec

    report = analyze(graph.build(spec.parse(source.parse(text, "t.yaml"), "t.yaml")), batch)
    for tool in tool_counts.TOOLS:
        try:
            need(tool)
        except pytest.skip.Exception:
            continue
        try:
            tool_counts.TOOLS[tool](net, shape, batch)
        except tool_counts.ToolFailed:
            with pytest.raises(UsageError):
                conventions.count(report, tool)
            continue
        agree(report, net, shape, tool, batch)


def test_calflops_refuses_a_network_without_parameters():
    # calflops raises StopIteration on it (flops_counter.py: next(model.parameters()))
    need("calflops")
    text = "input: [3, 8, 8]\nlayers: [relu, maxpool: 2]\n"
    net, shape, report = tool_counts.torch_net(text, text=True)
    with pytest.raises(tool_counts.ToolFailed, match="StopIteration"):
        tool_counts.calflops_counts(net, shape)
    with pytest.raises(UsageError, match="no parameters"):
        conventions.count(report, "calflops")


def import_torchvision():
    import sys
    import types

    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    return pytest.importorskip("torchvision")


# torchvision's own modules, where they are the same network as the file's: ResNets and
# VGG write every layer as a module (the residual addition as `out += identity`, which no
# tool counts either way). MobileNet v2 and DenseNet-121 pool with a functional call (and
# DenseNet's last ReLU is F.relu), which the module-hook tools count differently;
# GoogLeNet's auxiliary heads run only in train mode. Those are held to the file's network.
SAME_AS_TORCHVISION = ["resnet18", "resnet50", "vgg16_bn"]


@pytest.mark.parametrize("tool", list(tool_counts.TOOLS))
@pytest.mark.parametrize("builder", SAME_AS_TORCHVISION)
def test_torchvision_models_themselves(builder, tool, built):
    need(tool)
    torchvision = import_torchvision()
    model = torchvision.models.get_model(builder, weights=None).eval()
    _, shape, report = built(f"architectures/torchvision/{builder}.yaml")
    total = tool_counts.model_total(tool, model, shape)
    assert conventions.count(report, tool).total == total
