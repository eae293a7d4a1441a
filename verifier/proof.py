"""Decide one residual (lhs - rhs) at one concrete shape: zero, certified nonzero, or unknown.

Zero is decided by the ladder of sound rewrites in ``zero_test``; each rung is
a proof when it A residual with kinks (Max, Abs, Heaviside...) is split into its
branches: every sign pattern of the kinks' switching expressions that the
`where` condition does not rule out must give an exact zero; for a pointwise
claim (no derivative), the points on the kinks are branches too.

Nonzero is certified at an exact rational point: the residual is evaluated with
sympy's evalf to 30 significant digits with ``strict=True``, which raises rather
than return digits it cannot guarantee.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from . import limits
from .zero_test import is_zero

KINK_TYPES = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)
DIGITS = 30


# -- kinks -------------------------------------------------------------------------

def switch_of(atom):
    """The expression whose sign selects the branch of a kink atom, or None if not a simple kink."""
    if isinstance(atom, (sp.Max, sp.Min)):
        return atom.args[0] - atom.args[1] if len(atom.args) == 2 else None
    return atom.args[0]


def canonical(expr):
    """A switch and its negation are one switch: return (key expression, sign)."""
    e = sp.expand(expr)
    neg = sp.expand(-expr)
    return (e, 1) if sp.default_sort_key(e) <= sp.default_sort_key(neg) else (neg, -1)


@dataclass(frozen=True)
class Kinks:
    switches: tuple  # canonical switching expressions

    @classmethod
    def find(cls, *exprs) -> "Kinks | None":
        """The innermost kinks of the expressions (those whose switch has no kink inside); None when
        there are too many or one is not a simple kink.  Outer kinks are handled once these are resolved."""
        switches: list = []
        for expr in exprs:
            for atom in expr.atoms(*KINK_TYPES):
                s = switch_of(atom)
                if s is None:
                    return None
                if s.has(*KINK_TYPES):
                    continue
                key = canonical(s)[0]
                if key not in switches:
                    switches.append(key)
        if len(switches) > limits.MAX_KINK_SWITCHES:
            return None
        return cls(tuple(switches))

    def patterns(self, boundary: bool = False):
        """Sign patterns of the switches; with `boundary`, also 0 (the point on the kink itself)."""
        return itertools.product((1, -1, 0) if boundary else (1, -1), repeat=len(self.switches))

    def sign(self, expr, pattern) -> int:
        key, flip = canonical(expr)
        return pattern[self.switches.index(key)] * flip

    def on_boundary(self, pattern) -> dict | None:
        """A substitution that puts every switch whose pattern sign is 0 exactly on its kink (solving
        each for a symbol it is linear in), {} when there is none, None when that cannot be done."""
        subs: dict = {}
        for switch, s in zip(self.switches, pattern):
            if s:
                continue
            switch = sp.expand(switch.xreplace(subs))
            if switch == 0:
                continue
            symbol = next((x for x in sorted(switch.free_symbols, key=sp.default_sort_key)
                           if switch.is_polynomial(x) and sp.degree(switch, x) == 1
                           and not x.is_positive), None)
            if symbol is None:
                return None
            value = sp.solve(switch, symbol)[0]
            subs = {k: v.xreplace({symbol: value}) for k, v in subs.items()}
            subs[symbol] = value
        return subs

    def resolve(self, expr, pattern):
        """expr on the branch where each switch has the pattern's sign (0: on the kink itself)."""
        def branch(atom):
            switch = switch_of(atom)
            if switch is None or canonical(switch)[0] not in self.switches:
                return atom  # an outer kink: resolved at the next layer
            s = self.sign(switch, pattern)
            if isinstance(atom, sp.Max):
                return atom.args[0] if s >= 0 else atom.args[1]
            if isinstance(atom, sp.Min):
                return atom.args[1] if s > 0 else atom.args[0]
            if isinstance(atom, sp.Abs):
                return atom.args[0] * s
            if isinstance(atom, sp.sign):
                return sp.Integer(s)
            if s == 0:  # Heaviside(0, H0)
                return atom.args[1] if len(atom.args) > 1 else sp.Rational(1, 2)
            return sp.Integer(1 if s > 0 else 0)
        if 0 not in pattern:
            expr = expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
        return expr.replace(lambda e: isinstance(e, KINK_TYPES), branch)

    def rules_out(self, where, pattern) -> bool:
        """True when the `where` condition cannot hold on this branch (it requires the other side of a kink)."""
        if where is None or where is sp.true:
            return False
        values = {}
        for rel in where.atoms(sp.Rel):
            if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan, sp.LessThan)):
                margin = rel.lhs - rel.rhs
                key = canonical(margin)[0]
                if key in self.switches:
                    s = self.sign(margin, pattern)
                    if isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
                        s = -s
                    strict = isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan))
                    values[rel] = sp.true if (s > 0 or (s == 0 and not strict)) else sp.false
        return where.xreplace(values) is sp.false


