"""Shared helpers: build and analyze architecture files written inline in tests."""

from __future__ import annotations

import textwrap

import pytest

from cnncalc import analysis, graph, source, spec


def build_text(text: str, file: str = "t.yaml"):
    return graph.build(spec.parse(source.parse(textwrap.dedent(text), file), file))


def analyze_text(text: str, batch: int = 1, dtype: str = "float32", file: str = "t.yaml"):
    return analysis.analyze(build_text(text, file), batch, dtype)


@pytest.fixture
def analyze():
    return analyze_text
