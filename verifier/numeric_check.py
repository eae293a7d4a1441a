"""The numeric cross-check: float screening at many points, certification of every disagreement.

For every equals sign (or inequality) of a claim, at every shape of the plan
(the symbolic engine's small shapes, a medium one where every dimension is at
least 5, and a large one), every index case with every stand-in of a generic
function:

- points come from ``points`` (a box, a spread of scales from 1e-3 to 1e3, and
  points built on every branch of every kink and on each side of every `where`
  boundary);
- small sides are compared entry by entry (full Jacobians by central
  differences); large ones through random projections u^T (side) v, where a
  derivative costs two forward passes whatever its size;
- every side is computed with the difference step h and with 2h; the gap
  estimates the finite-difference error and the float tolerance is built from it;
- a float disagreement counts only when ``certify`` certifies it with interval
  arithmetic and exact derivatives; otherwise it was float noise.

Points where a side is not finite (outside a function's domain, overflow), where
a difference straddles a kink, or which the intervals cannot decide are not
compared; they are counted separately, and the report says how many points were
compared.  Too few compared points means no verdict from this engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .certify import certify
from .index_cases import index_cases_for
from .model import Counterexample, EntryValue
from .numeric import FLOAT, ArrayEvaluator, KinkCrossed, NotChecked, contains_derivative, is_array
from .plan import Plan, has_stated_precision, stated_band
from .points import draw_points
from .shapes import entry_label, infer_shape, shape_text
from .symbolic import concrete_shape
from .tree import Node

# Every number here with its reason (jax keeps its tolerances in one table the same way).
TOLERANCE = {
    "error_factor": 8.0,        # times the |D(h) - D(2h)| estimate: the h-result's error is about a third of it
    "rounding_floor": 64 * FLOAT.eps ** (2 / 3),  # central differences cannot resolve less, relative to the side
    "informative": 1e-6,        # an entry whose error estimate exceeds this (relative) goes to exact certification
}
DIRECTIONS = 3              # random rank-one projections per point at large shapes
MIN_COMPARED = 8            # comparisons per step below which the numbers decide nothing
MAX_CERTIFICATIONS = 10_000 # float disagreements certified per step in full mode: cheap (one exact pass per
                            # entry), and certifying every one keeps the counts independent of float noise
LARGE_CERTIFICATIONS = 2    # at projected (large) shapes, where one costs seconds
AGREEMENT_CERTIFICATIONS = 64  # float agreements per step kept for `certify_agreement` (full mode only)
MIN_POINTS = 16             # regular points per claim at least, spread over its shapes and stand-ins
SHOWN_ENTRIES = 4           # worst entries shown in a counterexample


class TooExpensive(Exception):
    """A nested derivative would need a full finite-difference Jacobian at a large shape."""


@dataclass
class StepNumeric:
    index: int
    compared: int = 0
    max_relative: float = 0.0
    certified_noise: int = 0     # float disagreements that the intervals showed to be no difference
    counterexample: Counterexample | None = None
    certifications: int = 0
    large_certifications: int = 0
    near_ties: int = 0           # strict inequalities whose sides met within float resolution
    agreed: list = field(default_factory=list)   # (dims, indices, values, stand-in) of float agreements


@dataclass
class NumericOutcome:
    steps: list
    shapes: list = field(default_factory=list)
    modes: list = field(default_factory=list)
    functions: tuple = ()
    points: int = 0
    rejected: dict = field(default_factory=dict)   # reason -> points not compared
    notes: list = field(default_factory=list)
    unchecked: bool = False                         # something the numeric engine does not evaluate

    @property
    def counterexample(self):
        return next((s.counterexample for s in self.steps if s.counterexample), None)

    def reject(self, reason: str):
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def enough(self) -> bool:
        return not self.unchecked and all(s.compared >= MIN_COMPARED for s in self.steps)


def check_numeric(plan: Plan, *, shapes=None) -> NumericOutcome:
    """Cross-check every step at the plan's shapes (or at `shapes`: (dims, mode) pairs)."""
    claim = plan.claim
    outcome = NumericOutcome([StepNumeric(k) for k in range(1, len(claim.steps))],
                             functions=tuple(f for f in plan.functions if f))
    for dims, mode in (plan.numeric_shapes if shapes is None else shapes):
        cases = index_cases_for(plan, dims, sample=mode == "directional")
        try:
            for indices, function in _combinations(plan, dims, cases):
                _check_points(plan, dims, indices, function, mode, outcome)
        except TooExpensive as exc:
            outcome.notes.append(f"shape {shape_text(dims)} not compared: {exc}")
            continue
        except NotChecked as exc:
            outcome.notes.append(f"not checked numerically: {exc}")
            outcome.unchecked = True
            return outcome
        outcome.shapes.append(dims)
        outcome.modes.append(mode)
        if outcome.counterexample:
            break
    return outcome


