"""The one path every front end calls: verify(claim, settings) -> Result.

load -> plan -> check shapes -> check symbolically -> cross-check numerically -> combine -> diagnose.
The curator's `expect` is carried into the Result for the exit code and the
report, and is never read here to decide anything.  No clock decides anything
here: the per-claim --timeout of the worker is the only clock.

Combining the engines (a difference counts only when certified):
  symbolic 0 everywhere + numbers agree at enough points  -> proved (for every dimension when the
                                                             index-notation engine also reduces it to 0)
  symbolic inconclusive + numbers agree at enough points  -> confirmed (once the agreeing points at full
                                                             shapes are certified at high precision too)
  a certified counterexample, not contradicted             -> refuted
  one engine says 0, the other a certified difference      -> engine-disagreement (never passing);
                                                             so does a proof for every dimension against any
                                                             certified difference
  too few points compared, nothing certified               -> inconclusive, with the reason
"""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction

import numpy as np

from .certify import certify
from .diagnose import diagnose as make_diagnosis
from .errors import EvaluationError, ShapeError, VerifierError
from .every_dimension import prove_every_dimension
from .model import Claim, NumericEvidence, NumericStep, Result, StepResult
from .numeric_check import MIN_COMPARED, certify_agreement, check_numeric
from .plan import Plan, Settings, make_plan, with_dimension_cases, without_large_shape
from .shapes import check_claim_shapes, shape_text
from .symbolic_check import check_symbolic

__all__ = ["Settings", "verify", "error_result"]

REGION = ("points: a box (reals in [-2, 2], positives in [0.1, 3]), magnitudes from 1e-4 to 1e6 (random and "
          "a ladder), points on every branch of every kink and `where` boundary, and, for an inequality, where "
          "its two sides come closest")


def verify(claim: Claim, settings: Settings = Settings(), *, diagnose: bool = True) -> Result:
    if claim.relations:
        return _verify_links(claim, settings, diagnose)
    start = time.perf_counter()
    base = dict(id=claim.id, path=claim.path, expect=claim.expect, claim=claim)
    explain = (lambda verdict, step: make_diagnosis(claim, verdict, step, seed=settings.seed, settings=settings,
                                                    timeout=settings.timeout)) if diagnose \
        else (lambda verdict, step: None)
    try:
        check_claim_shapes(claim)
    except ShapeError as exc:
        return Result(**base, verdict="ill-typed", message=str(exc), diagnosis=explain("ill-typed", None),
                      seconds=_since(start))
    try:
        plan = make_plan(claim, settings)
        every = prove_every_dimension(claim, plan.env) if claim.dims else None
        if every is not None and every.proved:
            plan = without_large_shape(plan)
        elif every is not None:
            plan = with_dimension_cases(plan)
        steps, shapes, sym_ce = check_symbolic(plan)
        numeric = check_numeric(plan)
        if sym_ce is None and not (every is not None and every.proved) \
                and not all(s.verdict == "proved" for s in steps):
            certify_agreement(plan, numeric)   # no exact proof: are the agreeing floats hiding a difference?
        sym_check = _recheck(plan, sym_ce) if sym_ce is not None else None
    except (EvaluationError, VerifierError) as exc:
        return Result(**base, verdict="error", message=f"{claim.path}: {exc}", seconds=_since(start))
    evidence = _evidence(plan, numeric)
    verdict, message, counterexample = _combine(plan, steps, sym_ce, sym_check, numeric,
                                                every if every is not None and every.proved else None)
    diagnosis = explain(verdict, counterexample.step) if verdict == "refuted" else None
    return Result(**base, verdict=verdict, message=message, shapes=shapes, steps=steps,
                  counterexample=counterexample, numeric=evidence, diagnosis=diagnosis, seconds=_since(start),
                  every_dimension=every.reason if verdict == "proved" and every and every.proved else None)


# -- a chain with an inequality: each link is a claim of its own ------------------------------------

FIRST = ("error", "ill-typed", "refuted", "engine-disagreement", "timeout", "inconclusive")   # what decides first


