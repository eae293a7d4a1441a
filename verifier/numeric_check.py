"""The numeric cross-check: NumPy evaluation and finite differences at seeded random points.

For every equals sign (or inequality) of a claim, at the symbolic back end's
small shapes and at one large shape, for each concrete stand-in of a generic
function, at several random points:

- small sides are compared entry by entry (full Jacobians by central differences);
  large ones through random rank-one projections u^T (side) v, where a derivative
  costs two forward passes whatever its size (u^T J v is a directional derivative);
- every side is computed twice, with the difference step h and with 2h; their gap
  estimates the finite-difference error, and the tolerance is built from it;
- a disagreement beyond tolerance is computed again with mpmath at 50 digits
  (steps of about 1e-18, so derivatives good to about 30 digits) before it counts.
  If the re-check agrees, the float mismatch was noise and is recorded as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from .counterexample import SHOWN_ENTRIES
from .errors import EvaluationError
from .functions import KINKED
from .model import Claim, Counterexample, EntryValue
from .numeric import FLOAT, MP, ArrayEvaluator, NotChecked, _is_array, contains_derivative
from .proof import function_choices
from .sampling import make_assignments, make_rng
from .shapes import ShapeEnv, entry_label, infer_shape
from .symbolic import concrete_shape, index_cases
from .symbolic_check import stated_tolerance
from .tree import Node

# Every number here with its reason (jax keeps its tolerances in one table the same way).
TOLERANCE = {
    "error_factor": 8.0,        # times the |D(h) - D(2h)| estimate: the h-result's error is about a third of it
    "rounding_floor": 64 * FLOAT.eps ** (2 / 3),  # central differences cannot resolve less, relative to the side
    "recheck_relative": 1e-15,  # a 50-digit re-check that still differs by more than this is a real difference
}
KINK_MARGIN = 1e-3          # points whose kink switch is closer than this to 0 are rejected
FULL_LIMIT = 128            # entries of a side (and of each derivative variable) compared one by one
DIRECTIONS = 3              # random rank-one projections per point at large shapes
LARGE_INDEX_CASES = 3       # index assignments sampled at a large shape
MAX_ENUMERATED_CASES = 36   # up to this many index assignments are all tried (the small shapes)
ATTEMPTS_PER_POINT = 30     # draws per wanted point before the region is called too thin


class TooExpensive(Exception):
    """A nested derivative would need a full finite-difference Jacobian at a large shape."""


@dataclass
class StepNumeric:
    index: int
    compared: int = 0
    max_relative: float = 0.0
    rechecked: int = 0
    noise_resolved: int = 0
    counterexample: Counterexample | None = None


@dataclass
class NumericOutcome:
    steps: list
    shapes: list = field(default_factory=list)
    modes: list = field(default_factory=list)
    functions: tuple = ()
    points: int = 0
    notes: list = field(default_factory=list)

    @property
    def counterexample(self):
        return next((s.counterexample for s in self.steps if s.counterexample), None)


def large_assignment(claim: Claim, size: int) -> dict:
    return {d: size + i for i, d in enumerate(claim.dims)}


def check_numeric(claim: Claim, *, seed: int, points: int, large: int, shapes=None) -> NumericOutcome:
    """Cross-check every step at the small shapes and at one large shape (or at `shapes`)."""
    env = ShapeEnv(claim)
    functions = tuple(function_choices(claim))
    outcome = NumericOutcome([StepNumeric(k) for k in range(1, len(claim.steps))],
                             functions=tuple(f for f in functions if f))
    if shapes is None:
        shapes = make_assignments(claim)
        if claim.dims and large:
            shapes = shapes + [large_assignment(claim, large)]
    for dims in shapes:
        big = _too_big(claim, env, dims)
        cases = index_cases_for(claim, dims, seed, sample=big)
        mode = "directional" if big and claim.relation == "=" else "full"  # inequalities hold entry by entry
        try:
            for indices in cases:
                for function in functions:
                    _check_points(claim, env, dims, indices, function, mode, seed, points, outcome)
        except TooExpensive as exc:
            outcome.notes.append(f"shape {dims} skipped: {exc}")
            continue
        except NotChecked as exc:
            outcome.notes.append(f"not checked numerically: {exc}")
            outcome.points = 0
            return outcome
        outcome.shapes.append(dims)
        outcome.modes.append(mode)
        if outcome.counterexample:
            break
    return outcome


def index_cases_for(claim, dims, seed, *, sample: bool):
    """Every index assignment at small shapes; a seeded sample of them at large ones."""
    specs = [s for s in claim.symbols if s.kind == "index"]
    total = int(np.prod([concrete_shape((s.dims[0],), dims)[0] for s in specs]))
    if not sample and total <= MAX_ENUMERATED_CASES:
        return index_cases(claim, dims)
    rng = make_rng(seed, claim.id, "index", tuple(sorted(dims.items())))
    return [{s.name: rng.randrange(concrete_shape((s.dims[0],), dims)[0]) for s in specs}
            for _ in range(LARGE_INDEX_CASES if specs else 1)]


def _too_big(claim, env, dims) -> bool:
    for step in claim.steps:
        shape = infer_shape(step, env)
        if shape and np.prod(concrete_shape(shape, dims)) > FULL_LIMIT:
            return True
    for name, shape in env.shapes.items():
        if shape and shape != ("bool",) and np.prod(concrete_shape(shape, dims)) > FULL_LIMIT:
            return True
    return False


# -- points ------------------------------------------------------------------------------

def draw_point(claim: Claim, dims: dict, indices: dict, rng: np.random.Generator) -> dict:
    """Float values per symbol, at scales where relative error means something: matrix entries
    scaled by 1/sqrt(columns) so that W x stays of order one at any width (no saturated sigmoid,
    no one-hot-like softmax)."""
    values = {d: float(v) for d, v in dims.items()}
    values["pi"] = float(np.pi)
    values.update({k: float(v) for k, v in indices.items()})
    for spec in claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        if spec.kind == "real":
            values[spec.name] = float(rng.uniform(-2, 2))
        elif spec.kind == "positive":
            values[spec.name] = float(rng.uniform(0.1, 3))
        else:
            rows, cols = concrete_shape(spec.shape, dims)
            if spec.kind == "probability":
                w = rng.uniform(0.25, 1, size=(rows, 1))
                values[spec.name] = w / w.sum()
            elif spec.kind == "onehot":
                values[spec.name] = np.zeros((rows, 1))
                values[spec.name][rng.integers(rows), 0] = 1.0
            elif spec.kind == "matrix":
                values[spec.name] = rng.uniform(-1, 1, size=(rows, cols)) * np.sqrt(3.0 / cols)
            else:
                values[spec.name] = rng.uniform(-2, 2, size=(rows, cols))
    return values


def kink_margin(ev: ArrayEvaluator, claim: Claim) -> float:
    """The smallest |switch| of any kink (Max, Abs, relu, Heaviside, ind...) at the point."""
    recorder = ArrayEvaluator(claim, ev.values, ev.ops, ev.function, record_kinks=True)
    trees = list(claim.steps) + [node for _, node in claim.lets]
    for tree in trees:
        for node in tree.walk():
            if (node.op == "call" and node.value in KINKED) or node.op == "ind":
                try:
                    recorder(node)
                except (EvaluationError, ValueError, ZeroDivisionError, FloatingPointError):
                    continue
    return min(recorder.kink_margins, default=np.inf)


def _check_points(claim, env, dims, indices, function, mode, seed, points, outcome):
    rng = np.random.default_rng(make_rng(seed, claim.id, "numeric", tuple(sorted(dims.items())),
                                         tuple(sorted(indices.items())), function).getrandbits(64))
    found = 0
    for attempt in range(points * ATTEMPTS_PER_POINT):
        if found >= points:
            return
        values = draw_point(claim, dims, indices, rng)
        ev = ArrayEvaluator(claim, values, FLOAT, function)
        if claim.where is not None and not ev(claim.where):
            if attempt == 0 and _decided_by_indices(claim):
                return  # the claim asserts nothing at these index values
            continue
        if kink_margin(ev, claim) < KINK_MARGIN:
            continue
        found += 1
        outcome.points += 1
        directions = _directions(claim, env, dims, rng) if mode == "directional" else None
        for state in outcome.steps:
            if state.counterexample is None:
                _compare_step(claim, env, state, values, function, directions, dims, indices, seed)
    if found < points:
        raise EvaluationError(f"could not generate enough valid points at {dims} "
                              f"({found} of {points}): the `where` region is empty or too thin")


def _decided_by_indices(claim) -> bool:
    """Whether `where` reads only index symbols and dimensions (so one point decides it)."""
    fixed = {s.name for s in claim.symbols if s.kind == "index"} | set(claim.dims)
    return claim.where.names() <= fixed


def _directions(claim, env, dims, rng):
    """Unit vectors u, v per side shape, shared by both sides of every equals sign."""
    shape = concrete_shape(infer_shape(claim.steps[0], env), dims) or (1, 1)
    pairs = []
    for _ in range(DIRECTIONS):
        u = rng.standard_normal((shape[0], 1))
        v = rng.standard_normal((shape[1], 1))
        pairs.append((u / np.linalg.norm(u), v / np.linalg.norm(v)))
    return pairs


# -- comparing two sides -------------------------------------------------------------------

def side_values(ev: ArrayEvaluator, node: Node, env, directions) -> np.ndarray:
    """The side's entries (full mode) or its projections u^T side v (directional mode)."""
    if directions is None:
        value = ev(node)
        return np.ravel(np.asarray(value, dtype=object if ev.ops is MP else float))
    return np.array([project(ev, node, env, u, v) for u, v in directions],
                    dtype=object if ev.ops is MP else float)


