"""Decide one residual (lhs - rhs) at one concrete shape: zero, certified nonzero, or unknown.

Zero is decided by a ladder of exact rewrites (expand, cancel, exponentials
turned into positive symbols, then simplify); each rung is a proof when it
reaches 0.  A residual with kinks (Max, Abs, Heaviside...) is split into its
branches: every sign pattern of the kinks' switching expressions that the
`where` condition does not rule out must give an exact zero.

Nonzero is certified at an exact rational point: the residual is evaluated with
sympy's evalf to 30 significant digits with ``strict=True``, which raises rather
than return digits it cannot guarantee.  Generic functions are instantiated with
concrete ones (a claim for every f is refuted by one f).
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import sympy as sp

from . import limits

KINK_TYPES = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)
DIGITS = 30


# -- exact zero test -------------------------------------------------------------

SMALL = 300  # count_ops below which the expanding rungs are affordable


class OutOfTime(Exception):
    """A rung of the zero test used up its time; the entry stays unproved."""


@contextmanager
def time_limit(seconds: float | None):
    """Raise OutOfTime inside the block after `seconds` (main thread only; a no-op elsewhere)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise OutOfTime()

    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # an enclosing limit keeps running after this one
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(min(seconds, outer) if outer else seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 0.001))


def is_zero(expr, budget: float | None = None, *, thorough: bool = True) -> bool:
    """True only when an exact rewrite reduces expr to 0.  Large expressions skip the rungs that
    expand (they blow up nested exponentials); every rung shares the time budget.  `thorough=False`
    keeps only the two rungs whose running time is predictable (expand, opaque exponentials)."""
    if expr == 0:
        return True
    small = sp.count_ops(expr) < SMALL
    if not thorough:
        rungs = (_expanded, _opaque_exponentials) if small else (_opaque_exponentials,)
    elif small:
        rungs = (_expanded, _cancelled, _exponentials_as_symbols, _opaque_exponentials, sp.simplify)
    else:
        rungs = (_opaque_exponentials,)
    deadline = None if budget is None else time.monotonic() + budget
    for rung in rungs:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False
        try:
            with time_limit(left):
                if rung(expr) == 0:
                    return True
        except OutOfTime:
            if deadline is None:
                raise  # an enclosing caller's limit, not ours
            continue
        except (TypeError, ValueError, NotImplementedError, sp.PolynomialError, RecursionError):
            continue
    return False


def _opaque_exponentials(expr):
    """Every exponential becomes a positive symbol, innermost first, e^(ka) the k-th power of e^a.
    A rational function of independent symbols that cancels to 0 stays 0 whatever they stand for,
    so reaching 0 is a proof; nested softmax-of-sigmoid expressions stay small this way."""
    table: dict = {}

    def to_symbol(e):
        coeff, rest = sp.expand(e.args[0]).as_coeff_Mul()   # e^(2t) = (e^t)^2, e^(-t) = (e^t)^-1
        key, sign = canonical(rest)
        if key not in table:
            table[key] = sp.Dummy("E", positive=True)
        return table[key] ** (coeff * sign)

    return sp.cancel(sp.together(expr.replace(lambda e: isinstance(e, sp.exp), to_symbol)))


def _expanded(expr):
    return sp.expand(expr)


def _cancelled(expr):
    return sp.cancel(sp.together(sp.expand(expr)))


