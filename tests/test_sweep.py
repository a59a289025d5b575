"""``cnncalc sweep``: MobileNet's width and resolution multipliers against the paper's tables
and against its arithmetic written out here, batches against the memory worked by hand,
invalid sizes with their reason, and the values the options take."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc import source, spec
from cnncalc.errors import SpecError, UsageError
from cnncalc.graph import build
from cnncalc.report import analyze
from cnncalc.sweep import Axis, sweep, values

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))
MOBILENET = str(ROOT / "architectures" / "mobilenet_v1.yaml")


def cnncalc(*args, cwd=ROOT, stdin=None):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=cwd, input=stdin)


def run_json(*args) -> dict:
    result = cnncalc("sweep", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# MobileNet v1 (Howard et al. 2017), Table 1: a 3x3/2 conv to 32 channels, then depthwise
# separable blocks (in, out, stride), a global pooling and fc 1000. TF "same" padding: a
# stride-2 layer gives ceil(size / 2). Width multiplier alpha scales every channel count.
BLOCKS = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
BLOCKS += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]


def mobilenet(alpha: float, size: int = 224) -> tuple:
    """(parameters, MACs) by the paper's arithmetic: convs without bias, batchnorm 2C."""
    side = -(-size // 2)
    first = int(32 * alpha)
    params = 27 * first + 2 * first
    macs = side * side * first * 27
    for cin, cout, stride in BLOCKS:
        cin, cout = int(cin * alpha), int(cout * alpha)
        side = -(-side // stride)
        params += cin * 9 + 2 * cin + cin * cout + 2 * cout  # depthwise, then pointwise, each with its batchnorm
        macs += side * side * cin * 9 + side * side * cin * cout
    last = int(1024 * alpha)
    return params + last * 1000 + 1000, macs + last * 1000


def test_the_arithmetic_here_is_the_papers():
    # Table 1 / the zoo file's comment: 4,231,976 learnable parameters, 568,740,352 MACs.
    assert mobilenet(1.0) == (4_231_976, 568_740_352)


def test_width_multiplier_reproduces_table_6():
    data = run_json(MOBILENET, "--param", "width=0.25,0.5,0.75,1")
    found = {point["width"]: (point["params"], point["macs"]) for point in data["points"]}
    for alpha in (0.25, 0.5, 0.75, 1):
        assert found[alpha] == mobilenet(alpha)
    # Table 6 in millions (parameters, mult-adds): 1.0: 4.2, 569; 0.75: 2.6, 325; 0.5: 1.3, 149;
    # 0.25: 0.5, 41.
    table6 = {1: (4.2, 569), 0.75: (2.6, 325), 0.5: (1.3, 149), 0.25: (0.5, 41)}
    for alpha, (params, macs) in table6.items():
        assert round(found[alpha][0] / 1e6, 1) == params
        assert abs(found[alpha][1] / 1e6 - macs) < 1


def test_resolution_reproduces_table_7():
    data = run_json(MOBILENET, "--input", "128..224/32")
    found = {point["input"]: point["macs"] for point in data["points"]}
    assert list(found) == [128, 160, 192, 224]
    # Table 7: 1.0 MobileNet at 224, 192, 160, 128: 569, 418, 290, 186 million mult-adds.
    for size, macs in {224: 569, 192: 418, 160: 290, 128: 186}.items():
        assert found[size] == mobilenet(1.0, size)[1]
        assert abs(found[size] / 1e6 - macs) < 1
    # The parameters do not depend on the input (global pooling before the fc).
    assert {point["params"] for point in data["points"]} == {4_231_976}


def test_both_axes_make_a_product():
    data = run_json(MOBILENET, "--param", "width=0.5,1", "--input", "160,224")
    assert [(p["width"], p["input"]) for p in data["points"]] == [(0.5, 160), (0.5, 224), (1, 160), (1, 224)]
    assert [p["macs"] for p in data["points"]] == [mobilenet(a, s)[1] for a in (0.5, 1) for s in (160, 224)]


def test_a_size_too_small_is_invalid_with_its_reason():
    # VGG-16's five 2x2 poolings need 32 pixels: 31 -> 15 -> 7 -> 3 -> 1, and pool5 has no 2x2
    # window in 1.
    data = run_json("vgg16", "--input", "31,32")
    invalid, valid = data["points"]
    assert not invalid["valid"] and "pool5" in invalid["error"] and "does not fit" in invalid["error"]
    assert valid["valid"]
    # At 32 the fc6 reads 512 x 1 x 1: 512*4096 + 4096 = 2,101,248 where 224 gives 102,764,544.
    assert valid["params"] == 138_357_544 - 102_764_544 + 2_101_248
    table = cnncalc("sweep", "vgg16", "--input", "31,32")
    assert table.returncode == 0 and 'invalid: line 41: layer "pool5" (maxpool)' in table.stdout


def test_batches_against_the_memory_worked_by_hand(tmp_path):
    # fc 100 -> 10, float32 (tests/test_memory.py): weights 4,040 bytes, Adam's state 8,080; a
    # training step peaks at 12,120 + max(440b, 440b + 4,040, 400b + 12,040); inference holds
    # the weights and 440 bytes per example.
    (tmp_path / "fc.yaml").write_text("input: [100]\nlayers:\n  - fc: 10\n")
    result = cnncalc("sweep", "fc.yaml", "--batch", "1..8*2", "--budget", "30000", "--format", "json", cwd=tmp_path)
    points = json.loads(result.stdout)["points"]
    assert [p["batch"] for p in points] == [1, 2, 4, 8]
    for point in points:
        b = point["batch"]
        assert point["training_bytes"] == 12_120 + max(440 * b, 440 * b + 4_040, 400 * b + 12_040)
        assert point["inference_bytes"] == 4_040 + 440 * b
        # Within 30,000 bytes (test_memory.py): 14 in training, (30,000 - 4,040) // 440 = 59 in inference.
        assert (point["largest_training_batch"], point["largest_inference_batch"]) == (14, 59)
    assert points[0]["receptive_field"] is None  # every layer's field is global


def test_csv_and_the_layer_option():
    result = cnncalc("sweep", "vgg16", "--input", "31,224", "--layer", "conv5_3", "--format", "csv")
    header, invalid, valid = result.stdout.splitlines()
    assert header == (
        "input,params,macs,inference_bytes,training_bytes,largest_training_batch,largest_inference_batch,"
        "field_layer,rf_size,error"
    )
    assert invalid.startswith("31,,,,,,,,,") and "pool5" in invalid
    # conv5_3's field: 196 pixels (the README's VGG-16 table).
    assert valid.startswith("224,138357544,15470264320,") and valid.endswith(",conv5_3,196x196,")


@pytest.mark.parametrize(
    "args, says",
    [
        (("--input", "512..128/32"), "from a number up to a larger one"),
        (("--input", "128..512/0"), "a step above 0"),
        (("--batch", "1..64*1"), "a factor above 1"),
        (("--batch", "0,1"), "'0' is not a value"),
        (("--input", "1e3"), "'1e3' is not a value"),
        (("--input", "1..100000"), "more than 10,000"),
        (("--param", "width"), "NAME=VALUES"),
        (("--param", "widht=1"), 'did you mean "width"'),
        (("--input", "224x224x3"), "2 spatial axes"),
        (("--layer", "conv5_33", "--input", "224"), 'did you mean "conv5_3"'),
        ((), "give what to sweep"),
    ],
)
def test_bad_options_exit_2_saying_why(args, says):
    file = MOBILENET if "width" in str(args) or "widht" in str(args) else "vgg16"
    result = cnncalc("sweep", file, *args)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_values():
    assert values("1,3,8..32*2", "--batch") == (1, 3, 8, 16, 32)
    assert values("0.1..0.5/0.1", "--param", whole=False) == (0.1, 0.2, 0.3, 0.4, 0.5)  # decimals, exactly
    assert values("true,false", "--param", whole=False) == (True, False)
    with pytest.raises(UsageError):
        values("1..4/0.5", "--batch")  # 1.5 is no batch


# --- the file's own parameters (spec) -------------------------------------------------------------

PARAMS = """\
params: {width: 1.0, size: 8}
input: [3, "${size}", "${size}"]
modules:
  block:
    params: {filters: null}
    layers:
      - conv: {filters: "${filters * width // 1}", kernel: 3, padding: 1}
layers:
  - block: {filters: 16}
  - conv: {filters: "${8 * width // 1}", kernel: 1}
"""


def test_top_level_parameters_and_overrides():
    document = source.parse(PARAMS, "p.yaml")
    network = spec.parse(document, "p.yaml")
    assert network.input == (3, 8, 8)
    from cnncalc.graph import build
    from cnncalc.report import analyze

    # width 0.5: block conv 16*0.5 = 8 filters on 3 channels: 8*27 + 8 = 224; then 4 filters
    # 1x1 on 8: 4*8 + 4 = 36.
    half = analyze(build(spec.parse(document, "p.yaml", {"width": 0.5, "size": 4})))
    assert [layer.params for layer in half.layers] == [224, 36]
    assert half.input == (3, 4, 4)
    # A module's default is overridden as MODULE.NAME.
    text = PARAMS.replace("filters: null", "filters: 4").replace("block: {filters: 16}", "block: {}")
    widened = analyze(build(spec.parse(source.parse(text, "p.yaml"), "p.yaml", {"block.filters": 2})))
    assert widened.layers[0].params == 2 * 27 + 2  # 2 filters on 3 channels, 3x3, with bias
    with pytest.raises(UsageError, match='did you mean "width"'):
        spec.parse(document, "p.yaml", {"widht": 0.5})


def test_a_default_no_use_reads_is_refused_not_swept_to_equal_rows():
    # PARAMS' one use passes filters: 16, so block.filters=2 would change nothing.
    with pytest.raises(UsageError, match=r"every use of block \(1\) passes filters itself"):
        spec.parse(source.parse(PARAMS, "p.yaml"), "p.yaml", {"block.filters": 2})
    # A use inside another module's body that leaves filters out reads the default: accepted.
    text = """\
params: {width: 1.0}
input: [3, 8, 8]
modules:
  block:
    params: {filters: 4}
    layers:
      - conv: {filters: "${filters * width // 1}", kernel: 3, padding: 1}
  outer:
    layers:
      - block: {}
layers:
  - block: {filters: 16}
  - outer: {}
  - conv: {filters: 8, kernel: 1}
"""
    report = analyze(build(spec.parse(source.parse(text, "p.yaml"), "p.yaml", {"block.filters": 2})))
    # 16 filters 3x3 on 3 channels: 16*27 + 16 = 448; outer's block, the default now 2, on 16
    # channels: 2*16*9 + 2 = 290; 8 filters 1x1 on 2: 8*2 + 8 = 24.
    assert [layer.params for layer in report.layers] == [448, 290, 24]


@pytest.mark.parametrize(
    "text, line, says",
    [
        ("params: {width: null}\ninput: [3, 4, 4]\nlayers: [relu]\n", 1, "needs a value"),
        ("params: {width: [1]}\ninput: [3, 4, 4]\nlayers: [relu]\n", 1, "a number, or true or false"),
        ("params: 3\ninput: [3, 4, 4]\nlayers: [relu]\n", 1, "params is a mapping"),
        ('params: {w: 1}\ninput: [3, 4, 4]\nlayers:\n  - conv: {filters: "${v}", kernel: 1}\n', 4, "in ${v}"),
    ],
)
def test_bad_top_level_parameters_are_spec_errors(text, line, says):
    with pytest.raises(SpecError) as error:
        spec.parse(source.parse(text, "p.yaml"), "p.yaml")
    diagnostic = error.value.diagnostics[0]
    assert diagnostic.loc.line == line and says in diagnostic.message


def test_a_sweep_in_the_library():
    result = sweep(MOBILENET, source.load(MOBILENET), (Axis("width", (0.5,)), Axis("batch", (1, 2))))
    assert [point.settings for point in result.points] == [(0.5, 1), (0.5, 2)]
    assert result.points[0].figures.params == mobilenet(0.5)[0]


def test_a_zoo_name_whose_file_imports_its_blocks(tmp_path):
    # The import is read beside the zoo's file, not beside the name (torchvision/ in the
    # working folder); the file's parameters reach the imported Bottleneck: groups 32 with
    # base_width 4 is ResNeXt-50 32x4d, 25,028,904 parameters (torchvision's
    # ResNeXt50_32X4D_Weights num_params), groups 1 and base_width 64 ResNet-50's 25,557,032.
    result = cnncalc("sweep", "torchvision/resnext50_32x4d", "--param", "groups=32,1", "--param", "base_width=4,64",
                     "--format", "json", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    points = {(p["groups"], p["base_width"]): p["params"] for p in json.loads(result.stdout)["points"]}
    assert points[(32, 4)] == 25_028_904 and points[(1, 64)] == 25_557_032


def test_each_point_is_held_to_the_files_budgets(tmp_path):
    # One 3x3 conv of 8 filters, no padding, on 3 channels: (H - 2)^2 positions * 8 * 27.
    # H = 8: 36 * 216 = 7,776 MACs; H = 16: 196 * 216 = 42,336; max-macs 10,000 holds the first
    # only. Parameters (27 + 1) * 8 = 224, within max-params 1,000 at every size.
    (tmp_path / "net.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncalc.budgets."net.yaml"]\nmax-macs = 10_000\nmax-params = 1_000\n'
    )
    result = cnncalc("sweep", "net.yaml", "--input", "8,16", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)["points"]
    assert [(p["input"], p["macs"]) for p in points] == [(8, 7_776), (16, 42_336)]
    assert [p["budget"] for p in points] == [
        {"verdict": "within", "over": []},
        {"verdict": "over", "over": ["max-macs"]},
    ]
    table = cnncalc("sweep", "net.yaml", "--input", "8,16", cwd=tmp_path).stdout.splitlines()
    assert table[-2].split()[0] == "8" and "over budget" not in table[-2]
    assert table[-1].split()[0] == "16" and table[-1].endswith("over budget: max-macs")
    csv = cnncalc("sweep", "net.yaml", "--input", "8,16", "--format", "csv", cwd=tmp_path).stdout.splitlines()
    assert csv[0].endswith(",over_budget") and csv[1].endswith(",") and csv[2].endswith(",max-macs")
    # No budget governs the file: no budget key, no column.
    (tmp_path / "pyproject.toml").write_text("[tool.cnncalc.lint]\n")
    plain = json.loads(cnncalc("sweep", "net.yaml", "--input", "8,16", "--format", "json", cwd=tmp_path).stdout)
    assert all("budget" not in p for p in plain["points"])
