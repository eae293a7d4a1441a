"""Search for a certified counterexample at one concrete instance of a claim.

Points are seeded exact rationals that respect each symbol's kind and the
claim's `where` condition, and stay off every kink (a point exactly on a kink
says nothing about an almost-everywhere derivative).  At each point the
residual of every entry is evaluated to 30 guaranteed digits; only a certified
nonzero (or, for an inequality, a certified wrong sign) counts.
"""

from __future__ import annotations

import random

import sympy as sp

from .model import Counterexample, EntryValue
from .proof import Kinks, certified_sign, certified_value, function_choices, instantiate_functions
from .sampling import draw_scalar, draw_value
from .shapes import entry_label
from .symbolic import Instance, is_array, paired_entries

ATTEMPTS_PER_POINT = 20  # draws allowed per wanted point before a thin `where` region is reported
SHOWN_ENTRIES = 4        # worst entries shown in a counterexample
SIMPLE_ATTEMPTS = 4      # per wanted point, draws of small integers before random rationals
VIOLATES = {"=": lambda s: s != 0, "<": lambda s: s >= 0, "<=": lambda s: s > 0,
            ">": lambda s: s <= 0, ">=": lambda s: s < 0}


def draw_point(instance: Instance, rng: random.Random, simple: bool = False) -> tuple[dict, dict]:
    """(substitution for every free symbol, printable values per symbol name); `simple` draws
    small integers (0, 1, -1, 2) so that a counterexample can be checked by hand."""
    subs, shown = {}, {}
    for spec in instance.claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        value = instance.bindings[spec.name]
        if is_array(value):
            drawn = draw_value(rng, spec, len(value), simple)
            subs.update({sym: sp.Rational(v.numerator, v.denominator) for sym, v in zip(value, drawn)})
            rows, cols = value.shape
            shown[spec.name] = [[str(drawn[i * cols + j]) for j in range(cols)] for i in range(rows)]
        else:
            v = draw_scalar(rng, spec.kind, simple)
            subs[value] = sp.Rational(v.numerator, v.denominator)
            shown[spec.name] = str(v)
    return subs, shown


def valid_point(subs, where, kinks: Kinks | None) -> bool:
    if where is not None and where is not sp.true:
        if where.xreplace(subs) is not sp.true:
            return False
    if kinks:
        for switch in kinks.switches:
            sign = certified_sign(switch.xreplace(subs))
            if not sign:
                return False
    return True


def search(instance: Instance, lhs, rhs, *, step: int, where, relation: str, seed: int,
           rng: random.Random, points: int, prefer=None) -> tuple[Counterexample | None, int]:
    """(the first certified counterexample, number of valid points tried).

    ``prefer(subs)`` marks the points worth trying first (the kink branch where the
    proof failed): for the first half of the attempts only such points are used."""
    left, right = paired_entries(lhs, rhs)
    kinks = Kinks.find(*left, *right)
    has_generic = any(hasattr(type(f), "generic_order") for e in left + right for f in e.atoms(sp.Function))
    choices = function_choices(instance.claim) if has_generic else [None]
    tried, attempts = 0, points * ATTEMPTS_PER_POINT
    for attempt in range(attempts):
        if tried >= points:
            break
        subs, shown = draw_point(instance, rng, simple=attempt < points * SIMPLE_ATTEMPTS)
        if not valid_point(subs, where, kinks):
            continue
        if prefer is not None and attempt < attempts // 2 and not prefer(subs):
            continue
        tried += 1
        for choice in choices:
            bad = _violations(left, right, subs, choice, relation, lhs)
            if bad:
                bad.sort(key=lambda e: -abs(float(e.relative_error)))
                return Counterexample(step=step, shape=dict(instance.dims), indices=dict(instance.indices),
                                      point=shown, entries=tuple(bad[:SHOWN_ENTRIES]), seed=seed,
                                      function=choice), tried
    return None, tried


def _violations(left, right, subs, choice, relation, like) -> list[EntryValue]:
    bad = []
    for k, (a, b) in enumerate(zip(left, right)):
        a_at, b_at = a.xreplace(subs), b.xreplace(subs)
        if choice:
            a_at, b_at = instantiate_functions(a_at, choice), instantiate_functions(b_at, choice)
        sign = certified_sign(a_at - b_at)
        if sign is None or not VIOLATES[relation](sign):
            continue
        a_val, b_val = certified_value(a_at), certified_value(b_at)
        if a_val is None or b_val is None:
            continue
        scale = max(abs(a_val), abs(b_val))
        rel = abs(a_val - b_val) / scale if scale else sp.Float(0)
        bad.append(EntryValue(entry_label(k, like.shape if is_array(like) else ()), _fmt(a_val), _fmt(b_val), _fmt(rel, 3)))
    return bad


def _fmt(value, digits: int = 12) -> str:
    return f"{float(value):.{digits}g}"
