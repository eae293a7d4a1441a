"""Concrete shapes and seeded random points, shared by the back ends.

Shapes: every claim is tried at two or more assignments of its dimension names,
each with all dimensions distinct, so that a missing transpose cannot hide
behind a square matrix.

Points: exact rationals with small denominators, drawn per kind: reals in
[-2, 2], positives in (0, 3], probability vectors that sum to exactly 1, one-hot
vectors with a random hot entry.  The random stream for a claim depends only on
the run's seed and the claim's id, so ``-k ID --seed N`` reproduces it.
"""

from __future__ import annotations

import random
import zlib
from fractions import Fraction

from .model import Claim, SymbolSpec

DENOMINATOR = 64  # points are multiples of 1/64: exact, short to print, dense enough to avoid ties


def make_assignments(claim: Claim) -> list[dict[str, int]]:
    """Dimension assignments: ascending distinct sizes from 2, then the same sizes reversed."""
    dims = claim.dims
    if not dims:
        return [{}]
    sizes = list(range(2, 2 + len(dims)))
    if len(dims) == 1:
        return [{dims[0]: 2}, {dims[0]: 3}]
    return [dict(zip(dims, sizes)), dict(zip(dims, reversed(sizes)))]


def make_rng(seed: int, claim_id: str, *salt) -> random.Random:
    """A random stream that depends only on the seed, the claim id and the salt."""
    key = "|".join([str(seed), claim_id, *map(str, salt)]).encode()
    return random.Random(zlib.crc32(key) ^ (seed * 0x9E3779B1))


SIMPLE_REALS = (0, 1, -1, 2)  # tried first: a counterexample a person can check by hand
SIMPLE_POSITIVES = (1, 2)


def draw_scalar(rng: random.Random, kind: str, simple: bool = False) -> Fraction:
    if simple:
        return Fraction(rng.choice(SIMPLE_POSITIVES if kind == "positive" else SIMPLE_REALS))
    if kind == "positive":
        return Fraction(rng.randint(1, 3 * DENOMINATOR), DENOMINATOR)
    return Fraction(rng.randint(-2 * DENOMINATOR, 2 * DENOMINATOR), DENOMINATOR)


def draw_value(rng: random.Random, spec: SymbolSpec, size: int, simple: bool = False) -> list[Fraction]:
    """Values for the entries of one array symbol (flattened, row-major)."""
    if spec.kind == "probability" and simple:
        return [Fraction(1, size)] * size
    if spec.kind == "probability":
        weights = [Fraction(rng.randint(DENOMINATOR // 4, DENOMINATOR), DENOMINATOR) for _ in range(size)]
        total = sum(weights)
        return [w / total for w in weights]
    if spec.kind == "onehot":
        hot = rng.randrange(size)
        return [Fraction(int(i == hot)) for i in range(size)]
    return [draw_scalar(rng, "real", simple) for _ in range(size)]
