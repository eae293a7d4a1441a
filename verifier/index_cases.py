"""Which values of the index symbols the numeric check tries at one shape.

At small shapes every assignment is tried.  Where there are too many (a large shape), random draws
alone would rarely land on the few values a claim can single out: `ind(i == 40)`, `i == n - 1`, `i == j`.
Random data are exchangeable across positions, so what can tell one index value from another is
where it lies against the values the claim names.  The cases are therefore:

- seeded random assignments (the generic position);
- every *anchor* of each index symbol, the others random: its two ends (0 and size - 1) and every
  integer the claim compares an index with or indexes an array at (`40`, `n - 1`, evaluated at the
  shape), with its two neighbours (so both sides of `i > 40` are reached);
- ties: for every pair of index symbols over the same size, one case with the two equal, and one
  with all of them equal.

The position of the 1 of a `onehot(n)` symbol is chosen per point (``hot_positions``): the points of
one index case go through the anchors of its size and the values of the index symbols of that size
(the 1 at index i) before random positions, so `y[n - 1]` or a tie with i is reached at every shape.

The draws depend on the seed, the claim's content key and the shape, never on the claim's id.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from .symbolic import concrete_shape, index_cases
from .tree import COMPARISONS, Node

RANDOM_CASES = 3           # seeded random assignments at a shape where not every one is tried
MAX_ENUMERATED_CASES = 36  # up to this many assignments, every one is tried


def index_cases_for(plan, dims: dict, *, sample: bool) -> list[dict[str, int]]:
    """Every index assignment at small shapes; random, anchored and tied ones at large shapes."""
    claim = plan.claim
    specs = [s for s in claim.symbols if s.kind == "index"]
    sizes = {s.name: concrete_shape((s.dims[0],), dims)[0] for s in specs}
    if not specs or (not sample and int(np.prod(list(sizes.values()))) <= MAX_ENUMERATED_CASES):
        return index_cases(claim, dims)
    rng = np.random.default_rng([plan.seed, int(plan.key, 16) % 2**32, 1])
    cases: list[dict[str, int]] = []

    def add(case):
        if case not in cases:
            cases.append(case)

    def draw():
        return {name: int(rng.integers(size)) for name, size in sizes.items()}

    for _ in range(RANDOM_CASES):
        add(draw())
    named = claim_integers(claim, dims)
    for name, size in sizes.items():
        for value in anchors(size, named):
            add(draw() | {name: value})
    for group in _same_size_groups(sizes):
        for a, b in itertools.combinations(group, 2):
            case = draw()
            add(case | {b: case[a]})
        if len(group) > 2:
            case = draw()
            add(case | {name: case[group[0]] for name in group})
    return cases


def hot_positions(claim, dims: dict, indices: dict) -> dict[str, list[int]]:
    """For each one-hot symbol, the positions of its 1 that the first points of an index case take."""
    named = claim_integers(claim, dims)
    out = {}
    for spec in claim.symbols:
        if spec.kind == "onehot":
            size = concrete_shape(spec.shape, dims)[0]
            ties = [indices[s.name] for s in claim.symbols
                    if s.kind == "index" and concrete_shape((s.dims[0],), dims)[0] == size]
            out[spec.name] = list(dict.fromkeys(anchors(size, named) + ties))
    return out


def anchors(size: int, named: set[int]) -> list[int]:
    """The ends of 0 .. size - 1, and each named integer in range with its neighbours."""
    values = {0, size - 1}
    for v in named:
        values.update(w for w in (v - 1, v, v + 1) if 0 <= w < size)
    return sorted(values)


def claim_integers(claim, dims: dict) -> set[int]:
    """The integers a claim compares something with or indexes an array at, evaluated at `dims`:
    operands of comparisons and index positions built from numbers and dimensions only."""
    trees = list(claim.steps) + [node for _, node in claim.lets]
    if claim.where is not None:
        trees.append(claim.where)
    found = set()
    for tree in trees:
        for node in tree.walk():
            if node.op in COMPARISONS:
                operands = node.args
            elif node.op == "index":
                operands = node.args[1:]
            else:
                continue
            for operand in operands:
                value = _integer(operand, dims)
                if value is not None:
                    found.add(value)
    return found


def _integer(node: Node, dims: dict) -> int | None:
    """The value of an integer expression of numbers and dimensions, or None."""
    value = _evaluate(node, dims)
    return int(value) if value is not None and value.denominator == 1 else None


def _evaluate(node: Node, dims: dict) -> Fraction | None:
    if node.op == "num":
        return Fraction(node.value)
    if node.op == "name":
        return Fraction(dims[node.value]) if node.value in dims else None
    parts = [_evaluate(a, dims) for a in node.args]
    if any(p is None for p in parts):
        return None
    if node.op == "neg":
        return -parts[0]
    if node.op in ("add", "sub", "mul") and len(parts) == 2:
        a, b = parts
        return a + b if node.op == "add" else a - b if node.op == "sub" else a * b
    return None


def _same_size_groups(sizes: dict[str, int]) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for name, size in sizes.items():
        groups.setdefault(size, []).append(name)
    return [g for g in groups.values() if len(g) > 1]
