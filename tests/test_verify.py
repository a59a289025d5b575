"""cnncalc verify: agreement on the zoo, disagreement caught, memory refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc.layers.base import lookup
from cnncalc.verify import verify_file

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES = sorted((ROOT / "architectures").glob("*.yaml"))
CNNCALC = str(Path(sys.executable).with_name("cnncalc"))


# Networks that take the executor and the probe more than a few seconds: `make test-all`.
SLOW = {
    "resnet34",
    "resnet50",
    "resnet50_tfslim",
    "resnet101",
    "resnet152",
    "densenet121",
    "googlenet",
    "unet",
    "mobilenet_v1",
    "mobilenet_v2",
    "preact_resnet164",
    "vgg16",
    "vgg19",
}
# Networks whose every field lies within 4x the input, so the probe measures all of them.
FULLY_MEASURED = {"resnet18", "resnet50", "mobilenet_v1", "vgg16", "alexnet"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in ARCHITECTURES],
    ids=lambda p: p.name,
)
def test_every_architecture_verifies(path):
    result = verify_file(str(path))
    assert result.mismatches == [], [tuple(check) for check in result.mismatches]
    # A field wider than the probe's largest input (4x the file's) cannot be measured; that,
    # and only that, may stay unmeasured (ResNet-34's last fields span 899 of 224 pixels).
    assert all("reach its borders" in check.note for check in result.unmeasured), [
        (check.layer, check.note) for check in result.unmeasured
    ]
    if path.stem in FULLY_MEASURED:
        assert not result.unmeasured


def test_a_wrong_report_is_caught(monkeypatch, tmp_path):
    # Break the report's conv MACs by one: the executor's own count must disagree.
    conv = lookup("conv")[0]
    honest = type(conv).macs
    monkeypatch.setattr(type(conv), "macs", lambda self, a, shapes, out: honest(self, a, shapes, out) + 1)
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 8, 8]\nlayers: [{conv: {filters: 4, kernel: 3}}]\n")
    result = verify_file(str(path))
    assert [(c.layer, c.field, c.expected, c.measured) for c in result.mismatches] == [("conv1", "macs", 3889, 3888)]


def test_exit_codes_and_json(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("input: [2, 10]\nlayers: [{conv: {filters: 3, kernel: 3}}, {upsample: 2}, relu, global_avgpool]\n")
    result = subprocess.run([CNNCALC, "verify", str(good), "--format", "json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["verified"] is True and data["mismatches"] == 0 and len(data["checks"]) == 4 * 5
    huge = tmp_path / "huge.yaml"
    # 2.7e9 input values, under the size limit; (2.7e9 + 0.9e9) * 4 bytes is far over 8 GiB
    huge.write_text("input: [3, 30000, 30000]\nlayers: [{conv: {filters: 1, kernel: 3}}]\n")
    refused = subprocess.run(
        [CNNCALC, "verify", str(huge), "--max-memory", "8GiB"], capture_output=True, text=True, timeout=10
    )
    assert refused.returncode == 2
    assert "GiB, more than the" in refused.stderr and "Traceback" not in refused.stderr
    small = subprocess.run([CNNCALC, "verify", str(good), "--max-memory", "1MiB"], capture_output=True, text=True)
    assert small.returncode == 2 and "more than the 1 MiB allowed" in small.stderr
