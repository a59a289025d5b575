"""The layer graph: repeats expanded, every layer named, inputs resolved, an order to run in.

No layer knowledge lives here: a node is a ``LayerSpec`` with a name and input names.

Names. A layer keeps the name it is given; others get ``TYPE`` and a count, per type
(``conv1``, ``conv2``, ``relu1``...). Inside a repeat block:

- an unnamed block numbers the named layers of its k-th repetition Caffe-style, from 1:
  ``name: conv1`` repeated twice gives ``conv1_1`` and ``conv1_2`` (as in VGG's files);
- a named block (``name: layer3``) qualifies every layer of its k-th repetition with
  ``layer3.k.``, from 0 as in PyTorch's module paths (``layer3.0.conv1``), and counts
  generated names afresh in each repetition; when its body is one unnamed module use,
  each repetition is that instance (``layer3.0`` is the block, ``layer3.0.conv1`` its conv).

``from`` first looks among the names of its own repetition, then outward, then at full
names; ``input`` is the network's input. A reference to a layer further down is allowed
(the graph is run in topological order); a cycle is an error.
"""

from __future__ import annotations

from .errors import Diagnostic, Loc, SpecError, did_you_mean
from .record import Record
from .spec import INPUT_NAME, ModuleUse, NetworkSpec, RepeatSpec, instantiate

# Files that expand to more layers than this are refused before anything is built, so a
# `repeat: 1000000000` fails at once instead of filling memory.
MAX_LAYERS = 200_000
MAX_NESTING = 32  # modules inside modules (and repeats), deeper than any real network


class Node(Record, fields="name spec inputs module"):
    """A layer of the expanded graph: its unique name, its spec, its inputs' names, and the
    module instances it sits in, outermost first, as (instance name, module) pairs (empty at
    the top level; (("layer3.0", "bottleneck"),) for a layer of that instance)."""

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
    """The names declared directly in one repetition, one module instance, or the top level.

    ``input`` is what the name ``input`` means here: the network's input at the top level,
    the instance's input inside a module (an index, or a name to resolve in ``parent``);
    repetitions use their parent's.
    """

    __slots__ = ("prefix", "suffix", "declared", "parent", "input", "instance")

    def __init__(self, prefix: str, suffix: str, declared: dict, parent: _Scope | None, input=None, instance=None):
        self.prefix, self.suffix, self.declared, self.parent = prefix, suffix, declared, parent
        self.input = input
        self.instance = instance if instance is not None else (parent.instance if parent else ())

    def full_name(self, written: str) -> str:
        return f"{self.prefix}{written}{self.suffix}"

    def resolve(self, written: str, generated=()) -> str | None:
        """The full name ``written`` means here: a name declared in this scope or an outer one,
        else a generated name (``conv2``) of this scope or an outer one."""
        scope = self
        while scope is not None:
            if written in scope.declared:
                return scope.declared[written]
            if f"{scope.prefix}{written}{scope.suffix}" in generated:
                return f"{scope.prefix}{written}{scope.suffix}"
            scope = scope.parent
        return None


def build(network: NetworkSpec) -> Graph:
    """Expands, names and connects the layers of ``network``; raises SpecError on problems."""
    _check_size(network)
    builder = _Builder(network)
    return builder.graph()


def _expanded_count(items) -> int:
    """Layers after repeats are multiplied out (a module use counts one here; its layers are
    counted as it is expanded)."""
    return sum(_repeated_count(item) if isinstance(item, RepeatSpec) else 1 for item in items)


def _repeated_count(repeat: RepeatSpec) -> int:
    if repeat.bodies is not None:
        return sum(_expanded_count(body) for body in repeat.bodies)
    return repeat.count * _expanded_count(repeat.layers)


def _check_size(network: NetworkSpec) -> None:
    total = _expanded_count(network.layers)
    if total > MAX_LAYERS:
        first_repeat = next((item for item in network.layers if isinstance(item, RepeatSpec)), None)
        loc = first_repeat.count_loc if first_repeat else network.loc
        raise SpecError.at(loc, f"the file expands to {total:,} layers, more than cnncalc's limit of {MAX_LAYERS:,}")


class _Pending:
    """A layer met while expanding: its spec, its full name (None until generated), the
    naming scope its generated name goes in, the reference its input defaults to (the layer
    above) and the scope its ``from`` is resolved in. (Filled in as the build goes on.)"""

    __slots__ = ("spec", "name", "prefix", "above", "scope")

    def __init__(self, spec, name, prefix: str, above, scope: _Scope):
        self.spec, self.name, self.prefix, self.above, self.scope = spec, name, prefix, above, scope


