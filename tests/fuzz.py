"""A mutation fuzzer of cnncalc's own: hostile files, patterns and options, through the real
command line, held to the invariants of issue 14.

    python tests/fuzz.py --seconds 300            (make fuzz)
    python tests/fuzz.py --seconds 5 --seed 1     (a short sample; tests/test_fuzz.py runs one)

Every case runs ``cnncalc`` in a subprocess, as CI would, and must:

- exit 0, 1 or 2, never 3 ("internal error") and never print a traceback;
- name the file, as ``FILE:LINE:COL: error:`` or ``FILE: error:``, when it exits 2 on a file;
- finish within ``--timeout`` seconds (10) and ``--max-rss`` (1 GiB) on files under 1 MB;
- have summarize and lint agree on whether the file is usable (lint's engine rules);
- have check refuse (exit 2, the file at fault) only what lint's engine rules refuse;
- have verify find no mismatch on a small file summarize accepted (SMALL_MACS,
  SMALL_LAYERS): every mismatch is reported
  as a finding, to be judged by hand (does the report truly differ from the executor?).

Inputs: the zoo (``architectures/``) and the examples mutated at random (numbers made
hostile, lines deleted, doubled, re-indented or cut short, YAML syntax and odd characters
inserted, layer types swapped, ``expect:`` answers and ``values:`` added), patterns
assembled from the notation's pieces and stranger ones, and homework calculator options.
Findings are printed with the input that caused them (and saved under ``--keep``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The zoo, the examples, and seeds that put the format's features together in small files
# (top-level params beside two modules crashed once, where no zoo file had both).
SOURCES = [
    *sorted((ROOT / "architectures").glob("*.yaml")),
    *sorted((ROOT / "examples").rglob("*.yaml")),
    *sorted((ROOT / "tests" / "fuzz_seeds").glob("*.yaml")),
]
ENGINE_RULES = {"yaml-syntax", "schema", "graph", "shape"}
POSITION = r"(:\d+(:\d+)?)?: error: "
# verify runs on small files only: this many MACs of one example and layers at most
SMALL_MACS = 50_000_000
SMALL_LAYERS = 300
TIME = Path("/usr/bin/time")

HOSTILE_NUMBERS = [
    "0",
    "-1",
    "1.5",
    "-0",
    ".inf",
    "-.inf",
    ".nan",
    "1e999",
    "1e400",
    "9" * 5000,
    "9" * 40,
    str(2**63),
    "0x2",
    "0o7",
    "1_0",
    "\u00b2",
    "abc",
    "''",
    "[]",
    "{}",
    "null",
    "true",
    "!!int x",
    "!!float abc",
    "!!bool maybe",
    "!!timestamp x",
    "&a 3",
    "*a",
    "3 # c",
    "[1, [2]]",
    "[[1, 2], [3]]",
    "99999999",
    "199999",
    "65536",
    "&r [*r]",
    "&m {a: *m}",
    "!!python/object:os.system x",
    "!!binary aGk=",
    "!!set {a}",
    "!!omap [a: 1]",
]
EXTRA_COMMANDS = [
    ["memory"],
    ["memory", "--train", "--optimizer", "sgd"],
    ["memory", "--budget", "1GiB", "--format", "json"],
    ["memory", "--train", "--mixed-precision", "--budget", "24GiB"],
    ["memory", "--inplace", "--batch", "7"],
    ["explain"],
    ["explain", "--layer", "conv1"],
    ["run"],
    ["check", "--format", "json"],
    ["summarize", "--batch", "3", "--format", "csv"],
    ["summarize", "--format", "markdown", "--depth", "1"],
    ["summarize", "--dtype", "float16"],
]
INSERTIONS = [
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    "- ",
    "&a ",
    "*a",
    "!!int ",
    "<<: ",
    "? ",
    "|",
    ">",
    "#",
    "'",
    '"',
    "\t",
    "\x00",
    "\x01",
    "\u2028",
    "\ufeff",
    "\u00e9",
    "${",
    "}",
    "${k + 0}",
    "${min(k)}",
    "---\n",
    "...\n",
    "[" * 150,
    "- " * 150,
    "{a: " * 120,
]
TYPES = [
    "conv",
    "maxpool",
    "avgpool",
    "fc",
    "relu",
    "flatten",
    "batchnorm",
    "upsample",
    "pad",
    "dropout",
    "softmax",
    "add",
    "concat",
    "deconv",
    "local",
    "lppool",
    "global_avgpool",
    "lrn",
    "prelu",
    "bogus",
]
EXPECTS = [
    "{shape: [1, 2, 2]}",
    "{size: 1.5}",
    "{params: 48,120}",
    "{macs: abc}",
    "{receptive_field: global}",
    "{receptive_field: {size: 3, jump: x}}",
    "{values: [[1]]}",
    "{shape: 4x-6x6}",
    "{size: .inf}",
    "{receptive_field: [3, 3]}",
    "{params: '\u00b2'}",
]


def mutate(text: str, rng: random.Random) -> str:
    """One to four random edits of an architecture file's text."""
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        index = rng.randrange(len(lines))
        edit = rng.randrange(11)
        if edit == 0:  # a number made hostile
            numbers = list(re.finditer(r"(?<![\w.])\d+(\.\d+)?(?![\w.])", text))
            if numbers:
                match = rng.choice(numbers)
                text = text[: match.start()] + rng.choice(HOSTILE_NUMBERS) + text[match.end() :]
                continue
        if edit == 1:
            del lines[index]
        elif edit == 2:
            lines.insert(index, lines[index])
        elif edit == 3:
            lines[index] = " " * rng.choice([1, 2, 3, 5]) + lines[index]
        elif edit == 4:
            text = text[: rng.randrange(len(text) + 1)]
            continue
        elif edit == 5:
            line = lines[index]
            at = rng.randrange(len(line) + 1)
            lines[index] = line[:at] + rng.choice(INSERTIONS) + line[at:]
        elif edit == 6:
            words = [m for m in re.finditer(r"(?<=- )[a-z_]+", text)]
            if words:
                match = rng.choice(words)
                text = text[: match.start()] + rng.choice(TYPES) + text[match.end() :]
                continue
        elif edit == 7:
            dash = [i for i, line in enumerate(lines) if line.lstrip().startswith("- ")]
            if dash:
                i = rng.choice(dash)
                indent = len(lines[i]) - len(lines[i].lstrip()) + 2
                if not lines[i].rstrip().endswith(":") and ":" not in lines[i]:
                    lines[i] = lines[i].rstrip() + ":"
                lines.insert(i + 1, " " * indent + "expect: " + rng.choice(EXPECTS))
        elif edit == 8:
            j = rng.randrange(len(lines))
            lines[index], lines[j] = lines[j], lines[index]
        elif edit == 9:
            text = _small_input(text, rng)
            continue
        else:
            text = text.replace("\n", rng.choice(["\r\n", "\n\n", "\n#\n"]), 1)
            continue
        text = "\n".join(lines)
    return text


