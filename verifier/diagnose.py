"""Explain a wrong claim, with evidence only.

For a refuted or ill-typed claim: the first wrong step (chains), the repairs of
the claimed side that make it verify (each re-verified like any claim, and the
report says by which engine), a side condition under which it would hold, the
correct statement, and the difference of the two sides when it is simple.
Nothing is shown that was not checked: a claim no repair fixes gets none.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from fractions import Fraction

import numpy as np
import sympy as sp

from .errors import EvaluationError, ShapeError, VerifierError
from .latex import to_latex
from .model import FAILING, PASSING, Claim, Diagnosis, Repair
from .numeric import FLOAT, ArrayEvaluator, NotChecked
from .plan import Settings as PlanSettings, make_plan, symbolic_assignments as make_assignments
from .points import draw_values
from .proof import Kinks
from .zero_test import is_zero
from .repairs import REPAIRS, Factor, make_factor
from .sampling import make_rng
from .shapes import ShapeEnv, check_claim_shapes, infer_shape
from .symbolic import Instance, concrete_shape, flat, index_cases

MAX_VERIFIED = 8          # repaired claims re-verified in full (the numeric pre-filter picks them)
MAX_TRIED = 200           # candidates type-checked and pre-filtered, at most
SHOWN_REPAIRS = 3         # repairs listed in a report
SIMPLE_OPS = 40           # a difference or a correct entrywise formula is shown when this small
PREFILTER_POINTS = 2      # float points a candidate must match before it is verified
LARGE_OPS = 400           # residuals larger than this are not reasoned about (bounds every sympy call)
SIMPLIFY_OPS = LARGE_OPS  # an entry is given to sympy's simplify only when this small

# The ratio lhs/rhs is measured at the claim's small shapes and at one more, whose sizes are distinct primes,
# so that a factor depending on the dimensions (1/(m n) is 1/6 at both m=2,n=3 and m=3,n=2) cannot pass for
# a constant; the factor is then fitted as c * (product of dimensions and scalar symbols to small powers).
RATIO_PRIMES = (5, 7, 11, 13, 17, 19)
RATIO_MAX_ENTRIES = 2000  # entries per array at the prime shape, else it is skipped
DIM_POWERS = (-2, -1, 0, 1, 2)
SCALAR_POWERS = (-1, 0, 1)
MAX_FACTOR_VARIABLES = 5  # dimensions and scalar symbols a factor may be built from
SHOWN_FACTORS = 2         # fitted factors offered as repairs


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
        condition = _guarded(_side_condition, pair, residuals, default=None)
        difference = _guarded(_difference, residuals, default=None)
    correct, how = _guarded(_correct_statement, pair, repairs, default=(None, None))
    return Diagnosis(step=step, summary=_summary(claim, step, repairs, condition), repairs=repairs,
                     side_condition=condition, correct_statement=correct, correct_how=how,
                     difference=difference)


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
    return "; ".join(parts) or "no single repair verifies"


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
    wrong = pair.steps[1]
    points = _guarded(_points, pair, settings.seed, default=[])
    factors = _guarded(_factors, pair, settings.seed, default=[])
    found, seen, tried, verified = [], {wrong}, 0, 0
    for kind, make in REPAIRS.items():
        for description, side in _candidates(make, wrong, pair, factors if kind == "factor" else None):
            if verified >= MAX_VERIFIED or tried >= MAX_TRIED:
                return tuple(found[:SHOWN_REPAIRS])
            if side in seen:           # the refuted side itself, or a candidate already tried (same tree)
                continue
            seen.add(side)
            tried += 1
            repaired = replace(pair, steps=(pair.steps[0], side))
            if not _type_checks(repaired) or not _matches(repaired, points):
                continue
            verified += 1
            how = _verify(repaired, settings)
            if how:
                found.append(Repair(kind, description, side.text or to_latex(side), to_latex(side), how))
    return tuple(found[:SHOWN_REPAIRS])


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


def _points(claim: Claim, seed: int, dims: dict | None = None, salt: str = "diagnose") -> list:
    """A few float points (at the smallest shape unless `dims`), with the function standing in for f."""
    dims = make_assignments(claim)[0] if dims is None else dims
    plan = make_plan(claim, PlanSettings(seed=seed))
    rng = np.random.default_rng(make_rng(seed, plan.key, salt, tuple(sorted(dims.items()))).getrandbits(64))
    cases = index_cases(claim, dims)[:PREFILTER_POINTS]
    function = plan.functions[0]
    return [(draw_values(claim, dims, cases[k % len(cases)], rng, "box"), function) for k in range(PREFILTER_POINTS)]


def _sides(claim: Claim, point):
    values, function = point
    ev = ArrayEvaluator(claim, values, FLOAT, function)
    with np.errstate(all="ignore"):
        return (np.ravel(np.asarray(ev(claim.steps[0]), dtype=float)),
                np.ravel(np.asarray(ev(claim.steps[1]), dtype=float)))


def _inside(claim: Claim, point) -> bool:
    return claim.where is None or bool(ArrayEvaluator(claim, point[0], FLOAT, point[1])(claim.where))


NUMERIC_ERRORS = (EvaluationError, NotChecked, ValueError, ZeroDivisionError, FloatingPointError, TypeError,
                  IndexError, OverflowError)


def _matches(claim: Claim, points) -> bool:
    """Cheap float filter: the repaired side agrees with the other side at a couple of points."""
    try:
        for point in points:
            if not _inside(claim, point):
                continue
            left, right = _sides(claim, point)
            if left.shape != right.shape:
                return False
            if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right))):
                continue               # outside a function's domain (log det X with det X < 0): no evidence
            if not np.allclose(left, right, rtol=1e-6, atol=1e-8):
                return False
        return True
    except NUMERIC_ERRORS:
        return False


def _factors(claim: Claim, seed: int) -> list[Factor]:
    """Factors c * m^a n^b ... T^e with lhs = factor * rhs at every shape and point tried: a lost 2, 1/N,
    1/(m n) or temperature.  Simplest first; empty when the ratio is not of that form."""
    samples = []               # (values at the point, lhs / rhs there)
    for dims in _ratio_shapes(claim):
        for point in _points(claim, seed, dims, "diagnose-ratio"):
            if not _inside(claim, point):
                continue
            try:
                left, right = _sides(claim, point)
            except NUMERIC_ERRORS:
                return []
            if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right))):
                continue               # outside a function's domain
            ratio = _entry_ratio(left, right)
            if ratio is None:
                return []
            samples.append((point[0], ratio))
    if not samples:
        return []
    names = _factor_names(claim)
    powers = [DIM_POWERS if n in claim.dims else SCALAR_POWERS for n in names]
    fits = []
    for exponents in itertools.product(*powers):
        constant = _fit_constant(samples, names, exponents)
        if constant is not None and not (constant == 1 and not any(exponents)):
            fits.append((sum(map(abs, exponents)), constant.denominator + abs(constant.numerator),
                         exponents, constant))
    fits.sort(key=lambda f: f[:2])
    return [make_factor(constant, dict(zip(names, exponents))) for _, _, exponents, constant in
            fits[:SHOWN_FACTORS]]


def _factor_names(claim: Claim) -> list[str]:
    """What a fitted factor may be built from: the dimensions, then scalar symbols (a temperature).  None
    for a constant side: "½ should be 2θ·½" says less than the correct statement does."""
    if not claim.steps[1].names():
        return []
    names = list(claim.dims)
    scalars = [s.name for s in claim.symbols if s.kind in ("positive", "real")]
    names += scalars[:max(0, MAX_FACTOR_VARIABLES - len(names))]
    return names if len(names) <= MAX_FACTOR_VARIABLES else []


def _ratio_shapes(claim: Claim) -> list[dict]:
    shapes = make_assignments(claim)
    dims = claim.dims
    if dims and len(dims) <= len(RATIO_PRIMES):
        primes = dict(zip(dims, RATIO_PRIMES))
        sizes = [np.prod(concrete_shape(s.shape, primes)) for s in claim.symbols if s.shape]
        if max(sizes, default=0) <= RATIO_MAX_ENTRIES:
            shapes.append(primes)
    return shapes


def _entry_ratio(left, right) -> float | None:
    """lhs / rhs when it is one number at every entry (and lhs is 0 wherever rhs is)."""
    if left.shape != right.shape:
        return None
    scale = max(np.max(np.abs(right), initial=0.0), 1e-300)
    mask = np.abs(right) > 1e-9 * scale
    if not mask.any() or np.any(np.abs(left[~mask]) > 1e-7 * max(np.max(np.abs(left)), 1e-300)):
        return None
    ratios = left[mask] / right[mask]
    if ratios[0] == 0 or not np.allclose(ratios, ratios[0], rtol=1e-6, atol=0):
        return None
    return float(ratios[0])


def _fit_constant(samples, names, exponents) -> Fraction | None:
    """c with ratio = c * prod(value ** exponent) at every sample, when it is one simple fraction."""
    constants = []
    for values, ratio in samples:
        monomial = 1.0
        for name, e in zip(names, exponents):
            if e:
                value = float(values[name])
                if value == 0:
                    return None
                monomial *= value ** e
        constants.append(ratio / monomial)
    if not np.allclose(constants, constants[0], rtol=1e-6, atol=0):
        return None
    constant = Fraction(constants[0]).limit_denominator(1000)
    if constant == 0 or abs(float(constant) - constants[0]) > 1e-7 * abs(constants[0]):
        return None
    return constant


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
    """(instance, entries, lhs - rhs) at the smallest shape and its first index case, or None when the
    residual is too large to reason about (the bound keeps the diagnosis deterministic)."""
    try:
        dims = make_assignments(claim)[0]
        instance = Instance.make(claim, dims, index_cases(claim, dims)[0])
        ev = instance.evaluator()
        diff = ev(claim.steps[0]) - ev(claim.steps[1])
        entries = flat(diff)
        return (instance, entries, diff) if _small(entries) else None
    except SYMPY_ERRORS:
        return None


def _small(entries) -> bool:
    return sum(sp.count_ops(e) for e in entries) <= LARGE_OPS


def _simplified(value):
    """sympy's simplify on each entry small enough for it; larger entries are left as they are."""
    def simplify(e):
        return sp.simplify(e) if sp.count_ops(e) <= SIMPLIFY_OPS else e
    return value.applyfunc(simplify) if isinstance(value, sp.MatrixBase) else simplify(value)


