"""The LaTeX reader (verifier/latex.lark + latex_parse.py): notation -> the same tree as the
expression syntax, readings decided by the declarations, and hostile input refused."""

import builtins

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from verifier.errors import ClaimFileError, UnsafeExpression
from verifier.latex_parse import looks_like_latex, parse_latex, parse_latex_relation
from verifier.parser import Scope, parse_expression

SHAPES = {"x": (), "t": (), "L": (), "i": (), "j": (), "y": (), "n": (), "m": (), "W": ("m", "n"), "W2": ("m", "n"),
          "b": ("m", 1), "s": ("n", 1), "v": ("n", 1), "a": ("n", 1), "p": ("n", 1), "q": ("n", 1),
          "delta3": ("m", 1), "yhat": ("n", 1), "zbar": ("n", 1), "eps": ()}
SCOPE = Scope(values=frozenset(SHAPES), functions=frozenset({"f"}), shapes=tuple(SHAPES.items()))


def latex(text, scope=SCOPE):
    return parse_latex(text, scope, path="claims/x.toml", key="check.latex")


def python(text, scope=SCOPE):
    return parse_expression(text, scope, path="claims/x.toml", key="check.lhs")


SAME_TREE = [
    # a script after a function's parentheses applies to its value (the adversarial hunt: \tanh(x)^2 was tanh(x^2))
    (r"\tanh(x)^2", "tanh(x)**2"),
    (r"1 - \tanh(x)^2", "1 - tanh(x)**2"),
    (r"\sigma(t)^{-1}", "sigmoid(t)**-1"),
    (r"f(x)^2", "f(x)**2"),
    (r"f'(x)^2", "fprime(x)**2"),
    (r"\exp(-t)^2", "exp(-t)**2"),
    (r"\max(0, x)^2", "Max(0, x)**2"),
    (r"\operatorname{softmax}(s)_i", "softmax(s)[i]"),
    (r"\tanh^2(x)", "tanh(x)**2"),
    (r"\frac{d}{dx}\sigma(x)", "diff(sigmoid(x), x)"),
    (r"\frac{d}{dx} \left( x^2 t \right)", "diff(x**2*t, x)"),
    (r"\frac{d}{dx} x^2 t", "diff(x**2*t, x)"),                       # an operator takes the rest of the product
    (r"\frac{\partial}{\partial x}(x) t", "diff(x, x)*t"),            # ... or the parenthesised factor right after it
    (r"\frac{\partial L}{\partial W}", "grad(L, W)"),                 # by a matrix: the gradient
    (r"\frac{\partial s}{\partial v}", "jacobian(s, v)"),             # by a vector: the Jacobian, as reports write it
    (r"\frac{\partial L}{\partial s_i}", "diff(L, s[i])"),
    (r"\frac{\partial^2}{\partial x^2} x^3", "diff(x**3, x, 2)"),
    (r"\frac{d^2}{dx^2} x^3", "diff(x**3, x, 2)"),
    (r"\nabla_W L", "grad(L, W)"),
    (r"\nabla_{W} \frac{1}{2}\|W a - b\|^2", "grad(1/2*sum((W*a - b)**2), W)"),
    (r"\sigma(x)(1-\sigma(x))", "sigmoid(x)*(1 - sigmoid(x))"),
    (r"\operatorname{softmax}(s)", "softmax(s)"),
    (r"\log x + \exp(x)", "log(x) + exp(x)"),
    (r"\log \sigma(x) t", "log(sigmoid(x))*t"),                        # a function takes the next factor only
    (r"e^{-x}", "exp(-x)"),
    (r"\tanh^2(x)", "tanh(x)**2"),
    (r"x^2", "x**2"),
    (r"x^{-1}", "x**-1"),
    (r"\operatorname{inv}(W)", "inv(W)"),
    (r"s_i", "s[i]"),
    (r"s_{i}^2", "s[i]**2"),
    (r"W_{ij}", "W[i, j]"),
    (r"W_{i, j}", "W[i, j]"),
    (r"W^{(2)}", "W2"),
    (r"\delta^{(3)}", "delta3"),
    (r"\hat{y}", "yhat"),
    (r"\bar{z}", "zbar"),
    (r"\mathrm{eps}", "eps"),
    (r"W^T", "W.T"),
    (r"W^\top b", "W.T*b"),
    (r"W^{\top}", "W.T"),
    (r"a \odot v", "hadamard(a, v)"),
    (r"W^T b \circ v", "hadamard(W.T*b, v)"),                          # one level, left to right, as the notes mean it
    (r"a^T (p \odot q \odot v) a", "a.T*hadamard(hadamard(p, q), v)*a"),
    (r"x \cdot t", "x*t"),
    (r"2x", "2*x"),
    (r"W a + b", "W*a + b"),
    (r"(W a - b) a^T", "(W*a - b)*a.T"),
    (r"\max(0, x)", "Max(0, x)"),
    (r"\mathbb{1}\{x > 0\}", "ind(x > 0)"),
    (r"\mathbb{1}[x > 0 \wedge t \le 1]", "ind(x > 0 and t <= 1)"),
    (r"\|v\|^2", "sum(v**2)"),
    (r"\|v\|", "sqrt(sum(v**2))"),
    (r"|x|", "Abs(x)"),
    (r"\left| x - |t| \right|", "Abs(x - Abs(t))"),
    (r"\operatorname{tr}(W^T W)", "trace(W.T*W)"),
    (r"\langle a, v \rangle", "dot(a, v)"),
    (r"\sum_j e^{s_j}", "sum(exp(s))"),
    (r"\sum_j p_j \log q_j", "sum(hadamard(p, log(q)))"),
    (r"\sum_j p_j \log(\operatorname{softmax}(s)_j)", "sum(hadamard(p, log(softmax(s))))"),
    (r"\sum_j \sigma(s)_j", "sum(sigmoid(s))"),
    (r"\sum_{j \ne y} \max(0, s_j - s_y + 1)", "sum(Max(0, s - s[y] + 1)) - Max(0, s[y] - s[y] + 1)"),
    (r"\sum(v)", "sum(v)"),
    (r"\left( x + 1 \right)^2", "(x + 1)**2"),
    (r"\begin{cases} x & x > 0 \\ 0 & \text{otherwise} \end{cases}", "x*ind(x > 0) + 0*ind(not (x > 0))"),
    (r"\begin{cases} 1 & \text{if } x > 0 \\ -1 & x < 0 \end{cases}", "1*ind(x > 0) + -1*ind(not (x > 0) and x < 0)"),
    (r"f'(x)", "fprime(x)"),
    (r"f^{(2)}(x)", "diff(f, 2)(x)"),
    (r"\sigma'(x)", "diff(sigmoid)(x)"),
    (r"-3 x", "-3*x"),
    (r"-x t", "-(x*t)"),
    (r"-(3 x)", "-(3*x)"),
    (r"a \cdot -x", "a*(-x)"),
    (r"\frac{x}{2}", "x/2"),
    (r"1.5 x", "1.5*x"),
    (r"\mathbf{1}_{n}", "ones(n)"),
    (r"\operatorname{onehot}(i, n)", "onehot(i, n)"),
    (r"x \otimes v", "outer(x, v)"),
    (r"\lim_{\mathrm{eps} \to 0} \frac{x + \mathrm{eps}}{1}", "limit((x + eps)/1, eps, 0)"),
    (r"\begin{bmatrix} 1 \\ x \end{bmatrix}", "[1, x]"),
    (r"\sqrt{x}", "sqrt(x)"),
    (r"$x^2$", "x**2"),
]


