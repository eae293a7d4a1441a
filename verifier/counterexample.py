"""Search for a certified counterexample at one concrete instance of a claim.

Points are seeded exact rationals that respect each symbol's kind and the
claim's `where` condition, and stay off every kink (a point exactly on a kink
says nothing about an almost-everywhere derivative).  At each point the
residual of every entry is evaluated to 30 guaranteed digits; only a certified
nonzero (or, for an inequality, a certified wrong sign) counts.
"""

from __future__ import annotations

import random
from functools import lru_cache

import mpmath
import sympy as sp
from mpmath import iv

from .jets import jet_choices
from .model import Counterexample, EntryValue
from .proof import Kinks, certified_sign, certified_value
from .standins import instantiate_functions
from .sampling import draw_scalar, draw_value
from .shapes import entry_label
from .symbolic import Instance, is_array, paired_entries
from .zero_test import interval_value

ATTEMPTS_PER_POINT = 20  # draws allowed per wanted point before a thin `where` region is reported
SHOWN_ENTRIES = 4        # worst entries shown in a counterexample
SIMPLE_ATTEMPTS = 4      # per wanted point, draws of small integers before random rationals
VIOLATES = {"=": lambda s: s != 0, "<": lambda s: s >= 0, "<=": lambda s: s > 0,
            ">": lambda s: s <= 0, ">=": lambda s: s < 0}


def draw_point(instance: Instance, rng: random.Random, mode: str = "box") -> tuple[dict, dict]:
    """(substitution for every free symbol, printable values per symbol name); mode "simple" draws small
    integers (0, 1, -1, 2) so that a counterexample can be checked by hand, "wide" spreads magnitudes
    from 1e-4 to 1e4."""
    subs = {}
    for spec in instance.claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        value = instance.bindings[spec.name]
        if is_array(value):
            drawn = draw_value(rng, spec, len(value), mode)
            subs.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(value, drawn)})
        else:
            subs[value] = sp.Rational(*_pair(draw_scalar(rng, spec.kind, mode)))
    return subs, _shown(instance, subs)


def _pair(v):
    return v.numerator, v.denominator


def _shown(instance: Instance, subs: dict) -> dict:
    shown = {}
    for spec in instance.claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        value = instance.bindings[spec.name]
        if is_array(value):
            rows, cols = value.shape
            shown[spec.name] = [[str(subs[value[i, j]]) for j in range(cols)] for i in range(rows)]
        else:
            shown[spec.name] = str(subs[value])
    return shown


def _frozen(instance: Instance) -> frozenset:
    """The symbols of arrays whose entries cannot be moved one at a time (masks, labels, spd)."""
    out = set()
    for spec in instance.claim.symbols:
        if spec.constraint in ("mask", "pm1", "spd"):
            out.update(flat_symbols(instance.bindings[spec.name]))
    return frozenset(out)


def flat_symbols(value) -> list:
    return list(value) if is_array(value) else [value]


def valid_point(subs, where, kinks: Kinks | None, pointwise: bool) -> bool:
    if where is not None and where is not sp.true:
        if where.xreplace(subs) is not sp.true:
            return False
    if kinks and not pointwise:   # a derivative says nothing exactly on a kink
        for switch in kinks.switches:
            if not certified_sign(switch.xreplace(subs)):
                return False
    return True


def _real_domain(entries, subs) -> bool:
    """Whether every square root (fractional power) has a nonnegative and every log a positive argument
    at the point: the claims are about real numbers, and sympy's complex arithmetic would otherwise make
    sqrt(x*y) = sqrt(x)*sqrt(y) "fail" at x = y = -1 through i*i = -1.  Undecided means outside."""
    for e in entries:
        for atom in e.atoms(sp.Pow, sp.log):
            if isinstance(atom, sp.Pow):
                if atom.exp.is_Rational and atom.exp.q != 1:
                    value = atom.base.xreplace(subs)
                    if not (value.is_number and value.is_nonnegative):
                        return False
            else:
                value = atom.args[0].xreplace(subs)
                if not (value.is_number and value.is_positive):
                    return False
    return True


MAX_SWITCH_DEGREE = 8     # polynomial switches whose real roots are isolated exactly (a bound on the work)