def _small_input(text: str, rng: random.Random) -> str:
    """A smaller input (so the run, check and verify cases execute), with values sometimes."""
    size = rng.choice([1, 2, 3, 5, 8, 16, 32])
    text = re.sub(r"^input:.*$", f"input: [1, {size}, {size}]", text, count=1, flags=re.M)
    if rng.random() < 0.3:
        row = "[" + ", ".join(str(rng.randint(-3, 3)) for _ in range(size)) + "]"
        values = "values: [" + ", ".join([row] * size) + "]"
        text = re.sub(r"^input:.*$", lambda m: m.group(0) + "\n" + values, text, count=1, flags=re.M)
    return text


def random_pattern(rng: random.Random) -> str:
    items = [
        "CONV3-8",
        "CONV5-6/s2",
        "CONV3-4/same",
        "POOL2",
        "AVGPOOL2",
        "FC10",
        "RELU",
        "DROPOUT.5",
        "DROPOUT",
        "DROPOUT.",
        "DROPOUT.5.5",
        "DROPOUT.nan",
        "FLATTEN",
        "SOFTMAX",
        "BATCHNORM",
        "CONV\u00b2-1",
        "RELU*\u00b2",
        "RELU*3",
        "RELU*10000000",
        "CONV" + "9" * 5000 + "-1",
        "BOGUS",
        "POOL2/s0",
        "CONV3-8/p9",
        "[",
        "]",
        "]*2",
        "*",
        "->",
        "[RELU]*1000",
        "FC" + "9" * 30,
    ]
    shape = rng.choice(["32x32x3", "3,32,32", "8x8x1", "x", "", "0x0x0", "3\u00b2x3", "1x1x1x1x1", "9" * 5000])
    parts = [rng.choice(items) for _ in range(rng.randint(0, 8))]
    if rng.random() < 0.05:
        parts = ["["] * rng.randint(50, 600) + parts
    return f"INPUT {shape} -> " + " -> ".join(parts) if rng.random() > 0.05 else rng.choice(["INPUT", "", "->"])


