"""Issue 9: claims built to fool each mechanism.  Every false one must be refuted (or honestly
inconclusive), every true one must not be refuted."""

import random

import mpmath
import pytest
import sympy as sp

from helpers import make_claim, verdict_of
from verifier.plan import Settings
from verifier.verify import verify
from verifier.zero_test import is_zero, rewrites

PASSING = ("proved", "confirmed")


def claim(lhs, rhs, symbols='x = "real"', relation="=", where=None, lets=""):
    body = f"[symbols]\n{symbols}\n" + (f"[let]\n{lets}\n" if lets else "") + \
        f'[check]\nlhs = "{lhs}"\nrhs = "{rhs}"\nrelation = "{relation}"\n' + (f'where = "{where}"\n' if where else "")
    return verdict_of(body)


# -- 1. sound rewrites -----------------------------------------------------------------------

def test_a_cosine_is_not_assumed_positive():
    assert claim("relu(cos(x/2))", "cos(x/2)").verdict == "refuted"
    assert claim("Abs(sin(x))", "sin(x)").verdict == "refuted"
    assert claim("relu(exp(x))", "exp(x)").verdict == "proved"


def _random_expression(rng, symbols, depth=0):
    x = rng.choice(symbols)
    if depth > 3 or rng.random() < 0.25:
        return x if rng.random() < 0.7 else sp.Rational(rng.randint(-3, 3), rng.randint(1, 3))
    a = _random_expression(rng, symbols, depth + 1)
    b = _random_expression(rng, symbols, depth + 1)
    pick = rng.randrange(12)
    return [a + b, a * b, a - b, sp.exp(a), sp.sin(a), sp.cos(a), sp.tanh(a), sp.Abs(a), sp.Max(a, b),
            sp.sign(a), sp.Heaviside(a), a / (1 + sp.exp(b))][pick]


def test_every_rewrite_rung_preserves_value_on_random_expressions():
    rng = random.Random(0)
    symbols = sp.symbols("x y", real=True)
    checked = 0
    for _ in range(150):
        expr = _random_expression(rng, symbols)
        for name, (rewritten, back) in rewrites(expr).items():
            restored = rewritten.xreplace(back)
            for _ in range(3):
                point = {s: sp.Rational(rng.randint(-300, 300), 97) for s in symbols}
                try:
                    want = complex(expr.xreplace(point).evalf(30))
                    got = complex(restored.xreplace(point).evalf(30))
                except Exception:  # noqa: BLE001 (sympy cannot evaluate this point: nothing to compare)
                    continue
                if mpmath.isnan(want.real) or abs(want) == float("inf"):
                    continue
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (name, expr, rewritten)
                checked += 1
    assert checked > 600


def test_the_zero_test_never_calls_a_nonzero_expression_zero():
    rng = random.Random(1)
    x, y = sp.symbols("x y", real=True)
    for _ in range(80):
        expr = _random_expression(rng, [x, y])
        if is_zero(expr):
            for _ in range(5):
                point = {x: sp.Rational(rng.randint(-300, 300), 97), y: sp.Rational(rng.randint(-300, 300), 89)}
                value = expr.xreplace(point).evalf(30)
                assert value.is_number and abs(complex(value)) < 1e-20, expr


# -- 2. not only a small box ---------------------------------------------------------------------

def test_false_outside_the_box():
    assert claim("relu(x - 5)", "0").verdict == "refuted"
    assert claim("sigmoid(x)", "99/100", relation="<").verdict == "refuted"


def test_false_only_on_a_thin_region():
    assert claim("Max(0, 1/100 - Abs(x))", "0").verdict == "refuted"
    huber_grad = "diff(Max(Abs(x), 1/100), x)"
    assert claim(huber_grad, "sign(x)").verdict == "refuted"
    assert claim(huber_grad, "sign(x)*ind(Abs(x) > 1/100)").verdict in PASSING


@pytest.mark.parametrize("lhs, symbols", [
    ("(log(x) - 1)**2", 'x = "positive"'),      # touches 0 at x = e only: no rational counterexample exists
    ("(log(x) - 5)**2", 'x = "real"'),          # at x = e^5, outside every box; log is undefined for x < 0
    ("(log(-x) - 5)**2", 'x = "real"'),         # at x = -e^5
    ("(exp(x/100) - 3)**2", 'x = "real"'),      # at x = 100 log 3
])
def test_a_strict_inequality_that_touches_at_one_irrational_magnitude_never_passes(lhs, symbols):
    assert claim(lhs, "0", symbols=symbols, relation=">").verdict not in PASSING


