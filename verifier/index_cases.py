"""Which values of the index symbols the numeric check tries at one shape.

At small shapes every assignment is tried.  Where there are too many (a large shape), random draws
alone would rarely land on the few values a claim can single out: `ind(i == 40)`, `i == n - 1`, `i == j`.
Random data are exchangeable across positions, so what can tell one index value from another is
where it lies against the values the claim names.  The cases are therefore:

- seeded random assignments (the generic position);
- every *anchor* of each index symbol, the others random: its two ends (0 and size - 1) and every
  integer the claim compares an index with or indexes an array at (`40`, `n - 1`, evaluated at the
  shape), with its two neighbours (so both sides of `i > 40` are reached);
- ties: for every pair of index symbols, one case with the two equal (also over two sizes, at a value
  both have), and one with all of those of one size equal;
- relations: for every comparison of integer expressions of the indices (`2*i == 82`, `i == j + 1`,
  `i*i < 1681`), each index at the integers next to the real roots, the others random.

The position of the 1 of a `onehot(n)` symbol is chosen per point (``hot_positions``): the points of
one index case go through the anchors of its size and the values of the index symbols of that size
(the 1 at index i) before random positions, so `y[n - 1]` or a tie with i is reached at every shape.

The draws depend on the seed, the claim's content key and the shape, never on the claim's id.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

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
    for a, b in itertools.combinations(sizes, 2):   # ties, also between indices over two sizes
        case = draw()
        value = case[a] % min(sizes[a], sizes[b])
        add(case | {a: value, b: value})
    for group in _same_size_groups(sizes):
        if len(group) > 2:
            case = draw()
            add(case | {name: case[group[0]] for name in group})
    for relation in _index_relations(claim, dims, sizes):
        for name in sorted(relation.free_symbols & {_symbol(n) for n in sizes}, key=str):   # not set order
            case = draw()
            for value in _solutions(relation, name, case, dims):
                for w in (value - 1, value, value + 1):
                    if 0 <= w < sizes[name.name]:
                        add(case | {name.name: w})
    return cases


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)


def _index_relations(claim, dims: dict, sizes: dict) -> list:
    """lhs - rhs of every comparison between integer expressions of the index symbols (and numbers and
    dimensions), as sympy polynomials: `2*i == 82`, `i == j + 1`, `i*i < 1681`."""
    trees = list(claim.steps) + [node for _, node in claim.lets]
    if claim.where is not None:
        trees.append(claim.where)
    out = []
    for tree in trees:
        for node in tree.walk():
            if node.op in COMPARISONS:
                a, b = (_as_sympy(x, dims, sizes) for x in node.args)
                if a is not None and b is not None and (a - b).free_symbols:
                    out.append(sp.expand(a - b))
    return out


def _as_sympy(node: Node, dims: dict, sizes: dict):
    if node.op == "num":
        return sp.Rational(node.value.numerator, node.value.denominator)
    if node.op == "name":
        if node.value in sizes:
            return _symbol(node.value)
        return sp.Integer(dims[node.value]) if node.value in dims else None
    parts = [_as_sympy(a, dims, sizes) for a in node.args]
    if any(p is None for p in parts):
        return None
    if node.op == "neg":
        return -parts[0]
    if node.op in ("add", "sub", "mul") and len(parts) == 2:
        a, b = parts
        return a + b if node.op == "add" else a - b if node.op == "sub" else a * b
    return None


def _solutions(relation, symbol, case: dict, dims: dict) -> list[int]:
    """Integers next to the real roots of relation = 0 in `symbol`, the other indices at their case values."""
    others = {s: case[s.name] for s in relation.free_symbols if s != symbol and s.name in case}
    expr = relation.xreplace(others)
    if expr.free_symbols != {symbol}:
        return []
    try:
        poly = sp.Poly(expr, symbol)
        if poly.degree() > 4:
            return []
        roots = list(sp.real_roots(poly))
    except (sp.PolynomialError, NotImplementedError, ValueError):
        return []
    return sorted({int(sp.floor(r)) for r in roots} | {int(sp.ceiling(r)) for r in roots})


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
    value = _as_sympy(node, dims, {})
    return int(value) if value is not None and value.is_Integer else None


def _same_size_groups(sizes: dict[str, int]) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for name, size in sizes.items():
        groups.setdefault(size, []).append(name)
    return [g for g in groups.values() if len(g) > 1]