# References to a node, resolved once every node has its name: an int is the index of a
# node (-1: the network's input); the others are what ``input`` means inside a scope, and a
# name written in a scope.
class _InputOf(Record, fields="scope"):
    __slots__ = ()


class _Written(Record, fields="written scope loc"):
    __slots__ = ()


class _LeftOut(Record, fields="passed"):
    """The name of a module use left out by ``when: false``: it means what the use passed on."""

    __slots__ = ()


class _Builder:
    def __init__(self, network: NetworkSpec):
        self.network = network
        self.file = network.file
        self.pending: list = []  # every layer, in file order (repeats and modules expanded)
        self.problems: list = []
        self.instances: dict = {}  # (prefix, module) -> count, for generated instance names
        self.active: list = []  # the modules being expanded, innermost last
        self.instantiated: dict = {}  # (module, arguments) -> its layers, read once
        self.index_of: dict = {}  # full name -> index, once names are known
        self.outputs: dict = {}  # an instance's full name (backbone.4) -> its output's reference

    def graph(self) -> Graph:
        top = _Scope("", "", {}, None, input=INPUT_NAME, instance=())
        self.declare(self.network.layers, top)
        self.expand(self.network.layers, top, -1)
        self.generate_names()
        self.index_names()
        inputs = [self.connect(layer) for layer in self.pending]
        if self.problems:
            raise SpecError(self.problems)
        nodes = [Node(layer.name, layer.spec, ins, layer.scope.instance) for layer, ins in zip(self.pending, inputs)]
        nodes = self.leave_out_skipped(nodes)
        index_of = {node.name: i for i, node in enumerate(nodes)}
        return Graph(self.network, tuple(nodes), self.order(nodes, index_of))

    def leave_out_skipped(self, nodes: list) -> list:
        """Layers with ``when: false`` pass their input on, a merge its first input (a residual
        ``add`` left out passes on the main path): their readers read that instead."""
        alias = {node.name: node.inputs[0] for node in nodes if node.spec.when is False and node.inputs}

        def follow(name):
            seen = set()
            while name in alias and name not in seen:
                seen.add(name)
                name = alias[name]
            return name

        return [node._replace(inputs=tuple(follow(n) for n in node.inputs)) for node in nodes if node.name not in alias]

    def declare(self, items, scope: _Scope) -> None:
        for item in items:
            # A left-out layer is found by its full name when nothing kept claims the name.
            if not isinstance(item, (RepeatSpec, ModuleUse)) and item.name is not None and item.when is not False:
                scope.declared.setdefault(item.name, scope.full_name(item.name))

    def expand(self, items, scope: _Scope, above):
        """Appends the layers of ``items``; ``above`` is what the first one reads by default.
        Returns what the next item reads by default (the last layer's reference)."""
        for item in items:
            if isinstance(item, ModuleUse):
                above = self.instance(item, scope, above)
                continue
            if isinstance(item, RepeatSpec) and _one_module_use(item):
                # `repeat: N` named layer2 over one unnamed module use: each repetition is the
                # instance itself, named layer2.k, so its layers read layer2.0.conv1 as in PyTorch.
                for k in range(item.count):
                    use = _body(item, k)[0]
                    above = self.instance(use._replace(name=f"{item.name}.{k}"), scope, above)
                continue
            if isinstance(item, RepeatSpec):
                for k in range(item.count):
                    if item.name is not None:
                        inner = _Scope(f"{scope.prefix}{item.name}.{k}.", scope.suffix, {}, scope)
                    elif item.bodies is not None:
                        # An index in the names (`name: "${i + 1}"`) tells the repetitions
                        # apart: the names stay as written.
                        inner = _Scope(scope.prefix, scope.suffix, {}, scope)
                    else:
                        inner = _Scope(scope.prefix, f"{scope.suffix}_{k + 1}", {}, scope)
                    body = _body(item, k)
                    self.declare(body, inner)
                    above = self.expand(body, inner, above)
                continue
            if len(self.pending) >= MAX_LAYERS:
                raise SpecError.at(item.loc, f"the file expands to more than cnncalc's limit of {MAX_LAYERS:,} layers")
            name = None if item.name is None else scope.full_name(item.name)
            self.pending.append(_Pending(item, name, scope.prefix, above, scope))
            above = len(self.pending) - 1
        return above

    def instance(self, use: ModuleUse, scope: _Scope, above):
        """Expands one use of a module; returns the reference to its output layer."""
        if use.module in self.active or len(self.active) >= MAX_NESTING:
            chain = " -> ".join([*self.active, use.module])
            raise SpecError.at(use.type_loc, f"modules use each other without end: {chain}")
        if use.when is False:
            # Left out: the use passes its input on, and its name, if it has one, means that
            # input (a kept use of the same name, an alternative to this one, wins).
            passed = above if use.inputs is None else _Written(use.inputs[0], scope, _first_input_loc(use))
            if use.name is not None:
                scope.declared.setdefault(use.name, _LeftOut(passed))
                self.outputs.setdefault(scope.full_name(use.name), _LeftOut(passed))
            return passed
        if use.name is not None:
            name = scope.full_name(use.name)
        else:
            key = (scope.prefix, use.module)
            self.instances[key] = self.instances.get(key, 0) + 1
            name = f"{scope.prefix}{use.module}{self.instances[key]}"
        where = f'"{name}", the {use.module} at line {use.loc.line}'
        self.active.append(use.module)
        # Instances with the same arguments have the same layers: read them once (a ResNet
        # has 150 bottlenecks but a handful of distinct ones).
        key = (use.module, repr(sorted(use.args.items())))
        if key not in self.instantiated:
            self.instantiated[key] = instantiate(use, self.network.modules, self.file, where)
        items = self.instantiated[key]
        if use.inputs is None:
            instance_input = above
        else:
            instance_input = _Written(use.inputs[0], scope, _first_input_loc(use))
        inner = _Scope(f"{name}.", "", {}, scope, input=instance_input, instance=(*scope.instance, (name, use.module)))
        self.declare(items, inner)
        first = len(self.pending)
        last = self.expand(items, inner, _InputOf(inner))
        self.active.pop()
        outputs = [i for i in range(first, len(self.pending)) if self.pending[i].name == f"{name}.output"]
        output = outputs[0] if outputs else last
        if use.expect is not None and isinstance(output, int) and output >= first:
            layer = self.pending[output]
            layer.spec = layer.spec._replace(expect=use.expect)
        if not use.trainable:
            for layer in self.pending[first:]:
                layer.spec = layer.spec._replace(trainable=False)
        if use.name is not None and isinstance(scope.declared.get(use.name, _LeftOut(None)), _LeftOut):
            scope.declared[use.name] = output
        if isinstance(self.outputs.get(name, _LeftOut(None)), _LeftOut):
            self.outputs[name] = output  # its full name reaches it from anywhere, as a layer's does
        return output

    def generate_names(self) -> None:
        taken = {layer.name for layer in self.pending if layer.name is not None}
        counters: dict = {}
        for i, layer in enumerate(self.pending):
            if layer.name is not None:
                continue
            if layer.spec.when is False:
                # A left-out layer takes no name: the layers after it are numbered as if it
                # were not written (conv3 stays conv3 whether a projection is left out or not).
                layer.name = f"{layer.prefix}\0left out {i}"
                continue
            key = (layer.prefix, layer.spec.type.name)
            count = counters.get(key, 0)
            while True:
                count += 1
                candidate = f"{layer.prefix}{layer.spec.type.name}{count}"
                if candidate not in taken:
                    break
            counters[key] = count
            taken.add(candidate)
            layer.name = candidate

    def index_names(self) -> None:
        """Full name -> index, and duplicate names reported. A left-out layer's name goes to
        a kept layer of the same name when there is one: alternatives may share a name
        (``name: shortcut`` on a projection and on an identity, one of them left out)."""
        kept = [i for i, layer in enumerate(self.pending) if layer.spec.when is not False]
        left_out = [i for i, layer in enumerate(self.pending) if layer.spec.when is False]
        for i in kept + left_out:
            layer = self.pending[i]
            if layer.spec.when is False and layer.name in self.index_of:
                layer.name = f"{layer.name}\0left out {i}"
                self.index_of[layer.name] = i
            elif layer.name in self.index_of:
                first = _name_loc(self.pending[self.index_of[layer.name]].spec)
                self.problems.append(
                    Diagnostic(
                        _name_loc(layer.spec), f'duplicate layer name "{layer.name}" (first given at line {first.line})'
                    )
                )
            else:
                self.index_of[layer.name] = i

    def reference(self, ref, reader: str | None = None) -> str | None:
        """The node name a reference means (None, with a problem recorded, if none)."""
        if isinstance(ref, str):
            return ref
        if isinstance(ref, int):
            return INPUT_NAME if ref < 0 else self.pending[ref].name
        if isinstance(ref, _LeftOut):
            return self.reference(ref.passed, reader)
        if isinstance(ref, _InputOf):
            scope = ref.scope
            while scope.input is None:  # repetitions read their parent's input
                scope = scope.parent
            return self.reference(scope.input)
        if ref.written == INPUT_NAME:
            return self.reference(_InputOf(ref.scope))
        name = ref.scope.resolve(ref.written, self.index_of)
        if name is None and ref.written in self.index_of:
            name = ref.written
        if name is None and ref.written in self.outputs:  # an instance inside another, by its full name
            return self.reference(self.outputs[ref.written], reader)
        if name is None:
            hint = did_you_mean(ref.written, [INPUT_NAME, *_nearby(self.index_of, ref.scope.prefix)])
            who = f'layer "{reader}"' if reader else "this module"
            self.problems.append(
                Diagnostic(ref.loc, f'{who} takes its input from "{ref.written}", but no layer has that name{hint}')
            )
            return None
        return self.reference(name)

    def connect(self, layer: _Pending) -> tuple:
        """The names of the layer's inputs: the layer above or those written in ``from`` (a
        merge's list), then the layers its arguments name for their shape (``references``)."""
        spec = layer.spec
        resolved = []
        if spec.inputs is None:
            name = self.reference(layer.above)
            if name is not None:
                resolved.append(name)
        written_inputs = zip(spec.inputs or (), spec.input_locs or [spec.loc] * len(spec.inputs or ()))
        for written, loc in [*written_inputs, *_reference_locs(spec)]:
            name = self.reference(_Written(written, layer.scope, loc), reader=layer.name)
            if name == layer.name:
                self.problems.append(Diagnostic(loc, f'layer "{name}" takes its input from itself'))
            elif name is not None:
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
        # A first-in first-out queue as a list read from the front (a deque would import
        # collections, a tenth of the start-up budget). It ends up holding the order itself.
        order = [i for i, count in enumerate(waiting) if count == 0]
        head = 0
        while head < len(order):
            for consumer in consumers[order[head]]:
                waiting[consumer] -= 1
                if waiting[consumer] == 0:
                    order.append(consumer)
            head += 1
        if len(order) < len(nodes):
            raise SpecError([_cycle(nodes, sources, waiting)])
        return tuple(order)