def test_a_proved_inequality_says_its_sign_was_decided():
    out = claim("sigmoid(x)", "1", relation="<")
    assert out.verdict == "proved" and "sign of every entry is decided exactly" in out.message


# -- 3. cancellation is not a difference ---------------------------------------------------------

@pytest.mark.parametrize("lhs, rhs", [
    ("sum(softmax(v)) - 1", "0"),
    ("grad(sum(softmax(v)), v)", "0*v"),
    ("softplus(v)", "v + softplus(-v)"),
    ("(v + 10**15) - 10**15", "v"),
])
def test_true_claims_with_cancellation_are_not_refuted(lhs, rhs):
    result = claim(lhs, rhs, symbols='v = "vector(n)"')
    assert result.verdict in PASSING, result.message


# -- 4. nothing vacuous --------------------------------------------------------------------------

def test_no_counterexample_outside_the_real_domain():
    """sqrt(x*y) = sqrt(x)*sqrt(y) was refuted at x = y = -1 through complex arithmetic (i*i = -1); over the
    reals the right side is undefined there, and where both sides are defined the identity holds."""
    assert claim("sqrt(x*y)", "sqrt(x)*sqrt(y)", symbols='x = "real"\ny = "real"').verdict != "refuted"
    assert claim("sqrt(x*y)", "sqrt(x)*sqrt(y) + 1", symbols='x = "real"\ny = "real"').verdict == "refuted"


def test_a_where_on_indices_keeps_index_arithmetic_in_range():
    """v[i + 1] exists only where i < n - 1: the claim is decided there, not an error (adversarial hunt)."""
    result = claim("v[i + 1] - v[i]", "-(v[i] - v[i + 1])", symbols='v = "vector(n)"\ni = "index(n)"',
                   where="i < n - 1")
    assert result.verdict == "proved", result.message


def test_a_where_that_no_index_satisfies_is_inconclusive():
    result = claim("s[i]", "s[i] + 1", symbols='s = "vector(n)"\ni = "index(n)"', where="i > 100")
    assert result.verdict == "inconclusive"


# -- 5. not only at the tried shapes ---------------------------------------------------------------

def test_an_identity_in_the_dimensions_that_holds_at_two_sizes_is_refuted():
    assert claim("sum(ones(n))", "n**2 - 4*n + 6", symbols='x = "real"\nv = "vector(n)"').verdict == "refuted"
    assert claim("sum(ones(m))*sum(ones(n))*W", "6*W", symbols='W = "matrix(m, n)"').verdict == "refuted"


@pytest.mark.parametrize("lhs, symbols", [
    ("ind(i == 40)*v[i]", 'v = "vector(n)"\ni = "index(n)"'),
    ("ind(i > 60)*v[i]", 'v = "vector(n)"\ni = "index(n)"'),
    ("ind(i == n - 1)*ind(n > 8)*v[i]", 'v = "vector(n)"\ni = "index(n)"'),
    ("ind(i == j)*ind(n > 8)*v[i]", 'v = "vector(n)"\ni = "index(n)"\nj = "index(n)"'),
    ("ind(i == j)*ind(j == k)*ind(n > 8)*v[i]", 'v = "vector(n)"\ni = "index(n)"\nj = "index(n)"\nk = "index(n)"'),
    ("ind(n > 8)*y[n - 1]", 'y = "onehot(n)"'),
    ("ind(2*i == 82)*v[i]", 'v = "vector(n)"\ni = "index(n)"'),
    ("ind(i*i == 1681)*v[i]", 'v = "vector(n)"\ni = "index(n)"'),
    ("ind(n > 8)*y[i]*v[i]", 'y = "onehot(n)"\nv = "vector(n)"\ni = "index(n)"'),
])
def test_a_claim_wrong_only_at_an_index_value_of_the_large_shape_is_refuted(lhs, symbols):
    """Index values exist beyond the proof's shapes only at the large one, where not every value is tried:
    the values the claim names, the ends and ties between indices are always among those tried (and among
    the positions of a one-hot's 1)."""
    assert claim(lhs, "0", symbols=symbols).verdict == "refuted"


