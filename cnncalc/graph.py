"""The layer graph: repeats expanded, every layer named, inputs resolved, an order to run in.

No layer knowledge lives here: a node is a ``LayerSpec`` with a name and input names.

Names. A layer keeps the name it is given; others get ``TYPE`` and a count, per type
(``conv1``, ``conv2``, ``relu1``...). Inside a repeat block:

- an unnamed block numbers the named layers of its k-th repetition Caffe-style, from 1:
  ``name: conv1`` repeated twice gives ``conv1_1`` and ``conv1_2`` (as in VGG's files);
- a named block (``name: layer3``) qualifies every layer of its k-th repetition with
  ``layer3.k.``, from 0 as in PyTorch's module paths (``layer3.0.conv1``), and counts
  generated names afresh in each repetition.

``from`` first looks among the names of its own repetition, then outward, then at full
names; ``input`` is the network's input. A reference to a layer further down is allowed
(the graph is run in topological order); a cycle is an error.
"""

from __future__ import annotations

from collections import deque

from .errors import Diagnostic, Loc, SpecError, did_you_mean
from .record import Record
from .spec import INPUT_NAME, NetworkSpec, RepeatSpec

# Files that expand to more layers than this are refused before anything is built, so a
# `repeat: 1000000000` fails at once instead of filling memory.
MAX_LAYERS = 200_000


class Node(Record, fields="name spec inputs"):
    """A layer of the expanded graph: its unique name, its spec, and its inputs' names."""

    __slots__ = ()


class Graph(Record, fields="network nodes order"):
    """``nodes`` in file order (repeats expanded); ``order`` their indices, inputs first."""

    __slots__ = ()

    @property
    def input_shape(self) -> tuple:
        return self.network.input

    def in_order(self):
        return (self.nodes[i] for i in self.order)


class _Scope:
    """The names declared directly in one repetition (or the file's top level)."""

    __slots__ = ("prefix", "suffix", "declared", "parent")

    def __init__(self, prefix: str, suffix: str, declared: dict, parent: _Scope | None):
        self.prefix, self.suffix, self.declared, self.parent = prefix, suffix, declared, parent

    def full_name(self, written: str) -> str:
        return f"{self.prefix}{written}{self.suffix}"

    def resolve(self, written: str) -> str | None:
        scope = self
        while scope is not None:
            if written in scope.declared:
                return scope.declared[written]
            scope = scope.parent
        return None


def build(network: NetworkSpec) -> Graph:
    """Expands, names and connects the layers of ``network``; raises SpecError on problems."""
    _check_size(network)
    builder = _Builder(network)
    return builder.graph()


def _expanded_count(items) -> int:
    return sum(item.count * _expanded_count(item.layers) if isinstance(item, RepeatSpec) else 1 for item in items)


def _check_size(network: NetworkSpec) -> None:
    total = _expanded_count(network.layers)
    if total > MAX_LAYERS:
        first_repeat = next((item for item in network.layers if isinstance(item, RepeatSpec)), None)
        loc = first_repeat.count_loc if first_repeat else network.loc
        raise SpecError.at(loc, f"the file expands to {total:,} layers, more than cnncalc's limit of {MAX_LAYERS:,}")


