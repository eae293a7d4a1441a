"""Float points for the numeric check: a box, a spread of scales, and points built on every branch.

- **box**: reals in [-2, 2], positives in [0.1, 3], matrices scaled by
  1/sqrt(columns) so that W x stays of order one at any width;
- **scales**: magnitudes 10^u with u uniform in [-4, 6] (random signs for reals),
  so that a claim true only near the origin, or only for moderate values, fails;
- **branches**: along seeded lines through the box and out to the scales, and
  along a line that scales a box point through every magnitude, every
  change of sign of a kink switch, of a `where` comparison, or (for an
  inequality) of lhs - rhs is located by bisection; a point is placed in the
  middle of every stretch between two changes (so thin regions are reached: a
  Huber gradient wrong only for |x| < 0.01), and for claims without derivatives
  on both sides right next to each change (near-ties).

Every point satisfies the kinds (one-hot, probability vectors summing to 1) and
the claim's `where`.  The random stream depends on the seed, the claim's content
key, the shape, the index values and the stand-in, never on the claim's id.
"""

from __future__ import annotations

import zlib

import numpy as np

from .errors import EvaluationError
from .functions import KINKED
from .index_cases import hot_positions
from .numeric import FLOAT, ArrayEvaluator, contains_derivative
from .plan import Plan
from .symbolic import concrete_shape

ATTEMPTS_PER_POINT = 30    # draws per wanted point before the `where` region is called too thin
LINE_SAMPLES = 161         # grid points along a scanned line (spacing 0.02 of the segment)
BISECTIONS = 30            # halvings that locate a change of sign along a line
BISECTION_BUDGET = 600     # signature evaluations per line for all its changes (a count, not a clock)
GOLDEN_STEPS = 60          # golden-section steps that refine a closest approach of an inequality's sides
MINIMA_PER_LINE = 3        # closest approaches tried per line
TIE_RELATIVE = 1e-9        # a closest approach this small (relative to the line's median margin) is a touch
LINES = 2                  # scanned lines per shape, index values and stand-in
SCALE_EXPONENTS = (-4, 6)  # magnitudes 10^u: far beyond any box a claim might be true in only


def make_generator(plan: Plan, *salt) -> np.random.Generator:
    words = [plan.seed & 0xFFFFFFFF, int(plan.key, 16) & 0xFFFFFFFF,
             zlib.crc32(repr(salt).encode())]
    return np.random.default_rng(words)


