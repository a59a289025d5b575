"""Receptive fields measured by the probe, against hand arithmetic."""

from __future__ import annotations

import pytest
from conftest import build_text

from cnncalc.geometry import GLOBAL, Field
from cnncalc.probe import measure_fields


def measured(text: str) -> dict:
    return {name: m.field for name, m in measure_fields(build_text(text)).items()}


def test_a_chain_worked_by_hand():
    # conv3 s1 p1: size 3, jump 1, start 0. pool2 s2: size 3 + 1*1 = 4, jump 2,
    # start 0 + (1/2 - 0)*1 = 0.5. conv3 p1: size 4 + 2*2 = 8, jump 2, start 0.5 + (1 - 1)*2 = 0.5.
    text = """
    input: [1, 32]
    layers:
      - conv: {filters: 3, kernel: 3, padding: 1}
        name: a
      - maxpool: 2
        name: b
      - conv: {filters: 3, kernel: 3, padding: 1}
        name: c
      - flatten
    """
    fields = measured(text)
    assert fields["a"] == Field((3,), (1,), (0,))
    assert fields["b"] == Field((4,), (2,), (0.5,))
    assert fields["c"] == Field((8,), (2,), (0.5,))
    assert fields["flatten1"] == GLOBAL


@pytest.mark.parametrize(
    "layer, field",
    [
        # Nearest upsampling by 2: units 2k and 2k+1 both see input k (centers 0, 0, 1, 1, ...):
        # size 1, jump 1/2, start = mean(0 - 0, 0 - 1/2) = -1/4 (PyTorch autograd agrees).
        ("upsample: 2", Field((1,), (0.5,), (-0.25,))),
        # deconv kernel 3 stride 2: unit 2k sees inputs k-1..k (span 2), 2k+1 sees k (span 1);
        # centers k - 1/2 and k: start = mean(-1/2 - 0, 0 - 1/2) = -1/2.
        ("deconv: {filters: 2, kernel: 3, stride: 2}", Field((2,), (0.5,), (-0.5,))),
        # dilation 2, kernel 3: taps at -2, 0, 2 around the center after padding 2: size 5.
        ("conv: {filters: 2, kernel: 3, dilation: 2, padding: 2}", Field((5,), (1,), (0,))),
    ],
)
def test_fields_that_differ_from_unit_to_unit(layer, field):
    assert measured(f"input: [1, 24]\nlayers:\n  - {layer}\n    name: x\n")["x"] == field


def test_a_field_larger_than_the_input_is_measured_on_a_larger_input():
    # Three 7-wide convolutions: field 19 on a 16-wide input: no unit's field fits, so the
    # probe measures at 2x or 3x the input.
    text = "input: [1, 16]\nlayers: [{conv: {filters: 1, kernel: 7, padding: 3}}, {conv: {filters: 1, kernel: 7, padding: 3}}, {conv: {filters: 1, kernel: 7, padding: 3}}]\n"
    assert measured(text)["conv3"] == Field((19,), (1,), (0,))


def test_a_window_seen_on_a_larger_input_is_placed_as_the_padding_here_places_it():
    # Found by the fuzzer (MobileNet v1 on a 16x16 input). conv1, 3/2 "same" on 2 positions:
    # 1 unit, padding 1 in all, 0 before: field 3, jump 2, start -0 + 1 = 1. conv2, 3/2 "same"
    # on conv1's 1 unit: padding 2 in all, 1 before: its unit reads conv1's units -1..1, field
    # 3 + 2*2 = 7, jump 4, start 1 + (1 - 1)*2 = 1. One unit cannot show where conv2's window
    # lies; on a 4-position input (2 units into conv2) "same" pads conv2 0 before, and read
    # there as it is, the window would put the start at 1 + (1 - 0)*2 = 3.
    text = """
    input: [1, 2]
    layers:
      - conv: {filters: 1, kernel: 3, stride: 2, padding: same}
      - conv: {filters: 1, kernel: 3, stride: 2, padding: same}
    """
    fields = measured(text)
    assert fields["conv1"] == Field((3,), (2,), (1,))
    assert fields["conv2"] == Field((7,), (4,), (1,))


def test_two_dimensional_fields_per_axis():
    text = "input: [1, 20, 30]\nlayers:\n  - conv: {filters: 1, kernel: [3, 5], stride: [1, 2], padding: [1, [0, 2]]}\n"
    # H: size 3, jump 1, start 1 - 1 = 0. W: size 5, jump 2, start (5-1)/2 - 0 = 2.
    assert measured(text)["conv1"] == Field((3, 5), (1, 2), (0, 2))


def test_a_field_ten_times_the_input_is_measured():
    # Ten 9-wide convolutions ("same", padding 4) on 8 pixels: each adds 8, so the last
    # field is 1 + 10*8 = 81 pixels, ten times the input; centred on each unit (start 0).
    layers = "\n".join("  - conv: {filters: 1, kernel: 9, padding: 4}" for _ in range(10))
    fields = measured(f"input: [1, 8]\nlayers:\n{layers}\n")
    assert fields["conv10"] == Field((81,), (1,), (0,))


def test_statistics_over_the_positions_make_every_later_field_global():
    # GroupNorm takes its statistics over every position: each output unit changes with every
    # pixel, and so does every unit after it (the conv after it included).
    text = "input: [2, 16, 16]\nlayers: [{conv: {filters: 4, kernel: 3}}, {groupnorm: 2}, {conv: {filters: 2, kernel: 3}}]\n"
    fields = measured(text)
    assert fields["conv1"] == Field((3, 3), (1, 1), (1, 1))
    assert fields["groupnorm1"] == GLOBAL and fields["conv2"] == GLOBAL
