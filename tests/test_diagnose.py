"""Diagnosis: each typical mistake, made on purpose from a true claim, is refuted and named."""

import pytest

from helpers import make_claim, verdict_of
from test_symbolic import LOGDET, MAXMARGIN, SIGMOID
from verifier.verify import verify

GRAD_X = MAXMARGIN.replace('lhs = "grad(s, W)"', 'lhs = "grad(s, x)"')


@pytest.mark.parametrize("template, wrong, expected", [
    (LOGDET, "inv(X)", "transpose"),
    (MAXMARGIN, "x*delta.T", "transpose the whole side"),
    (SIGMOID, "-sigmoid(x)*(1 - sigmoid(x))", "off by a factor -1"),
    (MAXMARGIN, "2*delta*x.T", "off by a factor 1/2"),
    (SIGMOID, "sigmoid(x)*sigmoid(1 - x)", "sigmoid(1 - x) should be 1 - sigmoid(x)"),
    (GRAD_X, "hadamard(W, delta)", "should be a matrix product with the first factor transposed"),
    (MAXMARGIN, "v*x.T", "a missing factor f'(z) on v"),
    (MAXMARGIN, "hadamard(v, f(z))*x.T", "f(z) should be f'(z)"),
    (MAXMARGIN, "hadamard(hadamard(v, fprime(z)), fprime(z))*x.T", "an extra factor fprime(z)"),
])
def test_each_repair_kind_names_the_mistake(template, wrong, expected):
    result = verdict_of(template.format(rhs=wrong))
    assert result.verdict in ("refuted", "ill-typed")
    descriptions = [r.description for r in result.diagnosis.repairs]
    assert any(d.startswith(expected) or expected in d for d in descriptions), descriptions
    assert all(r.verified_by in ("symbolic proof", "numeric check") for r in result.diagnosis.repairs)
    assert result.diagnosis.correct_statement


TWO_LAYER = """
[symbols]
x = "vector(n1)"
W1 = "matrix(n2, n1)"
W2 = "matrix(n3, n2)"
v = "vector(n3)"
f = "function"
[let]
z2 = "W1*x"
a2 = "f(z2)"
z3 = "W2*a2"
s = "v.T*f(z3)"
delta3 = "hadamard(v, fprime(z3))"
delta2 = "hadamard(W2.T*delta3, fprime(z2))"
[check]
lhs = "{lhs}"
rhs = "{rhs}"
"""


@pytest.mark.parametrize("lhs, wrong, expected", [
    ("grad(s, W2)", "delta3*x.T", "x should be a2"),
    ("grad(s, z2)", "hadamard(v, fprime(z2))", "the right side should be delta2"),
])
def test_a_quantity_written_for_another_is_named(lhs, wrong, expected):
    result = verify(make_claim(TWO_LAYER.format(lhs=lhs, rhs=wrong)))
    assert result.verdict == "ill-typed"
    assert any(r.description.startswith(expected) for r in result.diagnosis.repairs)


def test_a_true_claim_gets_no_diagnosis():
    assert verdict_of(SIGMOID.format(rhs="sigmoid(x)*(1 - sigmoid(x))")).diagnosis is None


def test_a_wrong_claim_that_no_repair_fixes_gets_no_invented_hint():
    result = verdict_of(SIGMOID.format(rhs="sigmoid(x)**3"))
    assert result.verdict == "refuted"
    assert result.diagnosis.repairs == ()
    assert result.diagnosis.summary == "no single repair verifies"
    assert result.diagnosis.side_condition is None


def test_the_first_wrong_step_of_a_chain_with_two_wrong_steps_is_the_earlier_one():
    result = verdict_of('''
[symbols]
x = "real"
[check]
steps = ["diff(x**2*exp(x), x)", "2*x*exp(x) + x**2*exp(x)", "2*x*exp(x)", "x*exp(x)*(2 + x)"]
''')
    assert [s.verdict for s in result.steps] == ["proved", "refuted", "refuted"]
    assert result.diagnosis.step == 2
    assert result.diagnosis.summary.startswith("step (1) = (2) is the first wrong one")


def test_a_side_condition_on_a_vector_that_should_sum_to_one():
    result = verdict_of('''
[symbols]
t = "vector(n)"
y = "vector(n)"
[check]
lhs = "grad(-sum(hadamard(y, log(softmax(t)))), t)"
rhs = "softmax(t) - y"
''')
    assert result.verdict == "refuted"
    assert result.diagnosis.side_condition == "holds when sum(y) = 1"


def test_a_piecewise_claim_is_said_to_hold_on_its_region_only():
    result = verdict_of('[symbols]\ns = "real"\nsc = "real"\n[check]\nlhs = "diff(Max(0, 1 - s + sc), s)"\nrhs = "-1"\n')
    assert result.verdict == "refuted"
    assert result.diagnosis.side_condition.startswith("holds only where")
    assert "0" in result.diagnosis.side_condition


def test_counterexamples_prefer_small_integers():
    result = verdict_of(SIGMOID.format(rhs="sigmoid(x)*sigmoid(1 - x)"))
    assert result.counterexample.point["x"] in {"0", "1", "-1", "2"}


def test_the_difference_is_shown_when_it_is_simple():
    result = verify(make_claim('[symbols]\ntheta = "real"\n[check]\nlhs = "diff(theta**2/2, theta)"\nrhs = "1/2"\n'))
    assert result.diagnosis.difference.endswith(r"\theta - \frac{1}{2}")
