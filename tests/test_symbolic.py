"""The sympy back end: true claims are proved, wrong ones (made from true ones) are refuted."""

import math
from fractions import Fraction

import numpy as np
import pytest

from helpers import make_claim, verdict_of
from verifier.verify import Settings, verify

MAXMARGIN = '''
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
b = "vector(m)"
v = "vector(m)"
f = "function"
[let]
z = "W*x + b"
s = "v.T*f(z)"
delta = "hadamard(v, fprime(z))"
[check]
lhs = "grad(s, W)"
rhs = "{rhs}"
'''

SIGMOID = '''
[symbols]
x = "real"
[check]
lhs = "diff(sigmoid(x), x)"
rhs = "{rhs}"
'''

SOFTMAX_CE = '''
[symbols]
t = "vector(n)"
y = "onehot(n)"
[let]
yhat = "softmax(t)"
[check]
lhs = "grad(-sum(hadamard(y, log(yhat))), t)"
rhs = "{rhs}"
'''

DELTA_HIDDEN = '''
[symbols]
x = "vector(n1)"
W1 = "matrix(n2, n1)"
b1 = "vector(n2)"
W2 = "matrix(n3, n2)"
b2 = "vector(n3)"
v = "vector(n3)"
f = "function"
[let]
z2 = "W1*x + b1"
z3 = "W2*f(z2) + b2"
s = "v.T*f(z3)"
delta3 = "hadamard(v, fprime(z3))"
[check]
lhs = "grad(s, z2)"
rhs = "{rhs}"
'''

LOGDET = '''
[symbols]
X = "matrix(n, n)"
[check]
lhs = "grad(log(det(X)), X)"
rhs = "{rhs}"
'''

HINGE = '''
[symbols]
s = "vector(n)"
y = "index(n)"
k = "index(n)"
Delta = "positive"
[let]
L = "sum(Max(0, s - s[y] + Delta)) - Delta"
[check]
lhs = "diff(L, s[k])"
rhs = "{rhs}"
'''

# (template, the true right side, wrong right sides made from it by one typical mistake)
CASES = [
    (MAXMARGIN, "delta*x.T", {
        "sign flipped": "-delta*x.T",
        "factor 2": "2*delta*x.T",
        "f instead of f'": "hadamard(v, f(z))*x.T",
        "dropped f'": "v*x.T",
    }),
    (SIGMOID, "sigmoid(x)*(1 - sigmoid(x))", {
        "sigma(1 - x) for 1 - sigma(x)": "sigmoid(x)*sigmoid(1 - x)",
        "sign flipped": "-sigmoid(x)*(1 - sigmoid(x))",
        "plus for minus": "sigmoid(x)*(1 + sigmoid(x))",
    }),
    (SOFTMAX_CE, "yhat - y", {
        "sign flipped": "y - yhat",
        "dropped y": "yhat",
        "true class only": "yhat - 1",
    }),
    (DELTA_HIDDEN, "hadamard(W2.T*delta3, fprime(z2))", {
        "dropped f'": "W2.T*delta3",
        "f for f'": "hadamard(W2.T*delta3, f(z2))",
        "v for the back-propagated error": "hadamard(v[0]*W2.T*delta3, fprime(z2))",
    }),
    (LOGDET, "inv(X).T", {
        "transpose dropped on a square matrix": "inv(X)",
        "sign flipped": "-inv(X).T",
    }),
    (HINGE, "ind(k != y)*ind(s[k] - s[y] + Delta > 0) - ind(k == y)*(sum(Heaviside(s - s[y] + Delta)) - 1)", {
        "sign of the true-class term": "ind(k != y)*ind(s[k] - s[y] + Delta > 0) + ind(k == y)*(sum(Heaviside(s - s[y] + Delta)) - 1)",
        "the j = y term counted": "ind(k != y)*ind(s[k] - s[y] + Delta > 0) - ind(k == y)*sum(Heaviside(s - s[y] + Delta))",
    }),
]


@pytest.mark.parametrize("template, rhs", [(t, r) for t, r, _ in CASES])
def test_true_claims_are_proved(template, rhs):
    result = verdict_of(template.format(rhs=rhs))
    assert result.verdict == "proved", result.steps
    assert len(result.shapes) >= 1
    assert all(s.verdict == "proved" for s in result.steps)


MUTANTS = [(t, name, wrong) for t, _, mutants in CASES for name, wrong in mutants.items()]


@pytest.mark.parametrize("template, name, wrong", MUTANTS, ids=[m[1] for m in MUTANTS])
def test_wrong_claims_made_from_true_ones_are_refuted(template, name, wrong):
    result = verdict_of(template.format(rhs=wrong))
    assert result.verdict == "refuted", (name, result.steps)
    ce = result.counterexample
    assert ce is not None and ce.entries
    for entry in ce.entries:
        assert float(entry.lhs) != pytest.approx(float(entry.rhs), rel=1e-9, abs=1e-12)


def test_every_tried_shape_has_distinct_dimensions():
    result = verdict_of(MAXMARGIN.format(rhs="delta*x.T"))
    assert len(result.shapes) >= 2
    for shape in result.shapes:
        assert len(set(shape.values())) == len(shape)


