"""cnncalc: shapes, parameters, memory, MACs and receptive fields of convolutional networks.

The library is usable without the command line::

    from cnncalc import analyze_file
    report = analyze_file("architectures/vgg16.yaml")
    report.totals.params        # 138357544
    report.layers[0].shape      # (64, 224, 224)

Kept small on purpose: importing cnncalc imports nothing heavy (no numpy, click or rich).
"""

__version__ = "0.1.0"


def analyze_file(path: str, batch: int = 1, dtype: str = "float32"):
    """Reads, builds and analyzes an architecture file; see ``cnncalc.report``."""
    from .report import analyze_file as _analyze_file

    return _analyze_file(path, batch, dtype)
