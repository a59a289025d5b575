"""Cross-checks against PyTorch: shapes, parameters, buffers, MACs and measured receptive fields.

Optional: skipped as a whole when torch is not installed (``make test-torch`` installs it).
Architectures come from a seeded generator (tests/torch_archs.py) and a few hand-written
corner cases. Each is described once, as a list of layers, and rendered both to a cnncalc
file and to PyTorch modules; the expected figures are PyTorch's (a forward pass on a batch
of 1) and autograd's (receptive fields measured on a linear float64 copy of the network),
never cnncalc's own arithmetic.

Receptive fields, per spatial axis, from the input-gradient support of clean output units
(units whose computation touches no padding and no border, so their field is unclipped):
size is the support's span, jump the distance between the supports' centers of units Q
apart divided by Q, start the mean over Q consecutive units o of center(o) - o * jump. Q
is the period of the field pattern along the axis (1 for convolutions and pooling; a
deconv of stride S makes it S, nearest upsampling by a/b makes it a), and size is the
largest span over the period: the definitions Deconv's docstring gives. Units no input
reaches (a deconv whose stride exceeds its kernel) are left out of the largest span and
the mean. Layers after flatten, fc or global pooling must report "global".
"""

from __future__ import annotations

import functools
import math

import pytest

torch = pytest.importorskip("torch")

import torch_archs  # noqa: E402
from torch_archs import Arch, Run, chain, generate, measure_fields, periods  # noqa: E402

from cnncalc import graph, source, spec  # noqa: E402
from cnncalc import report as reporting  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::UserWarning")]

# The tensors are tiny: a second thread only adds synchronisation, which costs dearly
# when the machine is busy.
torch.set_num_threads(1)

SEEDS = range(150)
TOLERANCE = 1e-9


def analyze(arch: Arch):
    text = arch.yaml()
    try:
        return reporting.analyze(graph.build(spec.parse(source.parse(text, "gen.yaml"), "gen.yaml")))
    except Exception as error:  # a file PyTorch runs must be one cnncalc reads
        pytest.fail(f"cnncalc refused a network PyTorch runs: {error}\n\n{text}")


@functools.cache
def generated(seed: int) -> Arch:
    return generate(seed)


def compare_figures(arch: Arch) -> list:
    """Shape, params, buffers and MACs of every layer; returns the disagreements."""
    report = analyze(arch)
    run = Run(arch)
    names = [layer.name for layer in report.layers]
    assert names == [d.name for d in arch.layers], f"layers out of order or renamed: {names}\n\n{arch.yaml()}"
    problems = []
    for layer in report.layers:
        module = run.modules[layer.name]
        expected = {
            "shape": run.shape(layer.name),
            "params": module.params(),
            "buffers": module.buffers_count(),
            "macs": module.macs(),
        }
        for key, value in expected.items():
            got = tuple(layer.shape) if key == "shape" else getattr(layer, key)
            if got != value:
                problems.append(f"{layer.name}: {key} cnncalc {got} != PyTorch {value}")
    return problems


def compare_fields(arch: Arch) -> tuple:
    """Receptive fields; returns (disagreements, number of axes measured)."""
    report = analyze(arch)
    run = Run(arch)
    per = periods(arch)
    measured, _skipped = measure_fields(arch, run)
    problems, checked = [], 0
    for layer in report.layers:
        field = layer.receptive_field
        if per[layer.name] is None:
            if field != "global":
                problems.append(f"{layer.name}: receptive field cnncalc {field} != global")
            continue
        if field == "global":
            problems.append(f"{layer.name}: cnncalc says global, but it is a spatial layer")
            continue
        for axis, m in measured.get(layer.name, {}).items():
            checked += 1
            for key in ("size", "jump", "start"):
                got, want = getattr(field, key)[axis], getattr(m, key)
                if abs(float(got) - float(want)) > TOLERANCE:
                    problems.append(
                        f"{layer.name}: axis {axis} {key} cnncalc {got} != measured {_show(want)} "
                        f"(units {m.units[0]}..{m.units[-1]})"
                    )
    return problems, checked