def _verify_links(claim: Claim, settings: Settings, diagnose: bool) -> Result:
    """`0 < sigmoid(x) < 1` holds when every link holds: each link a_{i-1} r_i a_i is verified as a claim
    (same symbols, lets and `where`), and the chain takes the verdict of its first link that is not
    passing (in FIRST's order), else `confirmed` if any link is only confirmed, else `proved`; step
    numbers in the evidence are the chain's."""
    start = time.perf_counter()
    links = []
    for i in range(1, len(claim.steps)):
        link = replace(claim, steps=(claim.steps[i - 1], claim.steps[i]), chain=False,
                       relation=claim.relations[i - 1], relations=())
        links.append(verify(link, settings, diagnose=diagnose))
    verdicts = [r.verdict for r in links]
    worst = next((v for v in FIRST if v in verdicts), "confirmed" if "confirmed" in verdicts else "proved")
    k = verdicts.index(worst)
    decisive = links[k]
    step = k + 1
    if worst in ("proved", "confirmed"):
        message = "every link holds: " + "; ".join(
            f"({i}) {claim.relations[i]} ({i + 1}): {r.verdict}" for i, r in enumerate(links))
    else:
        message = f"link ({step - 1}) {claim.relations[step - 1]} ({step}): {decisive.message}"
    steps = tuple(StepResult(i + 1, r.steps[0].verdict if r.steps else r.verdict,
                             r.steps[0].detail if r.steps else r.message) for i, r in enumerate(links))
    ce = replace(decisive.counterexample, step=step) if decisive.counterexample else None
    diagnosis = replace(decisive.diagnosis, step=step) if decisive.diagnosis else None
    numeric = None
    if all(r.numeric for r in links):
        first = links[0].numeric
        numeric = replace(first, points=sum(r.numeric.points for r in links),
                          steps=tuple(replace(r.numeric.steps[0], index=i + 1) for i, r in enumerate(links)
                                      if r.numeric.steps),
                          counterexample=replace(decisive.numeric.counterexample, step=step)
                          if decisive.numeric.counterexample else None)
    every = None
    if worst == "proved" and all(r.every_dimension for r in links):
        every = links[0].every_dimension
    return Result(id=claim.id, path=claim.path, expect=claim.expect, claim=claim, verdict=worst,
                  message=message, shapes=decisive.shapes, steps=steps, counterexample=ce, numeric=numeric,
                  diagnosis=diagnosis, seconds=_since(start), every_dimension=every)


def _recheck(plan: Plan, ce) -> str:
    """sympy's counterexample evaluated again with interval arithmetic and exact derivatives."""
    values = {d: Fraction(v) for d, v in ce.shape.items()}
    values.update({k: Fraction(v) for k, v in ce.indices.items()})
    for name, shown in ce.point.items():
        values[name] = Fraction(shown) if isinstance(shown, str) else \
            np.array([[Fraction(x) for x in row] for row in shown], dtype=object)
    try:
        return certify(plan, ce.step, values, ce.function).status
    except (EvaluationError, ValueError, TypeError, ZeroDivisionError):
        return "undecided"


def _combine(plan, steps, sym_ce, sym_check, numeric, every=None):
    """`every`: the index-notation engine's proof for every dimension, when it found one."""
    claim = plan.claim
    num_ce = numeric.counterexample
    symbolic = {s.index: s.verdict for s in steps}
    certified_sym = sym_ce is not None and (sym_check == "differs" or (sym_check == "undecided" and not plan.kinked))
    if every is not None and (num_ce is not None or certified_sym):
        ce = _first(sym_ce if certified_sym else None, num_ce)
        engine = "interval arithmetic" if ce is num_ce else "sympy at a concrete shape"
        return ("engine-disagreement",
                f"the index-notation engine reduces {_where(claim, ce.step)} to 0 for every dimension, but "
                f"{engine} certifies a difference at a point: one of the engines is wrong here", ce)
    if num_ce is not None and symbolic[num_ce.step] == "proved" and num_ce.shape in plan.symbolic_shapes:
        return ("engine-disagreement",
                f"sympy reduces {_where(claim, num_ce.step)} to 0, but interval arithmetic certifies a difference "
                f"at a point: sympy's algebra or calculus looks wrong here", num_ce)
    if sym_check == "agrees":
        return ("engine-disagreement",
                f"sympy certifies a difference at {_where(claim, sym_ce.step)}, but interval arithmetic with exact "
                f"derivatives at the same point shows none: sympy's calculus looks wrong here", sym_ce)
    if sym_check == "undecided" and plan.kinked:
        sym_ce = None   # sympy's evalf of a kink at a point where its switch may be exactly 0 proves nothing
    if sym_ce is not None or num_ce is not None:
        ce = _first(sym_ce, num_ce)
        message = (f"first wrong step: ({ce.step - 1}) = ({ce.step})" if claim.chain
                   else "the two sides differ" if claim.relation == "="
                   else f"`lhs {claim.relation} rhs` fails at a point")
        if ce is num_ce and symbolic[ce.step] == "proved":
            message += (" at a shape the exact proof did not try: it holds at "
                        + "; ".join(shape_text(s) for s in plan.symbolic_shapes) + " only")
        if ce is sym_ce and sym_check == "undecided":
            message += " (certified by sympy; interval arithmetic could not decide at this point)"
        return "refuted", message, ce
    compared = min((s.compared for s in numeric.steps), default=0)
    needed = _needed(plan)
    exact = "every entry is exactly 0" if claim.relation == "=" else "the sign of every entry is decided exactly"
    shapes = "; ".join(shape_text(s) for s in plan.symbolic_shapes)
    where = ("" if not claim.dims else f"for every dimension (index notation) and at shapes {shapes}"
             if every is not None else f"at shapes {shapes} (not for every dimension)")
    exact = f"{exact} {where}".strip()
    if every is not None and not all(v == "proved" for v in symbolic.values()):
        exact = (f"every entry is exactly 0 for every dimension (index notation); at shapes {shapes} sympy "
                 "could not reduce every entry")
    if every is not None or all(v == "proved" for v in symbolic.values()):
        if numeric.unchecked:
            return "proved", f"{exact}; not cross-checked numerically (see notes)", None
        if compared:
            return "proved", f"{exact}; the numbers agree at {compared}+ compared points per step", None
        return "inconclusive", "proved symbolically, but no numeric point could be compared " + _why(numeric), None
    ties = sum(s.near_ties for s in numeric.steps)
    if ties:
        return ("inconclusive", f"sympy could not decide the sign, and at {ties} point(s) the two sides met "
                "within float resolution: a tie (which a strict inequality forbids) cannot be excluded", None)
    if compared >= needed and not numeric.unchecked:
        return ("confirmed", f"sympy could not {_undecided(claim)}; no counterexample at {compared}+ "
                f"compared points per step (at least {needed} required)", None)
    vacuous = [s for s in steps if "nothing was checked" in s.detail]
    reason = vacuous[0].detail if vacuous else (
        f"sympy could not {_undecided(claim)} and only {compared} points could be compared "
        f"(at least {needed} required) " + _why(numeric))
    return "inconclusive", reason, None