def test_sigmoid_counterexample_is_rechecked_independently():
    result = verdict_of(SIGMOID.format(rhs="sigmoid(x)*sigmoid(1 - x)"))
    ce = result.counterexample
    x = float(Fraction(ce.point["x"]))
    sig = lambda t: 1 / (1 + math.exp(-t))
    (entry,) = ce.entries
    assert float(entry.lhs) == pytest.approx(sig(x) * (1 - sig(x)), rel=1e-10)
    assert float(entry.rhs) == pytest.approx(sig(x) * sig(1 - x), rel=1e-10)


def test_matrix_counterexample_is_rechecked_with_numpy():
    """Re-derive both sides at the reported point: lhs by central differences, rhs by its formula."""
    result = verdict_of(MAXMARGIN.format(rhs="v*x.T"))
    ce = result.counterexample
    f = {"tanh": np.tanh, "sin": np.sin, "cubic": lambda t: t**3 / 3 - t / 2,
         "softplus": lambda t: np.log1p(np.exp(t))}[ce.function.split("=")[1]]
    arr = lambda name: np.array([[float(Fraction(e)) for e in row] for row in ce.point[name]])
    W, x, b, v = arr("W"), arr("x"), arr("b"), arr("v")
    score = lambda W_: (v.T @ f(W_ @ x + b)).item()
    for entry in ce.entries:
        i, j = (int(t) for t in entry.entry.strip("[]").split(","))
        h = 1e-6
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += h
        Wm[i, j] -= h
        assert float(entry.lhs) == pytest.approx((score(Wp) - score(Wm)) / (2 * h), rel=1e-6, abs=1e-8)
        assert float(entry.rhs) == pytest.approx(v[i, 0] * x[j, 0], rel=1e-12)


def test_a_claim_true_for_tanh_only_is_refuted_by_another_function():
    result = verdict_of('[symbols]\nx = "real"\nf = "function"\n[check]\nlhs = "fprime(x)"\nrhs = "1 - f(x)**2"\n')
    assert result.verdict == "refuted"
    assert result.counterexample.function != "f=tanh"


def test_chain_reports_each_step_and_the_first_wrong_one():
    result = verdict_of('''
[symbols]
x = "real"
[check]
steps = ["diff(x**2*exp(x), x)", "2*x*exp(x) + x**2*exp(x)", "2*x*exp(x)", "x*(2 + x)*exp(x)", "x*exp(x)"]
''')
    assert result.verdict == "refuted"
    assert [s.verdict for s in result.steps] == ["proved", "refuted", "refuted", "refuted"]
    assert result.counterexample.step == 2
    assert "first wrong step: (1) = (2)" in result.message


def test_relu_derivative_with_kinks_is_proved():
    result = verdict_of('[symbols]\nz = "vector(n)"\n[check]\nlhs = "jacobian(relu(z), z)"\nrhs = "diag(Heaviside(z))"\n')
    assert result.verdict == "proved"


def test_kinked_claims_are_proved_branch_by_branch():
    result = verdict_of('[symbols]\nx = "real"\n[check]\nlhs = "diff(Abs(x), x)"\nrhs = "2*Heaviside(x) - 1"\n')
    assert result.verdict == "proved"
    assert "0 on each of 2 branches of 1 kink(s)" in result.steps[0].detail


def test_where_restricts_a_kinked_claim_to_its_region():
    body = '''
[symbols]
s = "real"
sc = "real"
[check]
lhs = "diff(Max(0, 1 - s + sc), s)"
rhs = "-1"
'''
    assert verdict_of(body + 'where = "1 - s + sc > 0"\n').verdict == "proved"
    assert verdict_of(body).verdict == "refuted"


def test_index_symbols_are_tried_at_every_value():
    body = '[symbols]\nW = "matrix(m, n)"\nk = "index(m)"\nl = "index(n)"\n[check]\nlhs = "diff(sum(W**2), W[k, l])"\nrhs = "{rhs}"\n'
    assert verdict_of(body.format(rhs="2*W[k, l]")).verdict == "proved"
    wrong = verdict_of(body.format(rhs="2*W[l, k]") if False else body.format(rhs="2*W[k, 0]"))
    assert wrong.verdict == "refuted" and wrong.counterexample.indices["l"] != 0


def test_probability_vectors_sum_to_one():
    body = '[symbols]\np = "probability(n)"\n[check]\nlhs = "sum(p)"\nrhs = "{rhs}"\n'
    assert verdict_of(body.format(rhs="1")).verdict == "proved"
    assert verdict_of(body.format(rhs="2")).verdict == "refuted"


def test_inequalities():
    body = '[symbols]\nx = "real"\n[check]\nlhs = "sigmoid(x)"\nrhs = "{rhs}"\nrelation = "{rel}"\n'
    assert verdict_of(body.format(rhs="1", rel="<")).verdict == "proved"
    refuted = verdict_of(body.format(rhs="1/2", rel=">"))
    assert refuted.verdict == "refuted"
    assert float(refuted.counterexample.entries[0].lhs) <= 0.5


