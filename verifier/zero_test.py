"""Exact zero test of one residual: a ladder of sound rewrites, cheapest first.

Each rung rewrites the residual into a form where "is it 0?" is a syntactic
question, and every rewrite states the assumption it relies on:

- ``polynomial``: every atom that is not a rational function of the symbols
  (f(z), e^a, log u, sqrt u, ...) becomes an independent symbol keyed by its
  expanded argument, and the result is reduced with sparse polynomial
  arithmetic, numerators and denominators kept apart (no gcds).  A polynomial
  identity in independent symbols holds whatever values they stand for, so a
  zero numerator is a proof with no assumption at all.
- ``exponentials``: e^(k a) with a *real* exponent becomes E_a^k with E_a a
  positive symbol (true because the exponent is real), hyperbolic functions of
  real arguments are written through such exponentials; then cancel.  Trig
  functions are left alone: their exponential form has imaginary exponents.
- ``simplify``: sympy's simplify, only on small residuals.

There is no clock here: which rungs run is decided by the residual's size
(``count_ops``), so the same residual gets the same answer on any machine.
``rewrites`` exposes each rung with the substitution that undoes it, for the
property test that every rung preserves value.
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp
from mpmath import iv
from sympy.polys.rings import ring

SIMPLIFY_OPS = 120   # count_ops up to which sympy's simplify (unbounded cost) is tried
CANCEL_OPS = 600     # count_ops up to which the exponential rung's cancel is tried
HYPERBOLIC = (sp.tanh, sp.sinh, sp.cosh, sp.coth, sp.sech, sp.csch)


def is_zero(expr, *, thorough: bool = True) -> bool:
    """True only when a sound exact rewrite reduces expr to 0.  `thorough=False` skips sympy's simplify
    (a kinked residual is tried cheaply first, then branch by branch)."""
    if expr == 0:
        return True
    if certainly_nonzero(expr):
        return False
    ops = sp.count_ops(expr)
    for rung, limit in ((_polynomial_zero, None), (_exponential_zero, CANCEL_OPS), (_simplify_zero, SIMPLIFY_OPS)):
        if (limit is not None and ops > limit) or (rung is _simplify_zero and not thorough):
            continue
        try:
            if rung(expr):
                return True
        except Exception:  # noqa: BLE001 (a rung that fails inside sympy proves nothing; the next one tries)
            continue
    return False


# -- a quick certified look before the rungs --------------------------------------------

def certainly_nonzero(expr) -> bool:
    """True when interval arithmetic shows expr nonzero at a seeded rational point (generic functions
    replaced by a concrete one): then no rewrite can reduce it to 0 and the rungs are skipped.  Points
    on a kink are not used (a residual may be nonzero exactly there and zero everywhere else)."""
    from .proof import KINK_TYPES, switch_of  # noqa: PLC0415 (proof imports this module)
    from .standins import instantiate_functions  # noqa: PLC0415
    expr = instantiate_functions(expr, "tanh")
    if expr.has(sp.DiracDelta):
        return False
    rng = random.Random(20240611)
    point = {}
    for s in sorted(expr.free_symbols, key=sp.default_sort_key):
        value = Fraction(rng.randint(1, 10**6), 999983) * (1 if s.is_positive or rng.random() < .5 else -1)
        point[s] = iv.mpf(value.numerator) / value.denominator
    saved = iv.prec
    iv.prec = 80
    try:
        for atom in expr.atoms(*KINK_TYPES):
            switch = switch_of(atom)
            if switch is None or _straddles(interval_value(switch, point, {})):
                return False
        return not _straddles(interval_value(expr, point, {}))
    except (_Unsupported, ZeroDivisionError, ValueError, TypeError, OverflowError, RecursionError):
        return False
    finally:
        iv.prec = saved


class _Unsupported(Exception):
    pass


def _straddles(v) -> bool:
    return bool(v.a <= 0 <= v.b)


_IV_FUNCTIONS = {sp.exp: lambda v: iv.exp(v), sp.log: lambda v: iv.log(v), sp.sin: lambda v: iv.sin(v),
                 sp.cos: lambda v: iv.cos(v), sp.tan: lambda v: iv.tan(v), sp.tanh: lambda v: 1 - 2 / (iv.exp(2 * v) + 1),
                 sp.Abs: lambda v: abs(v)}


def interval_value(e, point: dict, memo: dict):
    """A rigorous enclosure of a closed sympy expression at an interval point (mpmath iv)."""
    if e in memo:
        return memo[e]
    if e.is_Rational:
        out = iv.mpf(e.p) / e.q
    elif e.is_Symbol:
        out = point[e]
    elif e is sp.pi:
        out = iv.pi
    elif e.is_Add or e.is_Mul:
        parts = [interval_value(a, point, memo) for a in e.args]
        out = parts[0]
        for p in parts[1:]:
            out = out + p if e.is_Add else out * p
    elif e.is_Pow:
        base = interval_value(e.base, point, memo)
        if e.exp.is_Integer:
            n = int(e.exp)
            out = base ** n if n >= 0 else 1 / base ** (-n)
        else:
            out = iv.exp(interval_value(e.exp, point, memo) * iv.log(base))
    elif type(e) in _IV_FUNCTIONS and len(e.args) == 1:
        out = _IV_FUNCTIONS[type(e)](interval_value(e.args[0], point, memo))
    else:
        raise _Unsupported(type(e).__name__)
    memo[e] = out
    return out


# -- rung 1: a polynomial identity in opaque atoms --------------------------------------

def _polynomial_zero(expr) -> bool:
    num, _, _ = to_fraction(expr)
    return num == 0


def to_fraction(expr):
    """(numerator, denominator, atoms): sparse polynomials over QQ in generators that stand for the
    symbols and opaque atoms of expr, and the map from each generator's symbol back to its atom."""
    atoms: dict = {}
    _collect(expr, atoms)
    names = [f"g{k}" for k in range(len(atoms))] or ["g0"]
    R, *gens = ring(",".join(names), sp.QQ)
    table = {key: gens[k] for k, key in enumerate(atoms)}
    num, den = _fraction(expr, R, table)
    return num, den, {R.symbols[k]: key for k, key in enumerate(atoms)}


