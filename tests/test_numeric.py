"""The NumPy back end and the numeric cross-check, tested on their own."""

import json
from dataclasses import replace

import numpy as np
import pytest

from helpers import make_claim
from test_symbolic import HINGE as SYMBOLIC_HINGE, MAXMARGIN
from verifier import verify as verify_module
from verifier.model import StepResult
from verifier.numeric import FLOAT, ArrayEvaluator
from verifier.numeric_check import check_numeric, project, side_values
from verifier.plan import make_plan
from verifier.points import draw_values
from verifier.report import make_report, render_json
from verifier.shapes import ShapeEnv
from verifier.verify import Settings, verify

NET = MAXMARGIN.replace('lhs = "grad(s, W)"', 'lhs = "{lhs}"')


def numeric(body, *, seed=0, points=5, large=0):
    return check_numeric(make_plan(make_claim(body), Settings(seed=seed, points=points, large=large)))


def draw_point(claim, dims, indices, rng):
    return draw_values(claim, dims, indices, rng, "box")


@pytest.mark.parametrize("lhs, rhs", [
    ("grad(s, W)", "delta*x.T"),
    ("grad(s, x)", "W.T*delta"),
    ("grad(s, b)", "delta"),
    ("jacobian(f(z), x)", "diag(fprime(z))*W"),
])
def test_true_gradients_agree_at_small_and_large_shapes(lhs, rhs):
    out = numeric(NET.format(lhs=lhs, rhs=rhs), large=64)
    assert out.counterexample is None
    assert out.modes == ["full", "full", "full", "directional"]
    assert [f.split("=")[1].split("(")[0] for f in out.functions] == ["tanh", "sin", "softplus", "cubic", "poly", "wave"]
    assert out.steps[0].compared >= 100
    assert 0 <= out.steps[0].max_relative < 1e-6


@pytest.mark.parametrize("rhs", ["x*delta.T", "-delta*x.T", "2*delta*x.T", "v*x.T", "hadamard(v, f(z))*x.T"])
def test_wrong_gradients_get_a_counterexample_that_the_test_rechecks(rhs):
    body = NET.format(lhs="grad(s, W)", rhs=rhs).replace('"matrix(m, n)"', '"matrix(m, m)"').replace(
        '"vector(n)"', '"vector(m)"') if rhs == "x*delta.T" else NET.format(lhs="grad(s, W)", rhs=rhs)
    out = numeric(body)
    ce = out.counterexample
    assert ce is not None and ce.entries
    from verifier.numeric import scalar_function
    f = scalar_function(ce.function.split("=", 1)[1], 0)
    arr = lambda name: np.array([[float(e) for e in row] for row in ce.point[name]])
    W, x, b, v = arr("W"), arr("x"), arr("b"), arr("v")
    score = lambda W_: (v.T @ f(W_ @ x + b)).item()
    for entry in ce.entries:
        i, j = (int(t) for t in entry.entry.strip("[]").split(","))
        h = 1e-6
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += h
        Wm[i, j] -= h
        assert float(entry.lhs) == pytest.approx((score(Wp) - score(Wm)) / (2 * h), rel=1e-6, abs=1e-9)
        assert abs(float(entry.lhs) - float(entry.rhs)) > 1e-6


HINGE = SYMBOLIC_HINGE.format(
    rhs="ind(k != y)*ind(s[k] - s[y] + Delta > 0) - ind(k == y)*(sum(Heaviside(s - s[y] + Delta)) - 1)")

RELU = '''
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
v = "vector(m)"
[check]
lhs = "grad(v.T*relu(W*x), W)"
rhs = "hadamard(v, Heaviside(W*x))*x.T"
'''

MAXMARGIN_LOSS = '''
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
xc = "vector(n)"
v = "vector(m)"
f = "function"
[let]
s = "v.T*f(W*x)"
sc = "v.T*f(W*xc)"
J = "Max(0, 1 - s + sc)"
[check]
lhs = "grad(J, W)"
rhs = "-hadamard(v, fprime(W*x))*x.T + hadamard(v, fprime(W*xc))*xc.T"
where = "1 - s + sc > 0"
'''


@pytest.mark.parametrize("body", [HINGE, RELU, MAXMARGIN_LOSS], ids=["hinge", "relu", "max-margin"])
def test_true_claims_with_kinks_are_never_refuted(body):
    for seed in range(8):
        out = numeric(body, seed=seed, large=32)
        assert out.counterexample is None, (seed, out.counterexample)
        assert out.points >= 5


def test_a_kinked_claim_outside_its_region_is_refuted():
    body = MAXMARGIN_LOSS.replace('where = "1 - s + sc > 0"\n', "")
    assert numeric(body, points=10).counterexample is not None


