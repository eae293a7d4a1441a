"""Explain a wrong claim, with evidence only.

For a refuted or ill-typed claim: the first wrong step (chains), the repairs of
the claimed side that make it verify (each re-verified like any claim, and the
report says by which engine), a side condition under which it would hold, the
correct statement, and the difference of the two sides when it is simple.
Nothing is shown that was not checked: a claim no repair fixes gets none.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import sympy as sp

from .errors import EvaluationError, ShapeError, VerifierError
from .latex import to_latex
from .model import PASSING, Claim, Diagnosis, Repair
from .numeric import FLOAT, ArrayEvaluator, NotChecked
from .points import draw_values
from .proof import Kinks, OutOfTime, time_limit
from .zero_test import is_zero
from .plan import make_plan, Settings as PlanSettings
from .repairs import REPAIRS
from .sampling import make_assignments, make_rng
from .shapes import ShapeEnv, check_claim_shapes, infer_shape
from .symbolic import Instance, flat, index_cases

MAX_VERIFIED = 8          # repaired claims re-verified in full (the numeric pre-filter picks them)
SHOWN_REPAIRS = 3         # repairs listed in a report
SIMPLE_OPS = 40           # a difference or a correct entrywise formula is shown when this small
PREFILTER_POINTS = 2      # float points a candidate must match before it is verified


SAFETY_SECONDS = 10.0     # a safety net only: every sympy call here is first bounded by expression size
LARGE_OPS = 400           # residuals larger than this are not simplified (keeps the output deterministic)


def diagnose(claim: Claim, verdict: str, step: int | None, *, seed: int, timeout: float) -> Diagnosis | None:
    """The work is bounded by counts (candidates verified, expression sizes), not by the clock, so
    that the same seed gives the same diagnosis; `timeout` is the per-claim limit repairs run under."""
    if verdict not in ("refuted", "ill-typed"):
        return None
    step = step or _ill_typed_step(claim)
    ref, wrong = claim.steps[step - 1], claim.steps[step]
    pair = replace(claim, steps=(ref, wrong), chain=False)
    repairs = _repairs(pair, seed=seed, timeout=timeout)
    condition = difference = None
    residuals = _residuals(pair) if verdict == "refuted" else None
    if residuals is not None:
        condition = _side_condition(pair, residuals)
        difference = _difference(residuals)
    correct, how = _correct_statement(pair, repairs)
    return Diagnosis(step=step, summary=_summary(claim, step, repairs, condition), repairs=repairs,
                     side_condition=condition, correct_statement=correct, correct_how=how,
                     difference=difference)


def _summary(claim, step, repairs, condition) -> str:
    parts = []
    if claim.chain:
        parts.append(f"step ({step - 1}) = ({step}) is the first wrong one")
    if repairs:
        parts.append(repairs[0].description)
    if condition:
        parts.append(condition)
    return "; ".join(parts) or "no single repair verifies"


def _ill_typed_step(claim: Claim) -> int:
    env = ShapeEnv(claim)
    first = None
    for k, node in enumerate(claim.steps):
        try:
            shape = infer_shape(node, env)
        except ShapeError:
            return max(k, 1)
        if k == 0:
            first = shape
        elif shape != first:
            return k
    return len(claim.steps) - 1


# -- repairs ----------------------------------------------------------------------------------

def _repairs(pair: Claim, *, seed: int, timeout: float) -> tuple[Repair, ...]:
    points = _points(pair, seed)
    factor = _constant_ratio(pair, points)
    found, seen, verified = [], set(), 0
    for kind, make in REPAIRS.items():
        candidates = make(pair.steps[1], pair, factor) if kind == "factor" else make(pair.steps[1], pair)
        for description, side in candidates:
            if verified >= MAX_VERIFIED:
                return tuple(found[:SHOWN_REPAIRS])
            key = to_latex(side)
            if key in seen:
                continue
            seen.add(key)
            repaired = replace(pair, steps=(pair.steps[0], side))
            if not _type_checks(repaired) or not _matches(repaired, points):
                continue
            verified += 1
            how = _verify(repaired, seed, timeout)
            if how:
                found.append(Repair(kind, description, side.text or key, key, how))
    return tuple(found[:SHOWN_REPAIRS])


def _type_checks(claim: Claim) -> bool:
    try:
        check_claim_shapes(claim)
        return True
    except ShapeError:
        return False


def _points(claim: Claim, seed: int) -> list:
    """A few float points at the smallest shape, with their evaluators' inputs."""
    dims = make_assignments(claim)[0]
    plan = make_plan(claim, PlanSettings(seed=seed))
    rng = np.random.default_rng(make_rng(seed, plan.key, "diagnose").getrandbits(64))
    cases = index_cases(claim, dims)[:PREFILTER_POINTS]
    function = plan.functions[0]
    out = []
    for k in range(PREFILTER_POINTS):
        indices = cases[k % len(cases)]
        out.append((draw_values(claim, dims, indices, rng, "box"), function))
    return out


def _sides(claim: Claim, point):
    values, function = point
    ev = ArrayEvaluator(claim, values, FLOAT, function)
    with np.errstate(all="ignore"):
        return (np.ravel(np.asarray(ev(claim.steps[0]), dtype=float)),
                np.ravel(np.asarray(ev(claim.steps[1]), dtype=float)))