def _undecided(claim) -> str:
    return "reduce the difference to 0" if claim.relation == "=" else "decide the sign of the difference"


def _needed(plan) -> int:
    """Compared points a `confirmed` needs: one when the claim has no variables at all."""
    variables = [s for s in plan.claim.symbols if s.kind not in ("index", "function")]
    return MIN_COMPARED if variables else 1


def _why(numeric) -> str:
    if numeric.unchecked:
        return "(" + "; ".join(numeric.notes) + ")"
    if not numeric.rejected:
        return "(no point satisfied `where`)" if not numeric.points else ""
    return "(not compared: " + "; ".join(f"{n} {r}" for r, n in sorted(numeric.rejected.items())) + ")"


def _first(a, b):
    """The counterexample at the earlier step; the exact (symbolic) one on a tie."""
    if a is None or b is None:
        return a or b
    return a if a.step <= b.step else b


def _where(claim, step):
    return f"step ({step - 1}) = ({step})" if claim.chain else "lhs - rhs"


def agreement(plan: Plan, step, max_relative: float) -> str:
    """A bound on the agreeing comparisons' largest relative difference, coarse enough that float
    kernels of another CPU cannot move it across a bound."""
    from .numeric import contains_derivative  # noqa: PLC0415
    a, b = plan.claim.steps[step - 1], plan.claim.steps[step]
    lets = [node for _, node in plan.claim.lets]
    derivative = any(contains_derivative(n) for n in (a, b, *lets))
    for bound in ((1e-6, 1e-3, 1.0) if derivative else (1e-12, 1e-6, 1e-3, 1.0)):
        if max_relative < bound:
            return f"< {bound:g}"
    return ">= 1"


def _evidence(plan, numeric) -> NumericEvidence:
    return NumericEvidence(
        shapes=tuple(numeric.shapes), modes=tuple(numeric.modes), functions=tuple(numeric.functions),
        points=numeric.points, region=REGION, rejected=tuple(sorted(numeric.rejected.items())),
        counterexample=numeric.counterexample, notes=tuple(numeric.notes),
        steps=tuple(NumericStep(s.index, s.compared, agreement(plan, s.index, s.max_relative))
                    for s in numeric.steps))


def error_result(claim_id: str, path: str, message: str, *, verdict: str = "error",
                 claim: Claim | None = None, seconds: float = 0.0) -> Result:
    """A Result without evidence: a malformed file, a crash, a timeout."""
    return Result(id=claim_id, path=path, verdict=verdict, expect=claim.expect if claim else None,
                  message=message, seconds=seconds, claim=claim)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)
