"""Float evidence for the repair search: a few points at the claim's small shapes, the cheap filter a
candidate must pass before it is verified, and the fit of a lost factor c * m^a n^b ... T^e from the ratio
lhs / rhs.  Nothing here decides a repair: a candidate that passes is verified like any claim."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from .errors import EvaluationError
from .model import Claim
from .numeric import FLOAT, ArrayEvaluator, NotChecked
from .plan import Settings as PlanSettings, make_plan, symbolic_assignments as make_assignments
from .points import draw_values
from .repairs import Factor, make_factor
from .sampling import make_rng
from .symbolic import concrete_shape, index_cases

PREFILTER_POINTS = 2      # float points a candidate must match before it is verified
CHECK_POINTS = 4          # then at each small shape, before it is verified

# The ratio lhs/rhs is measured at the claim's small shapes and at one more, whose sizes are distinct primes,
# so that a factor depending on the dimensions (1/(m n) is 1/6 at both m=2,n=3 and m=3,n=2) cannot pass for
# a constant; the factor is then fitted as c * (product of dimensions and scalar symbols to small powers).
RATIO_PRIMES = (5, 7, 11, 13, 17, 19)
RATIO_MAX_ENTRIES = 2000  # entries per array at the prime shape, else it is skipped
DIM_POWERS = (-2, -1, 0, 1, 2)
SCALAR_POWERS = (-1, 0, 1)
MAX_FACTOR_VARIABLES = 5  # dimensions and scalar symbols a factor may be built from
SHOWN_FACTORS = 2         # fitted factors offered as repairs


def points(claim: Claim, seed: int, dims: dict | None = None, salt: str = "diagnose",
           count: int = PREFILTER_POINTS) -> list:
    """A few float points (at the smallest shape unless `dims`), with the function standing in for f."""
    dims = make_assignments(claim)[0] if dims is None else dims
    plan = make_plan(claim, PlanSettings(seed=seed))
    rng = np.random.default_rng(make_rng(seed, plan.key, salt, tuple(sorted(dims.items()))).getrandbits(64))
    cases = index_cases(claim, dims)[:count]
    function = plan.functions[0]
    return [(draw_values(claim, dims, cases[k % len(cases)], rng, "box"), function) for k in range(count)]


def more_points(claim: Claim, seed: int) -> list:
    """The second, stricter filter, for candidates that passed the first: CHECK_POINTS points at each of
    the claim's small shapes and at the shape of distinct primes (where 1/(m n) is not 1/6), when that is
    small.  A float evaluation costs far less than verifying a claim."""
    return [p for dims in _ratio_shapes(claim) for p in points(claim, seed, dims, "diagnose-check", CHECK_POINTS)]


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


def matches(claim: Claim, points) -> bool:
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


def same_values(claim: Claim, refuted: Claim, points) -> bool:
    """Whether a repaired side has the refuted side's values at every point (both finite there): when the
    refuted side passes the filter (a claim wrong on one branch of a kink only), a candidate that agrees
    with it everywhere the filter looked is no evidence of a repair, and is not worth verifying."""
    try:
        seen = False
        for point in points:
            new, old = _sides(claim, point)[1], _sides(refuted, point)[1]
            if new.shape != old.shape or not (np.all(np.isfinite(new)) and np.all(np.isfinite(old))):
                return False
            if not np.allclose(new, old, rtol=1e-6, atol=1e-8):   # the filter's own tolerance
                return False
            seen = True
        return seen
    except NUMERIC_ERRORS:
        return False


def factors(claim: Claim, seed: int) -> list[Factor]:
    """Factors c * m^a n^b ... T^e with lhs = factor * rhs at every shape and point tried: a lost 2, 1/N,
    1/(m n) or temperature.  Simplest first; empty when the ratio is not of that form."""
    samples = []               # (values at the point, lhs / rhs there)
    for dims in _ratio_shapes(claim):
        for point in points(claim, seed, dims, "diagnose-ratio"):
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
