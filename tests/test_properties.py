"""Property: on random valid architectures, the report equals what the executor measures.

Hypothesis draws networks (1-D and 2-D, every layer family, branches merged by add and
concat); files the engine rejects are discarded. For every layer, shape, parameters,
buffers, MACs and the probe's receptive field must equal the report's.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc import graph, source, spec
from cnncalc.errors import SpecError
from cnncalc.verify import verify_graph


def windowed(draw, ndim):
    kernel = draw(st.integers(1, 3))
    return {
        "kernel": kernel,
        "stride": draw(st.integers(1, 2)),
        "padding": draw(st.sampled_from([0, 1, "same", [[0, 1]] * ndim])),
    }


@st.composite
def layer(draw, ndim):
    kind = draw(
        st.sampled_from(
            [
                "conv",
                "conv_groups",
                "deconv",
                "local",
                "maxpool",
                "avgpool",
                "lppool",
                "pad",
                "upsample",
                "batchnorm",
                "relu",
                "prelu",
                "lrn",
                "sigmoid",
                "softmax",
                "dropout",
            ]
        )
    )
    if kind == "conv":
        args = {"filters": draw(st.integers(1, 4)), **windowed(draw, ndim), "dilation": draw(st.integers(1, 2))}
        return {"conv": args}
    if kind == "conv_groups":
        return {"conv": {"filters": 4, "kernel": 3, "padding": 1, "groups": 2}}
    if kind == "deconv":
        stride = draw(st.integers(1, 3))
        return {
            "deconv": {
                "filters": draw(st.integers(1, 3)),
                "kernel": draw(st.integers(1, 4)),
                "stride": stride,
                "padding": draw(st.integers(0, 1)),
                "output_padding": draw(st.integers(0, stride - 1)),
            }
        }
    if kind == "local":
        return {"local": {"filters": 2, "kernel": draw(st.integers(1, 3)), "stride": draw(st.integers(1, 2))}}
    if kind in ("maxpool", "avgpool"):
        return {
            kind: {
                "kernel": draw(st.integers(1, 3)),
                "stride": draw(st.integers(1, 2)),
                "ceil_mode": draw(st.booleans()),
            }
        }
    if kind == "lppool":
        return {"lppool": {"kernel": 2, "norm": 2}}
    if kind == "pad":
        return {
            "pad": {
                "padding": [[draw(st.integers(0, 2)), draw(st.integers(0, 2))]] * ndim,
                "mode": draw(st.sampled_from(["zeros", "replicate", "circular"])),
            }
        }
    if kind == "upsample":
        return {"upsample": draw(st.sampled_from([2, 3, 1.5]))}
    if kind == "lrn":
        return {"lrn": draw(st.integers(1, 4))}
    return kind


@st.composite
def architectures(draw):
    ndim = draw(st.sampled_from([1, 2]))
    size = draw(st.integers(8, 16))
    lines = [f"input: [{draw(st.integers(1, 3))}, {', '.join([str(size)] * ndim)}]", "layers:"]
    count = draw(st.integers(1, 5))
    for index in range(count):
        item = draw(layer(ndim))
        if isinstance(item, dict):
            ((kind, args),) = item.items()
            lines.append(f"  - {kind}: {_flow(args)}")
        else:
            lines.append(f"  - {item}:")
        lines.append(f"    name: l{index}")
    if count >= 2 and draw(st.booleans()):
        merge = draw(st.sampled_from(["add", "concat"]))
        lines.append(f"  - {{conv: {{filters: 2, kernel: 1}}, name: side, from: l{draw(st.integers(0, count - 2))}}}")
        lines.append(f"  - {{conv: {{filters: 2, kernel: 1}}, name: main, from: l{count - 1}}}")
        lines.append(f"  - {merge}: [main, side]")
    if draw(st.booleans()):
        lines += ["  - flatten", "  - fc: 3"]
    return "\n".join(lines) + "\n"


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(architectures())
def test_report_equals_what_the_executor_measures(text):
    try:
        network = graph.build(spec.parse(source.parse(text, "gen.yaml"), "gen.yaml"))
        result = verify_graph(network, batch=2)
    except SpecError:
        assume(False)  # a combination the engine rightly refuses (kernel too large, shapes unequal)
        return
    assert result.mismatches == [], (text, [tuple(c) for c in result.mismatches])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(architectures())
def test_writing_into_dead_arrays_changes_no_value(text):
    # The executor lets a layer write into an input no later layer reads (Kernels.into);
    # keeping every output turns that off. Both runs, same seed, must give the same values.
    import numpy as np

    from cnncalc.analysis import propagate
    from cnncalc.executor import execute

    try:
        network = graph.build(spec.parse(source.parse(text, "gen.yaml"), "gen.yaml"))
        propagate(network)  # refuses what the engine refuses (the executor assumes valid shapes)
        last = network.nodes[-1].name
        fast = execute(network, batch=2, keep=(last,)).outputs[last]
    except SpecError:
        assume(False)
        return
    plain = execute(network, batch=2, keep="all").outputs[last]
    assert np.array_equal(fast, plain, equal_nan=True), text