def random_options(rng: random.Random) -> list:
    values = [
        "3",
        "3,5",
        "0",
        "-1",
        "0x2",
        "2 # c",
        "3, stride: 100",
        "same",
        "valid",
        "[1]",
        "1e3",
        "9" * 5000,
        "\u00b2",
        "",
        " ",
        "1,2,3,4,5",
        "2.5",
    ]
    shape = rng.choice(["32x32x3", "-32x32x3", "3,32,32", "100", "x", "\u00b2", "32x32x3x", "9" * 30])
    kind = rng.choice(["conv", "pool", "fc"])
    argv = [kind, "--input", shape]
    if kind == "conv":
        argv += ["--filters", rng.choice(["1", "8", "0", "x"])]
    if kind == "fc":
        argv += ["--units", rng.choice(["1", "10", "0", "9" * 5000])]
    else:
        argv += ["--kernel", rng.choice(values)]
        for option in ("--stride", "--padding", "--dilation"):
            if rng.random() < 0.5:
                argv += [option, rng.choice(values)]
        if kind == "pool" and rng.random() < 0.5:
            argv += ["--mode", rng.choice(["max", "avg"])]
    return argv


class Runner:
    def __init__(self, timeout: float, max_rss: int, keep: Path | None):
        self.timeout, self.max_rss, self.keep = timeout, max_rss, keep
        self.command = [str(Path(sys.executable).with_name("cnncalc"))]
        if not Path(self.command[0]).exists():
            self.command = [sys.executable, "-m", "cnncalc"]
        self.lock = threading.Lock()
        self.runs = 0
        self.findings: list = []
        self.slowest = (0.0, None)

    def run(self, argv: list, small_file: bool = True):
        """``(code, stdout, stderr)`` of one call; records the time and memory invariants."""
        start = time.perf_counter()
        measure = []
        if TIME.exists():  # GNU time writes the child's peak memory (KiB) to a file of its own
            fd, rss_file = tempfile.mkstemp(suffix=".rss")
            os.close(fd)
            measure = [str(TIME), "-f", "%M", "-o", rss_file]
        process = subprocess.Popen(
            [*measure, *self.command, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "100"},
        )
        try:
            out, err = process.communicate(timeout=self.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            timed_out = True
        elapsed = time.perf_counter() - start
        rss = 0
        if measure:
            try:
                rss = int(Path(measure[4]).read_text().split()[-1]) * 1024
            except (ValueError, IndexError, OSError):
                rss = 0
            os.unlink(measure[4])
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        if rss > self.max_rss and small_file:
            self.finding("memory", argv, f"{rss / 2**20:.0f} MiB")
        with self.lock:
            self.runs += 1
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, argv[:3])
        if timed_out and small_file:
            self.finding("time", argv, f"still running after {self.timeout} s")
            return None, out, err
        code = process.returncode
        if code not in (0, 1, 2):
            self.finding("exit", argv, f"exit {code}: {err[-600:]}")
        if "Traceback" in out + err or "internal error" in out + err:
            self.finding("traceback", argv, (out + err)[-800:])
        return code, out, err

    def finding(self, kind: str, argv: list, detail: str) -> None:
        with self.lock:
            self.findings.append((kind, argv, detail))
            number = len(self.findings)
        shown = [a if len(a) < 120 else a[:100] + f"...({len(a)} chars)" for a in map(str, argv)]
        print(f"FINDING {number} [{kind}] cnncalc {' '.join(shown)}\n    {detail[:1500]}", flush=True)
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            for arg in argv:
                if str(arg).endswith(".yaml") and Path(arg).exists():
                    Path(self.keep, f"finding-{number}.yaml").write_bytes(Path(arg).read_bytes())


