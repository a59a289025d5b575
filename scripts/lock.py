"""Writes constraints.txt: the exact release of every package `make test` installs, per Python.

    python scripts/lock.py python3.10 python3.11 python3.12 python3.13 > constraints.txt
    make lock          # the same, with the Pythons of PYTHONS

For each interpreter it makes a throwaway venv, installs cnncalc with its test extra at
the newest releases, and reads `pip freeze`. A release every interpreter agrees on is one
line; where they differ (numpy 2.5 needs Python 3.12, hypothesis dropped 3.10), each
interpreter gets its own line with a `python_version` marker, which pip's `-c` honours.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def freeze(python: str) -> tuple:
    """``(major.minor, {name: version})`` of a fresh install with ``python``."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([python, "-m", "venv", folder], check=True)
        pip = [f"{folder}/bin/python", "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", f"{ROOT}[test]"], check=True)
        lines = subprocess.run([*pip, "freeze", "--exclude", "cnncalc"], capture_output=True, text=True, check=True)
    pins = {}
    for line in lines.stdout.splitlines():
        name, sep, release = line.partition("==")
        if sep:
            pins[name.lower()] = release
    return version, pins


def merge(freezes: dict) -> list:
    names = sorted({name for pins in freezes.values() for name in pins})
    out = []
    for name in names:
        releases = {version: pins[name] for version, pins in freezes.items() if name in pins}
        if len(set(releases.values())) == 1:  # a pin for a package pip does not install is inert
            out.append(f"{name}=={next(iter(releases.values()))}")
            continue
        for version, release in sorted(releases.items(), key=lambda item: tuple(map(int, item[0].split(".")))):
            out.append(f'{name}=={release}; python_version == "{version}"')
    return out


def main(pythons: list) -> int:
    freezes = dict(freeze(python) for python in pythons)
    print("# Exact releases for `make test` (pip install -c constraints.txt -e .[test]).")
    print(f"# Written by scripts/lock.py for Python {', '.join(sorted(freezes))}; `make lock` rewrites it.")
    print("\n".join(merge(freezes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [sys.executable]))
