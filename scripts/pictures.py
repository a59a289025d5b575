"""Makes the pictures README shows (``make docs-pictures``): cnncalc's own SVG drawing and
HTML report, photographed by headless Chromium (the DevTools client of tests/cdp.py).

    docs/googlenet.png   the top of `cnncalc draw googlenet`: the stem and inception 3a
    docs/report.png      the top of `cnncalc report resnet50`, a layer clicked
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cdp import Browser  # noqa: E402


def cnncalc(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "cnncalc", *args], check=True, cwd=ROOT)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        drawing, report = Path(folder) / "googlenet.svg", Path(folder) / "resnet50.html"
        cnncalc("draw", "googlenet", "-o", str(drawing))
        cnncalc("report", "resnet50", "-o", str(report))
        with Browser.start(width=1200, height=900) as browser:
            browser.call(
                "Emulation.setDeviceMetricsOverride", width=620, height=1200, deviceScaleFactor=1, mobile=False
            )
            browser.open(drawing.as_uri())
            # Down to inception 3a's concat and a little below.
            bottom = browser.evaluate(
                "document.querySelector(\"[data-name='inception_3a.output']\").getBoundingClientRect().bottom"
            )
            shot = browser.call(
                "Page.captureScreenshot",
                format="png",
                clip={"x": 0, "y": 0, "width": 620, "height": bottom + 40, "scale": 1},
            )
            (ROOT / "docs" / "googlenet.png").write_bytes(_decode(shot["data"]))
            browser.call(
                "Emulation.setDeviceMetricsOverride", width=1100, height=820, deviceScaleFactor=1, mobile=False
            )
            browser.open(report.as_uri())
            browser.evaluate(
                "document.querySelector(\"svg.cnncalc-drawing [data-name='layer1.0.conv2']\")"
                ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
            )
            (ROOT / "docs" / "report.png").write_bytes(browser.screenshot())


def _decode(data: str) -> bytes:
    import base64

    return base64.b64decode(data)


if __name__ == "__main__":
    main()