def _compare_step(claim, env, state, values, function, directions, dims, indices, seed):
    a, b = claim.steps[state.index - 1], claim.steps[state.index]
    evs = [ArrayEvaluator(claim, values, FLOAT, function, step_scale=s) for s in (1, 2)]
    with np.errstate(all="ignore"):
        L1, L2 = (side_values(ev, a, env, directions) for ev in evs)
        R1, R2 = (side_values(ev, b, env, directions) for ev in evs)
    if not (np.all(np.isfinite(L1)) and np.all(np.isfinite(R1))):
        return
    scale = max(float(np.max(np.abs(L1), initial=0)), float(np.max(np.abs(R1), initial=0)))
    error = np.abs(L1 - L2) + np.abs(R1 - R2)
    tol = TOLERANCE["error_factor"] * error + TOLERANCE["rounding_floor"] * scale
    tol = tol + float(stated_tolerance(a, b))
    diff = L1 - R1
    bad = _violates(diff, tol, claim.relation)
    state.compared += 1
    if not bad.any():
        if claim.relation == "=":
            state.max_relative = max(state.max_relative, float(np.max(np.abs(diff))) / scale if scale else 0.0)
        return
    state.rechecked += 1
    confirmed = recheck(claim, env, a, b, values, function, directions, stated_tolerance(a, b))
    if confirmed is None:
        state.noise_resolved += 1
        return
    state.counterexample = _make_counterexample(state.index, dims, indices, values, claim, function,
                                                confirmed, directions, seed)


