"""Homework in the course notes' language (issue 21): CS231n's "Convolutional Neural
Networks" notes. Every expected figure is worked out by hand here (or copied from the
notes, where they are right), never taken from a run of cnncalc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = ROOT / "examples" / "homework"
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


def run(*args):
    return subprocess.run([CNNCALC, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


# --- The notes' memory accounting: "VGGNet in detail" ------------------------------------

# The notes' table, line by line: (output H x W x C, values = H*W*C, weights without biases).
# Weights: a 3x3 conv holds (3*3*C_in)*C_out; an fc in*out.
VGG16_NOTES = [
    ("224x224x3", 224 * 224 * 3, 0),  # INPUT: 150,528
    ("224x224x64", 224 * 224 * 64, (3 * 3 * 3) * 64),  # 3,211,264 and 1,728
    ("224x224x64", 224 * 224 * 64, (3 * 3 * 64) * 64),  # 36,864
    ("112x112x64", 112 * 112 * 64, 0),  # POOL2: 802,816
    ("112x112x128", 112 * 112 * 128, (3 * 3 * 64) * 128),  # 1,605,632 and 73,728
    ("112x112x128", 112 * 112 * 128, (3 * 3 * 128) * 128),  # 147,456
    ("56x56x128", 56 * 56 * 128, 0),  # 401,408
    ("56x56x256", 56 * 56 * 256, (3 * 3 * 128) * 256),  # 802,816 and 294,912
    ("56x56x256", 56 * 56 * 256, (3 * 3 * 256) * 256),  # 589,824
    ("56x56x256", 56 * 56 * 256, (3 * 3 * 256) * 256),
    ("28x28x256", 28 * 28 * 256, 0),  # 200,704
    ("28x28x512", 28 * 28 * 512, (3 * 3 * 256) * 512),  # 401,408 and 1,179,648
    ("28x28x512", 28 * 28 * 512, (3 * 3 * 512) * 512),  # 2,359,296
    ("28x28x512", 28 * 28 * 512, (3 * 3 * 512) * 512),
    ("14x14x512", 14 * 14 * 512, 0),  # 100,352
    ("14x14x512", 14 * 14 * 512, (3 * 3 * 512) * 512),
    ("14x14x512", 14 * 14 * 512, (3 * 3 * 512) * 512),
    ("14x14x512", 14 * 14 * 512, (3 * 3 * 512) * 512),
    ("7x7x512", 7 * 7 * 512, 0),  # 25,088
    ("4096", 4096, 7 * 7 * 512 * 4096),  # 102,760,448
    ("4096", 4096, 4096 * 4096),  # 16,777,216
    ("1000", 1000, 4096 * 1000),  # 4,096,000
]


def notes_table(path) -> tuple:
    result = run("summarize", path, "--format", "notes")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = lines.index("", start)
    return lines[start:end], lines[end + 1 :]


def test_vgg16_memory_column_as_the_notes_write_it():
    rows, totals = notes_table("architectures/vgg16.yaml")
    # 22 lines, as in the notes: the input, 13 convs, 5 pools, 3 fcs (ReLU in place,
    # dropout and softmax in place, flatten a view: none of them a line).
    assert len(rows) == len(VGG16_NOTES) == 22
    for row, (shape, values, weights) in zip(rows, VGG16_NOTES):
        cells = row.split()
        assert cells[1] == shape, row
        assert f"= {values:,}" in row or cells[2] == f"{values:,}", row
        assert row.endswith(f"{weights:,}"), row
    # The line the issue quotes: CONV3-64 at 224x224x64 = 3,211,264 values.
    assert "224*224*64 = 3,211,264 (3.21M)" in rows[1]
    assert "(3*3*3)*64 = 1,728" in rows[1]


def test_vgg16_memory_total_by_hand():
    _, totals = notes_table("architectures/vgg16.yaml")
    # 150,528 + 2*3,211,264 + 802,816 + 2*1,605,632 + 401,408 + 3*802,816 + 200,704
    # + 3*401,408 + 100,352 + 3*100,352 + 25,088 + 4,096 + 4,096 + 1,000 = 15,237,608
    # (the notes print "24M", a known slip; the sum of their own lines is 15.2M).
    values = 150_528 + 2 * 3_211_264 + 802_816 + 2 * 1_605_632 + 401_408 + 3 * 802_816 + 200_704
    values += 3 * 401_408 + 100_352 + 3 * 100_352 + 25_088 + 4_096 + 4_096 + 1_000
    assert values == sum(v for _, v, _ in VGG16_NOTES) == 15_237_608
    # * 4 bytes = 60,950,432 bytes: 61.0 MB decimal, 60,950,432 / 2**20 = 58.1 MiB ("~58 MB").
    assert totals[0].startswith(
        "TOTAL memory: 15,237,608 values (15.2M) * 4 bytes (float32) = 60,950,432 bytes = 61.0 MB = 58.1 MiB"
    )
    # Weights without biases: 138,357,544 parameters less the biases 2*64 + 2*128 + 3*256
    # + 6*512 + 2*4096 + 1000 = 13,416: 138,344,128.
    weights = sum(w for _, _, w in VGG16_NOTES)
    assert weights == 138_357_544 - 13_416 == 138_344_128
    assert totals[1] == "TOTAL params: 138,344,128 weights (138M) without biases; 138,357,544 with the 13,416 biases"


def test_notes_memory_at_another_dtype_and_batch():
    result = run("summarize", "architectures/vgg16.yaml", "--format", "notes", "--dtype", "float16", "--batch", "2")
    # 15,237,608 values * 2 bytes * 2 examples = 60,950,432 bytes, the same as one float32 image.
    assert "* 2 bytes (float16) * batch 2 = 60,950,432 bytes" in result.stdout


def test_an_activation_whose_input_is_read_elsewhere_is_not_in_place(tmp_path):
    # The relu's input also feeds the add, so the relu cannot overwrite it: its 4*4*2 = 32
    # values count. Lines: input 32, conv 32, relu 32, add 32: 128 values.
    path = tmp_path / "branch.yaml"
    path.write_text(
        "input: [2, 4, 4]\nlayers:\n  - conv: {filters: 2, kernel: 3, padding: 1}\n    name: c\n  - relu\n"
        "  - add: [c, relu1]\n"
    )
    rows, totals = notes_table(path)
    assert [row.split()[0] for row in rows] == ["input", "c", "relu1", "add1"]
    assert totals[0].startswith("TOTAL memory: 128 values")


def test_a_size_may_be_written_with_its_arithmetic(tmp_path):
    # 28*28*8 = 6,272 values, written as the notes write it, as a bare product, or wrong
    # (6,271: the result after "=" is the answer judged).
    path = tmp_path / "size.yaml"
    template = 'input: [3, 32, 32]\nlayers:\n  - conv: {{filters: 8, kernel: 5}}\n    expect: {{size: "{}"}}\n'
    for written, code in (("28*28*8 = 6,272", 0), ("28*28*8", 0), ("28 * 28 * 8 = 6,271", 1)):
        path.write_text(template.format(written))
        assert run("check", path).returncode == code, written
    path.write_text(template.format("28x28x8"))
    result = run("check", path)
    assert result.returncode == 2 and result.stderr.startswith(f"{path}:4:") and "Traceback" not in result.stderr


# --- check and run -------------------------------------------------------------------------


def test_check_names_every_wrong_cell(tmp_path):
    # The 5x5 exercise's answer [[12, 12, 17], [10, 17, 19], [9, 6, 14]] (worked by hand in
    # the example's header) with three cells changed: [0][1], [2][1], [2][2].
    text = (HOMEWORK / "conv-5x5-values.yaml").read_text()
    path = tmp_path / "wrong.yaml"
    path.write_text(text.replace("[[12, 12, 17]", "[[12, 13, 17]").replace("[9, 6, 14]]", "[9, 7, 15]]"))
    result = run("check", path)
    assert result.returncode == 1
    assert "3 cells differ ([row][column]):" in result.stdout
    for cell in ("[0][1]: 13 written, 12 computed", "[2][1]: 7 written, 6 computed", "[2][2]: 15 written, 14 computed"):
        assert cell in result.stdout
    assert "[1][" not in result.stdout  # row 1 is right


def test_fraction_and_single_number_weights():
    # examples/homework/box-blur-fractions.yaml, by hand in its header: 54/9, 63/9, 90/9,
    # 99/9 = 6, 7, 10, 11; (6 + 7 + 10 + 11)/4 = 8.5; 8.5/3 = 17/6.
    result = run("run", HOMEWORK / "box-blur-fractions.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[[6, 7],\n   [10, 11]]" in result.stdout  # 63 * (1/9) shown as 7, not 6.999999
    assert "[[8.5]]" in result.stdout and "[[2.833333]]" in result.stdout


def test_a_rounded_answer_must_be_rounded_right(tmp_path):
    # 17/6 = 2.8333...: 2.83 and 2.8 are it rounded; 2.84 and 2.82 are not.
    text = (HOMEWORK / "box-blur-fractions.yaml").read_text()
    path = tmp_path / "rounded.yaml"
    for written, code in (("2.8", 0), ("2.84", 1), ("2.82", 1), ("2.833", 0)):
        path.write_text(text.replace("values: [[2.83]]", f"values: [[{written}]]"))
        assert run("check", path).returncode == code, written


def test_the_bias_false_hint_only_for_the_bias(tmp_path):
    path = tmp_path / "missing.yaml"
    base = "input: [1, 2, 2]\nvalues: [[1, 2], [3, 4]]\nlayers:\n  - conv: {{filters: 1, kernel: 1{}}}\n"
    path.write_text(base.format(", weights: 2"))  # the bias is missing: bias: false would do
    result = run("run", path)
    assert result.returncode == 2
    assert "needs its bias written out (or bias: false)" in result.stderr
    path.write_text(base.format(", bias: false"))  # the weights are missing: no such way out
    result = run("run", path)
    assert result.returncode == 2
    assert "needs its weights written out to compute values" in result.stderr
    assert "bias: false" not in result.stderr
    assert result.stderr.startswith(f"{path}:4:5: error:")


# --- explain and the calculators ---------------------------------------------------------


def test_a_left_over_column_is_a_column():
    # 64x64 input, 5x5 kernel, stride 2: (64 - 5) = 59 = 29*2 + 1, one row and one column unused.
    result = run("conv", "--input", "64x64x3", "--filters", "8", "--kernel", "5", "--stride", "2")
    assert "H: floor((64 - 5)/2) + 1 = 30 (1 row at the end left unused)" in result.stdout
    assert "W: floor((64 - 5)/2) + 1 = 30 (1 column at the end left unused)" in result.stdout


def test_the_kernel_tensor_shape_in_conv_and_explain():
    # 10 filters of 5x5 over 3 channels: 10 x 3 x 5 x 5 = 750 weights, 10 biases.
    result = run("conv", "--input", "32x32x3", "--filters", "10", "--kernel", "5")
    assert "weights 10 x 3 x 5 x 5 (C_out x C_in x F_H x F_W) = 750 values" in result.stdout
    assert "bias 10 (C_out) = 10 values" in result.stdout
    # The homework table's CONV1: 8 filters 5x5 on 32x32x3 -> 8 x 3 x 5 x 5 = 600.
    result = run("explain", HOMEWORK / "homework-table.yaml", "--layer", "CONV1")
    assert "weights 8 x 3 x 5 x 5 (C_out x C_in x F_H x F_W) = 600 values" in result.stdout
    # examples/homework/kernel-tensor-shapes.yaml (by hand in its header): a transposed
    # convolution is stored C_in x C_out, 16 x 4 x 2 x 2 = 256; an fc units x inputs.
    result = run("explain", HOMEWORK / "kernel-tensor-shapes.yaml")
    assert "weights 16 x 4 x 2 x 2 (C_in x C_out x F_H x F_W) = 256 values" in result.stdout
    assert "weights 10 x 2916 (units x inputs) = 29,160 values" in result.stdout
    # Grouped: 4 filters over 4 channels in 2 groups see 2 channels each: 4 x 2 x 3 x 3 = 72.
    result = run("conv", "--input", "8x8x4", "--filters", "4", "--kernel", "3", "--groups", "2")
    assert "weights 4 x 2 x 3 x 3 (C_out x C_in/groups x F_H x F_W) = 72 values" in result.stdout


# --- "same" padding, three meanings -------------------------------------------------------


def test_same_padding_at_stride_2_in_the_notes_and_elsewhere():
    result = run("explain", HOMEWORK / "same-padding-stride2.yaml", "--layer", "tf_same")
    # W = 7, F = 2, S = 2: the notes' P = ((7-1)*2 - 7 + 2)/2 = 7/2 = 3.5; P = 3 gives
    # floor((7 + 6 - 2)/2) + 1 = 6, P = 4 gives floor((7 + 8 - 2)/2) + 1 = 7.
    assert (
        "H, the notes (output = input, 7): P = ((7-1)*2 - 7 + 2)/2 = 7/2 = 3.5, not whole: floor P = 3 gives "
        "floor((7 + 2*3 - 2)/2) + 1 = 6, ceil P = 4 gives floor((7 + 2*4 - 2)/2) + 1 = 7" in result.stdout
    )
    # TensorFlow: ceil(7/2) = 4 outputs need (4-1)*2 + 2 - 7 = 1: 0 before, 1 after.
    assert (
        "H, TensorFlow's SAME (cnncalc's same): output ceil(7/2) = 4, padding max((4-1)*2 + 2 - 7, 0) = 1: "
        "0 before, 1 after" in result.stdout
    )
    assert "H, PyTorch's padding='same' (convolutions only): refused at stride 2" in result.stdout


def test_same_padding_at_stride_1_agrees_for_odd_kernels_and_splits_even_ones():
    # 5x5 on 32: the notes' P = (31 - 32 + 5)/2 = 2; TensorFlow and PyTorch pad 4 = 2 + 2.
    result = run("conv", "--input", "32x32x3", "--filters", "1", "--kernel", "5", "--padding", "same")
    assert "W, the notes (output = input, 32): P = ((32-1)*1 - 32 + 5)/2 = 2 on each side" in result.stdout
    assert "W, PyTorch's padding='same' (convolutions only): 4 in all, 2 before, 2 after: output 32" in result.stdout
    # 4x4 on 8: the notes' P = (7 - 8 + 4)/2 = 1.5 (P = 1: 8 + 2 - 4 + 1 = 7; P = 2: 9);
    # TensorFlow and PyTorch both pad 3: 1 before, 2 after.
    result = run("conv", "--input", "8x8x1", "--filters", "1", "--kernel", "4", "--padding", "same")
    assert "3/2 = 1.5, not whole: floor P = 1 gives floor((8 + 2*1 - 4)/1) + 1 = 7, ceil P = 2 gives" in result.stdout
    assert "floor((8 + 2*2 - 4)/1) + 1 = 9" in result.stdout
    assert "padding max((8-1)*1 + 4 - 8, 0) = 3: 1 before, 2 after" in result.stdout
    assert "PyTorch's padding='same' (convolutions only): 3 in all, 1 before, 2 after: output 8" in result.stdout


# --- shapes as the notes write them -------------------------------------------------------


def test_shape_notations_of_the_notes(tmp_path):
    # examples/homework/shape-notations.yaml: every answer right in the notes' notations.
    result = run("check", HOMEWORK / "shape-notations.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 answers: 8 right, 0 wrong" in result.stdout
    # Wrong ones stay wrong: 5 - 5 + 1 = 1, not 2; an fc's 4096 outputs are not 2x4096.
    path = tmp_path / "wrong.yaml"
    path.write_text(
        'input: [3, 5, 5]\nlayers:\n  - conv: {filters: 8, kernel: 5}\n    expect: {shape: "(2, 2, 8)"}\n'
        '  - fc: 4096\n    expect: {shape: 2x4096}\n  - fc: 4096\n    expect: {shape: "(1, 1, 4096)"}\n'
    )
    result = run("check", path)
    assert result.returncode == 1
    assert "(2, 2, 8) is wrong; the answer is 1x1x8 (H x W x C)" in result.stdout
    assert "2x4096 is wrong" in result.stdout
    assert "(1, 1, 4096) is right" in result.stdout


def check_conv_shape(tmp_path, written: str):
    """``check`` on a 5x5 conv of 8 filters on 32x32x3 (output 28x28x8) answered ``written``."""
    path = tmp_path / "shape.yaml"
    conv = "input: [3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 5}\n"
    path.write_text(conv + f'    expect: {{shape: "{written}"}}\n')
    return path, run("check", path)


def test_a_shape_right_in_the_other_order_says_so(tmp_path):
    # 28x28x8 channels first is (8, 28, 28).
    _, result = check_conv_shape(tmp_path, "(8, 28, 28)")
    assert result.returncode == 1
    assert "text is read H x W x C, as the notes write shapes; channels first your answer is right" in result.stdout


def test_a_shape_that_is_not_one_is_refused_with_its_place(tmp_path):
    path, result = check_conv_shape(tmp_path, "28 by 28")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:4:21: error: ")
    assert "a shape is a list such as [8, 28, 28]" in result.stderr
    assert "Traceback" not in result.stderr


# --- run: max pooling's switches ----------------------------------------------------------


def switch_rows(stdout: str) -> list:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "PyTorch's return_indices" in line) + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("  ["):
            break
        rows.append(line.strip())
    return rows


def test_run_shows_the_switches_of_the_notes_max_pooling_figure():
    # The notes' figure: windows [[1,1],[5,6]], [[2,4],[7,8]], [[3,2],[1,2]], [[1,0],[3,4]];
    # maxima 6 at (1,1), 8 at (1,3), 3 at (2,0), 4 at (3,3).
    result = run("run", HOMEWORK / "maxpool-2x2-values.yaml")
    assert switch_rows(result.stdout) == ["[(1, 1), (1, 3)]", "[(2, 0), (3, 3)]"]


def test_switches_of_overlapping_padded_windows_by_hand():
    # examples/homework/maxpool-switches.yaml, each window worked out in its header; (0,1) is
    # the switch of two outputs, and of the two 8s in window (1,1) the first in reading order.
    result = run("run", HOMEWORK / "maxpool-switches.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert switch_rows(result.stdout) == [
        "[(0, 1), (0, 1), (1, 4)]",
        "[(2, 1), (1, 2), (1, 4)]",
        "[(4, 0), (3, 2), (4, 3)]",
    ]


@pytest.mark.torch
def test_switches_agree_with_pytorch_return_indices():
    torch = pytest.importorskip("torch")
    import numpy as np
    from conftest import analyze_text

    from cnncalc.homework import max_switches

    rng = np.random.default_rng(3)
    for kernel, stride, padding, size in ((2, 2, 0, 6), (3, 2, 1, 7), (3, 1, 1, 5), (3, 3, 0, 8)):
        x = rng.standard_normal((2, size, size))
        pool = f"{{kernel: {kernel}, stride: {stride}, padding: {padding}}}"
        layer = analyze_text(f"input: [2, {size}, {size}]\nlayers:\n  - maxpool: {pool}\n").layers[0]
        _, indices = torch.nn.functional.max_pool2d(torch.tensor(x)[None], kernel, stride, padding, return_indices=True)
        ours = [[[r * size + c for r, c in row] for row in grid] for grid in max_switches(layer, x)]
        assert ours == indices[0].tolist(), (kernel, stride, padding)


# --- stochastic pooling ------------------------------------------------------------------


def test_stochastic_pooling_is_the_probability_weighted_average():
    # examples/homework/stochastic-pooling.yaml, by hand in its header: windows [1, 2, 3, 4]
    # -> 30/10 = 3, zeros -> 0, [2, 2, 2, 2] -> 16/8 = 2, [6, 0, 0, 2] -> 40/8 = 5.
    result = run("run", HOMEWORK / "stochastic-pooling.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stochastic (stochastic_pool), output [1, 2, 2]:\n  [[3, 0],\n   [2, 5]]" in result.stdout
    assert "3 answers: 3 right, 0 wrong" in result.stdout  # run checks the values answers


def test_stochastic_pooling_counts_negatives_as_zero_and_shapes_as_a_pool(tmp_path):
    # [[5, -1], [0, 0]]: the -1 counts as 0: 25/5 = 5. A 3x3/2 window with padding 1 on
    # 7x7: floor((7 + 2 - 3)/2) + 1 = 4; no parameters, no MACs.
    path = tmp_path / "negative.yaml"
    path.write_text(
        "input: [1, 2, 2]\nvalues: [[5, -1], [0, 0]]\nlayers:\n  - stochastic_pool: 2\n    expect: {values: [[5]]}\n"
    )
    assert run("check", path).returncode == 0
    from conftest import analyze_text

    text = "input: [3, 7, 7]\nlayers:\n  - stochastic_pool: {kernel: 3, stride: 2, padding: 1}\n"
    layer = analyze_text(text).layers[0]
    assert (list(layer.shape), layer.params, layer.macs) == ([3, 4, 4], 0, 0)
    # receptive field: size 3, jump 2, start 0 + ((3-1)/2 - 1)*1 = 0
    field = layer.receptive_field
    assert (field.size, field.jump, field.start) == ((3, 3), (2, 2), (0, 0))


@pytest.mark.parametrize("path", sorted((ROOT / "architectures").glob("*.yaml")), ids=lambda path: path.name)
def test_notes_format_on_every_zoo_file(path):
    # Every line's values are H*W*C of its output ("= N" in the memory column, or N for a
    # vector), and the total is their sum.
    rows, totals = notes_table(path)
    values = []
    for row in rows:
        shape = row.split()[1]
        count = 1
        for n in shape.split("x"):
            count *= int(n)
        assert f"{count:,}" in row, row
        values.append(count)
    assert totals[0].startswith(f"TOTAL memory: {sum(values):,} values")
