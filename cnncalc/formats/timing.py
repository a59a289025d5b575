"""How ``cnncalc time`` reports a ``timing.TimeReport``: a table (rich on a terminal, plain
text when piped), JSON (one layer per line) or CSV (one row per layer, raw figures)."""

from __future__ import annotations

from .columns import bytes_text, shape_text, si_text
from .csv import write_row
from .json import write_layered

FORMATS = ("table", "json", "csv")


def seconds_text(seconds: float) -> str:
    """Three significant figures in the unit that suits: ``1.23 ms``, ``456 us``, ``2.1 s``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    raise AssertionError


def rate_text(value: float, unit: str) -> str:
    """``250 GFLOP/s``, ``25.1 GB/s``: decimal prefixes, three significant figures."""
    for prefix, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def write(report, format_name: str, stream, color: str = "auto") -> None:
    if format_name == "json":
        _write_json(report, stream)
    elif format_name == "csv":
        _write_csv(report, stream)
    else:
        from .color import wanted

        rows = _rows(report)
        if wanted(color, stream):
            _write_rich(report, rows, stream)
        else:
            _write_plain(report, rows, stream)


def _write_json(report, stream) -> None:
    write_layered(report.to_dict(), stream)


CSV_PASS = ("macs", "flops", "input_bytes", "output_bytes", "weight_bytes", "intensity", "bound", "seconds")


def _write_csv(report, stream) -> None:
    training = report.mode == "training"
    header = ["name", "type", *CSV_PASS]
    if training:
        header += [f"backward_{key}" for key in CSV_PASS]
    write_row(stream, header)
    for layer in report.to_dict()["layers"]:
        row = [layer["name"], layer["type"], *(_csv(layer[key]) for key in CSV_PASS)]
        if training:
            backward = layer.get("backward")
            row += [_csv(backward[key]) if backward else "" for key in CSV_PASS]
        write_row(stream, row)


def _csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def title(report) -> str:
    mode = report.mode + (f" step with {report.optimizer}" if report.mode == "training" else "")
    name = report.name or report.file
    return f"{name} on {report.device.name}: {mode}, input {shape_text(report.input)}, batch {report.batch}, {report.dtype}"


def device_line(report) -> str:
    """What the estimate assumes of the device, in a few lines."""
    device = report.device
    peak = device.peak_flops[report.dtype]
    memory = [f"memory {rate_text(device.memory_bandwidth, 'B/s')} (ridge {peak / device.memory_bandwidth:.3g} FLOP/B)"]
    memory += [f"up to {bytes_text(size)} at {rate_text(bandwidth, 'B/s')}" for size, bandwidth in device.caches]
    lines = [f"device: peak {rate_text(peak, 'FLOP/s')} ({report.dtype}), " + ", ".join(memory)]
    more = []
    if device.layer_overhead:
        more.append(f"{seconds_text(device.layer_overhead)} a layer")
    if device.weights_overhead:
        more.append(f"{seconds_text(device.weights_overhead)} more with weights")
    if device.weights_bandwidth:
        more.append(f"weights laid out at {rate_text(device.weights_bandwidth, 'B/s')}")
    if device.small_product:
        more.append(f"a product with a side of {device.small_product:.3g} at half the peak")
    if device.dot_length:
        more.append(f"a dot product of {device.dot_length:.3g} at half the peak")
    if device.window_rate:
        more.append(f"window reductions {rate_text(device.window_rate, ' values/s')}")
    if device.strided_bandwidth:
        more.append(f"strided inputs at {rate_text(device.strided_bandwidth, 'B/s')}")
    if more:
        lines.append("  " + "; ".join(more))
    if device.source:
        lines.append(f"  ({device.source})")
    return "\n".join(lines)


HEADER = ("layer", "type", "MACs", "in", "out", "weights", "FLOP/B", "bound", "time")
TRAINING_HEADER = ("backward", "bw bound")
NUMERIC = {"MACs", "in", "out", "weights", "FLOP/B", "time", "backward"}


def _rows(report) -> list:
    training = report.mode == "training"
    rows = []
    for layer in report.layers:
        work, estimate = layer.work, layer.estimate
        intensity = layer.intensity
        row = [
            layer.name,
            layer.type,
            si_text(work.macs) if work.macs else "0",
            bytes_text(work.input_bytes),
            bytes_text(work.output_bytes),
            bytes_text(work.weight_bytes) if work.weight_bytes else "0",
            "-" if intensity is None else f"{intensity:.3g}",
            estimate.bound,
            seconds_text(estimate.seconds),
        ]
        if training:
            row += [seconds_text(layer.backward.seconds), layer.backward.bound] if layer.backward else ["-", "-"]
        rows.append(row)
    return rows


def totals_lines(report) -> list:
    totals = report.totals()
    forward = totals["forward"]
    lines = []
    by_bound: dict = {}
    for layer in report.layers:
        by_bound[layer.estimate.bound] = by_bound.get(layer.estimate.bound, 0.0) + layer.estimate.seconds
    split = ", ".join(f"{bound}-bound layers {seconds_text(seconds)}" for bound, seconds in sorted(by_bound.items()))
    lines.append(
        (
            "forward",
            f"{seconds_text(forward['seconds'])}: {si_text(forward['macs'])} MACs, {bytes_text(forward['bytes'])} moved; "
            + split,
        )
    )
    if report.mode == "training":
        backward = totals["backward"]
        lines.append(
            (
                "backward",
                f"{seconds_text(backward['seconds'])}: {si_text(backward['macs'])} MACs, "
                f"{bytes_text(backward['bytes'])} moved",
            )
        )
        lines.append(("update", f"{seconds_text(report.update_seconds)} ({report.optimizer})"))
        lines.append(("step", f"{seconds_text(totals['seconds'])}"))
    else:
        per_second = report.batch / totals["seconds"] if totals["seconds"] else 0
        rate = f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.3g}"
        lines.append(("throughput", f"{rate} examples/s"))
    return lines


NOTE = "(a roofline estimate: each layer alone, no overlap or fusion; see `cnncalc time --help`)"


def _write_plain(report, rows, stream) -> None:
    header = HEADER + (TRAINING_HEADER if report.mode == "training" else ())
    table = [list(header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    stream.write(title(report) + "\n" + device_line(report) + "\n\n")
    for n, row in enumerate(table):
        cells = [
            cell.rjust(w) if header[i] in NUMERIC else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
        ]
        stream.write("  ".join(cells).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write("\n")
    lines = totals_lines(report)
    label_width = max(len(label) for label, _ in lines)
    for label, text in lines:
        stream.write(f"{label.ljust(label_width)}  {text}\n")
    stream.write(NOTE + "\n")


# Which columns go first when the terminal is too narrow for all of them (as summarize's).
DROP_ORDER = ("bw bound", "weights", "in", "out", "FLOP/B", "type")


def _write_rich(report, rows, stream) -> None:
    from rich.console import Console
    from rich.text import Text

    from .table import print_rich_table, print_totals

    console = Console(file=stream, force_terminal=True)
    header = list(HEADER + (TRAINING_HEADER if report.mode == "training" else ()))
    print_rich_table(console, title(report), header, rows, NUMERIC, DROP_ORDER, "layer")
    console.print(Text(device_line(report)))
    print_totals(console, totals_lines(report))
    console.print(Text(NOTE))


def write_devices(profiles: dict, stream) -> None:
    """``cnncalc devices``: name -> device.Device, one a line."""
    rows = [("name", "device", "float32", "memory", "source")]
    for name, profile in profiles.items():
        peak = profile.peak_flops.get("float32")
        memory = rate_text(profile.memory_bandwidth, "B/s")
        rows.append((name, profile.name, rate_text(peak, "FLOP/s") if peak else "-", memory, profile.source))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.write("\n`cnncalc time FILE --device NAME` uses one; --device also takes a profile's path.\n")