def _univariate(switch, subs: dict, frozen):
    """(symbol, the point without it, the switch as a polynomial in it) for each symbol in which the switch,
    with the other symbols at the point, is a polynomial with rational coefficients (never an entry of a
    mask, a +-1 label or a positive-definite matrix, which one value would take off its set)."""
    for symbol in sorted(switch.free_symbols - frozen, key=sp.default_sort_key):
        rest = {k: v for k, v in subs.items() if k != symbol}
        reduced = sp.expand(switch.xreplace(rest))
        if reduced.free_symbols == {symbol} and reduced.is_polynomial(symbol):
            poly = sp.Poly(reduced, symbol)
            if 1 <= poly.degree() <= MAX_SWITCH_DEGREE and all(c.is_Rational for c in poly.all_coeffs()):
                yield symbol, rest, poly


def _allowed(symbol, value) -> bool:
    return not (symbol.is_positive and value <= 0)


def onto_kink(subs: dict, kinks: Kinks | None, rng: random.Random, frozen=frozenset()) -> dict | None:
    """The point moved exactly onto one of the kinks: a rational root of the switch in one symbol (a root
    of a linear switch, or of a polynomial one such as (3x - 1)^2, which touches 0 without changing sign
    and so is never bracketed by sampling)."""
    if not kinks or not kinks.switches:
        return None
    switch = kinks.switches[rng.randrange(len(kinks.switches))]
    for symbol, rest, poly in _univariate(switch, subs, frozen):
        roots = sorted((r for r in poly.ground_roots() if _allowed(symbol, r)), key=sp.default_sort_key)
        if roots:
            return {**rest, symbol: roots[0] if len(roots) == 1 else roots[rng.randrange(len(roots))]}
    return None


