"""Counterexamples for claims about every function: free values, then a polynomial through them.

A declared `f = "function"` is any differentiable function, so at one point of a claim the values
f(a), f'(a), f''(a), ... at each argument a are unknowns that nothing ties together (different
arguments, different orders).  The six stand-ins are a few fixed choices of those unknowns, all small:
`Abs(f(0)) < 3` held for every one of them.  Here the unknowns are replaced by numbers from a ladder of
magnitudes (ties first: g(1) = h(1)), the claim is evaluated exactly, and when a choice violates it, a
polynomial with exactly those values and derivatives (Hermite interpolation, rational coefficients) is
built for each function.  That polynomial is a stand-in like the others (`poly(c0,c1,...)`), so the
counterexample is checked again with it, exactly, and certified by the same paths as any other.
"""

from __future__ import annotations

import random

import sympy as sp

LADDER = (0, 1, -1, 2, -2, sp.Rational(1, 2), 3, -3, 10, -10, 100, -100, 10**4, -10**4)
TRIES = 16          # value choices per point (a count, not a clock)
MAX_UNKNOWNS = 12   # values and derivatives at one point beyond which no polynomial is built


def generic_applications(exprs) -> list:
    """Every application f(a), fprime(a), ... of a declared function in the expressions."""
    found = set()
    for e in exprs:
        found |= {a for a in e.atoms(sp.Function) if hasattr(type(a), "generic_order")}
    return sorted(found, key=sp.default_sort_key)


def jet_choices(claim, entries, subs: dict, seed: str):
    """Stand-in choices ("f=poly(...); g=poly(...)") whose values at this point are drawn from LADDER,
    TRIES of them, ties first; nothing when an argument is not a rational number at the point (f(f(x)),
    f(exp(x))) or there are too many unknowns."""
    applications = generic_applications([e.xreplace(subs) for e in entries])
    if not applications or len(applications) > MAX_UNKNOWNS:
        return
    if any(not a.args[0].is_Rational for a in applications):
        return
    names = [s.name for s in claim.symbols if s.kind == "function"]
    rng = random.Random(seed)
    for attempt in range(TRIES):
        if attempt < 3:
            values = [LADDER[attempt]] * len(applications)          # every unknown equal: ties
        else:
            values = [LADDER[rng.randrange(len(LADDER))] for _ in applications]
        conditions: dict[str, dict] = {}
        for application, value in zip(applications, values):
            conditions.setdefault(type(application).generic_base, {})[
                (application.args[0], type(application).generic_order)] = sp.Rational(value)
        yield "; ".join(f"{n}={_label(conditions.get(n, {}))}" for n in names)


def _label(conditions: dict) -> str:
    """`poly(c0,c1,...)`: the polynomial with the given values p^(k)(a) (every lower order at a node is
    made 0 when not given, so that the confluent Vandermonde system is square and invertible)."""
    if not conditions:
        return "poly(0)"
    top: dict = {}
    for (node, order) in conditions:
        top[node] = max(top.get(node, 0), order)
    rows = [(node, k) for node in sorted(top, key=sp.default_sort_key) for k in range(top[node] + 1)]
    x = sp.Symbol("x")
    n = len(rows)
    basis = [x**j for j in range(n)]
    matrix = sp.Matrix(n, n, lambda i, j: sp.diff(basis[j], x, rows[i][1]).subs(x, rows[i][0]))
    target = sp.Matrix([conditions.get(row, 0) for row in rows])
    coefficients = matrix.LUsolve(target)
    return "poly(" + ",".join(str(sp.Rational(c)) for c in coefficients) + ")"


__all__ = ["jet_choices", "generic_applications"]
