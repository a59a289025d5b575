"""The YAML reader: the fast reader must agree with PyYAML wherever it answers at all.

PyYAML is the independent oracle here: every document the fast reader accepts must read
to the same values (and the same positions) as ``yaml.safe_load`` / ``yaml.compose``.
"""

from __future__ import annotations

import itertools
import random
import time
from pathlib import Path

import pytest
import yaml

from cnncalc import source
from cnncalc.errors import SpecError
from cnncalc.source import _FastReader, _read_with_pyyaml, _resolve_plain, _Unsupported

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = sorted((ROOT / "architectures").glob("*.yaml"))


def plain(value):
    """YMap/YList -> dict/list, for comparing with PyYAML."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def positions(value, path="$"):
    """Every recorded position, keyed by a path to it."""
    if isinstance(value, dict):
        yield path, value.loc
        for key in value:
            yield f"{path}.{key}#key", value.key_locs[key]
            yield f"{path}.{key}", value.value_locs[key]
            yield from positions(value[key], f"{path}.{key}")
    elif isinstance(value, list):
        yield path, value.loc
        for index, item in enumerate(value):
            yield f"{path}[{index}]", value.item_locs[index]
            yield from positions(item, f"{path}[{index}]")


def fast(text):
    return _FastReader(text, "t.yaml").document()


# --- scalars ----------------------------------------------------------------------------

NUMBER_PIECES = itertools.product(
    ["", "-", "+"], ["", "0", "1", "12", "01"], ["", "."], ["", "5", "50"], ["", "e", "E"], ["", "+", "-"], ["", "3"]
)


def test_number_like_scalars_resolve_as_pyyaml_does():
    # YAML 1.1 as PyYAML reads it: "1e-5" and "-.5" are strings, "1.0e-5" and ".5" floats.
    # All 1,615 spellings in one test (as 1,615 tests they cost make test seconds of
    # bookkeeping); every disagreement is listed.
    differ, resolved = [], 0
    for text in sorted({"".join(p) for p in NUMBER_PIECES} - {""}):
        try:
            mine = _resolve_plain(text)
        except _Unsupported:
            continue  # left to PyYAML
        resolved += 1
        expected = yaml.safe_load(text)
        if (mine, type(mine)) != (expected, type(expected)):
            differ.append((text, mine, expected))
    assert differ == []
    assert resolved > 500  # most are the fast reader's own work (the rest left to PyYAML), not none


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-.5", "-.5"),
        ("+.5e-1", "+.5e-1"),
        (".5", 0.5),
        ("1e-5", "1e-5"),
        ("1.0e-5", 1.0e-5),
        ("yes", True),
        ("Off", False),
        ("~", None),
        ("null", None),
        ("relu", "relu"),
        ("-x", "-x"),
    ],
)
def test_known_yaml_11_corners(text, expected):
    assert plain(source.parse(f"v: {text}\n"))["v"] == expected == yaml.safe_load(f"v: {text}")["v"]


@pytest.mark.parametrize("text", ["0x1F", "010", "1_000", "1:30", ".inf", "-.inf", ".nan", "2001-12-14", "<<", "="])
def test_rare_number_forms_are_left_to_pyyaml(text):
    with pytest.raises(_Unsupported):
        _resolve_plain(text)


# --- documents --------------------------------------------------------------------------

ATOMS = [
    "1",
    "-2",
    "0",
    "3.5",
    ".5",
    "-.5",
    "1e-5",
    "1.0e-5",
    "true",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "relu",
    "'q s'",
    '"d\\"q"',
    "a b",
    "010",
    "0x1F",
    "1_000",
    "x:y",
    "http://a",
    "-x",
    "- x",
    "a #c",
    "",
    "[1, 2]",
    "{a: 1, b: [2, 3]}",
    "[a, [b, c]]",
    "{}",
    "[]",
    "[1,\n    2]",
    "{a: 1,\n    b: 2}",
    "&a 1",
    "*a",
    "!!int 3",
    "|\n  x",
    "a: b",
    "'it''s'",
    '"\\u00e9"',
    "[a b, c]",
    "{a: }",
    "[1, 2,]",
    "+5",
    "5.",
    "<<",
    "=",
    "é",
]
KEYS = ["a", "b", "conv", "kernel", "'q k'", "1", "on", "x y", "-k", "a:b", '"k"']


def random_document(rng: random.Random, depth: int = 0, indent: int = 0):
    """A random YAML-ish text (not always valid) and whether it is a one-line value."""
    pad = " " * indent
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return " " + rng.choice(ATOMS), True
    if roll < 0.65:
        lines = []
        for key in rng.sample(KEYS, rng.randint(1, 3)):
            value, inline = random_document(rng, depth + 1, indent + rng.choice([2, 4]))
            lines.append(f"{pad}{key}:{value}" if inline else f"{pad}{key}:\n{value}")
        return "\n".join(lines), False
    lines = []
    for _ in range(rng.randint(1, 3)):
        value, inline = random_document(rng, depth + 1, indent + 2)
        if inline:
            lines.append(f"{pad}-{value}")
        elif rng.random() < 0.5:
            first, *rest = value.split("\n")
            lines.append(f"{pad}- {first.lstrip()}" + "".join("\n" + line for line in rest))
        else:
            lines.append(f"{pad}-\n{value}")
    return "\n".join(lines), False


def test_fast_reader_agrees_with_pyyaml_on_random_documents():
    rng = random.Random(20261123)
    answered = 0
    for _ in range(4000):
        text, inline = random_document(rng)
        text = text.strip() if inline else text
        if rng.random() < 0.2:
            text = "# comment\n---\n" + text + "\n\n# end\n"
        try:
            mine = fast(text)
        except (_Unsupported, SpecError):  # SpecError: duplicate keys, which PyYAML lets pass
            continue
        answered += 1
        expected = yaml.safe_load(text)  # must not raise: the fast reader accepted it
        assert repr(plain(mine)) == repr(expected), text
        assert list(positions(mine)) == list(positions(_read_with_pyyaml(text, "t.yaml"))), text
    assert answered > 1000  # the fast reader must actually answer most of the time


@pytest.mark.parametrize("path", ARCHITECTURES, ids=lambda p: p.name)
def test_architecture_files_take_the_fast_path_and_agree(path):
    text = path.read_text()
    mine = fast(text)  # raises _Unsupported if the zoo used YAML the fast reader leaves out
    assert plain(mine) == yaml.safe_load(text)
    assert list(positions(mine)) == list(positions(_read_with_pyyaml(text, "t.yaml")))


def test_positions_are_one_based_line_and_column():
    doc = source.parse("input: [3, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n", "f.yaml")
    layer = doc["layers"][0]
    assert tuple(doc.key_locs["layers"]) == ("f.yaml", 2, 1)
    assert tuple(doc["layers"].item_locs[0]) == ("f.yaml", 3, 5)
    # "  - conv: {filters: 4, kernel: 3}": the 3 is the 32nd character of line 3.
    assert tuple(layer["conv"].value_locs["kernel"]) == ("f.yaml", 3, 32)


# --- errors and safety ----------------------------------------------------------------------


@pytest.mark.parametrize("text, line", [("a: 1\nb: 2\na: 3\n", 3), ("x: {k: 1, k: 2}\n", 1)])
def test_duplicate_keys_are_errors_in_both_readers(text, line):
    for read in (lambda t: source.parse(t, "d.yaml"), lambda t: _read_with_pyyaml(t, "d.yaml")):
        with pytest.raises(SpecError) as error:
            read(text)
        assert f"d.yaml:{line}:" in str(error.value) and "duplicate key" in str(error.value)


def test_syntax_errors_point_at_what_was_left_open():
    # PyYAML notices the missing ']' at the end of the file; the fix belongs at the '['.
    with pytest.raises(SpecError) as error:
        source.parse("layers: [1, 2\n", "s.yaml")
    assert str(error.value) == "s.yaml:1:9: error: invalid YAML: this [ is never closed (no matching ])"
    with pytest.raises(SpecError) as error:
        source.parse('name: "VGG\ninput: [3]\n', "s.yaml")
    assert str(error.value) == "s.yaml:1:7: error: invalid YAML: this quote is never closed"


def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    text = f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(SpecError) as error:
        source.parse(text, "evil.yaml")
    assert not marker.exists()
    assert str(error.value).startswith("evil.yaml:1:4: error:")


def test_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):  # 10**9 values once expanded
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    start = time.perf_counter()
    with pytest.raises(SpecError) as error:
        source.parse("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 2
    assert "alias" in str(error.value)


def test_merge_keys_are_applied():
    text = "base: &b {kernel: 3, padding: 1}\nconv:\n  <<: *b\n  filters: 8\n"
    assert plain(source.parse(text))["conv"] == {"kernel": 3, "padding": 1, "filters": 8}


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(SpecError, match=r"^.*missing\.yaml: error: cannot read"):
        source.load(str(tmp_path / "missing.yaml"))
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8"):
        source.load(str(binary))


def test_a_bare_type_with_sibling_keys_gets_a_hint():
    # `- relu` is a string; the `name:` below it cannot attach to it without `relu:`.
    with pytest.raises(SpecError) as error:
        source.parse("layers:\n  - relu\n    name: act1\n", "h.yaml")
    assert str(error.value).startswith("h.yaml:3:9: error: invalid YAML")
    assert "write `- relu:` with a colon" in str(error.value)


def test_misaligned_keys_get_an_indentation_hint():
    with pytest.raises(SpecError) as error:
        source.parse("layers:\n  - maxpool: 2\n   name: p\n", "h.yaml")
    assert "check this line's indentation" in str(error.value)