@pytest.mark.parametrize("text, expression", SAME_TREE)
def test_notation_builds_the_same_tree_as_the_expression_syntax(text, expression):
    assert latex(text) == python(expression)


def test_relations_and_chains():
    steps, relation = parse_latex_relation(r"\frac{d}{dx}\sigma(x) = \sigma(x)(1-\sigma(x))", SCOPE,
                                           path="c.toml", key="check.latex")
    assert relation == "=" and steps == [python("diff(sigmoid(x), x)"), python("sigmoid(x)*(1 - sigmoid(x))")]
    steps, relation = parse_latex_relation(r"\sigma(x) \le 1", SCOPE, path="c.toml", key="check.latex")
    assert relation == "<=" and steps == [python("sigmoid(x)"), python("1")]
    steps, relation = parse_latex_relation("x = t = L", SCOPE, path="c.toml", key="check.latex")
    assert relation == "=" and [s.value for s in steps] == ["x", "t", "L"]
    steps, relation = parse_latex_relation(r"0 < \sigma(x) \le 1", SCOPE, path="c.toml", key="check.latex")
    assert relation == ["<", "<="] and steps == [python("0"), python("sigmoid(x)"), python("1")]
    steps, relation = parse_latex_relation(r"x = t \ge L", SCOPE, path="c.toml", key="check.latex")
    assert relation == ["=", ">="]


