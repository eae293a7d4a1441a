import pytest

from verifier.errors import UnsafeExpression
from verifier.parser import Scope, constant_value, parse_expression

SCOPE = Scope(values=frozenset({"W", "x", "b", "v", "n", "i"}), functions=frozenset({"f"}))


def parse(text):
    return parse_expression(text, SCOPE, path="claims/x.toml", key="check.lhs")


def test_builds_the_expected_tree():
    tree = parse("grad(v.T*f(W*x + b), W)")
    assert tree.op == "grad"
    body, var = tree.args
    assert var.op == "name" and var.value == "W"
    assert body.op == "mul" and body.args[0].op == "T"
    assert body.args[1].op == "fapply" and body.args[1].value == ("f", 0)


@pytest.mark.parametrize("text, value", [
    ("fprime(x)", ("f", 1)),
    ("diff(f)(x)", ("f", 1)),
    ("diff(f, 2)(x)", ("f", 2)),
    ("diff(sigmoid)(x)", ("sigmoid", 1)),
])
def test_derivative_of_a_function(text, value):
    node = parse(text)
    assert node.op == "fapply" and node.value == value


def test_decimal_literal_is_exact():
    node = parse("15241.383")
    assert node.op == "num" and node.value.denominator == 1000 and node.value.numerator == 15241383


def test_indexing_and_comparison():
    assert parse("W[i, 0]").op == "index"
    cond = parse("x[i] > 0 and b[0] <= 1")
    assert cond.op == "and" and [a.op for a in cond.args] == ["gt", "le"]


def test_aliases_map_to_table_functions():
    assert parse("max(0, x[0])").value == "Max"
    assert parse("abs(x)").value == "Abs"


HOSTILE = [
    ('__import__("os").system("echo pwned")', "only named functions"),
    ("__import__('os')", "underscore"),
    ("x.__class__", "attribute `.__class__`"),
    ("x.__class__.__mro__", "attribute"),
    ("(lambda: 1)()", "only named functions"),
    ("lambda: 1", "Lambda"),
    ("[a for a in x]", "ListComp"),
    ("{a: 1 for a in x}", "DictComp"),
    ("(y := 3)", "NamedExpr"),
    ("'text'", "numeric literals"),
    ("f'{x}'", "JoinedStr"),
    ("open('/etc/passwd')", "unknown function `open`"),
    ("eval('1')", "unknown function `eval`"),
    ("exp(x, base=2)", "keyword"),
    ("exp(*x)", "starred"),
    ("2**2**2**2**2", "exponent too large"),
    ("x**100000", "exponent too large"),
    ("10**(10**10)", "exponent too large"),
    ("99999999999999999999999", "integer literal too large"),
    ("W[0:2]", "no slices"),
    ("y", "unknown name `y`"),
    ("x if x else b", "IfExp"),
    ("x; import os", "not an expression"),
    ("1e999", "non-finite"),
    ("True", "numeric literals"),
    ("x.T.real", "attribute `.real`"),
]


@pytest.mark.parametrize("text, message", HOSTILE)
def test_hostile_input_is_refused_with_the_file_key_and_text(text, message):
    with pytest.raises(UnsafeExpression) as info:
        parse(text)
    rendered = str(info.value)
    assert message in rendered
    assert rendered.startswith("claims/x.toml: [check.lhs]: ")


def test_deep_nesting_is_refused():
    with pytest.raises(UnsafeExpression, match="nested"):
        parse("(" * 500 + "x" + ")" * 500)
    with pytest.raises(UnsafeExpression, match="deeper than"):
        parse("exp(" * 120 + "x" + ")" * 120)


def test_long_and_huge_expressions_are_refused(monkeypatch):
    with pytest.raises(UnsafeExpression, match="longer than"):
        parse("x + " * 2000 + "x")
    balanced = "(x*x + x*x)"
    for _ in range(4):
        balanced = f"({balanced} + {balanced})"
    assert parse(balanced).op == "add"
    monkeypatch.setattr("verifier.limits.MAX_NODES", 50)
    with pytest.raises(UnsafeExpression, match="more than 50 parts"):
        parse(balanced)


def test_a_long_flat_sum_is_accepted():
    assert parse(" + ".join(["x"] * 90)).op == "add"


def test_nothing_is_evaluated_while_parsing(monkeypatch):
    import builtins
    calls = []
    monkeypatch.setattr(builtins, "__import__", lambda *a, **k: calls.append(a) or None, raising=True)
    try:
        with pytest.raises(UnsafeExpression):
            parse('__import__("os")')
    finally:
        monkeypatch.undo()
    assert calls == []


def test_non_string_expression_is_refused():
    with pytest.raises(UnsafeExpression, match="expected a string"):
        parse_expression(3, SCOPE, path="p", key="k")


def test_constant_value_is_bounded():
    assert constant_value(parse("2**(2 + 3)")) == 32
    assert constant_value(parse("x + 1")) is None


HINT_SCOPE = Scope(values=frozenset({"x", "W", "delta"}), functions=frozenset({"f"}))


@pytest.mark.parametrize("text, hint", [
    (r"\frac{1}{x}", "this looks like LaTeX: put a whole relation in `latex = '...'`"),
    ("{x}", "this looks like LaTeX"),
    ("x^2", "use `**` for powers"),
    ("2x", "write `2*x` for `2x`"),
    ("3(x + 1)", "write `3*(` for `3(`"),
    ("tahn(x)", "did you mean `tanh`"),
    ("detla * x", "did you mean `delta`"),
    ("sigmod(x)", "did you mean `sigmoid`"),
])
def test_errors_carry_a_hint(text, hint):
    with pytest.raises(UnsafeExpression) as info:
        parse_expression(text, HINT_SCOPE, path="claims/x.toml", key="check.lhs")
    assert hint in str(info.value)
    assert str(info.value).startswith("claims/x.toml: [check.lhs]")


@pytest.mark.parametrize("text", ["zzz + 1", "x[0", "lambda: 1"])
def test_no_invented_hint(text):
    with pytest.raises(UnsafeExpression) as info:
        parse_expression(text, HINT_SCOPE, path="claims/x.toml", key="check.lhs")
    assert "hint:" not in str(info.value)