def file_case(runner: Runner, text: str, rng: random.Random, folder: str) -> None:
    fd, name = tempfile.mkstemp(suffix=".yaml", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as stream:
        stream.write(text)
    try:
        _file_invariants(runner, name, rng, len(text.encode("utf-8", "surrogateescape")) < 2**20)
    finally:
        os.unlink(name)


def _file_invariants(runner: Runner, path: str, rng: random.Random, small: bool) -> None:
    code, out, err = runner.run(["summarize", path, "--format", "json"], small)
    if code is None:
        return
    if code == 2 and not re.match(re.escape(path) + POSITION, err):
        runner.finding("position", ["summarize", path], err[:600])
    lint_code, lint_out, _ = runner.run(["lint", path, "--format", "json"], small)
    if lint_code is None:
        return
    try:
        engine = [p for p in json.loads(lint_out) if p["rule"] in ENGINE_RULES or p["rule"] == "internal"]
    except ValueError:
        runner.finding("lint-json", ["lint", path], lint_out[:300])
        return
    if (code == 0) == bool(engine):
        runner.finding("agree", ["summarize/lint", path], f"summarize exit {code}, lint engine errors {engine[:2]}")
    check_code, _, check_err = runner.run(["check", path], small)
    if check_code == 2 and code == 0 and re.match(re.escape(path) + POSITION, check_err):
        if "values" not in check_err:  # values need weights written out: a run-time refusal
            runner.finding("check-schema", ["check", path], check_err[:600])
    extra = rng.choice(EXTRA_COMMANDS)
    runner.run([extra[0], path, *extra[1:]], small)
    if code == 0:
        report = json.loads(out)
        if report["totals"]["macs"] <= SMALL_MACS and len(report["layers"]) <= SMALL_LAYERS:
            verify_code, verify_out, _ = runner.run(["verify", path, "--max-memory", "1GiB"], small)
            if verify_code == 1:
                runner.finding("mismatch", ["verify", path], verify_out[-1500:])


def sample(seconds: float, seed: int, workers: int, timeout: float, max_rss: int, keep) -> Runner:
    runner = Runner(timeout, max_rss, keep)
    sources = [path.read_text() for path in SOURCES]
    deadline = time.monotonic() + seconds
    counter = iter(range(10**12))
    lock = threading.Lock()

    def worker(worker_seed: int) -> None:
        rng = random.Random(worker_seed)
        with tempfile.TemporaryDirectory(prefix="cnncalc-fuzz-") as folder:
            while time.monotonic() < deadline:
                with lock:
                    case = next(counter)
                roll = rng.random()
                if roll < 0.75:
                    file_case(runner, mutate(rng.choice(sources), rng), rng, folder)
                elif roll < 0.88:
                    pattern = random_pattern(rng)
                    code, _, err = runner.run(["summarize", "--pattern", pattern])
                    if code == 2 and not err.startswith("<pattern>:") and not err.startswith("Usage"):
                        runner.finding("position", ["--pattern", pattern], err[:300])
                else:
                    runner.run(random_options(rng))
                del case

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, [seed * 1000 + i for i in range(workers)]))
    return runner


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="how long to run (default 300)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed (default: the clock)")
    # One run per two cores: a run's time is judged against --timeout, so runs must not
    # slow each other down much.
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1) // 2))
    parser.add_argument("--timeout", type=float, default=10, help="seconds one run may take (default 10)")
    parser.add_argument("--max-rss", type=int, default=2**30, help="bytes one run may hold (default 1 GiB)")
    parser.add_argument("--keep", type=Path, default=None, help="save the files behind findings here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    runner = sample(args.seconds, args.seed, args.workers, args.timeout, args.max_rss, args.keep)
    took = time.monotonic() - started
    kinds: dict = {}
    for kind, _, _ in runner.findings:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(
        f"{runner.runs:,} runs in {took:.0f} s (seed {args.seed}); slowest {runner.slowest[0]:.1f} s; "
        f"findings: {sum(kinds.values())} {kinds or ''}"
    )
    return 1 if runner.findings else 0


if __name__ == "__main__":
    sys.exit(main())