def _violates(diff, tol, relation):
    if relation == "=":
        return np.abs(diff) > tol
    if relation in ("<", "<="):
        return diff > tol
    return diff < -tol


def recheck(claim, env, a, b, values, function, directions, stated) -> list | None:
    """The disagreeing entries at 50 digits, or None when the 50-digit values agree."""
    with mpmath.workdps(MP.DIGITS):
        mp_values = {k: (MP.array(v, v.shape) if isinstance(v, np.ndarray) else mpmath.mpf(v))
                     for k, v in values.items()}
        return _recheck_values(claim, env, a, b, mp_values, function, stated, directions)


def _recheck_values(claim, env, a, b, mp_values, function, stated, directions=None) -> list | None:
    """Compare two sides with the mpmath evaluator (call inside mpmath.workdps)."""
    ev = ArrayEvaluator(claim, mp_values, MP, function)
    L, R = side_values(ev, a, env, directions), side_values(ev, b, env, directions)
    scale = max([abs(x) for x in np.ravel(L)] + [abs(x) for x in np.ravel(R)] + [mpmath.mpf(0)])
    limit = TOLERANCE["recheck_relative"] * scale + mpmath.mpf(stated.numerator) / stated.denominator
    bad = []
    for k, (x, y) in enumerate(zip(np.ravel(L), np.ravel(R))):
        d = x - y
        wrong = abs(d) > limit if claim.relation == "=" else (
            d > limit if claim.relation in ("<", "<=") else d < -limit)
        strict_tie = claim.relation in ("<", ">") and abs(d) <= limit
        if wrong or strict_tie:
            bad.append((k, x, y, abs(d) / scale if scale else mpmath.mpf(0)))
    return bad or None


