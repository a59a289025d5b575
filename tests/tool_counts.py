"""What the counting tools themselves report, layer by layer, on a network built in PyTorch.

A helper of tests/test_conventions_tools.py (and of anyone checking a convention by hand),
not a test module: it imports torch. The network is the one ``cnncalc export --to
pytorch`` writes: every layer the module ``interop/pytorch.py`` registers for its type,
run in the file's order (:func:`torch_net`). Each ``*_counts`` function runs one tool as
its documentation says to call it and returns ``(total, per_layer, params)``:

- ``total``: the tool's own headline figure, as the tool returns it;
- ``per_layer``: the figure of each cnncalc layer, read from the tool's own per-module
  records (the module of layer ``i`` is ``layers.i``); where a tool counts calls it does
  not attribute to a module (ptflops' patched functionals), they are attributed to the
  layer whose module was running, which is how the tool's total is made up;
- ``params``: the tool's parameter count (None where it has none).

Nothing here reads cnncalc's conventions: the expected figures come from the tools.
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
import warnings

import torch
from torch import nn

from cnncalc import graph as graphs
from cnncalc import spec
from cnncalc.interop import pytorch
from cnncalc.report import analyze

# ptflops imports torchvision when it is there; a CUDA build of torchvision fails to load
# its compiled ops on a CPU machine unless this module of it is stood in for (as
# test_zoo_torchvision does), and ptflops' checks were then skipped without a word.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))


class Net(nn.Module):
    """The layers of a cnncalc graph as ``self.layers[i]``, run in the file's order."""

    def __init__(self, graph, report):
        super().__init__()
        shapes = {"input": tuple(graph.network.input)}
        shapes.update({layer.name: tuple(layer.shape) for layer in report.layers})
        self.layers = nn.ModuleList()
        self.plan = []
        for node in graph.in_order():
            inputs = tuple(shapes[name] for name in node.inputs)
            self.layers.append(pytorch.build(pytorch.describe(node.spec.type, node.spec.args, inputs)))
            self.plan.append((node.name, node.inputs))
        self.names = [name for name, _ in self.plan]

    def forward(self, x):
        values = {"input": x}
        for module, (name, inputs) in zip(self.layers, self.plan):
            values[name] = module(*(values[i] for i in inputs))
        return values[self.plan[-1][0]]


def torch_net(path_or_text: str, text: bool = False):
    """``(net, input shape, report)`` for a file (or YAML text), the net in eval mode."""
    if text:
        from cnncalc import source

        graph = graphs.build(spec.parse(source.parse(path_or_text, "t.yaml"), "t.yaml"))
    else:
        graph = graphs.build(spec.read(path_or_text))
    report = analyze(graph)
    torch.manual_seed(0)
    return Net(graph, report).eval(), tuple(graph.network.input), report


def _inputs(shape, batch):
    return torch.randn(batch, *shape)


def torch_counts(net, shape, batch=1):
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net(_inputs(shape, batch))
    counts = counter.get_flop_counts()
    per_layer = {}
    for index, name in enumerate(net.names):
        per_layer[name] = sum(counts.get(f"Net.layers.{index}", {}).values())
    return counter.get_total_flops(), per_layer, sum(p.numel() for p in net.parameters())


def fvcore_counts(net, shape, batch=1):
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(net, (_inputs(shape, batch),))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_module = analysis.by_module()
        total = analysis.total()
    per_layer = {name: by_module.get(f"layers.{index}", 0) for index, name in enumerate(net.names)}
    return total, per_layer, None


def thop_counts(net, shape, batch=1):
    from thop import profile

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total, params, info = profile(net, inputs=(_inputs(shape, batch),), verbose=False, ret_layer_info=True)
    layers = info["layers"][2]
    per_layer = {name: layers[str(index)][0] for index, name in enumerate(net.names)}
    return total, per_layer, params


