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


# --- window attention against torchvision's own modules -------------------------------------


def torchvision_module(name: str):
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    return pytest.importorskip(f"torchvision.models.{name}")


def run_one(layer: str, shape, x_channels_first, weights: dict):
    """cnncalc's executor on one attention layer with the given arrays."""
    graph = build_text(f"input: {list(shape)}\nlayers:\n  - {{attention: {layer}, name: a}}\n")
    run = execute(graph, inputs=x_channels_first, weights={"a": weights}, keep="all")
    return run.outputs["a"], analyze(graph).layers[0]


def numpy(tensor):
    return tensor.detach().numpy().astype(np.float32)


@pytest.mark.parametrize("shift", [[0, 0], [2, 1]])
@pytest.mark.parametrize("v2", [False, True])
def test_swin_window_attention_is_torchvisions(shift, v2):
    # A 10x9 map (padded to 12x12 by 4x4 windows), 3 heads of 4 features; torchvision's
    # ShiftedWindowAttention (V2: continuous position bias, scaled cosine attention).
    swin = torchvision_module("swin_transformer")
    torch.manual_seed(1)
    cls = swin.ShiftedWindowAttentionV2 if v2 else swin.ShiftedWindowAttention
    module = cls(12, [4, 4], shift, 3).eval()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # the biases, table and scales away from their inits
    x = torch.randn(2, 10, 9, 12)
    with torch.no_grad():
        want = numpy(module(x)).transpose(0, 3, 1, 2)
    weights = {
        "qkv_weights": numpy(module.qkv.weight),
        "qkv_bias": numpy(module.qkv.bias),
        "out_weights": numpy(module.proj.weight),
        "out_bias": numpy(module.proj.bias),
    }
    if v2:
        weights.update(
            bias_mlp_weights=numpy(module.cpb_mlp[0].weight),
            bias_mlp_bias=numpy(module.cpb_mlp[0].bias),
            bias_mlp_out=numpy(module.cpb_mlp[2].weight),
            logit_scale=numpy(module.logit_scale).reshape(-1),
        )
        layer = f"{{heads: 3, window: 4, shift: {shift}, position_bias: mlp, cosine: true}}"
    else:
        weights["bias_table"] = numpy(module.relative_position_bias_table)
        layer = f"{{heads: 3, window: 4, shift: {shift}, position_bias: table}}"
    got, figures = run_one(layer, (12, 10, 9), x.numpy().transpose(0, 3, 1, 2).copy(), weights)
    assert np.abs(got - want).max() < 1e-4
    assert figures.params == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("kind", ["window", "grid"])
def test_maxvit_partition_attention_is_torchvisions(kind):
    # torchvision's PartitionAttentionLayer on a 6x6 map of 16 features: partitions of 3
    # (windows of 3x3 neighbours, or grids of 3x3 tokens 2 apart), heads of 8; its
    # layernorms, attention and MLP as cnncalc writes them in architectures/torchvision/maxvit_t.yaml.
    maxvit = torchvision_module("maxvit")
    torch.manual_seed(2)
    module = maxvit.PartitionAttentionLayer(
        16, 8, 3, kind, (6, 6), 2, torch.nn.GELU, torch.nn.LayerNorm, 0.0, 0.0, 0.0
    ).eval()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    x = torch.randn(2, 16, 6, 6)
    with torch.no_grad():
        want = numpy(module(x))
    grid = "true" if kind == "grid" else "false"
    graph = build_text(
        f"""\
        input: [16, 6, 6]
        layers:
          - {{layernorm: null, name: norm1}}
          - {{attention: {{heads: 2, window: 3, grid: {grid}, position_bias: table, scale: features}}, name: attn}}
          - {{add: [attn, input], name: add_1}}
          - {{layernorm: null, name: norm2}}
          - {{pointwise_fc: 32, name: fc1}}
          - {{gelu: null}}
          - {{pointwise_fc: 16, name: fc2}}
          - {{add: [fc2, add_1]}}
        """
    )
    attention = module.attn_layer[1]
    weights = {
        "norm1": {"scale": numpy(module.attn_layer[0].weight), "shift": numpy(module.attn_layer[0].bias)},
        "attn": {
            "qkv_weights": numpy(attention.to_qkv.weight),
            "qkv_bias": numpy(attention.to_qkv.bias),
            "out_weights": numpy(attention.merge.weight),
            "out_bias": numpy(attention.merge.bias),
            "bias_table": numpy(attention.relative_position_bias_table),
        },
        "norm2": {"scale": numpy(module.mlp_layer[0].weight), "shift": numpy(module.mlp_layer[0].bias)},
        "fc1": {"weights": numpy(module.mlp_layer[1].weight), "bias": numpy(module.mlp_layer[1].bias)},
        "fc2": {"weights": numpy(module.mlp_layer[3].weight), "bias": numpy(module.mlp_layer[3].bias)},
    }
    run = execute(graph, inputs=x.numpy(), weights={n.name: weights.get(n.name, {}) for n in graph.nodes}, keep="all")
    got = run.outputs[graph.nodes[-1].name]
    assert np.abs(got - want).max() < 1e-4
    assert analyze(graph).totals.params == sum(p.numel() for p in module.parameters())
