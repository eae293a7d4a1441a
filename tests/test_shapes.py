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
    ("W[k, 0]", ()),
    ("v.T[k]", ()),                 # a row vector is indexed along its columns
    ("x.T @ x @ v.T", (1, "m")),    # the 1 x 1 product x.T @ x is a (1, 1) matrix for the next @
    ("v @ (x.T @ x)", ("m", 1)),
    ("(x.T @ x) @ (x.T @ x)", ()),
    ("1 / x", ("n", 1)),            # `/` is entrywise
    ("x / x", ("n", 1)),
    ("W / W", ("m", "n")),
    ("c / W", ("m", "n")),
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
    ("W @ c", "(m, n) times a scalar (1, 1): @ is the matrix product"),
    ("c @ W", "a scalar (1, 1) times (m, n)"),
    ("x[k]", "the index k ranges over m values (index(m)) but the axis it indexes has n entries"),
    ("W[0, k]", "the index k ranges over m values (index(m)) but the axis it indexes has n entries"),
    ("W.T[k, 0]", "the index k ranges over m values (index(m)) but the axis it indexes has n entries"),
    ("onehot(k, n)", "the index k ranges over m values"),
    ("W / x", "(m, n) divided by (n, 1): `/` divides entry by entry"),
    ("W / W.T", "(m, n) divided by (n, m)"),
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


LITERAL = '''
[symbols]
x = "vector(3)"
W = "matrix(2, 3)"
i = "index(3)"
j = "index(2)"
'''


@pytest.mark.parametrize("text, message", [
    ("x[3]", "index 3 out of range for an axis of 3 entries"),
    ("W[2, 0]", "index 2 out of range for an axis of 2 entries"),
    ("W[i, 0]", "the index i ranges over 3 values (index(3)) but the axis it indexes has 2 entries"),
])
def test_indices_are_checked_against_literal_dimensions(text, message):
    claim = make_claim(LITERAL + f'[check]\nlhs = "{text}"\nrhs = "0"\n')
    with pytest.raises(ShapeError) as info:
        infer_shape(claim.steps[0], ShapeEnv(claim))
    assert message in str(info.value)


@pytest.mark.parametrize("text", ["x[2]", "W[1, 2]", "W[j, i]", "x[j]"])  # index(2) fits an axis of 3
def test_indices_inside_literal_dimensions_are_accepted(text):
    claim = make_claim(LITERAL + f'[check]\nlhs = "{text}"\nrhs = "0"\n')
    assert infer_shape(claim.steps[0], ShapeEnv(claim)) == ()


def test_an_index_over_the_wrong_dimension_is_ill_typed_not_an_error():
    result = verdict_of('[symbols]\nx = "vector(n)"\nb = "vector(m)"\ni = "index(m)"\n[check]\nlhs = "x[i]"\nrhs = "b[i]"\n')
    assert result.verdict == "ill-typed"
    assert "x[i]: the index i ranges over m values (index(m)) but the axis it indexes has n entries" in result.message


def test_a_product_through_a_one_by_one_is_proved_equal_to_scaling():
    body = ('[symbols]\nx = "vector(n)"\na = "vector(n)"\nb = "vector(m)"\n'
            '[check]\nlhs = "x.T @ a @ b.T"\nrhs = "(x.T*a)*b.T"\n')
    result = verdict_of(body)
    assert result.verdict == "proved", result.message
    # proved for every dimension, the verdict skips the large shape; the numeric check agrees there too
    from verifier.numeric_check import check_numeric
    from verifier.plan import Settings, make_plan
    numeric = check_numeric(make_plan(make_claim(body), Settings()))
    assert numeric.shapes[-1] == {"n": 64, "m": 65} and numeric.counterexample is None


@pytest.mark.parametrize("lhs, rhs", [("1 / x", "x**-1"), ("x / y", "hadamard(x, y**-1)")])
def test_division_by_an_array_is_entrywise(lhs, rhs):
    result = verdict_of(f'[symbols]\nx = "vector(n)"\ny = "vector(n)"\nW = "matrix(m, n)"\n'
                        f'[check]\nlhs = "{lhs}"\nrhs = "{rhs}"\n')
    assert result.verdict == "proved", result.message


def test_division_of_arrays_of_different_shapes_is_ill_typed():
    result = verdict_of(SYMBOLS + '[check]\nlhs = "W / W.T"\nrhs = "W"\n')
    assert result.verdict == "ill-typed"
    assert "W / W.T: (m, n) divided by (n, m): `/` divides entry by entry" in result.message