def _nearby(names, prefix: str) -> list:
    """Candidates for "did you mean": the names of the same scope, short form and full, or the
    top level's (comparing against every name of a 20,000-layer file would be quadratic)."""
    if not prefix:
        return [name for name in names if "." not in name and "\0" not in name][:2000]
    return [name[len(prefix) :] for name in names if name.startswith(prefix) and "\0" not in name][:2000]


def _body(repeat: RepeatSpec, k: int) -> tuple:
    """The layers of the k-th repetition (its own, with an ``index:``)."""
    return repeat.layers if repeat.bodies is None else repeat.bodies[k]


def _one_module_use(repeat: RepeatSpec) -> bool:
    return (
        repeat.name is not None
        and len(repeat.layers) == 1
        and isinstance(repeat.layers[0], ModuleUse)
        and repeat.layers[0].name is None
    )


def _reference_locs(spec) -> list:
    """``(written name, loc)`` of each layer the spec's arguments name for its shape."""
    written_at = {spec.args.get(arg.name): spec.arg_loc(arg.name) for arg in spec.type.args}
    return [(written, written_at[written]) for written in spec.type.references(spec.args)]


def _first_input_loc(use: ModuleUse) -> Loc:
    return use.input_locs[0] if use.input_locs else use.loc


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
    # b == a: a layer reading itself through one left out by `when: false` (its alias)
    reader, read = next((a, b) for a, b in zip(cycle, cycle[1:]) if b >= a)
    spec = nodes[reader].spec
    position = nodes[reader].inputs.index(nodes[read].name)
    locs = [*(spec.input_locs or [spec.loc] * len(spec.inputs or ())), *(loc for _, loc in _reference_locs(spec))]
    if spec.inputs is None:
        locs.insert(0, spec.loc)  # the layer above
    loc = locs[position] if position < len(locs) else spec.loc
    return Diagnostic(loc, f"layers form a cycle, each taking its input from the next: {names}")


__all__ = ["Graph", "Node", "build", "MAX_LAYERS", "Loc"]