class _Builder:
    def __init__(self, network: NetworkSpec):
        self.network = network
        self.file = network.file
        self.specs: list = []  # per node: its LayerSpec
        self.names: list = []  # per node: full name, or None until generated
        self.prefixes: list = []  # per node: the naming scope its generated name goes in
        self.defaults: list = []  # per node: index of the layer above (-1: the input)
        self.scopes: list = []  # per node: the scope its `from` is resolved in
        self.problems: list = []

    def graph(self) -> Graph:
        top = _Scope("", "", {}, None)
        self.declare(self.network.layers, top)
        self.expand(self.network.layers, top, -1)
        self.generate_names()
        index_of = self.index_names()
        inputs = [self.connect(i, index_of) for i in range(len(self.specs))]
        if self.problems:
            raise SpecError(self.problems)
        nodes = tuple(Node(name, spec, ins) for name, spec, ins in zip(self.names, self.specs, inputs))
        return Graph(self.network, nodes, self.order(nodes, index_of))

    def declare(self, items, scope: _Scope) -> None:
        for item in items:
            if not isinstance(item, RepeatSpec) and item.name is not None:
                scope.declared.setdefault(item.name, scope.full_name(item.name))

    def expand(self, items, scope: _Scope, above: int) -> int:
        for item in items:
            if isinstance(item, RepeatSpec):
                for k in range(item.count):
                    if item.name is not None:
                        inner = _Scope(f"{scope.prefix}{item.name}.{k}.", scope.suffix, {}, scope)
                    else:
                        inner = _Scope(scope.prefix, f"{scope.suffix}_{k + 1}", {}, scope)
                    self.declare(item.layers, inner)
                    above = self.expand(item.layers, inner, above)
                continue
            self.specs.append(item)
            self.names.append(None if item.name is None else scope.full_name(item.name))
            self.prefixes.append(scope.prefix)
            self.defaults.append(above)
            self.scopes.append(scope)
            above = len(self.specs) - 1
        return above

    def generate_names(self) -> None:
        taken = {name for name in self.names if name is not None}
        counters: dict = {}
        for i, name in enumerate(self.names):
            if name is not None:
                continue
            key = (self.prefixes[i], self.specs[i].type.name)
            count = counters.get(key, 0)
            while True:
                count += 1
                candidate = f"{self.prefixes[i]}{self.specs[i].type.name}{count}"
                if candidate not in taken:
                    break
            counters[key] = count
            taken.add(candidate)
            self.names[i] = candidate

    def index_names(self) -> dict:
        index_of: dict = {}
        for i, name in enumerate(self.names):
            if name in index_of:
                first = _name_loc(self.specs[index_of[name]])
                self.problems.append(
                    Diagnostic(
                        _name_loc(self.specs[i]), f'duplicate layer name "{name}" (first given at line {first.line})'
                    )
                )
            else:
                index_of[name] = i
        return index_of

    def connect(self, i: int, index_of: dict) -> tuple:
        spec = self.specs[i]
        if spec.inputs is None:
            above = self.defaults[i]
            return (INPUT_NAME if above < 0 else self.names[above],)
        resolved = []
        for written, loc in zip(spec.inputs, spec.input_locs or [spec.loc] * len(spec.inputs)):
            if written == INPUT_NAME:
                resolved.append(INPUT_NAME)
                continue
            name = self.scopes[i].resolve(written)
            if name is None and written in index_of:
                name = written
            if name is None:
                hint = did_you_mean(written, [INPUT_NAME, *index_of])
                self.problems.append(
                    Diagnostic(
                        loc,
                        f'layer "{self.names[i]}" takes its input from "{written}", but no layer has that name{hint}',
                    )
                )
                continue
            if name == self.names[i]:
                self.problems.append(Diagnostic(loc, f'layer "{name}" takes its input from itself'))
                continue
            resolved.append(name)
        return tuple(resolved)

    def order(self, nodes: tuple, index_of: dict) -> tuple:
        """Kahn's topological sort, keeping file order where the file allows it."""
        sources = [[index_of[name] for name in node.inputs if name != INPUT_NAME] for node in nodes]
        if all(j < i for i, ins in enumerate(sources) for j in ins):
            return tuple(range(len(nodes)))  # the usual case: every input is written above
        waiting = [len(ins) for ins in sources]
        consumers: list = [[] for _ in nodes]
        for i, ins in enumerate(sources):
            for j in ins:
                consumers[j].append(i)
        ready = deque(i for i, count in enumerate(waiting) if count == 0)
        order = []
        while ready:
            i = ready.popleft()
            order.append(i)
            for consumer in consumers[i]:
                waiting[consumer] -= 1
                if waiting[consumer] == 0:
                    ready.append(consumer)
        if len(order) < len(nodes):
            raise SpecError([_cycle(nodes, sources, waiting)])
        return tuple(order)


def _name_loc(spec):
    return spec.name_loc or spec.loc


def _cycle(nodes, sources, waiting) -> Diagnostic:
    """Names one cycle among the nodes Kahn's sort could not place, pointing at the input
    reference that closes it: one that names a layer further down the file."""
    start = next(i for i, count in enumerate(waiting) if count > 0)
    path, seen = [start], {start}
    while True:
        nxt = next(j for j in sources[path[-1]] if waiting[j] > 0)
        if nxt in seen:
            cycle = path[path.index(nxt) :] + [nxt]
            break
        path.append(nxt)
        seen.add(nxt)
    names = " <- ".join(f'"{nodes[i].name}"' for i in cycle)
    reader, read = next((a, b) for a, b in zip(cycle, cycle[1:]) if b > a)
    spec = nodes[reader].spec
    position = nodes[reader].inputs.index(nodes[read].name)
    loc = spec.input_locs[position] if spec.input_locs else spec.loc
    return Diagnostic(loc, f"layers form a cycle, each taking its input from the next: {names}")


__all__ = ["Graph", "Node", "build", "MAX_LAYERS", "Loc"]
