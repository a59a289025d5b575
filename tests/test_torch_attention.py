"""The token and attention layers against torchvision's own Vision Transformer (``make test-torch``).

A small ``torchvision.models.VisionTransformer`` (2 layers, 4 heads, 32 features, 8x8
patches of a 32x48 image) and the same network written as a cnncalc file, in the form of
``architectures/torchvision/vit_*.yaml``: torchvision's weights are loaded into cnncalc's
NumPy executor (the tokens transposed to cnncalc's ``[D, L]``) and every figure is compared
with what torch computes or counts itself: the output values, the parameter count, and the
MACs FlopCounterMode counts with the attention run as matrix products.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from conftest import build_text

from cnncalc.executor import execute
from cnncalc.report import analyze

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

VIT = """\
input: [3, 32, 48]
modules:
  encoder_block:
    params: {heads: 4, mlp: 64, hidden: 32}
    layers:
      - {layernorm: {eps: 1.0e-6}, name: ln_1}
      - {attention: {heads: "${heads}"}, name: self_attention}
      - {dropout: 0.0, name: dropout}
      - {add: [dropout, input], name: add_1}
      - {layernorm: {eps: 1.0e-6}, name: ln_2}
      - {pointwise_fc: "${mlp}", name: mlp.0}
      - {gelu: null, name: mlp.1}
      - {pointwise_fc: "${hidden}", name: mlp.3}
      - {add: [mlp.3, add_1], name: add_2}
layers:
  - {conv: {filters: 32, kernel: 8, stride: 8}, name: conv_proj}
  - {tokens: null, name: tokens}
  - {class_token: null, name: class_token}
  - {position_embedding: null, name: encoder.pos_embedding}
  - {encoder_block: null, name: encoder.layers.encoder_layer_0}
  - {encoder_block: null, name: encoder.layers.encoder_layer_1}
  - {layernorm: {eps: 1.0e-6}, name: encoder.ln}
  - {select_token: 0, name: class_token_out}
  - {fc: 5, name: heads.head}
"""


def small_vit():
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    models = pytest.importorskip("torchvision.models")
    torch.manual_seed(0)
    model = models.VisionTransformer(
        image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64, num_classes=5
    )
    # A square image in torchvision's ViT; the 32x48 one here needs 4*6 + 1 = 25 positions.
    model.image_size = None
    model.encoder.pos_embedding = torch.nn.Parameter(torch.randn(1, 25, 32) * 0.02)
    with torch.no_grad():  # non-zero class token and biases, so that a misplaced one shows
        model.class_token.normal_()
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_(std=0.1)
    return model.eval()


def torch_forward(model, x):
    # torchvision's VisionTransformer._process_input checks a square image; the rest as its forward.
    n = x.shape[0]
    tokens = model.conv_proj(x).reshape(n, model.hidden_dim, -1).permute(0, 2, 1)
    tokens = torch.cat([model.class_token.expand(n, -1, -1), tokens], dim=1)
    return model.heads(model.encoder(tokens)[:, 0])


def cnncalc_weights(model) -> dict:
    """torchvision's state dict as cnncalc's arrays, layer by layer."""
    state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    weights = {
        "conv_proj": {"weights": state["conv_proj.weight"], "bias": state["conv_proj.bias"]},
        "class_token": {"token": state["class_token"].reshape(-1)},
        "encoder.pos_embedding": {"embedding": state["encoder.pos_embedding"][0].T.copy()},  # [L, D] -> [D, L]
        "encoder.ln": {"scale": state["encoder.ln.weight"], "shift": state["encoder.ln.bias"]},
        "heads.head": {"weights": state["heads.head.weight"], "bias": state["heads.head.bias"]},
    }
    for i in range(2):
        ours, theirs = f"encoder.layers.encoder_layer_{i}", f"encoder.layers.encoder_layer_{i}"
        weights[f"{ours}.ln_1"] = {"scale": state[f"{theirs}.ln_1.weight"], "shift": state[f"{theirs}.ln_1.bias"]}
        weights[f"{ours}.ln_2"] = {"scale": state[f"{theirs}.ln_2.weight"], "shift": state[f"{theirs}.ln_2.bias"]}
        attention = f"{theirs}.self_attention"
        weights[f"{ours}.self_attention"] = {
            "qkv_weights": state[f"{attention}.in_proj_weight"],
            "qkv_bias": state[f"{attention}.in_proj_bias"],
            "out_weights": state[f"{attention}.out_proj.weight"],
            "out_bias": state[f"{attention}.out_proj.bias"],
        }
        for index in (0, 3):
            weights[f"{ours}.mlp.{index}"] = {
                "weights": state[f"{theirs}.mlp.{index}.weight"],
                "bias": state[f"{theirs}.mlp.{index}.bias"],
            }
    return weights


def test_the_executor_computes_torchvisions_vision_transformer():
    model = small_vit()
    x = torch.randn(3, 3, 32, 48)
    with torch.no_grad():
        want = torch_forward(model, x).numpy()
    graph = build_text(VIT)
    weights = cnncalc_weights(model)
    # every array of every layer from torchvision, none made up
    shapes = analyze_shapes(graph)
    for node in graph.nodes:
        declared = node.spec.type.weights(node.spec.args, tuple(shapes[i] for i in node.inputs))
        assert set(weights.get(node.name, {})) == {w.name for w in declared}, node.name
    run = execute(graph, inputs=x.numpy(), weights={n.name: weights.get(n.name, {}) for n in graph.nodes}, keep="all")
    got = run.outputs["heads.head"]
    assert got.shape == want.shape == (3, 5)
    assert np.abs(got - want).max() < 1e-4, np.abs(got - want).max()


def analyze_shapes(graph) -> dict:
    report = analyze(graph)
    return {"input": tuple(graph.network.input)} | {layer.name: layer.shape for layer in report.layers}


def test_params_and_macs_are_torchvisions():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    model = small_vit()
    report = analyze(build_text(VIT))
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
            torch_forward(model, torch.randn(1, 3, 32, 48))
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)
    assert report.totals.macs == counter.get_total_flops() // 2
    # By hand: L = 25 tokens of D = 32, 2 layers: conv 24*32*3*8*8 = 147,456; per layer
    # projections 25*32*128 = 102,400, Q K^T and A V 2*25*25*32 = 40,000, MLP 2*25*32*64 =
    # 102,400; head 32*5 = 160: 147,456 + 2*244,800 + 160 = 637,216.
    assert report.totals.macs == 637_216
