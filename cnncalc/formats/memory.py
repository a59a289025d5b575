"""How ``cnncalc memory`` reports a ``memory.Plan``: a few labelled lines, or JSON."""

from __future__ import annotations

from .columns import bytes_text
from .json import dumps


def write(plan, format_name: str, stream) -> None:
    if format_name == "json":
        stream.write(dumps(plan.to_dict()) + "\n")
        return
    if plan.mode == "training":
        optimizer = plan.options["optimizer"]
        mode = f"training with {optimizer}" + (", mixed precision" if plan.options["mixed_precision"] else "")
    else:
        mode = "inference"
    stream.write(f"{plan.name or plan.file}: {mode}, batch {plan.batch}, {plan.dtype}\n")
    for label, value in plan.parts.items():
        stream.write(f"  {label.replace('_', ' '):24} {bytes_text(value):>10}  ({value:,} bytes)\n")
    total = plan.total
    if plan.peak_at:
        phase, layer = plan.peak_at["phase"], plan.peak_at["layer"]
        where = f"in the {phase}" + (f" pass, at {layer}" if layer else "")
        stream.write(f"  {'peak of the step':24} {bytes_text(total):>10}  ({total:,} bytes), {where}\n")
        stream.write(
            "  (weights and optimizer state throughout, with the activations and gradients held at that moment;\n"
            "   not counted: the workspace convolution algorithms take, which depends on the library, and the loss)\n"
        )
    else:
        stream.write(f"  {'total':24} {bytes_text(total):>10}  ({total:,} bytes)\n")
        stream.write("  (not counted: the workspace convolution algorithms take, which depends on the library)\n")
    if plan.budget is not None:
        stream.write(f"largest batch within {bytes_text(plan.budget)}: {plan.largest:,}\n")