def _make_counterexample(step, dims, indices, values, claim, function, bad, directions, seed):
    bad.sort(key=lambda t: -t[3])
    side_shape = concrete_shape(infer_shape(claim.steps[0], ShapeEnv(claim)), dims)
    entries = []
    for k, x, y, rel in bad[:SHOWN_ENTRIES]:
        label = f"u{k + 1}^T (side) v{k + 1}" if directions is not None else entry_label(k, side_shape)
        entries.append(EntryValue(label, mpmath.nstr(x, 12), mpmath.nstr(y, 12), mpmath.nstr(rel, 3)))
    point = {s.name: _show(values[s.name]) for s in claim.symbols if s.kind not in ("index", "function")}
    return Counterexample(step=step, shape=dict(dims), indices=dict(indices), point=point,
                          entries=tuple(entries), seed=seed, function=function)


def _show(value):
    if isinstance(value, np.ndarray):
        if value.size > 16:
            return f"({value.shape[0]}x{value.shape[1]} array: reproduce with the seed)"
        return [[repr(float(x)) for x in row] for row in value]
    return repr(float(value))


# -- projections: derivatives along one direction cost two forward passes ---------------------

def project(ev: ArrayEvaluator, node: Node, env, u, v):
    """u^T value(node) v (value(node) for a scalar), without building whole Jacobians."""
    if not contains_derivative(node):
        return _inner(ev(node), u, v)
    op = node.op
    if op in ("add", "sub"):
        parts = [_project_part(ev, arg, env, u, v) for arg in node.args]
        return parts[0] + parts[1] if op == "add" else parts[0] - parts[1]
    if op == "neg":
        return -project(ev, node.args[0], env, u, v)
    if op == "T":
        return project(ev, node.args[0], env, v, u)
    if op in ("mul", "matmul", "div"):
        return _project_product(ev, node, env, u, v)
    if op == "grad":
        body, var = node.args
        direction = u @ v.T if _is_array(ev(var)) else 1.0
        return _along(ev, var, direction, lambda e: e(body))
    if op == "diff" and node.value == 1:
        body, var = node.args
        return _along(ev, var, 1.0, lambda e: project(e, body, env, u, v))
    if op == "jacobian":
        y, var = node.args
        x = ev(var)
        direction = v.reshape(x.shape) if _is_array(x) else 1.0
        return _along(ev, var, direction, lambda e: _inner_flat(e(y), u))
    return _full(ev, node, u, v)


