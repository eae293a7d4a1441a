"""The one path every front end calls: verify(claim, settings) -> Result.

load -> check shapes -> check symbolically -> cross-check numerically -> combine.
The curator's `expect` is carried into the Result for the exit code and the
report, and is never read here to decide anything.

Combining the two engines:
  symbolic 0 everywhere + numbers agree        -> proved
  symbolic inconclusive + numbers agree        -> confirmed
  a counterexample that both engines confirm   -> refuted
  one engine says 0, the other a difference    -> engine-disagreement (never passing)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import EvaluationError, ShapeError, VerifierError
from .model import Claim, NumericEvidence, NumericStep, Result
from .diagnose import diagnose as make_diagnosis
from .numeric_check import check_numeric, recheck_counterexample
from .shapes import check_claim_shapes
from .symbolic_check import check_symbolic


SYMBOLIC_SHARE = 0.4  # of the per-claim time limit spent on zero tests: a safety net, far above typical needs


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    points: int = 5        # random points per step, shape and function
    timeout: float = 60.0  # seconds per claim, enforced by the runner
    large: int = 64        # size of the dimensions at the numeric check's large shape (0: none)


def verify(claim: Claim, settings: Settings = Settings(), *, diagnose: bool = True) -> Result:
    start = time.perf_counter()
    base = dict(id=claim.id, path=claim.path, expect=claim.expect, claim=claim)
    explain = (lambda verdict, step: make_diagnosis(claim, verdict, step, seed=settings.seed,
                                                    timeout=settings.timeout)) if diagnose \
        else (lambda verdict, step: None)
    try:
        check_claim_shapes(claim)
    except ShapeError as exc:
        return Result(**base, verdict="ill-typed", message=str(exc), diagnosis=explain("ill-typed", None),
                      seconds=_since(start))
    try:
        steps, shapes, sym_ce = check_symbolic(claim, seed=settings.seed, points=settings.points,
                                               budget=settings.timeout * SYMBOLIC_SHARE)
        numeric = check_numeric(claim, seed=settings.seed, points=settings.points, large=settings.large)
        disagreement = sym_ce is not None and recheck_counterexample(claim, sym_ce) == "agree"
    except (EvaluationError, VerifierError) as exc:
        return Result(**base, verdict="error", message=f"{claim.path}: {exc}", seconds=_since(start))
    evidence = _evidence(numeric)
    verdict, message, counterexample = _combine(claim, steps, sym_ce, numeric, disagreement)
    diagnosis = explain(verdict, counterexample.step) if verdict == "refuted" else None
    return Result(**base, verdict=verdict, message=message, shapes=shapes, steps=steps,
                  counterexample=counterexample, numeric=evidence, diagnosis=diagnosis, seconds=_since(start))


def _combine(claim, steps, sym_ce, numeric, disagreement):
    num_ce = numeric.counterexample
    symbolic = {s.index: s.verdict for s in steps}
    if num_ce is not None and symbolic[num_ce.step] == "proved":
        return ("engine-disagreement",
                f"sympy reduces {_where(claim, num_ce.step)} to 0, but finite differences re-checked at 50 digits "
                f"differ: sympy's algebra or calculus looks wrong here", num_ce)
    if disagreement:
        return ("engine-disagreement",
                f"sympy certifies a difference at {_where(claim, sym_ce.step)}, but the 50-digit finite-difference "
                f"re-check at the same point agrees: sympy's derivative looks wrong here", sym_ce)
    if sym_ce is not None or num_ce is not None:
        ce = _first(sym_ce, num_ce)
        message = (f"first wrong step: ({ce.step - 1}) = ({ce.step})" if claim.chain
                   else "the two sides differ" if claim.relation == "="
                   else f"`lhs {claim.relation} rhs` fails at a point")
        return "refuted", message, ce
    if all(v == "proved" for v in symbolic.values()):
        numbers = "the numbers agree" if numeric.points else "not cross-checked numerically (see notes)"
        return "proved", f"every entry is exactly 0 at every tried shape; {numbers}", None
    if numeric.points:
        return ("confirmed", "sympy could not reduce the difference to 0; the numeric cross-check agrees "
                "at every point", None)
    return "inconclusive", "sympy could not reduce the difference to 0 and no counterexample was found", None


def _first(a, b):
    """The counterexample at the earlier step; the exact (symbolic) one on a tie."""
    if a is None or b is None:
        return a or b
    return a if a.step <= b.step else b


def _where(claim, step):
    return f"step ({step - 1}) = ({step})" if claim.chain else "lhs - rhs"


def _evidence(numeric) -> NumericEvidence:
    return NumericEvidence(
        shapes=tuple(numeric.shapes), modes=tuple(numeric.modes), functions=tuple(numeric.functions),
        points=numeric.points, counterexample=numeric.counterexample, notes=tuple(numeric.notes),
        steps=tuple(NumericStep(s.index, s.compared, s.max_relative, s.rechecked, s.noise_resolved)
                    for s in numeric.steps))


def error_result(claim_id: str, path: str, message: str, *, verdict: str = "error",
                 claim: Claim | None = None, seconds: float = 0.0) -> Result:
    """A Result without evidence: a malformed file, a crash, a timeout."""
    return Result(id=claim_id, path=path, verdict=verdict, expect=claim.expect if claim else None,
                  message=message, seconds=seconds, claim=claim)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)
