"""Repeated blocks of an imported network folded into modules, so the file reads like the model.

An imported network is a flat list of layers named after the graph's module paths
(``layer1.0.conv1``, ``layer1.0.bn1``, ... ``layer1.1.conv1``). Every name prefix whose
layers come one after another and talk to the rest only through one input and their last
layer is a candidate block; blocks of the same structure (the same layers, wired alike,
with the same argument names) become one module, used once per block. Arguments that
differ between the blocks become the module's parameters (``conv1_filters``); those all
blocks share are written in the module. The structure repeated most often is taken first
(then the larger), each layer joins at most one block, and a structure that appears once
stays as it is.

Where the graph repeats itself at two levels (stages of blocks), folding runs again over
the folded list: a stage whose blocks are uses of modules, repeated, becomes a module of
module uses (``stage_block`` using ``block_block`` three times), and so on up, while each
pass finds a repeat.

``fold(document)`` returns ``(modules, layers)`` for ``onnx.render``: the document's layer
records, with each folded block replaced by one use record, and the modules in the order
they use each other (a module after those it uses). The layers keep their full names
(``layer1.0.conv1`` is the conv1 of the instance ``layer1.0``), except a layer named exactly
as its block, which becomes the block's ``TYPE`` (the instance's name means its output).
"""

from __future__ import annotations

from ..record import Record


class Block(Record, fields="prefix start stop source"):
    """The layers ``start:stop`` of the list, all named ``prefix`` or ``prefix.*``; ``source``:
    the one outside layer (or ``input``) they read."""

    __slots__ = ()


def fold(document: dict, minimum: int = 2) -> tuple:
    """``(modules, layers)``: modules as ``{name: {"params": {...}, "layers": [...]}}`` and the
    top-level records, a use of module M written ``{"type": M, "args": {...}, "name": P,
    "from": [source], "merges": False}``: folded once, then again over the result while a
    pass finds repeated blocks (of module uses: stages of blocks)."""
    layers = document["layers"]
    used_names = {layer["type"] for layer in layers}
    modules: dict = {}
    while True:
        found, folded = _fold_once(layers, minimum, used_names, modules)
        # A further level only where it makes the file shorter: a stage used once or twice
        # costs more lines in its definition than it saves.
        if not found or (modules and _lines({**modules, **found}, folded) >= _lines(modules, layers)):
            return modules, layers
        modules.update(found)
        layers = folded


def _lines(modules: dict, layers: list) -> int:
    """About how many lines the file of these modules and layers takes (onnx.render's)."""

    def records(items: list) -> int:
        count, previous = 0, "input"
        for record in items:
            count += 2 + (not record["merges"] and record["from"][0] != previous)
            previous = record["name"]
        return count

    return sum(3 + records(module["layers"]) for module in modules.values()) + records(layers)


def _fold_once(layers: list, minimum: int, used_names: set, known: dict) -> tuple:
    """One pass of folding over ``layers`` (records, some of them uses of the ``known``
    modules): ``(new modules, layers)``."""
    blocks = _blocks(layers)
    groups: dict = {}
    for block in blocks:
        groups.setdefault(_signature(layers, block), []).append(block)
    taken = [False] * len(layers)
    chosen = []
    # The structure repeated most often first (the unit the model repeats: ResNet's block
    # rather than a stage of two blocks), then the larger.
    for signature, members in sorted(groups.items(), key=lambda item: (-len(_apart(item[1])), -len(item[0]))):
        members = [b for b in members if not any(taken[b.start : b.stop])]
        members = _apart(members)
        if len(members) < minimum or len(signature) < 2:
            continue
        for block in members:
            taken[block.start : block.stop] = [True] * (block.stop - block.start)
        chosen.append(members)
    if not chosen:
        return {}, layers
    modules, uses, renamed = {}, {}, {}
    for members in chosen:
        name = _module_name(members[0].prefix, used_names)
        body, params, args_of = _module(layers, members, known)
        modules[name] = {"params": params, "layers": body}
        for block in members:
            use = {"type": name, "args": args_of[block], "name": block.prefix, "from": [block.source], "merges": False}
            uses[block.start] = (use, block.stop)
            renamed[layers[block.stop - 1]["name"]] = block.prefix
    out, index = [], 0
    while index < len(layers):
        if index in uses:
            use, index = uses[index]
            out.append(use)
        else:
            out.append(layers[index])
            index += 1
    return modules, [_renamed(record, renamed) for record in out]


def _renamed(record: dict, renamed: dict) -> dict:
    """A top-level record reading a block's last layer by its instance's name instead."""
    if not any(name in renamed for name in record["from"]):
        return record
    return dict(record, **{"from": [renamed.get(name, name) for name in record["from"]]},
                args=_names_in_args(record, renamed))  # fmt: skip


def _names_in_args(record: dict, names: dict) -> dict:
    """The record's arguments with the layers they name (resize's ``like``) renamed by ``names``."""
    from ..layers.base import REGISTRY, LayerName, normalize

    layer_type = REGISTRY.get(normalize(record["type"]))
    if layer_type is None or record["merges"]:
        return record["args"]
    named = {arg.name for arg in layer_type.args if isinstance(arg.kind, LayerName)}
    return {key: names.get(value, value) if key in named else value for key, value in record["args"].items()}


