"""Seeded exact random points for the symbolic engine's counterexample search.

Points: exact rationals with small denominators, drawn per kind: reals in
[-2, 2], positives in (0, 3], probability vectors that sum to exactly 1, one-hot
vectors with a random hot entry, and constrained arrays exactly on their sets
(positive entries, 0/1 masks, +-1 labels, symmetric matrices, L L^T for spd).  The random stream for a claim depends only on
the run's seed and the claim's content (``plan.key``), never on its id.
"""

from __future__ import annotations

import math
import random
import zlib
from fractions import Fraction

from .model import SymbolSpec

DENOMINATOR = 64  # points are multiples of 1/64: exact, short to print, dense enough to avoid ties


def make_rng(seed: int, key: str, *salt) -> random.Random:
    """A random stream that depends only on the seed, the claim's content key (plan.key) and the salt."""
    key = "|".join([str(seed), key, *map(str, salt)]).encode()
    return random.Random(zlib.crc32(key) ^ (seed * 0x9E3779B1))


SIMPLE_REALS = (0, 1, -1, 2)  # tried first: a counterexample a person can check by hand
SIMPLE_POSITIVES = (1, 2)


def draw_scalar(rng: random.Random, kind: str, mode: str = "box") -> Fraction:
    """An exact rational: "simple" small integers, a "box" grid point, or a "wide" magnitude up to 1e4."""
    if mode == "simple":
        return Fraction(rng.choice(SIMPLE_POSITIVES if kind == "positive" else SIMPLE_REALS))
    if mode == "wide":
        magnitude = Fraction(rng.randint(DENOMINATOR, 10 * DENOMINATOR), DENOMINATOR) * Fraction(10) ** rng.randint(-4, 3)
        return magnitude if kind == "positive" or rng.random() < 0.5 else -magnitude
    if kind == "positive":
        return Fraction(rng.randint(1, 3 * DENOMINATOR), DENOMINATOR)
    return Fraction(rng.randint(-2 * DENOMINATOR, 2 * DENOMINATOR), DENOMINATOR)


def draw_value(rng: random.Random, spec: SymbolSpec, size: int, mode: str = "box") -> list[Fraction]:
    """Values for the entries of one array symbol (flattened, row-major)."""
    if spec.kind == "probability" and mode == "simple":
        return [Fraction(1, size)] * size
    if spec.kind == "probability":
        weights = [Fraction(rng.randint(DENOMINATOR // 4, DENOMINATOR), DENOMINATOR) for _ in range(size)]
        total = sum(weights)
        return [w / total for w in weights]
    if spec.kind == "onehot":
        hot = rng.randrange(size)
        return [Fraction(int(i == hot)) for i in range(size)]
    if spec.constraint is not None:
        return _constrained(rng, spec.constraint, size, mode)
    return [draw_scalar(rng, "real", mode) for _ in range(size)]


def _constrained(rng: random.Random, constraint: str, size: int, mode: str) -> list[Fraction]:
    """Entries (row-major) that satisfy the constraint exactly."""
    if constraint == "positive":
        return [draw_scalar(rng, "positive", mode) for _ in range(size)]
    if constraint == "mask":
        return [Fraction(rng.randint(0, 1)) for _ in range(size)]
    if constraint == "pm1":
        return [Fraction(rng.choice((-1, 1))) for _ in range(size)]
    n = math.isqrt(size)
    if constraint == "symmetric":
        upper = {(i, j): draw_scalar(rng, "real", mode) for i in range(n) for j in range(i, n)}
        return [upper[min(i, j), max(i, j)] for i in range(n) for j in range(n)]
    # spd: L L^T with L lower triangular and a positive diagonal is symmetric positive definite
    low = [[draw_scalar(rng, "positive", mode) if i == j else draw_scalar(rng, "real", mode) if j < i
            else Fraction(0) for j in range(n)] for i in range(n)]
    return [sum((low[i][k] * low[j][k] for k in range(n)), Fraction(0)) for i in range(n) for j in range(n)]
