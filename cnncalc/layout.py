"""A layered drawing of a directed acyclic graph, top to bottom, in the manner of Sugiyama,
Tagawa and Toda (1981), the method Graphviz's ``dot`` and dagre follow:

1. layering: a node sits one rank below the lowest of its inputs (longest path from the
   sources), so branches that leave one node start side by side;
2. an edge longer than one rank is split by a dummy node in every rank it crosses, so that
   it can bend around the nodes in between;
3. ordering: each rank starts in depth-first order, then sweeps down and up sort the nodes of
   a rank by the barycentre of their neighbours' positions in the rank above (or below); the
   order with the fewest crossings is kept;
4. coordinates: each node wants to sit at the mean x of its neighbours in the rank above
   (then below); within a rank the order and a minimum separation are kept, and the x
   nearest to the wishes in least squares is found exactly by pool-adjacent-violators
   (isotonic regression with the separations taken out).

Groups (module instances) are nested sets of nodes drawn as boxes: the layout leaves room
for their borders and titles between ranks and between neighbours in a rank.

Nothing here knows about layers: the input is sizes, edges and groups, the output plain
numbers. Everything is deterministic: same input, same coordinates.

>>> placed = layered([(40, 20), (40, 20), (40, 20), (40, 20)], [(0, 1), (0, 2), (1, 3), (2, 3)])
>>> [y for _, y in placed.nodes]  # three ranks; the two branches share the middle one
[10.0, 58.0, 58.0, 106.0]
>>> placed.nodes[1][0] < placed.nodes[0][0] < placed.nodes[2][0]  # side by side, around their input
True
"""

from __future__ import annotations

from .record import Record

GAP_X = 16  # between neighbours in a rank
GAP_Y = 28  # between ranks
DUMMY_WIDTH = 6  # an edge passing through a rank
PAD = 8  # a group's border around its members
PAD_TOP = 20  # above a group's members: its title
SWEEPS = 6  # down-and-up ordering passes (the best order found is kept)
ROUNDS = 6  # down-and-up coordinate passes


class Placement(Record, fields="width height nodes edges groups"):
    """``nodes``: the centre ``(x, y)`` of each node; ``edges``: per edge the points it runs
    through, from the bottom of its source to the top of its target; ``groups``: per group
    its box ``(x0, y0, x1, y1)``; ``width`` and ``height`` hold it all."""

    __slots__ = ()


def layered(sizes, edges, group_of=None, group_parent=(), group_width=None) -> Placement:
    """Lays out nodes of ``sizes`` (width, height) joined by ``edges`` (source, target index
    pairs; no cycles). ``group_of``: per node the innermost group it belongs to, or None;
    ``group_parent``: per group the group it sits in, or None; ``group_width``: per group
    the narrowest its box may be (its title's width)."""
    count = len(sizes)
    group_of = list(group_of) if group_of is not None else [None] * count
    rank = _ranks(count, edges)
    # Every edge becomes a chain through dummy nodes; a dummy belongs to the innermost group
    # holding both ends, so an edge inside a box stays inside it.
    width = [w for w, _ in sizes]
    height = [h for _, h in sizes]
    chains = []
    for source, target in edges:
        chain = [source]
        shared = _common_group(group_of[source], group_of[target], group_parent)
        for r in range(rank[source] + 1, rank[target]):
            rank.append(r)
            width.append(DUMMY_WIDTH)
            height.append(0)
            group_of.append(shared)
            chain.append(len(rank) - 1)
        chain.append(target)
        chains.append(chain)
    total = len(rank)
    above = [[] for _ in range(total)]
    below = [[] for _ in range(total)]
    for chain in chains:
        for upper, lower in zip(chain, chain[1:]):
            below[upper].append(lower)
            above[lower].append(upper)
    ranks = _initial_order(rank, below, count)
    ranks = _order(ranks, above, below)
    groups = [_groups_of(g, group_parent) for g in group_of]
    xs = _coordinates(ranks, width, groups, above, below)

    # Ranks are as tall as their tallest node; between them, room for the boxes that end
    # above and begin below.
    firsts, lasts = {}, {}
    for node in range(count):
        for g in groups[node]:
            firsts[g] = min(firsts.get(g, rank[node]), rank[node])
            lasts[g] = max(lasts.get(g, rank[node]), rank[node])
    ends = [0] * len(ranks)
    begins = [0] * len(ranks)
    for g in firsts:
        begins[firsts[g]] += 1
        ends[lasts[g]] += 1
    tops, y = [], float(begins[0] * PAD_TOP) if ranks else 0.0
    rank_height = [max([height[v] for v in members] or [0]) for members in ranks]
    for r in range(len(ranks)):
        if r:
            y += rank_height[r - 1] + GAP_Y + ends[r - 1] * PAD + begins[r] * PAD_TOP
        tops.append(y)
    ys = [tops[rank[v]] + rank_height[rank[v]] / 2 for v in range(total)]

    boxes = _boxes(group_parent, groups, count, xs, ys, width, height, group_width or [0] * len(group_parent))
    left = min([xs[v] - width[v] / 2 for v in range(total)] + [box[0] for box in boxes if box] or [0])
    shift = -left
    xs = [x + shift for x in xs]
    boxes = [None if box is None else (box[0] + shift, box[1], box[2] + shift, box[3]) for box in boxes]
    routes = [_route(chain, xs, ys, width, height, tops, rank_height, rank, above, below) for chain in chains]
    right = max([xs[v] + width[v] / 2 for v in range(total)] + [box[2] for box in boxes if box] or [0])
    bottom = max([ys[v] + height[v] / 2 for v in range(total)] + [box[3] for box in boxes if box] or [0])
    return Placement(
        round(right, 1),
        round(bottom, 1),
        tuple((round(xs[v], 1), round(ys[v], 1)) for v in range(count)),
        tuple(routes),
        tuple(None if box is None else tuple(round(n, 1) for n in box) for box in boxes),
    )


