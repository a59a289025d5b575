"""Shared helpers: build and analyze architecture files written inline in tests."""

from __future__ import annotations

import textwrap

import pytest

from cnncalc import graph, source, spec
from cnncalc import report as reporting

# A helper of test_torch.py, not a test module: collecting it (for doctests) would import
# torch, which only `make test-torch` installs.
collect_ignore = ["torch_archs.py"]


def build_text(text: str, file: str = "t.yaml"):
    return graph.build(spec.parse(source.parse(textwrap.dedent(text), file), file))


def analyze_text(text: str, batch: int = 1, dtype: str = "float32", file: str = "t.yaml"):
    return reporting.analyze(build_text(text, file), batch, dtype)


@pytest.fixture
def analyze():
    return analyze_text
