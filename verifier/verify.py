"""The one path every front end calls: verify(claim, settings) -> Result.

load -> check shapes -> check symbolically -> combine into a verdict.  The
curator's `expect` is carried into the Result for the exit code and the report,
and is never read here to decide anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import EvaluationError, ShapeError, VerifierError
from .model import Claim, Result
from .shapes import check_claim_shapes
from .symbolic_check import check_symbolic


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    points: int = 5        # random points per step and shape when looking for a counterexample
    timeout: float = 60.0  # seconds per claim, enforced by the runner


def verify(claim: Claim, settings: Settings = Settings()) -> Result:
    start = time.perf_counter()
    base = dict(id=claim.id, path=claim.path, expect=claim.expect, claim=claim)
    try:
        check_claim_shapes(claim)
    except ShapeError as exc:
        return Result(**base, verdict="ill-typed", message=str(exc), seconds=_since(start))
    try:
        steps, shapes, counterexample = check_symbolic(claim, seed=settings.seed, points=settings.points)
    except (EvaluationError, VerifierError) as exc:
        return Result(**base, verdict="error", message=f"{claim.path}: {exc}", seconds=_since(start))
    verdicts = {s.verdict for s in steps}
    if "refuted" in verdicts:
        verdict = "refuted"
        first = next(s for s in steps if s.verdict == "refuted")
        message = (f"first wrong step: ({first.index - 1}) = ({first.index})" if claim.chain
                   else "the two sides differ")
    elif verdicts == {"proved"}:
        verdict, message = "proved", "every entry is exactly 0 at every tried shape"
    else:
        verdict, message = "inconclusive", "sympy could not reduce the difference to 0 and no counterexample was found"
    return Result(**base, verdict=verdict, message=message, shapes=shapes, steps=steps,
                  counterexample=counterexample, seconds=_since(start))


def error_result(claim_id: str, path: str, message: str, *, verdict: str = "error",
                 claim: Claim | None = None, seconds: float = 0.0) -> Result:
    """A Result without evidence: a malformed file, a crash, a timeout."""
    return Result(id=claim_id, path=path, verdict=verdict, expect=claim.expect if claim else None,
                  message=message, seconds=seconds, claim=claim)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)
