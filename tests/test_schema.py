"""``cnncalc schema`` and the engine give the same verdicts.

On every file of the zoo, of tests/broken and of examples/, the JSON Schema must accept what
the engine reads past its form checks (spec.parse: the ``schema`` stage of lint) and refuse
what the engine refuses there. What only the graph or the arithmetic can tell (an unknown
``from``, a kernel larger than its input) is beyond a schema: such files must be valid
for it. Files that are no YAML (or no UTF-8) are left out: a schema judges documents.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc import source, spec
from cnncalc.errors import SpecError
from cnncalc.schema import architecture_schema

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    [
        *(ROOT / "architectures").rglob("*.yaml"),
        *(ROOT / "tests" / "broken").glob("*.yaml"),
        *(ROOT / "examples").rglob("*.yaml"),
        *(ROOT / "tests" / "fuzz_seeds").glob("*.yaml"),
    ]
)


@pytest.fixture(scope="module")
def validator():
    schema = architecture_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_corpus_is_all_there():
    names = {path.name for path in FILES}
    assert {"vgg16.yaml", "mobilenet_v2.yaml", "layer-type-near-miss.yaml"} <= names
    assert len(FILES) >= 70


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(ROOT)) for path in FILES])
def test_schema_and_engine_agree(path, validator):
    try:
        text = path.read_bytes().decode("utf-8")
        document = source.parse(text, str(path))
        plain = yaml.safe_load(text)
    except (UnicodeDecodeError, SpecError, yaml.YAMLError):
        pytest.skip("not a YAML document")
    try:
        if spec.is_module_file(document):  # blocks/: modules that networks import
            spec.parse_modules(document, str(path))
        else:
            spec.parse(document, str(path))
        engine_accepts = True
    except SpecError:
        engine_accepts = False
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(plain)]
    if engine_accepts:
        assert errors == [], "the engine accepts this file, the schema refuses it"
    else:
        assert errors, "the engine refuses this file's form, the schema accepts it"


@pytest.mark.parametrize(
    "text, valid",
    [
        # YAML reads these names as numbers; the engine takes them as text (MobileNet v2's 0.0).
        ("input: [3, 8, 8]\nlayers:\n  - relu: null\n    name: 0.0\n", True),
        # An unknown key is a module use only where modules are defined.
        ("input: [3, 8, 8]\nlayers:\n  - block: {filters: 4}\n", False),
        ("input: [3, 8, 8]\nmodules:\n  block:\n    layers: [relu]\nlayers:\n  - block: {}\n", True),
        # ${...} only inside a module's body.
        ('input: [3, 8, 8]\nlayers:\n  - conv: {filters: "${n}", kernel: 3}\n', False),
        (
            'input: [3, 8, 8]\nmodules:\n  b:\n    params: {n: 4}\n    layers:\n      - conv: {filters: "${n}", kernel: 3}\nlayers:\n  - b: {}\n',
            True,
        ),
        # ... and where the file declares parameters of its own (top-level params:).
        ('params: {n: 4}\ninput: [3, "${n + 4}", 8]\nlayers:\n  - conv: {filters: "${n}", kernel: 3}\n', True),
        ("params: {n: [4]}\ninput: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n", False),
        # A file of modules only, as a network's import: reads.
        ("modules:\n  b:\n    layers: [relu]\n", True),
        ("modules:\n  b:\n    layers: [relu]\nlayers: [b]\n", False),  # a network needs its input
        ("params: {n: 4}\n", False),
        # ... and in the body of a repeat with an index, which the index's value is worked into.
        ('input: [3, 8, 8]\nlayers:\n  - repeat: 2\n    index: i\n    layers:\n      - dropout: "${i / 10}"\n', True),
        ('input: [3, 8, 8]\nlayers:\n  - repeat: 2\n    layers:\n      - dropout: "${i / 10}"\n', False),
        ("input: [3, 8, 8]\nlayers:\n  - repeat: 2\n    index: 1\n    layers:\n      - relu\n", False),
        ("input: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 4, kernel: 3}\n", True),
        ("input: [3, 8, 8]\nlayers:\n  - conv: 4\n", False),  # a conv needs its kernel
        ("input: [3, 8, 8]\nlayers:\n  - maxpool: 2\n", True),
        # One type per layer, and beside it only the siblings its type takes.
        ("input: [3, 8, 8]\nlayers:\n  - relu: null\n    maxpool: 2\n", False),
        ("input: [3, 8, 8]\nlayers:\n  - relu: null\n    nmae: r\n", False),
        ("input: [3, 8, 8]\nlayers:\n  - relu: null\n    name: r\n  - add: null\n    from: r\n", False),
        # No type key: a module use where modules are defined, wrong elsewhere.
        ("input: [3, 8, 8]\nlayers:\n  - name: r\n", False),
        ("input: [3, 8, 8]\nmodules:\n  b:\n    layers: [relu]\nlayers:\n  - {}\n", False),
        (
            "input: [3, 8, 8]\nmodules:\n  b:\n    layers: [relu]\nlayers:\n  - b: {}\n    conv: {filters: 4, kernel: 3}\n",
            False,
        ),
    ],
)
def test_schema_and_engine_agree_on_small_cases(text, valid, validator):
    try:
        document = source.parse(text, "t.yaml")
        spec.parse_modules(document, "t.yaml") if spec.is_module_file(document) else spec.parse(document, "t.yaml")
        engine_accepts = True
    except SpecError:
        engine_accepts = False
    assert engine_accepts == valid
    assert validator.is_valid(yaml.safe_load(text)) == valid