@pytest.mark.parametrize("text, message", [
    (r"\sigma(x)", "no relation"),
    (r"x \ne t", "cannot be the relation"),
    (r"x > 0 \wedge t > 0", "conditions"),
])
def test_relation_errors(text, message):
    with pytest.raises(UnsafeExpression, match=message) as info:
        parse_latex_relation(text, SCOPE, path="c.toml", key="check.latex")
    assert "c.toml: [check.latex]" in str(info.value)


def test_ambiguous_subscript_lists_the_readings():
    shapes = dict(SHAPES, x=("n", 1), x1=())
    scope = Scope(values=frozenset(shapes), functions=frozenset(), shapes=tuple(shapes.items()))
    with pytest.raises(UnsafeExpression) as info:
        latex("x_1", scope)
    message = str(info.value)
    assert "ambiguous" in message and "`x1`" in message and "entry `x[...]`" in message
    assert latex(r"\mathrm{x1}", scope) == python("x1", scope)        # the ways out the message names
    assert latex("{x}_{1}", scope) == python("x[1]", scope)


def test_subscript_names_follow_the_declarations():
    shapes = dict(SHAPES, yi=(), x_i=())
    scope = Scope(values=frozenset(shapes), functions=frozenset(), shapes=tuple(shapes.items()))
    assert latex("s_{y_i}", scope) == python("s[yi]", scope)     # y is a scalar: y_i can only be the name yi
    assert latex("x_i", scope) == python("x_i", scope)          # x is a scalar: x_i is the declared x_i


def test_a_scope_from_symbol_kinds():
    from verifier.loader import make_scope, parse_kind
    scope = make_scope([parse_kind("x", "vector(n)", "p", "k"), parse_kind("i", "index(n)", "p", "k"),
                        parse_kind("f", "function", "p", "k")])
    steps, relation = parse_latex_relation("f(x_i) = f(x_i)", scope, path="p", key="k")
    assert relation == "=" and steps[0] == parse_expression("f(x[i])", scope)


def test_subscript_of_a_scalar_is_neither_reading():
    with pytest.raises(UnsafeExpression, match="neither a declared name .*`x` is a scalar"):
        latex("x_k")


def test_unknown_names_and_commands():
    with pytest.raises(UnsafeExpression, match="unknown name `z`"):
        latex("z + 1")
    with pytest.raises(UnsafeExpression, match="did you mean `delta3`"):
        latex(r"\mathrm{detla3}")
    with pytest.raises(UnsafeExpression, match=r"unknown LaTeX command `\\input`"):
        latex(r"\input{x}")
    with pytest.raises(UnsafeExpression, match="unexpected `/`"):
        latex(r"\input{/etc/passwd}")
    with pytest.raises(UnsafeExpression, match="layer superscript"):
        latex("(x)^{(2)}")
    with pytest.raises(UnsafeExpression, match="unknown name `W3` or `W_3`"):
        latex("W^{(3)}")


