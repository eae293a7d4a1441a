"""Proved for every dimension: one entry of lhs - rhs, in index notation, reduced to 0 (issue 15).

The entry (r, c) of each side comes from ``index_notation.Translator`` with the dimensions as symbols.
Their difference is then reduced by sound rewrites only, so that failing to reach 0 never says more
than "not decided here":

1. **cases of the free indices**: the entry's own indices and the claim's index symbols are split by
   which of them are equal (every set partition of the indices over one dimension; `where = "i != j"`
   keeps the cases it allows); in each case equal indices are one symbol and a Kronecker delta of two
   different ones is 0.
2. **sums in a canonical form**, innermost first: the summand is expanded into terms; a term with a
   delta of the summation index and another index of the same range is that term at the other index
   (the sum of delta(k, a) f(k) over k is f(a)); factors free of the summation index leave the sum; a
   term free of it is multiplied by the range; what is left is one sum whose index is renamed by its
   nesting height and range, so that two sums that differ only in the name of their index are one
   object.
3. **the zero test**: every remaining sum and every array entry becomes an independent real symbol
   (two equal canonical sums the same one) and ``zero_test.is_zero`` decides the rest.  An identity
   in independent symbols holds whatever values they stand for, so it holds at every size.

Work is bounded by counts (operations, terms, cases), never by the clock.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from .errors import EvaluationError, ShapeError
from .index_notation import Translator, Undecided
from .model import Claim
from .shapes import ShapeEnv, check_claim_shapes
from .zero_test import is_zero

MAX_OPS = 3000       # count_ops of a summand before it is expanded
MAX_TERMS = 400      # terms of an expanded summand
MAX_CASES = 64       # cases of equal and different free indices
MAX_FIXED = 16       # entries of a side of a fixed size, each proved on its own


@dataclass(frozen=True)
class DimensionProof:
    proved: bool
    reason: str          # how it was proved, or why it was not decided


def prove_every_dimension(claim: Claim, env: ShapeEnv | None = None) -> DimensionProof:
    """Whether every step of the claim holds at every size of its dimensions (an equality only)."""
    if not claim.dims:
        return DimensionProof(False, "the claim has no dimensions")
    if claim.relation != "=":
        return DimensionProof(False, "only equalities are decided in index notation")
    try:
        check_claim_shapes(claim)   # every side of one shape: the entry (r, c) of each is compared
        t = Translator(claim, env)
        rows, cols = t.extent(claim.steps[0])
        constraints = _where_constraints(claim, t)
        cases = 0
        for r, c in itertools.product(_positions(t, rows, "r"), _positions(t, cols, "c")):
            for k in range(1, len(claim.steps)):
                difference = t.entry(claim.steps[k - 1], r, c) - t.entry(claim.steps[k], r, c)
                proved, tried = _zero_in_every_case(difference, t, constraints)
                cases += tried
                if not proved:
                    step = "" if len(claim.steps) == 2 else f" (step ({k - 1}) = ({k}))"
                    return DimensionProof(False, f"the entry in index notation was not reduced to 0{step}")
        return DimensionProof(True, f"one entry in index notation, with symbolic dimensions, reduces to 0 "
                                    f"({cases} case{'s' if cases != 1 else ''} of equal and different indices)")
    except Undecided as exc:
        return DimensionProof(False, str(exc))
    except (ShapeError, EvaluationError, TypeError, ValueError, NotImplementedError, RecursionError,
            ZeroDivisionError, sp.PolynomialError) as exc:
        return DimensionProof(False, f"not translated to index notation ({type(exc).__name__})")


def _positions(t: Translator, extent, stem: str) -> list:
    """The entry's row (or column): one symbolic index, or each position of a fixed size."""
    if not extent.is_Integer:
        return [t.fresh(extent, stem)]
    if extent > MAX_FIXED:
        raise Undecided(f"a fixed size of {extent} (limit {MAX_FIXED})")
    return [sp.Integer(p) for p in range(int(extent))]


def _where_constraints(claim: Claim, t: Translator) -> list[tuple[sp.Symbol, sp.Symbol, bool]]:
    """The conjuncts of `where` between index symbols, as (index, index, equal); the others are left out,
    so the proof is then of the claim without them (which implies it under them)."""
    if claim.where is None:
        return []
    out, todo = [], [claim.where]
    while todo:
        node = todo.pop()
        if node.op == "and":
            todo.extend(node.args)
        elif node.op in ("eq", "ne") and all(t._is_index(a) for a in node.args):
            a, b = (t.values[x.value] for x in node.args)
            out.append((a, b, node.op == "eq"))
    return out