def _show(value):
    if isinstance(value, int) or value.denominator == 1:
        return str(int(value))
    return f"{value} ({float(value):g})"


def fail_on(problems: list, arch: Arch) -> None:
    if problems:
        pytest.fail("\n".join(problems) + "\n\n" + arch.yaml(), pytrace=False)


# --- the random architectures ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_random_figures(seed):
    arch = generated(seed)
    fail_on(compare_figures(arch), arch)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_receptive_fields(seed):
    arch = generated(seed)
    problems, _ = compare_fields(arch)
    fail_on(problems, arch)


def test_generator_covers_every_layer_type():
    """Guards the generator: every layer type and option of SPEC.md's table turns up."""
    tags = set()
    for seed in SEEDS:
        tags |= generated(seed).tags
    wanted = {
        "dim1",
        "dim2",
        "dim3",
        "conv:depthwise",
        "conv:groups",
        "conv:same",
        "conv:same-asymmetric",
        "conv:valid",
        "conv:pairs",
        "conv:padding-list",
        "conv:kernel-list",
        "conv:dilation",
        "conv:dilation+stride",
        "conv:bias=False",
        "conv:bias=True",
        "conv:reflect",
        "conv:replicate",
        "conv:circular",
        "conv:zeros",
        "deconv",
        "deconv:stride",
        "deconv:output_padding",
        "deconv:dilation",
        "deconv:groups",
        "maxpool",
        "maxpool:ceil_mode",
        "maxpool:dilation",
        "avgpool",
        "avgpool:ceil_mode",
        "avgpool:count_include_pad",
        "lppool",
        "lppool:ceil_mode",
        "global_avgpool",
        "global_maxpool",
        "fc",
        "fc:non-flat",
        "flatten",
        "prelu:1",
        "prelu:C",
        "pad:zeros",
        "pad:constant",
        "pad:reflect",
        "pad:replicate",
        "pad:circular",
        "pad:asymmetric",
        "upsample:integer",
        "upsample:fractional",
        "merge:add2",
        "merge:add3",
        "merge:concat2",
        "merge:concat3",
        "merge:from-earlier",
        "from",
    }
    wanted |= {f"{t}:dim{n}" for t in ("relu", "batchnorm", "softmax") for n in (1, 2, 3)}
    wanted |= {f"{t}:dim2" for t in ("leaky_relu", "elu", "gelu", "sigmoid", "tanh", "lrn", "dropout")}
    wanted |= {"batchnorm:flat", "softmax:flat", "relu:flat", "merge:from-input"}
    assert not wanted - tags, f"never generated: {sorted(wanted - tags)}"


def test_receptive_fields_are_measured_often():
    """Guards the measurement: most spatial layers have clean units to measure."""
    measured = spatial = 0
    for seed in SEEDS[::5]:
        arch = generated(seed)
        per = periods(arch)
        fields, _ = measure_fields(arch, Run(arch))
        spatial += sum(arch.ndim for d in arch.layers if per[d.name] is not None)
        measured += sum(len(axes) for axes in fields.values())
    assert measured >= 0.6 * spatial, (measured, spatial)


# --- hand-written corners --------------------------------------------------------------------