def _side_condition(claim: Claim, residuals) -> str | None:
    instance, entries, _ = residuals
    try:
        for spec in claim.symbols:
            if spec.kind != "vector":
                continue
            value = list(instance.bindings[spec.name])
            closing = {value[-1]: 1 - sum(value[:-1])}
            if all(is_zero(e.xreplace(closing)) for e in entries):
                return f"holds when sum({spec.name}) = 1"
        return _region(entries)
    except SYMPY_ERRORS:
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
        simple = _simplified(diff)
    except SYMPY_ERRORS:
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
        dims = make_assignments(claim)[0]
        instance = Instance.make(claim, dims, index_cases(claim, dims)[0])
        value = instance.evaluator()(lhs)
        if not _small(flat(value)):
            return None, None
        simple = _simplified(value)
        if sum(sp.count_ops(p) for p in flat(simple)) <= SIMPLE_OPS * 4:
            return (f"{to_latex(lhs)} = {sp.latex(simple)}",
                    f"entry by entry at {_shape_words(instance)} (sympy)")
    except SYMPY_ERRORS:
        pass
    return None, None


def _at(instance) -> str:
    return rf"\text{{at }} {_shape_words(instance)}:\; "


def _shape_words(instance) -> str:
    parts = [f"{k}={v}" for k, v in {**instance.dims, **instance.indices}.items()]
    return ", ".join(parts) or "scalars"