def ptflops_counts(net, shape, batch=1):
    """ptflops' total from get_model_complexity_info; per layer, its module hooks (as it
    prints them) plus the patched functionals and tensor ops called inside the layer."""
    from ptflops import get_model_complexity_info, pytorch_engine

    calls = []  # (layer index, flops) of functional calls, attributed by the running layer
    running = [None]
    original_wrapper_call = pytorch_engine.torch_function_wrapper.__call__

    def wrapper_call(self, *args, **kwargs):
        before = len(self.collector)
        result = original_wrapper_call(self, *args, **kwargs)
        calls.extend((running[0], flops) for flops in self.collector[before:])
        return result

    handles = []
    for index, module in enumerate(net.layers):
        handles.append(module.register_forward_pre_hook(lambda m, i, index=index: running.__setitem__(0, index)))
        handles.append(module.register_forward_hook(lambda m, i, o: running.__setitem__(0, None)))
    per_module = {}

    def read_modules(model, *args, **kwargs):
        for index, module in enumerate(net.layers):
            per_module[index] = _module_flops(module, pytorch_engine) / model.__batch_counter__
        return original_print(model, *args, **kwargs)

    original_print = pytorch_engine.print_model_with_flops
    pytorch_engine.torch_function_wrapper.__call__ = wrapper_call
    pytorch_engine.print_model_with_flops = read_modules
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            total, params = get_model_complexity_info(
                net,
                tuple(shape),
                input_constructor=(lambda res: torch.randn(batch, *res)) if batch != 1 else None,
                as_strings=False,
                print_per_layer_stat=True,
                ost=io.StringIO(),
            )
    finally:
        pytorch_engine.torch_function_wrapper.__call__ = original_wrapper_call
        pytorch_engine.print_model_with_flops = original_print
        for handle in handles:
            handle.remove()
    per_layer = {}
    for index, name in enumerate(net.names):
        functional = sum(flops for layer, flops in calls if layer == index)
        per_layer[name] = per_module[index] + functional
    return total, per_layer, params


def _module_flops(module, engine) -> int:
    """ptflops' accumulate_flops: a supported module's own count, else its children's."""
    if engine.is_supported_instance(module):
        return module.__flops__
    return sum(_module_flops(child, engine) for child in module.children())


def torchinfo_counts(net, shape, batch=1):
    """torchinfo's Total mult-adds; per layer, the mult-adds of the layer's leaf modules.
    Also returns the summary, whose other lines the tests read."""
    from torchinfo import summary

    stats = summary(net, input_size=(batch, *shape), verbose=0, depth=10)
    per_layer = dict.fromkeys(net.names, 0)
    ids = {}
    for index, module in enumerate(net.layers):
        for sub in module.modules():
            ids[id(sub)] = net.names[index]
    for info in stats.summary_list:
        if info.is_leaf_layer and info.layer_id in ids:
            per_layer[ids[info.layer_id]] += info.macs
    return stats.total_mult_adds, per_layer, stats.total_params, stats


class ToolFailed(Exception):
    """The tool itself raised, or refused the model: what cnncalc's convention refuses too."""


def calflops_counts(net, shape, batch=1):
    """calflops' FLOPs (its headline); per layer the FLOPs of the layer's module. calflops
    leaves torch's functions patched when the model raises inside it, so they are put
    back here before ToolFailed is raised."""
    from calflops import calculate_flops, calculate_pipline
    from calflops.pytorch_ops import _reload_functionals, _reload_tensor_methods
    from calflops.utils import get_module_flops

    per_layer = {}
    original_end = calculate_pipline.CalFlopsPipline.end_flops_calculate

    def read_then_end(self):
        for index, module in enumerate(net.layers):
            per_layer[net.names[index]] = get_module_flops(module)
        return original_end(self)

    calculate_pipline.CalFlopsPipline.end_flops_calculate = read_then_end
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flops, macs, params = calculate_flops(
                net, input_shape=(batch, *shape), output_as_string=False, print_results=False
            )
    except Exception as error:
        import torch.nn.functional as F

        if hasattr(F.relu, "__str__") and F.relu is not calculate_pipline.old_functions.get(F.relu.__str__, F.relu):
            _reload_functionals(calculate_pipline.old_functions)
            _reload_tensor_methods(calculate_pipline.old_functions)
        raise ToolFailed(f"calflops: {type(error).__name__}: {error}") from error
    finally:
        calculate_pipline.CalFlopsPipline.end_flops_calculate = original_end
    return flops, per_layer, params


TOOLS = {
    "torch": torch_counts,
    "fvcore": fvcore_counts,
    "thop": thop_counts,
    "ptflops": ptflops_counts,
    "torchinfo": torchinfo_counts,
    "calflops": calflops_counts,
}


def model_total(tool: str, model, shape, batch: int = 1):
    """The tool's headline figure for any model (a torchvision one), as its docs call it."""
    x = _inputs(shape, batch)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if tool == "torch":
            from torch.utils.flop_counter import FlopCounterMode

            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                model(x)
            return counter.get_total_flops()
        if tool == "fvcore":
            from fvcore.nn import FlopCountAnalysis

            analysis = FlopCountAnalysis(model, (x,))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return analysis.total()
        if tool == "thop":
            from thop import profile

            return profile(model, inputs=(x,), verbose=False)[0]
        if tool == "ptflops":
            from ptflops import get_model_complexity_info

            return get_model_complexity_info(model, tuple(shape), as_strings=False, print_per_layer_stat=False)[0]
        if tool == "torchinfo":
            from torchinfo import summary

            return summary(model, input_size=(batch, *shape), verbose=0).total_mult_adds
        if tool == "calflops":
            from calflops import calculate_flops

            return calculate_flops(model, input_shape=(batch, *shape), output_as_string=False, print_results=False)[0]
    raise KeyError(tool)
