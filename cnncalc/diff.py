"""Two versions of a network compared layer by layer: ``cnncalc diff OLD NEW``.

Layers are matched in three passes, each only inside the gaps the one before left:

1. by the names the files give (``name: conv3``, also as expanded: ``conv3_4``,
   ``layer2.0.conv1``), keeping the order of both files;
2. by position, on layers of the same type and output shape: a renamed layer, or a layer
   whose generated name moved (``relu9`` becomes ``relu11`` when two layers go in above);
3. by position, on layers of the same type: a layer whose arguments changed its shape.

Each pass aligns the two sequences as a text diff aligns lines (``difflib``'s longest
matching blocks, after the common start and end are taken off). What no pass matches was
added or removed. A matched layer has *changed* when its type, arguments, inputs, output
shape, parameters, buffers or MACs differ; when only its receptive field differs (a layer
added above it), it is listed apart, as a consequence.

>>> from cnncalc.graph import build
>>> from cnncalc.report import analyze
>>> from cnncalc.spec import read
>>> pair = [build(read(f"architectures/{name}.yaml")) for name in ("vgg16", "vgg19")]
>>> result = compare(*[(graph, analyze(graph)) for graph in pair])
>>> [row.new.name for row in result.rows if row.status == "added" and row.new.params]
['conv3_4', 'conv4_4', 'conv5_4']
"""

from __future__ import annotations

from .record import Record, plain

# Past this many cells (old layers x new layers) in one gap, a pass pairs only the common
# start and end: difflib's matching is quadratic at worst, and a diff must answer at once.
MAX_CELLS = 4_000_000

ADDED, REMOVED, CHANGED, FIELD, RENAMED, SAME = "added", "removed", "changed", "field", "renamed", "same"
# The totals compared, in the order shown: Totals field -> label.
TOTALS = (
    ("params", "params"),
    ("trainable_params", "trainable params"),
    ("buffers", "buffers"),
    ("macs", "MACs"),
    ("activation_bytes", "activations (all outputs)"),
    ("peak_live_bytes", "peak live activations"),
)


# The headline figures compared (headline.Headline fields), largest batches with a budget only.
MEMORY = ("inference_bytes", "training_bytes", "largest_training_batch", "largest_inference_batch")


class Change(Record, fields="what before after"):
    """One difference in a matched layer's definition: an argument (``filters``), ``type``,
    ``trainable`` or ``from`` (its inputs, old names translated to new)."""

    __slots__ = ()


