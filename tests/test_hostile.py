"""Hostile input (issue 14): whatever a file, pattern or option holds, cnncalc answers with
exit 0, 1 or 2, a position where a file is at fault, and never a traceback or "internal
error" (exit 3).

Positions are read off the inputs written here (line and column counted by hand), never
taken from cnncalc's own output.
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

from cnncalc import entry

HEADER = "input: [3, 8, 8]\nlayers:\n  - relu\n"


def cnncalc(capsys, *argv) -> tuple:
    """``(exit code, stdout, stderr)`` of one in-process call, the fast lane included."""
    try:
        code = entry.main([str(a) for a in argv])
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 2
    finally:
        gc.enable()  # entry.main disables it for the one-shot command line
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, err: str, where: str | None = None) -> None:
    """Exit 2, no traceback, no internal error; with ``where``, the first line starts there."""
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    if where is not None:
        assert err.startswith(f"{where}: error: "), err


def refused_at(command: str, result: tuple, path, where: str) -> None:
    """Refused at ``path:where``: lint lists it as the first problem (exit 1), the others exit 2."""
    code, out, err = result
    if command == "lint":
        assert code == 1 and lint_position(out, path) == f"{path}:{where}", out
    else:
        refused(code, err, f"{path}:{where}")


def write(tmp_path, text, name="f.yaml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


ALL_FILE_COMMANDS = ("summarize", "lint", "check", "run", "verify", "memory", "explain")


def lint_position(out: str, path) -> str:
    first = out.splitlines()[0]
    assert first.startswith(f"{path}:"), out
    return ":".join(first.split(":")[:3])


# --- The YAML readers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "scalar", ["!!float abc", "!!int x", "!!bool maybe", "!!timestamp x", "!!int " + "9" * 5000, "9" * 5000]
)
@pytest.mark.parametrize("command", ALL_FILE_COMMANDS)
def test_a_scalar_that_cannot_be_read_is_refused_at_its_position(tmp_path, capsys, scalar, command):
    path = write(tmp_path, HEADER + f"name: {scalar}\n")
    refused_at(command, cnncalc(capsys, command, path), path, "4:7")


def test_an_unclosed_flow_mapping_at_the_end_of_the_file(tmp_path, capsys):
    path = write(tmp_path, "input: [3, 8, 8]\nlayers: [{relu:")  # no newline at the end
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err)
    assert err.startswith(f"{path}:2:"), err


@pytest.mark.parametrize("ending", ["[-", "[a:", "{a: -", "[{a"])
def test_the_fast_reader_never_reads_past_the_end(tmp_path, capsys, ending):
    path = write(tmp_path, "input: [3, 8, 8]\nlayers: " + ending)
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err)
    assert err.startswith(f"{path}:"), err


def nested_block_lists(depth: int) -> str:
    """``layers:`` then ``depth`` lists, each a dash one column right of the one above."""
    dashes = "".join(" " * (i + 2) + "-\n" for i in range(depth))
    return "input: [3, 8, 8]\nlayers:\n" + dashes + " " * (depth + 2) + "relu\n"


@pytest.mark.parametrize("depth", [101, 150, 330, 1000])
def test_nesting_deeper_than_100_is_refused_by_both_readers(tmp_path, capsys, depth):
    # The top mapping is depth 0, `layers:`'s list 1, ... the 101st list, the first too
    # deep, is the dash on line 2 + 101 = 103, at column 103.
    path = write(tmp_path, nested_block_lists(depth))
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err)
    if depth < 1000:  # libyaml refuses the deepest on its own, at its own place
        assert err.startswith(f"{path}:103:103: error: "), err


def test_nesting_of_exactly_100_is_read(tmp_path, capsys):
    from cnncalc import source

    text = nested_block_lists(99)  # `layers:` list + 98 more + the scalar: 100 deep
    value = source.parse(text)
    assert value["layers"] is not None


def test_an_anchor_defined_deep_and_used_shallow_counts_where_it_is_used(tmp_path, capsys):
    # Fifteen anchors, each 90 lists around the one before: 1,350 deep once used.
    lines = ["input: [3, 8, 8]", "layers: [relu]"]
    for k in range(15):
        inner = f"*a{k - 1}" if k else "relu"
        lines.append(f"a{k}: &a{k} " + "[" * 90 + inner + "]" * 90)
    path = write(tmp_path, "\n".join(lines) + "\n")
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err)
    assert err.startswith(f"{path}:"), err


@pytest.mark.parametrize(
    "text, where",
    [
        ("input: [3, 8, 8]\nlayers:\n  - relu\x00\n", "3:9"),
        ("input: [3, 8, 8]\nlayers:\n  - r\u00e9lu\x01\n", "3:10"),  # columns count characters
    ],
)
def test_a_control_character_has_the_same_position_in_summarize_and_lint(tmp_path, capsys, text, where):
    path = write(tmp_path, text)
    code, out, err = cnncalc(capsys, "summarize", path)
    refused(code, err, f"{path}:{where}")
    code, out, err = cnncalc(capsys, "lint", path)
    assert code == 1 and lint_position(out, path) == f"{path}:{where}"


def test_non_utf8_has_the_same_position_in_summarize_and_lint(tmp_path, capsys):
    path = write(tmp_path, b"input: [3, 8, 8]\nlayers:\n  - relu \xff\n")
    code, out, err = cnncalc(capsys, "summarize", path)
    refused(code, err, f"{path}:3:10")
    code, out, err = cnncalc(capsys, "lint", path)
    assert code == 1 and lint_position(out, path) == f"{path}:3:10"


@pytest.mark.parametrize("command", ALL_FILE_COMMANDS)
def test_devices_are_refused_unread(capsys, command):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    code, out, err = cnncalc(capsys, command, "/dev/zero")
    if command == "lint":
        assert code == 1 and out.startswith("/dev/zero:1:1: error"), out
    else:
        refused(code, err, "/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_are_refused_without_waiting_for_a_writer(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    code, _, err = cnncalc(capsys, "summarize", fifo)
    refused(code, err, str(fifo))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_linted_folder_with_device_and_fifo_links_lints_the_rest(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "a-fifo.yaml").symlink_to(tmp_path / "fifo")
    if os.path.exists("/dev/zero"):
        (tmp_path / "b-zero.yaml").symlink_to("/dev/zero")
    good = write(tmp_path, "input: [3, 8, 8]\nlayers:\n  - relu\n  - relu\n", "c-good.yaml")
    code, out, _ = cnncalc(capsys, "lint", tmp_path, "--format", "json")
    assert code == 1
    import json

    problems = json.loads(out)
    assert {p["file"] for p in problems} <= {str(tmp_path / "a-fifo.yaml"), str(tmp_path / "b-zero.yaml")}
    assert str(good) not in {p["file"] for p in problems}


def test_a_file_too_large_is_refused_by_its_size_before_it_is_read(tmp_path, capsys):
    from cnncalc.source import MAX_BYTES

    path = tmp_path / "big.yaml"
    with open(path, "wb") as stream:  # sparse: no need to write 15 MB of values
        stream.truncate(15 * 2**20)
    assert 15 * 2**20 > MAX_BYTES
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err, str(path))
    assert "MiB" in err


# --- Numbers, expressions and values -------------------------------------------------------

MODULE = """input: [3, 8, 8]
modules:
  m:
    params: {{k: 3}}
    layers:
      - conv:
          filters: 4
          kernel: "{kernel}"
