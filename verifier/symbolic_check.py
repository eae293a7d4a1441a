"""The symbolic check of a claim: every equals sign, at every concrete shape and index case.

A step is ``proved`` when every entry of its residual is an exact zero at every
tried shape (one-hot vectors at every hot position, probability vectors closed by
p[n-1] = 1 - sum of the others); ``refuted`` when a certified counterexample is
found; otherwise ``inconclusive``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from . import limits
from .counterexample import search
from .errors import EvaluationError
from .model import Claim, Counterexample, StepResult
from .proof import Outcome, OutOfTime, certified_sign, prove_zero, time_limit
from .sampling import make_assignments, make_rng
from .shapes import entry_label
from .symbolic import Instance, index_cases, is_array, paired_entries
from .tree import Node


@dataclass
class StepState:
    index: int
    proved_entries: int = 0
    open_entries: list = field(default_factory=list)   # (shape, entry, residual text)
    how: set = field(default_factory=set)
    counterexample: Counterexample | None = None
    points_tried: int = 0

    def result(self) -> StepResult:
        if self.counterexample is not None:
            return StepResult(self.index, "refuted", "certified counterexample found")
        if self.open_entries:
            shape, entry, text = self.open_entries[0]
            return StepResult(self.index, "inconclusive",
                              f"{len(self.open_entries)} entries not reduced to 0 and no counterexample in "
                              f"{self.points_tried} points; first at {shape}{entry}: {text}")
        return StepResult(self.index, "proved",
                          f"all {self.proved_entries} entry checks exact: " + "; ".join(sorted(self.how)))


def constraint_cases(claim: Claim, instance: Instance) -> list[dict]:
    """Substitutions that put one-hot and probability vectors on their sets."""
    per_symbol = []
    for spec in claim.symbols:
        value = instance.bindings.get(spec.name)
        if spec.kind == "onehot":
            entries = list(value)
            per_symbol.append([{s: sp.Integer(int(i == hot)) for i, s in enumerate(entries)}
                               for hot in range(len(entries))])
        elif spec.kind == "probability":
            entries = list(value)
            per_symbol.append([{entries[-1]: 1 - sum(entries[:-1])}])
    cases = [dict(itertools.chain.from_iterable(d.items() for d in combo))
             for combo in itertools.product(*per_symbol)]
    if len(cases) > limits.MAX_INDEX_CASES:
        raise EvaluationError(f"{len(cases)} one-hot cases (limit {limits.MAX_INDEX_CASES})")
    return cases


def stated_tolerance(*nodes: Node) -> Fraction:
    """One unit in the last place of a side written as a decimal number (15241.383 -> 0.001), or as a
    vector literal of them ([15241.383, 246.912] -> 0.001).

    Notes truncate as often as they round, so a stated figure is taken to be
    right when it is within one unit of its last digit."""
    tol = Fraction(0)
    for node in nodes:
        entries = node.args if node.op == "vector" else (node,)
        for entry in entries:
            if entry.op == "num" and "." in entry.text:
                decimals = len(entry.text.split(".")[1].rstrip())
                tol = max(tol, Fraction(1, 10**decimals))
    return tol


def check_symbolic(claim: Claim, *, seed: int, points: int, budget: float | None = None):
    """(step results, shapes tried, first counterexample or None).  `budget` (seconds) bounds the
    zero tests: entries not reached in time stay unproved, and the numeric check decides."""
    states = [StepState(k) for k in range(1, len(claim.steps))]
    shapes = make_assignments(claim)
    deadline = None if budget is None else time.monotonic() + budget
    for dims in shapes:
        for indices in index_cases(claim, dims):
            _check_instance(claim, Instance.make(claim, dims, indices), states, seed, points, deadline)
    results = tuple(s.result() for s in states)
    counterexample = next((s.counterexample for s in states if s.counterexample), None)
    return results, tuple(shapes), counterexample


def _check_instance(claim, instance, states, seed, points, deadline=None):
    ev = instance.evaluator()
    values = [ev(step) for step in claim.steps]
    where = ev(claim.where) if claim.where is not None else None
    if where is sp.false:
        return  # the claim asserts nothing at these index values (e.g. `where = "i != c"` with i = c)
    cases = constraint_cases(claim, instance)
    label = _label(instance)
    for state in states:
        if state.counterexample is not None:
            continue
        a, b = values[state.index - 1], values[state.index]
        tol = stated_tolerance(claim.steps[state.index - 1], claim.steps[state.index])
        failed = None
        for k, (x, y) in enumerate(zip(*paired_entries(a, b))):
            for case in cases:
                residual = (x - y).xreplace(case) if case else x - y
                left = None if deadline is None else deadline - time.monotonic()
                outcome = (_decide(residual, claim.relation, tol, where, left) if left is None or left > 0
                           else Outcome(False, "symbolic time budget used up"))
                if outcome.proved:
                    state.proved_entries += 1
                    state.how.add(outcome.how)
                else:
                    state.open_entries.append((label, entry_label(k, a.shape) if is_array(a) else "",
                                               _clip(str(residual))))
                    failed = failed or outcome
                    break
        left = None if deadline is None else deadline - time.monotonic()
        if failed is not None and (left is None or left > 0):
            rng = make_rng(seed, claim.id, state.index, label)
            try:
                with time_limit(left):
                    found, tried = search(instance, a, b, step=state.index, where=where,
                                          relation=claim.relation, seed=seed, rng=rng, points=points,
                                          prefer=failed.on_branch)
            except OutOfTime:
                continue  # the numeric check looks for counterexamples too
            state.points_tried += tried
            state.counterexample = found


def _decide(residual, relation, tol, where, budget=None) -> Outcome:
    if relation == "=":
        if tol and not residual.free_symbols:
            bound = sp.Rational(tol.numerator, tol.denominator)
            low, high = certified_sign(residual + bound), certified_sign(residual - bound)
            ok = low is not None and high is not None and low >= 0 >= high
            return Outcome(ok, f"equal within the stated precision (+-{float(tol):g})")
        return prove_zero(residual, where, budget=budget)
    try:
        with time_limit(budget):
            simplified = sp.simplify(residual)
    except OutOfTime:
        return Outcome(False, "symbolic time budget used up")
    sign_ok = {"<": simplified.is_negative, "<=": simplified.is_nonpositive,
               ">": simplified.is_positive, ">=": simplified.is_nonnegative}[relation]
    side = "negative" if relation[0] == "<" else "positive"
    return Outcome(bool(sign_ok), f"lhs - rhs is {side} by sympy's assumptions")


def _label(instance) -> str:
    parts = [f"{k}={v}" for k, v in {**instance.dims, **instance.indices}.items()]
    return "(" + ", ".join(parts) + ")" if parts else ""


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