@pytest.mark.parametrize("lhs, symbols, where", [
    ("ind(i > 7)*W[i, j]", 'W = "matrix(m, n)"\ni = "index(m)"\nj = "index(n)"', "i == j"),
    ("ind(i > 7)*W[i, j]", 'W = "matrix(n, n)"\ni = "index(n)"\nj = "index(n)"', "i == j + 1"),
])
def test_a_where_between_indices_is_met_at_the_large_shape(lhs, symbols, where):
    """Ties between indices over two sizes, and offsets such as i == j + 1, are among the cases tried."""
    assert claim(lhs, "0", symbols=symbols, where=where).verdict == "refuted"


@pytest.mark.parametrize("lhs, rhs, symbols", [
    ("(n - 2)*(n - 3)*(n - 6)*(n - 65)*x", "0*x", 'x = "vector(n)"'),   # roots at sizes a claim may get
    ("ind(n == 4)*x", "0*x", 'x = "vector(n)"'),
    ("ind(n <= 100)*x", "x", 'x = "vector(n)"'),
    ("ind(n > 8)*x + ind(n < 8)*x", "x", 'x = "vector(n)"'),
    ("ind(m == n)*W", "0*W", 'W = "matrix(m, n)"'),
])
def test_a_claim_that_holds_only_at_some_sizes_is_refuted(lhs, rhs, symbols):
    """Not proved for every dimension, a claim is also tried with all dimensions equal at every size from
    2 to 8 and at the sizes it names."""
    assert claim(lhs, rhs, symbols=symbols).verdict == "refuted"


def test_index_cases_at_a_large_shape_hold_the_named_values_the_ends_and_the_ties():
    from helpers import make_claim
    from verifier.index_cases import index_cases_for
    from verifier.plan import make_plan
    body = ('[symbols]\nv = "vector(n)"\ni = "index(n)"\nj = "index(n)"\n'
            '[check]\nlhs = "ind(i >= 40)*v[j]"\nrhs = "0"\n')
    plan = make_plan(make_claim(body), Settings())
    dims, _ = plan.numeric_shapes[-1]
    n = dims["n"]
    cases = index_cases_for(plan, dims, sample=True)
    assert cases == index_cases_for(plan, dims, sample=True)   # seeded: the same cases every time
    for name in "ij":
        assert {0, 39, 40, 41, n - 1} <= {c[name] for c in cases}
    assert any(c["i"] == c["j"] for c in cases)
    assert all(0 <= c[name] < n for c in cases for name in "ij")


# -- 6. kinks --------------------------------------------------------------------------------------

def test_true_kinked_gradients_are_decided_at_a_large_shape():
    symbols = 'W = "matrix(m, n)"\nx = "vector(n)"'
    result = claim("grad(sum(relu(W*x)), x)", "W.T*Heaviside(W*x)", symbols=symbols)
    assert result.verdict == "proved"
    # proved for every dimension, the verdict skips the large shape: the numeric check decides it there too
    from helpers import make_claim
    from verifier.numeric_check import check_numeric
    from verifier.plan import make_plan
    body = f'[symbols]\n{symbols}\n[check]\nlhs = "grad(sum(relu(W*x)), x)"\nrhs = "W.T*Heaviside(W*x)"\n'
    numeric = check_numeric(make_plan(make_claim(body), Settings()))
    assert numeric.shapes[-1]["m"] >= 64 and numeric.counterexample is None
    assert all(s.compared >= 8 for s in numeric.steps)


def test_a_pointwise_claim_must_hold_on_the_kink():
    assert claim("ind(x >= 0)", "ind(x > 0)").verdict == "refuted"
    assert claim("relu(x) - relu(-x)", "x").verdict == "proved"


def test_a_derivative_of_a_smooth_expression_leaves_a_kink_beside_it_pointwise():
    """Only a derivative of a kinked expression is undefined on the kink; diff(exp(x), x) is not, so the
    claim must still hold at x = 0 (the adversarial hunt: both of these passed as proved)."""
    assert claim("diff(exp(x), x)*ind(x >= 0)", "exp(x)*ind(x > 0)").verdict == "refuted"
    assert claim("ind(x >= 0) + 0*diff(x, x)", "ind(x > 0)").verdict == "refuted"
    assert claim("diff(relu(x), x)", "ind(x > 0)").verdict == "proved"   # undefined at 0: decided off it


# -- 7. decimals, generic functions, higher derivatives ---------------------------------------------

def test_decimals_are_compared_at_their_own_precision():
    assert claim("pi", "3.2", symbols="").verdict == "refuted"
    assert claim("pi", "3.14", symbols="").verdict == "proved"
    assert claim("1500 + 1/3", "1.5e3", symbols="").verdict == "proved"
    assert claim("[pi, 1/3]", "[3.14, 0.3]", symbols="").verdict == "proved"
    assert claim("[pi, 1/3]", "[3.1, 0.34]", symbols="").verdict == "refuted"


