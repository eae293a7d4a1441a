"""One claim from one line: the symbol list, the relation split, the claim table, and `verifier.check`."""

import tomllib

import pytest
from hypothesis import given, strategies as st

from verifier import check
from verifier.errors import ClaimFileError
from verifier.oneline import claim_table, make_claim, parse_symbols, render_toml, split_relation


def test_symbols_are_name_kind_pairs_with_commas_inside_kinds():
    assert parse_symbols("W: matrix(m, n), x: vector(n),f: function , y: onehot(n)") == {
        "W": "matrix(m, n)", "x": "vector(n)", "f": "function", "y": "onehot(n)"}
    assert parse_symbols(None) == {} and parse_symbols("") == {}


@pytest.mark.parametrize("spec, problem", [
    ("W matrix(m, n)", "name: kind"), ("x: vector(n), x: real", "declared twice"), ("2x: real", "name: kind"),
    ("x:", "name: kind"),
])
def test_a_bad_symbol_list_is_one_clear_error(spec, problem):
    with pytest.raises(ClaimFileError) as err:
        parse_symbols(spec)
    assert problem in str(err.value) and "--symbols" in str(err.value)


def test_an_unknown_kind_is_reported_by_the_loader_with_the_kinds_it_knows():
    with pytest.raises(ClaimFileError) as err:
        make_claim("x = x", symbols="x: vectr(n)")
    assert "vectr(n)" in str(err.value) and "matrix(m, n)" in str(err.value)


@pytest.mark.parametrize("equation, sides, relation", [
    ("a = b", ["a", "b"], "="),
    ("a == b", ["a", "b"], "="),
    ("a = b = c", ["a", "b", "c"], "="),
    ("x.T*A <= ind(x > 0)", ["x.T*A", "ind(x > 0)"], "<="),
    ("f(x, y) > 0", ["f(x, y)", "0"], ">"),
    ("Max(a, b) >= a", ["Max(a, b)", "a"], ">="),
])
def test_an_equation_splits_at_its_top_level_relation(equation, sides, relation):
    assert split_relation(equation) == (sides, relation)


def test_a_chain_with_an_inequality_gives_each_links_relation():
    assert split_relation("0 < sigmoid(x) <= 1") == (["0", "sigmoid(x)", "1"], ["<", "<="])
    assert claim_table("a = b < c")["check"] == {"steps": ["a", "b", "c"], "relations": ["=", "<"]}


@pytest.mark.parametrize("equation, problem", [
    ("sigmoid(x)", "no relation sign"), ("= b", "empty"), ("0 < < 1", "empty"),
])
def test_an_equation_without_one_relation_is_one_clear_error(equation, problem):
    with pytest.raises(ClaimFileError) as err:
        split_relation(equation)
    assert problem in str(err.value)


def test_undeclared_single_letters_are_real_scalars_and_declared_names_keep_their_kind():
    table = claim_table("grad(x.T*A*x, x) = a*A*x + b*exp(c)", symbols="A: matrix(n, n), x: vector(n)")
    assert table["symbols"] == {"a": "real", "b": "real", "c": "real", "A": "matrix(n, n)", "x": "vector(n)"}
    assert table["check"] == {"lhs": "grad(x.T*A*x, x)", "rhs": "a*A*x + b*exp(c)"}


def test_the_claim_file_written_for_a_line_reads_back_as_the_same_claim():
    table = claim_table('a = b = "quoted" \\ c', symbols="a: real")
    assert tomllib.loads(render_toml(table)) == table
    table = claim_table("diff(tanh(x), x) = 1 - tanh(x)**2", where="x > 0", claim_id="mine.tanh")
    claim = make_claim("diff(tanh(x), x) = 1 - tanh(x)**2", where="x > 0", claim_id="mine.tanh")
    assert tomllib.loads(render_toml(table)) == table
    assert claim.id == "mine.tanh" and claim.where is not None


@given(st.text(max_size=40))
def test_any_text_survives_the_toml_rendering(text):
    table = {"id": "a.b", "title": text, "claim": text, "check": {"steps": [text, text]}}
    assert tomllib.loads(render_toml(table)) == table


def test_check_returns_the_result_and_displays_itself():
    right = check("diff(sigmoid(x), x) = sigmoid(x)*(1 - sigmoid(x))")
    assert right.verdict == "proved"
    wrong = check("grad(x.T*A*x, x) = 2*A*x", "A: matrix(n, n), x: vector(n)")
    assert wrong.verdict == "refuted" and wrong.counterexample is not None
    assert check("grad(x.T*A*x, x) = 2*A*x", "A: symmetric(n), x: vector(n)").verdict == "proved"
    shown = wrong._repr_markdown_()
    assert "**refuted**" in shown and "Falsifying example" in shown


def test_check_decides_inequalities_and_where_conditions():
    assert check("sigmoid(x) < 1").verdict in ("proved", "confirmed")
    assert check("log(x) <= 0").verdict == "refuted"
    assert check("log(x) <= 0", where="x <= 1 and x > 0").verdict in ("proved", "confirmed")


def test_the_d_of_a_derivative_is_not_an_implicit_symbol():
    from verifier.oneline import claim_table
    table = claim_table(r"\frac{d}{dx} x^3 = 3x^2")
    assert table["symbols"] == {"x": "real"}
    table = claim_table(r"\frac{d^2 f}{dx^2} = 0", symbols="f: function")
    assert "d" not in table["symbols"]