def _zero_in_every_case(difference, t: Translator, constraints) -> tuple[bool, int]:
    free = sorted((s for s in difference.free_symbols if s in t.ranges), key=sp.default_sort_key)
    free += [s for a, b, _ in constraints for s in (a, b) if s not in free]
    tried = 0
    for mapping in _cases(free, t.ranges):
        if not all((mapping[a] == mapping[b]) == equal for a, b, equal in constraints):
            continue   # the claim says nothing in this case
        tried += 1
        reps = set(mapping.values())
        expr = canonical(difference.xreplace(mapping), t)
        # different representatives of one range are different indices; of two ranges they may be equal
        expr = expr.replace(lambda e: isinstance(e, sp.KroneckerDelta) and set(e.args) <= reps
                            and e.args[0] != e.args[1] and t.ranges[e.args[0]] == t.ranges[e.args[1]],
                            lambda e: sp.Integer(0))
        atoms: dict = {}
        flat = _atomize(_combined_sums(expr, atoms), atoms)
        if flat.has(sp.KroneckerDelta) or not is_zero(flat):
            return False, tried
    return tried > 0, tried   # no case allowed by `where`: nothing was proved


def _cases(free: list, ranges: dict):
    """Every assignment of the free indices to representatives by which of them are equal."""
    groups: dict = {}
    for s in free:
        groups.setdefault(sp.srepr(ranges[s]), []).append(s)
    per_group = [list(_partitions(g)) for g in groups.values()]
    total = 1
    for p in per_group:
        total *= len(p)
    if total > MAX_CASES:
        raise Undecided(f"{total} cases of equal and different indices (limit {MAX_CASES})")
    for combo in itertools.product(*per_group):
        mapping = {}
        for partition in combo:
            for block in partition:
                mapping.update({s: block[0] for s in block})
        yield mapping


def _partitions(items: list):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[first]] + partition
        for i in range(len(partition)):
            yield partition[:i] + [[first] + partition[i]] + partition[i + 1:]


# -- sums in canonical form ------------------------------------------------------------------

MAX_PERMUTATIONS = 120   # orders of a sum's indices tried for its canonical names


def canonical(e, t: Translator):
    """e with every sum (innermost first) in canonical form (see the module's docstring)."""
    if isinstance(e, sp.Sum):   # its indices renamed apart first: canonical names are reused across sums
        renaming = {}
        for k, low, high in e.limits:
            if low != 0:
                raise Undecided("a sum that does not start at 0")
            renaming[k] = sp.Dummy("k", integer=True)
            t.ranges[renaming[k]] = high + 1
        return _sum(canonical(e.function.xreplace(renaming), t), list(renaming.values()), t)
    if not e.args or isinstance(e, (sp.Indexed, sp.Symbol)):
        return e
    return e.func(*[canonical(a, t) for a in e.args])


def _sum(body, dummies: list, t: Translator):
    """The sum of body over the dummies, each term in canonical form."""
    if sp.count_ops(body) > MAX_OPS:
        raise Undecided(f"a summand of more than {MAX_OPS} operations")
    expanded = sp.expand(body, deep=False, power_exp=True, power_base=False, log=False, multinomial=True)
    terms = sp.Add.make_args(expanded)
    if len(terms) > MAX_TERMS:
        raise Undecided(f"a summand of more than {MAX_TERMS} terms")
    return sp.Add(*[_sum_term(list(sp.Mul.make_args(term)), list(dummies), t) for term in terms])


def _sum_term(factors: list, dummies: list, t: Translator):
    """One product summed over the dummies: deltas eliminated, sums that are factors merged, factors
    free of the dummies pulled out, independent groups of dummies summed apart."""
    for position, factor in enumerate(factors):
        delta = factor.base if isinstance(factor, sp.Pow) and factor.exp.is_integer and factor.exp.is_positive \
            else factor
        if not isinstance(delta, sp.KroneckerDelta):
            continue
        k = next((a for a in delta.args if a in dummies), None)
        if k is None:
            continue
        other = delta.args[1] if delta.args[0] == k else delta.args[0]
        if not _within(other, t.ranges[k], t) or k in other.free_symbols:
            raise Undecided(f"a delta between indices of different ranges ({delta})")
        rest = [f.xreplace({k: other}) for f in factors[:position] + factors[position + 1:]]
        rest = list(sp.Mul.make_args(canonical(sp.Mul(*rest), t)))
        return _sum_term(rest, [d for d in dummies if d != k], t)
    merged, dummies = [], list(dummies)
    for factor in factors:
        if isinstance(factor, sp.Sum) and factor.free_symbols & set(dummies):
            renaming = {}
            for k, _, high in factor.limits:   # fresh names: the merged sum's own are canonical
                renaming[k] = sp.Dummy("m", integer=True)
                t.ranges[renaming[k]] = high + 1
                dummies.append(renaming[k])
            merged.extend(sp.Mul.make_args(factor.function.xreplace(renaming)))
        else:
            merged.append(factor)
    outside = [f for f in merged if not f.free_symbols & set(dummies)]
    inside = [f for f in merged if f.free_symbols & set(dummies)]
    result = sp.Mul(*outside)
    used = set().union(*(f.free_symbols for f in inside)) if inside else set()
    for k in dummies:
        if k not in used:
            result *= t.ranges[k]          # the sum of a term free of k is the range times it
    for group, group_factors in _components([k for k in dummies if k in used], inside):
        result *= _named_sum(sp.Mul(*group_factors), group, t)
    return result