def _ranks(count: int, edges) -> list:
    """Each node one rank below the lowest of its inputs (Kahn's order, by index)."""
    inputs = [[] for _ in range(count)]
    outputs = [[] for _ in range(count)]
    for source, target in edges:
        inputs[target].append(source)
        outputs[source].append(target)
    waiting = [len(sources) for sources in inputs]
    rank = [0] * count
    ready = [v for v in range(count) if not waiting[v]]
    while ready:
        node = ready.pop()
        for target in outputs[node]:
            rank[target] = max(rank[target], rank[node] + 1)
            waiting[target] -= 1
            if not waiting[target]:
                ready.append(target)
    if any(waiting):
        raise ValueError("the graph has a cycle")
    return rank


def _groups_of(group, group_parent) -> tuple:
    """The groups holding a node, innermost first."""
    chain = []
    while group is not None:
        chain.append(group)
        group = group_parent[group]
    return tuple(chain)


def _common_group(a, b, group_parent):
    outer = set(_groups_of(b, group_parent))
    for group in _groups_of(a, group_parent):
        if group in outer:
            return group
    return None


def _initial_order(rank: list, below: list, count: int) -> list:
    """Ranks filled in depth-first order from the sources, in index order: the first
    branch of a fork goes left."""
    ranks = [[] for _ in range(max(rank, default=-1) + 1)]
    seen = [False] * len(rank)
    has_input = [False] * len(rank)
    for targets in below:
        for target in targets:
            has_input[target] = True
    for root in [v for v in range(count) if not has_input[v]]:
        stack = [root]
        while stack:
            node = stack.pop()
            if seen[node]:
                continue
            seen[node] = True
            ranks[rank[node]].append(node)
            stack.extend(reversed(below[node]))
    return ranks


def _order(ranks: list, above: list, below: list) -> list:
    """Barycentre sweeps, down then up; the order with the fewest crossings wins."""
    best, fewest = [list(r) for r in ranks], _crossings(ranks, below)
    current = [list(r) for r in ranks]
    for _ in range(SWEEPS):
        if not fewest:
            break
        for sweep in (range(1, len(current)), range(len(current) - 2, -1, -1)):
            for r in sweep:
                neighbours = above if sweep.step == 1 else below
                other = current[r - 1] if sweep.step == 1 else current[r + 1]
                position = {v: i for i, v in enumerate(other)}
                keys = []
                for i, v in enumerate(current[r]):
                    near = [position[u] for u in neighbours[v]]
                    keys.append((sum(near) / len(near) if near else i, i))
                current[r] = [v for _, v in sorted(zip(keys, current[r]))]
            crossings = _crossings(current, below)
            if crossings < fewest:
                best, fewest = [list(r) for r in current], crossings
    return best


def _crossings(ranks: list, below: list) -> int:
    """Edge crossings between neighbouring ranks: inversions of the lower ends, counted
    with a Fenwick tree."""
    total = 0
    for upper, lower in zip(ranks, ranks[1:]):
        position = {v: i for i, v in enumerate(lower)}
        ends = sorted((i, position[w]) for i, v in enumerate(upper) for w in below[v])
        tree = [0] * (len(lower) + 1)
        seen = 0
        for _, j in ends:
            # How many ends already seen lie right of j.
            k, at_most = j + 1, 0
            while k:
                at_most += tree[k]
                k -= k & -k
            total += seen - at_most
            seen += 1
            k = j + 1
            while k <= len(lower):
                tree[k] += 1
                k += k & -k
    return total


