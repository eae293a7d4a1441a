"""Explain a wrong claim, with evidence only.

For a refuted or ill-typed claim: the first wrong step (chains), the repairs of
the claimed side that make it verify (each re-verified like any claim, and the
report says by which engine), a side condition under which it would hold, the
correct statement, and the difference of the two sides when it is simple.
Nothing is shown that was not checked: a claim no repair fixes gets none.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import sympy as sp

from .errors import EvaluationError, ShapeError, VerifierError
from .expression_text import to_text
from .forms import shortest_form
from .latex import render_name, to_latex
from .model import FAILING, PASSING, Claim, Diagnosis, Repair
from .numeric import NotChecked
from .plan import symbolic_assignments as make_assignments
from .proof import Kinks
from .repair_points import (factors as _factors, matches as _matches, more_points as _more_points,
                            points as _points, same_values as _same_values)
from .repairs import REPAIRS
from .shapes import ShapeEnv, check_claim_shapes, infer_shape
from .symbolic import Instance, flat, index_cases
from .zero_test import is_zero

MAX_VERIFIED = 8          # repaired claims re-verified in full (the numeric pre-filter picks them)
MAX_TRIED = 200           # single-edit candidates type-checked and pre-filtered, at most
SHOWN_REPAIRS = 3         # repairs listed in a report
SIMPLE_OPS = 40           # a difference or a correct entrywise formula is shown when this small
LARGE_OPS = 400           # residuals larger than this are not reasoned about (bounds every sympy call)
SIMPLIFY_OPS = LARGE_OPS  # an entry is given to sympy's simplify only when this small

# Two edits, tried only when no single edit verifies.  The first edit is one of the single candidates
# (those that type-check first); the second is one of PAIR_KINDS applied to its result, the kinds in this
# order, each over every first edit before the next kind: cheap and likely combinations first.
FIRST_EDITS = 40          # single candidates a second edit is applied to
MAX_PAIRS_TRIED = 400     # two-edit candidates type-checked and pre-filtered, at most
MAX_PAIR_FITS = 12        # first edits whose lost factor is fitted (each costs a few float evaluations)
MAX_PAIRS_VERIFIED = 4    # two-edit candidates verified in full
PAIR_KINDS = ("negation", "factor", "transpose", "transpose-side", "square", "chain-factor", "derivative-factor",
              "drop-term", "drop-factor", "function-argument", "variable-factor", "product", "swap-name")
DROPS = ("drop-term", "drop-factor")
DERIVATIVES = ("grad", "jacobian", "diff")
NONE_VERIFIES = "no single repair or pair of repairs verifies"


def diagnose(claim: Claim, verdict: str, step: int | None, *, seed: int, timeout: float = 60.0,
             settings=None) -> Diagnosis | None:
    """The work is bounded by counts (candidates verified, expression sizes), not by the clock, so that the
    same seed gives the same diagnosis.  A repair is verified with the claim's own `settings` (every shape,
    the large one included); without them, the defaults for this seed and timeout.

    A diagnosis is an extra: whatever goes wrong inside it leaves the verdict as it is, and the diagnosis
    empty or partial."""
    if verdict not in FAILING:
        return None
    settings = settings or _default_settings(seed, timeout)
    step = step or _guarded(_ill_typed_step, claim, default=1)
    pair = replace(claim, steps=(claim.steps[step - 1], claim.steps[step]), chain=False)
    repairs = _guarded(_repairs, pair, settings, default=())
    condition = difference = None
    residuals = _guarded(_residuals, pair, default=None) if verdict == "refuted" else None
    if residuals is not None:
        condition = _guarded(_side_condition, pair, residuals, settings, default=None)
        difference = _guarded(_difference, residuals, default=None)
    form = None
    if not repairs and verdict == "refuted" and pair.relation == "=" \
            and any(n.op in DERIVATIVES for n in pair.steps[0].walk()):   # else the left side restated
        search = partial(shortest_form, matches=_matches, points=_points, verify=_verify, restates=_restates)
        form = _guarded(search, pair, settings, default=None)
    correct, how, expression = _guarded(_correct_statement, pair, repairs, form, default=(None, None, None))
    return Diagnosis(step=step, summary=_summary(claim, step, repairs, condition), repairs=repairs,
                     side_condition=condition, correct_statement=correct, correct_how=how,
                     difference=difference, correct_expression=expression)


def _guarded(stage, *args, default):
    """Run one stage of the diagnosis.  Each stage catches the errors it expects; this is the net under
    them (a sympy or NumPy failure nobody foresaw), so that a diagnosis can never turn a verdict into
    `error`.  KeyboardInterrupt and SystemExit are not Exceptions and pass through."""
    try:
        return stage(*args)
    except Exception:  # noqa: BLE001 (see the docstring)
        return default


def _default_settings(seed: int, timeout: float):
    from .verify import Settings  # noqa: PLC0415 (verify imports this module)
    return Settings(seed=seed, timeout=timeout)


def _summary(claim, step, repairs, condition) -> str:
    parts = []
    if claim.chain:
        parts.append(f"step ({step - 1}) = ({step}) is the first wrong one")
    if repairs:
        parts.append(repairs[0].description)
    if condition:
        parts.append(condition)
    return "; ".join(parts) or NONE_VERIFIES


def _ill_typed_step(claim: Claim) -> int:
    try:
        env = ShapeEnv(claim)
    except ShapeError:
        return 1                       # a [let] does not type-check: no step is better than another
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

def _repairs(pair: Claim, settings) -> tuple[Repair, ...]:
    """Single edits first; two edits only when none verifies.  Every count is a count of candidates, so
    the same claim and seed give the same repairs."""
    search = _Search(pair, settings)
    firsts = search.singles()
    if not search.found:
        search.pairs(firsts)
    return tuple(search.found[:SHOWN_REPAIRS])


class _Search:
    """The candidates tried so far (by tree), the budgets spent and the verified repairs."""

    def __init__(self, pair: Claim, settings):
        self.pair, self.settings = pair, settings
        # Points are drawn for the claim; for an ill-typed one (no shapes to draw at), for the first
        # repaired claim that type-checks (a repair adds no names, so every candidate has the same shapes).
        self.points = _guarded(_points, pair, settings.seed, default=None) if _type_checks(pair) else None
        # when the refuted side itself passes the filter (wrong on one branch of a kink only), the filter
        # cannot tell a repair from it: a candidate with its values at every point is not verified
        self.blind = bool(self.points) and _matches(pair, self.points)
        self.more_points = None        # drawn when a first candidate passes the cheap filter
        self.seen, self.found = {pair.steps[1]}, []
        self.tried = self.verified = 0

    def singles(self) -> list[tuple[str, str, object]]:
        """Try every single edit; return those worth a second edit (type-correct ones first)."""
        factors = _guarded(_factors, self.pair, self.settings.seed, default=[])
        typed, untyped = [], []
        for kind, make in REPAIRS.items():
            for description, side in _candidates(make, self.pair.steps[1], self.pair,
                                                 factors if kind == "factor" else None):
                if self.verified >= MAX_VERIFIED or self.tried >= MAX_TRIED or len(self.found) >= SHOWN_REPAIRS:
                    return (typed + untyped)[:FIRST_EDITS]
                outcome = self.attempt(kind, description, side)
                if outcome is not None and kind != "definition":
                    (typed if outcome else untyped).append((kind, description, side))
        return (typed + untyped)[:FIRST_EDITS]

    def pairs(self, firsts) -> None:
        """A second edit on each first one, until one pair verifies or a budget is spent."""
        tried, verified, fits = self.tried, self.verified, {}
        for kind in PAIR_KINDS:
            make = REPAIRS.get(kind)
            for first_kind, first, side in firsts if make else ():
                if kind == "factor":
                    if side not in fits and len(fits) >= MAX_PAIR_FITS:
                        continue
                    fits.setdefault(side, _guarded(_factors, replace(self.pair, steps=(self.pair.steps[0], side)),
                                                   self.settings.seed, default=[]))
                for description, second in _candidates(make, side, self.pair,
                                                       fits.get(side) if kind == "factor" else None):
                    if (self.tried - tried >= MAX_PAIRS_TRIED or self.verified - verified >= MAX_PAIRS_VERIFIED
                            or self.found):
                        return
                    if (kind in DROPS and _drops_the_side(self.pair.steps[1], side, second)
                            or _restates(self.pair.steps[0], second)):
                        continue
                    self.attempt(f"{first_kind}+{kind}", f"{first}, and {description}", second)

    def attempt(self, kind: str, description: str, side) -> bool | None:
        """Type-check, pre-filter and verify one candidate: None when it was tried before, else whether
        it type-checks."""
        if side in self.seen:          # the refuted side itself, or a candidate already tried (same tree)
            return None
        self.seen.add(side)
        self.tried += 1
        repaired = replace(self.pair, steps=(self.pair.steps[0], side))
        if not _type_checks(repaired):
            return False
        if self.points is None:
            self.points = _guarded(_points, repaired, self.settings.seed, default=[])
        if not _matches(repaired, self.points):
            return True
        if self.more_points is None:
            self.more_points = _guarded(_more_points, repaired, self.settings.seed, default=[])
        if not _matches(repaired, self.more_points):
            return True
        if self.blind and _same_values(repaired, self.pair, self.points + self.more_points):
            return True
        self.verified += 1
        how = _verify(repaired, self.settings)
        if how:
            self.found.append(Repair(kind, description, _expression(side, repaired), to_latex(side), how))
        return True


def _restates(lhs, side) -> bool:
    """A two-edit candidate that is the left side itself, contains it, or differentiates what the left side
    differentiates (grad(J, x) = -grad(1 - J + c, x)): true, but a rewriting of the question rather than a
    repair of the answer.  (One edit that gives the left side back is kept: "x should be b1" in
    grad(s, x) written for grad(s, b1) names the mistake.)"""
    if side == lhs:
        return True
    if lhs.op not in ("name", "num") and any(n == lhs for n in side.walk()):
        return True    # 1 - (1 - sigmoid(x)) for sigmoid(x) = 1 - sigmoid(x): the left side dressed up
    if lhs.op not in DERIVATIVES:
        return False
    body = lhs.args[0]
    return any(n.op in DERIVATIVES and any(m == body for m in n.args[0].walk()) for n in side.walk())


def _drops_the_side(wrong, first, second) -> bool:
    """A first edit that wrapped the whole wrong side (a factor on it) and a second that drops it again:
    what is left was built by the repairs alone, not a repair of what was written."""
    return any(n == wrong for n in first.walk()) and not any(n == wrong for n in second.walk())


def _expression(side, claim: Claim) -> str:
    """The repaired side in the expression syntax (a repaired tree's own text is the unrepaired one)."""
    return to_text(side, _generic(claim)) or side.text or to_latex(side)


def _generic(claim: Claim) -> set[str]:
    return {s.name for s in claim.symbols if s.kind == "function"}


def _candidates(make, wrong, pair, factors):
    """The candidates of one repair function; a repair that fails stops only its own candidates."""
    try:
        yield from (make(wrong, pair) if factors is None else make(wrong, pair, factors))
    except Exception:  # noqa: BLE001 (one buggy repair must not hide the others, nor change the verdict)
        return


def _type_checks(claim: Claim) -> bool:
    try:
        check_claim_shapes(claim)
        return True
    except ShapeError:
        return False


def _verify(claim: Claim, settings) -> str | None:
    """Verify a repaired claim exactly like a claim (the same settings: every shape, the large one too);
    the evidence names what actually decided it."""
    from .verify import verify  # noqa: PLC0415 (verify imports this module)
    try:
        result = verify(claim, settings, diagnose=False)
    except (VerifierError, EvaluationError, NotChecked, ArithmeticError, ValueError, TypeError):
        return None
    if result.verdict not in PASSING:
        return None
    return "symbolic proof" if result.verdict == "proved" else "numeric check"


# -- side conditions, the difference, the correct statement -----------------------------------
# Every sympy call below is bounded by the size of its input (LARGE_OPS, SIMPLIFY_OPS), never by the clock.

SYMPY_ERRORS = (EvaluationError, VerifierError, TypeError, ValueError, NotImplementedError, sp.PolynomialError,
                RecursionError, ZeroDivisionError)


def _residuals(claim: Claim):
    """(instance, entries, lhs - rhs) at the smallest shape and its first index case inside `where`, or None
    when the residual is too large to reason about (the bound keeps the diagnosis deterministic)."""
    try:
        instance = _first_instance(claim)
        if instance is None:
            return None
        ev = instance.evaluator()
        diff = ev(claim.steps[0]) - ev(claim.steps[1])
        entries = flat(diff)
        return (instance, entries, diff) if _small(entries) else None
    except SYMPY_ERRORS:
        return None


def _first_instance(claim: Claim) -> Instance | None:
    """The claim at the smallest shape and the first index values at which `where` can hold (what the
    claim says nothing about is no place to show a difference or a correct value); None when none can."""
    dims = make_assignments(claim)[0]
    for case in index_cases(claim, dims):
        instance = Instance.make(claim, dims, case)
        if claim.where is None or instance.evaluator()(claim.where) is not sp.false:
            return instance
    return None


def _small(entries) -> bool:
    return sum(sp.count_ops(e) for e in entries) <= LARGE_OPS


def _simplified(value):
    """sympy's simplify on each entry small enough for it; larger entries are left as they are."""
    def simplify(e):
        return sp.simplify(e) if sp.count_ops(e) <= SIMPLIFY_OPS else e
    return value.applyfunc(simplify) if isinstance(value, sp.MatrixBase) else simplify(value)


def _side_condition(claim: Claim, residuals, settings) -> str | None:
    """A condition under which the claim holds: a vector that sums to 1 (verified like a repair, with
    the vector declared a probability vector), or the kink branches on which the residual vanishes.
    Nothing when the residual already vanishes at the smallest shape (the claim fails elsewhere, and
    that shape says nothing about why)."""
    instance, entries, _ = residuals
    try:
        if all(is_zero(e) for e in entries):
            return None
        for spec in claim.symbols:
            symmetric = _symmetric_condition(claim, spec, instance, entries, settings)
            if symmetric:
                return symmetric
            if spec.kind != "vector":
                continue
            value = list(instance.bindings[spec.name])
            closing = {value[-1]: 1 - sum(value[:-1])}
            if all(is_zero(e.xreplace(closing)) for e in entries):
                on_simplex = replace(spec, kind="probability")
                symbols = tuple(on_simplex if s is spec else s for s in claim.symbols)
                if _verify(replace(claim, symbols=symbols), settings):
                    return f"holds when sum({spec.name}) = 1"
        return _region(entries)
    except SYMPY_ERRORS:
        return None


def _symmetric_condition(claim: Claim, spec, instance, entries, settings) -> str | None:
    """"holds when A is symmetric" for a square matrix A: the residual vanishes once A's entries (j, i)
    are tied to (i, j) at the smallest shape, and the claim with A declared symmetric verifies."""
    if spec.kind != "matrix" or spec.constraint is not None or len(spec.dims) != 2 or spec.dims[0] != spec.dims[1]:
        return None
    value = instance.bindings[spec.name]
    size = value.shape[0]
    tie = {value[j, i]: value[i, j] for i in range(size) for j in range(i + 1, size)}
    if not tie or not all(is_zero(e.xreplace(tie)) for e in entries):
        return None
    symbols = tuple(replace(s, constraint="symmetric") if s is spec else s for s in claim.symbols)
    return f"holds when {spec.name} is symmetric" if _verify(replace(claim, symbols=symbols), settings) else None


def _region(entries) -> str | None:
    """For a kinked claim: the branches on which it holds, when that is some but not all of them."""
    kinks = Kinks.find(*entries)
    if not kinks or not kinks.switches:
        return None
    holding = [p for p in kinks.patterns() if all(is_zero(kinks.resolve(e, p)) for e in entries)]
    if not holding or len(holding) == 2 ** len(kinks.switches):
        return None
    signs = [" and ".join(_sign_text(s, v) for s, v in zip(kinks.switches, p)) for p in holding]
    branches = "the branch" if len(signs) == 1 else "the branches"
    return (f"holds only on {branches} where " + " or ".join(f"({s})" for s in signs[:3])
            + (" ..." if len(signs) > 3 else "") + " (not examined where a switch is exactly 0)")


def _sign_text(switch, sign) -> str:
    """`x > 0` rather than `-x < 0`."""
    if switch.could_extract_minus_sign():
        switch, sign = -switch, -sign
    return f"{switch} {'>' if sign > 0 else '<'} 0"


def _difference(residuals) -> str | None:
    instance, _, diff = residuals
    try:
        simple = _simplified(diff)
    except SYMPY_ERRORS:
        return None
    parts = flat(simple)
    if all(sp.count_ops(p) <= SIMPLE_OPS for p in parts) and any(p != 0 for p in parts):
        return _at(instance) + sp.latex(simple, symbol_names=_entry_names(simple))
    return None


def _correct_statement(claim: Claim, repairs, form=None) -> tuple[str | None, str | None, str | None]:
    """(LaTeX, how it was found, expression text).  A verified repair gives the statement in matrix form
    (the first proved repair, else the first repair); without one, the shortest verified form in the
    claim's own terms (forms.py); without that, the entries of the left side at the smallest shape, and
    only when they are short."""
    lhs = claim.steps[0]
    left = to_text(lhs, _generic(claim)) or lhs.text
    if form is not None:
        side, verified_by = form
        return (f"{to_latex(lhs)} = {to_latex(side)}",
                f"the shortest form found in the claim's own terms, verified by {verified_by}",
                f"{left} = {_expression(side, claim)}")
    if not any(n.op in ("grad", "jacobian", "diff") for n in lhs.walk()):
        return None, None, None
    repairs = [r for r in repairs if r.latex != to_latex(lhs)]   # "a = a" is no statement
    if repairs:
        best = next((r for r in repairs if r.verified_by == "symbolic proof"), repairs[0])
        return (f"{to_latex(lhs)} = {best.latex}", f"the repair `{best.description}`, verified by {best.verified_by}",
                f"{left} = {best.expression}")
    try:
        instance = _first_instance(claim)
        if instance is None:
            return None, None, None
        value = instance.evaluator()(lhs)
        if not _small(flat(value)):
            return None, None, None
        simple = _simplified(value)
        if sum(sp.count_ops(p) for p in flat(simple)) <= SIMPLE_OPS * 4:
            return (f"{to_latex(lhs)} = {sp.latex(simple, symbol_names=_entry_names(simple))}",
                    f"entry by entry at {_shape_words(instance)} (sympy)", None)
    except SYMPY_ERRORS:
        pass
    return None, None, None


_ENTRY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\[(\d+)(?:,(\d+))?\]$")


def _entry_names(value) -> dict:
    """LaTeX for the concrete engine's entry symbols as the claim writes names: theta[1] -> \\theta_{1},
    W1[0,2] -> {W_{1}}_{0,2} (sympy would print the raw `theta[1]`)."""
    names = {}
    for symbol in set().union(*(p.free_symbols for p in flat(value))):
        match = _ENTRY.match(symbol.name)
        if match:
            base, i, j = match.groups()
            names[symbol] = f"{{{render_name(base)}}}_{{{i}{',' + j if j else ''}}}"
    return names


def _at(instance) -> str:
    return rf"\text{{at }} {_shape_words(instance)}:\; "


def _shape_words(instance) -> str:
    parts = [f"{k}={v}" for k, v in {**instance.dims, **instance.indices}.items()]
    return ", ".join(parts) or "scalars"
