"""``cnncalc diff``: layers matched, added, removed and changed, with every delta worked out
by hand below; the git form; exit codes; the formats."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import analyze_text, build_text

from cnncalc.diff import ADDED, CHANGED, FIELD, REMOVED, RENAMED, SAME, compare

ROOT = Path(__file__).resolve().parent.parent
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def cnncalc(*args, cwd=ROOT, env=None):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env)


def diff_of(old: str, new: str, **options):
    sides = [(build_text(text), analyze_text(text)) for text in (old, new)]
    return compare(*sides, **options)


def statuses(result) -> list:
    return [(row.status, row.name) for row in result.rows]


# --- VGG-16 to VGG-19: the figure, by hand ---------------------------------------------

# VGG-19 adds one 3x3 conv (padding 1) to each of stages 3, 4 and 5, on maps of 56, 28 and 14.
# Parameters, C_out * C_in * 9 + C_out:
CONV3_4 = 256 * 256 * 9 + 256  # 590,080
CONV4_4 = 512 * 512 * 9 + 512  # 2,359,808
CONV5_4 = 512 * 512 * 9 + 512  # 2,359,808
# MACs, output positions * C_out * (C_in * 9):
MACS3_4 = 56 * 56 * 256 * 2304  # 1,849,688,064
MACS4_4 = 28 * 28 * 512 * 4608  # 1,849,688,064
MACS5_4 = 14 * 14 * 512 * 4608  # 462,422,016


def test_vgg16_to_vgg19_adds_three_convs_and_their_figures():
    assert CONV3_4 + CONV4_4 + CONV5_4 == 5_309_696
    assert MACS3_4 + MACS4_4 + MACS5_4 == 4_161_798_144
    result = cnncalc("diff", "architectures/vgg16.yaml", "architectures/vgg19.yaml", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    added = [row["new"] for row in data["layers"] if row["status"] == ADDED]
    weighted = {layer["name"]: (layer["params"], layer["macs"]) for layer in added if layer["params"]}
    assert weighted == {"conv3_4": (CONV3_4, MACS3_4), "conv4_4": (CONV4_4, MACS4_4), "conv5_4": (CONV5_4, MACS5_4)}
    # Each new conv brings its ReLU; nothing is removed, and no layer changes its own figures.
    assert [layer["type"] for layer in added] == ["conv", "relu"] * 3
    assert data["counts"][REMOVED] == data["counts"][CHANGED] == 0
    assert data["totals"]["params"]["change"] == 5_309_696
    assert data["totals"]["macs"]["change"] == 4_161_798_144
    # torchvision's counts: vgg16 138,357,544 and vgg19 143,667,240 parameters.
    assert (data["totals"]["params"]["before"], data["totals"]["params"]["after"]) == (138_357_544, 143_667_240)
    # pool5's field: VGG-16's 212 (the README's table); each added 3x3 conv widens it by 2 jumps
    # of its stage, 2 * (4 + 8 + 16) = 56: 268.
    assert data["receptive_field"]["before"] == {"layer": "pool5", "size": [212, 212]}
    assert data["receptive_field"]["after"] == {"layer": "pool5", "size": [268, 268]}


def test_vgg16_to_vgg19_as_text_and_markdown():
    text = cnncalc("diff", "architectures/vgg16.yaml", "architectures/vgg19.yaml")
    assert text.returncode == 0 and "\x1b" not in text.stdout  # piped: plain text
    params = next(line for line in text.stdout.splitlines() if line.startswith("params"))
    assert params.split() == ["params", "138,357,544", "143,667,240", "+5,309,696", "(+3.84%)"]
    macs = next(line for line in text.stdout.splitlines() if line.startswith("MACs"))
    assert "+4,161,798,144" in macs.split()
    assert "6 layers added, 0 removed, 0 changed" in text.stdout
    markdown = cnncalc("diff", "architectures/vgg16.yaml", "architectures/vgg19.yaml", "--format", "markdown")
    rows = [line for line in markdown.stdout.splitlines() if line.startswith("| + | conv")]
    assert [row.split(" | ")[1:5] for row in rows] == [
        ["conv3_4", "conv", "256x56x56", "+590,080"],
        ["conv4_4", "conv", "512x28x28", "+2,359,808"],
        ["conv5_4", "conv", "512x14x14", "+2,359,808"],
    ]
    assert "| params | 138,357,544 | 143,667,240 | +5,309,696 (+3.84%) |" in markdown.stdout


def test_counted_as_a_tool_does():
    # PyTorch's FlopCounterMode counts 2 FLOPs per multiply-add of a convolution or a linear
    # layer and nothing for ReLUs and pooling: the three added convs are 2 * 4,161,798,144.
    # VGG-16 in all: 2 * 15,470,264,320 (torchvision's 15.47 GFLOPS, which are MACs).
    result = cnncalc("diff", "vgg16", "vgg19", "--count-as", "torch", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"]["count"]["before"] == 2 * 15_470_264_320
    assert data["totals"]["count"]["change"] == 2 * (MACS3_4 + MACS4_4 + MACS5_4) == 8_323_596_288
    assert data["totals"]["count_params"]["change"] == CONV3_4 + CONV4_4 + CONV5_4
    assert data["convention"]["unit"] == "FLOPs"
    conv = next(row["new"] for row in data["layers"] if row["new"] and row["new"]["name"] == "conv3_4")
    assert conv["count"] == 2 * MACS3_4 and conv["count_params"] == CONV3_4
    text = cnncalc("diff", "vgg16", "vgg19", "--count-as", "torch").stdout
    flops = next(line for line in text.splitlines() if line.startswith("torch's FLOPs"))
    assert flops.split()[-2:] == ["+8,323,596,288", "(+26.9%)"]
    # Without --count-as the JSON has no tool's figures.
    plain = json.loads(cnncalc("diff", "vgg16", "vgg19", "--format", "json").stdout)
    assert "count" not in plain["totals"] and "convention" not in plain


# --- matching ------------------------------------------------------------------------------------

BASE = """
input: [3, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: stem
  - relu
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: body
  - relu
  - global_avgpool
  - fc: 10
    name: head
"""


def test_identical_files_differ_in_nothing():
    result = diff_of(BASE, BASE)
    assert not result.changed
    assert {row.status for row in result.rows} == {SAME}


def test_a_changed_argument_is_one_changed_row_with_its_deltas():
    result = diff_of(
        BASE,
        BASE.replace(
            "filters: 8, kernel: 3, padding: 1}\n    name: body", "filters: 16, kernel: 3, padding: 1}\n    name: body"
        ),
    )
    changed = [row for row in result.rows if row.status == CHANGED]
    # body: 8 -> 16 filters: params 8*8*9+8 = 584 -> 16*8*9+16 = 1,168; the relu after it,
    # the pooling (8 -> 16 channels) and head (fc 8*10+10 = 90 -> 16*10+10 = 170) change shape.
    assert [row.name for row in changed] == ["body", "relu2", "global_avgpool1", "head"]
    body = changed[0]
    assert [(c.what, c.before, c.after) for c in body.changes] == [("filters", 8, 16)]
    assert (body.old.params, body.new.params) == (584, 1168)
    # MACs: 16*16 positions * filters * (8*9): 147,456 -> 294,912.
    assert (body.old.macs, body.new.macs) == (16 * 16 * 8 * 72, 16 * 16 * 16 * 72)
    assert (changed[3].old.params, changed[3].new.params) == (90, 170)
    assert changed[1].changes == ()  # the relu changed shape, not its definition


def test_an_inserted_layer_is_added_and_what_reads_past_it_is_unchanged():
    new = BASE.replace(
        "  - relu\n  - global_avgpool",
        "  - relu\n  - conv: {filters: 8, kernel: 3, padding: 1}\n    name: extra\n  - relu\n  - global_avgpool",
    )
    result = diff_of(BASE, new)
    # The pooling reads relu3 now, in effect the relu2 it read before: not changed (and its
    # field is global either way).
    assert [(s, n) for s, n in statuses(result) if s != SAME] == [(ADDED, "extra"), (ADDED, "relu3")]
    # extra's field: body's 5 + 2 = 7 pixels; the pooling after it is global, before and after.
    assert next(row.new for row in result.rows if row.name == "extra").receptive_field.size == (7, 7)


def test_a_layer_added_above_changes_the_fields_below_it_only():
    new = BASE.replace(
        "  - conv: {filters: 8, kernel: 3, padding: 1}\n    name: stem",
        "  - conv: {filters: 3, kernel: 3, padding: 1}\n    name: pre\n  - conv: {filters: 8, kernel: 3, padding: 1}\n    name: stem",
    )
    result = diff_of(BASE, new)
    # pre widens every field below it by 2: stem 3 -> 5, body 5 -> 7 (the relus alike).
    assert [(s, n) for s, n in statuses(result) if s != SAME] == [
        (ADDED, "pre"),
        (FIELD, "stem"),
        (FIELD, "relu1"),
        (FIELD, "body"),
        (FIELD, "relu2"),
    ]
    body = next(row for row in result.rows if row.name == "body")
    assert (body.old.receptive_field.size, body.new.receptive_field.size) == ((5, 5), (7, 7))


def test_a_renamed_layer_is_matched_by_position():
    result = diff_of(BASE, BASE.replace("name: body", "name: middle"))
    assert [(s, n) for s, n in statuses(result) if s != SAME] == [(RENAMED, "middle")]
    row = next(row for row in result.rows if row.status == RENAMED)
    assert (row.old.name, row.new.name) == ("body", "middle")


def test_a_removed_layer():
    result = diff_of(
        BASE, BASE.replace("  - conv: {filters: 8, kernel: 3, padding: 1}\n    name: body\n  - relu\n", "")
    )
    assert [(s, n) for s, n in statuses(result) if s in (ADDED, REMOVED)] == [(REMOVED, "body"), (REMOVED, "relu2")]
    # Parameters lost: body's 584 (8*8*9+8).
    assert result.old.totals.params - result.new.totals.params == 584


def test_rewiring_is_a_change_of_from():
    old = "input: [4, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n    name: a\n  - relu:\n    name: b\n  - add: [a, b]\n    name: c\n"
    new = old.replace("add: [a, b]", "add: [b, b]")
    (row,) = [row for row in diff_of(old, new).rows if row.status == CHANGED]
    assert row.name == "c" and [(c.what, c.before, c.after) for c in row.changes] == [("from", ["a", "b"], ["b", "b"])]


def test_a_huge_diff_is_bounded(monkeypatch):
    import cnncalc.diff as module

    monkeypatch.setattr(module, "MAX_CELLS", 4)  # past it: only the common start and end pair up
    result = diff_of(BASE, BASE.replace("name: body", "name: middle"))
    assert {row.status for row in result.rows} <= {SAME, RENAMED, ADDED, REMOVED}


# --- exit codes and the git form -------------------------------------------------------------------


def test_exit_codes(tmp_path):
    same = cnncalc("diff", "architectures/vgg16.yaml", "vgg16")  # a zoo name is the same file
    assert same.returncode == 0 and "no change" in same.stdout
    assert cnncalc("diff", "vgg16", "vgg19", "--exit-code").returncode == 1
    assert cnncalc("diff", "vgg16", "vgg16", "--exit-code").returncode == 0
    (tmp_path / "bad.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernal: 3}\n")
    bad = cnncalc("diff", "vgg16", tmp_path / "bad.yaml")
    assert bad.returncode == 2 and bad.stderr.startswith(f"{tmp_path / 'bad.yaml'}:3:")
    assert "Traceback" not in bad.stderr


git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git_repository(folder):
    """``folder`` made a git repository; returns a function running git there."""

    def run(*args):
        subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)

    run("init", "-q")
    run("config", "user.email", "t@example.com")
    run("config", "user.name", "t")
    return run


@pytest.fixture
def repository(tmp_path):
    """A git repository whose net.yaml was VGG-16 in the first commit and is VGG-19 now."""
    run = git_repository(tmp_path)
    (tmp_path / "models").mkdir()
    shutil.copy(ROOT / "architectures" / "vgg16.yaml", tmp_path / "models" / "net.yaml")
    run("add", ".")
    run("commit", "-q", "-m", "vgg16")
    shutil.copy(ROOT / "architectures" / "vgg19.yaml", tmp_path / "models" / "net.yaml")
    return tmp_path


@git
def test_a_revision_is_read_from_git(repository):
    for old, cwd in (("HEAD:models/net.yaml", repository), ("HEAD:./net.yaml", repository / "models")):
        result = cnncalc(
            "diff", old, "models/net.yaml" if cwd == repository else "net.yaml", "--format", "json", cwd=cwd
        )
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["old"]["file"] == old
        assert data["totals"]["params"]["change"] == CONV3_4 + CONV4_4 + CONV5_4


@git
@pytest.mark.parametrize(
    "revision, says",
    [
        ("HEAD:models/none.yaml", "git cannot read it"),
        ("nosuchrev:models/net.yaml", "git cannot read it"),
        ("HEAD:models", "git cannot read it"),  # a folder, not a file
    ],
)
def test_a_revision_git_cannot_give_exits_2_naming_it(repository, revision, says):
    result = cnncalc("diff", revision, "models/net.yaml", cwd=repository)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{revision}: error: {says}"), result.stderr


@git
def test_a_revision_is_never_read_as_an_option(repository):
    result = cnncalc("diff", "--", "--output=x:models/net.yaml", "models/net.yaml", cwd=repository)
    assert result.returncode == 2 and "cannot start with '-'" in result.stderr
    assert not (repository / "x").exists()


@git
def test_git_difftool_runs_cnncalc_diff(repository):
    # The README's usage: git hands the tool the old and the new file as two paths.
    env = {"PATH": str(Path(CNNCALC).parent) + ":" + __import__("os").environ["PATH"], "HOME": str(repository)}
    result = subprocess.run(
        ["git", "difftool", "--no-prompt", "--extcmd", "cnncalc diff", "HEAD", "--", "models/net.yaml"],
        cwd=repository,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "+5,309,696" in result.stdout


def test_text_is_the_same_layers_as_json():
    old = textwrap.dedent(BASE)
    result = diff_of(old, old.replace("fc: 10", "fc: 20"))
    assert [row.name for row in result.rows if row.status == CHANGED] == ["head"]


def test_on_a_terminal_the_tables_are_rich():
    result = cnncalc("diff", "vgg16", "vgg19", "--color", "always", "--budget", "24GiB")
    assert result.returncode == 0 and "\x1b[" in result.stdout and "conv3_4" in result.stdout
    sweep = cnncalc("sweep", "vgg16", "--input", "16,32", "--color", "always")
    assert sweep.returncode == 0 and "\x1b[" in sweep.stdout and "invalid" in sweep.stdout


@git
def test_a_revision_imports_its_blocks_from_the_same_revision(tmp_path):
    # net.yaml imports blocks.yaml; the block's conv was 3x3 in the commit, 1x1 now. The old
    # side reads the committed blocks.yaml: conv 3x3 4 -> 8 with bias, (9*4 + 1) * 8 = 296
    # params; the new side 1x1: (4 + 1) * 8 = 40; the change -256.
    run = git_repository(tmp_path)
    blocks = "modules:\n  block:\n    layers:\n      - conv: {filters: 8, kernel: 3, padding: 1}\n"
    models = tmp_path / "models"
    (models / "blocks").mkdir(parents=True)
    (models / "blocks" / "conv.yaml").write_text(blocks)
    (models / "net.yaml").write_text("input: [4, 8, 8]\nimport: blocks/conv.yaml\nlayers: [block]\n")
    run("add", ".")
    run("commit", "-q", "-m", "3x3")
    (models / "blocks" / "conv.yaml").write_text(blocks.replace("kernel: 3, padding: 1", "kernel: 1"))
    # from the repository's top, and from the working folder (./, as git reads it)
    for old, new, cwd in (
        ("HEAD:models/net.yaml", "models/net.yaml", tmp_path),
        ("HEAD:./net.yaml", "net.yaml", models),
    ):
        result = cnncalc("diff", old, new, "--format", "json", cwd=cwd)
        assert result.returncode == 0, result.stderr
        params = json.loads(result.stdout)["totals"]["params"]
        assert (params["before"], params["after"], params["change"]) == (296, 40, -256)