def test_a_claim_true_for_odd_functions_and_softplus_is_refuted():
    result = claim("f(0)*(fprime(0) - 1/2)", "0", symbols='x = "real"\nf = "function"')
    assert result.verdict == "refuted"


def test_a_wrong_third_derivative_is_refuted_not_an_internal_error():
    assert claim("diff(x**4, x, 3)", "25*x").verdict == "refuted"


# -- determinism: the id does not seed anything -------------------------------------------------------

def test_the_same_claim_under_another_id_gets_the_same_verdict_and_counterexample():
    body = '[symbols]\nx = "real"\n[check]\nlhs = "diff(sigmoid(x), x)"\nrhs = "sigmoid(x)*sigmoid(1 - x)"\n'
    first = verify(make_claim(body, claim_id="a.one"), Settings())
    second = verify(make_claim(body, claim_id="b.two"), Settings())
    assert first.verdict == second.verdict == "refuted"
    assert first.counterexample == second.counterexample


def test_a_scalar_sum_of_an_entry_and_a_derivative_is_projected_consistently_at_a_large_shape():
    """Found by the catalog's helper: at the large (directional) shape a scalar side x[1] + d/dx0 ... counted
    the entry once and the derivative with the projection's sign, so a true claim was refuted."""
    symbols = 'W = "matrix(C, d)"\nx = "vector(d)"'
    true = claim("x[1] + diff(sum(W*x), x[0])", "x[1] + sum(W*onehot(0, d))", symbols=symbols)
    assert true.verdict == "proved"
    wrong = claim("x[1] + diff(sum(W*x), x[0])", "x[1] - sum(W*onehot(0, d))", symbols=symbols)
    assert wrong.verdict == "refuted"


@pytest.mark.parametrize("k", [3, 4])
def test_a_claim_wrong_at_one_index_beyond_the_proof_shapes_and_for_one_kind_of_function_is_refuted(k):
    """Zero for odd f (tanh, sin, the cubic) and at the proof's shapes (n = 2, 3 have no index k): only the
    medium shape with a stand-in that is not odd shows it."""
    symbols = 'v = "vector(n)"\ni = "index(n)"\nf = "function"'
    assert claim(f"ind(i == {k})*(f(v[i]) + f(-v[i]))", "0", symbols=symbols).verdict == "refuted"


# -- differences below float resolution ---------------------------------------------------------

def test_a_difference_below_float_resolution_is_certified_at_an_agreeing_point():
    # 1 - sigmoid(x) < 1e-17 for x > 40, and 1 - tanh(x) < 1e-17 for x > 20: in floats both sides are 1.0
    # at every point, so the floats agreed and the claims were `confirmed`.  Without an exact proof, the
    # agreeing points are certified at high precision.
    sigmoid = claim("sigmoid(x)", "1", relation=">=", where="x > 40 and x < 60")
    assert sigmoid.verdict == "refuted"
    entry = sigmoid.counterexample.entries[0]
    assert entry.lhs.startswith("0.9999999999999999999") and entry.rhs == "1.0"   # digits enough to see it
    assert claim("tanh(x)", "1", where="x > 20").verdict == "refuted"
    # the same mechanism leaves true claims alone
    assert claim("sigmoid(x)", "1", relation="<", where="x > 40 and x < 60").verdict in PASSING
    assert claim("tanh(x)", "1 - 2/(exp(2*x) + 1)", where="x > 20").verdict in PASSING


def test_agreeing_points_are_certified_only_without_an_exact_proof(monkeypatch):
    import verifier.verify as verify_module
    calls = []
    real = verify_module.certify_agreement
    monkeypatch.setattr(verify_module, "certify_agreement", lambda plan, numeric: calls.append(1) or real(plan, numeric))
    assert claim("sigmoid(x)", "1/(1 + exp(-x))").verdict == "proved"
    assert not calls


# -- a literal dimension 1 ------------------------------------------------------------------------

