"""Properties over arbitrary input (issue 14), and a short sample of the mutation fuzzer.

Each reader of user input either returns a value or raises the one error it documents,
whatever the input: YAML text (``SpecError``), a pattern (``SpecError``), an expression
(``ExprError``), a size option (click's ``BadParameter``), a shape option (``UsageError``),
and a whole file read and analysed (``CnncalcError``). ``make fuzz`` runs the fuzzer for
minutes; here a few seconds of it run with every ``make test``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import click
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc import entry, graph, memory, pattern, report, source, spec
from cnncalc.app import parse_shape
from cnncalc.cli import parse_size
from cnncalc.errors import CnncalcError, SpecError, UsageError
from cnncalc.expr import ExprError, evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz  # noqa: E402 (tests/fuzz.py, beside this file)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAMLISH = st.text(alphabet=st.sampled_from(list("[]{}:,-#&*!|>'\"\n\t 0123456789.eE+-_abxyz$()%\x00\u00b2\u00e9")))
ZOO = [path.read_text() for path in fuzz.SOURCES]


def reads_or_refuses(text: str, file: str = "f.yaml") -> None:
    """Reads, validates, builds and analyses ``text``; only cnncalc's own errors may escape."""
    try:
        report.analyze(graph.build(spec.parse(source.parse(text, file), file)))
    except CnncalcError:
        pass


@SETTINGS
@given(YAMLISH)
def test_any_text_is_read_or_refused(text):
    try:
        source.parse(text, "f.yaml")
    except SpecError as error:
        assert all(d.loc.file == "f.yaml" for d in error.diagnostics)


@SETTINGS
@given(st.integers(0, len(ZOO) - 1), st.integers(0, 2**32))
def test_mutated_zoo_files_are_read_or_refused(which, seed):
    reads_or_refuses(fuzz.mutate(ZOO[which], random.Random(seed)))


@SETTINGS
@given(st.integers(0, 2**32))
def test_any_pattern_is_read_or_refused(seed):
    text = fuzz.random_pattern(random.Random(seed))
    try:
        document = pattern.document(text)
        report.analyze(graph.build(spec.parse(document, pattern.FILE)))
    except CnncalcError as error:
        assert all(d.loc.file == pattern.FILE for d in getattr(error, "diagnostics", []))


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("()k+-*/%<>=!,. 0123456789minaxtrueflsod\u00b2")), max_size=220))
def test_any_expression_is_evaluated_or_refused(text):
    for value in (3, 10**4000, 0.5, [], [1, 2], True):
        try:
            evaluate(text, {"k": value})
        except ExprError:
            pass


@SETTINGS
@given(st.text(max_size=50))
def test_any_size_option_is_read_or_refused(text):
    try:
        assert 0 <= parse_size(text) <= 2**50
    except click.BadParameter:
        pass


@SETTINGS
@given(st.text(max_size=30))
def test_any_shape_option_is_read_or_refused(text):
    try:
        shape, _ = parse_shape(text)
        assert all(isinstance(n, int) and n >= 1 for n in shape)
    except UsageError:
        pass


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                "summarize",
                "f.yaml",
                "--batch",
                "--dtype",
                "--format",
                "json",
                "2",
                "\u00b2",
                "9" * 5000,
                "-1",
                "--batch=3",
                "float16",
                "--",
            ]
        ),
        max_size=6,
    )
)
def test_the_fast_lane_takes_or_passes_on_any_command_line(argv):
    request = entry.fast_summarize_request(argv)
    assert request is None or 1 <= request[1] <= memory.MAX_BATCH


def test_a_short_sample_of_the_fuzzer_finds_nothing():
    runner = fuzz.sample(seconds=1.5, seed=14, workers=1, timeout=20, max_rss=2**30, keep=None)
    assert runner.runs > 0
    assert runner.findings == [], runner.findings[:3]