def _matches(claim: Claim, points) -> bool:
    """Cheap float filter: the repaired side agrees with the other side at a couple of points."""
    try:
        for point in points:
            if claim.where is not None and not ArrayEvaluator(claim, point[0], FLOAT, point[1])(claim.where):
                continue
            left, right = _sides(claim, point)
            if left.shape != right.shape or not np.allclose(left, right, rtol=1e-6, atol=1e-8):
                return False
        return True
    except (EvaluationError, NotChecked, ValueError, ZeroDivisionError, FloatingPointError, TypeError):
        return False


def _constant_ratio(claim: Claim, points) -> Fraction | None:
    """lhs / rhs when it is one constant at every entry and point (a lost 2 or 1/N)."""
    ratios = []
    try:
        for point in points:
            left, right = _sides(claim, point)
            if left.shape != right.shape:
                return None
            mask = np.abs(right) > 1e-9
            if not mask.any():
                return None
            ratios.extend(left[mask] / right[mask])
    except (EvaluationError, NotChecked, ValueError, ZeroDivisionError, TypeError):
        return None
    if not ratios or not np.allclose(ratios, ratios[0], rtol=1e-7):
        return None
    return Fraction(float(ratios[0])).limit_denominator(1000)


def _verify(claim: Claim, seed: int, timeout: float) -> str | None:
    from .verify import Settings, verify  # noqa: PLC0415 (verify imports this module)
    try:
        result = verify(claim, Settings(seed=seed, points=3, large=0, timeout=timeout), diagnose=False)
    except VerifierError:
        return None
    if result.verdict not in PASSING:
        return None
    return "symbolic proof" if result.verdict == "proved" else "numeric check"


# -- side conditions, the difference, the correct statement -----------------------------------

def _residuals(claim: Claim):
    """(instance, entries, lhs - rhs) at the smallest shape and its first index case, or None when the
    residual is too large to reason about (the bound keeps the diagnosis deterministic)."""
    try:
        with time_limit(SAFETY_SECONDS):
            dims = make_assignments(claim)[0]
            instance = Instance.make(claim, dims, index_cases(claim, dims)[0])
            ev = instance.evaluator()
            diff = ev(claim.steps[0]) - ev(claim.steps[1])
            entries = flat(diff)
            return (instance, entries, diff) if _small(entries) else None
    except (OutOfTime, EvaluationError, VerifierError, TypeError, ValueError):
        return None


def _small(entries) -> bool:
    return sum(sp.count_ops(e) for e in entries) <= LARGE_OPS


def _simplified(value):
    return value.applyfunc(sp.simplify) if isinstance(value, sp.MatrixBase) else sp.simplify(value)


def _side_condition(claim: Claim, residuals) -> str | None:
    instance, entries, _ = residuals
    try:
        with time_limit(SAFETY_SECONDS):
            for spec in claim.symbols:
                if spec.kind != "vector":
                    continue
                value = list(instance.bindings[spec.name])
                closing = {value[-1]: 1 - sum(value[:-1])}
                if all(is_zero(e.xreplace(closing)) for e in entries):
                    return f"holds when sum({spec.name}) = 1"
            return _region(entries)
    except (OutOfTime, TypeError, ValueError):
        return None


def _region(entries) -> str | None:
    """For a kinked claim: the branches on which it holds, when that is some but not all of them."""
    kinks = Kinks.find(*entries)
    if not kinks or not kinks.switches:
        return None
    holding = [p for p in kinks.patterns() if all(is_zero(kinks.resolve(e, p)) for e in entries)]
    if not holding or len(holding) == 2 ** len(kinks.switches):
        return None
    signs = [" and ".join(f"{s} {'>' if v > 0 else '<'} 0" for s, v in zip(kinks.switches, p)) for p in holding]
    return "holds only where " + " or ".join(f"({s})" for s in signs[:3]) + (" ..." if len(signs) > 3 else "")


def _difference(residuals) -> str | None:
    instance, _, diff = residuals
    try:
        with time_limit(SAFETY_SECONDS):
            simple = _simplified(diff)
    except (OutOfTime, TypeError, ValueError):
        return None
    parts = flat(simple)
    if all(sp.count_ops(p) <= SIMPLE_OPS for p in parts) and any(p != 0 for p in parts):
        return _at(instance) + sp.latex(simple)
    return None


def _correct_statement(claim: Claim, repairs) -> tuple[str | None, str | None]:
    lhs = claim.steps[0]
    if not any(n.op in ("grad", "jacobian", "diff") for n in lhs.walk()):
        return None, None
    if repairs:
        best = next((r for r in repairs if r.verified_by == "symbolic proof"), repairs[0])
        return f"{to_latex(lhs)} = {best.latex}", f"the repair `{best.description}`, verified by {best.verified_by}"
    try:
        with time_limit(SAFETY_SECONDS):
            dims = make_assignments(claim)[0]
            instance = Instance.make(claim, dims, index_cases(claim, dims)[0])
            value = instance.evaluator()(lhs)
            if not _small(flat(value)):
                return None, None
            simple = _simplified(value)
            if sum(sp.count_ops(p) for p in flat(simple)) <= SIMPLE_OPS * 4:
                return (f"{to_latex(lhs)} = {sp.latex(simple)}",
                        f"entry by entry at {_shape_words(instance)} (sympy)")
    except (OutOfTime, EvaluationError, VerifierError, TypeError, ValueError):
        pass
    return None, None


def _at(instance) -> str:
    return rf"\text{{at }} {_shape_words(instance)}:\; "


def _shape_words(instance) -> str:
    parts = [f"{k}={v}" for k, v in {**instance.dims, **instance.indices}.items()]
    return ", ".join(parts) or "scalars"