def test_a_one_by_one_matrix_is_a_scalar_on_both_sides_of_a_claim():
    # `*` collapses a 1 x 1 product to a scalar; a side that is a 1 x 1 matrix some other way (outer) was
    # then "ill-typed" against it, so true claims at a literal dimension 1 failed
    one = 'x = "vector(1)"\ny = "vector(1)"'
    assert claim("outer(x, x)", "x*x.T", symbols=one).verdict == "proved"
    assert claim("outer(x, y)", "x.T*y", symbols=one).verdict == "proved"
    assert claim("outer(x, x)", "2*x*x.T", symbols=one).verdict == "refuted"
    # only a literal 1: at a symbolic size the shapes differ
    assert claim("outer(x, y)", "x.T*y", symbols='x = "vector(n)"\ny = "vector(n)"').verdict == "ill-typed"


# -- thin branches ----------------------------------------------------------------------------------

def test_a_thin_branch_of_a_polynomial_switch_is_visited():
    # relu(1e-9 - (x - 1/3)^2) is positive only on a width of 6e-5 around 1/3: random points miss it, a
    # point between the switch's two real roots (isolated exactly) does not
    thin = claim("relu(1e-9 - (x - 1/3)**2)", "0")
    assert thin.verdict == "refuted"
    assert thin.counterexample.point == {"x": "1/3"}
    assert claim("relu(-1e-9 - (x - 1/3)**2)", "0").verdict == "proved"   # no branch where it is positive


# -- claims about every function ------------------------------------------------------------------

FUNCTIONS = 'x = "real"\nf = "function"\ng = "function"\nh = "function"'


def test_a_claim_about_every_function_is_refuted_by_a_polynomial_through_chosen_values():
    # the six stand-ins are all small near 0, so these held for every one of them and were `confirmed`
    big = claim("Abs(f(0))", "3", symbols=FUNCTIONS, relation="<")
    assert big.verdict == "refuted"
    assert big.counterexample.function.startswith("f=poly(")
    assert claim("f(x)", "x**4 + 10", symbols=FUNCTIONS, relation="<=").verdict == "refuted"
    assert claim("Abs(g(1) - h(1))", "0", symbols=FUNCTIONS, relation=">").verdict == "refuted"   # g = h
    assert claim("fprime(0)", "f(1) - f(0)", symbols=FUNCTIONS).verdict == "refuted"
    # true for every function: never refuted (a polynomial is a function like any other)
    assert claim("f(x)**2", "0", symbols=FUNCTIONS, relation=">=").verdict in PASSING
    assert claim("diff(f(x**2), x)", "2*x*fprime(x**2)", symbols=FUNCTIONS).verdict == "proved"
    assert claim("Abs(f(x) - f(x))", "0", symbols=FUNCTIONS).verdict in PASSING


def test_the_polynomial_has_exactly_the_chosen_values_and_derivatives():
    from verifier.jets import _label
    from verifier.standins import standin
    t = sp.Symbol("t")
    conditions = {(sp.Integer(0), 0): sp.Integer(5), (sp.Integer(0), 2): sp.Integer(-3),
                  (sp.Integer(2), 1): sp.Rational(1, 2)}
    p = standin(_label(conditions))(t)
    assert p.subs(t, 0) == 5 and sp.diff(p, t, 2).subs(t, 0) == -3 and sp.diff(p, t).subs(t, 2) == sp.Rational(1, 2)


# -- inequalities under a linear `where` ------------------------------------------------------------

def test_a_linear_where_is_built_into_an_inequality_with_slack_variables():
    # Max(0, 1 - s + sc) > 0 wherever s <= sc: with sc = s + t, t >= 0, it is Max(0, 1 + t) = 1 + t > 0
    assert claim("Max(0, 1 - s + sc)", "0", symbols='s = "real"\nsc = "real"', relation=">",
                 where="s <= sc").verdict == "proved"
    assert claim("x*y", "0", symbols='x = "real"\ny = "real"', relation=">=", where="x >= 0 and y >= x").verdict == "proved"
    # the slack never proves what `where` does not give
    assert claim("Max(0, 1 - s + sc)", "0", symbols='s = "real"\nsc = "real"', relation=">",
                 where="s <= sc + 2").verdict == "refuted"
    assert claim("x*y", "0", symbols='x = "real"\ny = "real"', relation=">=", where="x >= 0 and y >= x - 1").verdict == "refuted"


def test_slack_substitution_covers_every_point_of_where():
    from verifier.symbolic_check import with_slack
    x, y = sp.symbols("x y", real=True)
    where = sp.And(x >= 0, y > 2 * x + 1)
    out = with_slack(x + y, where)
    slack = sorted(out.free_symbols, key=str)
    assert x not in out.free_symbols and y not in out.free_symbols and len(slack) == 2
    assert slack[0].is_nonnegative and slack[1].is_positive