def test_one_hot_and_probability_kinds_are_sampled_on_their_sets():
    claim = make_claim('[symbols]\ny = "onehot(n)"\np = "probability(n)"\nc = "positive"\n[check]\nlhs = "1"\nrhs = "1"\n')
    rng = np.random.default_rng(0)
    for _ in range(50):
        point = draw_point(claim, {"n": 7}, {}, rng)
        assert point["y"].shape == (7, 1) and sorted(np.ravel(point["y"])) == [0.0] * 6 + [1.0]
        assert np.all(point["p"] > 0) and point["p"].sum() == pytest.approx(1.0, abs=1e-15)
        assert point["c"] > 0


def test_matrices_are_scaled_so_that_products_stay_of_order_one():
    claim = make_claim('[symbols]\nW = "matrix(m, n)"\nx = "vector(n)"\n[check]\nlhs = "W*x"\nrhs = "W*x"\n')
    point = draw_point(claim, {"m": 512, "n": 512}, {}, np.random.default_rng(1))
    z = point["W"] @ point["x"]
    assert 0.3 < np.std(z) < 3


def test_float_noise_is_not_a_difference_once_certified():
    body = '[symbols]\nx = "real"\n[check]\nlhs = "(x + 1e17) - 1e17"\nrhs = "x"\n'
    out = numeric(body)
    assert out.counterexample is None
    assert out.steps[0].certified_noise >= 1
    assert verify(make_claim(body)).verdict == "proved"


def test_directional_projection_matches_the_full_jacobian():
    claim = make_claim(NET.format(lhs="grad(s, W)", rhs="delta*x.T"))
    env = ShapeEnv(claim)
    rng = np.random.default_rng(3)
    values = draw_point(claim, {"m": 6, "n": 9}, {}, rng)
    ev = ArrayEvaluator(claim, values, FLOAT, "tanh")
    u, v = rng.standard_normal((6, 1)), rng.standard_normal((9, 1))
    full = ev(claim.steps[0])
    assert project(ev, claim.steps[0], env, u, v) == pytest.approx((u.T @ full @ v).item(), rel=1e-7)
    assert project(ev, claim.steps[1], env, u, v) == pytest.approx((u.T @ ev(claim.steps[1]) @ v).item(), rel=1e-12)
    wrong = make_claim(NET.format(lhs="grad(s, W)", rhs="v*x.T"))
    sides = side_values(ArrayEvaluator(wrong, values, FLOAT, "tanh"), wrong.steps[1], ShapeEnv(wrong), [(u, v)])
    assert abs(sides[0] - project(ev, claim.steps[0], env, u, v)) > 1e-3


def test_a_wrong_claim_is_caught_by_directions_alone():
    out = numeric(NET.format(lhs="grad(s, x)", rhs="W.T*v"), points=3, large=256)
    assert out.counterexample is not None
    small = numeric(NET.format(lhs="grad(s, x)", rhs="W.T*delta"), points=3, large=256)
    assert small.counterexample is None and small.modes[-1] == "directional" and small.shapes[-1]["m"] >= 256


def test_plain_numbers_at_the_stated_precision_and_inequalities():
    assert numeric('[check]\nlhs = "123.456**2"\nrhs = "15241.383"\n').counterexample is None
    assert numeric('[check]\nlhs = "123.456**2"\nrhs = "15241.37"\n').counterexample is not None
    ineq = '[symbols]\nx = "real"\n[check]\nlhs = "sigmoid(x)"\nrhs = "{rhs}"\nrelation = "{rel}"\n'
    assert numeric(ineq.format(rhs="1", rel="<")).counterexample is None
    assert numeric(ineq.format(rhs="1/2", rel=">"), points=10).counterexample is not None


def test_symbolic_zero_against_numeric_difference_is_an_engine_disagreement(monkeypatch):
    """If sympy ever 'proves' a wrong claim, the numbers must say so and the claim must not pass."""
    real = verify_module.check_symbolic

    def overconfident(plan):
        steps, shapes, _ = real(plan)
        return tuple(replace(s, verdict="proved") for s in steps), shapes, None

    monkeypatch.setattr(verify_module, "check_symbolic", overconfident)
    result = verify(make_claim(NET.format(lhs="grad(s, W)", rhs="v*x.T")))
    assert result.verdict == "engine-disagreement"
    assert "interval arithmetic certifies a difference" in result.message and not result.agrees


def test_sympy_counterexample_that_the_numbers_do_not_confirm_is_a_disagreement(monkeypatch):
    real = verify_module.check_symbolic

    def wrongly_refuting(plan):
        steps, shapes, _ = real(plan)
        wrong = make_claim(NET.format(lhs="grad(s, W)", rhs="v*x.T"))
        _, _, ce = real(make_plan(wrong, plan.settings))
        return (StepResult(1, "refuted"),), shapes, ce

    monkeypatch.setattr(verify_module, "check_symbolic", wrongly_refuting)
    result = verify(make_claim(NET.format(lhs="grad(s, W)", rhs="delta*x.T")))
    assert result.verdict == "engine-disagreement"
    assert "at the same point shows none" in result.message


