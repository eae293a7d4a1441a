"""The plan of a claim: every fact the engines need, computed once from the claim and the settings.

Shapes (which dimension assignments each engine tries), the stand-ins for
generic functions, whether the claim is pointwise (no derivative: it must hold
at kinks too), the precision each decimal literal states, and the key that
seeds every random stream.  The key is a digest of the claim's mathematical
content, not of its id or file name, so a copy of a claim under another id gets
the same points, the same verdict and the same counterexample.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace, dataclass, field
from fractions import Fraction

import numpy as np

from .functions import KINKED
from .index_cases import claim_integers
from .model import Claim
from .shapes import ShapeEnv, infer_shape
from .standins import function_choices, standin_labels
from .tree import Node

FULL_LIMIT = 128        # entries of a side (and of each array) compared one by one; larger shapes are projected
MEDIUM_SIZE = 5         # every dimension name also takes a value >= 5, so low-degree coincidences in the sizes fail
EQUAL_SIZE = 4          # a claim not proved for every dimension is also tried with all its dimensions 4
MAX_ANCHOR_SIZE = 130   # sizes the claim names (`n <= 100`: 99, 100, 101) are tried up to this one
DERIVATIVES = ("diff", "grad", "jacobian", "limit")


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    points: int = 5        # random points per step, shape and function, in both engines
    timeout: float = 60.0  # seconds per claim, enforced by the runner (the only clock)
    large: int = 64        # size of the dimensions at the numeric check's large shape (0: none)


@dataclass(frozen=True)
class Plan:
    claim: Claim
    settings: Settings
    key: str                                   # digest of the claim's content: seeds every random stream
    symbolic_shapes: tuple[dict, ...]          # exact proofs, entry by entry
    numeric_shapes: tuple[tuple[dict, str], ...]  # (dimensions, "full" or "directional")
    standins: tuple[str, ...]                  # concrete functions for generic ones
    functions: tuple                           # assignments of stand-ins ("f=tanh", ...) or (None,)
    pointwise: bool                            # no derivative anywhere (an inequality: its near-ties are searched)
    kinked: bool                               # a kink (relu, Abs, Max, sign, Heaviside, ind) somewhere
    on_kinks: bool                             # must hold on its kinks: no derivative of a kinked expression
    env: ShapeEnv = field(compare=False, repr=False)

    @property
    def seed(self) -> int:
        return self.settings.seed


def make_plan(claim: Claim, settings: Settings) -> Plan:
    env = ShapeEnv(claim)
    key = claim_key(claim)
    labels = tuple(standin_labels(settings.seed, key))
    small = symbolic_assignments(claim)
    numeric = [(dims, _mode(claim, env, dims)) for dims in small]
    if claim.dims:   # sizes offset by the claim's key, so no fixed list of sizes can be targeted
        offset = int(key, 16)
        medium, large = MEDIUM_SIZE + offset % 3, settings.large + (offset >> 8) % 5
        numeric.append((sized(claim, medium), _mode(claim, env, sized(claim, medium))))
        if settings.large:
            numeric.append((sized(claim, large), _mode(claim, env, sized(claim, large))))
    nodes = list(claim.steps) + [node for _, node in claim.lets]
    pointwise = not any(n.op in DERIVATIVES for tree in nodes for n in tree.walk())
    on_kinks = not any(n.op in DERIVATIVES and _kinked(n.args[0], dict(claim.lets))
                       for tree in nodes for n in tree.walk())
    kinked = any((n.op == "call" and n.value in KINKED) or n.op == "ind" for tree in nodes for n in tree.walk())
    return Plan(claim=claim, settings=settings, key=key, symbolic_shapes=tuple(small),
                numeric_shapes=tuple(numeric), standins=labels,
                functions=tuple(function_choices(claim, list(labels))), pointwise=pointwise, kinked=kinked,
                on_kinks=on_kinks, env=env)


def _kinked(node: Node, lets: dict, seen=frozenset()) -> bool:
    """Whether a kink (relu, Abs, Max, sign, Heaviside, ind) is inside this expression or a definition
    it uses: a derivative of it is undefined on the kink, so a claim with one is decided off the kinks
    (almost everywhere); a derivative of a smooth expression (diff(exp(x), x)) leaves the claim pointwise,
    and a kink beside it must hold on the kink too."""
    for n in node.walk():
        if (n.op == "call" and n.value in KINKED) or n.op == "ind":
            return True
        if n.op == "name" and n.value in lets and n.value not in seen and _kinked(lets[n.value], lets, seen | {n.value}):
            return True
    return False


def symbolic_assignments(claim: Claim) -> list[dict[str, int]]:
    """Dimension assignments for the exact proof: ascending distinct sizes from 2, then reversed
    (so that a missing transpose cannot hide behind a square matrix)."""
    dims = claim.dims
    if not dims:
        return [{}]
    sizes = list(range(2, 2 + len(dims)))
    if len(dims) == 1:
        return [{dims[0]: 2}, {dims[0]: 3}]
    return [dict(zip(dims, sizes)), dict(zip(dims, reversed(sizes)))]


def sized(claim: Claim, size: int) -> dict:
    return {d: size + i for i, d in enumerate(claim.dims)}


def _mode(claim, env, dims) -> str:
    """Full (every entry) when every side and array is small at these dimensions, else directional."""
    if claim.relation != "=":
        return "full"  # an inequality holds entry by entry
    shapes = [infer_shape(step, env) for step in claim.steps] + list(env.shapes.values())
    for shape in shapes:
        if shape and shape != ("bool",) and np.prod([dims.get(d, d) for d in shape]) > FULL_LIMIT:
            return "directional"
    return "full"


def claim_key(claim: Claim) -> str:
    """A digest of what the claim says (symbols, definitions, sides, condition), not of its id."""
    parts = [claim.relation, str(claim.chain)]
    parts += [f"{s.name}:{s.describe()}" for s in claim.symbols]
    parts += [f"{name}={_canon(node)}" for name, node in claim.lets]
    parts += [_canon(step) for step in claim.steps]
    parts.append(_canon(claim.where) if claim.where is not None else "-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _canon(node: Node) -> str:
    return f"{node.op}[{node.value!r}](" + ",".join(_canon(a) for a in node.args) + ")"


# -- the precision a decimal literal states -------------------------------------------------------

def stated_band(a: Node, b: Node, entry: int) -> tuple[Fraction, Fraction]:
    """(low, high): the range of a - b that still agrees with a side written as a decimal number, at
    one entry.  A figure is right when the true value rounds or truncates to it: for 3.14 (a unit of
    0.01) the true value lies in [3.135, 3.15).  (0, 0) when neither side states a precision."""
    for node, sign in ((b, 1), (a, -1)):
        literal = node.args[entry] if node.op == "vector" and entry < len(node.args) else node
        unit = decimal_unit(literal)
        if unit:
            low, high = (-unit / 2, unit) if literal.value >= 0 else (-unit, unit / 2)
            return (low, high) if sign == 1 else (-high, -low)
    return Fraction(0), Fraction(0)


def decimal_unit(node: Node) -> Fraction | None:
    """One unit in the last written place of a decimal literal (1.5e3 -> 100, 0.25 -> 0.01), else None."""
    if node.op != "num" or "." not in node.text and "e" not in node.text.lower():
        return None
    text = node.text.strip().lstrip("+-").lower()
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    power = int(exponent or 0) - decimals
    return Fraction(10) ** power


def has_stated_precision(a: Node, b: Node) -> bool:
    nodes = [n for side in (a, b) for n in (side.args if side.op == "vector" else (side,))]
    return any(decimal_unit(n) for n in nodes)


def without_large_shape(plan: Plan) -> Plan:
    """The plan without its large numeric shape, for a claim proved for every dimension: that shape is
    there to catch identities that hold only at small sizes; the medium one still cross-checks the proof
    beyond the exact engine's shapes."""
    if not plan.claim.dims or not plan.settings.large or len(plan.numeric_shapes) < 2:
        return plan
    return replace(plan, numeric_shapes=plan.numeric_shapes[:-1])


def with_dimension_cases(plan: Plan) -> Plan:
    """More numeric shapes for a claim that is not proved for every dimension: every dimension 4 (so
    m == n, which the other shapes never have, and the gap between the small sizes and the medium one),
    and every dimension at each size the claim compares something with (`ind(n <= 100)`: 99, 100, 101).
    A claim true at every size stays true at these; one that holds only at the sizes tried so far
    (`ind(n == 4)`, `ind(m == n)`, a polynomial in n with roots at the tried sizes) fails.  Sampling
    sizes cannot exclude every such polynomial: that is what the proof for every dimension is for, and
    the verdict says "not for every dimension" without it."""
    claim = plan.claim
    if not claim.dims:
        return plan
    named = {w for v in claim_integers(claim, {}) for w in (v - 1, v, v + 1) if 2 <= w <= MAX_ANCHOR_SIZE}
    shapes = list(plan.numeric_shapes)
    for size in sorted({EQUAL_SIZE} | named):
        dims = {d: size for d in claim.dims}
        if all(dims != known for known, _ in shapes):
            shapes.append((dims, _mode(claim, plan.env, dims)))
    return replace(plan, numeric_shapes=tuple(shapes))