def _atom_key(e):
    """The opaque atom an expression stands for, with its arguments expanded (so f(a + b) and
    f(b + a) are one atom), or None for + * and integer powers, which stay arithmetic."""
    if e.is_Symbol:
        return e
    if e.is_Pow and e.exp.is_Integer:
        return None
    if e.is_Pow:
        return sp.Pow(sp.expand(e.base), e.exp, evaluate=False)
    if e.is_Function or isinstance(e, sp.Function):
        return e.func(*[sp.expand(a) for a in e.args])
    return e


def _collect(e, atoms):
    if e.is_Rational:
        return
    if e.is_Add or e.is_Mul or (e.is_Pow and e.exp.is_Integer):
        for a in (e.args if not e.is_Pow else (e.base,)):
            _collect(a, atoms)
        return
    if isinstance(e, sp.exp):
        for key, _ in _exponential_factors(e):
            atoms.setdefault(key, None)
        return
    key = _atom_key(e)
    if key not in atoms:
        atoms[key] = None


def _exponential_factors(e):
    """e^(c1 m1 + c2 m2 + ...) as [(key, power)]: one atom e^(m/q) per monomial m and denominator q of
    its coefficient, raised to the numerator (e^(a + b) = e^a e^b and e^(-2a) = (e^a)^-2 hold for any
    exponent, so no assumption is needed)."""
    factors = []
    for term in sp.Add.make_args(sp.expand(e.args[0])):
        coeff, monomial = term.as_coeff_Mul()
        if not coeff.is_Rational:
            return [(_atom_key(e), 1)]
        factors.append((sp.exp(monomial / coeff.q, evaluate=False), int(coeff.p)))
    return factors


def _fraction(e, R, table):
    """(numerator, denominator) with the denominator kept as {factor: power}, so that sums of
    fractions over the same factors (softmax's e^a / (e^a + e^b + ...)) do not multiply out."""
    num, den = _factored(e, R, table)
    out = R.one
    for factor, power in den.items():
        out = out * factor ** power
    return num, out


