"""Certify a difference at one point: interval arithmetic at high precision.

A float disagreement, or sympy's counterexample, counts only when this module
certifies it: both sides are evaluated at the exact point (floats are dyadic
rationals, so nothing is rounded on the way in) with mpmath's interval
arithmetic and exact derivatives (``intervals``), at 512 bits (at 64, then
128 bits for a projection at a large shape, where one pass costs seconds).
Each entry's interval of lhs - rhs either excludes the allowed band
(certified difference), lies inside it or shrinks around it at the last
precision (no difference at this point: float noise), or stays undecided (a
kink, a condition or the domain straddles the point).  The verdict never blames an engine without a
certified difference.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import iv

from .errors import EvaluationError
from .intervals import INTERVAL, IV, Undecided, midpoint_text, raw, value_of
from .numeric import ArrayEvaluator
from .plan import Plan, stated_band

PRECISIONS = (512,)                # bits, about 154 digits: most certifications confirm float noise, which
                                   # only the last precision may declare, so lower ones would be wasted work
LARGE_PRECISIONS = (64, 128)       # projections at large shapes, where one pass costs seconds
AGREE_BITS = 40                    # an interval of lhs - rhs narrower than 2^-(prec - 40) x scale around 0 agrees


@dataclass(frozen=True)
class Certificate:
    status: str               # "differs", "agrees" or "undecided"
    entries: tuple = ()       # (entry k, lhs text, rhs text, relative difference text), worst first
    reason: str = ""


def certify(plan: Plan, step: int, values: dict, function, projections=None) -> Certificate:
    """Decide lhs - rhs of `step` at the point `values` (floats, Fractions or arrays of them)."""
    from .numeric_check import side_values  # noqa: PLC0415 (numeric_check calls this module)
    claim = plan.claim
    a, b = claim.steps[step - 1], claim.steps[step]
    reason = "undecided at every precision"
    ladder = PRECISIONS if projections is None or len(projections) and _small(projections) else LARGE_PRECISIONS
    for bits in ladder:
        with _precision(bits):
            point = {k: _interval(v) for k, v in values.items() if k != "pi"}
            point["pi"] = IV(iv.pi)
            directions = None if projections is None else [(_interval(u), _interval(v)) for u, v in projections]
            ev = ArrayEvaluator(claim, point, INTERVAL, function)
            try:
                if claim.where is not None and not ev.truth(claim.where):
                    return Certificate("undecided", reason="the point is not certainly inside `where`")
                left = side_values(ev, a, plan.env, directions)
                right = side_values(ev, b, plan.env, directions)
            except Undecided as exc:
                reason = str(exc)
                continue
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, EvaluationError,
                    mpmath.libmp.libhyper.NoConvergence) as exc:
                reason = f"outside the domain ({type(exc).__name__})"
                continue
            outcome = _judge(plan, a, b, left, right, bits, projections is not None, final=bits == ladder[-1])
            if outcome is not None:
                return outcome
    return Certificate("undecided", reason=reason)


def _small(projections) -> bool:
    return all(u.size * v.size <= 256 for u, v in projections)


@contextmanager
def _precision(bits: int):
    saved = iv.prec
    iv.prec = bits
    try:
        yield
    finally:
        iv.prec = saved


def _interval(v):
    if isinstance(v, np.ndarray):
        return np.array([IV(raw(x)) for x in np.ravel(v)], dtype=object).reshape(v.shape)
    return IV(raw(v))


def _judge(plan, a, b, left, right, bits, projected, *, final: bool) -> Certificate | None:
    relation = plan.claim.relation
    n = max(len(left), len(right))
    lefts = list(left) * (n // len(left))
    rights = list(right) * (n // len(right))
    bad, open_entries = [], 0
    scale = max([_magnitude(x) for x in lefts + rights] + [mpmath.mpf(1)])
    for k, (x, y) in enumerate(zip(lefts, rights)):
        d = raw(value_of(x) - value_of(y))
        low, high = (Fraction(0), Fraction(0)) if projected else stated_band(a, b, k)
        verdict = _decide(d, relation, _iv(low), _iv(high), scale, bits, final)
        if verdict == "differs":
            rel = abs(mpmath.mpf(d.mid)) / max(_magnitude(x), _magnitude(y), mpmath.mpf(10) ** -300)
            digits = _digits(rel)
            bad.append((k, midpoint_text(x, digits), midpoint_text(y, digits), mpmath.nstr(rel, 3)))
        elif verdict == "open":
            open_entries += 1
    if bad:
        bad.sort(key=lambda e: -float(e[3]))
        return Certificate("differs", tuple(bad))
    if open_entries:
        return None
    return Certificate("agrees")


def _decide(d, relation, low, high, scale, bits, final) -> str:
    """'differs' (certified violation), 'agrees' (certified within the band, or, at the last precision
    only, an interval narrower than 2^-(bits - 40) x scale around it), 'open'."""
    narrow = mpmath.mpf(2) ** (AGREE_BITS - bits) * scale
    if relation == "=":
        if d.a > high.b or d.b < low.a:
            return "differs"
        inside = d.a >= low.a and d.b <= high.b
        return "agrees" if inside or (final and mpmath.mpf(d.delta) <= narrow) else "open"
    if relation in ("<", "<="):
        violated = d.a >= 0 if relation == "<" else d.a > 0
        holds = d.b < 0 if relation == "<" else d.b <= 0
    else:
        violated = d.b <= 0 if relation == ">" else d.b < 0
        holds = d.a > 0 if relation == ">" else d.a >= 0
    return "differs" if violated else "agrees" if holds else "open"


def _digits(relative) -> int:
    """Digits that show two sides apart: 12, or enough for a difference below float resolution
    (1 - sigmoid(50) needs 25), at most 80."""
    if relative <= 0 or relative >= mpmath.mpf(10) ** -9:
        return 12
    return min(80, int(-mpmath.log10(relative)) + 4)


def _iv(value: Fraction):
    return iv.mpf(value.numerator) / value.denominator


def _magnitude(x):
    v = raw(value_of(x))
    return max(abs(mpmath.mpf(v.a)), abs(mpmath.mpf(v.b)))