class Row(Record, fields="status old new changes"):
    """One layer of the comparison: ``old`` and ``new`` (report.LayerReport, one of them None
    for an added or removed layer), ``status`` (added, removed, changed, field: only the
    receptive field differs, renamed, same) and the ``changes`` of its definition."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return (self.new or self.old).name


class Diff(Record, fields="old new rows before after budgets"):
    """The comparison: the two reports, the rows in the new file's order (removed layers
    where they were), the headline figures (headline.Headline) ``before`` and ``after``, and
    ``budgets`` (budget.Check results of the new file, and of the old for comparison)."""

    __slots__ = ()

    def counts(self) -> dict:
        counts = {status: 0 for status in (ADDED, REMOVED, CHANGED, FIELD, RENAMED, SAME)}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def changed(self) -> bool:
        """Whether anything a report shows differs."""
        return any(row.status != SAME for row in self.rows) or self.before != self.after

    def to_dict(self) -> dict:
        from .budget import verdict

        return {
            "old": _side(self.old),
            "new": _side(self.new),
            "batch": self.after.batch,
            "dtype": self.after.dtype,
            "optimizer": self.after.optimizer,
            "changed": self.changed,
            "counts": self.counts(),
            "layers": [
                {
                    "status": row.status,
                    "old": _layer(row.old),
                    "new": _layer(row.new),
                    "changes": [
                        {"what": c.what, "before": plain(c.before), "after": plain(c.after)} for c in row.changes
                    ],
                }
                for row in self.rows
            ],
            "totals": {
                **{key: _delta(getattr(self.old.totals, key), getattr(self.new.totals, key)) for key, _ in TOTALS},
                **{key: _delta(before, after) for key, _, before, after in self.counted_totals()},
            },
            "memory": {
                key: _delta(getattr(self.before, key), getattr(self.after, key))
                for key in MEMORY
                if getattr(self.after, key) is not None
            },
            "receptive_field": {
                "before": {"layer": self.before.field_layer, **_field(self.before.field)},
                "after": {"layer": self.after.field_layer, **_field(self.after.field)},
            },
            "budgets": [check.to_dict() for check in self.budgets],
            "verdict": verdict(self.budgets),
            **({"convention": self.new.counted.convention.describe()} if self.new.counted is not None else {}),
        }

    def counted_totals(self) -> list:
        """``(key, label, before, after)`` of the figure and parameters a tool counts
        (``diff --count-as``); none without one."""
        if self.new.counted is None:
            return []
        convention = self.new.counted.convention
        old, new = self.old.counted, self.new.counted
        return [
            ("count", f"{convention.name}'s {convention.unit}", old.total, new.total),
            ("count_params", f"{convention.name}'s params", old.params, new.params),
        ]


def _side(report) -> dict:
    return {"file": report.file, "name": report.name, "input": list(report.input)}


def _layer(layer) -> dict | None:
    from .conventions import number

    if layer is None:
        return None
    return {
        "name": layer.name,
        "type": layer.type,
        "shape": list(layer.shape),
        "params": layer.params,
        "macs": layer.macs,
        **({"count": number(layer.count), "count_params": layer.count_params} if layer.count is not None else {}),
        "activation_bytes": layer.activation_bytes,
        "receptive_field": plain(layer.receptive_field),
    }


def _field(field) -> dict:
    return {"size": None if field is None else list(field.size)}


def _delta(before, after) -> dict:
    return {"before": before, "after": after, "change": delta(before, after), "percent": percent(before, after)}


def delta(before, after):
    return None if before is None or after is None else after - before


def percent(before, after) -> float | None:
    """The change in percent of ``before``; None when there is none to compare with."""
    if not before or after is None:
        return None
    return round((after - before) * 100 / before, 2)


def compare(old: tuple, new: tuple, optimizer: str = "adam", budget: int | None = None, budgets=()) -> Diff:
    """``old`` and ``new``: ``(graph, report)`` pairs at the same batch and dtype.
    ``budget`` (bytes): also the largest batch each fits; ``budgets``: budget.Budget limits
    to hold both to (the verdict is the new file's)."""
    from .budget import check_all
    from .headline import headline

    (old_graph, old_report), (new_graph, new_report) = old, new
    rows = _rows(old_report.layers, new_report.layers)
    before = headline(old_graph, old_report, optimizer, budget)
    after = headline(new_graph, new_report, optimizer, budget)
    checks = check_all(budgets, new_graph, old=old_graph)
    return Diff(old_report, new_report, tuple(rows), before, after, tuple(checks))


# --- alignment ---------------------------------------------------------------------------


def _given_name(layer):
    """The layer's name when the file gave it (not a generated ``relu7``), else None."""
    return layer.name if layer.spec.name is not None else None


def _type_and_shape(layer):
    return layer.type, layer.shape


def _type(layer):
    return layer.type


PASSES = (_given_name, _type_and_shape, _type)


def align(old: list, new: list) -> list:
    """Matched ``(old index, new index)`` pairs, increasing in both (the three passes)."""
    pairs: list = []

    def run(i0: int, i1: int, j0: int, j1: int, level: int) -> None:
        if level == len(PASSES) or i0 == i1 or j0 == j1:
            return
        key = PASSES[level]
        i, j = i0, j0
        for a, b, size in _blocks([key(layer) for layer in old[i0:i1]], [key(layer) for layer in new[j0:j1]]):
            run(i, i0 + a, j, j0 + b, level + 1)
            pairs.extend((i0 + a + k, j0 + b + k) for k in range(size))
            i, j = i0 + a + size, j0 + b + size
        run(i, i1, j, j1, level + 1)

    run(0, len(old), 0, len(new), 0)
    return pairs


def _blocks(a: list, b: list) -> list:
    """Matching blocks ``(start in a, start in b, size)`` of equal keys, in order; a key of
    None matches nothing."""
    a = [object() if key is None else key for key in a]  # each None its own, equal to nothing
    b = [object() if key is None else key for key in b]
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    blocks = [(0, 0, head)] if head else []
    if middle_a and middle_b and len(middle_a) * len(middle_b) <= MAX_CELLS:
        from difflib import SequenceMatcher

        matcher = SequenceMatcher(None, middle_a, middle_b, autojunk=False)
        blocks += [(head + x, head + y, n) for x, y, n in matcher.get_matching_blocks() if n]
    if tail:
        blocks.append((len(a) - tail, len(b) - tail, tail))
    return blocks


def _rows(old: tuple, new: tuple) -> list:
    pairs = align(list(old), list(new))
    to_new = {old[i].name: new[j].name for i, j in pairs}
    added = {layer.name: layer for layer in new} if len(pairs) < len(new) else {}
    for _, j in pairs:
        added.pop(new[j].name, None)
    removed = {layer.name: layer for layer in old} if len(pairs) < len(old) else {}
    for i, _ in pairs:
        removed.pop(old[i].name, None)
    rows, i, j = [], 0, 0
    for pair_i, pair_j in [*pairs, (len(old), len(new))]:
        rows += [Row(REMOVED, old[k], None, ()) for k in range(i, pair_i)]
        rows += [Row(ADDED, None, new[k], ()) for k in range(j, pair_j)]
        if pair_i < len(old):
            rows.append(_matched(old[pair_i], new[pair_j], to_new, added, removed))
        i, j = pair_i + 1, pair_j + 1
    return rows


def _origins(name: str, chain: dict) -> frozenset:
    """The layers outside ``chain`` (the added, or the removed, layers) that ``name`` reads
    through layers of ``chain`` only: a block put in between two layers leaves the one below
    reading, in effect, the one above."""
    found, stack, seen = set(), [name], set()
    while stack:
        item = stack.pop()
        if item in seen:
            continue
        seen.add(item)
        if item in chain:
            stack.extend(chain[item].inputs)
        else:
            found.add(item)
    return frozenset(found)


def _matched(before, after, to_new: dict, added: dict, removed: dict) -> Row:
    changes = []
    if before.type != after.type:
        changes.append(Change("type", before.type, after.type))
    old_args, new_args = before.spec.args, after.spec.args
    # A merge's primary argument names its inputs: compared below, as inputs, not as text.
    references = {spec.type.primary for spec in (before.spec, after.spec) if spec.type.merges}
    for key in dict.fromkeys([*old_args, *new_args]):
        if key not in references and old_args.get(key) != new_args.get(key):
            changes.append(Change(key, old_args.get(key), new_args.get(key)))
    if before.spec.trainable != after.spec.trainable:
        changes.append(Change("trainable", before.spec.trainable, after.spec.trainable))
    inputs = [frozenset(to_new.get(item, item) for item in _origins(name, removed)) for name in before.inputs]
    if inputs != [_origins(name, added) for name in after.inputs]:
        changes.append(Change("from", list(before.inputs), list(after.inputs)))
    figures = ("shape", "params", "trainable_params", "buffers", "macs", "activation_bytes")
    if changes or any(getattr(before, key) != getattr(after, key) for key in figures):
        status = CHANGED
    elif before.receptive_field != after.receptive_field:
        status = FIELD
    elif before.name != after.name and (before.spec.name is not None or after.spec.name is not None):
        status = RENAMED
    else:
        status = SAME
    return Row(status, before, after, tuple(changes))