@dataclass(frozen=True)
class Outcome:
    """The verdict on one residual: proved or not, how, and the kink branch where it failed."""
    proved: bool
    how: str
    branch: tuple | None = None   # (Kinks, pattern) of the first branch not reduced to 0

    def on_branch(self, subs) -> bool:
        """Whether a point (a substitution) lies on the failing branch."""
        if self.branch is None:
            return True
        kinks, pattern = self.branch
        return all(certified_sign(s.xreplace(subs)) == p for s, p in zip(kinks.switches, pattern))


MAX_KINK_LAYERS = 3     # kinks nested inside kinks (ind(max(0, u) > 0)) are resolved layer by layer
MAX_BOUNDARY_PATTERNS = 243  # 3^5: sign patterns tried when the points on the kinks count too


def prove_zero(residual, where=None, *, pointwise: bool = False, layer: int = 0) -> Outcome:
    """Exact zero test; kinked residuals are proved branch by branch, innermost kinks first.
    Every sign pattern that `where` does not rule out must reduce to 0 (patterns that are in fact
    infeasible only make the proof harder, never wrong).  A `pointwise` claim (no derivative: it
    must hold at every point, not almost everywhere) must also hold on the kinks themselves."""
    kinks = Kinks.find(residual)
    if is_zero(residual, thorough=not (kinks and kinks.switches)):
        return Outcome(True, "simplifies to 0")
    if not kinks or not kinks.switches or layer >= MAX_KINK_LAYERS:
        return Outcome(False, "not reduced to 0")
    if pointwise and 3 ** len(kinks.switches) > MAX_BOUNDARY_PATTERNS:
        return Outcome(False, "too many kinks to check the points on them")
    tried = 0
    for pattern in kinks.patterns(boundary=pointwise):
        if kinks.rules_out(where, pattern):
            continue
        on_kink = kinks.on_boundary(pattern)
        if on_kink is None:
            return Outcome(False, "a kink's points could not be solved for exactly", (kinks, pattern))
        tried += 1
        branch = kinks.resolve(residual, pattern).xreplace(on_kink) if on_kink else kinks.resolve(residual, pattern)
        inner = prove_zero(branch, where, pointwise=pointwise, layer=layer + 1)
        if not inner.proved:
            return Outcome(False, "not reduced to 0 on one branch of its kinks", inner.branch or (kinks, pattern))
    kind = "branches and kink points" if pointwise else "branches"
    return Outcome(True, f"0 on each of {tried} {kind} of {len(kinks.switches)} kink(s)")


# -- certified evaluation ----------------------------------------------------------

def certified_value(expr) -> sp.Float | None:
    """expr (with no free symbols) to DIGITS guaranteed digits, or None when that cannot be guaranteed."""
    try:
        value = sp.N(expr, DIGITS, strict=True)
    except (sp.core.evalf.PrecisionExhausted, TypeError, ValueError, ZeroDivisionError):
        return None
    if value.free_symbols or not value.is_real:
        return None
    return value


def certified_sign(expr) -> int | None:
    """The sign of a closed-form number, when it is certified (0 only when exact)."""
    if expr == 0:
        return 0
    value = certified_value(expr)
    if value is None or value == 0:
        return None
    return 1 if value > 0 else -1
