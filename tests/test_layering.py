"""Promises about the code's shape, kept by tests rather than by care.

- No import circle among cnncalc's modules, lazy imports inside functions included: the
  layers go spec -> graph -> analysis (per example) -> memory (bytes) -> report -> commands.
- The summarize fast path (cnncalc/entry.py) imports none of the modules whose import costs
  more than the whole answer: one stray top-level ``import numpy`` in a layer file would
  break the start-up promise silently.
- The fast path's options are the click command's, with the same accepted values.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cnncalc"
HEAVY = ("yaml", "numpy", "click", "rich", "re", "json")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set:
    """The cnncalc modules a file imports, at the top or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import formats` imports a module
                candidate = f"{target}.{alias.name}"
                where = ROOT / Path(*candidate.split("."))
                found.add(candidate if where.is_dir() or where.with_suffix(".py").exists() else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {target for target in found if target in modules and target != name}


def test_no_import_circle():
    graph = {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}
    # A package's __init__ importing its own modules is how registration works; a module
    # importing its package's __init__ is not a circle through code.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".") and not t.startswith(name + ".")}
    visiting, done, cycles = [], set(), []

    def visit(name):
        if name in done:
            return
        if name in visiting:
            cycles.append(visiting[visiting.index(name) :] + [name])
            return
        visiting.append(name)
        for target in sorted(graph.get(name, ())):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_memory_sits_above_analysis():
    # analysis reports per example; memory turns figures into bytes; the report joins them.
    assert "cnncalc.memory" not in imports_of(PACKAGE / "analysis.py")
    assert "cnncalc.report" not in imports_of(PACKAGE / "memory.py")
    assert {"cnncalc.analysis", "cnncalc.memory"} <= imports_of(PACKAGE / "report.py")


@pytest.mark.parametrize("format_name", ["table", "json", "csv", "markdown"])
def test_the_fast_path_imports_nothing_heavy(format_name):
    code = (
        "import sys\n"
        "from cnncalc.entry import main\n"
        f"code = main(['summarize', 'architectures/vgg16.yaml', '--format', {format_name!r}])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.stderr.strip().splitlines()[-1] == "0 []", result.stderr
    assert "conv1_1" in result.stdout


def test_the_fast_options_are_the_click_commands():
    from cnncalc.cli import main as cli
    from cnncalc.entry import FAST_OPTIONS
    from cnncalc.formats import FORMATS
    from cnncalc.memory import DTYPE_BYTES

    options = {opt: param for param in cli.commands["summarize"].params for opt in param.opts}
    assert set(FAST_OPTIONS) <= set(options), "the fast parser accepts an option click does not"
    # The values the fast parser accepts (entry.py) are the ones click offers.
    assert list(options["--dtype"].type.choices) == list(DTYPE_BYTES)
    assert list(options["--format"].type.choices) == list(FORMATS)
    assert options["--batch"].type.min == 1