def _coordinates(ranks: list, width: list, groups: list, above: list, below: list) -> list:
    """x of every node: packed, then pulled towards its neighbours' mean, rank by rank."""
    xs = [0.0] * len(width)
    separations = []
    for members in ranks:
        gaps = [_separation(a, b, width, groups) for a, b in zip(members, members[1:])]
        separations.append(gaps)
        x = 0.0
        for i, v in enumerate(members):
            if i:
                x += gaps[i - 1]
            xs[v] = x
    order = list(range(len(ranks)))
    for _ in range(ROUNDS):
        moved = 0.0
        for sweep, neighbours in ((order[1:], above), (order[-2::-1], below)):
            for r in sweep:
                moved = max(moved, _fit(ranks[r], separations[r], xs, neighbours, width))
        if moved < 0.05:  # settled: more rounds would not move anything a tenth of a pixel
            break
    for r in order:
        _fit(ranks[r], separations[r], xs, None, width, above, below)
    return xs


def _separation(a: int, b: int, width: list, groups: list) -> float:
    """Centre to centre: half of each, a gap, and a border for each box between them."""
    between = len(set(groups[a]).symmetric_difference(groups[b]))
    gap = GAP_X if width[a] > DUMMY_WIDTH and width[b] > DUMMY_WIDTH else GAP_X / 2
    return (width[a] + width[b]) / 2 + gap + between * PAD


def _fit(members, gaps, xs, neighbours, width, above=None, below=None) -> float:
    """Moves the rank's nodes as near their wishes (the mean x of their neighbours) as the
    order and the separations allow, in least squares: with the separations taken out,
    the positions must not decrease, and pool-adjacent-violators finds the best such.
    Returns the farthest any node moved."""
    wishes, weights = [], []
    for v in members:
        near = neighbours[v] if neighbours is not None else above[v] + below[v]
        if width[v] > DUMMY_WIDTH:
            # A node follows the nodes it joins, not the edges passing by it: a chain of
            # layers stays straight and a skip connection bends around it.
            near = [u for u in near if width[u] > DUMMY_WIDTH] or near
        wishes.append(sum(xs[u] for u in near) / len(near) if near else xs[v])
        # A node holds its place more firmly than an edge passing by (a dummy), which
        # gives way rather than push a chain of layers out of line.
        weights.append(1.0 if width[v] > DUMMY_WIDTH else 0.01)
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks = []  # [weighted sum, weight, count]
    for wish, weight, offset in zip(wishes, weights, offsets):
        blocks.append([(wish - offset) * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, n = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight_sum
            blocks[-1][2] += n
    i, moved = 0, 0.0
    for total, weight_sum, n in blocks:
        for _ in range(n):
            x = total / weight_sum + offsets[i]
            moved = max(moved, abs(x - xs[members[i]]))
            xs[members[i]] = x
            i += 1
    return moved


def _boxes(group_parent, groups, count, xs, ys, width, height, group_width) -> list:
    """Each group's box around its real members and the boxes inside it, innermost first."""
    boxes = [None] * len(group_parent)
    extents: dict = {}
    for v in range(count):
        left, right = xs[v] - width[v] / 2, xs[v] + width[v] / 2
        top, bottom = ys[v] - height[v] / 2, ys[v] + height[v] / 2
        for g in groups[v]:
            x0, y0, x1, y1 = extents.get(g, (left, top, right, bottom))
            extents[g] = (min(x0, left), min(y0, top), max(x1, right), max(y1, bottom))
    depth = [len(_groups_of(g, group_parent)) for g in range(len(group_parent))]
    children: dict = {}
    for child, parent in enumerate(group_parent):
        children.setdefault(parent, []).append(child)
    for g in sorted(extents, key=lambda g: (-depth[g], g)):
        x0, y0, x1, y1 = extents[g]
        for child in children.get(g, ()):
            if boxes[child] is not None:
                cx0, cy0, cx1, cy1 = boxes[child]
                x0, y0, x1, y1 = min(x0, cx0), min(y0, cy0), max(x1, cx1), max(y1, cy1)
        boxes[g] = (x0 - PAD, y0 - PAD_TOP, max(x1 + PAD, x0 - PAD + group_width[g]), y1 + PAD)
    return boxes


def _route(chain, xs, ys, width, height, tops, rank_height, rank, above, below) -> tuple:
    """The points an edge runs through: its source's bottom, straight down through each
    rank it crosses, its target's top. Several edges at one node leave (or arrive) side by
    side, in the order of where they go (come from)."""
    source, target = chain[0], chain[-1]
    points = [(_port(source, chain[1], xs, below, width), ys[source] + height[source] / 2)]
    for dummy in chain[1:-1]:
        points.append((xs[dummy], tops[rank[dummy]]))
        points.append((xs[dummy], tops[rank[dummy]] + rank_height[rank[dummy]]))
    points.append((_port(target, chain[-2], xs, above, width), ys[target] - height[target] / 2))
    return tuple((round(x, 1), round(y, 1)) for x, y in points)


PORT_STEP = 12  # at most, between edges meeting one side of a node


def _port(node, other, xs, neighbours, width) -> float:
    ends = sorted(neighbours[node], key=lambda u: (xs[u], u))
    if len(ends) < 2:
        return xs[node]
    step = min(PORT_STEP, 0.6 * width[node] / (len(ends) - 1))
    return xs[node] + (ends.index(other) - (len(ends) - 1) / 2) * step
