"""``cnncalc verify``: the report held against what the NumPy executor measures.

For every layer: the output array's shape, the sizes of the weight arrays the forward pass
consumed (parameters and buffers), the MACs the kernels counted, and the receptive field
the probe measured (``probe.py``). Every figure is measured on the executor, none is
recomputed from the report's formulas.

Before anything is allocated, the run's memory is estimated from the report, and a run
beyond ``max_memory`` is refused (``input: [3, 100000, 100000]`` must never take the
machine down).
"""

from __future__ import annotations

import os

from .errors import CnncalcError
from .files import read
from .geometry import GLOBAL
from .graph import build
from .memory import run_estimate
from .record import Record, plain
from .report import analyze

CHECKED = ("shape", "params", "buffers", "macs", "receptive_field")


class Check(Record, fields="layer field expected measured ok note"):
    """One figure of one layer: the report's value, the executor's, and whether they agree.
    ``ok`` is None where nothing could be measured (``note`` says why)."""

    __slots__ = ()


class Verification(Record, fields="file name checks estimate_bytes peak_bytes"):
    __slots__ = ()

    @property
    def mismatches(self) -> list:
        return [check for check in self.checks if check.ok is False]

    @property
    def unmeasured(self) -> list:
        return [check for check in self.checks if check.ok is None]

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "name": self.name,
            "verified": not self.mismatches,
            "checks": [
                {
                    "layer": c.layer,
                    "field": c.field,
                    "expected": plain(c.expected),
                    "measured": plain(c.measured),
                    "ok": c.ok,
                    **({"note": c.note} if c.note else {}),
                }
                for c in self.checks
            ],
            "mismatches": len(self.mismatches),
            "unmeasured": len(self.unmeasured),
            "estimated_bytes": self.estimate_bytes,
            "peak_live_bytes": self.peak_bytes,
        }


class MemoryLimitError(CnncalcError):
    """The run would need more memory than allowed (exit 2)."""


def default_max_memory() -> int:
    """Half of the memory available now (or 4 GiB where that cannot be read)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def verify_file(path: str, seed: int = 0, batch: int = 1, max_memory: int | None = None) -> Verification:
    """Reads ``path`` and verifies it; see ``verify_graph``."""
    return verify_graph(build(read(path)), seed, batch, max_memory)


def verify_graph(graph, seed: int = 0, batch: int = 1, max_memory: int | None = None, progress=None) -> Verification:
    """Runs ``graph`` in NumPy and checks every figure of its report; raises
    MemoryLimitError, before allocating anything, when the run would need too much memory.
    ``progress(done, total, what)`` hears how the run and the probe advance (a progress bar)."""
    from .executor import execute
    from .probe import measure_fields

    path = graph.network.file
    report = analyze(graph, batch)
    limit = default_max_memory() if max_memory is None else max_memory
    needed = run_estimate(graph, report, batch)
    if needed > limit:
        raise MemoryLimitError(
            f"{path}: error: running this network would take about {_gib(needed)}, more than the "
            f"{_gib(limit)} allowed; use a smaller input or batch, or raise --max-memory"
        )
    run = execute(graph, batch=batch, seed=seed, progress=progress)
    fields = measure_fields(graph, {layer.name: layer.receptive_field for layer in report.layers}, progress)
    checks = []
    for layer, measured in zip(report.layers, run.layers):
        for name, expected, actual in (
            ("shape", layer.shape, measured.shape),
            ("params", layer.params, measured.params),
            ("buffers", layer.buffers, measured.buffers),
            ("macs", layer.macs, measured.macs),
        ):
            checks.append(Check(layer.name, name, expected, actual, expected == actual, None))
        field = fields[layer.name]
        if field.field is None:
            checks.append(Check(layer.name, "receptive_field", layer.receptive_field, None, None, field.reason))
        else:
            same = _same_field(layer.receptive_field, field.field)
            checks.append(Check(layer.name, "receptive_field", layer.receptive_field, field.field, same, None))
    return Verification(path, report.name, tuple(checks), needed, run.peak_bytes)


def _same_field(expected, measured) -> bool:
    if expected == GLOBAL or measured == GLOBAL:
        return expected == measured
    return all(
        len(a) == len(b) and all(abs(x - y) <= 1e-9 * max(1, abs(x)) for x, y in zip(a, b))
        for a, b in zip(expected, measured)
    )


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"
