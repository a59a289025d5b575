"""``cnncalc conventions`` (what each tool counts, per layer type) and ``summarize
--explain-gap TOOL`` (why a tool's figure differs from cnncalc's, type by type)."""

from __future__ import annotations

from .columns import count_text, count_text_any, si_text
from .json import dumps


def _type_names() -> dict:
    """Layer type class -> the name files use for it."""
    from ..layers.base import REGISTRY

    return {type(layer_type): layer_type.name for layer_type in REGISTRY.values()}


def rule_groups(rules: dict) -> list:
    """``(type names, arithmetic, source)`` per rule of ``rules`` (layer type class ->
    rule), in the order the rules were registered."""
    from ..conventions import source_line, summary_line

    names = _type_names()
    groups: dict = {}
    for cls, rule in rules.items():
        groups.setdefault(rule, []).append(names[cls])
    return [(sorted(types), summary_line(rule), source_line(rule)) for rule, types in groups.items()]


def page_data(convention) -> dict:
    """One convention's page: what it is, its rule per layer type (the types it refuses
    last), and where its parameter count differs from PyTorch's."""
    names = _type_names()
    rules = [{"types": t, "arithmetic": text, "source": src} for t, text, src in rule_groups(convention.rules)]
    rules += [
        {"types": [names[cls]], "arithmetic": f"not counted: no PyTorch module ({why})", "source": ""}
        for cls, why in convention.refused.items()
    ]
    params = [{"types": t, "arithmetic": text, "source": src} for t, text, src in rule_groups(convention.params_rules)]
    return {**convention.describe(), "rules": rules, "params_rules": params}


def write_page(conventions: list, format_name: str, stream) -> None:
    """The rules of each convention: text, markdown (docs/conventions.md) or json."""
    if format_name == "json":
        stream.write(dumps([page_data(c) for c in conventions]) + "\n")
        return
    markdown = format_name == "markdown"
    if markdown:
        stream.write(
            "# Counting conventions\n\n"
            "What each tool counts, per layer type, with its arithmetic and the line of its source\n"
            "it comes from (written by `cnncalc conventions --format markdown`; "
            "`cnncalc summarize FILE --count-as TOOL` applies them). N is the batch; shapes are\n"
            "channels first.\n"
        )
    for index, convention in enumerate(conventions):
        data = page_data(convention)
        if markdown:
            stream.write(f"\n## {data['name']}: `{data['tool']}`\n\n")
            stream.write(f"- unit: **{data['unit']}**, {data['meaning']}\n")
            stream.write(f"- run as: `{data['call']}`\n- parameters: {data['params']}\n")
            stream.write(f"- read from: {data['source']}\n\n| layer types | counted | source |\n|---|---|---|\n")
            for rule in data["rules"]:
                cells = (", ".join(rule["types"]), rule["arithmetic"], rule["source"])
                stream.write("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |\n")
            for rule in data["params_rules"]:
                stream.write(f"\nParameters of {', '.join(rule['types'])}: {rule['arithmetic']} ({rule['source']})\n")
            continue
        if index:
            stream.write("\n")
        stream.write(f"{data['name']}: {data['tool']}, in {data['unit']}: {data['meaning']}\n")
        stream.write(f"  run as: {data['call']}\n  parameters: {data['params']}\n  read from: {data['source']}\n")
        for rule in data["rules"]:
            stream.write(f"  {', '.join(rule['types'])}:\n      {rule['arithmetic']}\n")
            if rule["source"]:
                stream.write(f"      ({rule['source']})\n")
        for rule in data["params_rules"]:
            stream.write(f"  parameters of {', '.join(rule['types'])}:\n      {rule['arithmetic']}\n")
            stream.write(f"      ({rule['source']})\n")


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def write_gaps(report, ours, theirs, gaps, format_name: str, stream) -> None:
    """Why ``theirs`` (a tool's count of ``report``) differs from cnncalc's, type by type."""
    from ..conventions import number, summary_line

    tool = theirs.convention
    difference = theirs.total - ours.total
    name = report.name or report.file
    headline = (
        f"{name}, batch {report.batch}: {tool.name} counts {theirs.total:,} {tool.unit} ({si_text(theirs.total)}), "
        f"cnncalc {ours.total:,} MACs ({si_text(ours.total)}): {_signed(difference)}"
    )
    if ours.total:
        headline += f" ({difference / ours.total:+.2%})"
    rows = [
        {
            "type": gap.type,
            "layers": gap.layers,
            "cnncalc": gap.ours,
            tool.name: number(gap.theirs),
            "difference": number(gap.theirs - gap.ours),
            "cnncalc_rule": summary_line(gap.ours_rule),
            f"{tool.name}_rule": summary_line(gap.theirs_rule),
        }
        for gap in gaps
    ]
    if format_name == "json":
        data = {
            "name": report.name,
            "batch": report.batch,
            "tool": tool.name,
            "unit": tool.unit,
            "totals": {"cnncalc": ours.total, tool.name: theirs.total, "difference": difference},
            "params": {"cnncalc": ours.params, tool.name: theirs.params},
            "types": rows,
        }
        stream.write(dumps(data) + "\n")
        return
    header = ["type", "layers", "cnncalc MACs", f"{tool.name} {tool.unit}", "difference"]
    cells = [
        [
            row["type"],
            str(row["layers"]),
            count_text(row["cnncalc"]),
            count_text_any(row[tool.name]),
            _signed_any(row["difference"]),
        ]
        for row in rows
    ]
    cells.append(
        ["total", str(len(report.layers)), count_text(ours.total), count_text(theirs.total), _signed(difference)]
    )
    if format_name == "markdown":
        stream.write(f"**{headline}**\n\n| " + " | ".join(header) + " |\n|---|---:|---:|---:|---:|\n")
        for row in cells:
            stream.write("| " + " | ".join(row) + " |\n")
        stream.write("\n")
        for row in rows:
            stream.write(
                f"- **{row['type']}**: cnncalc: {row['cnncalc_rule']} {tool.name}: {row[tool.name + '_rule']}\n"
            )
    else:
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
        stream.write(headline + "\n\n")
        for n, row in enumerate([header, *cells]):
            line = "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            stream.write(line.rstrip() + "\n")
            if n == 0 or n == len(cells) - 1:
                stream.write("  ".join("-" * w for w in widths) + "\n")
        differing = [row for row in rows if row["difference"] != 0]
        same = [row["type"] for row in rows if row["difference"] == 0]
        if differing:
            stream.write("\nwhy, type by type (each side's arithmetic):\n")
        for row in differing:
            stream.write(f"  {row['type']} ({_signed_any(row['difference'])}):\n")
            stream.write(f"    cnncalc: {row['cnncalc_rule']}\n")
            stream.write(f"    {tool.name}: {row[tool.name + '_rule']}\n")
        if same:
            stream.write(f"\nthe same figure: {', '.join(same)}\n")
    if theirs.params != ours.params:
        stream.write(f"\nparams: {tool.name} counts {theirs.params:,}, cnncalc {ours.params:,} ({tool.params_doc})\n")


def _signed_any(value) -> str:
    if isinstance(value, int):
        return _signed(value)
    return f"{float(value):+,.6g}"
