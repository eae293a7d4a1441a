"""Constrained kinds (positive entries, masks, +-1 labels, symmetric and positive-definite matrices), the
matrix power and tan: claims that hold only under the constraint pass, the same claims without it fail,
and every point either engine draws lies on the declared set."""

import random

import numpy as np
import pytest
import sympy as sp

from helpers import make_claim, verdict_of
from verifier.errors import ClaimFileError
from verifier.latex import to_latex
from verifier.latex_parse import parse_latex
from verifier.loader import make_scope
from verifier.points import draw_values
from verifier.sampling import draw_value


def claim_text(symbols: dict, lhs: str, rhs: str, relation: str = "=") -> str:
    lines = ["[symbols]"] + [f'{k} = "{v}"' for k, v in symbols.items()]
    lines += ["[check]", f'lhs = "{lhs}"', f'rhs = "{rhs}"']
    if relation != "=":
        lines.append(f'relation = "{relation}"')
    return "\n".join(lines) + "\n"


PASS = {"proved", "confirmed"}


@pytest.mark.parametrize("constrained, general, lhs, rhs, relation", [
    # grad x^T B x = 2 B x needs B symmetric
    ({"B": "symmetric(n)", "x": "vector(n)"}, {"B": "matrix(n, n)", "x": "vector(n)"},
     "grad(x.T*B*x, x)", "2*B*x", "="),
    # d log det A / dA = A^-1 needs A symmetric (it is A^-T in general)
    ({"A": "spd(n)"}, {"A": "matrix(n, n)"}, "grad(log(det(A)), A)", "inv(A)", "="),
    # x^T A x >= 0 needs A positive semi-definite
    ({"A": "spd(n)", "x": "vector(n)"}, {"A": "symmetric(n)", "x": "vector(n)"}, "x.T*A*x", "0", ">="),
    # m o m = m needs a 0/1 mask
    ({"m": "mask(n)"}, {"m": "vector(n)"}, "hadamard(m, m)", "m", "="),
    # y o y = 1 needs +-1 labels
    ({"y": "pm1(n)"}, {"y": "vector(n)"}, "hadamard(y, y)", "ones(n)", "="),
    # sqrt(p o p) = p needs positive entries
    ({"p": "positive(m, n)"}, {"p": "matrix(m, n)"}, "sqrt(hadamard(p, p))", "p", "="),
])
def test_a_claim_that_needs_its_constraint_holds_with_it_and_fails_without(constrained, general, lhs, rhs,
                                                                            relation):
    assert verdict_of(claim_text(constrained, lhs, rhs, relation)).verdict in PASS
    wrong = verdict_of(claim_text(general, lhs, rhs, relation))
    assert wrong.verdict == "refuted"
    assert wrong.counterexample is not None


def test_a_false_claim_about_a_constrained_array_is_still_refuted():
    out = verdict_of(claim_text({"m": "mask(n)", "x": "vector(n)"}, "hadamard(m, x)", "x"))
    assert out.verdict == "refuted"
    point = out.counterexample.point["m"]
    assert all(float(v) in (0.0, 1.0) for row in point for v in row)


def test_the_gradient_by_a_symmetric_matrix_is_the_matrix_of_entry_partials():
    """Not the 'symmetric gradient' 2 x x^T - diag(x x^T): both engines differentiate by independent entries."""
    sym = {"B": "symmetric(n)", "x": "vector(n)"}
    assert verdict_of(claim_text(sym, "grad(x.T*B*x, B)", "x*x.T")).verdict == "proved"
    assert verdict_of(claim_text(sym, "grad(x.T*B*x, B)", "2*x*x.T - diag(hadamard(x, x))")).verdict == "refuted"


