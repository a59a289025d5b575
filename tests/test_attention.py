"""Tokens and attention (cnncalc/layers/attention.py): every figure against hand arithmetic.

Each expected number is worked out in the comment above it, from the papers' and
torchvision's definitions (Dosovitskiy et al. 2021, Liu et al. 2021 and 2022, Tu et al.
2022), never from cnncalc. The torch cross-checks (the same layers against torchvision's
modules on the same weights) are in tests/test_torch_attention.py.
"""

from __future__ import annotations

import pytest
from conftest import analyze_text

from cnncalc.errors import SpecError
from cnncalc.geometry import GLOBAL
from cnncalc.memory import training


def one(text: str):
    return {layer.name: layer for layer in analyze_text(text).layers}


def test_vit_b_16_encoder_block_by_hand():
    # D = 768, L = 197 (14x14 patches and the class token), 12 heads, MLP 3072.
    layers = one(
        """\
        input: [768, 197]
        layers:
          - {layernorm: {eps: 1.0e-6}, name: ln_1}
          - {attention: 12, name: att}
          - {add: [att, input], name: add_1}
          - {layernorm: {eps: 1.0e-6}, name: ln_2}
          - {pointwise_fc: 3072, name: fc1}
          - {gelu: null}
          - {pointwise_fc: 768, name: fc2}
          - {add: [fc2, add_1]}
        """
    )
    att = layers["att"]
    # params 4*768*768 + 4*768 = 2,359,296 + 3,072 = 2,362,368
    assert att.params == 2_362_368
    # projections 197*768*4*768 = 464,781,312; Q K^T and A V 2*197*197*768 = 59,610,624
    assert att.macs == 464_781_312 + 59_610_624
    assert att.shape == (768, 197) and att.receptive_field == GLOBAL
    # the block: 2*(2*768) layernorms + 2,362,368 + (768*3072 + 3072) + (3072*768 + 768) = 7,087,872
    # (torchvision's vit_b_16: (86,567,656 - 768*3*16*16 - 768 - 768 - 197*768 - 2*768 - 769,000) / 12)
    assert sum(layer.params for layer in layers.values()) == 7_087_872


def test_patch_tokens_keep_their_fields():
    # 16x16 patches of a 64x48 image: a 4x3 grid of tokens, row after row. Token l sits at
    # row l // 3 and column l % 3: along H its patch moves 16 pixels every 3 tokens (jump
    # 16/3 on average), along W it moves 16 a token and comes back each row: 3 columns, the
    # same every 3 tokens (jump 0). Start: the mean over a row of centre - index * jump:
    # H: 7.5 - (0 + 1 + 2)/3 * 16/3 = 7.5 - 16/3 = 2.1666...; W: (7.5 + 23.5 + 39.5)/3 = 23.5.
    layers = one(
        """\
        input: [3, 64, 48]
        layers:
          - {conv: {filters: 8, kernel: 16, stride: 16}, name: patches}
          - {tokens: null, name: tokens}
          - {class_token: null, name: cls}
          - {position_embedding: null, name: pos}
          - {attention: 2, name: att}
          - {select_token: 0, name: head}
        """
    )
    tokens = layers["tokens"]
    assert tokens.shape == (8, 12)
    field = tokens.receptive_field
    assert field.size == (16, 16)
    assert field.jump[0] == pytest.approx(16 / 3) and field.jump[1] == 0
    assert field.start[0] == pytest.approx(7.5 - 16 / 3) and field.start[1] == pytest.approx(23.5)
    # The class token goes first: the other tokens move one place on, the start one jump back
    # along H (7.5 - 16/3 - 16/3), and along W by the pattern's step 0 and a rotated row:
    # the mean over a row is the same 23.5.
    cls = layers["cls"]
    assert cls.shape == (8, 13) and cls.params == 8
    assert cls.receptive_field.start[0] == pytest.approx(7.5 - 32 / 3)
    assert cls.receptive_field.start[1] == pytest.approx(23.5)
    assert layers["pos"].params == 8 * 13
    assert layers["att"].receptive_field == GLOBAL and layers["head"].shape == (8,)


def test_select_token_before_attention_is_refused():
    with pytest.raises(SpecError, match="select a token after attention"):
        analyze_text("input: [3, 8, 8]\nlayers: [{conv: {filters: 4, kernel: 4, stride: 4}}, tokens, select_token]\n")


def test_swin_t_first_block_by_hand():
    # C = 96 on a 56x56 map, 3 heads, windows of 7x7 (64 windows of 49 tokens), shifted by 3.
    layers = one(
        """\
        input: [96, 56, 56]
        layers:
          - {attention: {heads: 3, window: 7, shift: 3, position_bias: table}, name: att}
        """
    )
    att = layers["att"]
    # 4*96*96 + 4*96 = 37,248, plus the table (2*7-1)^2 * 3 = 507: 37,755
    assert att.params == 37_755
    # projections 3136*96*4*96 = 115,605,504; per window 2*49*49*96 = 460,992, 64 windows:
    # 29,503,488; together 145,108,992
    assert att.macs == 145_108_992


