"""Rendering: every format reads back to the report's own figures."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from conftest import analyze_text

from cnncalc.formats import json as json_format
from cnncalc.formats import write
from cnncalc.formats.columns import bytes_text, si_text

NET = """
name: tiny [net] | test
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}
    name: "[bold]c|1"
  - batchnorm
  - maxpool: 2
  - flatten
  - fc: 2
"""


def rendered(format_name: str, report=None, stream=None) -> str:
    stream = stream or io.StringIO()
    write(report or analyze_text(NET), format_name, stream)
    return stream.getvalue()


def random_value(rng: random.Random, depth: int = 0):
    choices = [
        lambda: rng.randint(-(10**12), 10**12),
        lambda: rng.uniform(-100, 100),
        lambda: rng.choice([0.5, -1.25, 1e-7, 15.5]),
        lambda: "".join(rng.choice('ab"\\\n\t\x01é€ /') for _ in range(rng.randint(0, 8))),
        lambda: rng.choice([None, True, False]),
    ]
    if depth < 3:
        choices += [
            lambda: [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))],
            lambda: {f'k{i}"': random_value(rng, depth + 1) for i in range(rng.randint(0, 4))},
        ]
    return rng.choice(choices)()


def test_json_dumps_reads_back_with_the_json_package():
    rng = random.Random(7)
    for _ in range(2000):
        value = random_value(rng)
        assert json.loads(json_format.dumps(value)) == value


def test_json_report_is_the_report():
    report = analyze_text(NET)
    assert json.loads(rendered("json", report)) == report.to_dict()


def test_json_report_keys_follow_the_contract():
    data = json.loads(rendered("json"))
    assert list(data)[:5] == ["name", "input", "batch", "dtype", "layers"]
    layer_keys = [
        "name",
        "type",
        "inputs",
        "shape",
        "params",
        "trainable_params",
        "buffers",
        "macs",
        "activation_bytes",
        "receptive_field",
    ]
    assert all(list(layer)[: len(layer_keys)] == layer_keys for layer in data["layers"])
    for key in ["params", "trainable_params", "buffers", "macs", "activation_bytes", "param_bytes"]:
        assert key in data["totals"]
    assert data["layers"][-1]["receptive_field"] == "global"


def test_csv_has_a_row_per_layer_with_raw_figures():
    rows = list(csv.DictReader(io.StringIO(rendered("csv"))))
    # Generated names are <type><n> (docs/format.md). Params by hand: conv 4*(3*3*3) + 4 = 112;
    # batchnorm gamma and beta, 2*4 = 8; fc from 4*4*4 = 64 values to 2 units: 64*2 + 2 = 130.
    assert [row["name"] for row in rows] == ["[bold]c|1", "batchnorm1", "maxpool1", "flatten1", "fc1"]
    assert [int(row["params"]) for row in rows] == [112, 8, 0, 0, 130]
    assert rows[0]["shape"] == "4x8x8" and rows[0]["rf_size"] == "3x3"


def test_markdown_escapes_pipes_and_lists_totals():
    text = rendered("markdown")
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 5  # header, rule, five layers
    assert "\\|" in table[2]
    assert "- **params**:" in text


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_rich_table_on_a_terminal_never_reads_names_as_markup():
    text = rendered("table", stream=FakeTerminal())
    assert "[bold]c|1" in text  # printed literally, not turned into bold


def test_plain_table_when_not_a_terminal():
    text = rendered("table")
    assert "\x1b[" not in text
    assert text.splitlines()[0] == "tiny [net] | test: input 3x8x8, batch 1, float32"


@pytest.mark.parametrize(
    "n, expected",
    [(0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (12_845_056, "12.2 MiB"), (553_430_176, "528 MiB")],
)
def test_bytes_text(n, expected):
    # 12,845,056 B = 12.25 MiB -> 3 significant figures; 553,430,176 B = 527.8 MiB -> whole MiB.
    assert bytes_text(n) == expected


@pytest.mark.parametrize("n, expected", [(999, "999"), (15_470_264_320, "15.5 G"), (123_000_000, "123 M")])
def test_si_text(n, expected):
    assert si_text(n) == expected


def test_csv_cells_read_back_with_pythons_csv_module():
    # cnncalc writes CSV without the csv module (it imports re); Python's reader is the judge.
    import csv
    import io

    from cnncalc.formats.csv import write_row

    values = ["plain", "a,b", 'say "hi"', "two\nlines", "", 3, "x\r"]
    stream = io.StringIO()
    write_row(stream, values)
    assert next(csv.reader(io.StringIO(stream.getvalue()))) == [str(v) for v in values]