def _within(index, extent, t: Translator) -> bool:
    """Whether an index lies in 0 .. extent - 1 whatever the dimensions: one of the same range, or a fixed
    position below a fixed size (or 0, which every size has)."""
    if index in t.ranges:
        return sp.simplify(t.ranges[index] - extent) == 0
    if isinstance(index, sp.Integer):
        return index == 0 or (extent.is_Integer and 0 <= index < extent)
    return False


def _components(dummies: list, factors: list):
    """Groups of dummies linked by a factor that holds both, with their factors."""
    groups = [({k}, []) for k in dummies]
    for factor in factors:
        touching = [g for g in groups if g[0] & factor.free_symbols]
        keys, items = set(), [factor]
        for g in touching:
            keys |= g[0]
            items += g[1]
            groups.remove(g)
        groups.append((keys, items))
    return [([k for k in dummies if k in keys], items) for keys, items in groups]


def _named_sum(body, group: list, t: Translator):
    """Sum(body) over the group with canonical names: the order of the indices that gives the smallest
    printed body (any order names the same sum; trying them makes equal sums one object)."""
    height = _height(body) + 1
    orders = [list(p) for p in itertools.islice(itertools.permutations(group), MAX_PERMUTATIONS)]
    best = None
    for order in orders:
        names = {k: sp.Symbol(f"_s{height}_{j}", integer=True) for j, k in enumerate(order)}
        renamed = body.xreplace(names)
        key = (sp.srepr(renamed), [sp.srepr(t.ranges[k]) for k in order])
        if best is None or key < best[0]:
            best = (key, renamed, [(names[k], t.ranges[k]) for k in order])
    _, renamed, limits = best
    return sp.Sum(renamed, *[(name, 0, extent - 1) for name, extent in limits])


def _height(e) -> int:
    if isinstance(e, sp.Sum):
        return 1 + _height(e.function)
    return max((_height(a) for a in e.args), default=0)


def _combined_sums(expr, atoms: dict):
    """Terms c_i * Sum(f_i) over the same ranges whose summands cancel (sum of c_i f_i reduced to 0 by the
    zero test, the indices aligned) are dropped: expansion wrote one sum as several."""
    groups: dict = {}
    kept = []
    for term in sp.Add.make_args(expr):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum)]
        if len(sums) != 1:
            kept.append(term)
            continue
        key = tuple(sp.srepr(high) for _, _, high in sums[0].limits)
        groups.setdefault(key, []).append((term / sums[0], sums[0]))
    for members in groups.values():
        if len(members) > 1 and _cancel(members, atoms):
            continue
        kept.extend(c * s for c, s in members)
    return sp.Add(*kept)


def _cancel(members, atoms) -> bool:
    names = [k for k, _, _ in members[0][1].limits]
    orders = list(itertools.islice(itertools.permutations(range(len(names))), 24))
    body = sp.Integer(0)
    for coefficient, total in members:
        own = [k for k, _, _ in total.limits]
        for order in orders:   # the first order whose ranges line up (the key already matches them in turn)
            if all(sp.srepr(total.limits[i][2]) == sp.srepr(members[0][1].limits[j][2]) for j, i in enumerate(order)):
                body += coefficient * total.function.xreplace({own[i]: names[j] for j, i in enumerate(order)})
                break
    return is_zero(_atomize(body, atoms))


def _atomize(e, atoms: dict):
    """Sums and array entries as independent real symbols.  Two sums are one symbol when they are the
    same object, or when their summands (aligned index by index) are shown equal by the zero test; a sum
    of positive terms is a positive symbol (every range has at least one index)."""
    if isinstance(e, sp.Indexed):
        if e not in atoms:
            atoms[e] = sp.Symbol(f"A{len(atoms)}", real=True)
        return atoms[e]
    if isinstance(e, sp.Sum):
        if e not in atoms:
            atoms[e] = _same_sum(e, atoms) or sp.Symbol(f"A{len(atoms)}", real=True,
                                                         positive=e.function.is_positive or None)
        return atoms[e]
    if not e.args or isinstance(e, sp.Symbol):
        return e
    return e.func(*[_atomize(a, atoms) for a in e.args])


def _same_sum(e: sp.Sum, atoms: dict):
    """The symbol of an earlier sum over the same ranges whose summand equals e's, or None."""
    body = _atomize(e.function, atoms)
    names = [k for k, _, _ in e.limits]
    for other in [a for a in atoms if isinstance(a, sp.Sum) and len(a.limits) == len(e.limits)]:
        for order in itertools.islice(itertools.permutations(range(len(names))), 24):
            limits = [other.limits[i] for i in order]
            if any(sp.simplify(lo - l2) != 0 or sp.simplify(hi - h2) != 0
                   for (_, lo, hi), (_, l2, h2) in zip(limits, e.limits)):
                continue
            align = {k2: k for (k2, _, _), k in zip(limits, names)}
            if is_zero(body - _atomize(other.function.xreplace(align), atoms)):
                return atoms[other]
    return None