def test_windows_pad_the_map_as_torchvision_does():
    # Swin V2-T's third stage: 14x14 by windows of 8 is padded to 16x16, 4 windows of 64
    # tokens; 12 heads of C = 384. Projections on 256 tokens: 256*384*4*384 = 150,994,944;
    # products 2*256*64*384 = 12,582,912; the position bias network on the 15x15 offsets
    # 225*(2*512 + 512*12) = 1,612,800: 165,190,656 MACs.
    # params: 4*384*384 + 4*384 = 591,360; network 2*512 + 512 + 512*12 = 7,680; logit scale
    # 12: 599,052.
    att = one(
        """\
        input: [384, 14, 14]
        layers:
          - {attention: {heads: 12, window: 8, shift: 4, position_bias: mlp, cosine: true}, name: att}
        """
    )["att"]
    assert att.macs == 165_190_656
    assert att.params == 599_052


def test_window_fields_by_hand():
    # 4x4 patches (jump 4), then windows of 7: units 0..6 all see window 0, pixels 0..27
    # (size 28, centre 13.5); the pattern moves a window (28 pixels) every 7 units: jump 4.
    # The start is unit 0's centre as the steps place it (SPEC section 2: the mean over one
    # period of centre - index * jump): 13.5 - 4*(0+1+...+6)/7 = 13.5 - 12 = 1.5.
    # Shifted by 3, units 0..2 see window -4..2 (pixels -16..11, centre -2.5; the first
    # window, clipped) and units 3..6 window 3..9 (pixels 12..39, centre 25.5): the mean of
    # -2.5, -6.5, -10.5, 13.5, 9.5, 5.5, 1.5 is 10.5/7 = 1.5 too, the size 28.
    text = """\
        input: [3, 56, 56]
        layers:
          - {conv: {filters: 6, kernel: 4, stride: 4}}
          - {attention: {heads: 2, window: 7, shift: %s}, name: att}
        """
    plain = one(text % 0)["att"].receptive_field
    shifted = one(text % 3)["att"].receptive_field
    assert (plain.size, plain.jump, plain.start) == ((28, 28), (4, 4), (1.5, 1.5))
    assert (shifted.size, shifted.jump, shifted.start) == ((28, 28), (4, 4), (1.5, 1.5))


def test_grid_fields_by_hand():
    # A 12x12 map, grids of 3 tokens 4 apart: unit v sees v mod 4, + 4, + 8: size 9, the
    # same every 4 units (jump 0), centres 4, 5, 6, 7 for units 0..3: start 5.5.
    att = one(
        """\
        input: [4, 12, 12]
        layers:
          - {attention: {heads: 2, window: 3, grid: true}, name: att}
        """
    )["att"]
    assert att.receptive_field.size == (9, 9)
    assert att.receptive_field.jump == (0, 0)
    assert att.receptive_field.start == (5.5, 5.5)


def test_attention_training_memory_by_hand():
    # L = 16 tokens of D = 8, 2 heads, batch 1, float32: the backward pass keeps 7*L*D = 896
    # values and the maps 2*16*16 = 512: 1,408 values, 5,632 bytes, besides the gradients.
    text = """\
        input: [8, 16]
        layers:
          - {pointwise_fc: 8, name: fc}
          - {attention: 2, name: att}
        """
    from conftest import build_text

    from cnncalc import report as reporting

    graph = build_text(text)
    report = reporting.analyze(graph, batch=1)
    att = graph.nodes[1].spec
    assert att.type.saved_extra_bytes(att.args, ((8, 16),), (8, 16), 4) == 5_632
    assert training(graph, report, batch=1).total > 5_632


def test_errors_say_what_is_wrong():
    for layer, message in (
        ("{attention: 3}", "3 does not divide 8"),
        ("{attention: {heads: 2, shift: 1}}", "shift needs a window"),
        ("{attention: {heads: 2, window: 3, shift: 3}}", "shift 3 must be less than the window 3"),
        ("{attention: {heads: 2, window: 5, grid: true}}", "5 does not divide"),
    ):
        with pytest.raises(SpecError, match=message):
            analyze_text(f"input: [8, 12, 12]\nlayers: [{layer}]\n")


def test_tokens_back_to_a_map_see_what_the_map_saw():
    # conv 16x16 stride 16 on 64x48 (field 16, jump 16, start 7.5 on both axes), to a 4x3
    # grid of tokens and back: every position sees its patch again; a 2x2 conv on top sees
    # 2 patches: size 32, jump 16, start 15.5.
    layers = one(
        """\
        input: [3, 64, 48]
        layers:
          - {conv: {filters: 8, kernel: 16, stride: 16}, name: patches}
          - {tokens: null}
          - {to_map: [4, 3], name: map}
          - {conv: {filters: 2, kernel: 2}, name: conv}
        """
    )
    assert layers["map"].shape == (8, 4, 3)
    assert layers["map"].receptive_field == layers["patches"].receptive_field
    field = layers["conv"].receptive_field
    assert (field.size, field.jump, field.start) == ((32, 32), (16, 16), (15.5, 15.5))
    with pytest.raises(SpecError, match="needs as many tokens"):
        analyze_text("input: [4, 12]\nlayers: [{to_map: [3, 5]}]\n")
