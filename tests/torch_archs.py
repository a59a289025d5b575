"""Architectures described once, rendered to a cnncalc file and to PyTorch (tests/test_torch.py).

An architecture is an input shape and a list of :class:`Desc`: a name, a layer type, the
arguments exactly as they are written in the YAML file, and the names of its inputs. Every
reading of those arguments here is this module's own (the contract, shared/SPEC.md), never
cnncalc's: PyTorch modules are built from the descriptions, and the expected figures are
what PyTorch computes or what autograd measures.

- :func:`generate` draws a random architecture from a seed. Each proposed layer is built
  and run in PyTorch on the current tensor; proposals PyTorch refuses are drawn again, so
  the shapes that drive the generator are PyTorch's.
- :func:`build_model` / :func:`run_model` give each layer's module, output, parameter and
  buffer counts and MACs (from the module's attributes and the actual tensors).
- :func:`measure_fields` measures receptive fields with autograd on a float64 linear copy
  of the network: weights all ones, every element-wise or channel-mixing layer the
  identity, every window (max, average and power pooling) a sum over the same window, and
  every padding explicit. A first pass fills all padding with NaN: an output unit that
  stays finite never touches padding or a border (its field is unclipped). A second pass
  backpropagates from chosen clean units, one per batch element, and reads the support of
  the input gradient.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnncalc.errors import LayerError
from cnncalc.interop import pytorch
from cnncalc.layers import lookup
from cnncalc.layers.base import Args

MERGES = ("add", "concat", "mul")  # the merges random networks are built with
MERGE_TYPES = (*MERGES, "max", "weighted_sum")  # every merge a network may hold
WINDOWED = ("conv", "maxpool", "avgpool", "lppool")
GLOBAL_TYPES = ("flatten", "fc", "global_avgpool", "global_maxpool")
# The argument `TYPE: VALUE` sets (SPEC.md section 1).
PRIMARY = {
    "conv": "filters",
    "deconv": "filters",
    "maxpool": "kernel",
    "avgpool": "kernel",
    "lppool": "kernel",
    "fc": "units",
    "leaky_relu": "negative_slope",
    "prelu": "num_parameters",
    "elu": "alpha",
    "softplus": "beta",
    "lrn": "size",
    "dropout": "p",
    "pad": "padding",
    "upsample": "scale",
    "groupnorm": "groups",
    "channel_shuffle": "groups",
    "adaptive_avgpool": "size",
    "adaptive_maxpool": "size",
    "layer_scale": "init",
    "stochastic_depth": "p",
    "chunk": "chunks",
    "pixel_shuffle": "factor",
    "pixel_unshuffle": "factor",
    "pointwise_fc": "units",
    "attention": "heads",
    "select_token": "index",
    "to_map": "size",
}
# Nearest upsampling factors whose PyTorch index arithmetic is exact (1.1 and 2.2 are not:
# PyTorch computes floor(o * (1/scale)) in floating point).
SCALES = (2, 3, 0.5, 0.75, 1.25, 1.5, 1.75, 2.5)


@dataclass
class Desc:
    """One layer: ``args`` as written in the file; ``primary`` writes ``TYPE: VALUE``."""

    name: str
    type: str
    args: dict
    inputs: list
    primary: bool = False

    def get(self, key, default=None):
        return self.args.get(key, default)


@dataclass
class Arch:
    input: tuple
    layers: list
    title: str = "generated"
    tags: set = field(default_factory=set)

    @property
    def ndim(self) -> int:
        return len(self.input) - 1

    def yaml(self) -> str:
        return render_yaml(self)


# --- the file --------------------------------------------------------------------------------


def render_yaml(arch: Arch) -> str:
    lines = [f"name: {arch.title}", f"input: {json.dumps(list(arch.input))}", "layers:"]
    above = "input"
    for d in arch.layers:
        if d.type in MERGE_TYPES:  # the inputs, beside the other arguments if it has any
            value = json.dumps({"inputs": d.inputs, **d.args} if d.args else d.inputs)
        elif d.primary:
            value = json.dumps(d.args[PRIMARY[d.type]])
        elif d.args:
            value = json.dumps(d.args)
        else:
            value = ""
        lines.append(f"  - {d.type}: {value}".rstrip())
        lines.append(f"    name: {d.name}")
        if d.type not in MERGE_TYPES and d.inputs[0] != above:
            lines.append(f"    from: {d.inputs[0]}")
        above = d.name
    return "\n".join(lines) + "\n"


# --- reading the arguments (the contract's defaults) -----------------------------------------


def axes(value, nd: int) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * nd


def pad_pairs(padding, nd: int, kernel=None, dilation=None) -> tuple:
    """(before, after) per axis. ``same`` is only generated at stride 1, where PyTorch puts
    the odd pixel after (checked by test_torch.py: test_same_padding_placement)."""
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple(tuple(p) if isinstance(p, (list, tuple)) else (p, p) for p in axes(padding, nd))


def flat_pad(pairs) -> tuple:
    """F.pad's order: last axis first."""
    out = []
    for before, after in reversed(pairs):
        out += [before, after]
    return tuple(out)