def test_symbolic_inconclusive_with_numeric_agreement_is_confirmed(monkeypatch):
    real = verify_module.check_symbolic

    def giving_up(plan):
        steps, shapes, ce = real(plan)
        return tuple(replace(s, verdict="inconclusive") for s in steps), shapes, ce

    monkeypatch.setattr(verify_module, "check_symbolic", giving_up)
    # nor a proof for every dimension (which would decide it: test_every_dimension.py)
    from verifier.every_dimension import DimensionProof
    monkeypatch.setattr(verify_module, "prove_every_dimension", lambda claim, env=None: DimensionProof(False, "off"))
    assert verify(make_claim(NET.format(lhs="grad(s, b)", rhs="delta"))).verdict == "confirmed"


def test_fixed_seed_gives_identical_json():
    def run():
        claims = [make_claim(NET.format(lhs="grad(s, W)", rhs=r), claim_id=f"n.{i}")
                  for i, r in enumerate(["delta*x.T", "v*x.T"])]
        results = [replace(verify(c, Settings(seed=5, large=32)), seconds=0.0) for c in claims]
        return render_json(make_report(results, seed=5))

    first, second = run(), run()
    assert first == second
    data = json.loads(first)
    assert data["claims"][0]["details"]["numeric"]["steps"][0]["agreement"] == "< 1e-06"


def test_second_derivatives_are_cross_checked():
    body = '[symbols]\nx = "real"\n[check]\nlhs = "diff(sigmoid(x), x, 2)"\nrhs = "{rhs}"\n'
    true = "sigmoid(x)*(1 - sigmoid(x))*(1 - 2*sigmoid(x))"
    out = numeric(body.format(rhs=true))
    assert out.counterexample is None and out.steps[0].compared >= 16 and out.steps[0].max_relative < 1e-5
    assert numeric(body.format(rhs="sigmoid(x)*(1 - sigmoid(x))")).counterexample is not None
    assert verify(make_claim(body.format(rhs=true))).verdict == "proved"


def test_third_derivatives_rest_on_the_symbolic_check_and_say_so():
    body = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**4, x, 3)"\nrhs = "24*x"\n'
    out = numeric(body)
    assert out.unchecked and "order 3" in out.notes[0]
    assert verify(make_claim(body)).verdict == "proved"


def test_an_entry_of_a_gradient_is_the_entry_of_the_whole_gradient():
    """grad(body, var)[i, j] computes one derivative instead of the whole gradient: the same number, in
    floats and in interval arithmetic with exact derivatives."""
    from verifier.certify import _precision
    from verifier.intervals import INTERVAL, raw, value_of
    claim = make_claim(NET.format(lhs="grad(s, W)[i, j]", rhs="delta[i]*x[j]").replace(
        'f = "function"', 'f = "function"\ni = "index(m)"\nj = "index(n)"'))
    dims = {"m": 3, "n": 4}
    values = draw_point(claim, dims, {"i": 2, "j": 1}, np.random.default_rng(5))
    values |= {"i": 2.0, "j": 1.0}
    entry, whole = claim.steps[0], claim.steps[0].args[0]
    ev = ArrayEvaluator(claim, values, FLOAT, "f=sin")
    assert ev(entry) == ev(whole)[2, 1]
    with _precision(128):
        point = {k: INTERVAL.array(v, v.shape) if isinstance(v, np.ndarray) else INTERVAL.const(v)
                 for k, v in values.items()}
        exact = ArrayEvaluator(claim, point, INTERVAL, "f=sin")
        one, full = raw(value_of(exact(entry))), raw(value_of(exact(whole)[2, 1]))
    assert one.a == full.a and one.b == full.b and one.delta < 1e-30


def test_every_shape_pairs_every_index_case_with_every_standin():
    """Pairing index cases with stand-ins in turn (to save time) missed a claim wrong only at one index
    value and only for a stand-in that is not odd; every pair is tried."""
    from verifier.numeric_check import _combinations, index_cases_for
    claim = make_claim(NET.format(lhs="grad(s, W)[i, j]", rhs="delta[i]*x[j]").replace(
        'f = "function"', 'f = "function"\ni = "index(m)"\nj = "index(n)"'))
    plan = make_plan(claim, Settings())
    for dims, mode in plan.numeric_shapes:
        cases = index_cases_for(plan, dims, sample=mode == "directional")
        pairs = _combinations(plan, dims, cases)
        assert {tuple(sorted(c.items())) for c, _ in pairs} == {tuple(sorted(c.items())) for c in cases}
        assert {f for _, f in pairs} == set(plan.functions)
        assert len(pairs) == len(cases) * len(plan.functions)