def between_roots(subs: dict, kinks: Kinks | None, pick: int, frozen=frozenset()) -> dict | None:
    """The point moved to a rational strictly between two neighbouring real roots of a polynomial switch in
    one symbol (exact root isolation), so that a thin branch, such as relu(1e-9 - (x - 1/3)^2) > 0 on a
    width of 6e-5, is visited however narrow it is.  `pick` (the attempt's number) chooses the switch and
    the gap, so that the seeded stream of points is the same with or without such switches."""
    if not kinks or not kinks.switches:
        return None
    switch = kinks.switches[pick % len(kinks.switches)]
    for symbol, rest, poly in _univariate(switch, subs, frozen):
        if poly.degree() < 2:
            continue
        bounds = [interval for interval, _ in poly.intervals()]   # disjoint, sorted, one real root each
        gaps = [(high + low) / 2 for (_, high), (low, _) in zip(bounds, bounds[1:])]
        gaps = [sp.Rational(t) for t in gaps if poly.eval(t) != 0 and _allowed(symbol, t)]
        if gaps:
            return {**rest, symbol: gaps[pick // len(kinks.switches) % len(gaps)]}
    return None


def search(instance: Instance, lhs, rhs, *, step: int, where, plan, rng: random.Random,
           prefer=None, bands=None) -> tuple[Counterexample | None, int]:
    """(the first certified counterexample, number of valid points tried).

    ``prefer(subs)`` marks the points worth trying first (the kink branch where the
    proof failed): for the first half of the attempts only such points are used.
    Small integers come first, then a box and a spread of scales; for a pointwise
    claim, points exactly on a kink are tried too."""
    left, right = paired_entries(lhs, rhs)
    kinks = Kinks.find(*left, *right)
    has_generic = any(hasattr(type(f), "generic_order") for e in left + right for f in e.atoms(sp.Function))
    choices = plan.functions if has_generic else [None]
    points = plan.settings.points
    relation = plan.claim.relation
    tried, attempts = 0, points * ATTEMPTS_PER_POINT
    for attempt in range(attempts):
        if tried >= points:
            break
        mode = "simple" if attempt < points * SIMPLE_ATTEMPTS else ("wide" if attempt % 2 else "box")
        try:
            subs, _ = draw_point(instance, rng, mode)
            if plan.on_kinks and attempt % 3 == 2:
                subs = onto_kink(subs, kinks, rng, _frozen(instance)) or subs
            elif attempt % 3 == 1:
                subs = between_roots(subs, kinks, attempt // 3, _frozen(instance)) or subs
            if not valid_point(subs, where, kinks, plan.on_kinks) or not _real_domain(left + right, subs):
                continue
            if prefer is not None and attempt < attempts // 2 and not prefer(subs):
                continue
        except (TypeError, ValueError, ZeroDivisionError):  # sympy cannot decide a condition at this point
            continue
        tried += 1
        jets = jet_choices(plan.claim, left + right, subs, f"{plan.seed}|jets|{step}|{tried}") if has_generic else ()
        for choice in [*choices, *jets]:
            try:
                bad = _violations(left, right, subs, choice, relation, lhs, bands)
            except (TypeError, ValueError, ZeroDivisionError):
                bad = []
            if bad:
                bad.sort(key=lambda e: -abs(float(e.relative_error)))
                return Counterexample(step=step, shape=dict(instance.dims), indices=dict(instance.indices),
                                      point=_shown(instance, subs), entries=tuple(bad[:SHOWN_ENTRIES]),
                                      seed=plan.seed, function=choice), tried
    return None, tried


def _violations(left, right, subs, choice, relation, like, bands) -> list[EntryValue]:
    bad = []
    point, memo = None, {}
    for k, (a, b) in enumerate(zip(left, right)):
        low, high = bands[k] if bands else (0, 0)
        if not (low or high):   # a quick rigorous look first: interval arithmetic at the point
            if point is None:
                point = {sym: iv.mpf(v.p) / v.q for sym, v in subs.items()}
            quick = _interval_entry(a, b, point, choice, memo)
            if quick is not None:
                sign, a_val, b_val = quick
                if not VIOLATES[relation](sign):
                    continue   # certified to hold at this entry
                if a_val is not None:
                    bad.append(_entry(k, like, a_val, b_val))
                    continue
        a_at, b_at = a.xreplace(subs), b.xreplace(subs)
        if choice:
            a_at, b_at = instantiate_functions(a_at, choice), instantiate_functions(b_at, choice)
        low, high = bands[k] if bands else (0, 0)
        if relation == "=" and (low or high):   # a side written as a decimal: outside its stated precision
            below = certified_sign(a_at - b_at - sp.Rational(low.numerator, low.denominator))
            above = certified_sign(sp.Rational(high.numerator, high.denominator) - (a_at - b_at))
            if not (below == -1 or above in (-1, 0)):
                continue
        else:
            sign = certified_sign(a_at - b_at)
            if sign is None or not VIOLATES[relation](sign):
                continue
        a_val, b_val = certified_value(a_at), certified_value(b_at)
        if a_val is None or b_val is None:
            continue
        bad.append(_entry(k, like, a_val, b_val))
    return bad


def _entry(k, like, a_val, b_val) -> EntryValue:
    scale = max(abs(a_val), abs(b_val))
    rel = abs(a_val - b_val) / scale if scale else 0
    return EntryValue(entry_label(k, like.shape if is_array(like) else ()), _fmt(a_val), _fmt(b_val), _fmt(rel, 3))


INTERVAL_BITS = 160   # the quick look's precision; the shown values need 12 digits, so 1e-20 relative width


def _interval_entry(a, b, point: dict, choice, memo: dict):
    """(certified sign of a - b, a, b as mpmath numbers or None when too wide to show) from interval
    arithmetic at the point, or None when it cannot decide (a tie, an unsupported function, a domain
    edge): then sympy's evalf decides, as before.  Much faster than substituting into a large expression."""
    saved = iv.prec
    iv.prec = INTERVAL_BITS
    try:
        if choice:
            a, b = _instantiated(a, choice), _instantiated(b, choice)
        ia, ib = interval_value(a, point, memo), interval_value(b, point, memo)
        d = ia - ib
        if d.a > 0 or d.b < 0:
            sign = 1 if d.a > 0 else -1
        else:
            return None
        values = [mpmath.mpf(x.mid) if x.delta <= 1e-20 * max(abs(mpmath.mpf(x.mid)), 1e-300) else None
                  for x in (ia, ib)]
        return (sign, *values) if None not in values else (sign, None, None)
    except Exception:  # noqa: BLE001 (anything the quick look cannot evaluate goes to the exact path)
        return None
    finally:
        iv.prec = saved


@lru_cache(maxsize=4096)
def _instantiated(expr, choice):
    return instantiate_functions(expr, choice)


def _fmt(value, digits: int = 12) -> str:
    return f"{float(value):.{digits}g}"