def test_numbers_are_compared_at_the_stated_precision():
    body = '[check]\nlhs = "123.456**2"\nrhs = "{rhs}"\n'
    assert verdict_of(body.format(rhs="15241.383")).verdict == "proved"       # 15241.383936, truncated
    assert verdict_of(body.format(rhs="15241.4")).verdict == "proved"         # within 0.1
    assert verdict_of(body.format(rhs="15241.37")).verdict == "refuted"       # 0.0139 away, beyond 0.01
    assert verdict_of(body.format(rhs="15241")).verdict == "refuted"          # an integer is exact


def test_derivative_by_a_let_name_holds_it_as_the_variable():
    body = '''
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
b = "vector(m)"
y = "onehot(m)"
[let]
s = "W*x + b"
L = "-log(sum(hadamard(y, softmax(s))))"
[check]
lhs = "grad(L, s)"
rhs = "softmax(s) - y"
'''
    assert verdict_of(body).verdict == "proved"


def test_an_empty_where_region_is_inconclusive_not_a_verdict():
    result = verdict_of('[symbols]\nx = "real"\n[check]\nlhs = "x"\nrhs = "x + 1"\nwhere = "x > 1 and x < 0"\n')
    assert result.verdict == "inconclusive"
    assert "only 0 points could be compared" in result.message and "where" in result.message


def test_same_seed_same_counterexample_and_different_seed_may_differ():
    body = SIGMOID.format(rhs="-sigmoid(x)")
    a = verify(make_claim(body), Settings(seed=3)).counterexample
    b = verify(make_claim(body), Settings(seed=3)).counterexample
    assert a == b
    points = {verify(make_claim(body), Settings(seed=s)).counterexample.point["x"] for s in range(6)}
    assert len(points) > 1


def test_where_on_indices_restricts_the_claim_to_those_index_values():
    body = '''
[symbols]
z = "vector(n)"
b = "vector(n)"
c = "index(n)"
i = "index(n)"
[let]
l = "-log(softmax(z + b)[c])"
[check]
lhs = "diff(l, b[i])"
rhs = "{rhs}"
where = "i != c"
'''
    assert verdict_of(body.format(rhs="softmax(z + b)[i]")).verdict == "proved"
    wrong = verdict_of(body.format(rhs="-softmax(z + b)[i]"))
    assert wrong.verdict == "refuted" and wrong.counterexample.indices["i"] != wrong.counterexample.indices["c"]


def test_two_generic_functions_get_different_stand_ins():
    body = '[symbols]\nx = "real"\ng = "function"\nh = "function"\n[check]\nlhs = "diff(g(x)/h(x), x)"\nrhs = "{rhs}"\n'
    assert verdict_of(body.format(rhs="(gprime(x)*h(x) - hprime(x)*g(x))/h(x)**2")).verdict == "proved"
    wrong = verdict_of(body.format(rhs="(gprime(x)*h(x) + hprime(x)*g(x))/h(x)**2"))
    assert wrong.verdict == "refuted"
    g, h = (part.split("=")[1] for part in wrong.counterexample.function.split("; "))
    assert g != h


def test_ones_repeats_a_column():
    body = '''
[symbols]
W = "matrix(m, d)"
X = "matrix(d, N)"
b = "vector(m)"
f = "function"
[let]
S = "W*X + b*ones(N).T"
L = "sum(f(S))/N"
[check]
lhs = "grad(L, b)"
rhs = "{rhs}"
'''
    assert verdict_of(body.format(rhs="fprime(S)*ones(N)/N")).verdict == "proved"
    assert verdict_of(body.format(rhs="fprime(S)*ones(N)")).verdict == "refuted"


def test_indicator_of_a_clipped_value_is_zero_where_the_clip_is_active():
    """ind(max(0, u) > 0) is 0 on the whole region u <= 0 (not Heaviside's 1/2 at 0)."""
    body = '[symbols]\nu = "real"\n[check]\nlhs = "ind(Max(0, u) > 0)"\nrhs = "{rhs}"\n'
    assert verdict_of(body.format(rhs="ind(u > 0)")).verdict == "proved"
    assert verdict_of(body.format(rhs="ind(u >= 0)")).verdict == "refuted"  # pointwise: differs at u = 0
    assert verdict_of(body.format(rhs="1")).verdict == "refuted"


def test_no_clock_decides_a_verdict():
    body = '''
[symbols]
x = "matrix(1, Dx)"
W1 = "matrix(Dx, H)"
W2 = "matrix(H, Dy)"
y = "onehot(Dy)"
[let]
z = "x*W1"
yhat = "softmax(sigmoid(z)*W2)"
J = "-sum(hadamard(y.T, log(yhat)))"
[check]
lhs = "grad(J, x)"
rhs = "hadamard((yhat - y.T)*W2.T, hadamard(sigmoid(z), 1 - sigmoid(z)))*W1.T"
'''
    generous = verify(make_claim(body), Settings(timeout=60))
    assert generous.verdict == "proved"
    tight = verify(make_claim(body), Settings(timeout=0.001))  # the timeout is the runner's business only
    assert tight.verdict == "proved" and tight.steps == generous.steps