def _project_part(ev, arg, env, u, v):
    """One operand of a sum: a scalar added to an array counts once per entry of u v^T."""
    if infer_shape(arg, env):
        return project(ev, arg, env, u, v)
    one = np.ones((1, 1))
    return project(ev, arg, env, one, one) * (np.sum(u) * np.sum(v))


def _project_product(ev, node, env, u, v):
    left, right = node.args
    if node.op == "div":
        if contains_derivative(right):
            return _full(ev, node, u, v)
        return project(ev, left, env, u, v) / ev(right)
    ls, rs = infer_shape(left, env), infer_shape(right, env)
    if not ls and not contains_derivative(left):
        return ev(left) * project(ev, right, env, u, v)
    if not rs and not contains_derivative(right):
        return project(ev, left, env, u, v) * ev(right)
    if ls and rs and not contains_derivative(left):      # u^T A B v = (A^T u)^T B v
        return project(ev, right, env, ev(left).T @ u, v)
    if ls and rs and not contains_derivative(right):     # u^T A B v = u^T A (B v)
        return project(ev, left, env, u, ev(right) @ v)
    return _full(ev, node, u, v)


def _along(ev, var: Node, direction, g):
    """d/dt g(evaluator with var moved by t * direction), by a central difference."""
    name, entry, value = ev.variable(var)
    x = value[entry] if entry is not None else value
    h = ev.step(_max_abs(x))
    if entry is not None:
        direction = 1.0
    plus = g(ev.perturbed(name, value, entry, direction * h))
    minus = g(ev.perturbed(name, value, entry, -direction * h))
    return (plus - minus) / (2 * h)


def _full(ev, node, u, v):
    """A derivative inside a non-linear expression: build it whole (affordable at small sizes only)."""
    if ev.ops is FLOAT and _variable_sizes(ev, node) > FULL_LIMIT:
        raise TooExpensive(f"`{node.text}` nests a derivative inside a non-linear expression")
    return _inner(ev(node), u, v)


def _variable_sizes(ev, node) -> int:
    total = 0
    for n in node.walk():
        if n.op in ("grad", "jacobian", "diff"):
            value = ev(n.args[1])
            total += value.size if isinstance(value, np.ndarray) else 1
    return total


def _inner(value, u, v):
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return (u.T @ value @ v)[0, 0]
    return value


def _inner_flat(value, u):
    if isinstance(value, np.ndarray):
        return (np.ravel(u) @ np.ravel(value))
    return value * u[0, 0]


def _max_abs(x):
    if isinstance(x, np.ndarray):
        return float(np.max(np.abs(x))) if x.dtype != object else max(abs(e) for e in np.ravel(x))
    return abs(x)


# -- re-checking the symbolic engine's counterexample with the numeric one --------------------

def recheck_counterexample(claim: Claim, ce: Counterexample) -> str:
    """'differ' when the 50-digit finite differences confirm sympy's counterexample, else 'agree'."""
    values = {d: float(v) for d, v in ce.shape.items()}
    values["pi"] = float(np.pi)
    values.update({k: float(v) for k, v in ce.indices.items()})
    for name, shown in ce.point.items():
        if isinstance(shown, str):
            values[name] = _exact(shown)
        else:
            values[name] = np.array([[_exact(x) for x in row] for row in shown], dtype=object)
    a, b = claim.steps[ce.step - 1], claim.steps[ce.step]
    with mpmath.workdps(MP.DIGITS):
        mp_values = {k: v if isinstance(v, np.ndarray) else mpmath.mpf(v) for k, v in values.items()}
        bad = _recheck_values(claim, ShapeEnv(claim), a, b, mp_values, ce.function, stated_tolerance(a, b))
    return "differ" if bad else "agree"


def _exact(text: str):
    f = Fraction(text)
    return mpmath.mpf(f.numerator) / f.denominator