CASES = {
    # ceil_mode: the last window would start in the right padding, so PyTorch drops it.
    "ceil-drop-1d": chain([1, 5], ("maxpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True})),
    "ceil-keep-1d": chain([1, 6], ("maxpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True})),
    "ceil-drop-2d-avg": chain(
        [2, 5, 7],
        ("avgpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ),
    "ceil-drop-3d": chain([1, 5, 5, 6], ("maxpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True})),
    "ceil-dilated": chain(
        [1, 11], ("maxpool", {"kernel": 3, "stride": 3, "padding": 1, "dilation": 2, "ceil_mode": True})
    ),
    "ceil-lppool": chain([2, 7, 9], ("lppool", {"kernel": 2, "stride": 2, "ceil_mode": True})),
    # same padding with an even kernel: the odd pixel goes after.
    "same-even": chain(
        [1, 9, 10],
        ("conv", {"filters": 2, "kernel": 4, "padding": "same"}),
        ("conv", {"filters": 2, "kernel": [2, 4], "dilation": [3, 1], "padding": "same"}),
    ),
    "same-even-reflect": chain(
        [2, 12], ("conv", {"filters": 3, "kernel": 4, "padding": "same", "padding_mode": "reflect"})
    ),
    # dilation with stride.
    "dilation-stride": chain(
        [2, 41],
        ("conv", {"filters": 3, "kernel": 3, "stride": 2, "dilation": 2, "padding": 1}),
        ("conv", {"filters": 3, "kernel": 3, "stride": 2, "dilation": 3}),
        ("maxpool", {"kernel": 2, "stride": 2, "dilation": 2}),
    ),
    "dilation-stride-2d": chain(
        [1, 24, 20], ("conv", {"filters": 2, "kernel": [3, 2], "stride": [2, 3], "dilation": [2, 3], "padding": 2})
    ),
    # depthwise (and depthwise with a channel multiplier) then pointwise.
    "depthwise": chain(
        [4, 12, 12],
        ("conv", {"filters": 4, "kernel": 3, "groups": 4, "padding": 1, "bias": False}),
        ("conv", {"filters": 8, "kernel": 3, "groups": 4, "padding": 1}),
        ("conv", {"filters": 5, "kernel": 1}),
    ),
    # deconv with output_padding (from the stride, and from the dilation at stride 1).
    "deconv-output-padding": chain(
        [3, 8, 8], ("deconv", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1})
    ),
    "deconv-output-padding-dilation": chain(
        [2, 9], ("deconv", {"filters": 2, "kernel": 3, "dilation": 2, "output_padding": 1})
    ),
    "conv-deconv": chain(
        [1, 20],
        ("conv", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}),
        ("deconv", {"filters": 1, "kernel": 4, "stride": 2, "padding": 1}),
    ),
    # reflect padding as wide as the contract allows (W - 1).
    "reflect-w-minus-1": chain([1, 5, 6], ("pad", {"padding": [4, 5], "mode": "reflect"})),
    "reflect-w-minus-1-pairs": chain([2, 7], ("pad", {"padding": [[6, 6]], "mode": "reflect"})),
    "circular-w": chain([1, 4, 4], ("pad", {"padding": [[4, 0], [0, 4]], "mode": "circular"})),
    # nearest upsampling.
    "upsample-2": chain([1, 16], ("upsample", {"scale": 2}, {"primary": True})),
    "upsample-1.5": chain([1, 16], ("upsample", {"scale": 1.5}, {"primary": True})),
    "upsample-then-conv": chain(
        [1, 16], ("upsample", {"scale": 2}, {"primary": True}), ("conv", {"filters": 1, "kernel": 3, "padding": 1})
    ),
    "deconv-then-conv": chain(
        [1, 16],
        ("deconv", {"filters": 1, "kernel": 3, "stride": 2}),
        ("conv", {"filters": 1, "kernel": 2}),
    ),
    # Fractional jumps made whole again by a stride: every unit alike, so no averaging.
    "deconv-then-stride": chain(
        [1, 8],
        ("deconv", {"filters": 1, "kernel": 2, "stride": 2}),
        ("conv", {"filters": 1, "kernel": 1, "stride": 2}),
    ),
    "upsample-then-stride": chain(
        [1, 8], ("upsample", {"scale": 2}, {"primary": True}), ("conv", {"filters": 1, "kernel": 2, "stride": 2})
    ),
    # a deconv whose stride exceeds its kernel: some output units see no input at all.
    "deconv-gaps": chain(
        [2, 6, 7], ("deconv", {"filters": 2, "kernel": [1, 2], "stride": 3}), ("conv", {"filters": 1, "kernel": 2})
    ),
    # a residual block (stride-2 shortcut) and an inception-style concat.
    "residual": chain(
        [3, 16, 16],
        ("conv", {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "bias": False}, {"name": "c1"}),
        ("batchnorm", {}, {"name": "bn1"}),
        ("relu", {}, {"name": "r1"}),
        ("conv", {"filters": 8, "kernel": 3, "padding": 1, "bias": False}, {"name": "c2"}),
        ("batchnorm", {}, {"name": "bn2"}),
        ("conv", {"filters": 8, "kernel": 1, "stride": 2, "bias": False}, {"name": "short", "from": "input"}),
        ("add", {}, {"name": "sum", "from": ["bn2", "short"]}),
        ("relu", {}, {"name": "out"}),
    ),
    "inception": chain(
        [4, 14, 14],
        ("conv", {"filters": 2, "kernel": 1}, {"name": "b1"}),
        ("conv", {"filters": 3, "kernel": 5, "padding": "same"}, {"name": "b2", "from": "input"}),
        ("maxpool", {"kernel": 3, "stride": 1, "padding": 1}, {"name": "b3a", "from": "input"}),
        ("conv", {"filters": 2, "kernel": 1}, {"name": "b3"}),
        ("concat", {}, {"name": "cat", "from": ["b1", "b2", "b3"]}),
    ),
    # the head: fc on a non-flat input, global pooling, batchnorm on features.
    "head": chain(
        [2, 10, 10],
        ("conv", {"filters": 4, "kernel": 3}),
        ("fc", {"units": 6}, {"primary": True}),
        ("batchnorm", {}),
        ("prelu", {"num_parameters": 6}),
        ("fc", {"units": 3, "bias": False}),
        ("softmax", {}),
    ),
    "global-head": chain(
        [3, 6, 6, 6],
        ("conv", {"filters": 4, "kernel": 3, "padding": 1}),
        ("global_maxpool", {}),
        ("conv", {"filters": 2, "kernel": 1}),
        ("flatten", {}),
        ("fc", {"units": 5}),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corner_figures(case):
    fail_on(compare_figures(CASES[case]), CASES[case])


@pytest.mark.parametrize("case", sorted(CASES))
def test_corner_receptive_fields(case):
    problems, _ = compare_fields(CASES[case])
    fail_on(problems, CASES[case])


# --- the measuring instruments themselves ----------------------------------------------------


def test_same_padding_placement():
    """torch_archs.pad_pairs puts the odd pixel of ``same`` after, as PyTorch does."""
    gen = torch.Generator().manual_seed(0)
    for kernel, dilation in ((4, 1), (2, 3), (4, 2), (3, 2)):
        conv = torch.nn.Conv1d(1, 1, kernel, padding="same", dilation=dilation, bias=False)
        x = torch.randn(1, 1, 9, generator=gen)
        pairs = torch_archs.flat_pad(torch_archs.pad_pairs("same", 1, (kernel,), (dilation,)))
        explicit = torch.nn.functional.conv1d(torch.nn.functional.pad(x, pairs), conv.weight, dilation=dilation)
        assert torch.allclose(conv(x), explicit)


def test_measurement_on_known_fields():
    """The measurer on fields known from first principles (no cnncalc involved)."""
    arch = chain(
        [1, 40],
        ("conv", {"filters": 1, "kernel": 3, "stride": 2, "padding": 1}),
        ("conv", {"filters": 1, "kernel": 3, "stride": 2, "padding": 1}),
        ("deconv", {"filters": 1, "kernel": 2, "stride": 2}),
    )
    fields, _ = measure_fields(arch, Run(arch))
    first, second, third = (fields[d.name][0] for d in arch.layers)
    # unit o of the first conv sees pixels 2o-1..2o+1; of the second, 4o-3..4o+3.
    assert (first.size, first.jump, first.start) == (3, 2, 0)
    assert (second.size, second.jump, second.start) == (7, 4, 0)
    # deconv 2/2: units 2i and 2i+1 both see exactly what unit i of the second conv saw.
    assert (third.size, third.jump) == (7, 2)
    assert third.start == (0 + (0 - 2)) / 2  # centers 4i at units 2i (0) and 2i+1 (-2)
    assert math.isclose(third.start, -1)
