import pytest

from helpers import make_claim, verdict_of
from verifier.errors import ShapeError
from verifier.shapes import ShapeEnv, check_claim_shapes, infer_shape

SYMBOLS = '''
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
b = "vector(m)"
v = "vector(m)"
c = "real"
k = "index(m)"
f = "function"
'''


def shape(text):
    claim = make_claim(SYMBOLS + f'[check]\nlhs = "{text}"\nrhs = "0"\n')
    return infer_shape(claim.steps[0], ShapeEnv(claim))


@pytest.mark.parametrize("text, expected", [
    ("W*x + b", ("m", 1)),
    ("W.T*v", ("n", 1)),
    ("v.T*W", (1, "n")),
    ("v.T*b", ()),                  # a 1 x 1 product is a scalar
    ("x*x.T", ("n", "n")),
    ("c*W", ("m", "n")),
    ("W/c", ("m", "n")),
    ("b + c", ("m", 1)),            # scalar broadcast
    ("exp(W)", ("m", "n")),
    ("softmax(b)", ("m", 1)),
    ("sum(W)", ()),
    ("outer(b, x)", ("m", "n")),
    ("diag(x)", ("n", "n")),
    ("W[k, 0]", ()),
    ("b[k]", ()),
    ("grad(v.T*f(W*x + b), W)", ("m", "n")),
    ("jacobian(f(W*x), x)", ("m", "n")),
    ("diff(f(W*x), c)", ("m", 1)),
    ("hadamard(v, fprime(b))", ("m", 1)),
    ("ind(c > 0)*x", ("n", 1)),
    ("onehot(k, m)", ("m", 1)),
])
def test_shapes_of_sub_expressions(text, expected):
    assert shape(text) == expected


@pytest.mark.parametrize("text, message", [
    ("W*b", "W*b: (m, n) times (m, 1)"),
    ("W + x", "W + x: (m, n) plus (n, 1)"),
    ("hadamard(v, x)", "Hadamard product of (m, 1) and (n, 1)"),
    ("grad(W*x, W)", "grad needs a scalar function, got (m, 1)"),
    ("diff(c, x)", "diff is by a scalar"),
    ("W[0]", "one index into a (m, n) matrix"),
    ("x**x", "exponent must be a scalar"),
    ("grad(c, k)", "the variable of grad must be"),
    ("softmax(W)", "needs a vector"),
    ("(c > 0) + 1", "wrap it in ind"),
    ("W @ c", "@ is the matrix product"),
])
def test_ill_typed_sub_expressions_name_both_shapes(text, message):
    with pytest.raises(ShapeError) as info:
        shape(text)
    assert message in str(info.value)


def test_sides_of_different_shapes():
    claim = make_claim(SYMBOLS + '[check]\nlhs = "W*x"\nrhs = "x"\n')
    with pytest.raises(ShapeError, match=r"left side is \(m, 1\) but the right side is \(n, 1\)"):
        check_claim_shapes(claim)


def test_ill_typed_verdict_carries_the_message():
    result = verdict_of(SYMBOLS + '[check]\nlhs = "grad(v.T*f(W*x + b), W)"\nrhs = "x*v.T"\n')
    assert result.verdict == "ill-typed"
    assert "(m, n) but the right side is (n, m)" in result.message


def test_a_dropped_transpose_in_a_square_looking_claim_is_ill_typed():
    result = verdict_of(SYMBOLS + '[check]\nlhs = "grad(v.T*(W*x), x)"\nrhs = "W*v"\n')
    assert result.verdict == "ill-typed"
    assert "W*v: (m, n) times (m, 1)" in result.message
