"""The symbolic check of a claim: every equals sign, at every concrete shape and index case.

A step is ``proved`` when every entry of its residual is an exact zero at every
tried shape (one-hot vectors at every hot position, probability vectors closed by
p[n-1] = 1 - sum of the others); ``refuted`` when a certified counterexample is
found; otherwise ``inconclusive``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp

from . import limits
from .counterexample import search
from .errors import EvaluationError
from .model import Claim, Counterexample, StepResult
from .plan import Plan, stated_band
from .proof import Outcome, certified_sign, prove_zero
from .sampling import make_rng
from .shapes import entry_label
from .symbolic import Instance, index_cases, is_array, paired_entries


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
        if not self.proved_entries and not self.open_entries:
            return StepResult(self.index, "inconclusive", "nothing was checked: the `where` condition holds at "
                              "no tried shape and index value")
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


def check_symbolic(plan: Plan):
    """(step results, shapes tried, first counterexample or None).  No clock: the work is bounded by the
    shapes, the index cases and the zero test's size limits; the per-claim --timeout is the only clock."""
    claim = plan.claim
    states = [StepState(k) for k in range(1, len(claim.steps))]
    for dims in plan.symbolic_shapes:
        for indices in index_cases(claim, dims):
            _check_instance(plan, Instance.make(claim, dims, indices), states)
    results = tuple(s.result() for s in states)
    counterexample = next((s.counterexample for s in states if s.counterexample), None)
    return results, plan.symbolic_shapes, counterexample


def _check_instance(plan, instance, states):
    claim = plan.claim
    ev = instance.evaluator()
    where = ev(claim.where) if claim.where is not None else None
    if where is sp.false:   # before the sides: `v[i + 1]` need not exist where `where = "i < n - 1"` fails
        return  # the claim asserts nothing at these index values (e.g. `where = "i != c"` with i = c)
    values = [ev(step) for step in claim.steps]
    cases = constraint_cases(claim, instance)
    label = _label(instance)
    for state in states:
        if state.counterexample is not None:
            continue
        a_node, b_node = claim.steps[state.index - 1], claim.steps[state.index]
        a, b = values[state.index - 1], values[state.index]
        failed = None
        for k, (x, y) in enumerate(zip(*paired_entries(a, b))):
            band = stated_band(a_node, b_node, k)
            for case in cases:
                residual = (x - y).xreplace(case) if case else x - y
                outcome = _decide(residual, claim.relation, band, where, plan.on_kinks)
                if outcome.proved:
                    state.proved_entries += 1
                    state.how.add(outcome.how)
                else:
                    state.open_entries.append((label, entry_label(k, a.shape) if is_array(a) else "",
                                               _clip(str(residual))))
                    failed = failed or outcome
                    break
        if failed is not None:
            rng = make_rng(plan.seed, plan.key, state.index, label)
            bands = [stated_band(a_node, b_node, k) for k in range(len(paired_entries(a, b)[0]))]
            try:
                found, tried = search(instance, a, b, step=state.index, where=where, plan=plan, rng=rng,
                                      prefer=failed.on_branch, bands=bands)
            except (TypeError, ValueError):  # sympy cannot compare at these points: the numbers decide
                found, tried = None, 0
            state.points_tried += tried
            state.counterexample = found


def _decide(residual, relation, band, where, pointwise) -> Outcome:
    low, high = band
    if relation == "=":
        if (low or high) and not residual.free_symbols:
            lo, hi = sp.Rational(low.numerator, low.denominator), sp.Rational(high.numerator, high.denominator)
            above, below = certified_sign(residual - lo), certified_sign(hi - residual)
            ok = above is not None and below is not None and above >= 0 and below > 0
            return Outcome(ok, "equal to the stated precision")
        return prove_zero(residual, where, pointwise=pointwise)
    if sp.count_ops(residual) > SIGN_OPS:
        return Outcome(False, "too large for a symbolic sign test")
    side = "negative" if relation[0] == "<" else "positive"
    if _has_sign(sp.simplify(residual), relation):
        return Outcome(True, f"lhs - rhs is {side} by sympy's assumptions")
    slacked = with_slack(residual, where)
    if slacked is not None and sp.count_ops(slacked) <= SIGN_OPS and _has_sign(sp.simplify(slacked), relation):
        return Outcome(True, f"lhs - rhs is {side} by sympy's assumptions, `where` written with slack variables")
    return Outcome(False, "sympy's assumptions do not decide the sign of lhs - rhs")


def _has_sign(expr, relation) -> bool:
    return bool({"<": expr.is_negative, "<=": expr.is_nonpositive,
                 ">": expr.is_positive, ">=": expr.is_nonnegative}[relation])


def with_slack(expr, where):
    """expr with `where`'s linear inequalities built in: for a conjunct a <= b (a < b) in which b - a is
    c*v + rest for a real symbol v (c a nonzero rational, v not in rest), v is replaced by (t - rest)/c with
    a fresh t >= 0 (t > 0).  Every point where `where` holds is such a point for some t, so a sign that
    holds for every t (and the other symbols) holds wherever `where` does; constraints the substitution
    drops (v's own positivity) only make a proof harder.  None when no conjunct is of that form."""
    if where is None or where in (sp.true, sp.false):
        return None
    conjuncts = where.args if isinstance(where, sp.And) else (where,)
    subs: dict = {}
    slacks: set = set()
    for rel in conjuncts:
        if not isinstance(rel, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
            continue
        gap = sp.expand((rel.gts - rel.lts).xreplace(subs))   # >= 0, or > 0 for a strict inequality
        strict = isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan))
        for v in sorted(gap.free_symbols - slacks, key=sp.default_sort_key):
            c = gap.coeff(v)
            rest = sp.expand(gap - c * v)
            if c.is_Rational and c != 0 and v not in rest.free_symbols and v.is_real:
                name = f"_slack{len(slacks)}"
                t = sp.Symbol(name, positive=True) if strict else sp.Symbol(name, nonnegative=True)
                value = (t - rest) / c
                subs = {k: e.xreplace({v: value}) for k, e in subs.items()} | {v: value}
                slacks.add(t)
                break
    return expr.xreplace(subs) if subs else None


SIGN_OPS = 120  # count_ops up to which an inequality's residual is simplified for a sign test


def _label(instance) -> str:
    parts = [f"{k}={v}" for k, v in {**instance.dims, **instance.indices}.items()]
    return "(" + ", ".join(parts) + ")" if parts else ""


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