def torch_pad_mode(mode: str) -> str:
    return {"zeros": "constant", "constant": "constant"}.get(mode, mode)


def window(d: Desc, nd: int):
    """kernel, stride, dilation per axis of a conv or pooling."""
    kernel = axes(d.args["kernel"], nd)
    default_stride = 1 if d.type == "conv" else kernel
    stride = axes(d.get("stride", default_stride), nd)
    dilation = axes(d.get("dilation", 1), nd)
    return kernel, stride, dilation


def kernel_fits(d: Desc, spatial) -> bool:
    nd = len(spatial)
    kernel, _, dilation = window(d, nd)
    pairs = pad_pairs(d.get("padding", 0), nd, kernel, dilation)
    return all(w + b + a >= dl * (k - 1) + 1 for w, (b, a), k, dl in zip(spatial, pairs, kernel, dilation))


# --- PyTorch: the real layers ----------------------------------------------------------------


class Real(nn.Module):
    """One layer in PyTorch: the module cnncalc's interpretation names (cnncalc/interop/
    pytorch.py, registered against the layer type), run here by PyTorch. Its MACs are read
    from the tensors its convolutions and linear maps actually see (SPEC.md section 2)."""

    def __init__(self, description):
        super().__init__()
        self.description = description
        self.module = pytorch.build(description, nn)
        self.counted = []
        for sub in self.module.modules():
            if isinstance(sub, (nn.modules.conv._ConvNd, nn.Linear)):
                sub.register_forward_hook(self._count)

    def _count(self, module, inputs, output):
        n = output.shape[0]
        if isinstance(module, nn.Linear):
            self.counted.append(output.numel() // n * module.in_features)
        elif module.transposed:
            x = inputs[0]
            self.counted.append(x.numel() // n * (module.out_channels // module.groups) * math.prod(module.kernel_size))
        else:
            taps = (module.in_channels // module.groups) * math.prod(module.kernel_size)
            self.counted.append(output.numel() // n * taps)

    def forward(self, xs):
        self.counted = []
        return self.module(*xs)

    @property
    def arrays(self) -> dict:
        """cnncalc's array name -> the module's parameter or buffer it is."""
        state = dict(self.module.named_parameters()) | dict(self.module.named_buffers())
        return {ours: state[theirs] for ours, theirs in self.description.arrays.items()}

    def params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def buffers_count(self) -> int:
        # The contract counts batchnorm's running mean and variance, not num_batches_tracked.
        return sum(b.numel() for n, b in self.named_buffers() if not n.endswith("num_batches_tracked"))

    def macs(self) -> int:
        return sum(self.counted)


def parsed(d: Desc):
    """``(layer type, argument values)`` of a description, each argument read by the kind the
    type declares for it (defaults filled in); a merge's inputs are its primary argument."""
    layer_type, _ = lookup(d.type)
    values = {}
    for arg in layer_type.args:
        if layer_type.merges and arg.name == layer_type.primary:
            values[arg.name] = tuple(d.inputs)
        elif arg.name in d.args:
            values[arg.name] = arg.kind.parse(d.args[arg.name])
        else:
            values[arg.name] = arg.default
    return layer_type, Args(values)


def build_real(d: Desc, shapes: list) -> Real:
    """The PyTorch layer for ``d``, given its input shapes (with the batch)."""
    layer_type, a = parsed(d)
    try:
        description = pytorch.describe(layer_type, a, tuple(tuple(s[1:]) for s in shapes))
    except (pytorch.NotRepresentable, LayerError) as error:
        raise ValueError(str(error)) from None
    return Real(description)


class Run:
    """The model built from the descriptions and run once on a batch of 1."""

    def __init__(self, arch: Arch, seed: int = 0):
        gen = torch.Generator().manual_seed(seed)
        self.modules = {}
        self.outputs = {"input": torch.randn((1, *arch.input), generator=gen)}
        with torch.no_grad():
            for d in arch.layers:
                xs = [self.outputs[name] for name in d.inputs]
                module = build_real(d, [x.shape for x in xs]).eval()
                self.modules[d.name] = module
                self.outputs[d.name] = module(xs)

    def shape(self, name) -> tuple:
        return tuple(self.outputs[name].shape[1:])


# --- receptive fields ------------------------------------------------------------------------


def _ones(*shape, like):
    return torch.ones(shape, dtype=like.dtype)


def _conv(x, w, stride, dilation, groups, nd):
    return getattr(F, f"conv{nd}d")(x, w, None, stride, 0, dilation, groups)


def rf_apply(d: Desc, xs: list, out_shape: tuple, pad_value: float):
    """``d`` in the linear float64 copy (see the module docstring); ``out_shape`` is the real
    layer's output shape without the batch (a pooling's ceil_mode is read from it)."""
    x = xs[0]
    nd = x.dim() - 2
    a = d.args
    t = d.type
    if t == "conv":
        kernel, stride, dilation = window(d, nd)
        pairs = pad_pairs(a.get("padding", 0), nd, kernel, dilation)
        x = F.pad(x, flat_pad(pairs), value=pad_value)
        groups = a.get("groups", 1)
        w = _ones(a["filters"], x.shape[1] // groups, *kernel, like=x)
        return _conv(x, w, stride, dilation, groups, nd)
    if t == "deconv":
        kernel = axes(a["kernel"], nd)
        stride = axes(a.get("stride", 1), nd)
        padding = axes(a.get("padding", 0), nd)
        extra = axes(a.get("output_padding", 0), nd)
        dilation = axes(a.get("dilation", 1), nd)
        groups = a.get("groups", 1)
        # Virtual input pixels around the input, cropped off again by a larger padding: an
        # output unit that reaches one of them would see a pixel beyond the border.
        margin = [-(-(dl * (k - 1) + e) // s) + 1 for k, s, dl, e in zip(kernel, stride, dilation, extra)]
        x = F.pad(x, flat_pad([(m, m) for m in margin]), value=pad_value)
        w = _ones(x.shape[1], a["filters"] // groups, *kernel, like=x)
        padding = tuple(p + m * s for p, m, s in zip(padding, margin, stride))
        return getattr(F, f"conv_transpose{nd}d")(x, w, None, stride, padding, extra, groups, dilation)
    if t in ("maxpool", "avgpool", "lppool"):
        kernel, stride, dilation = window(d, nd)
        if t != "maxpool":
            dilation = (1,) * nd
        pairs = pad_pairs(a.get("padding", 0), nd)
        out = out_shape[1:]
        spans = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation)]
        # ceil_mode's partial last window reaches past the input: padding there too.
        pairs = [
            (b, af + max(0, (o - 1) * s + span - (size + b + af)))
            for (b, af), o, s, span, size in zip(pairs, out, stride, spans, x.shape[2:])
        ]
        x = F.pad(x, flat_pad(pairs), value=pad_value)
        channels = x.shape[1]
        y = _conv(x, _ones(channels, 1, *kernel, like=x), stride, dilation, channels, nd)
        return y[(slice(None), slice(None), *(slice(0, o) for o in out))]
    if t in ("global_avgpool", "global_maxpool"):
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
    if t == "fc":
        x = x.flatten(1)
        return F.linear(x, _ones(a["units"], x.shape[1], like=x))
    if t == "flatten":
        return x.flatten(1)
    if t == "pad":
        return F.pad(x, flat_pad(pad_pairs(a["padding"], nd)), value=pad_value)
    if t == "upsample":
        scales = tuple(float(s) for s in axes(a["scale"], nd))
        return F.interpolate(x, scale_factor=scales, mode="nearest")
    if t in (
        "add",
        "mul",
        "max",
        "weighted_sum",
    ):  # a product's (a maximum's) support is the union of its inputs', as a sum's
        return sum(xs[1:], xs[0])
    if t == "concat":
        return torch.cat(xs, dim=1)
    return x  # element-wise, softmax, lrn, batchnorm, dropout: the same positions


def periods(arch: Arch) -> dict:
    """Per layer and spatial axis, ``(Q, shift)``: moving Q output units along the axis moves
    the field by ``shift`` input pixels (the field pattern repeats every Q units; a deconv
    of stride S has Q = S, nearest upsampling by a/b has Q = a). None for global layers."""
    nd = arch.ndim
    result = {"input": tuple((1, 1) for _ in range(nd))}
    for d in arch.layers:
        ins = [result[name] for name in d.inputs]
        if d.type in GLOBAL_TYPES or any(i is None for i in ins):
            result[d.name] = None
            continue
        if d.type in MERGE_TYPES:
            axes_ = []
            for axis in range(nd):
                q = math.lcm(*(i[axis][0] for i in ins))
                q_in, shift_in = ins[0][axis]
                axes_.append((q, q // q_in * shift_in))
            result[d.name] = tuple(axes_)
            continue
        if d.type in WINDOWED:
            steps = [(1, s) for s in window(d, nd)[1]]  # (units out, units in)
        elif d.type == "deconv":
            steps = [(s, 1) for s in axes(d.get("stride", 1), nd)]
        elif d.type == "upsample":
            steps = []
            for s in axes(d.args["scale"], nd):
                f = Fraction(s).limit_denominator(1000)
                steps.append((f.numerator, f.denominator))
        else:
            steps = [(1, 1)] * nd
        axes_ = []
        for (q, p), (q_in, shift_in) in zip(steps, ins[0]):
            g = math.gcd(p, q_in)
            axes_.append((q * q_in // g, p // g * shift_in))
        result[d.name] = tuple(axes_)
    return result


def _shift(mask, axis, k):
    """``out[u] = mask[u + k e_axis]`` (False past the end)."""
    out = np.zeros_like(mask)
    length = mask.shape[axis]
    if k < length:
        src = [slice(None)] * mask.ndim
        dst = [slice(None)] * mask.ndim
        src[axis], dst[axis] = slice(k, None), slice(0, length - k)
        out[tuple(dst)] = mask[tuple(src)]
    return out


def _shift_all(mask, axis, ks):
    out = np.ones_like(mask)
    for k in ks:
        out &= _shift(mask, axis, k)
    return out


@dataclass
class Measured:
    size: int
    jump: Fraction
    start: Fraction
    units: list  # the output units measured (coordinates along the axis)


def measure_fields(arch: Arch, run: Run) -> tuple:
    """``(measured, skipped)``: measured[name][axis] is a :class:`Measured`; skipped lists the
    (name, axis) of spatial layers with too few clean units to measure."""
    per = periods(arch)
    spatial = [d.name for d in arch.layers if per[d.name] is not None]

    def forward(x, pad_value):
        values = {"input": x}
        for d in arch.layers:
            values[d.name] = rf_apply(d, [values[n] for n in d.inputs], run.shape(d.name), pad_value)
            if tuple(values[d.name].shape[1:]) != run.shape(d.name):
                raise AssertionError(f"test helper: the linear copy of {d.name} has the wrong shape")
        return values

    with torch.no_grad():
        values = forward(torch.ones((1, *arch.input), dtype=torch.float64), float("nan"))
    clean = {name: torch.isfinite(values[name][0]).all(0).numpy() for name in spatial}
    # Units some input reaches (a deconv whose stride exceeds its kernel leaves gaps).
    reached = {name: (values[name][0] > 0).any(0).numpy() for name in spatial}

    probes, skipped = [], []  # (name, axis, [unit coordinate tuples])
    for name in spatial:
        mask = clean[name]
        center = (np.array(mask.shape) - 1) / 2
        for axis, (q, _) in enumerate(per[name]):
            # A base unit u: units u..u+2Q-1 along the axis are clean, and some unit of the
            # first period and its counterpart Q later are reached.
            ok = mask & _shift_all(mask, axis, range(1, 2 * q))
            pairs = np.zeros_like(mask)
            for k in range(q):
                pairs |= _shift(reached[name], axis, k) & _shift(reached[name], axis, k + q)
            ok &= pairs
            bases = np.argwhere(ok)
            if len(bases) == 0:
                skipped.append((name, axis))
                continue
            base = bases[np.argmin(np.abs(bases - center).sum(1))]
            units = []
            for k in range(2 * q):
                unit = list(int(c) for c in base)
                unit[axis] += k
                units.append(tuple(unit))
            probes.append((name, axis, units))

    measured = {}
    if not probes:
        return measured, skipped
    flat = [(name, unit) for name, _, units in probes for unit in units]
    x = torch.ones((len(flat), *arch.input), dtype=torch.float64, requires_grad=True)
    values = forward(x, 0.0)
    loss = sum(values[name][(b, slice(None), *unit)].sum() for b, (name, unit) in enumerate(flat))
    (grad,) = torch.autograd.grad(loss, x)
    support = (grad != 0).any(1).numpy()  # [probe, *input spatial]
    b = 0
    for name, axis, units in probes:
        q = len(units) // 2
        spans, centers = [], []  # None for a unit no input reaches (a deconv's stride > kernel)
        for _ in units:
            others = tuple(i for i in range(support.ndim - 1) if i != axis)
            hit = np.flatnonzero(support[b].any(axis=others) if others else support[b])
            b += 1
            spans.append(int(hit[-1] - hit[0] + 1) if len(hit) else None)
            centers.append(Fraction(int(hit[0] + hit[-1]), 2) if len(hit) else None)
        seen = [k for k in range(q) if centers[k] is not None]
        if not seen:
            raise AssertionError(f"test helper: no gradient reaches the input from {name}")
        jump = (centers[seen[0] + q] - centers[seen[0]]) / q
        coords = [unit[axis] for unit in units]
        start = sum(centers[k] - coords[k] * jump for k in seen) / len(seen)
        measured.setdefault(name, {})[axis] = Measured(max(spans[k] for k in seen), jump, start, coords[:q])
    return measured, skipped


# --- the random generator --------------------------------------------------------------------


class Refused(Exception):
    """A proposal PyTorch (or the size limits) refused; the generator draws another."""


class Generator:
    """Draws an architecture layer by layer, running each proposal in PyTorch."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        rng = self.rng
        self.nd = rng.choices([1, 2, 3], weights=[3, 4, 3])[0]
        channels = rng.randint(1, 4)
        if self.nd == 1:
            spatial = [rng.randint(12, 64)]
        elif self.nd == 2:
            h = rng.randint(8, 24)
            spatial = [h, h] if rng.random() < 0.6 else [h, rng.randint(8, 24)]
        else:
            spatial = [rng.randint(5, 10) for _ in range(3)]
        self.arch = Arch((channels, *spatial), [], f"seed{seed}")
        self.cap = {1: 128, 2: 40, 3: 14}[self.nd]
        self.tensors = {"input": torch.randn((1, *self.arch.input))}
        self.is_global = {"input": False}
        self.tip = "input"
        self.count = 0

    # -- plumbing --

    def shape(self, name=None) -> tuple:
        return tuple(self.tensors[name or self.tip].shape[1:])

    def try_add(self, type_, args, inputs=None, primary=False, tags=()):
        """Appends the layer if PyTorch accepts it; returns its name, or raises Refused."""
        inputs = inputs or [self.tip]
        name = f"{type_}{self.count + 1}"
        d = Desc(name, type_, args, list(inputs), primary)
        xs = [self.tensors[i] for i in inputs]
        try:
            with torch.no_grad():
                out = build_real(d, [x.shape for x in xs]).eval()(xs)
        except (RuntimeError, ValueError) as error:
            raise Refused(str(error)) from None
        if out.numel() > 20000 or out.numel() == 0 or any(s > self.cap for s in out.shape[2:]):
            raise Refused("too large")
        if type_ in WINDOWED and not kernel_fits(d, xs[0].shape[2:]):
            # PyTorch runs a ceil_mode pooling whose window is wider than the padded input
            # (one partial window); the contract makes that an error (SPEC.md section 2).
            raise Refused("kernel does not fit")
        self.count += 1
        self.arch.layers.append(d)
        self.arch.tags.update(tags)
        self.arch.tags.add(type_)
        self.tensors[name] = out
        self.is_global[name] = type_ in GLOBAL_TYPES or any(self.is_global[i] for i in inputs)
        self.tip = name
        return name

    def attempt(self, propose, tries=15, **kw):
        for _ in range(tries):
            try:
                return propose(**kw)
            except Refused:
                continue
        return self.try_add("relu", {})

    def axis_values(self, values, tag_list=None, tag=""):
        """One number for all axes, or a list with one per axis."""
        if len(set(values)) == 1 and self.rng.random() < 0.7:
            return values[0]
        if tag_list is not None:
            tag_list.append(tag)
        return list(values)

    def per_axis(self, low, high):
        nd = self.nd
        if self.rng.random() < 0.6:
            return [self.rng.randint(low, high)] * nd
        return [self.rng.randint(low, high) for _ in range(nd)]

    # -- layer proposals (spatial input) --

    def conv(self, src=None, filters=None, preserve=False, down=False):
        rng, nd = self.rng, self.nd
        channels = self.shape(src)[0]
        tags = [f"dim{nd}"]
        groups = 1
        r = rng.random()
        if filters is None:
            if r < 0.15:
                groups, filters = channels, channels * rng.choice([1, 1, 2])
                tags.append("conv:depthwise")
            elif r < 0.3:
                divisors = [g for g in range(2, channels + 1) if channels % g == 0]
                if divisors:
                    groups = rng.choice(divisors)
                    filters = groups * rng.randint(1, max(1, 8 // groups))
                    tags.append("conv:groups")
            filters = filters or rng.randint(1, 8)
        kmax = 3 if nd == 3 else 5
        kernel = self.per_axis(1, kmax)
        dilation = [1] * nd if rng.random() < 0.7 else self.per_axis(1, 3)
        stride = [1] * nd if rng.random() < 0.6 else self.per_axis(1, 3)
        if preserve or down:
            kernel = [rng.choice([1, 3, 5] if nd < 3 else [1, 3])] * nd
            stride = [2 if down else 1] * nd
            padding = [dl * (k - 1) // 2 for k, dl in zip(kernel, dilation)]
            padding = self.axis_values(padding)
            if preserve and rng.random() < 0.5:
                kernel = self.per_axis(1, kmax)
                padding = "same"
        else:
            style = rng.random()
            if style < 0.2 and set(stride) == {1}:
                padding = "same"
                tags.append("conv:same")
                if any(dl * (k - 1) % 2 for k, dl in zip(kernel, dilation)):
                    tags.append("conv:same-asymmetric")
            elif style < 0.3:
                padding = "valid"
                tags.append("conv:valid")
            elif style < 0.5:
                padding = [[rng.randint(0, 3), rng.randint(0, 3)] for _ in range(nd)]
                if rng.random() < 0.3:
                    padding[0] = rng.randint(0, 2)
                tags.append("conv:pairs")
            else:
                padding = self.axis_values(self.per_axis(0, 3), tags, "conv:padding-list")
        args = {"filters": filters}
        args["kernel"] = self.axis_values(kernel, tags, "conv:kernel-list")
        if set(stride) != {1} or rng.random() < 0.2:
            args["stride"] = self.axis_values(stride)
            if set(stride) != {1} and set(dilation) != {1}:
                tags.append("conv:dilation+stride")
        if padding != 0 or rng.random() < 0.2:
            args["padding"] = padding
        if set(dilation) != {1}:
            args["dilation"] = self.axis_values(dilation)
            tags.append("conv:dilation")
        if groups != 1:
            args["groups"] = groups
        if rng.random() < 0.3:
            args["bias"] = rng.random() < 0.5
            tags.append(f"conv:bias={args['bias']}")
        if rng.random() < 0.25 and padding not in (0, "valid"):
            args["padding_mode"] = rng.choice(["reflect", "replicate", "circular", "zeros"])
            tags.append(f"conv:{args['padding_mode']}")
        if rng.random() < 0.1:
            args["in_channels"] = channels
        primary = len(args) == 1
        return self.try_add("conv", args, [src] if src else None, primary, tags)

    def deconv(self):
        rng, nd = self.rng, self.nd
        channels = self.shape()[0]
        tags = [f"dim{nd}"]
        args = {"filters": rng.randint(1, 8)}
        kernel = self.per_axis(1, 4)
        stride = self.per_axis(1, 3)
        dilation = [1] * nd if rng.random() < 0.7 else self.per_axis(1, 2)
        args["kernel"] = self.axis_values(kernel)
        if set(stride) != {1} or rng.random() < 0.3:
            args["stride"] = self.axis_values(stride)
        if rng.random() < 0.6:
            args["padding"] = self.axis_values([rng.randint(0, dl * (k - 1)) for k, dl in zip(kernel, dilation)])
        if rng.random() < 0.4:
            extra = [rng.randint(0, max(s, dl) - 1) for s, dl in zip(stride, dilation)]
            if any(extra):
                args["output_padding"] = self.axis_values(extra)
                tags.append("deconv:output_padding")
        if set(dilation) != {1}:
            args["dilation"] = self.axis_values(dilation)
            tags.append("deconv:dilation")
        if rng.random() < 0.3:
            divisors = [g for g in range(2, channels + 1) if channels % g == 0]
            if divisors:
                groups = rng.choice(divisors)
                args["groups"] = groups
                args["filters"] = groups * rng.randint(1, max(1, 8 // groups))
                tags.append("deconv:groups")
        if rng.random() < 0.3:
            args["bias"] = rng.random() < 0.5
        if set(stride) != {1}:
            tags.append("deconv:stride")
        return self.try_add("deconv", args, None, len(args) == 1, tags)

    def pool(self, type_=None, src=None, down=False, preserve=False):
        rng, nd = self.rng, self.nd
        type_ = type_ or rng.choice(["maxpool", "maxpool", "avgpool", "lppool"])
        tags = [f"dim{nd}"]
        kernel = self.per_axis(1, 4 if nd < 3 else 3)
        args = {"kernel": self.axis_values(kernel)}
        if preserve or down:
            args = {"kernel": 3, "stride": 2 if down else 1, "padding": 1}
            if type_ == "avgpool" and rng.random() < 0.5:
                args["count_include_pad"] = False
            return self.try_add(type_, args, [src] if src else None, tags=tags)
        if rng.random() < 0.5:
            args["stride"] = self.axis_values([rng.randint(1, k) for k in kernel])
        if type_ != "lppool" and rng.random() < 0.5:
            args["padding"] = self.axis_values([rng.randint(0, k // 2) for k in kernel])
        if type_ == "maxpool" and rng.random() < 0.25:
            args["dilation"] = self.axis_values(self.per_axis(1, 2))
            tags.append("maxpool:dilation")
        if rng.random() < 0.4:
            args["ceil_mode"] = True
            tags.append(f"{type_}:ceil_mode")
        if type_ == "avgpool" and rng.random() < 0.4:
            args["count_include_pad"] = rng.random() < 0.5
            tags.append("avgpool:count_include_pad")
        if type_ == "lppool" and rng.random() < 0.6:
            args["norm"] = rng.choice([1, 2, 3, 2.0])
        return self.try_add(type_, args, [src] if src else None, len(args) == 1, tags)

    def pad(self):
        rng, nd = self.rng, self.nd
        mode = rng.choice(["zeros", "constant", "reflect", "replicate", "circular"])
        tags = [f"pad:{mode}"]
        r = rng.random()
        if r < 0.3:
            padding = rng.randint(0, 3)
        elif r < 0.5:
            padding = [rng.randint(0, 3) for _ in range(nd)]
        else:
            padding = [[rng.randint(0, 3), rng.randint(0, 3)] for _ in range(nd)]
            tags.append("pad:asymmetric")
        args = {"padding": padding}
        if mode != "zeros" or rng.random() < 0.3:
            args["mode"] = mode
        if mode == "constant" and rng.random() < 0.5:
            args["value"] = rng.choice([1, -0.5, 2.5])
        return self.try_add("pad", args, None, len(args) == 1, tags)

    def upsample(self):
        rng, nd = self.rng, self.nd
        scales = [rng.choice(SCALES)] * nd if rng.random() < 0.7 else [rng.choice(SCALES) for _ in range(nd)]
        tags = ["upsample:fractional" if any(s != int(s) for s in scales) else "upsample:integer"]
        args = {"scale": self.axis_values(scales)}
        if rng.random() < 0.3:
            args["mode"] = "nearest"
        return self.try_add("upsample", args, None, len(args) == 1, tags)

    def elementwise(self, flat=False):
        rng = self.rng
        channels = self.shape()[0]
        choice = rng.choice(
            [
                "relu",
                "relu",
                "leaky_relu",
                "prelu",
                "elu",
                "gelu",
                "sigmoid",
                "tanh",
                "softmax",
                "batchnorm",
                "batchnorm",
                "dropout",
                "lrn",
                "relu6",
                "selu",
                "silu",
                "hardswish",
                "hardsigmoid",
                "softplus",
                "log_softmax",
                "identity",
            ]
        )
        if choice == "lrn" and flat:
            choice = "relu"
        args, primary, tags = {}, False, []
        if choice == "leaky_relu" and rng.random() < 0.6:
            args, primary = {"negative_slope": rng.choice([0.01, 0.1, 0.2])}, rng.random() < 0.5
        elif choice == "prelu":
            n = rng.choice([1, channels])
            tags.append("prelu:C" if n == channels and n > 1 else "prelu:1")
            if n != 1 or rng.random() < 0.5:
                args, primary = {"num_parameters": n}, rng.random() < 0.5
        elif choice == "elu" and rng.random() < 0.5:
            args = {"alpha": rng.choice([0.5, 1.0, 2.0])}
        elif choice == "gelu" and rng.random() < 0.3:
            args = {"approximate": "tanh"}
        elif choice == "softplus" and rng.random() < 0.5:
            args = {"beta": 2}
        elif choice == "batchnorm" and rng.random() < 0.3:
            args = {"eps": 0.001, "momentum": 0.01}
        elif choice == "dropout":
            args, primary = {"p": rng.choice([0.1, 0.5])}, rng.random() < 0.7
        elif choice == "lrn":
            args, primary = {"size": rng.randint(1, 5)}, True
            if rng.random() < 0.4:
                args.update(alpha=0.001, beta=0.5, k=2)
                primary = False
        tags.append(f"{choice}:{'flat' if flat else f'dim{self.nd}'}")
        return self.try_add(choice, args, None, primary, tags)

    def spatial_layer(self):
        rng = self.rng
        kind = rng.choices(
            ["conv", "deconv", "pool", "pad", "upsample", "elementwise", "from"],
            weights=[22, 6, 14, 5, 4, 20, 3],
        )[0]
        if kind == "from":
            sources = [n for n, g in self.is_global.items() if not g and n != self.tip]
            if not sources:
                return self.attempt(self.conv)
            src = rng.choice(sources)
            self.arch.tags.add("from")
            return self.attempt(self.conv, src=src)
        return self.attempt(getattr(self, kind))

    # -- branches --

    def branch_block(self):
        rng = self.rng
        sources = [n for n, g in self.is_global.items() if not g]
        source = self.tip if rng.random() < 0.5 else rng.choice(sources)
        merge = rng.choice(MERGES)
        count = 3 if rng.random() < 0.3 else 2
        shape = self.shape(source)
        down = rng.random() < 0.3 and min(shape[1:]) >= 2
        width = rng.randint(1, 8)
        saved = (
            list(self.arch.layers),
            set(self.arch.tags),
            self.count,
            self.tip,
            dict(self.tensors),
            dict(self.is_global),
        )
        tips = []
        try:
            for b in range(count):
                self.tip = source
                if b == 0 and not down and rng.random() < 0.4 and (merge == "concat" or shape[0] == width):
                    tips.append(source)  # the shortcut: the source itself
                    continue
                for _ in range(rng.randint(0, 2)):
                    self.branch_op(preserve=True, width=width if merge == "add" else None)
                if down:
                    self.branch_op(down=True, width=width if merge == "add" else None)
                if merge == "add" and self.shape()[0] != width:
                    self.try_add("conv", {"filters": width, "kernel": 1})
                tips.append(self.tip)
            if len(set(tips)) < len(tips):
                raise Refused("the same input twice")
            self.tip = tips[-1]
            name = self.try_add(merge, {}, tips, tags=[f"merge:{merge}{count}"])
            if source != saved[3]:
                self.arch.tags.add("merge:from-input" if source == "input" else "merge:from-earlier")
            return name
        except Refused:
            self.arch.layers[:], self.arch.tags, self.count, self.tip, self.tensors, self.is_global = saved
            return None

    def branch_op(self, preserve=False, down=False, width=None):
        """A layer that keeps the spatial size, or one that halves it (ceil(W/2))."""
        rng = self.rng
        before = self.shape()
        if down:
            if rng.random() < 0.6:
                self.conv(filters=width or rng.randint(1, 8), down=True)
            else:
                self.pool(type_=rng.choice(["maxpool", "avgpool"]), down=True)
            expected = tuple(-(-s // 2) for s in before[1:])
        else:
            r = rng.random()
            if r < 0.5:
                self.conv(filters=width if rng.random() < 0.5 else rng.randint(1, 8), preserve=True)
            elif r < 0.7:
                self.pool(type_=rng.choice(["maxpool", "avgpool"]), preserve=True)
            else:
                self.elementwise()
            expected = before[1:]
        if self.shape()[1:] != expected:
            raise Refused("branch changed the spatial size")

    # -- the head --

    def head(self):
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            self.try_add(rng.choice(["global_avgpool", "global_maxpool"]), {}, tags=[f"global:dim{self.nd}"])
            if rng.random() < 0.3:
                self.try_add("conv", {"filters": rng.randint(1, 8), "kernel": 1}, tags=["conv:after-global"])
            if rng.random() < 0.5:
                self.try_add("flatten", {})
        elif r < 0.7:
            self.try_add("flatten", {}, tags=["flatten"])
        else:
            self.arch.tags.add("fc:non-flat")
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                units = rng.randint(1, 16)
                bias = rng.random() < 0.8
                self.try_add("fc", {"units": units} if bias else {"units": units, "bias": False}, primary=bias)
            else:
                self.attempt(self.elementwise, flat=len(self.shape()) == 1)
        if rng.random() < 0.3:
            self.try_add("softmax", {}, tags=["softmax:flat" if len(self.shape()) == 1 else f"softmax:dim{self.nd}"])


def generate(seed: int) -> Arch:
    g = Generator(seed)
    rng = g.rng
    body = rng.randint(3, 7) if g.nd == 3 else rng.randint(3, 9)
    for _ in range(body):
        if rng.random() < 0.18:
            if g.branch_block() is None:
                g.spatial_layer()
        else:
            g.spatial_layer()
    if rng.random() < 0.5:
        g.head()
    return g.arch


def chain(input_shape, *layers, title="handwritten") -> Arch:
    """A hand-written architecture: each layer ``(type, args)`` or ``(type, args, extra)``
    with extra keys ``name``, ``from`` (one name, or a list for merges), ``primary``."""
    arch = Arch(tuple(input_shape), [], title)
    above = "input"
    for i, layer in enumerate(layers):
        type_, args = layer[0], layer[1]
        extra = layer[2] if len(layer) > 2 else {}
        name = extra.get("name", f"{type_}{i + 1}")
        inputs = extra.get("from", above)
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        arch.layers.append(Desc(name, type_, dict(args), inputs, extra.get("primary", False)))
        above = name
    return arch