def _exponentials_as_symbols(expr):
    """Write e^(k x) as E_x^k with E_x > 0, so that softmax-like sums become rational functions."""
    expr = sp.expand(expr.rewrite(sp.exp), power_exp=True)
    table: dict = {}

    def to_power(arg):
        coeff, rest = arg.as_coeff_Mul()
        if rest not in table:
            table[rest] = sp.Dummy("E", positive=True)
        return table[rest] ** coeff

    rewritten = expr.replace(lambda e: isinstance(e, sp.exp), lambda e: to_power(e.args[0]))
    return sp.cancel(sp.together(rewritten))


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

    def patterns(self):
        return itertools.product((1, -1), repeat=len(self.switches))

    def sign(self, expr, pattern) -> int:
        key, flip = canonical(expr)
        return pattern[self.switches.index(key)] * flip

    def resolve(self, expr, pattern):
        """expr on the branch where each switch has the pattern's sign (kinks themselves excluded)."""
        def branch(atom):
            switch = switch_of(atom)
            if switch is None or canonical(switch)[0] not in self.switches:
                return atom  # an outer kink: resolved at the next layer
            s = self.sign(switch, pattern)
            if isinstance(atom, sp.Max):
                return atom.args[0] if s > 0 else atom.args[1]
            if isinstance(atom, sp.Min):
                return atom.args[1] if s > 0 else atom.args[0]
            if isinstance(atom, sp.Abs):
                return atom.args[0] * s
            if isinstance(atom, sp.sign):
                return sp.Integer(s)
            return sp.Integer(1 if s > 0 else 0)  # Heaviside
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
                    positive = self.sign(margin, pattern) > 0
                    wants_positive = isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan))
                    values[rel] = sp.true if positive == wants_positive else sp.false
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


MAX_KINK_LAYERS = 3  # kinks nested inside kinks (ind(max(0, u) > 0)) are resolved layer by layer


def prove_zero(residual, where=None, layer: int = 0, budget: float | None = None) -> Outcome:
    """Exact zero test; kinked residuals are proved branch by branch, innermost kinks first.
    Every sign pattern that `where` does not rule out must reduce to 0 (patterns that are in fact
    infeasible only make the proof harder, never wrong)."""
    if is_zero(residual, budget):
        return Outcome(True, "simplifies to 0")
    kinks = Kinks.find(residual)
    if not kinks or not kinks.switches or layer >= MAX_KINK_LAYERS:
        return Outcome(False, "not reduced to 0")
    tried = 0
    for pattern in kinks.patterns():
        if kinks.rules_out(where, pattern):
            continue
        tried += 1
        inner = prove_zero(kinks.resolve(residual, pattern), where, layer + 1, budget)
        if not inner.proved:
            return Outcome(False, "not reduced to 0 on one branch of its kinks", inner.branch or (kinks, pattern))
    return Outcome(True, f"0 on each of {tried} branches of {len(kinks.switches)} kink(s)")


# -- certified evaluation ----------------------------------------------------------

CONCRETE_FUNCTIONS = {
    "tanh": sp.tanh,
    "sin": sp.sin,
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "cubic": lambda x: x**3 / 3 - x / 2,
}


def function_choices(claim) -> list:
    """Labels of the concrete stand-ins for a claim's generic functions: "f=tanh", or "g=tanh, h=sin"
    (rotated, so that each generic function gets a different one), or [None] when there are none."""
    names = [s.name for s in claim.symbols if s.kind == "function"]
    concrete = list(CONCRETE_FUNCTIONS)
    if not names:
        return [None]
    return [", ".join(f"{n}={concrete[(c + k) % len(concrete)]}" for k, n in enumerate(names))
            for c in range(len(concrete))]


def concrete_for(label: str, name: str) -> str:
    """The concrete function that a choice label ("f=tanh", or a bare "tanh") gives to `name`."""
    if "=" not in label:
        return label
    return dict(part.split("=") for part in label.split(", "))[name]


def instantiate_functions(expr, choice: str):
    """Replace every generic function (and its derivatives) by its concrete stand-in."""
    def concrete(e):
        x = sp.Dummy("x", real=True)
        fn = CONCRETE_FUNCTIONS[concrete_for(choice, type(e).generic_base)]
        return sp.diff(fn(x), x, type(e).generic_order).xreplace({x: e.args[0]})
    return expr.replace(lambda e: hasattr(type(e), "generic_order"), concrete)


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
