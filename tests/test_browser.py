"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol
(tests/cdp.py). ``make test-browser`` installs Chromium where it can; without it these tests
are skipped.

ResNet-50's counts, by hand from He et al. (2015), Table 1 (see tests/test_draw.py): 174
layers, 190 edges (one per input: the 16 adds have two).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cdp import Browser, find_chromium, png_rows

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (make test-browser installs it)"),
]
SECTIONS = ("totals", "drawing", "layers", "per-layer", "fields", "memory", "lint", "verify")


@pytest.fixture(scope="module")
def resnet50_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "resnet50.html"
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "report", "resnet50", "-o", str(path)], capture_output=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def browser():
    with Browser.start(width=1280, height=900) as running:
        yield running


@pytest.fixture
def page(browser, resnet50_report):
    browser.call("Emulation.clearDeviceMetricsOverride")
    browser.open(resnet50_report.as_uri())
    return browser


def test_the_report_loads_offline_without_errors(page, resnet50_report):
    assert page.console_errors() == []
    assert page.requests() == [resnet50_report.as_uri()]  # the page itself, nothing else


def test_every_section_is_there_and_shown(page):
    for section in SECTIONS:
        height = page.evaluate(f"document.getElementById({section!r}).getBoundingClientRect().height")
        assert height > 40, section
    assert page.evaluate("document.querySelectorAll('#per-layer svg.chart').length") == 3
    assert page.evaluate("document.querySelectorAll('#memory svg.chart').length") == 2
    assert page.evaluate("document.querySelectorAll('#memory .peak').length") == 2


def test_one_node_per_layer_and_one_edge_per_input(page):
    assert page.evaluate("document.querySelectorAll('svg.cnncalc-drawing .node.layer').length") == 174
    assert page.evaluate("document.querySelectorAll('svg.cnncalc-drawing .edge').length") == 190


def _centre(page, selector: str) -> tuple:
    return tuple(
        page.evaluate(
            f"(function () {{ var e = document.querySelector({selector!r}); e.scrollIntoView({{block: 'center'}});"
            " var r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
    )


def test_clicking_a_node_shows_its_arithmetic(page):
    assert page.evaluate("document.getElementById('panel').hidden") is True
    page.click(*_centre(page, "svg.cnncalc-drawing .node.layer[data-name='conv1']"))
    assert page.evaluate("document.getElementById('panel').hidden") is False
    text = page.evaluate("document.querySelector('#panel pre').textContent")
    # conv1: 64 filters of 7x7 over 3 channels, no bias: 7*7*3*64 = 9,408 parameters;
    # output floor((224 + 3 + 3 - 7)/2) + 1 = 112.
    assert "7*7*3 * 64 = 9,408" in text
    assert "floor((224 + 3 + 3 - 7)/2) + 1 = 112" in text
    # A row of the table does the same.
    page.click(*_centre(page, "tr[data-name='layer1.0.conv2']"))
    assert page.evaluate("document.querySelector('#panel h2').textContent") == "layer1.0.conv2"
    assert page.console_errors() == []


def test_sorting_the_table_by_parameters(page):
    page.click(*_centre(page, "#layers th:nth-child(5)"))  # params, largest first
    first = page.evaluate("document.querySelector('#layers tbody tr').getAttribute('data-name')")
    # The largest layers: layer4's 3x3 convolutions, 3*3*512*512 = 2,359,296 parameters each;
    # ties keep file order, so layer4.0.conv2 comes first.
    assert first == "layer4.0.conv2"
    assert page.evaluate("document.querySelector('#layers tbody tr td:nth-child(5)').textContent") == "2,359,296"


def test_a_screenshot_is_not_blank(page):
    width, height, step, rows = png_rows(page.screenshot())
    assert width == 1280 and height > 600
    colours, inked = set(), 0
    for row in rows[::4]:
        for x in range(0, width * step, step * 4):
            pixel = row[x : x + 3]
            colours.add(pixel)
            inked += pixel != b"\xff\xff\xff"
    assert len(colours) > 50  # text, nodes in several colours, lines
    assert inked > 0.03 * (width // 4) * (height // 4)


def test_it_fits_a_phone(page, resnet50_report):
    page.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    page.open(resnet50_report.as_uri())
    # Nothing but the scrolling boxes (drawing, table, charts) is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(*_centre(page, "svg.cnncalc-drawing .node.layer[data-name='fc']"))
    panel = page.evaluate(
        "(function () { var r = document.getElementById('panel').getBoundingClientRect();"
        " return [r.left, r.right, r.bottom]; })()"
    )
    assert panel[0] >= 0 and panel[1] <= 390 and panel[2] <= 844  # the panel on the screen
    assert page.console_errors() == []


def test_it_prints(page):
    import base64

    pdf = base64.b64decode(page.call("Page.printToPDF", printBackground=False)["data"])
    assert pdf.startswith(b"%PDF")
    page.call("Emulation.setEmulatedMedia", media="print")
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
        overflow = page.evaluate("getComputedStyle(document.querySelector('.drawing')).overflow")
        assert overflow == "visible"  # the whole drawing, not a scrolling box
    finally:
        page.call("Emulation.setEmulatedMedia", media="")