def _combinations(plan: Plan, dims, cases):
    """(index values, stand-in) pairs to try at one shape: every index case with every stand-in (a claim
    can be wrong only at one index value and only for a stand-in that is not odd: pairing them in turn
    missed such claims at the medium shape)."""
    return [(indices, function) for indices in cases for function in plan.functions]


def _check_points(plan, dims, indices, function, mode, outcome):
    claim = plan.claim
    if claim.where is not None and _decided_by_indices(claim):
        probe = dict(dims) | dict(indices)
        if not ArrayEvaluator(claim, {k: float(v) for k, v in probe.items()}, FLOAT, function)(claim.where):
            return  # the claim asserts nothing at these index values
    full = mode == "full"
    for values, rng, tie in draw_points(plan, dims, indices, function, wanted=_wanted(plan), spread=full):
        outcome.points += 1
        directions = _directions(plan, dims, rng) if mode == "directional" else None
        for state in outcome.steps:
            if state.counterexample is None:
                reason = _compare_step(plan, state, values, function, directions, dims, indices)
                if reason:
                    outcome.reject(reason)
                elif tie and claim.relation in ("<", ">") and state.counterexample is None:
                    state.near_ties += 1   # the sides touch here to float resolution: a tie is not excluded


def _wanted(plan) -> int:
    """Regular points per shape, index values and stand-in: the setting, or more when the claim has so
    few shapes and stand-ins that MIN_POINTS would not be reached."""
    combos = len(plan.numeric_shapes) * len(plan.functions)
    return max(plan.settings.points, -(-MIN_POINTS // combos))


def _decided_by_indices(claim) -> bool:
    """Whether `where` reads only index symbols and dimensions (so it is decided before any point)."""
    fixed = {s.name for s in claim.symbols if s.kind == "index"} | set(claim.dims)
    return claim.where.names() <= fixed


def _directions(plan, dims, rng):
    """Unit vectors u, v per side shape, shared by both sides of every equals sign."""
    shape = concrete_shape(infer_shape(plan.claim.steps[0], plan.env), dims) or (1, 1)
    pairs = []
    for _ in range(DIRECTIONS):
        u = rng.standard_normal((shape[0], 1))
        v = rng.standard_normal((shape[1], 1))
        pairs.append((u / np.linalg.norm(u), v / np.linalg.norm(v)))
    return pairs


# -- comparing two sides -------------------------------------------------------------------

def side_values(ev: ArrayEvaluator, node: Node, env, directions) -> np.ndarray:
    """The side's entries (full mode) or its projections u^T side v (directional mode)."""
    dtype = object if ev.ops.exact_derivatives else float
    if directions is None:
        value = ev(node)
        return np.ravel(np.asarray(value, dtype=dtype)) if isinstance(value, np.ndarray) else \
            np.array([value], dtype=dtype)
    return np.array([project(ev, node, env, u, v) for u, v in directions], dtype=dtype)


def _compare_step(plan, state, values, function, directions, dims, indices) -> str | None:
    """Compare one step at one point; the reason when the point could not be compared."""
    claim = plan.claim
    a, b = claim.steps[state.index - 1], claim.steps[state.index]
    evs = [ArrayEvaluator(claim, values, FLOAT, function, step_scale=s) for s in (1, 2)]
    try:
        with np.errstate(all="ignore"):
            L1, L2 = (side_values(ev, a, plan.env, directions) for ev in evs)
            R1, R2 = (side_values(ev, b, plan.env, directions) for ev in evs)
    except KinkCrossed:
        return "a difference step straddles a kink"
    except (ZeroDivisionError, FloatingPointError, ValueError, OverflowError, np.linalg.LinAlgError):
        return "outside a function's domain"
    if not all(np.all(np.isfinite(x)) for x in (L1, L2, R1, R2)):
        return "not finite (outside a function's domain, or overflow)"
    scale = max(float(np.max(np.abs(L1), initial=0)), float(np.max(np.abs(R1), initial=0)))
    error = np.abs(L1 - L2) + np.abs(R1 - R2)
    if directions is not None:  # large shapes: sums of many terms, whose rounding grows with their number
        scale = max(scale, _absolute_projection(evs[0], (a, b), directions)) * np.sqrt(_largest_array(plan, dims))
    tol = TOLERANCE["error_factor"] * error + TOLERANCE["rounding_floor"] * scale
    diff = (4 * (L1 - R1) - (L2 - R2)) / 3   # Richardson: the h and 2h results combined, error O(h^4)
    bad = _violates(diff, tol, claim.relation, _bands(a, b, len(diff), directions))
    if claim.relation == "=" and directions is None:
        bad |= error > TOLERANCE["informative"] * max(scale, 1.0)  # too imprecise to mean anything: certify
    if not bad.any():
        state.compared += 1
        if directions is None and len(state.agreed) < AGREEMENT_CERTIFICATIONS:
            state.agreed.append((dims, indices, values, function))
        tight = tol <= TOLERANCE["informative"] * scale   # only comparisons precise relative to the side
        if claim.relation == "=" and not has_stated_precision(a, b) and scale > 0 and tight.any():
            state.max_relative = max(state.max_relative, float(np.max(np.abs(diff[tight]))) / scale)
        return None
    budget = "certifications" if directions is None else "large_certifications"
    if getattr(state, budget) >= (MAX_CERTIFICATIONS if directions is None else LARGE_CERTIFICATIONS):
        return "float disagreement beyond the certification budget"
    setattr(state, budget, getattr(state, budget) + 1)
    units = None if directions is not None else _unit_projections(plan, a, b, dims, bad)
    certificate = certify(plan, state.index, values, function, directions or (units and units[0]))
    if certificate.status == "differs":
        state.compared += 1
        state.counterexample = make_counterexample(plan, state.index, dims, indices, values, function,
                                                   certificate, directions, units and units[1])
        return None
    if certificate.status == "agrees":
        state.compared += 1
        state.certified_noise += 1
        return None
    return f"undecided by interval arithmetic ({certificate.reason})"


def certify_agreement(plan: Plan, outcome: NumericOutcome) -> int:
    """Certify the float agreements of a claim that no exact proof covers, at high precision.

    Floats cannot see a difference below their resolution: 1 - sigmoid(50) and 1 - tanh(21) are 0.0 in
    floats, so `sigmoid(x) >= 1` for 40 < x < 60 agreed at every point.  Interval arithmetic at the exact
    point sees it.  Work-bounded: the first AGREEMENT_CERTIFICATIONS agreements per step at full shapes, in
    the order they were drawn.  A certified difference becomes the step's counterexample; an agreement or
    an undecided point changes nothing.  Returns the number of points certified."""
    done = 0
    for state in outcome.steps:
        agreed, state.agreed = state.agreed, []
        if state.counterexample is not None:
            continue
        for dims, indices, values, function in agreed:
            done += 1
            certificate = certify(plan, state.index, values, function)
            if certificate.status == "differs":
                state.counterexample = make_counterexample(plan, state.index, dims, indices, values, function,
                                                           certificate, None)
                break
    return done


def _largest_array(plan, dims) -> int:
    sizes = [int(np.prod(concrete_shape(shape, dims))) for shape in plan.env.shapes.values()
             if shape and shape != ("bool",)]
    return max(sizes + [1])


def _absolute_projection(ev, sides, directions) -> float:
    """max |u|^T |side| |v| over the sides without derivatives: the size of the terms a projection sums,
    which its rounding error scales with (u^T side v itself may be small by cancellation)."""
    out = 0.0
    for node in sides:
        if contains_derivative(node):
            continue
        with np.errstate(all="ignore"):
            value = np.abs(np.asarray(ev(node), dtype=float))
        for u, v in directions:
            term = (np.abs(u).T @ value @ np.abs(v)).item() if value.ndim == 2 else float(value)
            if np.isfinite(term):
                out = max(out, term)
    return out


def _unit_projections(plan, a, b, dims, bad):
    """(e_i^T (side) e_j for the (at most three) disagreeing entries, their entry numbers): each costs one
    exact-derivative pass instead of the whole side.  None (whole sides) when a side states a precision
    per entry, or when a scalar side is compared with an array side."""
    shape = concrete_shape(infer_shape(a, plan.env), dims) or (1, 1)
    other = concrete_shape(infer_shape(b, plan.env), dims) or (1, 1)
    if has_stated_precision(a, b) or shape != other:
        return None
    out, entries = [], []
    for k in np.flatnonzero(bad)[:3]:
        u, v = np.zeros((shape[0], 1)), np.zeros((shape[1], 1))
        u[k // shape[1], 0] = v[k % shape[1], 0] = 1.0
        out.append((u, v))
        entries.append(int(k))
    return out, entries


def _bands(a, b, n, directions):
    if directions is not None:
        return np.zeros(n), np.zeros(n)
    bands = [stated_band(a, b, k) for k in range(n)]
    return np.array([float(lo) for lo, _ in bands]), np.array([float(hi) for _, hi in bands])


def _violates(diff, tol, relation, bands):
    low, high = bands
    if relation == "=":
        return (diff > high + tol) | (diff < low - tol)
    if relation in ("<", "<="):
        return diff > -tol if relation == "<" else diff > tol
    return diff < tol if relation == ">" else diff < -tol


def make_counterexample(plan, step, dims, indices, values, function, certificate, directions,
                        unit_entries=None) -> Counterexample:
    side_shape = concrete_shape(infer_shape(plan.claim.steps[0], plan.env), dims)
    entries = []
    for k, x, y, rel in certificate.entries[:SHOWN_ENTRIES]:
        if unit_entries is not None:
            label = entry_label(unit_entries[k], side_shape)
        else:
            label = f"u{k + 1}^T (side) v{k + 1}" if directions is not None else entry_label(k, side_shape)
        entries.append(EntryValue(label, x, y, rel))
    point = {s.name: show_value(values[s.name], s.kind) for s in plan.claim.symbols
             if s.kind not in ("index", "function")}
    indices = {s.name: indices[s.name] for s in plan.claim.symbols if s.kind == "index"}   # not one-hot positions
    return Counterexample(step=step, shape=dict(dims), indices=indices, point=point,
                          entries=tuple(entries), seed=plan.seed, function=function)


def show_value(value, kind: str = "real"):
    if isinstance(value, np.ndarray):
        if value.size > 16 and kind == "onehot":
            return f"({value.shape[0]}x1 one-hot: the 1 at index {int(np.argmax(value))})"
        if value.size > 16:
            return f"({value.shape[0]}x{value.shape[1]} array: reproduce with the seed)"
        return [[_number(x) for x in row] for row in value]
    return _number(value)


def _number(x) -> str:
    return repr(float(x)) if isinstance(x, (float, np.floating)) else str(x)


# -- projections: derivatives along one direction cost two forward passes ---------------------

def project(ev: ArrayEvaluator, node: Node, env, u, v):
    """u^T value(node) v (value(node) for a scalar), without building whole Jacobians."""
    if not contains_derivative(node):
        return _inner(ev(node), u, v)
    op = node.op
    if op in ("add", "sub"):
        if not infer_shape(node, env):   # a scalar sum: its projection is its value, and so is each term's
            parts = [project(ev, arg, env, u, v) for arg in node.args]
        else:
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
        direction = u @ v.T if is_array(ev(var)) else 1.0
        return ev.along(var, direction, lambda e: e(body))
    if op == "diff" and node.value == 1:
        body, var = node.args
        return ev.along(var, 1.0, lambda e: project(e, body, env, u, v))
    if op == "jacobian":
        y, var = node.args
        x = ev(var)
        direction = v.reshape(x.shape) if is_array(x) else 1.0
        return ev.along(var, direction, lambda e: _inner_flat(e(y), u))
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


def _full(ev, node, u, v):
    """A derivative inside a non-linear expression: build it whole (affordable at small sizes only)."""
    if _variable_sizes(ev, node) > 128:
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
        return np.ravel(u) @ np.ravel(value)
    return value * u[0, 0]