@pytest.mark.parametrize("kind, check", [
    ("positive(3, 4)", lambda a: np.all(a > 0)),
    ("mask(3, 4)", lambda a: np.all((a == 0) | (a == 1))),
    ("pm1(5)", lambda a: np.all(np.abs(a) == 1)),
    ("symmetric(4)", lambda a: np.array_equal(a, a.T)),
    ("spd(4)", lambda a: np.array_equal(a, a.T) and np.linalg.eigvalsh(a).min() > 0),
])
def test_every_draw_lies_on_the_declared_set(kind, check):
    claim = make_claim(claim_text({"A": kind}, "A", "A"))
    spec = claim.symbols[0]
    rng = np.random.default_rng(3)
    for region in ("box", "scales", "ladder"):
        for rung in range(6):
            assert check(draw_values(claim, {}, {}, rng, region, rung)["A"])
    rows, cols = spec.shape
    exact = random.Random(7)
    for mode in ("simple", "box", "wide"):
        for _ in range(10):
            drawn = draw_value(exact, spec, rows * cols, mode)
            if kind.startswith("spd"):   # exact rationals: decided exactly (floats may round a tiny eigenvalue)
                matrix = sp.Matrix(rows, cols, [sp.Rational(v.numerator, v.denominator) for v in drawn])
                assert matrix.is_symmetric() and matrix.is_positive_definite
            else:
                assert check(np.array([float(v) for v in drawn]).reshape(rows, cols))


@pytest.mark.parametrize("kind", ["symmetric(m, n)", "spd", "mask", "pm1(a, b, c)", "positive(1, 2, 3)"])
def test_a_constrained_kind_with_the_wrong_dimensions_is_one_clear_error(kind):
    with pytest.raises(ClaimFileError) as err:
        make_claim(claim_text({"A": kind}, "A", "A"))
    assert "symmetric(n)" in str(err.value) and kind in str(err.value)


def test_kinds_describe_themselves_as_written():
    claim = make_claim(claim_text({"A": "spd(n)", "m": "mask(k, n)", "p": "positive", "q": "positive(n)"},
                                  "m*A", "m*A"))
    assert {s.name: s.describe() for s in claim.symbols} == {
        "A": "spd(n)", "m": "mask(k, n)", "p": "positive", "q": "positive(n)"}


def test_a_power_of_a_matrix_is_never_silently_entrywise():
    out = verdict_of(claim_text({"A": "matrix(n, n)"}, "A**2", "A*A"))
    assert out.verdict == "ill-typed" and "matpow" in out.message
    assert verdict_of(claim_text({"A": "matrix(n, n)"}, "matpow(A, 2)", "A*A")).verdict == "proved"
    assert verdict_of(claim_text({"A": "matrix(n, n)"}, "matpow(A, 0)*A", "A")).verdict == "proved"
    assert verdict_of(claim_text({"A": "matrix(n, n)", "x": "vector(n)"}, "grad(x.T*matpow(A, 3)*x, x)",
                                 "2*matpow(A, 3)*x")).verdict == "refuted"
    assert verdict_of(claim_text({"x": "vector(n)"}, "sum(x**2)", "x.T*x")).verdict == "proved"  # vectors: entrywise
    assert verdict_of(claim_text({"W": "matrix(m, n)"}, "sum(W**2)", "trace(W.T*W)")).verdict == "proved"


def test_tan_and_its_derivative():
    assert verdict_of(claim_text({"x": "real"}, "diff(tan(x), x)", "1 + tan(x)**2")).verdict == "proved"
    assert verdict_of(claim_text({"x": "real"}, "diff(tan(x), x)", "1 - tan(x)**2")).verdict == "refuted"


def test_the_identity_matrix_and_the_norm():
    assert verdict_of(claim_text({"A": "spd(n)"}, "inv(A)*A", "eye(n)")).verdict == "proved"
    assert verdict_of(claim_text({"A": "matrix(n, n)"}, "matpow(A, 0)", "eye(n)")).verdict == "proved"
    assert verdict_of(claim_text({"x": "vector(n)"}, "grad(norm(x), x)", "x/norm(x)")).verdict == "proved"
    assert verdict_of(claim_text({"x": "vector(n)"}, "grad(norm(x), x)", "x")).verdict == "refuted"
    assert verdict_of(claim_text({"A": "symmetric(n)", "x": "vector(n)"}, "grad(x.T*(A + eye(n))*x, x)",
                                 "2*A*x")).verdict == "refuted"
    wrong = verdict_of(claim_text({"A": "matrix(m, n)"}, "A*eye(m)", "A"))
    assert wrong.verdict == "ill-typed"


def test_eye_and_norm_round_trip_through_latex():
    claim = make_claim(claim_text({"A": "matrix(n, n)", "x": "vector(n)"}, "norm(eye(n)*x) + norm(A)", "0"))
    node = claim.steps[0]
    scope = make_scope(claim.symbols)
    assert parse_latex(to_latex(node), scope, path="t", key="k") == node
