"""Concrete stand-ins for a claim's generic functions (`f = "function"`).

A claim about every differentiable f is refuted by one f.  The stand-ins are
chosen so that no common special structure survives them all: odd ones (tanh,
sin, an odd cubic), a convex monotone one (softplus), and two with seeded
random rational coefficients that are neither odd, nor even, nor monotone (a
full cubic, and a shifted sine plus a parabola).  A stand-in is named by a
label that carries its coefficients (``poly(1/3,-2/5,3/4,-1/6)``), so the two
back ends rebuild exactly the same function from the label alone.
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import lru_cache

import sympy as sp

FIXED = {
    "tanh": sp.tanh,
    "sin": sp.sin,
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "cubic": lambda x: x**3 / 3 - x / 2,
}
FAMILIES = {
    # c0 + c1 x + c2 x^2 + c3 x^3: no symmetry, turning points for the drawn signs (any number of
    # coefficients: the polynomials that `jets` builds through chosen values and derivatives)
    "poly": lambda c, x: sum(ck * x**k for k, ck in enumerate(c)),
    # a sin(b x + c) + d x^2: no symmetry, not monotone, not polynomial
    "wave": lambda c, x: c[0] * sp.sin(c[1] * x + c[2]) + c[3] * x**2,
}


def standin_labels(seed: int, key: str) -> list[str]:
    """The stand-ins, fixed ones first, then the seeded families (coefficients from seed and claim key)."""
    rng = random.Random(f"{seed}|{key}|standins")

    def coefficient(low, high):
        value = Fraction(rng.randint(low * 8, high * 8), 8)
        return value if value else Fraction(1, 8)

    poly = [coefficient(-1, 1), coefficient(1, 2) * rng.choice((1, -1)), coefficient(1, 2), coefficient(-1, -1) / 3]
    wave = [coefficient(1, 2), coefficient(1, 3), coefficient(1, 3), coefficient(1, 2) / 4]
    return list(FIXED) + [_label("poly", poly), _label("wave", wave)]


def _label(family: str, coefficients) -> str:
    return f"{family}({','.join(str(c) for c in coefficients)})"


def standin(label: str):
    """The sympy function (x -> expression) that a stand-in label names."""
    if label in FIXED:
        return FIXED[label]
    family, _, rest = label.partition("(")
    coefficients = [sp.Rational(Fraction(t)) for t in rest.rstrip(")").split(",")]
    return lambda x: FAMILIES[family](coefficients, x)


def function_choices(claim, labels: list[str]) -> list:
    """Assignments of stand-ins to the claim's generic functions: "f=tanh", or "g=tanh, h=sin"
    (rotated, so that each generic function gets a different one each time), or [None]."""
    names = [s.name for s in claim.symbols if s.kind == "function"]
    if not names:
        return [None]
    return ["; ".join(f"{n}={labels[(c + k) % len(labels)]}" for k, n in enumerate(names))
            for c in range(len(labels))]


def concrete_for(choice: str, name: str) -> str:
    """The stand-in label that a choice ("f=tanh; g=sin", or a bare label) gives to `name`."""
    if "=" not in choice:
        return choice
    return dict(part.split("=", 1) for part in choice.split("; "))[name]


def instantiate_functions(expr, choice: str):
    """Replace every generic function (and its derivatives) in a sympy expression by its stand-in."""
    def concrete(e):
        x, derivative = _derivative(concrete_for(choice, type(e).generic_base), type(e).generic_order)
        return derivative.xreplace({x: e.args[0]})
    return expr.replace(lambda e: hasattr(type(e), "generic_order"), concrete)


_VARIABLE = sp.Dummy("x", real=True)


@lru_cache(maxsize=256)
def _derivative(label: str, order: int):
    """(x, the order-th derivative of the stand-in at x), computed once per label and order."""
    return _VARIABLE, sp.diff(standin(label)(_VARIABLE), _VARIABLE, order)