layers:
  - m: {{k: {k}}}
"""
# line 8 is `kernel:`; its value starts at column 19. Line 10's `k` value at column 12.


@pytest.mark.parametrize("operator", ["+", "-", "*"])
def test_only_the_operator_written_is_evaluated(tmp_path, capsys, operator):
    # k = 3: 3 + 0 = 3, 3 - 0 = 3, 3 * 0 = 0 (a kernel of 0 is refused, at the kernel).
    path = write(tmp_path, MODULE.format(kernel=f"${{k {operator} 0}}", k=3))
    code, out, err = cnncalc(capsys, "summarize", path, "--format", "json")
    if operator == "*":
        refused(code, err, f"{path}:8:19")
    else:
        import json

        assert code == 0, err
        # conv of 4 filters, 3x3 over 3 channels: 4 * 3 * 9 + 4 = 112 parameters
        assert json.loads(out)["layers"][0]["params"] == 112


@pytest.mark.parametrize(
    "expression, k, works",
    [
        ("${min(k)}", "3", True),
        ("${max(k, 2)}", "3", True),
        ("${min(k)}", "[]", False),
        ("${min(k)}", "[1, true]", False),
        ("${" + "(" * 130 + "k" + ")" * 130 + "}", "3", False),
        ("${" + "(" * 199 + "}", "3", False),
        ("${" + "-" * 199 + "k}", "3", False),
        ("${k * k * k * k}", "9" * 4000, False),
        ("${k * 1.5}", "9" * 400, False),
        ("${k / 1}", ".nan", False),
        ("${k}", ".inf", False),
    ],
)
def test_expressions_never_crash(tmp_path, capsys, expression, k, works):
    path = write(tmp_path, MODULE.format(kernel=expression, k=k))
    code, _, err = cnncalc(capsys, "summarize", path)
    if works:
        assert code == 0, err
    else:
        refused(code, err)
        assert err.startswith(f"{path}:"), err


def test_a_non_finite_module_default_is_refused_where_it_is_written(tmp_path, capsys):
    text = MODULE.replace("{{k: 3}}", "{{k: .inf}}").format(kernel="${k}", k=3).replace("m: {k: 3}", "m")
    path = write(tmp_path, text)
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err, f"{path}:4:17")


def test_substitution_is_linear_in_the_text(tmp_path, capsys):
    import time

    path = write(tmp_path, MODULE.format(kernel="${k}" * 300_000, k=3))
    start = time.perf_counter()
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err, f"{path}:8:19")  # 333...3 is text, not a kernel size
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    "text, where",
    [
        ("input: [3, 8, 8]\nlayers:\n  - upsample: .inf\n", "3:15"),
        ("input: [3, 8, 8]\nlayers:\n  - upsample: 1e999\n", "3:15"),
        ("input: [3, 8, 8]\nlayers:\n  - upsample: [2, .nan]\n", "3:15"),
        ("input: [1, 2, 2]\nvalues: [[1, .inf], [3, 4]]\nlayers:\n  - relu\n", "2:9"),
        (
            "input: [1, 2, 2]\nvalues: [[1, 2], [3, 4]]\nlayers:\n  - pad: {padding: 1, mode: constant, value: .inf}\n",
            "4:46",
        ),
        ("input: [1, 2, 2]\nvalues: [[1, 2], [3]]\nlayers:\n  - relu\n", "2:9"),
        ("input: [1, 2, 2]\nvalues: [[[1, 2], [3, 4]], 5]\nlayers:\n  - relu\n", "2:9"),
        (
            "input: [1, 3, 3]\nvalues: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\nlayers:\n"
            "  - conv: {filters: 1, kernel: 2, weights: [[1, 1], [1]], bias: false}\n",
            "4:44",
        ),
    ],
)
@pytest.mark.parametrize("command", ["summarize", "check", "run", "lint"])
def test_non_finite_and_ragged_numbers_are_refused_by_every_command(tmp_path, capsys, text, where, command):
    path = write(tmp_path, text)
    refused_at(command, cnncalc(capsys, command, path), path, where)


@pytest.mark.parametrize(
    "answer",
    [
        "{size: 1.5}",
        "{params: 1.0}",
        "{macs: abc}",
        "{shape: 4x-6x6}",
        "{shape: [4, true]}",
        "{receptive_field: {size: abc}}",
        "{receptive_field: {width: 3}}",
        "{receptive_field: [a]}",
        "{values: [[1, !!binary aGk=]]}",
        "{values: [[1, x]]}",
    ],  # the first found by the fuzzer
)
@pytest.mark.parametrize("command", ["summarize", "check", "lint"])
def test_lint_refuses_the_answers_check_cannot_read(tmp_path, capsys, answer, command):
    path = write(tmp_path, f"input: [3, 8, 8]\nlayers:\n  - relu:\n    expect: {answer}\n")
    code, out, err = cnncalc(capsys, command, path)
    if command == "lint":
        assert code == 1 and "[schema]" in out.splitlines()[0], out
        assert lint_position(out, path).startswith(f"{path}:4:"), out
    else:
        refused(code, err)
        assert err.startswith(f"{path}:4:"), err


def test_answers_in_every_accepted_form_still_check(tmp_path, capsys):
    # relu keeps 3x8x8: 192 values; no parameters.
    text = (
        "input: [3, 8, 8]\nlayers:\n  - relu:\n"
        "    expect: {shape: 8x8x3, size: '192', params: 0, receptive_field: {size: 1, jump: [1, 1]}}\n"
    )
    code, out, err = cnncalc(capsys, "check", write(tmp_path, text))
    assert code == 0, out + err


# --- The pattern notation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, column",
    [
        ("INPUT", 6),  # the shape that is missing would start after "INPUT"
        ("INPUT ->", 7),
        ("INPUT 3\u00b2x3 -> RELU", 7),
        ("INPUT 32x32x3 -> DROPOUT.", 18),
        ("INPUT 32x32x3 -> DROPOUT.5.5", 18),
        ("INPUT 32x32x3 -> DROPOUT.nan", 18),
        ("INPUT 32x32x3 -> RELU*\u00b2", 23),
        ("INPUT 32x32x3 -> CONV\u00b2-1", 18),
        ("INPUT 32x32x3 -> CONV" + "9" * 5000 + "-1", 18),
        ("INPUT 32x32x3 -> RELU*" + "9" * 5000, 23),
        ("INPUT 32x32x3 -> " + "[" * 500, 18 + 100),  # the 101st [ is one block too deep
        ("INPUT 32x32x3 -> RELU*10000000", 18),
        ("INPUT 32x32x3 -> RELU*150000 -> RELU*50001", 33),
    ],
)
def test_bad_patterns_are_refused_at_their_column(capsys, pattern, column):
    import time

    start = time.perf_counter()
    code, _, err = cnncalc(capsys, "summarize", "--pattern", pattern)
    refused(code, err, f"<pattern>:1:{column}")
    assert time.perf_counter() - start < 5  # nothing written out before it is refused


def test_dropout_forms_still_read(capsys):
    code, out, err = cnncalc(capsys, "summarize", "--pattern", "INPUT 32x32x3 -> DROPOUT.25 -> DROPOUT -> DROPOUT0.5")
    assert code == 0, err


# --- Options -------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", ["\u00b2", "9" * 5000, "0", "-1", "1" + "0" * 10])
def test_a_bad_batch_is_a_usage_error_in_the_fast_lane_too(tmp_path, capsys, batch):
    path = write(tmp_path, HEADER)
    code, _, err = cnncalc(capsys, "summarize", path, "--batch", batch)
    refused(code, err)
    assert "--batch" in err


@pytest.mark.parametrize("size", ["inf", "1e400", "-1GiB", "nan", "1_000", "", "9" * 5000])
@pytest.mark.parametrize("command, option", [("memory", "--budget"), ("verify", "--max-memory")])
def test_a_bad_size_is_a_usage_error(tmp_path, capsys, size, command, option):
    path = write(tmp_path, HEADER)
    code, _, err = cnncalc(capsys, command, path, option, size)
    refused(code, err)
    assert option in err


def test_a_budget_is_read_exactly(tmp_path, capsys):
    import json

    path = write(tmp_path, HEADER)
    code, out, err = cnncalc(capsys, "memory", path, "--budget", "0.5GiB", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["budget_bytes"] == 2**29  # half of 2**30


def test_verify_fits_a_small_network_in_200mb(capsys):
    from pathlib import Path

    lenet = Path(__file__).resolve().parent.parent / "architectures" / "lenet5.yaml"
    code, out, err = cnncalc(capsys, "verify", lenet, "--max-memory", "200MB")
    assert code == 0, out + err


def test_verify_places_a_window_its_input_is_too_short_to_show(tmp_path, capsys):
    # Three pixels; conv k3 s2 "same" gives 2 units (ceil(3/2)), padding 2 in all, 1 before:
    # unit 0's window is pixels -1..1, unit 1's 1..3: field 3, jump 2, start -1 + 1 = 0. The
    # next conv k3 s1 "same" over 2 units sees both: every unit of conv2 sees all three
    # pixels, so nothing on this input places its window; on 6 pixels "same" pads conv1 0
    # before instead of 1, and the probe moves the window read there by that one position.
    # conv2: field 3 + 2*2 = 7, jump 2, start 0 + (1 - 1)*2 = 0.
    text = (
        "input: [1, 3]\nlayers:\n"
        "  - conv: {filters: 1, kernel: 3, stride: 2, padding: same}\n"
        "  - conv: {filters: 1, kernel: 3, stride: 1, padding: same}\n"
    )
    code, out, err = cnncalc(capsys, "verify", write(tmp_path, text), "--format", "json")
    import json

    assert code == 0, out + err
    checks = json.loads(out)["checks"]
    fields = {check["layer"]: check for check in checks if check["field"] == "receptive_field"}
    assert fields["conv1"]["measured"] == {"size": [3], "jump": [2], "start": [0]}
    assert fields["conv2"]["measured"] == {"size": [7], "jump": [2], "start": [0]}
    assert all(check["ok"] for check in checks)


@pytest.mark.parametrize(
    "argv, option",
    [
        (["conv", "--input", "-32x32x3", "--filters", "1", "--kernel", "3"], "--input"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "3", "--stride", "2 # c"], "--stride"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "0x2"], "--kernel"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "3, stride: 100"], "--kernel"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "9" * 5000], "--kernel"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "0"], "--kernel"),
        (["conv", "--input", "32x32x3", "--filters", "1", "--kernel", "3", "--padding", "[1]"], "--padding"),
        (["pool", "--input", "32x32x3", "--kernel", "2", "--mode", "avg", "--dilation", "5"], "--dilation"),
        (["fc", "--input", "\u00b2", "--units", "3"], "--input"),
    ],
)
def test_calculator_options_are_values_not_yaml(capsys, argv, option):
    code, _, err = cnncalc(capsys, *argv)
    refused(code, err)
    assert option in err


def test_calculator_sizes_per_axis(capsys):
    # 32 + 2*1 - 3 + 1 = 32 rows; 32 + 2*2 - 5 + 1 = 32 columns; 1 filter of 3x5x3 + bias = 46
    code, out, err = cnncalc(
        capsys, "conv", "--input", "32x32x3", "--filters", "1", "--kernel", "3,5", "--padding", "1,2"
    )
    assert code == 0, err
    assert "output 32x32x1" in out and "parameters 46" in out


# --- lint over many files ------------------------------------------------------------------


def test_one_file_cnncalc_fails_on_does_not_stop_the_others(tmp_path, capsys, monkeypatch):
    from cnncalc import lint

    real = lint.lint_file

    def fails_on_a(path, config=None, text=None, **options):
        if path.endswith("a.yaml"):
            raise RuntimeError("a bug")
        return real(path, config, text, **options)

    monkeypatch.setattr(lint, "lint_file", fails_on_a)
    write(tmp_path, HEADER, "a.yaml")
    write(tmp_path, "input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 9}\n", "b.yaml")
    code, out, err = cnncalc(capsys, "lint", tmp_path, "--format", "json")
    import json

    problems = json.loads(out)
    assert code == 1 and "internal error" not in err
    assert [(p["file"].rsplit("/", 1)[1], p["severity"]) for p in problems][:1] == [("a.yaml", "error")]
    assert any(p["file"].endswith("b.yaml") and p["rule"] == "shape" for p in problems)


# --- What check refuses, summarize and lint refuse too -------------------------------------

CONV_VALUES = (
    "input: [1, 3, 3]\nvalues: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\nlayers:\n  - conv: {filters: 1, kernel: 2}\n"
)


@pytest.mark.parametrize(
    "text, where",
    [
        # values of 2x2 for an input of 1x3x3: refused at `values:` (line 2, column 9)
        ("input: [1, 3, 3]\nvalues: [[1, 2], [3, 4]]\nlayers:\n  - relu\n", "2:9"),
        # an answer about values with no values given: at the answer (line 4, column 22)
        ("input: [1, 3, 3]\nlayers:\n  - relu:\n    expect: {values: [[1]]}\n", "4:22"),
        # an answer about values, the conv's weights not written: at the conv (line 4, column 5)
        (CONV_VALUES.replace("kernel: 2}", "kernel: 2}\n    expect: {values: [[1, 2], [3, 4]]}"), "4:5"),
    ],
)
@pytest.mark.parametrize("command", ["summarize", "check", "lint"])
def test_answers_that_cannot_be_checked_are_refused_by_all(tmp_path, capsys, text, where, command):
    path = write(tmp_path, text)
    refused_at(command, cnncalc(capsys, command, path), path, where)


def test_values_without_weights_need_them_only_to_run(tmp_path, capsys):
    path = write(tmp_path, CONV_VALUES)
    assert cnncalc(capsys, "summarize", path)[0] == 0
    assert cnncalc(capsys, "lint", path)[0] == 0
    assert cnncalc(capsys, "check", path)[0] == 0  # no answers: nothing to compute
    code, _, err = cnncalc(capsys, "run", path)
    refused(code, err, f"{path}:4:5")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [[1, *a]]\n"])
def test_an_anchor_that_contains_itself_is_refused(tmp_path, capsys, text):
    path = write(tmp_path, text + HEADER)
    code, _, err = cnncalc(capsys, "summarize", path)
    refused(code, err)
    assert err.startswith(f"{path}:1:"), err


def test_the_summarize_fast_lane_still_imports_nothing_heavy():
    # The checks added for issue 14 (file kinds, sizes, answers) must not cost start-up time.
    import subprocess
    from pathlib import Path

    vgg16 = Path(__file__).resolve().parent.parent / "architectures" / "vgg16.yaml"
    code = (
        "import sys; from cnncalc.entry import main; main(['summarize', sys.argv[1], '--format', 'json']); "
        "print(sorted({'yaml', 'numpy', 'click', 'rich', 're', 'json'} & set(sys.modules)), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(vgg16)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"


@pytest.mark.parametrize("format_name", ["table", "markdown", "csv"])
def test_depth_folds_modules_beside_plain_layers(tmp_path, capsys, format_name):
    # Found by the fuzzer: a layer outside any module is a tuple too, and was unpacked as a
    # folded instance. relu1 stays; blk1 folds its conv (3*3*9 + 3 = 84 parameters) and relu.
    text = (
        "input: [3, 8, 8]\nmodules:\n  blk:\n    layers:\n      - conv: {filters: 3, kernel: 3, padding: 1}\n"
        "      - relu\nlayers:\n  - relu\n  - blk\n"
    )
    code, out, err = cnncalc(capsys, "summarize", write(tmp_path, text), "--format", format_name, "--depth", "0")
    assert code == 0, err
    if format_name == "csv":
        rows = [line.split(",") for line in out.splitlines()[1:]]
        assert [(row[0], row[4]) for row in rows] == [("relu1", "0"), ("blk1", "84")]


@pytest.mark.parametrize("command", ["summarize", "check", "run", "explain"])
def test_a_directory_given_as_a_file_is_refused(tmp_path, capsys, command):
    code, _, err = cnncalc(capsys, command, tmp_path)
    refused(code, err)
    assert str(tmp_path) in err.splitlines()[-1]


# --- Standard input is held to a file's limits ---------------------------------------------


@pytest.mark.parametrize("command", [["summarize", "-"], ["lint", "-"]])
def test_endless_standard_input_is_refused_at_the_size_limit(command):
    # `yes | cnncalc lint -` must end: standard input is read up to source.MAX_BYTES (8 MiB)
    # and one byte more, then refused like a file that large, exit 2.
    import subprocess

    from cnncalc.source import MAX_BYTES

    text = b"# " + b"x" * (MAX_BYTES + 10) + b"\n"
    result = subprocess.run([sys.executable, "-m", "cnncalc", *command], input=text, capture_output=True)
    assert result.returncode == 2
    assert result.stderr.decode().startswith("<stdin>: error: larger than cnncalc's limit of 8.0 MiB")


def test_standard_input_that_is_not_utf8_names_its_line():
    import subprocess

    text = b"input: [1, 4, 4]\nlayers:\n  - relu # caf\xe9\n"
    result = subprocess.run([sys.executable, "-m", "cnncalc", "summarize", "-"], input=text, capture_output=True)
    assert result.returncode == 2
    assert result.stderr.decode().startswith("<stdin>:3:")