@pytest.mark.parametrize("text", [r"\sum_j j", r"\sum_{j=1}^{n} s_j", r"\sum_j W_{jj}", r"\sum_j s_j / v_j"])
def test_index_sums_outside_whole_array_operations_are_refused(text):
    with pytest.raises(UnsafeExpression, match="index sums are not supported yet"):
        latex(text)


@pytest.mark.parametrize("text, message", [
    ("x +", "ends too early"),
    (r"\frac{x}", "ends too early"),
    ("(x, t)", "arguments of a function"),
    ("x ? t", "character `?`"),
    (r"\begin{cases} x & x > 0 \end{bmatrix}", "ends with"),
    (r"\begin{array} x \end{array}", "not supported"),
    (r"\partial x", "belongs in a derivative"),
    (r"\frac{d}{dx dt} x", "one variable"),
    (r"\frac{d^2}{dx} x", "orders differ"),
    ("x^{99}", "exponent too large"),
    ("W^{-1}", "not square, so it has no inverse"),
    ("W^{-T}", "not square, so it has no inverse"),
    (r"(x + t)^{-T}", "needs a declared square matrix"),
    ("9^{9^{9^{9}}}", "constant"),
    ("\u03c3(x)", r"U\+03C3 .*write \\sigma"),
    ("{" * 150 + "x" + "}" * 150, "nested deeper"),
    ("-" * 400 + "x", "nested deeper"),
    ("\\ln " * 900 + "x", "nested deeper"),
    ("\\sum " * 700 + "x", "nested deeper"),
    ("\\frac{d}{dx} " * 300 + "x", "nested deeper"),
    (" + ".join(["x"] * 200), "nested deeper"),
    ("x" * 5000, "longer than"),
    ("", "empty"),
    ("12345678901234567890", "too large"),
    ("1." + "1" * 40, "too long"),
])
def test_malformed_and_hostile_text_is_one_clean_error(text, message):
    with pytest.raises(ClaimFileError, match=message) as info:
        latex(text)
    assert str(info.value).startswith("claims/x.toml: [check.latex]")


def test_nothing_is_evaluated(monkeypatch):
    """The text never reaches eval, exec, sympify or parse_expr."""
    def refuse(*args, **kwargs):
        raise AssertionError("called")
    for module, name in [(builtins, "eval"), (builtins, "exec"), (sympy, "sympify"), (sympy, "parse_expr")]:
        monkeypatch.setattr(module, name, refuse, raising=False)
    assert latex(r"\frac{d}{dx}\sigma(x) + \sum_j e^{s_j}").op == "add"


def test_looks_like_latex():
    for text in [r"\frac{1}{2}", "x^2", "x_{i}", "x_i", "{a}"]:
        assert looks_like_latex(text), text
    for text in ["x**2", "W*x + b", "x[i]", "my_name", "grad(L, W)", "", None]:
        assert not looks_like_latex(text), text


TOKENS = [r"\frac", r"\partial", "d", "x", "t", "W", "s", "i", "j", "e", "f", "2", "0.5", "{", "}", "(", ")", "[", "]",
          "_", "^", "'", "+", "-", r"\cdot", r"\odot", "=", "<", r"\le", ",", "|", r"\|", r"\sum", r"\nabla",
          r"\sigma", r"\log", r"\left(", r"\right)", r"\mathbb{1}", r"\{", r"\}", r"\top", "T", r"\hat",
          r"\begin{cases}", r"\end{cases}", "&", r"\\\\", r"\text{otherwise}", r"\lim", r"\to", r"\mathrm{eps}",
          r"\sqrt", r"\langle", r"\rangle", r"\wedge", r"\ne", "(2)", r"\delta", r"\operatorname{tr}", " "]


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join))
def test_any_token_soup_is_a_tree_or_one_clean_error(text):
    try:
        latex(text)
        parse_latex_relation(text, SCOPE, path="claims/x.toml", key="check.latex")
    except UnsafeExpression as exc:
        assert str(exc).startswith("claims/x.toml: [check.latex]: ")