def _blocks(layers: list) -> list:
    """Every name prefix whose layers form one run that reads one outside tensor and is read
    from outside only at its last layer."""
    position = {layer["name"]: index for index, layer in enumerate(layers)}
    runs: dict = {}
    for index, layer in enumerate(layers):
        parts = layer["name"].split(".")
        for cut in range(1, len(parts) + 1):
            prefix = ".".join(parts[:cut])
            runs.setdefault(prefix, []).append(index)
    readers: dict = {}
    for index, layer in enumerate(layers):
        for name in layer["from"]:
            readers.setdefault(name, []).append(index)
    blocks = []
    for prefix, indices in runs.items():
        start, stop = indices[0], indices[-1] + 1
        if len(indices) < 2 or stop - start != len(indices):
            continue
        inside = range(start, stop)
        sources = {name for i in inside for name in layers[i]["from"] if position.get(name, -1) not in inside}
        if len(sources) != 1:
            continue
        if any(r not in inside for i in range(start, stop - 1) for r in readers.get(layers[i]["name"], ())):
            continue  # an inner layer read from outside: the instance shows only its output
        blocks.append(Block(prefix, start, stop, sources.pop()))
    return blocks


def _relative(layers: list, block: Block) -> dict:
    """Full name -> the name inside the module (the layer named as its block: its type)."""
    names = {}
    taken = set()
    for layer in layers[block.start : block.stop]:
        name = layer["name"]
        relative = name[len(block.prefix) + 1 :] if name != block.prefix else layer["type"]
        while relative in taken:
            relative += "_"
        taken.add(relative)
        names[name] = relative
    names[block.source] = "input"
    return names


def _signature(layers: list, block: Block) -> tuple:
    names = _relative(layers, block)
    return tuple(
        (names[layer["name"]], layer["type"], tuple(names[n] for n in layer["from"]))
        for layer in layers[block.start : block.stop]
    )


def _apart(blocks: list) -> list:
    """The blocks, leaving out any that overlaps one before it."""
    kept, end = [], -1
    for block in sorted(blocks, key=lambda b: b.start):
        if block.start >= end:
            kept.append(block)
            end = block.stop
    return kept


def _module_name(prefix: str, used: set) -> str:
    words = [part for part in prefix.split(".") if not part.isdigit()] or ["block"]
    base = "".join(ch if ch.isalnum() else "_" for ch in words[-1]).rstrip("0123456789_") or "block"
    if not base[0].isalpha():
        base = f"block_{base}"
    from ..layers.base import REGISTRY, normalize

    name, count = f"{base}_block", 1
    while name in used or normalize(name) in REGISTRY:
        count += 1
        name = f"{base}_block_{count}"
    used.add(name)
    return name


def _module(layers: list, members: list, known: dict) -> tuple:
    """The module's layer records, its parameters (each with no default), and each block's
    arguments for it. A record that uses one of the ``known`` modules gives all its
    parameters (they have no defaults), and a differing one keeps its name in this module."""
    from ..layers import lookup

    first = members[0]
    names = _relative(layers, first)
    body, params = [], {}  # parameter -> its values, one per block
    args_of = {block: {} for block in members}
    relative = {block: _relative(layers, block) for block in members}
    for offset in range(first.stop - first.start):
        layer = layers[first.start + offset]
        record = dict(layer, name=names[layer["name"]], **{"from": [names[n] for n in layer["from"]]})
        record["args"] = _names_in_args(layer, names)
        if layer["merges"]:
            body.append(record)
            continue
        use = layer["type"] in known
        layer_type = None if use else lookup(layer["type"])[0]
        copies = [_names_in_args(layers[block.start + offset], relative[block]) for block in members]
        keys = list(dict.fromkeys(key for copy in copies for key in copy))  # as written, first seen first
        args = {}
        for key in keys:
            values = tuple(copy[key] if key in copy else layer_type.arg(key).default for copy in copies)
            if all(v == values[0] for v in values):
                args[key] = values[0]
                continue
            param = next((name for name, seen in params.items() if seen == values), None)
            if param is None:  # a value another parameter already carries in every block is that parameter
                # named after the layer and the argument; a layer named by its place in a
                # sequence (torchvision's "0", "1") by its type instead: conv_filters
                owner = record["name"] if not record["name"].isdigit() else "" if use else layer["type"]
                param = _param_name(f"{owner}_{key}", params)
                params[param] = values
                for block, value in zip(members, values):
                    args_of[block][param] = value
            args[key] = "${" + param + "}"
        record["args"] = args
        body.append(record)
    return body, {name: None for name in params}, args_of


def _param_name(wanted: str, taken: dict) -> str:
    word = "".join(ch if ch.isalnum() else "_" for ch in wanted).strip("_")
    if not word[0].isalpha():
        word = f"p_{word}"
    name, count = word, 1
    while name in taken:
        count += 1
        name = f"{word}_{count}"
    return name
