"""crop: the U-Net skip connection's center crop, by hand."""

from __future__ import annotations

import pytest
from conftest import analyze_text

from cnncalc.errors import SpecError
from cnncalc.geometry import Field


def test_center_crop_as_unet_does():
    # U-Net's first skip: 64x568x568 cropped to 392x392: (568 - 392) / 2 = 88 off each side,
    # so unit 0 sits on input pixel 88: start 0 + 88*1.
    r = analyze_text("input: [64, 568, 568]\nlayers:\n  - crop: [392, 392]\n")
    assert r.layers[0].shape == (64, 392, 392)
    assert r.layers[0].receptive_field == Field((1, 1), (1, 1), (88, 88))


def test_odd_amounts_and_explicit_cuts():
    # 21 wide to 10: 11 off, 5 before and 6 after; explicit [1, 0] and 2: 10 - 1 = 9, 10 - 4 = 6.
    r = analyze_text("input: [1, 20, 21]\nlayers:\n  - crop: [10, 10]\n  - crop: {amounts: [[1, 0], 2]}\n")
    assert [layer.shape for layer in r.layers] == [(1, 10, 10), (1, 9, 6)]
    assert r.layers[0].receptive_field.start == (5, 5) and r.layers[1].receptive_field.start == (6, 7)


@pytest.mark.parametrize(
    "layer, message",
    [("crop: [30, 30]", "cannot crop axis H of size 20 to 30"), ("crop: {amounts: 10}", "cropping leaves nothing")],
)
def test_impossible_crops(layer, message):
    with pytest.raises(SpecError, match=message):
        analyze_text(f"input: [1, 20, 20]\nlayers:\n  - {layer}\n")