def _factored(e, R, table):
    if e.is_Rational:
        return R(sp.QQ(e.p, e.q)), {}
    if e.is_Add:
        terms = [_factored(a, R, table) for a in e.args]
        common: dict = {}
        for _, den in terms:
            for factor, power in den.items():
                common[factor] = max(common.get(factor, 0), power)
        num = R.zero
        for n, den in terms:
            for factor, power in common.items():
                missing = power - den.get(factor, 0)
                if missing:
                    n = n * factor ** missing
            num = num + n
        return num, common
    if e.is_Mul:
        num, den = R.one, {}
        for a in e.args:
            n, d = _factored(a, R, table)
            num = num * n
            for factor, power in d.items():
                den[factor] = den.get(factor, 0) + power
        return _cancel_common(num, den)
    if e.is_Pow and e.exp.is_Integer:
        n, d = _factored(e.base, R, table)
        k = int(e.exp)
        if k >= 0:
            return n ** k, {f: p * k for f, p in d.items()}
        if n == 0:
            raise ZeroDivisionError("a power of zero with a negative exponent")
        num = R.one
        for factor, power in d.items():
            num = num * factor ** (power * -k)
        if n.is_ground:
            return num * R(1 / n.LC) ** -k, {}
        return num, {n: -k}
    if isinstance(e, sp.exp):
        num, den = R.one, {}
        for key, power in _exponential_factors(e):
            if power >= 0:
                num = num * table[key] ** power
            else:
                den[table[key]] = den.get(table[key], 0) - power
        return num, den
    return table[_atom_key(e)], {}


def _cancel_common(num, den):
    """Divide out denominator factors that divide the numerator exactly (cheap, exact)."""
    for factor in list(den):
        while den[factor] and not factor.is_ground:
            quotient, remainder = num.div(factor)
            if remainder != 0:
                break
            num, den[factor] = quotient, den[factor] - 1
        if not den[factor]:
            del den[factor]
    return num, den


# -- rung 2: exponentials of real exponents as positive symbols ---------------------------

def _exponential_zero(expr) -> bool:
    rewritten, _ = exponentials_as_symbols(expr)
    return sp.cancel(sp.together(rewritten)) == 0


def exponentials_as_symbols(expr):
    """(expr with e^(k a) written E_a^k for every real exponent a, the substitution back).
    E_a > 0 holds because a is real; exponentials of non-real exponents are left as they are."""
    expr = expr.replace(lambda e: isinstance(e, HYPERBOLIC) and e.args[0].is_extended_real is True,
                        lambda e: e.rewrite(sp.exp))
    table: dict = {}

    def to_power(e):
        coeff, rest = sp.expand(e.args[0]).as_coeff_Mul()
        key, sign = (rest, 1) if sp.default_sort_key(rest) <= sp.default_sort_key(-rest) else (-rest, -1)
        if key not in table:
            table[key] = sp.Dummy("E", positive=True)
        return table[key] ** (coeff * sign)

    rewritten = expr.replace(lambda e: isinstance(e, sp.exp) and e.args[0].is_extended_real is True, to_power)
    return rewritten, {sym: sp.exp(key) for key, sym in table.items()}


# -- rung 3: sympy's simplify on small residuals ------------------------------------------

def _simplify_zero(expr) -> bool:
    return sp.simplify(expr) == 0


def rewrites(expr):
    """Each rung's rewritten form with the substitution that undoes it (for the property test)."""
    out = {}
    for name, make in (("polynomial", _polynomial_form), ("exponentials", exponentials_as_symbols),
                       ("simplify", lambda e: (sp.simplify(e), {}))):
        try:
            out[name] = make(expr)
        except Exception:  # noqa: BLE001 (as in is_zero: a rung that fails is skipped)
            continue
    return out


def _polynomial_form(expr):
    num, den, atoms = to_fraction(expr)
    return num.as_expr() / den.as_expr(), atoms
