"""Prints pip constraints that pin every dependency of pyproject.toml to its lower bound.

    python scripts/lower_bounds.py > lower.txt && pip install -c lower.txt -e '.[test]'

``click>=8.1`` becomes ``click==8.1``; a dependency without a lower bound is left free.
Environment markers are kept, so ``tomli`` is pinned only where it is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LOWER = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*[^;]*?>=\s*([^,;\s]+)[^;]*(;.*)?$")


def lower_bounds(project: dict) -> list:
    requirements = [*project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    out = []
    for requirement in requirements:
        match = LOWER.match(requirement)
        if match:
            name, version, marker = match.groups()
            out.append(f"{name}=={version}" + (f" {marker}" if marker else ""))
    return out


if __name__ == "__main__":
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    print("\n".join(lower_bounds(project)))
    sys.exit(0)