def draw_points(plan: Plan, dims: dict, indices: dict, function, *, wanted: int, spread: bool = True):
    """Yield (values, rng, tie) for each point to compare (tie: a closest approach of an inequality's sides): `wanted` regular points (box and, with `spread`,
    scales), then branch points."""
    claim = plan.claim
    rng = make_generator(plan, "numeric", sorted(dims.items()), sorted(indices.items()), function)
    hot = hot_positions(claim, dims, indices)
    wanted = max([wanted] + [len(positions) for positions in hot.values()])
    found = 0
    for attempt in range(wanted * ATTEMPTS_PER_POINT):
        if found >= wanted:
            break
        region = ("box", "scales", "ladder")[attempt % 3] if spread else "box"
        values = draw_values(claim, dims, indices, rng, region, rung=attempt // 3, hot=hot, slot=attempt)
        if _inside(claim, values, function):
            found += 1
            yield values, rng, False
    if spread:   # at projected (large) shapes the small and medium ones have already scanned every branch
        for values, tie in branch_points(plan, dims, indices, function, rng, limit=2 * wanted):
            yield values, rng, tie


def draw_values(claim, dims: dict, indices: dict, rng: np.random.Generator, region: str, rung: int = 0,
                *, hot: dict | None = None, slot: int = 0) -> dict:
    """Values per symbol; region "box", "scales" (random magnitudes) or "ladder" (magnitudes 10^k with k
    stepping through SCALE_EXPONENTS from the top, so large and tiny values are always reached).  A
    one-hot's 1 is at ``hot[name][slot]`` while there is one (index_cases.hot_positions), else random."""
    values = {d: float(v) for d, v in dims.items()}
    values["pi"] = float(np.pi)
    values.update({k: float(v) for k, v in indices.items()})
    for spec in claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        shape = concrete_shape(spec.shape, dims) if spec.shape else ()
        if spec.kind == "onehot" and hot and slot < len(hot[spec.name]):   # the anchors and ties first
            values[spec.name] = np.zeros(shape)
            values[spec.name][hot[spec.name][slot], 0] = 1.0
        elif spec.constraint is not None:
            values[spec.name] = _draw_constrained(spec.constraint, shape, rng, region, rung)
        elif region == "ladder":
            low, high = SCALE_EXPONENTS
            exponent = high - (rung * 3) % (high - low + 1)
            values[spec.name] = _draw(spec.kind, shape, rng, "box") * 10.0 ** exponent \
                if spec.kind in ("real", "positive", "vector", "matrix") else _draw(spec.kind, shape, rng, "box")
        else:
            values[spec.name] = _draw(spec.kind, shape, rng, region)
    return values


def _magnitudes(rng, shape):
    return 10.0 ** rng.uniform(*SCALE_EXPONENTS, size=shape)


def _draw(kind, shape, rng, region):
    if kind == "real":
        return float(rng.uniform(-2, 2)) if region == "box" else float(rng.choice((-1, 1)) * _magnitudes(rng, None))
    if kind == "positive":
        return float(rng.uniform(0.1, 3)) if region == "box" else float(_magnitudes(rng, None))
    rows, cols = shape
    if kind == "probability":
        w = rng.uniform(0.25, 1, size=(rows, 1)) if region == "box" else _magnitudes(rng, (rows, 1))
        return w / w.sum()
    if kind == "onehot":
        out = np.zeros((rows, 1))
        out[rng.integers(rows), 0] = 1.0
        return out
    if kind == "matrix":
        box = rng.uniform(-1, 1, size=(rows, cols)) * np.sqrt(3.0 / cols)
        return box if region == "box" else box * _magnitudes(rng, None)
    if region == "box":
        return rng.uniform(-2, 2, size=(rows, cols))
    return rng.choice((-1.0, 1.0), size=(rows, cols)) * _magnitudes(rng, (rows, cols))


def _draw_constrained(constraint, shape, rng, region, rung):
    """A vector or matrix on its set: positive entries, a 0/1 mask, +-1 labels, a symmetric or a
    symmetric positive-definite matrix; the scalable ones at every magnitude of the region."""
    rows, cols = shape
    if constraint == "mask":
        return rng.integers(0, 2, size=shape).astype(float)
    if constraint == "pm1":
        return rng.choice((-1.0, 1.0), size=shape)
    if region == "ladder":
        low, high = SCALE_EXPONENTS
        factor = 10.0 ** (high - (rung * 3) % (high - low + 1))
    else:
        factor = 1.0 if region == "box" else float(_magnitudes(rng, None))
    if constraint == "positive":
        return rng.uniform(0.1, 3, size=shape) * factor
    square = rng.uniform(-1, 1, size=shape) * np.sqrt(3.0 / cols)
    if constraint == "symmetric":
        return (square + square.T) * (factor / 2)
    return (square @ square.T + 0.5 * np.eye(rows)) * factor   # spd: its smallest eigenvalue >= 0.5 * factor


def _inside(claim, values, function) -> bool:
    if claim.where is None:
        return True
    try:
        with np.errstate(all="ignore"):
            return bool(ArrayEvaluator(claim, values, FLOAT, function)(claim.where))
    except (EvaluationError, ValueError, ZeroDivisionError, FloatingPointError):
        return False


# -- points on every branch ---------------------------------------------------------------------

def switch_nodes(plan: Plan) -> list:
    """The nodes whose sign decides a branch: kinks, conditions, and for an inequality lhs - rhs."""
    claim = plan.claim
    trees = list(claim.steps) + [node for _, node in claim.lets] + ([claim.where] if claim.where else [])
    nodes = []
    for tree in trees:
        for node in tree.walk():
            kinked = (node.op == "call" and node.value in KINKED) or node.op == "ind"
            if kinked and not contains_derivative(node) and node not in nodes:
                nodes.append(node)
    if claim.where is not None:
        nodes.append(claim.where)
    return nodes


def signature(claim, values, function, nodes, steps=()) -> np.ndarray | None:
    """The signs of every switch at a point (None when the point cannot be evaluated)."""
    ev = ArrayEvaluator(claim, values, FLOAT, function)
    try:
        with np.errstate(all="ignore"):
            for node in nodes:
                ev(node)
            parts = [np.ravel(np.asarray(s, dtype=float)) for s in ev.signs]
            for a, b in steps:
                parts.append(np.ravel(np.sign(np.asarray(ev(a), dtype=float) - np.asarray(ev(b), dtype=float))))
    except (EvaluationError, ValueError, ZeroDivisionError, FloatingPointError, TypeError):
        return None
    return np.concatenate(parts) if parts else np.zeros(0)


def branch_points(plan: Plan, dims, indices, function, rng, *, limit: int):
    """Points in the middle of every stretch between sign changes along a few seeded lines."""
    claim = plan.claim
    nodes = switch_nodes(plan)
    steps = [(claim.steps[k - 1], claim.steps[k]) for k in range(1, len(claim.steps))] \
        if claim.relation != "=" and plan.pointwise else []
    if not nodes and not steps:
        return
    found = 0
    for line in range(LINES + 1):
        start = draw_values(claim, dims, indices, rng, "box")
        if line < LINES:
            end = draw_values(claim, dims, indices, rng, "box" if line == 0 else "scales")
            at = lambda t, start=start, end=end: _on_line(claim, start, end, t)
        else:   # the magnitude line: a box point scaled through every magnitude (a tie at x = e is crossed)
            at = lambda t, start=start: _scaled(claim, start, t)
        ts = np.linspace(-1.0, 2.0, LINE_SAMPLES)
        budget = [BISECTION_BUDGET]
        sigs = [signature(claim, at(t), function, nodes, steps) for t in ts]
        changes = []
        for k in range(len(ts) - 1):
            if sigs[k] is not None and sigs[k + 1] is not None and not np.array_equal(sigs[k], sigs[k + 1], equal_nan=True):
                changes += _bisect(claim, at, function, nodes, steps, ts[k], ts[k + 1], sigs[k], sigs[k + 1],
                                   budget=budget)
        bounds = [(ts[0], ts[0])] + changes + [(ts[-1], ts[-1])] if changes else []
        candidates = [(hi0 + lo1) / 2 for (_, hi0), (lo1, _) in zip(bounds, bounds[1:])]
        if plan.on_kinks:
            for lo, hi in changes:
                candidates += [lo, hi]
        ties = []
        if steps:   # an inequality: where its margin comes closest (a touch, a thin violated region)
            approaches = _closest_approaches(claim, at, function, steps, ts)
            ties = [t for t, tie in approaches if tie]
            candidates = [t for t, _ in approaches] + candidates
        for t in candidates:
            if found >= limit:
                return
            values = at(t)
            if _inside(claim, values, function):
                found += 1
                yield values, t in ties


def margin(claim, values, function, steps) -> float | None:
    """The smallest margin by which the inequality holds at a point (negative: it fails)."""
    ev = ArrayEvaluator(claim, values, FLOAT, function)
    try:
        with np.errstate(all="ignore"):
            gaps = [np.asarray(ev(b), dtype=float) - np.asarray(ev(a), dtype=float) for a, b in steps]
    except (EvaluationError, ValueError, ZeroDivisionError, FloatingPointError, TypeError):
        return None
    sign = 1.0 if claim.relation in ("<", "<=") else -1.0
    values = [float(np.min(sign * g)) for g in gaps]
    return min(values) if all(np.isfinite(values)) else None


def _closest_approaches(claim, at, function, steps, ts) -> list:
    """[(t, tie)]: strict local minima of the margin along the line, refined by golden-section search (a
    count, not a clock); `tie` when the refined margin is below TIE_RELATIVE of the line's median margin
    (the sides touch there, to float resolution)."""
    m = [margin(claim, at(t), function, steps) for t in ts]
    typical = float(np.median([abs(x) for x in m if x is not None] or [0.0]))
    found = []
    for k in range(1, len(ts) - 1):
        if None in (m[k - 1], m[k], m[k + 1]) or not (m[k] <= m[k - 1] and m[k] <= m[k + 1]) \
                or not (m[k] < m[k - 1] or m[k] < m[k + 1]):
            continue
        lo, hi = ts[k - 1], ts[k + 1]
        for _ in range(GOLDEN_STEPS):
            a, b = hi - 0.618 * (hi - lo), lo + 0.618 * (hi - lo)
            ma, mb = margin(claim, at(a), function, steps), margin(claim, at(b), function, steps)
            if ma is None or mb is None:
                break
            lo, hi = (lo, b) if ma <= mb else (a, hi)
        t = (lo + hi) / 2
        best = margin(claim, at(t), function, steps)
        found.append((t, m[k], best is not None and abs(best) <= TIE_RELATIVE * typical))
    found.sort(key=lambda item: item[1])
    return [(t, tie) for t, _, tie in found[:MINIMA_PER_LINE]]


SCALABLE = (None, "positive", "symmetric", "spd")   # constraints a positive factor keeps


def _scaled(claim, start, t):
    """The point `start` with every real, positive, vector and matrix value times a factor that runs from
    -10^6 to -10^-4 as t runs through [-1, 0.5), then from 10^-4 to 10^6 through [0.5, 2] (SCALE_EXPONENTS;
    positive kinds take its absolute value; masks, labels, one-hot and probability vectors are kept)."""
    low, high = SCALE_EXPONENTS
    if t < 0.5:
        factor = -(10.0 ** (high - (t + 1.0) / 1.5 * (high - low)))
    else:
        factor = 10.0 ** (low + (t - 0.5) / 1.5 * (high - low))
    values = dict(start)
    for spec in claim.symbols:
        if spec.kind in ("real", "positive", "vector", "matrix") and spec.constraint in SCALABLE:
            positive = spec.kind == "positive" or spec.constraint in ("positive", "spd")
            values[spec.name] = start[spec.name] * (abs(factor) if positive else factor)
    return values


def _on_line(claim, start, end, t):
    values = dict(start)
    for spec in claim.symbols:
        if spec.constraint in ("mask", "pm1", "spd"):
            continue   # off their sets between (or beyond) two of their points
        if spec.kind in ("real", "positive", "vector", "matrix"):
            values[spec.name] = start[spec.name] + t * (end[spec.name] - start[spec.name])
            if (spec.kind == "positive" or spec.constraint == "positive") and np.any(values[spec.name] <= 0):
                values[spec.name] = start[spec.name]
    return values


def _bisect(claim, at, function, nodes, steps, lo, hi, sig_lo, sig_hi, depth=0, *, budget):
    """Brackets [(lo, hi)] of every change of signature between lo and hi (several changes inside one
    grid step, such as a thin region, are all found: a midpoint unlike both ends splits the search)."""
    if depth >= BISECTIONS or budget[0] <= 0:
        return [(lo, hi)]
    budget[0] -= 1
    mid = (lo + hi) / 2
    sig = signature(claim, at(mid), function, nodes, steps)
    if sig is None or np.array_equal(sig, sig_hi, equal_nan=True):
        return _bisect(claim, at, function, nodes, steps, lo, mid, sig_lo, sig if sig is not None else sig_hi,
                       depth + 1, budget=budget)
    if np.array_equal(sig, sig_lo, equal_nan=True):
        return _bisect(claim, at, function, nodes, steps, mid, hi, sig, sig_hi, depth + 1, budget=budget)
    return (_bisect(claim, at, function, nodes, steps, lo, mid, sig_lo, sig, depth + 1, budget=budget)
            + _bisect(claim, at, function, nodes, steps, mid, hi, sig, sig_hi, depth + 1, budget=budget))
